-- The policy toolkit through the real path (Lua -> C -> HTTP on loopback ->
-- simulator): concurrency over one curl multi, rate limits, retries, the
-- ambiguous-failure rule, waiting, and what faults come back as. Assertions
-- are on the simulator's own state and request log. Time is only bounded
-- from the safe side (a result must not take N latencies), never to the
-- millisecond.
local ecs = require "ecs"
local H = require "helpers"
local I = H.instance

local function ids(prefix, n)
  local t = {}
  for i = 1, n do t[i] = ("%s%04d"):format(prefix, i) end
  return t
end

local function fleet_of(list, extra)
  local inst = {}
  for i, id in ipairs(list) do inst[i] = I(id) end
  return H.fleet(inst, extra)
end

-- Requests in the log for an action (and instance), grouped by code.
local function codes(reqs, action, id)
  local t = {}
  for _, r in ipairs(reqs) do
    if r.action == action and (id == nil or r.instance_id == id) then t[r.code] = (t[r.code] or 0) + 1 end
  end
  return t
end

describe("concurrency", function()
  it("runs N calls to a slow simulator in about one latency, not N", function()
    local list = ids("i-slow", 20)
    local sim, c = H.sim(fleet_of(list, { latency_ms = 400 }))
    local t0 = ecs.now()
    local results, errors = ecs.parallel(list, function(id)
      return c:call("DescribeInstances", { InstanceIds = ecs.json.encode({ id }) })
    end, { concurrency = 20 })
    local elapsed = ecs.now() - t0
    sim:stop()
    assert.are.same({}, errors)
    assert.are.equal(20, #results)
    for i, id in ipairs(list) do assert.are.equal(id, results[i].Instances.Instance[1].InstanceId) end
    assert.is_true(elapsed < 20 * 0.4 / 4, ("took %.2fs: the calls did not overlap"):format(elapsed))
  end)

  it("lets tasks sleep at the same time", function()
    local t0 = ecs.now()
    for _ = 1, 10 do ecs.spawn(ecs.sleep, 0.3) end
    assert.is_true(ecs.run())
    local elapsed = ecs.now() - t0
    assert.is_true(elapsed >= 0.29 and elapsed < 1.5, tostring(elapsed))
  end)

  it("keeps every other item's result when one item fails or misbehaves", function()
    local items = { 1, 2, 3, 4, 5, 6 }
    local results, errors = ecs.parallel(items, function(n)
      if n == 2 then error("item two broke") end
      if n == 4 then coroutine.yield("raw") end
      if n == 5 then return nil, ecs.error({ code = "ESOMETHING", message = "five" }) end
      ecs.sleep(0.01)
      return n * 10
    end, { concurrency = 3 })
    assert.are.same({ [1] = 10, [3] = 30, [6] = 60 }, results)
    assert.matches("item two broke", errors[2])
    assert.matches("stack traceback", errors[2])
    assert.matches("coroutine.yield inside an ecs task", errors[4])
    assert.are.equal("ESOMETHING", errors[5].code)
  end)

  it("reports a task that yields raw at its own top as a clear error", function()
    local t = ecs.spawn(function() coroutine.yield() end)
    local ok, err = ecs.join(t)
    assert.is_false(ok)
    assert.matches("coroutine.yield inside an ecs task", err)
  end)

  it("leaves coroutines that a task creates alone", function()
    local t = ecs.spawn(function()
      local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
      return gen() + gen() + gen()
    end)
    assert.are.same({ true, 6 }, { ecs.join(t) })
  end)

  it("keeps nothing for calls that raised on their arguments", function()
    local bad = { Tag = { { Key = print } } }
    local before = ecs.stats()
    for _ = 1, 20000 do assert.is_false((pcall(ecs.call, "DescribeInstances", bad))) end
    local after = ecs.stats()
    assert.are.equal(before.calls, after.calls)
    assert.are.equal(0, after.calls)
    assert.are.equal(0, after.transfers)
  end)

  it("reports tasks, calls and transfers in ecs.stats()", function()
    local sim, c = H.sim(fleet_of({ "i-st1" }, { latency_ms = 300 }))
    local seen
    local t = ecs.spawn(function() return c:call("DescribeInstances", {}) end)
    ecs.spawn(function()
      ecs.sleep(0.1)
      seen = ecs.stats()
    end)
    assert.is_true(ecs.run())
    assert.is_true(ecs.join(t))
    sim:stop()
    assert.are.same({ tasks = 2, calls = 1, transfers = 1 }, seen) -- the caller and the sleeper; one call in flight
    assert.are.same({ tasks = 0, calls = 0, transfers = 0 }, ecs.stats())
  end)

  it("raises on misuse, naming the argument", function()
    assert.has_error(function() ecs.parallel(5, print) end, "bad argument #1 to 'parallel' (table expected, got number)")
    assert.has_error(function() ecs.parallel({}, 5) end, "bad argument #2 to 'parallel' (function expected, got number)")
    assert.has_error(function() ecs.parallel({}, print, { concurrency = 0 }) end,
      "bad argument #3 to 'parallel' (concurrency: number >= 1 expected)")
    assert.has_error(function() ecs.parallel({}, print, { bogus = 1 }) end,
      "bad argument #3 to 'parallel' (unknown option 'bogus')")
    assert.has_error(function() ecs.spawn("x") end, "bad argument #1 to 'spawn' (function expected, got string)")
    assert.has_error(function() ecs.sleep(-1) end, "bad argument #1 to 'sleep' (must be a number >= 0)")
  end)
end)

describe("rate limits and retries", function()
  it("keeps a qps limit under the simulator's throttle, with no Throttling answers", function()
    local list = ids("i-qps", 25)
    local sim = ecs.sim.start(fleet_of(list, { throttle = { ReActivateInstances = { limit = 10, window_s = 1 } } }))
    local c = sim:client{ region = "cn-hangzhou", qps = 10 }
    local t0 = ecs.now()
    local _, errors = ecs.parallel(list, function(id) return c:reactivate{ instance_id = id, retry = false } end,
                                   { concurrency = 25 })
    local elapsed = ecs.now() - t0
    local reqs = assert(sim:requests())
    sim:stop()
    assert.are.same({}, errors)
    assert.are.same({ OK = 25 }, codes(reqs, "ReActivateInstances"))
    assert.is_true(elapsed >= 2.0, ("25 calls at 10 qps took only %.2fs"):format(elapsed))
  end)

  it("ends a throttled run with every instance reactivated exactly once", function()
    local list = ids("i-thr", 30)
    local sim = ecs.sim.start(fleet_of(list, { throttle = { ReActivateInstances = { limit = 10, window_s = 1 } } }))
    local c = sim:client{ region = "cn-hangzhou" }
    local results, errors = ecs.parallel(list, function(id)
      return c:reactivate{ instance_id = id, retry = { attempts = 10, base = 0.05, cap = 1 } }
    end, { concurrency = 30 })
    local reqs = assert(sim:requests())
    local state = H.by_id(assert(sim:state()))
    sim:stop()
    assert.are.same({}, errors)
    local throttled = 0
    for i, id in ipairs(list) do
      assert.are.equal(id, results[i].instance_id)
      local by = codes(reqs, "ReActivateInstances", id)
      assert.are.equal(1, by.OK, id)
      throttled = throttled + (by["Throttling.User"] or 0)
      assert.are_not.equal("Stopped", state[id].Status)
    end
    assert.is_true(throttled > 0, "the run was never throttled: the test proves nothing")
  end)

  it("retries InternalError twice, then succeeds", function()
    local sim = ecs.sim.start(fleet_of({ "i-ie" }, {
      faults = { { action = "ReActivateInstances", instance_id = "i-ie", error = "InternalError", times = 2 } } }))
    local c = sim:client{ region = "cn-hangzhou" }
    local res = assert(c:reactivate{ instance_id = "i-ie", retry = { base = 0.01, cap = 0.05 } })
    local reqs = assert(sim:requests())
    sim:stop()
    assert.are.equal(3, res.attempts)
    assert.are.same({ InternalError = 2, OK = 1 }, codes(reqs, "ReActivateInstances", "i-ie"))
  end)

  it("ecs.retry honours retry_after and stops at the attempt limit", function()
    local n, t0 = 0, ecs.now()
    local res, err = ecs.retry(function(attempt)
      n = attempt
      return nil, ecs.error({ code = "Throttling.User", retryable = true, retry_after = 0.2 })
    end, { attempts = 3, base = 0, cap = 0 })
    assert.is_nil(res)
    assert.are.equal(3, n)
    assert.are.equal(3, err.attempts)
    assert.is_true(ecs.now() - t0 >= 0.39)
    local calls = 0
    assert.are.equal("done", ecs.retry(function()
      calls = calls + 1
      if calls < 3 then return nil, ecs.error({ code = "X", retryable = false }) end
      return "done"
    end, { attempts = 5, base = 0.001, on = function(e) return e.code == "X" end }))
  end)

  it("never blindly re-sends a ReActivateInstances that may have been processed", function()
    local sim = ecs.sim.start(fleet_of({ "i-lost", "i-cut" }, {
      faults = {
        -- processed, but the answer is lost: the lookup finds it Starting
        { action = "ReActivateInstances", instance_id = "i-lost", transport = "reset", apply = true },
        -- cut before processing: the lookup finds it still overdue, so resending is safe
        { action = "ReActivateInstances", instance_id = "i-cut", transport = "reset" },
      } }))
    local c = sim:client{ region = "cn-hangzhou" }
    local lost = assert(c:reactivate("i-lost"))
    local cut = assert(c:reactivate("i-cut"))
    local reqs = assert(sim:requests())
    sim:stop()
    assert.is_true(lost.verified)
    assert.are.equal(1, lost.attempts)
    local sent = codes(reqs, "ReActivateInstances", "i-lost")
    local total = 0
    for _, k in pairs(sent) do total = total + k end
    assert.are.equal(1, total) -- sent once, never re-sent
    assert.is_nil(cut.verified)
    assert.are.equal(2, cut.attempts)
    assert.are.equal(1, codes(reqs, "ReActivateInstances", "i-cut").OK)
  end)

  it("ecs.retry's default does not retry an ambiguous mutating failure", function()
    local sim = ecs.sim.start(fleet_of({ "i-amb" }, {
      faults = { { action = "ReActivateInstances", instance_id = "i-amb", transport = "reset", apply = true } } }))
    local c = sim:client{ region = "cn-hangzhou" }
    local res, err = ecs.retry(function() return c:call("ReActivateInstances", { InstanceId = "i-amb" }) end,
                               { attempts = 5, base = 0.01 })
    sim:stop()
    assert.is_nil(res)
    assert.is_truthy(err.code == "ERESET" or err.code == "SignatureNonceUsed", err.code)
    assert.is_true(err.ambiguous)
    assert.are.equal(1, err.attempts)
  end)
end)

describe("waiting and faults", function()
  it("wait_for returns the instance once it is Running", function()
    local sim = ecs.sim.start(fleet_of({ "i-w" }, { start_delay_ms = 300 }))
    local c = sim:client{ region = "cn-hangzhou" }
    assert(c:reactivate("i-w"))
    local inst, err = c:wait_for("i-w", "Running", { interval = 0.1, timeout = 10 })
    sim:stop()
    assert.is_nil(err)
    assert.are.equal("Running", inst.Status)
  end)

  it("wait_for times out cleanly", function()
    local sim = ecs.sim.start(fleet_of({ "i-never" }))
    local c = sim:client{ region = "cn-hangzhou" }
    local t0 = ecs.now()
    local inst, err = c:wait_for("i-never", "Running", { interval = 0.1, timeout = 0.5 })
    sim:stop()
    assert.is_nil(inst)
    assert.are.equal("ETIMEOUT", err.code)
    assert.matches("last status: Stopped", err.message)
    assert.is_true(ecs.now() - t0 < 5)
    local _, e2 = ecs.client{ endpoint = "http://127.0.0.1:1", region = "x",
      credentials = { access_key_id = "a", access_key_secret = "b" } }:wait_for("i-1", "Running", { timeout = 1 })
    assert.are.equal("ETIMEOUT", e2.code) -- a retryable failure is retried until the deadline
    assert.matches("last error: ECONNECT", e2.message)
  end)

  it("returns malformed, HTML and hung answers as errors with their codes", function()
    local sim = ecs.sim.start(fleet_of({ "i-mal", "i-html", "i-hang" }, {
      faults = {
        { action = "ReActivateInstances", instance_id = "i-mal", transport = "malformed", times = -1 },
        { action = "ReActivateInstances", instance_id = "i-html", transport = "html503", times = -1 },
        { action = "ReActivateInstances", instance_id = "i-hang", transport = "hang", times = -1 },
      } }))
    local c = sim:client{ region = "cn-hangzhou", timeout = 0.5 }
    local _, e1 = c:reactivate{ instance_id = "i-mal", retry = false }
    assert.are.equal("EJSON", e1.code)
    assert.are.equal(200, e1.status)
    local _, e2 = c:reactivate{ instance_id = "i-html", retry = false }
    assert.are.equal("EJSON", e2.code)
    assert.are.equal(503, e2.status)
    assert.is_true(e2.retryable)
    local _, e3 = c:reactivate{ instance_id = "i-hang", retry = false }
    assert.are.equal("ETIMEDOUT", e3.code)
    assert.is_true(e3.ambiguous)
    sim:stop()
  end)
end)

describe("instances and reactivatable", function()
  it("page through every instance with NextToken", function()
    local list = ids("i-pg", 250)
    local inst = {}
    for i, id in ipairs(list) do
      inst[i] = I(id, i % 5 == 0 and { Status = "Running", LockReasons = ecs.json.array() } or nil)
    end
    inst[251] = I("i-sec", { LockReasons = { "financial", "security" } })
    inst[252] = I("i-pre", { InstanceChargeType = "PrePaid" })
    local sim = ecs.sim.start(H.fleet(inst))
    local c = sim:client{ region = "cn-hangzhou" }
    local seen = 0
    for _ in c:instances{} do seen = seen + 1 end
    assert.are.equal(252, seen)
    local reqs = assert(sim:requests())
    assert.are.equal(3, codes(reqs, "DescribeInstances").OK)
    local some = {}
    for i = 1, 150 do some[i] = list[i] end
    local n = 0
    for _ in c:instances{ ids = some } do n = n + 1 end
    assert.are.equal(150, n)
    local r = assert(c:reactivatable{})
    assert.are.equal(200, #r) -- 250 - 50 running; security-locked and PrePaid excluded
    for _, i in ipairs(r) do assert.is_true((ecs.classify(i))) end
    local bad = sim:client{ region = "cn-hangzhou", credentials = { access_key_id = "x", access_key_secret = "y" } }
    local ok, err = pcall(function() for _ in bad:instances{} do end end)
    assert.is_false(ok)
    assert.are.equal("InvalidAccessKeyId.NotFound", err.code)
    local l, e = ecs.list_instances{ region = "cn-hangzhou", status = "Bogus" }
    assert.is_nil(l)
    assert.is_table(e)
    sim:stop()
  end)

  it("raise on misuse", function()
    assert.has_error(function() ecs.instances{ regoin = "x" } end, "bad argument #1 to 'instances' (unknown option 'regoin')")
    assert.has_error(function() ecs.instances{ ids = "i-1" } end,
      "bad argument #1 to 'instances' (ids: table (list of instance ids) expected)")
    assert.has_error(function() ecs.wait_for("i-1") end, "bad argument #2 to 'wait_for' (string expected, got no value)")
  end)
end)
