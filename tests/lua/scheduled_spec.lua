-- reactivate_expired.lua as operators run it from a scheduler: every region,
-- exit codes to act on, batched waiting, a report and metrics, progress on
-- a terminal. ecsrun runs as a child against the ecs-sim program; the
-- simulator's request log is the ground truth of what was sent.
local ecs = require "ecs"
local H = require "helpers"

local ENV = { ALIBABA_CLOUD_ACCESS_KEY_ID = "sim-ak", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "sim-secret" }
local script = H.src .. "/scripts/reactivate_expired.lua"
local demo = H.src .. "/scripts/fleets/demo.json"

local function env(extra)
  local e = {}
  for k, v in pairs(ENV) do e[k] = v end
  for k, v in pairs(extra or {}) do e[k] = v end
  return e
end

local function count(reqs, action, code)
  local n = 0
  for _, r in ipairs(reqs) do
    if r.action == action and (code == nil or r.code == code) then n = n + 1 end
  end
  return n
end

local function no_secret(s)
  assert.is_nil(tostring(s):find("sim-secret", 1, true), "the secret leaked")
end

-- Runs the playbook against a fresh ecs-sim with fleet; returns out, code,
-- err, the request log and the state.
local function run(fleet, args, extra_env, ecsrun_opts)
  local sim = H.sim_process(fleet)
  local out, code, err = H.ecsrun_run((ecsrun_opts or "") .. " --endpoint " .. sim:url() .. " " .. script ..
                                      " " .. (args or ""),
                                      env(extra_env), { split = true })
  local reqs = assert(sim:requests())
  local state = H.by_id(assert(sim:state()))
  sim:stop()
  no_secret(out)
  no_secret(err)
  return out, code, err, reqs, state
end

