-- rss.lua N CONCURRENCY [PREFIX] [INSTANCES]
-- Stable memory: N DescribeInstances calls (one instance id each, cycling
-- over <PREFIX>000001..<PREFIX><INSTANCES>) from CONCURRENCY tasks with
-- ecs.parallel, sampling this process's VmRSS (/proc/self/status) each time
-- another quarter of the calls has completed. Prints one JSON line:
-- { n, ok, failed, rss_kib = { q1, q2, q3, q4 }, wall_s, cpu_s }.
local ecs = ecs or require "ecs" -- luacheck: ignore
local n, conc, prefix, ninst = ...
n = assert(tonumber(n), "usage: rss.lua N CONCURRENCY [PREFIX] [INSTANCES]")
conc, prefix, ninst = tonumber(conc) or 64, prefix or "i-load", tonumber(ninst) or 100

local function rss_kib()
  local f = assert(io.open("/proc/self/status", "r"))
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)"))
end

local items = {}
for i = 1, n do items[i] = ("%s%06d"):format(prefix, (i - 1) % ninst + 1) end
local done, ok, failed, samples = 0, 0, 0, {}
local c0, t0 = os.clock(), ecs.now()
-- results are not kept (a table of 20,000 decoded bodies would itself grow
-- memory): each task counts and drops its answer.
ecs.parallel(items, function(id)
  local body, err = ecs.call("DescribeInstances", { InstanceIds = ecs.json.encode({ id }) })
  if body and body.Instances.Instance[1] and body.Instances.Instance[1].InstanceId == id then
    ok = ok + 1
  else
    failed = failed + 1
    if failed <= 3 then io.stderr:write("rss.lua: ", id, ": ", tostring(err), "\n") end
  end
  done = done + 1
  if done % math.floor(n / 4) == 0 and #samples < 4 then
    collectgarbage("collect")
    samples[#samples + 1] = rss_kib()
  end
end, { concurrency = conc })
print(ecs.json.encode{ n = n, ok = ok, failed = failed, rss_kib = samples, wall_s = ecs.now() - t0,
                       cpu_s = os.clock() - c0 })
if failed > 0 then os.exit(1, true) end
