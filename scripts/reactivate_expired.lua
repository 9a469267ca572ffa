-- reactivate_expired.lua: bring back pay-as-you-go ECS instances that were
-- stopped for overdue payment, in every region given, and report what
-- happened to each instance (and why the others were left alone).
--
--   ecsrun --simulate scripts/fleets/demo.json scripts/reactivate_expired.lua
--   ecsrun --region cn-hangzhou scripts/reactivate_expired.lua [region ...] [--no-wait]
--   ecsrun --dry-run ...            shows the plan, sends nothing that changes state
--   ecsrun --audit run.audit ...    records every call; a rerun resumes where it stopped
--
-- Regions: the arguments, else the default region (--region), else every
-- region DescribeRegions lists. With --log json the report is one JSON
-- document on stdout. Exit status 1 when any instance could not be brought
-- back.
local ecs = require "ecs"

local regions, wait = {}, true
for _, a in ipairs(arg or {}) do
  if a == "--no-wait" then wait = false
  elseif a:sub(1, 1) == "-" then error("unknown argument " .. a .. " (regions and --no-wait are accepted)", 0)
  else regions[#regions + 1] = a end
end

if #regions == 0 then
  local r = ecs.credentials().region
  if r then
    regions = { r }
  else
    local body = assert(ecs.call("DescribeRegions", { RegionId = "cn-hangzhou" }))
    for _, reg in ipairs(body.Regions.Region) do regions[#regions + 1] = reg.RegionId end
  end
end

-- 1. Look at every instance of every region, in parallel.
local found = ecs.parallel(regions, function(region)
  local list = {}
  for inst in ecs.instances{ region = region } do list[#list + 1] = inst end
  return list
end)

-- With an audit file, instances an earlier (perhaps interrupted) run already
-- brought back are not touched again.
local done_before = ecs.audit.path() and ecs.audit.done() or {}

local report, candidates = {}, {}
for i, region in ipairs(regions) do
  if not found[i] then
    report[#report + 1] = { region = region, outcome = "failed", reason = "could not list instances" }
  else
    for _, inst in ipairs(found[i]) do
      local ok, why = ecs.classify(inst)
      if done_before[inst.InstanceId] then
        ok, why = false, "reactivated by an earlier run (audit), now " .. tostring(inst.Status)
      end
      if ok then
        candidates[#candidates + 1] = inst
      else
        report[#report + 1] = { instance_id = inst.InstanceId, region = region, name = inst.InstanceName,
                                outcome = "skipped", reason = why }
      end
    end
  end
end

-- 2. Reactivate the candidates (retrying what is safe to retry) and wait
--    until each is Running.
local results, errors = ecs.parallel(candidates, function(inst)
  local res, err = ecs.reactivate{ instance_id = inst.InstanceId, region = inst.RegionId }
  if not res and err.code == "EDRYRUN" then return { dry_run = true } end
  if not res then return nil, err end
  if wait then
    local ok, werr = ecs.wait_for(inst.InstanceId, "Running", { region = inst.RegionId, interval = 1, timeout = 600 })
    res.running = ok ~= nil
    if not ok then res.wait_error = tostring(werr) end
  end
  return res
end)

local failed = 0
for i, inst in ipairs(candidates) do
  local res, err = results[i], errors[i]
  local row = { instance_id = inst.InstanceId, region = inst.RegionId, name = inst.InstanceName }
  if res and res.dry_run then
    row.outcome = "planned"
    row.reason = "dry run: would reactivate"
  elseif res then
    row.outcome = "reactivated"
    row.request_id, row.attempts, row.running = res.request_id, res.attempts, res.running
    row.reason = res.wait_error
  else
    failed = failed + 1
    row.outcome = "failed"
    row.code = type(err) == "table" and err.code or nil
    row.reason = tostring(err)
  end
  report[#report + 1] = row
end
for _, row in ipairs(report) do
  if row.outcome == "failed" and not row.instance_id then failed = failed + 1 end
end

table.sort(report, function(a, b)
  return (a.region or "") .. (a.instance_id or "") < (b.region or "") .. (b.instance_id or "")
end)

-- 3. Report.
local counts = { reactivated = 0, skipped = 0, failed = 0, planned = 0 }
for _, row in ipairs(report) do counts[row.outcome] = counts[row.outcome] + 1 end
if ecs.log.format() == "json" then
  print(ecs.json.encode({ regions = regions, instances = report, counts = counts }))
else
  for _, row in ipairs(report) do
    local extra = row.outcome == "reactivated"
      and ("attempts=%d%s"):format(row.attempts, wait and (row.running and " running" or " NOT running") or "")
      or (row.reason or "")
    print(("%-12s %-16s %-14s %-11s %s"):format(row.instance_id or "-", row.region or "-", row.name or "",
      row.outcome, extra))
  end
  print(("%d reactivated, %d skipped, %d failed%s"):format(counts.reactivated, counts.skipped, counts.failed,
    ecs.dry_run and (", %d planned (dry run: nothing was sent)"):format(counts.planned) or ""))
end
if failed > 0 then os.exit(1, true) end