describe("reactivate_expired.lua regions", function()
  it("covers every region even when a default region is configured, and says which", function()
    local out, code, err, reqs, state = run(H.read(demo), "", { ALIBABA_CLOUD_REGION_ID = "cn-hangzhou" }, "--log json")
    assert.are.equal(0, code, err)
    local rep = ecs.json.decode(out)
    assert.are.equal(4, rep.counts.reactivated)
    for _, id in ipairs({ "i-demo0001", "i-demo0002", "i-demo0007", "i-demo0009" }) do
      assert.are.equal("Running", state[id].Status, id)
    end
    local covered = {}
    for _, r in ipairs(rep.regions) do covered[r] = true end
    assert.is_true(covered["cn-hangzhou"] and covered["cn-shanghai"] and covered["ap-southeast-1"])
    local logged
    for l in err:gmatch("[^\n]+") do
      local rec = ecs.json.decode(l)
      if rec.msg == "regions covered" then logged = rec end
    end
    assert.are.equal(table.concat(rep.regions, ","), logged.regions) -- logged
    -- DescribeRegions was asked once, at the default region's endpoint
    local dr = {}
    for _, r in ipairs(reqs) do if r.action == "DescribeRegions" then dr[#dr + 1] = r end end
    assert.are.equal(1, #dr)
    assert.are.equal("cn-hangzhou", dr[1].region)
    -- every region listed
    local listed = {}
    for _, r in ipairs(reqs) do if r.action == "DescribeInstances" then listed[r.region] = true end end
    for r in pairs(covered) do assert.is_true(listed[r], r) end
  end)

  it("is narrowed by region arguments (and then asks no DescribeRegions)", function()
    local out, code, err, reqs = run(H.read(demo), "cn-shanghai", { ALIBABA_CLOUD_REGION_ID = "cn-hangzhou" })
    assert.are.equal(0, code, err)
    assert.matches("covered 1 region%(s%): cn%-shanghai\n1 reactivated, 1 skipped, 0 failed", out)
    assert.are.equal(0, count(reqs, "DescribeRegions"))
    assert.are.equal(1, count(reqs, "ReActivateInstances", "OK"))
  end)
end)

describe("reactivate_expired.lua --resource-group", function()
  it("reactivates only that resource group's instances", function()
    local fleet = H.fleet({ H.instance("i-a", { ResourceGroupId = "rg-a" }), H.instance("i-b", { ResourceGroupId = "rg-b" }) })
    local out, code, err, reqs, state = run(fleet, "cn-hangzhou --no-wait --resource-group rg-a")
    assert.are.equal(0, code, err)
    assert.matches("1 reactivated, 0 skipped, 0 failed", out)
    assert.are.equal("Stopped", state["i-b"].Status)
    assert.are_not.equal("Stopped", state["i-a"].Status)
    assert.are.equal(1, count(reqs, "ReActivateInstances"))
  end)
end)

describe("reactivate_expired.lua exit codes", function()
  it("exits 4 when an instance does not reach Running within --timeout", function()
    local fleet = H.fleet({ H.instance("i-slow") }, { start_delay_ms = 600000 })
    local t0 = ecs.now()
    local out, code, err = run(fleet, "cn-hangzhou --timeout 1 --interval 0.2")
    assert.are.equal(4, code, err)
    assert.is_true(ecs.now() - t0 < 20)
    assert.matches("i%-slow%s+cn%-hangzhou%s+i%-slow%s+not_running not Running after 1s %(last status: Starting%)", out)
    assert.matches("0 reactivated, 0 skipped, 0 failed, 1 NOT running", out)
  end)

  it("exits 4 when an instance fails, 0 when all is done", function()
    local fleet = H.fleet({ H.instance("i-ok"), H.instance("i-bad") }, {
      faults = { { action = "ReActivateInstances", instance_id = "i-bad", error = "InsufficientBalance", times = -1 } } })
    local out, code, err = run(fleet, "cn-hangzhou --interval 0.2")
    assert.are.equal(4, code, err)
    assert.matches("i%-bad .* failed%s+InsufficientBalance", out)
    assert.matches("1 reactivated, 0 skipped, 1 failed", out)
    local _, code2, err2 = run(H.fleet({ H.instance("i-ok") }), "cn-hangzhou --interval 0.2")
    assert.are.equal(0, code2, err2)
  end)

  it("exits 1 when the run itself fails, and --log json renders that as one JSON line", function()
    local fleet = H.fleet({ H.instance("i-1") }, {
      faults = { { action = "DescribeRegions", error = "Forbidden.RAM", times = -1 } } })
    local out, code, err = run(fleet, "", { ALIBABA_CLOUD_REGION_ID = "cn-hangzhou" })
    assert.are.equal(1, code)
    assert.are.equal("", out)
    assert.matches("^ecsrun: Forbidden%.RAM %(HTTP 403%)", err)
    local _, code2, err2 = H.ecsrun_run("--log json --region cn-hangzhou --simulate " ..
      H.write(H.tmpname(".json"), ecs.json.encode(fleet)) .. " " .. script, nil, { split = true })
    assert.are.equal(1, code2)
    local last = err2:match("([^\n]+)\n$")
    local rec = ecs.json.decode(last)
    assert.are.equal("error", rec.level)
    assert.are.equal("Forbidden.RAM", rec.code)
    assert.are.equal(1, rec.exit_code)
    assert.matches("^Forbidden%.RAM %(HTTP 403%)", rec.msg)
    for l in err2:gmatch("[^\n]+") do assert.is_table(ecs.json.decode(l), l) end -- every line is JSON
  end)

  it("exits 2 on bad arguments, naming them", function()
    for _, a in ipairs({ "--timeout nan", "--timeout -1", "--interval 0", "--timeout", "--bogus" }) do
      local _, code, err = H.ecsrun_run("--region cn-hangzhou " .. script .. " " .. a, ENV, { split = true })
      assert.are.equal(2, code, a)
      assert.matches("reactivate_expired%.lua: .*%-%-[a-z]+", err)
    end
  end)
end)

describe("reactivate_expired.lua waiting", function()
  it("polls with one DescribeInstances per region and 100 instances, not one per instance", function()
    local inst = {}
    for i = 1, 150 do inst[#inst + 1] = H.instance(("i-h%03d"):format(i)) end
    for i = 1, 30 do
      inst[#inst + 1] = H.instance(("i-s%03d"):format(i), { RegionId = "cn-shanghai", ZoneId = "cn-shanghai-b" })
    end
    local fleet = H.fleet(inst, { start_delay_ms = 1200 })
    local report = H.tmpname(".json")
    local out, code, err, reqs, state = run(fleet, "cn-hangzhou cn-shanghai --interval 0.3 --report " .. report)
    assert.are.equal(0, code, err)
    assert.matches("180 reactivated, 0 skipped, 0 failed", out)
    for id, i in pairs(state) do assert.are.equal("Running", i.Status, id) end
    -- listing: 2 pages + 1; each poll: 2 calls (150 ids in chunks of 100) + 1.
    -- One call per instance per poll would be at least 180.
    local n = count(reqs, "DescribeInstances")
    assert.is_true(n >= 6 and n <= 40, "DescribeInstances calls: " .. n)
    local rep = ecs.json.decode(H.read(report))
    assert.are.same({ timeout_s = 900, interval_s = 0.3 }, rep.wait) -- the default timeout fits ~10 min
  end)
end)

describe("reactivate_expired.lua --report and --metrics", function()
  local function throttled_fleet()
    local inst = {}
    for i = 1, 5 do inst[i] = H.instance(("i-r%d"):format(i)) end
    inst[6] = H.instance("i-sec", { LockReasons = { "financial", "security" } })
    return H.fleet(inst, { throttle = { ReActivateInstances = { limit = 2, window_s = 1 } } })
  end

  it("writes the run's report as JSON and its metrics in node_exporter's format", function()
    local dir = H.tmpname("_out")
    os.execute("mkdir -p " .. dir)
    local report, metrics = dir .. "/report.json", dir .. "/ecsrun.prom"
    local _, code, err, reqs = run(throttled_fleet(), "cn-hangzhou --interval 0.2 --report " .. report ..
                                   " --metrics=" .. metrics, { ECSRUN_RUN_ID = "run-42", ECSRUN_ACCOUNT = 'prod"1' })
    assert.are.equal(0, code, err)
    local text = assert(H.read(report))
    no_secret(text)
    local rep = ecs.json.decode(text)
    assert.are.equal("run-42", rep.run_id)
    assert.are.same({ access_key_id = "sim-ak", provider = "default/env" }, rep.account)
    assert.are.same({ "cn-hangzhou" }, rep.regions)
    local outcome = {}
    for _, row in ipairs(rep.instances) do outcome[row.instance_id] = row.outcome end
    assert.are.same({ ["i-r1"] = "reactivated", ["i-r2"] = "reactivated", ["i-r3"] = "reactivated",
                      ["i-r4"] = "reactivated", ["i-r5"] = "reactivated", ["i-sec"] = "skipped" }, outcome)
    assert.are.equal(6, rep.found)
    assert.are.equal(0, rep.exit_code)
    -- the counts are the simulator's
    local thr = count(reqs, "ReActivateInstances", "Throttling.User")
    assert.is_true(thr > 0)
    assert.are.equal(#reqs, rep.api_calls)
    assert.are.equal(thr, rep.throttled)
    local m = assert(H.read(metrics))
    local v = {}
    for line in m:gmatch("[^\n]+") do
      if line:sub(1, 1) ~= "#" then
        local name, val = line:match("^([%w_]+[^ ]*) ([%d.eE+-]+)$")
        assert.is_string(name, "not a sample line: " .. line)
        v[name] = tonumber(val)
      end
    end
    local A = '{account="prod\\"1"' -- ECSRUN_ACCOUNT, escaped as the format wants
    assert.are.equal(6, v["ecsrun_reactivate_instances_found" .. A .. "}"])
    assert.are.equal(5, v["ecsrun_reactivate_instances" .. A .. ',outcome="reactivated"}'])
    assert.are.equal(1, v["ecsrun_reactivate_instances" .. A .. ',outcome="skipped"}'])
    assert.are.equal(0, v["ecsrun_reactivate_instances" .. A .. ',outcome="failed"}'])
    assert.are.equal(#reqs, v["ecsrun_reactivate_api_calls" .. A .. "}"])
    assert.are.equal(thr, v["ecsrun_reactivate_throttled_answers" .. A .. "}"])
    assert.is_true(v["ecsrun_reactivate_duration_seconds" .. A .. "}"] > 0)
    assert.matches("# TYPE ecsrun_reactivate_instances gauge\n", m)
    -- nothing else was left in the folder (the temporary files were renamed)
    local p = io.popen("ls -A " .. dir)
    local files = p:read("*a")
    p:close()
    assert.are.equal("ecsrun.prom\nreport.json\n", files)
  end)

  it("generates a run id when the scheduler gives none", function()
    local report = H.tmpname(".json")
    local _, code, err = run(H.fleet({ H.instance("i-1") }), "cn-hangzhou --no-wait --report " .. report)
    assert.are.equal(0, code, err)
    assert.matches("^%d%d%d%d%d%d%d%dT%d%d%d%d%d%dZ%-%x+$", ecs.json.decode(H.read(report)).run_id)
  end)

  it("keeps the previous report and metrics whole when the disk is full, and leaves no temporary file", function()
    local dir = H.tmpname("_out")
    os.execute("mkdir -p " .. dir)
    local metrics, report = dir .. "/ecsrun.prom", dir .. "/report.json"
    H.write(metrics, "previous metrics\n")
    H.write(report, "previous report\n")
    local fleet = H.write(H.tmpname(".json"), ecs.json.encode(H.fleet({ H.instance("i-1") })))
    -- no file may grow past 0 bytes (SIGXFSZ ignored: the write fails with EFBIG, as on a full disk)
    for _, args in ipairs({ "--metrics " .. metrics, "--report " .. report }) do
      local out, code = H.run("sh -c " .. H.shquote("trap '' XFSZ; ulimit -f 0; exec " ..
        H.ecsrun_cmd("--region cn-hangzhou --simulate " .. fleet .. " " .. script .. " --no-wait " .. args)))
      assert.are.equal(1, code, out)
      assert.matches("cannot write .*" .. dir:gsub("%p", "%%%0"), out)
    end
    assert.are.equal("previous metrics\n", H.read(metrics))
    assert.are.equal("previous report\n", H.read(report))
    local p = io.popen("ls -A " .. dir)
    local files = p:read("*a")
    p:close()
    assert.are.equal("ecsrun.prom\nreport.json\n", files)
  end)
end)

describe("reactivate_expired.lua progress on a terminal", function()
  local function tty_run(term, flags)
    local cmd = H.ecsrun_cmd(flags .. " --simulate " .. demo .. " " .. script .. " --interval 0.2",
                             { TERM = term })
    return H.run("script -qec " .. H.shquote(cmd) .. " /dev/null")
  end

  it("labels each phase, shows an ETA, ends each phase with one line, and never mixes with -v logs", function()
    local tty, rc = tty_run("xterm", "-v")
    assert.are.equal(0, rc, tty)
    assert.matches("\27%[Kreactivating: %d/4 done, %d failed, %d in flight, [%d.]+/s, ETA %d+s", tty)
    for _, label in ipairs({ "listing regions: 8/8", "reactivating: 4/4", "waiting for Running: 3/3" }) do
      local n = select(2, tty:gsub(label:gsub("%p", "%%%0") .. " done, 0 failed", ""))
      assert.are.equal(1, n, label .. " drawn more than once as the final state in:\n" .. tty)
      assert.matches(label:gsub("%p", "%%%0") .. " done, 0 failed in [%d.]+s\r?\n", tty)
    end
    -- every log line starts a line of its own (after the progress line was cleared)
    for pre in tty:gmatch("(.?.?.?)%d%d%d%d%-%d%d%-%d%dT[%d:]+Z DEBUG") do
      assert.is_true(pre == "" or pre:sub(-1) == "\n" or pre == "\r\27[K" or pre:sub(-3) == "\27[K",
                     ("log line glued to %q"):format(pre))
    end
    assert.is_nil(tty:find("ETA %d+s%d%d%d%d%-"), "a log line was appended to the progress line")
  end)

  it("draws nothing when TERM=dumb", function()
    local tty, rc = tty_run("dumb", "")
    assert.are.equal(0, rc, tty)
    assert.matches("4 reactivated, 5 skipped, 0 failed", tty)
    assert.is_nil(tty:find("\27[K", 1, true))
    assert.is_nil(tty:find(" done, ", 1, true))
  end)
end)

describe("reactivate_expired.lua balance first", function()
  local function poor_fleet(balance, extra)
    local f = H.fleet({ H.instance("i-p1"), H.instance("i-p2"), H.instance("i-p3") }, extra)
    f.accounts = { { access_key_id = "sim-ak", access_key_secret = "sim-secret", balance = balance } }
    return f
  end

  it("says 'top up first' once and sends no ReActivateInstances below --min-balance", function()
    local dir = H.tmpname("_bal")
    os.execute("mkdir -p " .. dir)
    local out, code, err, reqs, state = run(poor_fleet(60), "cn-hangzhou --report " .. dir .. "/r.json")
    assert.are.equal(4, code, err)
    assert.are.equal(1, count(reqs, "QueryAccountBalance", "OK"))
    assert.are.equal(0, count(reqs, "ReActivateInstances"))
    assert.are.equal("Stopped", state["i-p1"].Status)
    local _, n = err:gsub("top up first", "")
    assert.are.equal(1, n, err) -- one line, not one per instance
    assert.matches("NOT reactivated: account balance 60%.00 CNY is below 100%.00: top up first", out)
    assert.matches("0 reactivated, 0 skipped, 3 failed", out)
    local rep = ecs.json.decode(assert(H.read(dir .. "/r.json")))
    assert.are.equal(60, rep.balance.available)
    assert.matches("top up first", rep.top_up_first)
    for _, row in ipairs(rep.instances) do assert.are.equal("LowBalance", row.code) end
    assert.are.equal(4, rep.exit_code)
  end)

  it("reactivates when the balance is enough, and --min-balance sets the bar", function()
    local _, code, err, reqs = run(poor_fleet(150), "cn-hangzhou --interval 0.2")
    assert.are.equal(0, code, err)
    assert.are.equal(3, count(reqs, "ReActivateInstances", "OK"))
    local _, code2, _, reqs2 = run(poor_fleet(150), "cn-hangzhou --min-balance 200")
    assert.are.equal(4, code2)
    assert.are.equal(0, count(reqs2, "ReActivateInstances"))
  end)

  it("goes on with a warning when the balance cannot be read, and --no-balance-check skips it", function()
    local f = poor_fleet(500, { faults = { { action = "QueryAccountBalance", error = "Forbidden.RAM", times = -1 } } })
    local _, code, err, reqs = run(f, "cn-hangzhou --interval 0.2")
    assert.are.equal(0, code, err)
    assert.matches("could not check the account balance; reactivating anyway", err)
    assert.are.equal(3, count(reqs, "ReActivateInstances", "OK"))
    -- without the check, each instance meets the service's own refusal
    local out2, code2, _, reqs2 = run(poor_fleet(10), "cn-hangzhou --interval 0.2 --no-balance-check")
    assert.are.equal(4, code2)
    assert.are.equal(0, count(reqs2, "QueryAccountBalance"))
    assert.are.equal(3, count(reqs2, "ReActivateInstances", "InsufficientBalance"))
    assert.matches("0 reactivated, 0 skipped, 3 failed", out2)
  end)

  it("asks nothing about the balance when there is nothing to reactivate", function()
    local f = poor_fleet(0)
    f.instances = { H.instance("i-run", { Status = "Running", LockReasons = ecs.json.array({}) }) }
    local _, code, err, reqs = run(f, "cn-hangzhou")
    assert.are.equal(0, code, err)
    assert.are.equal(0, count(reqs, "QueryAccountBalance"))
  end)

  it("refuses a bad --min-balance with exit 2", function()
    for _, a in ipairs({ "--min-balance nan", "--min-balance -5", "--min-balance x", "--notify ftp://x" }) do
      local _, code, err = H.ecsrun_run("--region cn-hangzhou " .. script .. " " .. a, ENV, { split = true })
      assert.are.equal(2, code, a)
      assert.matches("reactivate_expired%.lua: %-%-[a-z-]+", err)
    end
  end)
end)

describe("reactivate_expired.lua --notify", function()
  it("posts the final report as JSON to the URL", function()
    local sim = H.sim_process(H.fleet({ H.instance("i-n1") }))
    local out, code, err = H.ecsrun_run("--endpoint " .. sim:url() .. " " .. script .. " cn-hangzhou --interval 0.2" ..
                                        " --notify " .. sim:url() .. "/_sim/webhook", env(), { split = true })
    local hooks = ecs.json.decode(assert(ecs.http.request{ url = sim:url() .. "/_sim/webhooks" }).body)
    sim:stop()
    assert.are.equal(0, code, err)
    no_secret(out)
    assert.are.equal(1, #hooks)
    assert.are.equal("POST", hooks[1].method)
    no_secret(hooks[1].body)
    local rep = ecs.json.decode(hooks[1].body)
    assert.are.equal("reactivated", rep.instances[1].outcome)
    assert.are.equal("i-n1", rep.instances[1].instance_id)
    assert.are.equal("sim-ak", rep.account.access_key_id)
    assert.are.equal(0, rep.exit_code)
  end)

  it("exits 5 when the report cannot be delivered, after doing the work", function()
    local sim = H.sim_process(H.fleet({ H.instance("i-n2") }))
    local _, code, err = H.ecsrun_run("--endpoint " .. sim:url() .. " " .. script .. " cn-hangzhou --interval 0.2" ..
                                      " --notify '" .. sim:url() .. "/_sim/webhook?status=500'", env(), { split = true })
    local state = H.by_id(assert(sim:state()))
    sim:stop()
    assert.are.equal(5, code, err)
    assert.matches("could not deliver the report to %-%-notify", err)
    assert.matches("HTTP 500", err)
    assert.are.equal("Running", state["i-n2"].Status)
  end)
end)

describe("reactivate_expired.lua --audit resume", function()
  -- An audit file kept across scheduled runs must not hold back an instance
  -- that is overdue again days later (it would be released after ~15 days);
  -- a record from the last --resume-window seconds still does.
  local function audit_with_done(path, id, time)
    local run = "0123456789abcdef"
    H.write(path, ecs.json.encode({ time = time, run = run, event = "intent", id = run .. "-1",
                                    action = "ReActivateInstances", instance_id = id, region = "cn-hangzhou" }) .. "\n" ..
                  ecs.json.encode({ time = time, run = run, event = "outcome", id = run .. "-1",
                                    action = "ReActivateInstances", instance_id = id, ok = true }) .. "\n")
  end

  it("reactivates again an instance an old audit record says was done", function()
    local audit = H.tmpname(".audit")
    audit_with_done(audit, "i-again", os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - 3 * 86400))
    local out, code, err, reqs = run(H.fleet({ H.instance("i-again") }), "cn-hangzhou --interval 0.2",
                                     nil, "--audit " .. audit)
    assert.are.equal(0, code, err)
    assert.are.equal(1, count(reqs, "ReActivateInstances", "OK"))
    assert.matches("1 reactivated, 0 skipped, 0 failed", out)
  end)

  it("leaves alone an instance reactivated within the window, and the window is a flag", function()
    local audit = H.tmpname(".audit")
    audit_with_done(audit, "i-fresh", os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - 60))
    local out, code, err, reqs = run(H.fleet({ H.instance("i-fresh") }), "cn-hangzhou", nil, "--audit " .. audit)
    assert.are.equal(0, code, err)
    assert.are.equal(0, count(reqs, "ReActivateInstances"))
    assert.matches("i%-fresh .* skipped%s+reactivated by an earlier run %(audit%)", out)
    local _, code2, err2, reqs2 = run(H.fleet({ H.instance("i-fresh") }), "cn-hangzhou --interval 0.2 --resume-window 10",
                                      nil, "--audit " .. audit)
    assert.are.equal(0, code2, err2)
    assert.are.equal(1, count(reqs2, "ReActivateInstances", "OK"))
  end)
end)
