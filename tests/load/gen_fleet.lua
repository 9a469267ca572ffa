-- gen_fleet.lua N OUT.json [LIMIT] [TIMES] [PREFIX]
-- Writes the load test's simulator fleet: N overdue pay-as-you-go instances
-- (Stopped, financial lock, PostPaid) named <PREFIX><000001>.. in
-- cn-hangzhou, ReActivateInstances throttled at LIMIT per 1-s window (per
-- access key and region; 0: no throttle), and scripted faults spread over
-- the fleet by index (the same layout whatever N is):
--   i % 10 == 1   InternalError, TIMES times (default 20: retried to success)
--   i % 10 == 2   ServiceUnavailable, TIMES * 4 / 5 times
--   i % 50 == 3   transport "reset", apply = true   (processed, answer lost:
--                                                    the lookup finds it Starting)
--   i % 50 == 4   transport "reset"                 (cut before processing:
--                                                    looked up, then re-sent)
--   i % 100 == 5  "malformed" once                  (200 with broken JSON)
--   i % 100 == 6  "html503" twice                   (a proxy's HTML 503)
-- Run with ecsrun or lua5.4 (+ ecs.so). Prints nothing.
local ecs = ecs or require "ecs" -- luacheck: ignore
local n, out, limit, times, prefix = ...
n = assert(tonumber(n), "usage: gen_fleet.lua N OUT.json [LIMIT] [TIMES] [PREFIX]")
limit, times, prefix = tonumber(limit) or 0, tonumber(times) or 20, prefix or "i-load"

-- The fault layout (the spec that checks the outcome knows it too).
local function fault_for(i, id)
  if i % 10 == 1 then return { action = "ReActivateInstances", instance_id = id, error = "InternalError", times = times } end
  if i % 10 == 2 then return { action = "ReActivateInstances", instance_id = id, error = "ServiceUnavailable",
                                    times = math.max(1, math.floor(times * 4 / 5)) } end
  if i % 50 == 3 then return { action = "ReActivateInstances", instance_id = id, transport = "reset", apply = true } end
  if i % 50 == 4 then return { action = "ReActivateInstances", instance_id = id, transport = "reset" } end
  if i % 100 == 5 then return { action = "ReActivateInstances", instance_id = id, transport = "malformed" } end
  if i % 100 == 6 then return { action = "ReActivateInstances", instance_id = id, transport = "html503", times = 2 } end
end

local fleet = { latency_ms = 0, start_delay_ms = 500, instances = ecs.json.array({}), faults = ecs.json.array({}) }
if limit > 0 then fleet.throttle = { ReActivateInstances = { limit = limit, window_s = 1 } } end
for i = 1, n do
  local id = ("%s%06d"):format(prefix, i)
  fleet.instances[i] = { InstanceId = id, RegionId = "cn-hangzhou", ZoneId = "cn-hangzhou-g", Status = "Stopped",
                         InstanceChargeType = "PostPaid", LockReasons = { "financial" }, InstanceName = id }
  fleet.faults[#fleet.faults + 1] = fault_for(i, id)
end
local f = assert(io.open(out, "w"))
f:write(ecs.json.encode(fleet), "\n")
f:close()
