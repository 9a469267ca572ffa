-- The records ecsrun keeps — the audit file and the logs — are complete,
-- parseable and secret-free whatever the disk, the server or the script do:
-- a mutating call whose intent cannot be recorded is not sent; runs never
-- share audit ids; every audit line is valid JSON in valid UTF-8; values of
-- secret-named fields never reach a record; a text log record is one line.
-- Checked through ecsrun against the ecs-sim program (its request log is
-- the ground truth of what was sent).
local ecs = require "ecs"
local H = require "helpers"

local ENV = { ALIBABA_CLOUD_ACCESS_KEY_ID = "sim-ak", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "sim-secret" }

local function fleet(extra)
  return H.fleet({ H.instance("i-rec001"), H.instance("i-rec002") }, extra)
end

-- Runs `code` (written to a script file) under ecsrun against sim.
local function run(sim, args, code, opts)
  local script = H.write(H.tmpname(".lua"), code)
  return H.ecsrun_run(("--endpoint %s --region cn-hangzhou %s %s"):format(sim:url(), args, script), ENV,
                      opts or { split = true })
end

local function sent(sim, action)
  local n = 0
  for _, r in ipairs(assert(sim:requests())) do
    if r.action == action then n = n + 1 end
  end
  return n
end

-- Every line of text is complete, valid UTF-8 and strict JSON.
local function assert_json_lines(text)
  local recs = {}
  for line in text:gmatch("([^\n]*)\n") do
    assert.is_truthy(H.utf8_valid(line), "not valid UTF-8: " .. line)
    local ok, rec = pcall(ecs.json.decode, line)
    assert.is_true(ok and type(rec) == "table", "not a JSON object: " .. line)
    recs[#recs + 1] = rec
  end
  assert.are.equal("\n", text:sub(-1))
  return recs
end

describe("an audit file that cannot be written", function()
  it("stops the mutating call before it is sent: EAUDIT naming the file, exit 3", function()
    local sim = H.sim_process(fleet())
    local out, code, err = run(sim, "--audit /dev/full", [[
      local r, e = ecs.reactivate("i-rec001")
      print(r, e and e.code, e and e.message)
    ]])
    assert.are.equal(0, sent(sim, "ReActivateInstances"))
    assert.are.equal("Stopped", H.by_id(assert(sim:state()))["i-rec001"].Status)
    assert.matches("nil\tEAUDIT\tcannot write the audit file /dev/full: No space left on device", out)
    assert.are.equal(3, code, err)
    -- the script swallowed the error, ecsrun did not
    assert.matches("audit line%(s%) could not be written", err)
    -- read-only calls need no record and still go through
    out, code = run(sim, "--audit /dev/full", [[print(#ecs.list_instances{})]])
    sim:stop()
    assert.are.equal("2\n", out)
    assert.are.equal(0, code)
  end)

  it("reports a lost outcome line as an audit failure, and the result still reaches the script", function()
    local sim = H.sim_process(fleet())
    local code_for = [[
      local r, e = ecs.reactivate{ instance_id = "%s", retry = false }
      print(r and r.request_id or tostring(e))
    ]]
    -- measure the intent line of the same call for another instance (same length)
    local probe = H.tmpname(".audit")
    local _, c0 = run(sim, "--audit " .. probe, code_for:format("i-rec002"))
    assert.are.equal(0, c0)
    local intent = H.read(probe):match("^([^\n]*\n)")
    -- a file size limit (SIGXFSZ ignored: write fails with EFBIG) that the
    -- intent line fills exactly, so the outcome line cannot be written
    local audit = H.tmpname(".audit")
    local limit = 2 * 512 -- `ulimit -f 2` in /bin/sh's 512-byte blocks
    H.write(audit, ("x"):rep(limit - #intent - 1) .. "\n")
    local script = H.write(H.tmpname(".lua"), code_for:format("i-rec001"))
    local out, code, err = H.run(("(trap '' XFSZ; ulimit -f 2; exec %s)"):format(H.ecsrun_cmd(
      ("--endpoint %s --region cn-hangzhou --audit %s %s"):format(sim:url(), audit, script), ENV)), { split = true })
    local state = H.by_id(assert(sim:state()))
    local nsent = sent(sim, "ReActivateInstances")
    sim:stop()
    assert.are.equal(2, nsent) -- the probe's and this one
    assert.are_not.equal("Stopped", state["i-rec001"].Status)
    assert.matches("^%x+%-%x+%-%x+%-%x+%-%x+\n$", out) -- the request id reached the script
    assert.are.equal(3, code, err)
    assert.matches("cannot write the audit file .*: File too large %(outcome of ReActivateInstances%)", err)
    local text = H.read(audit)
    assert.are.equal(limit, #text)
    assert.matches('"event":"intent".*"instance_id":"i%-rec001"', text)
    assert.is_nil(text:find('"event":"outcome"', 1, true))
  end)
end)

describe("audit ids", function()
  it("carry a random run id, so two runs never share one", function()
    local sim = H.sim_process(fleet())
    local audit = H.tmpname(".audit")
    for _, id in ipairs({ "i-rec001", "i-rec002" }) do
      local _, code, err = run(sim, "--audit " .. audit, ("assert(ecs.reactivate('%s'))"):format(id))
      assert.are.equal(0, code, err)
    end
    sim:stop()
    local recs = assert_json_lines(H.read(audit))
    assert.are.equal(4, #recs)
    local runs = {}
    for _, r in ipairs(recs) do
      assert.matches("^%x+$", r.run)
      assert.is_true(#r.run >= 16, r.run)
      assert.are.equal(r.run .. "-1", r.id)
      runs[r.run] = (runs[r.run] or 0) + 1
    end
    local n = 0
    for _, k in pairs(runs) do
      n = n + 1
      assert.are.equal(2, k)
    end
    assert.are.equal(2, n)
  end)

  local function read_lines(lines)
    local path = H.write(H.tmpname(".audit"), table.concat(lines, "\n") .. "\n")
    return assert(ecs.audit.read(path)), assert(ecs.audit.done(path))
  end

  it("pair an outcome only with the intent of its own run", function()
    -- the run "bbbb" was killed after its intent; "aaaa" had an ok outcome
    -- under the same id (and PID): i-rec002 is still Stopped, not done
    local a, done = read_lines({
      '{"run":"aaaa","event":"intent","id":"4242-1","action":"ReActivateInstances","instance_id":"i-rec001"}',
      '{"run":"bbbb","event":"intent","id":"4242-1","action":"ReActivateInstances","instance_id":"i-rec002"}',
      '{"run":"aaaa","event":"outcome","id":"4242-1","action":"ReActivateInstances","instance_id":"i-rec001","ok":true}',
      '{"run":"cccc","event":"outcome","id":"4242-1","action":"ReActivateInstances","instance_id":"i-rec002","ok":true}',
    })
    assert.are.same({ ["i-rec001"] = true }, done)
    assert.are.same({ ["i-rec002"] = true }, a.pending)
    assert.are.equal(3, #a.calls)
    assert.is_true(a.calls[3].orphan)
  end)

  it("in files of the old format (<pid>-<n>, no run) pair each outcome with the latest open intent", function()
    -- two runs that had the same PID: the second was killed after its intent
    local a, done = read_lines({
      '{"event":"intent","id":"777-1","action":"ReActivateInstances","instance_id":"i-rec001"}',
      '{"event":"outcome","id":"777-1","action":"ReActivateInstances","instance_id":"i-rec001","ok":true}',
      '{"event":"intent","id":"777-1","action":"ReActivateInstances","instance_id":"i-rec002"}',
    })
    assert.are.same({ ["i-rec001"] = true }, done)
    assert.are.same({ ["i-rec002"] = true }, a.pending)
    -- an outcome for another instance under a reused id decides nothing
    a, done = read_lines({
      '{"event":"intent","id":"777-1","action":"ReActivateInstances","instance_id":"i-rec002"}',
      '{"event":"outcome","id":"777-1","action":"ReActivateInstances","instance_id":"i-rec001","ok":true}',
    })
    assert.are.same({}, done)
    assert.are.same({ ["i-rec002"] = true }, a.pending)
  end)
end)

describe("audit lines", function()
  it("are valid JSON in valid UTF-8 whatever the server and the params hold", function()
    local bad = "Bad\255Code\192\128\237\160\128"
    local sim = H.sim_process(fleet({ faults = { { action = "ReActivateInstances", error = bad, status = 400,
                                                   times = -1 } } }))
    local audit = H.tmpname(".audit")
    local _, code, err = run(sim, "--audit " .. audit .. " -v", [[
      local r, e = ecs.reactivate{ instance_id = "i-rec001", retry = false }
      assert(e and e.code:find("\255", 1, true), "the fault did not come through: " .. tostring(e))
      ecs.call("ModifyInstanceAttribute", { InstanceId = "i-rec002", Description = "caf\233 \255\254",
                                           ["Odd\200Name"] = "x", Tag = { { Key = "k\244\144\128\128", Value = "v" } } })
    ]])
    sim:stop()
    assert.are.equal(0, code, err)
    local recs = assert_json_lines(H.read(audit))
    assert.are.equal(4, #recs)
    assert.are.equal("Bad\239\191\189Code\239\191\189\239\191\189\239\191\189\239\191\189\239\191\189", recs[2].code)
    assert.are.equal("caf\239\191\189 \239\191\189\239\191\189", recs[3].params.Description)
    assert.are.equal("x", recs[3].params["Odd\239\191\189Name"])
    -- the -v log of those calls: one line each, valid UTF-8
    for line in err:gmatch("[^\n]*") do
      if line ~= "" then assert.is_truthy(H.utf8_valid(line), "log line not UTF-8: " .. line) end
    end
  end)
end)

describe("secret-named parameters", function()
  local code = [[ecs.call("ModifyInstanceAttribute", { InstanceId = "i-rec001", Password = "Hunter2Pass!",
    Spec = { VncPassword = "Vnc0Secret9", Options = { { ApiToken = "tok-3f9a7c" } } },
    private_key = "PRIVKEYDATA", NextToken = "page-7" })]]
  local leaks = { "Hunter2Pass!", "Vnc0Secret9", "tok-3f9a7c", "PRIVKEYDATA" }

  for _, mode in ipairs({ "--dry-run", "--dry-run -v --log json", "-v", "-v --log json" }) do
    it("never reach the audit file or the log (" .. mode .. ")", function()
      local sim = H.sim_process(fleet())
      local audit = H.tmpname(".audit")
      local out, rc, err = run(sim, mode .. " --audit " .. audit, code)
      sim:stop()
      assert.are.equal(0, rc, err)
      local text = H.read(audit)
      for _, s in ipairs(leaks) do
        assert.is_nil((out .. err):find(s, 1, true), s .. " leaked into the log: " .. err)
        assert.is_nil(text:find(s, 1, true), s .. " leaked into the audit file: " .. text)
      end
      local intent = assert_json_lines(text)[1]
      assert.are.equal("[redacted]", intent.params.Password)
      assert.are.equal("[redacted]", intent.params["Spec.VncPassword"])
      assert.are.equal("[redacted]", intent.params["Spec.Options.1.ApiToken"])
      assert.are.equal("[redacted]", intent.params.private_key)
      assert.are.equal("page-7", intent.params.NextToken) -- a page cursor is no secret
      assert.are.equal("i-rec001", intent.params.InstanceId)
      if mode:find("dry") then assert.matches("%[redacted%]", err) end
    end)
  end
end)

describe("ecs.log", function()
  local fields = [[{ user = "ann", db = { host = "h1", password = "p4ss-w0rd", nested = { { client_secret = "cs-991" } } },
                     list = { { Token = "tk-552" } }, ["Authorization"] = "Bearer zz-1" }]]
  for _, fmt in ipairs({ "text", "json" }) do
    it("redacts secret-named fields at any depth (" .. fmt .. ")", function()
      local out, rc, err = H.ecsrun_run("--log " .. fmt .. " -e " .. H.shquote("ecs.log.info('hello', " .. fields .. ")"),
                                        nil, { split = true })
      assert.are.equal(0, rc, err)
      assert.are.equal("", out)
      for _, s in ipairs({ "p4ss-w0rd", "cs-991", "tk-552", "zz-1" }) do
        assert.is_nil(err:find(s, 1, true), s .. " leaked: " .. err)
      end
      assert.truthy(err:find("ann", 1, true) and err:find("h1", 1, true))
      if fmt == "json" then
        local rec = ecs.json.decode((err:gsub("\n$", "")))
        assert.are.equal("[redacted]", rec.db.password)
        assert.are.equal("[redacted]", rec.db.nested[1].client_secret)
        assert.are.equal("[redacted]", rec.list[1].Token)
      end
    end)
  end

  it("writes one line per record in text mode, escaping newlines, controls and invalid UTF-8", function()
    local code = [[ecs.log.warn("server said:\n2026-01-01T00:00:00Z ERROR forged\r\27[2K", {
      code = "X\n2026-01-01T00:00:00Z INFO forged too", ["k\nINFO"] = "v\0\127\194\155\255", msg2 = 'say "hi"' })]]
    local _, rc, err = H.ecsrun_run("-e " .. H.shquote(code), nil, { split = true })
    assert.are.equal(0, rc, err)
    local line = assert(err:match("^([^\n]*)\n$"), "not exactly one line: " .. err)
    assert.is_nil(line:find("[%z\1-\31\127]"), "control character in: " .. line)
    assert.is_truthy(H.utf8_valid(line))
    assert.is_nil(line:find("\194\155", 1, true)) -- C1 CSI
    assert.matches("server said:\\n2026%-01%-01T00:00:00Z ERROR forged\\r\\x1b%[2K", line, nil, false)
    assert.matches('code="X\\n2026', line, nil, true)
    assert.matches('msg2="say \\"hi\\""', line, nil, true)
    assert.matches("v\\x00\\x7f\\u009b\239\191\189", line, nil, true)
  end)
end)
