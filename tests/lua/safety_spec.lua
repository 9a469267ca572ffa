-- Safe to run against production: dry runs send nothing that changes state,
-- and the audit trail survives kill -9 at any moment and lets a rerun resume
-- without repeating finished work. Checked against the simulator's request
-- log, the ground truth of what was sent.
local ecs = require "ecs"
local H = require "helpers"

local ENV = { ALIBABA_CLOUD_ACCESS_KEY_ID = "sim-ak", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "sim-secret" }
local script = H.src .. "/scripts/reactivate_expired.lua"
local demo = H.src .. "/scripts/fleets/demo.json"

local function count(reqs, action, code)
  local n, per = 0, {}
  for _, r in ipairs(reqs) do
    if r.action == action and (code == nil or r.code == code) then
      n = n + 1
      per[r.instance_id] = (per[r.instance_id] or 0) + 1
    end
  end
  return n, per
end

describe("--dry-run", function()
  it("sends no mutating request, reports the plan and exits 0", function()
    local sim = H.sim_process(H.read(demo))
    local out, code, err = H.ecsrun_run("--dry-run --endpoint " .. sim:url() .. " " .. script ..
                                        " cn-hangzhou cn-shanghai ap-southeast-1 --no-wait", ENV, { split = true })
    local reqs = assert(sim:requests())
    local state = H.by_id(assert(sim:state()))
    sim:stop()
    assert.are.equal(0, code, err)
    assert.are.equal(0, (count(reqs, "ReActivateInstances")))
    assert.is_true((count(reqs, "DescribeInstances")) > 0) -- reads went through
    assert.matches("0 reactivated, 5 skipped, 0 failed, 4 planned %(dry run", out)
    assert.matches("dry run: not sent.*action=ReActivateInstances", err)
    for _, id in ipairs({ "i-demo0001", "i-demo0002", "i-demo0007", "i-demo0009" }) do
      assert.are.equal("Stopped", state[id].Status)
    end
  end)

  it("tells the script which mode it is in", function()
    local out = H.ecsrun_run("--dry-run --region cn-hangzhou -e 'print(ecs.dry_run)'")
    assert.are.equal("true\n", out)
    out = H.ecsrun_run("--region cn-hangzhou -e 'print(ecs.dry_run)'")
    assert.are.equal("false\n", out)
    local _, e = ecs.client{ region = "x", credentials = { access_key_id = "a", access_key_secret = "b" } }
    assert.is_table(e == nil and {} or e)
  end)
end)

