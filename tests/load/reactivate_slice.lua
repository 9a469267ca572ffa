-- reactivate_slice.lua FIRST LAST [CONCURRENCY] [PREFIX]
-- One worker of the load test: reactivates <PREFIX><FIRST>..<PREFIX><LAST>
-- (ids as gen_fleet.lua names them) with ecs.parallel and ecs.reactivate's
-- default policy (retryable failures retried with backoff, honouring
-- retry_after; an ambiguous failure looked up before any re-send), then
-- looks every instance of the slice up with DescribeInstances and checks
-- none is left Stopped. Endpoint, region, credentials and --audit come from
-- the ecsrun command line. Prints one JSON line: n, ok, verified, failed,
-- errors (by code), attempts (sum), stopped (after the run), wall_s, cpu_s.
-- Exits 1 when any instance failed or is still Stopped.
local ecs = ecs or require "ecs" -- luacheck: ignore
local first, last, conc, prefix = ...
first, last = assert(tonumber(first), "usage: reactivate_slice.lua FIRST LAST [CONCURRENCY] [PREFIX]"), assert(tonumber(last))
conc, prefix = tonumber(conc) or 64, prefix or "i-load"

local ids = {}
for i = first, last do ids[#ids + 1] = ("%s%06d"):format(prefix, i) end
local c0, t0 = os.clock(), ecs.now()
-- many quick retries: some instances fail 20 times before they succeed
local retry = { attempts = 40, base = 0.005, cap = 0.02 }
local results, errors = ecs.parallel(ids, function(id)
  return ecs.reactivate{ instance_id = id, retry = retry }
end, { concurrency = conc })

local ok, verified, failed, attempts, codes = 0, 0, 0, 0, {}
for i = 1, #ids do
  local r, e = results[i], errors[i]
  if r then
    ok, attempts = ok + 1, attempts + r.attempts
    if r.verified then verified = verified + 1 end
  else
    failed = failed + 1
    local code = type(e) == "table" and e.code or tostring(e)
    codes[code] = (codes[code] or 0) + 1
  end
end

-- Read back: nothing of the slice may still be Stopped.
local stopped = 0
local list = assert(ecs.list_instances{ ids = ids })
for _, inst in ipairs(list) do
  if inst.Status == "Stopped" then stopped = stopped + 1 end
end
if #list ~= #ids then stopped = stopped + (#ids - #list) end

print(ecs.json.encode{ first = first, last = last, n = #ids, ok = ok, verified = verified, failed = failed,
                       errors = next(codes) and codes or ecs.json.array({}), attempts = attempts,
                       stopped = stopped, wall_s = ecs.now() - t0, cpu_s = os.clock() - c0 })
if failed > 0 or stopped > 0 then os.exit(1, true) end
