-- reactivate_tagged.lua: bring back only the overdue instances that carry a
-- given tag, e.g. the production web tier first.
--
--   ecsrun --simulate scripts/fleets/demo.json scripts/reactivate_tagged.lua team=web
--   ecsrun --region cn-hangzhou scripts/reactivate_tagged.lua env=prod cn-hangzhou cn-shanghai
--
-- Arguments: KEY=VALUE (the tag, required), then regions (default: the
-- default region). Honors --dry-run. Exit status 1 when any could not be
-- brought back.
local ecs = require "ecs"

local tag_key, tag_value
local regions = {}
for _, a in ipairs(arg or {}) do
  local k, v = a:match("^([^=]+)=(.*)$")
  if k then tag_key, tag_value = k, v else regions[#regions + 1] = a end
end
if not tag_key then
  io.stderr:write("usage: reactivate_tagged.lua KEY=VALUE [region ...]\n")
  os.exit(2)
end
if #regions == 0 then regions = { ecs.credentials().region or error("no region: pass one or use --region", 0) } end

-- DescribeInstances filters by tag on the service side (Tag.1.Key/Value).
local candidates = {}
for _, region in ipairs(regions) do
  local list = assert(ecs.reactivatable{ region = region, tags = { [tag_key] = tag_value } })
  for _, inst in ipairs(list) do candidates[#candidates + 1] = inst end
end

local results, errors = ecs.parallel(candidates, function(inst)
  return ecs.reactivate{ instance_id = inst.InstanceId, region = inst.RegionId }
end)

local failed = 0
for i, inst in ipairs(candidates) do
  local err = errors[i]
  if results[i] then
    print(("%s %s reactivated (request %s)"):format(inst.InstanceId, inst.RegionId, results[i].request_id or "?"))
  elseif err and err.code == "EDRYRUN" then
    print(("%s %s would be reactivated (dry run)"):format(inst.InstanceId, inst.RegionId))
  else
    failed = failed + 1
    print(("%s %s FAILED: %s"):format(inst.InstanceId, inst.RegionId, tostring(err)))
  end
end
print(("%d instance(s) tagged %s=%s needed reactivation, %d failed"):format(#candidates, tag_key, tag_value, failed))
if failed > 0 then os.exit(1, true) end