describe("--audit", function()
  local lines = H.audit_lines

  it("records intent and outcome of every mutating call, and never a secret", function()
    local sim = H.sim_process(H.read(demo))
    local audit = H.tmpname(".audit")
    local _, code, err = H.ecsrun_run("--audit " .. audit .. " --endpoint " .. sim:url() .. " " .. script ..
                                      " cn-hangzhou cn-shanghai ap-southeast-1 --no-wait", ENV, { split = true })
    local reqs = assert(sim:requests())
    sim:stop()
    assert.are.equal(0, code, err)
    local text = H.read(audit)
    assert.is_nil(text:find("sim-secret", 1, true))
    local recs, partial = lines(audit)
    assert.are.equal(0, partial)
    local intents, outcomes = {}, {}
    for _, r in ipairs(recs) do
      assert.are.equal("ReActivateInstances", r.action)
      assert.are.equal("sim-ak", r.access_key_id)
      if r.event == "intent" then intents[r.id] = r else outcomes[r.id] = r end
    end
    local n = 0
    for id, i in pairs(intents) do
      n = n + 1
      assert.is_table(outcomes[id], "intent without outcome: " .. id)
      assert.are.equal(i.instance_id, i.params.InstanceId)
    end
    -- one intent per request the simulator saw (2 InternalErrors + 4 OK)
    assert.are.equal(count(reqs, "ReActivateInstances"), n)
    local a = assert(ecs.audit.read(audit))
    assert.are.same({ ["i-demo0001"] = true, ["i-demo0002"] = true, ["i-demo0007"] = true, ["i-demo0009"] = true }, a.done)
    assert.are.same({}, a.pending)
  end)

  it("survives kill -9 at random moments: the file matches what was sent, and reruns finish the job once", function()
    local list, inst = {}, {}
    for i = 1, 60 do
      list[i] = ("i-k%03d"):format(i)
      inst[i] = H.instance(list[i])
    end
    local mid = 0 -- rounds killed while reactivations were under way
    for round = 1, 8 do
      local sim = H.sim_process(H.fleet(inst, { latency_ms = 40 }))
      local audit = H.tmpname(".audit")
      local cmd = H.ecsrun_cmd("--concurrency 6 --audit " .. audit .. " --endpoint " .. sim:url() .. " " .. script ..
                               " cn-hangzhou --no-wait", ENV)
      -- Kill points spread over the whole run by progress, not by clock (a
      -- slow machine must not move them all before or after the work): after
      -- N intents are in the file, plus a random few milliseconds. Round 1
      -- kills before any reactivation.
      local after = ({ 0, 1, 4, 9, 16, 25, 38, 52 })[round]
      local delay = math.random() * 0.03
      H.run(("(%s >/dev/null 2>&1 & pid=$!; n=0; " ..
             "while [ \"$n\" -lt %d ] && kill -0 $pid 2>/dev/null; do sleep 0.005; " ..
             "n=$(cat %s 2>/dev/null | grep -c '\"event\":\"intent\"'); done; " ..
             "sleep %.3f; kill -9 $pid; wait $pid) 2>/dev/null"):format(cmd, after, audit, delay))
      local reqs = assert(sim:requests())
      local recs = lines(audit)
      -- every request that reached the simulator was announced in the file first
      local announced, finished = {}, {}
      for _, r in ipairs(recs) do
        if r.event == "intent" then announced[r.instance_id] = (announced[r.instance_id] or 0) + 1 end
        if r.event == "outcome" and r.ok then finished[r.instance_id] = true end
      end
      local nsent, sent = count(reqs, "ReActivateInstances")
      if nsent > 0 and nsent < #list then mid = mid + 1 end
      for id, k in pairs(sent) do
        assert.is_true((announced[id] or 0) >= k, ("round %d: %s sent %d times, announced %d"):format(
          round, id, k, announced[id] or 0))
      end
      -- every call the file says finished OK did succeed at the simulator
      local _, ok = count(reqs, "ReActivateInstances", "OK")
      for id in pairs(finished) do
        if ok[id] ~= 1 then
          local mine = {}
          for _, r in ipairs(reqs) do if r.instance_id == id then mine[#mine + 1] = r end end
          local al = {}
          for _, r in ipairs(recs) do if r.instance_id == id then al[#al + 1] = r end end
          error(("round %d: %s: audit says done, simulator log: %s; audit: %s"):format(round, id,
            ecs.json.encode(mine), ecs.json.encode(al)))
        end
      end
      -- a rerun with the same audit file finishes the job; nothing twice
      local _, code, err = H.run(cmd, { split = true })
      assert.are.equal(0, code, err)
      reqs = assert(sim:requests())
      local state = H.by_id(assert(sim:state()))
      sim:stop()
      _, ok = count(reqs, "ReActivateInstances", "OK")
      for _, id in ipairs(list) do
        assert.are.equal(1, ok[id], ("round %d (killed after %d intents + %.3fs): %s"):format(
          round, after, delay, id))
        assert.are_not.equal("Stopped", state[id].Status)
      end
    end
    assert.is_true(mid >= 6, "only " .. mid .. " of 7 kills landed mid-run: the test proved little")
  end)

  it("fails with exit 3 when the audit file cannot be opened", function()
    local out, code = H.ecsrun_run("--audit /nonexistent/dir/x.audit -e ''")
    assert.are.equal(3, code)
    assert.matches("cannot open the audit file", out)
  end)

  it("cannot be read back from a missing file or a directory: nil, err ECONFIG naming the path", function()
    for _, case in ipairs({ { "/nonexistent/dir/x.audit", "No such file or directory" }, { "/", "Is a directory" } }) do
      for _, fn in ipairs({ "read", "done" }) do
        local r, err = ecs.audit[fn](case[1])
        assert.is_nil(r)
        assert.are.equal("ECONFIG", err.code)
        assert.are.equal("config", err.kind)
        assert.are.equal("cannot read the audit file: " .. case[1] .. ": " .. case[2], err.message)
      end
    end
  end)
end)
