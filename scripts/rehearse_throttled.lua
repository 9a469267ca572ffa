-- rehearse_throttled.lua: rehearse a large recovery under the service's flow
-- control before doing it for real. Reactivates every overdue instance of
-- the region as fast as the limit allows, retrying throttled calls after the
-- time the service names (x-acs-retry-after), and reports how often it was
-- throttled and how long the run took.
--
--   ecsrun --simulate scripts/fleets/throttled.json scripts/rehearse_throttled.lua
--   ecsrun --simulate scripts/fleets/throttled.json --qps 20 scripts/rehearse_throttled.lua
--
-- With --qps at or under the service's limit, no call is throttled at all.
local ecs = require "ecs"

local region = arg[1] or ecs.credentials().region or "cn-hangzhou"
local list = assert(ecs.reactivatable{ region = region })
local throttled = 0
local t0 = ecs.now()

local results, errors = ecs.parallel(list, function(inst)
  return ecs.retry(function()
    return ecs.call("ReActivateInstances", { InstanceId = inst.InstanceId, RegionId = region })
  end, {
    attempts = 20, base = 0.2, cap = 5,
    on = function(err)
      if err.kind == "throttle" then throttled = throttled + 1 end
      return err.retryable and not err.ambiguous
    end,
  })
end, { concurrency = 64 })

local done, failed = 0, 0
for i = 1, #list do
  if results[i] then done = done + 1 else failed = failed + 1 end
  if errors[i] then ecs.log.error("failed", { id = list[i].InstanceId, err = tostring(errors[i]) }) end
end
local elapsed = ecs.now() - t0
print(("%d reactivated, %d failed, %d throttled answers, %.1fs (%.1f/s)"):format(
  done, failed, throttled, elapsed, done / math.max(elapsed, 1e-9)))
if failed > 0 then os.exit(1, true) end
