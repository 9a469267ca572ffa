-- reactivate_expired.lua: bring back pay-as-you-go ECS instances that were
-- stopped for overdue payment, in every region, and report what happened to
-- each instance (and why the others were left alone). Made to run from a
-- scheduler (docs/operations.md): an exit code to act on, a JSON report and
-- node_exporter metrics.
--
--   ecsrun --simulate scripts/fleets/demo.json scripts/reactivate_expired.lua
--   ecsrun scripts/reactivate_expired.lua [region ...] [--no-wait] [--timeout S]
--          [--interval S] [--resource-group RG] [--report FILE] [--metrics FILE]
--          [--min-balance N | --no-balance-check] [--notify URL] [--resume-window S]
--   ecsrun --dry-run ...            shows the plan, sends nothing that changes state
--   ecsrun --audit run.audit ...    records every call; a rerun resumes where it stopped
--                                   (instances it reactivated in the last --resume-window
--                                   seconds, default 3600, are not touched again)
--
-- Regions: the arguments, else every region DescribeRegions lists (asked at
-- the default region's endpoint; a default region never narrows the run).
-- Waiting: one DescribeInstances per region (per 100 instances) per poll,
-- every --interval seconds (default 2) for up to --timeout seconds (default
-- 900: the service takes about 10 minutes).
-- --resource-group: only that resource group's instances (a RAM user scoped
-- to a resource group sees an empty list without it).
-- Balance first: before reactivating anything, BSS QueryAccountBalance is
-- asked once; below --min-balance (default 100, in the account's currency:
-- the China site requires CNY 100) nothing is sent and the run says "top up
-- first" once instead of one InsufficientBalance per instance. A balance that
-- cannot be read (e.g. a RAM user without BSS permission) is logged as a
-- warning and the run goes on. --no-balance-check skips it.
-- --notify URL: POSTs the final report (the --report document) as JSON, e.g.
-- to a chat or incident webhook.
-- Exit status: 0 every candidate was reactivated (and, unless --no-wait, is
-- Running); 4 some instance failed, did not reach Running in time, a region
-- could not be listed, or the balance is below --min-balance; 5 the run was
-- complete but --notify could not deliver the report; 1 the run itself failed
-- (a crash); 2 bad arguments; 3 configuration or credentials.
local ecs = require "ecs"

local EXIT_INCOMPLETE, EXIT_NOTIFY = 4, 5
local USAGE = "usage: reactivate_expired.lua [region ...] [--no-wait] [--timeout SECONDS]" ..
              " [--interval SECONDS] [--resource-group RG] [--report FILE] [--metrics FILE]" ..
              " [--min-balance AMOUNT | --no-balance-check] [--notify URL] [--resume-window SECONDS]"

local function usage_error(msg)
  io.stderr:write("reactivate_expired.lua: ", msg, "\n", USAGE, "\n")
  os.exit(2, true)
end

