-- README's "Retries" promise through the real path (Lua -> C -> HTTP on
-- loopback -> the simulator): ambiguous 5xx answers are verified, the last
-- attempt included; throttling is retried past ECS's minute window, with a
-- server's retry-after honoured up to 120 s; retries carry the SDK's
-- x-acs-retry-attempts. Minutes are covered in milliseconds by advancing the
-- simulator's clock from a stand-in for ecs.sleep (time-scaled, nothing else
-- is replaced: every request still goes over HTTP to the simulator).
local ecs = require "ecs"
local H = require "helpers"
local I = H.instance

local function fleet_of(list, extra)
  local inst = {}
  for i, id in ipairs(list) do inst[i] = I(id) end
  return H.fleet(inst, extra)
end

-- The simulator's log entries for action (and instance id).
local function entries(reqs, action, id)
  local t = {}
  for _, r in ipairs(reqs) do
    if r.action == action and (id == nil or r.instance_id == id) then t[#t + 1] = r end
  end
  return t
end

-- Runs fn with ecs.sleep replaced by one that records each wait and moves
-- the simulator's clock forward by it instead of sleeping. Returns the waits
-- and fn's results.
local function time_scaled(sim, fn)
  local real, waits = ecs.sleep, {}
  ecs.sleep = function(s)
    waits[#waits + 1] = s
    sim:advance(s)
  end
  local r = H.pack(pcall(fn))
  ecs.sleep = real
  if not r[1] then error(r[2], 0) end
  return waits, H.unpack(r, 2, r.n)
end

-- Moves the simulator's clock to just after the start of a window of w
-- seconds (its windows are aligned to multiples of w), so a test sees the
-- whole window and never a lucky end of one.
local function window_start(sim, w)
  local now = sim:advance(0)
  sim:advance(w - now % w + 0.02)
end

describe("a 5xx to ReActivateInstances", function()
  it("is ambiguous, and an applied one counts as done after a lookup (no re-send)", function()
    local list = { "i-500", "i-503", "i-502" }
    local sim, c = H.sim(fleet_of(list, { faults = {
      { action = "ReActivateInstances", instance_id = "i-500", error = "InternalError", apply = true },
      { action = "ReActivateInstances", instance_id = "i-503", error = "ServiceUnavailable", apply = true },
      { action = "ReActivateInstances", instance_id = "i-502", error = "BadGateway", status = 502, apply = true },
    } }))
    local got = {}
    for _, id in ipairs(list) do got[id] = { c:reactivate(id) } end
    local reqs = assert(sim:requests())
    local state = H.by_id(assert(sim:state()))
    sim:stop()
    for _, id in ipairs(list) do
      local res, err = got[id][1], got[id][2]
      assert.is_nil(err, id .. ": " .. tostring(err))
      assert.is_true(res.verified, id)
      assert.are.equal(1, res.attempts, id)
      assert.are.equal(1, #entries(reqs, "ReActivateInstances", id), id .. " was re-sent")
      assert.are_not.equal("Stopped", state[id].Status)
    end
  end)

  it("comes back ambiguous from ecs.call (ecs.retry does not re-send it), a read's 5xx does not", function()
    local sim, c = H.sim(fleet_of({ "i-x" }, { faults = {
      { action = "ReActivateInstances", error = "InternalError", times = -1 },
      { action = "DescribeInstances", error = "InternalError", times = -1 },
    } }))
    local _, e1 = c:call("ReActivateInstances", { InstanceId = "i-x" })
    local _, e2 = c:call("DescribeInstances", {})
    -- so ecs.retry's default sends it once, while a read's 5xx is retried
    local _, e3 = ecs.retry(function() return c:call("ReActivateInstances", { InstanceId = "i-x" }) end,
                            { attempts = 3, base = 0.01 })
    local _, e4 = ecs.retry(function() return c:call("DescribeInstances", {}) end, { attempts = 3, base = 0.01 })
    local reqs = assert(sim:requests())
    sim:stop()
    assert.are.equal(500, e1.status)
    assert.is_true(e1.ambiguous)
    assert.is_true(e1.retryable)
    assert.are.equal(500, e2.status)
    assert.is_false(e2.ambiguous)
    assert.are.equal(1, e3.attempts)
    assert.are.equal(3, e4.attempts)
    assert.are.equal(2, #entries(reqs, "ReActivateInstances")) -- e1's and e3's single sends
  end)

  it("that was not applied is re-sent after the lookup, and the retries say so", function()
    local sim, c = H.sim(fleet_of({ "i-ie" }, { faults = {
      { action = "ReActivateInstances", instance_id = "i-ie", error = "InternalError", times = 2 } } }))
    local res = assert(c:reactivate{ instance_id = "i-ie", retry = { base = 0.01, cap = 0.05 } })
    local reqs = assert(sim:requests())
    sim:stop()
    assert.are.equal(3, res.attempts)
    assert.is_nil(res.verified)
    local sent = entries(reqs, "ReActivateInstances", "i-ie")
    assert.are.equal(3, #sent)
    -- x-acs-retry-attempts: none on the first, then the retry's number
    assert.is_nil(sent[1].retry_attempts)
    assert.is_nil(sent[1].retry_delay_ms)
    assert.are.equal(1, sent[2].retry_attempts)
    assert.are.equal(2, sent[3].retry_attempts)
    for k = 2, 3 do -- the wait before it, in ms, within the policy's cap (0.05 s)
      assert.is_true(sent[k].retry_delay_ms >= 0 and sent[k].retry_delay_ms <= 50, sent[k].retry_delay_ms)
    end
    assert.are.same({ "InternalError", "InternalError", "OK" }, { sent[1].code, sent[2].code, sent[3].code })
    -- each re-send came after a lookup
    local seqs = {}
    for _, r in ipairs(entries(reqs, "DescribeInstances")) do seqs[#seqs + 1] = r.seq end
    assert.are.equal(2, #seqs)
    assert.is_true(sent[1].seq < seqs[1] and seqs[1] < sent[2].seq and sent[2].seq < seqs[2] and seqs[2] < sent[3].seq)
  end)
end)

describe("an ambiguous failure on the last attempt", function()
  it("is looked up too: applied means done", function()
    local sim, c = H.sim(fleet_of({ "i-once", "i-last" }, { faults = {
      { action = "ReActivateInstances", instance_id = "i-once", transport = "reset", apply = true },
      -- first a 500 without effect, then applied and cut on the last attempt
      { action = "ReActivateInstances", instance_id = "i-last", error = "InternalError" },
      { action = "ReActivateInstances", instance_id = "i-last", transport = "reset", apply = true },
    } }))
    local once, e1 = c:reactivate{ instance_id = "i-once", retry = false }
    local last, e2 = c:reactivate{ instance_id = "i-last", retry = { attempts = 2, base = 0.01, cap = 0.02 } }
    local reqs = assert(sim:requests())
    sim:stop()
    assert.is_nil(e1)
    assert.is_true(once.verified)
    assert.are.equal(1, once.attempts)
    assert.is_nil(e2)
    assert.is_true(last.verified)
    assert.are.equal(2, last.attempts)
    for _, r in ipairs(entries(reqs, "ReActivateInstances", "i-last")) do assert.are_not.equal("OK", r.code) end
  end)

  it("still returns the error when the lookup shows nothing happened", function()
    local sim, c = H.sim(fleet_of({ "i-never" }, { faults = {
      { action = "ReActivateInstances", instance_id = "i-never", error = "InternalError", times = -1 } } }))
    local res, err = c:reactivate{ instance_id = "i-never", retry = false }
    local reqs = assert(sim:requests())
    sim:stop()
    assert.is_nil(res)
    assert.are.equal("InternalError", err.code)
    assert.is_true(err.ambiguous)
    assert.are.equal(1, err.attempts)
    assert.are.equal(1, #entries(reqs, "DescribeInstances", nil)) -- it did look
  end)
end)

describe("throttling", function()
  it("without x-acs-retry-after is retried until the next window, beyond attempts", function()
    local sim, c = H.sim(fleet_of({ "i-a", "i-b" }, {
      throttle = { ReActivateInstances = { limit = 1, window_s = 2, retry_after = false } } }))
    window_start(sim, 2)
    assert(c:reactivate("i-a")) -- takes the window's only call
    local _, probe = c:call("ReActivateInstances", { InstanceId = "i-b" })
    assert.are.equal("Throttling.User", probe.code)
    assert.is_nil(probe.retry_after) -- the service did not say when
    local res, err = c:reactivate{ instance_id = "i-b", retry = { attempts = 2, base = 0.05, cap = 0.2 } }
    local reqs = assert(sim:requests())
    sim:stop()
    assert.is_nil(err, tostring(err))
    local sent = entries(reqs, "ReActivateInstances", "i-b")
    assert.are.equal("OK", sent[#sent].code)
    assert.is_true(res.attempts > 2, "throttled answers were counted as attempts")
    assert.are.equal(#sent - 1, res.attempts) -- the probe above aside
    for k = 2, #sent do assert.are.equal(k - 2 > 0 and k - 2 or nil, sent[k].retry_attempts) end
  end)

  it("with the default policy gets through a whole 60 s window, waiting 1-5 s between tries", function()
    local sim, c = H.sim(fleet_of({ "i-a", "i-b" }, {
      throttle = { ReActivateInstances = { limit = 1, window_s = 60, retry_after = false } } }))
    window_start(sim, 60)
    assert(c:reactivate("i-a"))
    local waits, res, err = time_scaled(sim, function() return c:reactivate("i-b") end)
    local reqs = assert(sim:requests())
    sim:stop()
    assert.is_nil(err, tostring(err))
    local sent = entries(reqs, "ReActivateInstances", "i-b")
    for k = 2, #sent do -- x-acs-retry-delay: the wait before each retry, in ms
      assert.are.equal(math.floor(waits[k - 1] * 1000 + 0.5), sent[k].retry_delay_ms)
    end
    local total = 0
    for _, w in ipairs(waits) do
      assert.is_true(w >= 1 and w <= 5, ("a wait of %.3fs"):format(w))
      total = total + w
    end
    assert.is_true(total >= 59 and total <= 65, ("waited %.1fs in all"):format(total))
    assert.are.equal(#waits + 1, res.attempts)
    assert.is_true(res.attempts <= 45, res.attempts .. " tries in a minute is hammering")
    assert.are.equal(res.attempts, #sent)
    assert.are.equal("OK", sent[#sent].code)
    assert.are.equal(#sent - 1, sent[#sent].retry_attempts)
  end)

  it("that never ends is given up after about 70 s of waiting, not sooner", function()
    local sim, c = H.sim(fleet_of({ "i-b" }, {
      throttle = { ReActivateInstances = { limit = 0, window_s = 3600, retry_after = false } } }))
    local waits, res, err = time_scaled(sim, function() return c:reactivate("i-b") end)
    sim:stop()
    assert.is_nil(res)
    assert.are.equal("Throttling.User", err.code)
    local total = 0
    for _, w in ipairs(waits) do total = total + w end
    assert.is_true(total >= 70 and total < 76, ("waited %.1fs in all"):format(total))
    assert.are.equal(#waits + 1, err.attempts)
  end)

  it("honours x-acs-retry-after, but never more than 120 s", function()
    local sim, c = H.sim(fleet_of({ "i-a", "i-b", "i-c" }, {
      throttle = { ReActivateInstances = { limit = 1, window_s = 600 } } }))
    window_start(sim, 600)
    assert(c:reactivate("i-a"))
    local _, probe = c:call("ReActivateInstances", { InstanceId = "i-c" })
    assert.is_true(probe.retry_after > 590) -- the simulator asks for most of 10 minutes
    local waits, res, err = time_scaled(sim, function() return c:reactivate("i-b") end)
    local rwaits = time_scaled(sim, function()
      return ecs.retry(function() return nil, probe end, { attempts = 2, base = 0 })
    end)
    sim:stop()
    assert.is_nil(res)
    assert.are.equal("Throttling.User", err.code)
    assert.are.same({ 120 }, waits) -- capped, then over the 70 s budget
    assert.are.same({ 120 }, rwaits) -- ecs.retry caps it the same way
  end)
end)

describe("retry options", function()
  it("raise on misuse, naming the option", function()
    assert.has_error(function() ecs.retry(function() end, { max_retry_after = 0 / 0 }) end,
      "bad argument #2 to 'retry' (max_retry_after: number of seconds in 0-86400 expected)")
    assert.has_error(function() ecs.retry(function() end, { throttle_for = "70" }) end,
      "bad argument #2 to 'retry' (throttle_for: number of seconds in 0-86400 expected)")
  end)
end)
