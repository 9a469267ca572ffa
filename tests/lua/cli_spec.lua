-- ecsrun as a user runs it: options, exit codes, arg, errors, and the demo
-- playbook end to end against the ecs-sim program, asserting on /_sim/state.
local ecs = require "ecs"
local H = require "helpers"

local SECRETS = { "sim-secret", "sts-secret", "sts-token-1" }
local function no_secrets(...)
  for i = 1, select("#", ...) do
    local s = select(i, ...)
    if type(s) == "string" then
      for _, secret in ipairs(SECRETS) do
        assert.is_nil(s:find(secret, 1, true), "secret '" .. secret .. "' leaked into output")
      end
    end
  end
end

describe("ecsrun", function()
  it("prints its version and help, exit 0", function()
    local out, code = H.ecsrun_run("--version")
    assert.are.equal(0, code)
    assert.matches("^ecsrun %d+%.%d+%.%d+ %(Lua 5%.4", out)
    out, code = H.ecsrun_run("--help")
    assert.are.equal(0, code)
    assert.matches("usage: ecsrun %[options%] script%.lua", out)
  end)

  it("exits 2 on usage errors, naming the problem", function()
    local cases = {
      { "", "no script given" },
      { "--bogus x.lua", "unknown option '%-%-bogus'" },
      { "--signature v2 -e ''", "%-%-signature must be v1 or v3" },
      { "--region", "option '%-%-region' needs a value" },
      { "--qps zero -e ''", "%-%-qps must be a number" },
      { "--log xml -e ''", "%-%-log must be text or json" },
      { "/nonexistent/script.lua", "cannot open /nonexistent/script.lua" },
    }
    for _, c in ipairs(cases) do
      local out, code = H.ecsrun_run(c[1])
      assert.are.equal(2, code, c[1])
      assert.matches(c[2], out)
    end
  end)

  it("sets arg as lua does and passes script arguments as ...", function()
    local script = H.write(H.tmpname(".lua"), 'print(arg[0] == ..., arg[1], arg[2], select("#", ...), ...)')
    local out, code = H.ecsrun_run("--region cn-hangzhou " .. script .. " one two")
    assert.are.equal(0, code)
    assert.are.equal("false\tone\ttwo\t2\tone\ttwo\n", out)
  end)

  it("preloads ecs as a global that require returns", function()
    local out, code = H.ecsrun_run([[-e 'assert(require("ecs") == ecs) print(ecs.version)']])
    assert.are.equal(0, code)
    assert.matches("^%d+%.%d+%.%d+\n$", out)
  end)

  it("exits 1 with the message and a traceback when the script fails", function()
    local script = H.write(H.tmpname(".lua"), "local function f() error('boom here') end\nf()\n")
    local out, code = H.ecsrun_run(script)
    assert.are.equal(1, code)
    assert.matches("ecsrun: .*boom here", out)
    assert.matches("stack traceback:", out)
  end)

  it("loads scripts as text only", function()
    local path = H.tmpname(".luac")
    H.write(path, string.dump(function() return 1 end))
    local out, code = H.ecsrun_run(path)
    assert.are.equal(2, code)
    assert.matches("binary", out)
  end)

  it("exits 3 with ECREDS naming what it looked for when there are no credentials", function()
    local out, code = H.ecsrun_run([[--region cn-hangzhou -e 'assert(ecs.call("DescribeRegions", {}))']],
      { HOME = H.tmpdir })
    assert.are.equal(3, code)
    assert.matches("ECREDS", out)
    assert.matches("ALIBABA_CLOUD_ACCESS_KEY_ID", out)
  end)

  it("exits 3 with ECONFIG when no region is known", function()
    local out, code = H.ecsrun_run([[-e 'assert(ecs.call("DescribeRegions", {}))']],
      { ALIBABA_CLOUD_ACCESS_KEY_ID = "AKfake", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "sim-secret" })
    assert.are.equal(3, code)
    assert.matches("ECONFIG", out)
    no_secrets(out)
  end)

  it("draws progress on stderr when it is a terminal, and not otherwise", function()
    local code = [[-e 'ecs.parallel({1,2,3,4,5,6}, function() ecs.sleep(0.15) end, { concurrency = 2 })']]
    local out, rc = H.ecsrun_run(code)
    assert.are.equal(0, rc)
    assert.are.equal("", out) -- piped: nothing drawn
    -- script(1) gives ecsrun a terminal
    local tty, rc2 = H.run("script -qec " .. H.shquote(H.ecsrun_cmd(code, { TERM = "xterm" })) .. " /dev/null")
    assert.are.equal(0, rc2)
    assert.matches("\r\27%[K6/6 done, 0 failed in [%d.]+s\r?\n", tty)
    assert.matches("\r\27%[K%d/6 done, 0 failed, %d in flight, [%d.]+/s, ETA %d+s", tty)
  end)

  it("stops on Ctrl-C with 'interrupted!' like lua, even while waiting", function()
    local cmd = H.ecsrun_cmd([[-e 'ecs.spawn(ecs.sleep, 30) ecs.sleep(30)']])
    local t0 = ecs.now()
    local out, rc = H.run(("(%s & pid=$!; sleep 0.5; kill -INT $pid; wait $pid)"):format(cmd))
    assert.are.equal(1, rc)
    assert.matches("interrupted!", out)
    assert.is_true(ecs.now() - t0 < 10, "the 30 s sleep was not interrupted")
  end)

  it("logs every call with -v, and never a secret", function()
    local out, rc, err = H.ecsrun_run("-v --simulate " .. H.src .. "/scripts/fleets/demo.json " ..
      H.src .. "/scripts/reactivate_expired.lua --no-wait", nil, { split = true })
    assert.are.equal(0, rc, err)
    assert.matches("DEBUG call action=ReActivateInstances .*instance_id=i%-demo0001 ok=true", err)
    assert.matches("DEBUG call action=DescribeInstances", err)
    assert.matches("code=InternalError .*status=500", err)
    no_secrets(out, err)
  end)

  it("rejects a bad fleet with exit 2 and a message naming the field", function()
    local bad = H.write(H.tmpname(".json"), ecs.json.encode({
      instances = { { InstanceId = "i-1", RegionId = "cn-hangzhou", Status = "Sleeping",
                      InstanceChargeType = "PostPaid" } } }))
    local out, code = H.ecsrun_run("--simulate " .. bad .. " -e ''")
    assert.are.equal(2, code)
    assert.matches("instances%[0%]%.Status", out)
    local broken = H.write(H.tmpname(".json"), "{ not json")
    out, code = H.ecsrun_run("--simulate " .. broken .. " -e ''")
    assert.are.equal(2, code)
    assert.is_true(#out > 0)
  end)
end)

describe("errors reaching a script run by ecsrun against ecs-sim", function()
  local I = H.instance
  local fleet = H.fleet({
    I("i-prepaid", { InstanceChargeType = "PrePaid" }),
    I("i-sec", { LockReasons = { "financial", "security" } }),
    I("i-running", { Status = "Running", LockReasons = ecs.json.array() }),
    I("i-userstop", { LockReasons = ecs.json.array() }),
    I("i-broken"),
    I("i-poor", { account = "poor-ak" }),
  }, {
    accounts = { { access_key_id = "sim-ak", access_key_secret = "sim-secret", balance = 500 },
                 { access_key_id = "poor-ak", access_key_secret = "poor-secret", balance = 10 } },
    faults = { { action = "ReActivateInstances", instance_id = "i-broken", error = "InternalError", times = -1 } },
  })
  local script = [[
    for _, id in ipairs({ ... }) do
      local res, err = ecs.reactivate{ instance_id = id, retry = false }
      print(ecs.json.encode({ id = id, ok = res ~= nil, code = err and err.code, status = err and err.status,
                              message = err and err.message, request_id = err and err.request_id,
                              text = err and tostring(err) }))
    end
  ]]

  it("gives the script code, HTTP status, message and request id of each documented error", function()
    local sim = H.sim_process(fleet)
    local path = H.write(H.tmpname(".lua"), script)
    local before = H.by_id(assert(sim:state()))
    local out, code, err = H.ecsrun_run("--region cn-hangzhou --endpoint " .. sim:url() .. " " .. path ..
      " i-nope i-prepaid i-sec i-running i-userstop i-broken",
      { ALIBABA_CLOUD_ACCESS_KEY_ID = "sim-ak", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "sim-secret" }, { split = true })
    local out2, code2 = H.ecsrun_run("--region cn-hangzhou --endpoint " .. sim:url() .. " " .. path .. " i-poor",
      { ALIBABA_CLOUD_ACCESS_KEY_ID = "poor-ak", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "poor-secret" })
    local after = H.by_id(assert(sim:state()))
    sim:stop()
    assert.are.equal(0, code, err)
    assert.are.equal(0, code2)
    no_secrets(out, err, out2)
    local rows = {}
    for line in (out .. out2):gmatch("[^\n]+") do
      local r = ecs.json.decode(line)
      rows[r.id] = r
    end
    local expect = {
      ["i-nope"] = { 404, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist." },
      ["i-prepaid"] = { 404, "InvalidPayType.NotSupport", "The specified pre pay instance not support." },
      ["i-sec"] = { 403, "InstanceLockedForSecurity",
                    "The specified operation is denied as your instance is locked for security reasons." },
      ["i-running"] = { 403, "IncorrectInstanceStatus", "The current status of the resource does not support this operation." },
      ["i-userstop"] = { 400, "ReopenInstance.InstanceStatusNotValid",
                         "Instance status is not Expired, ImageExpired or EcsAndImageExpired." },
      ["i-broken"] = { 500, "InternalError", "The request processing has failed due to some unknown error." },
      ["i-poor"] = { 403, "InsufficientBalance", "Your account does not have enough balance." },
    }
    for id, e in pairs(expect) do
      local r = rows[id]
      assert.is_table(r, id)
      assert.is_false(r.ok)
      assert.are.same({ e[1], e[2], e[3] }, { r.status, r.code, r.message })
      assert.matches("^%x+%-%x+%-%x+%-%x+%-%x+$", r.request_id)
      assert.are.equal(("%s (HTTP %d): %s [RequestId %s]"):format(e[2], e[1], e[3], r.request_id), r.text)
      if before[id] then assert.are.same(before[id].Status, after[id].Status, id) end
    end
  end)
end)

describe("the README", function()
  it("has a playbook example that works as written", function()
    local readme = assert(H.read(H.src .. "/README.md"))
    local code = readme:match("## A playbook\n\n```lua\n(.-)```")
    assert.is_string(code)
    local path = H.write(H.tmpname(".lua"), code)
    local out, rc, err = H.ecsrun_run("--region cn-hangzhou --simulate " .. H.src .. "/scripts/fleets/demo.json " .. path,
                                      nil, { split = true })
    assert.are.equal(0, rc, err)
    assert.matches("INFO reactivated id=i%-demo0001 request_id=", err)
    assert.matches("INFO skipped id=i%-demo0003 why=\"locked for security reasons\"", err)
  end)
end)

describe("the demo playbook", function()
  local demo = H.src .. "/scripts/fleets/demo.json"
  local script = H.src .. "/scripts/reactivate_expired.lua"

  it("runs with --simulate as the README says and reports every instance", function()
    local out, code, err = H.ecsrun_run("--simulate " .. demo .. " " .. script, nil, { split = true })
    assert.are.equal(0, code, err)
    no_secrets(out, err)
    local function line(id) return out:match("\n?(" .. id .. "[^\n]*)") end
    assert.matches("reactivated%s+attempts=1 running", line("i%-demo0001"))
    assert.matches("reactivated%s+attempts=3 running", line("i%-demo0002")) -- 2 InternalErrors, then OK
    assert.matches("skipped%s+locked for security reasons", line("i%-demo0003"))
    assert.matches("skipped%s+PrePaid", line("i%-demo0004"))
    assert.matches("skipped%s+status is Running", line("i%-demo0005"))
    assert.matches("skipped%s+stopped, but not for overdue payment", line("i%-demo0006"))
    assert.matches("reactivated", line("i%-demo0007"))
    assert.matches("skipped%s+status is Starting", line("i%-demo0008"))
    assert.matches("reactivated", line("i%-demo0009"))
    assert.matches("4 reactivated, 5 skipped, 0 failed", out)
  end)

  it("changes exactly the overdue instances of a real ecs-sim, once each", function()
    local sim = H.sim_process(H.read(demo))
    local env = { ALIBABA_CLOUD_ACCESS_KEY_ID = "sim-ak", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "sim-secret" }
    local out, code, err = H.ecsrun_run("--endpoint " .. sim:url() .. " --log json " .. script ..
                                        " cn-hangzhou cn-shanghai ap-southeast-1", env, { split = true })
    local state = assert(sim:state())
    local reqs = assert(sim:requests())
    sim:stop()
    assert.are.equal(0, code, err)
    no_secrets(out, err)
    local report = ecs.json.decode(out)
    assert.are.same({ reactivated = 4, skipped = 5, failed = 0, planned = 0, not_running = 0 }, report.counts)
    local st = H.by_id(state)
    for _, id in ipairs({ "i-demo0001", "i-demo0002", "i-demo0007", "i-demo0009" }) do
      assert.are.equal("Running", st[id].Status, id)
    end
    assert.are.equal("Stopped", st["i-demo0003"].Status)
    assert.are.equal("Stopped", st["i-demo0004"].Status)
    assert.are.equal("Stopped", st["i-demo0006"].Status)
    local sent = {}
    for _, r in ipairs(reqs) do
      if r.action == "ReActivateInstances" and r.code == "OK" then
        sent[r.instance_id] = (sent[r.instance_id] or 0) + 1
      end
    end
    assert.are.same({ ["i-demo0001"] = 1, ["i-demo0002"] = 1, ["i-demo0007"] = 1, ["i-demo0009"] = 1 }, sent)
  end)
end)
