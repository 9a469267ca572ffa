-- reactivate.lua N CONCURRENCY [FIRST] [DURATION_S]
-- Reactivates i-bench<FIRST>..i-bench<FIRST+N-1> with ecs.parallel over
-- ecs.reactivate{retry=false} and prints one JSON line: calls (sent), ok, errors (by code),
-- wall_s, cpu_s (os.clock() over the run: user+sys CPU of the ecsrun process during it).
-- With DURATION_S, workers stop taking new instances once DURATION_S seconds have passed, and
-- ok_in_window counts the calls that completed OK within the first DURATION_S seconds
-- (rate = ok_in_window / DURATION_S).
-- Endpoint, region, credentials and --qps come from the ecsrun command line / environment.
local n, conc, first, duration = ...
n = assert(tonumber(n), "usage: reactivate.lua N CONCURRENCY [FIRST] [DURATION_S]")
conc, first, duration = tonumber(conc) or 64, tonumber(first) or 1, tonumber(duration)
local ids = {}
for i = 1, n do ids[i] = string.format("i-bench%05d", first + i - 1) end
local done_at, stop, sent = {}, false, 0
local c0, t0 = os.clock(), ecs.now()
local results, errors = ecs.parallel(ids, function(id, i)
  if stop or (duration and ecs.now() - t0 >= duration) then stop = true; return "skipped" end
  sent = sent + 1
  local res, err = ecs.reactivate{ instance_id = id, retry = false }
  done_at[i] = ecs.now() - t0
  return res, err
end, { concurrency = conc })
local wall, cpu = ecs.now() - t0, os.clock() - c0
local ok, in_window, codes = 0, 0, {}
for i = 1, n do
  if results[i] == "skipped" then -- not sent: the duration was over
  elseif results[i] then
    ok = ok + 1
    if duration and done_at[i] <= duration then in_window = in_window + 1 end
  else
    local e = errors[i]
    local code = type(e) == "table" and e.code or tostring(e)
    codes[code] = (codes[code] or 0) + 1
  end
end
print(ecs.json.encode{ client = "ecsrun", calls = sent, concurrency = conc, ok = ok,
                       errors = next(codes) and codes or ecs.json.array({}), wall_s = wall,
                       cpu_s = cpu, duration_s = duration, ok_in_window = duration and in_window })