-- Arguments: regions, flags, and --flag VALUE / --flag=VALUE.
local function parse_args(args)
  local o = { regions = {}, wait = true, timeout = 900, interval = 2, min_balance = 100, balance_check = true,
              resume_window = 3600 }
  local valued = { ["--timeout"] = "timeout", ["--interval"] = "interval", ["--report"] = "report",
                   ["--metrics"] = "metrics", ["--resource-group"] = "resource_group",
                   ["--min-balance"] = "min_balance", ["--notify"] = "notify",
                   ["--resume-window"] = "resume_window" }
  local i = 1
  while i <= #args do
    local a = args[i]
    local name, val = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    if a == "--no-wait" then
      o.wait = false
    elseif a == "--no-balance-check" then
      o.balance_check = false
    elseif valued[name] then
      if not val then
        i = i + 1
        val = args[i]
        if val == nil then usage_error(name .. " needs a value") end
      end
      o[valued[name]] = val
    elseif a:sub(1, 1) == "-" then
      usage_error("unknown argument " .. a)
    else
      o.regions[#o.regions + 1] = a
    end
    i = i + 1
  end
  for _, k in ipairs({ "timeout", "interval", "resume_window" }) do
    local n = tonumber(o[k])
    if not n or n ~= n or n < 0 or n == math.huge or (k == "interval" and n <= 0) then
      usage_error(("--%s must be a number of seconds%s, not '%s'"):format((k:gsub("_", "-")), k == "interval" and " > 0" or " >= 0",
                                                                         tostring(o[k])))
    end
    o[k] = n
  end
  local mb = tonumber(o.min_balance)
  if not mb or mb ~= mb or mb < 0 or mb == math.huge then
    usage_error(("--min-balance must be an amount >= 0, not '%s'"):format(tostring(o.min_balance)))
  end
  o.min_balance = mb
  if o.notify and not o.notify:match("^https?://[^/%s]+") then
    usage_error(("--notify needs an http(s) URL, not '%s'"):format(o.notify))
  end
  return o
end

local opt = parse_args(arg or {})
local started, t0 = os.time(), ecs.now()

-- n random bytes as hex (for names nobody can guess).
local function random_hex(n)
  local f = io.open("/dev/urandom", "rb")
  local rnd = f and f:read(n) or (tostring(os.clock()) .. tostring({}))
  if f then f:close() end
  return (rnd:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

-- A run id for the report: the scheduler's (ECSRUN_RUN_ID, or systemd's
-- INVOCATION_ID), else a fresh random one.
local function run_id()
  local id = os.getenv("ECSRUN_RUN_ID") or os.getenv("INVOCATION_ID")
  if id and id ~= "" then return id end
  return os.date("!%Y%m%dT%H%M%SZ-", started) .. random_hex(8)
end

-- Every region, from DescribeRegions at the default region's endpoint.
local function all_regions(default_region)
  local body, err = ecs.call("DescribeRegions", { RegionId = default_region or "cn-hangzhou" })
  if not body then error(err, 0) end
  local list = {}
  for _, reg in ipairs(body.Regions and body.Regions.Region or {}) do list[#list + 1] = reg.RegionId end
  table.sort(list)
  return list
end

local creds = assert(ecs.credentials())
local regions = opt.regions
if #regions == 0 then regions = all_regions(creds.region) end
ecs.log.info("regions covered", { count = #regions, regions = table.concat(regions, ",") })

-- 1. Look at every instance of every region, in parallel.
local found, list_errors = ecs.parallel(regions, function(region)
  local list = {}
  for inst in ecs.instances{ region = region, resource_group = opt.resource_group } do list[#list + 1] = inst end
  return list
end, { label = "listing regions" })

-- With an audit file, instances an earlier (perhaps interrupted) run brought
-- back within the last --resume-window seconds (default 3600) are not touched
-- again. An older record never holds back an instance that is overdue again:
-- that one would be released after ~15 days.
local function done_recently(window)
  local a = ecs.audit.path() and assert(ecs.audit.read()) or { calls = {} }
  local cutoff, done = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - window), {}
  for _, c in ipairs(a.calls) do
    local i, o = c.intent, c.outcome
    if i and o and o.ok and i.action == "ReActivateInstances" and type(o.time) == "string" and o.time >= cutoff then
      done[i.instance_id] = true
    end
  end
  return done
end
local done_before = done_recently(opt.resume_window)

local report, candidates = {}, {}
for i, region in ipairs(regions) do
  if not found[i] then
    report[#report + 1] = { region = region, outcome = "failed",
                            reason = "could not list instances: " .. tostring(list_errors[i]) }
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

-- 2. Balance first: one QueryAccountBalance, not one InsufficientBalance per
--    instance. Unreadable (no BSS permission, network): a warning, go on.
local balance, low_balance, candidates_held
if opt.balance_check and #candidates > 0 then
  local b, err = ecs.balance()
  if b then
    balance = { available = b.available, currency = b.currency, min = opt.min_balance }
    if b.available < opt.min_balance then
      low_balance = ("account balance %.2f %s is below %.2f: top up first, then run again"):format(
        b.available, b.currency, opt.min_balance)
      ecs.log.error("top up first", { available = b.available, currency = b.currency, min_balance = opt.min_balance,
                                      instances = #candidates })
    end
  else
    ecs.log.warn("could not check the account balance; reactivating anyway", { error = tostring(err) })
    balance = { error = tostring(err) }
  end
end

-- 3. Reactivate the candidates (retrying what is safe to retry).
if low_balance then candidates_held, candidates = candidates, {} end
local results, errors = ecs.parallel(candidates, function(inst)
  local res, err = ecs.reactivate{ instance_id = inst.InstanceId, region = inst.RegionId }
  if not res and err.code == "EDRYRUN" then return { dry_run = true } end
  return res, err
end, { label = "reactivating" })

-- 4. Wait until the reactivated instances are Running: per region, one
--    DescribeInstances per 100 of them per poll (ecs.list_instances splits
--    the ids into chunks of 100).
local function wait_region(region, ids)
  local pending, status, lasterr = {}, {}, nil
  for _, id in ipairs(ids) do pending[id] = true end
  local deadline = ecs.now() + opt.timeout
  while next(pending) do
    local want = {}
    for id in pairs(pending) do want[#want + 1] = id end
    table.sort(want)
    local got, err = ecs.list_instances{ region = region, ids = want }
    local delay = opt.interval
    if got then
      for _, inst in ipairs(got) do
        status[inst.InstanceId] = inst.Status
        if inst.Status == "Running" then pending[inst.InstanceId] = nil end
      end
    else
      lasterr = err
      if not err.retryable then break end
      if type(err.retry_after) == "number" then delay = math.max(delay, err.retry_after) end
    end
    local left = deadline - ecs.now()
    if not next(pending) or left <= 0 then break end
    ecs.sleep(math.min(delay, left))
  end
  return { status = status, pending = pending, err = lasterr }
end

local waited = {}
if opt.wait then
  local by_region, order = {}, {}
  for i, inst in ipairs(candidates) do
    local res = results[i]
    if res and not res.dry_run then
      local r = inst.RegionId
      if not by_region[r] then
        by_region[r] = {}
        order[#order + 1] = r
      end
      table.insert(by_region[r], inst.InstanceId)
    end
  end
  local w = ecs.parallel(order, function(region) return wait_region(region, by_region[region]) end,
                         { label = "waiting for Running" })
  for i, region in ipairs(order) do waited[region] = w[i] or { status = {}, pending = {} } end
end

for i, inst in ipairs(candidates) do
  local res, err = results[i], errors[i]
  local row = { instance_id = inst.InstanceId, region = inst.RegionId, name = inst.InstanceName }
  if res and res.dry_run then
    row.outcome = "planned"
    row.reason = "dry run: would reactivate"
  elseif res then
    row.outcome = "reactivated"
    row.request_id, row.attempts = res.request_id, res.attempts
    local w = waited[inst.RegionId]
    if w then
      row.running = not w.pending[inst.InstanceId]
      if not row.running then
        row.outcome = "not_running"
        row.reason = ("not Running after %gs (last status: %s%s)"):format(opt.timeout,
          tostring(w.status[inst.InstanceId]), w.err and ("; last error: " .. tostring(w.err)) or "")
      end
    end
  else
    row.outcome = "failed"
    row.code = type(err) == "table" and err.code or nil
    row.reason = tostring(err)
  end
  report[#report + 1] = row
end

for _, inst in ipairs(candidates_held or {}) do
  report[#report + 1] = { instance_id = inst.InstanceId, region = inst.RegionId, name = inst.InstanceName,
                          outcome = "failed", code = "LowBalance", reason = low_balance }
end

table.sort(report, function(a, b)
  return (a.region or "") .. (a.instance_id or "") < (b.region or "") .. (b.instance_id or "")
end)

-- 5. Report.
local counts = { reactivated = 0, skipped = 0, failed = 0, planned = 0, not_running = 0 }
for _, row in ipairs(report) do counts[row.outcome] = counts[row.outcome] + 1 end
local incomplete = counts.failed + counts.not_running > 0 or low_balance ~= nil
local stats = ecs.counters()
local doc = {
  run_id = run_id(),
  started = os.date("!%Y-%m-%dT%H:%M:%SZ", started),
  duration_s = ecs.now() - t0,
  account = { access_key_id = creds.access_key_id, provider = creds.provider },
  regions = regions,
  resource_group = opt.resource_group,
  wait = opt.wait and { timeout_s = opt.timeout, interval_s = opt.interval } or false,
  dry_run = ecs.dry_run or false,
  balance = balance,
  top_up_first = low_balance,
  instances = report,
  counts = counts,
  found = #candidates + counts.skipped,
  api_calls = stats.api_calls,
  throttled = stats.throttled,
  exit_code = incomplete and EXIT_INCOMPLETE or 0,
}

-- Writes text to path atomically: a temporary file with an unguessable name
-- in the same directory, then rename (a reader never sees half a file; a
-- failed write leaves the old one).
local function write_atomic(path, text)
  local tmp = ("%s.tmp.%s"):format(path, random_hex(8))
  local f, err = io.open(tmp, "wb")
  if not f then error(("cannot write %s: %s"):format(path, err), 0) end
  local ok, werr = f:write(text)
  local cok, cerr = f:close()
  if not ok or not cok then
    os.remove(tmp)
    error(("cannot write %s: %s"):format(path, tostring(werr or cerr)), 0)
  end
  local rok, rerr = os.rename(tmp, path)
  if not rok then
    os.remove(tmp)
    error(("cannot write %s: %s"):format(path, tostring(rerr)), 0)
  end
end

-- node_exporter textfile format. Every sample carries account= (ECSRUN_ACCOUNT,
-- else the access key id), so one file per account can sit in the same
-- collector folder.
local function metrics_text()
  local L = {}
  local acct = os.getenv("ECSRUN_ACCOUNT")
  if not acct or acct == "" then acct = creds.access_key_id or "" end
  acct = ('account="%s"'):format(acct:gsub('[\\"\n]', { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }))
  local function metric(name, help, typ, samples)
    L[#L + 1] = ("# HELP %s %s"):format(name, help)
    L[#L + 1] = ("# TYPE %s %s"):format(name, typ)
    for _, s in ipairs(samples) do
      local labels = s[1] == "" and ("{" .. acct .. "}") or ("{" .. acct .. "," .. s[1]:sub(2))
      L[#L + 1] = ("%s%s %s"):format(name, labels, s[2])
    end
  end
  metric("ecsrun_reactivate_instances_found", "Instances listed in the covered regions.", "gauge",
         { { "", doc.found } })
  local by = {}
  for _, k in ipairs({ "reactivated", "failed", "skipped", "not_running", "planned" }) do
    by[#by + 1] = { ('{outcome="%s"}'):format(k), counts[k] }
  end
  metric("ecsrun_reactivate_instances", "Instances by outcome of the last run.", "gauge", by)
  metric("ecsrun_reactivate_regions", "Regions the last run covered.", "gauge", { { "", #regions } })
  metric("ecsrun_reactivate_api_calls", "API calls sent by the last run.", "gauge", { { "", doc.api_calls } })
  metric("ecsrun_reactivate_throttled_answers", "Throttled answers in the last run.", "gauge",
         { { "", doc.throttled } })
  metric("ecsrun_reactivate_duration_seconds", "Duration of the last run.", "gauge",
         { { "", ("%.3f"):format(doc.duration_s) } })
  metric("ecsrun_reactivate_exit_code", "Exit code of the last run (0 ok, 4 incomplete).", "gauge",
         { { "", doc.exit_code } })
  metric("ecsrun_reactivate_last_run_timestamp_seconds", "When the last run finished.", "gauge",
         { { "", os.time() } })
  return table.concat(L, "\n") .. "\n"
end

if opt.report then write_atomic(opt.report, ecs.json.encode(doc) .. "\n") end
if opt.metrics then write_atomic(opt.metrics, metrics_text()) end

-- Posts the report; true, or false after logging why (a failed notification
-- never hides the run's own outcome: it turns exit 0 into 5).
local function notify(url)
  local res, err = ecs.http.request{ url = url, method = "POST", body = ecs.json.encode(doc),
                                     headers = { ["content-type"] = "application/json" } }
  if res and res.status >= 200 and res.status < 300 then return true end
  ecs.log.error("could not deliver the report to --notify",
                { host = url:match("^https?://([^/?#]+)"), error = res and ("HTTP " .. res.status) or tostring(err) })
  return false
end
local notified = not opt.notify or notify(opt.notify)

if ecs.log.format() == "json" then
  print(ecs.json.encode({ regions = regions, instances = report, counts = counts, run_id = doc.run_id }))
else
  for _, row in ipairs(report) do
    local extra = row.outcome == "reactivated"
      and ("attempts=%d%s"):format(row.attempts, opt.wait and " running" or "")
      or (row.reason or "")
    print(("%-12s %-16s %-14s %-11s %s"):format(row.instance_id or "-", row.region or "-", row.name or "",
      row.outcome, extra))
  end
  print(("covered %d region(s): %s"):format(#regions, table.concat(regions, " ")))
  if low_balance then print("NOT reactivated: " .. low_balance) end
  print(("%d reactivated, %d skipped, %d failed%s%s"):format(counts.reactivated, counts.skipped, counts.failed,
    counts.not_running > 0 and (", %d NOT running"):format(counts.not_running) or "",
    ecs.dry_run and (", %d planned (dry run: nothing was sent)"):format(counts.planned) or ""))
end
if incomplete then os.exit(EXIT_INCOMPLETE, true) end
if not notified then os.exit(EXIT_NOTIFY, true) end
