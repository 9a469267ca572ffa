-- gen_fleet.lua N OUT.json [latency_ms] [throttle_limit] [throttle_window_s]
-- Writes a simulator fleet of N overdue pay-as-you-go instances (Stopped, financial lock,
-- PostPaid) named i-bench00001.. in cn-hangzhou. Run with ecsrun (or lua5.4 + ecs.so).
local ecs = ecs or require "ecs"
local n, out, latency, limit, window = ...
n = assert(tonumber(n), "usage: gen_fleet.lua N OUT.json [latency_ms] [limit window_s]")
local fleet = {
  latency_ms = tonumber(latency) or 0,
  start_delay_ms = 1000,
  instances = ecs.json.array({}),
}
if limit then
  fleet.throttle = { ReActivateInstances = { limit = tonumber(limit), window_s = tonumber(window) or 1 } }
end
for i = 1, n do
  fleet.instances[i] = {
    InstanceId = string.format("i-bench%05d", i), RegionId = "cn-hangzhou",
    ZoneId = "cn-hangzhou-g", Status = "Stopped", InstanceChargeType = "PostPaid",
    LockReasons = { "financial" }, InstanceName = "bench-" .. i,
  }
end
local f = assert(io.open(out, "w"))
f:write(ecs.json.encode(fleet), "\n")
f:close()
