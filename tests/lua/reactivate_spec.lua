-- Contract rows for ecs.client, ecs.reactivate and ecs.call, through the real
-- path: Lua -> C -> HTTP on loopback -> the simulator, asserting on the
-- simulator's own state as well as on what the call returned.
local ecs = require "ecs"
local H = require "helpers"

local I = H.instance
local fleet = H.fleet({
  I("i-ok1"), I("i-ok2"), I("i-ok3", { RegionId = "cn-shanghai", ZoneId = "cn-shanghai-b" }),
  I("i-v1"),
  I("i-prepaid", { InstanceChargeType = "PrePaid" }),
  I("i-sec", { LockReasons = { "financial", "security" } }),
  I("i-running", { Status = "Running", LockReasons = ecs.json.array() }),
  I("i-userstop", { LockReasons = ecs.json.array() }),
  I("i-broken"),
  I("i-poor", { account = "poor-ak" }),
}, {
  accounts = {
    { access_key_id = "sim-ak", access_key_secret = "sim-secret", balance = 500 },
    { access_key_id = "poor-ak", access_key_secret = "poor-secret", balance = 20 },
    { access_key_id = "sts-ak", access_key_secret = "sts-secret", balance = 500, security_token = "sts-token-1" },
  },
  faults = { { action = "ReActivateInstances", instance_id = "i-broken", error = "InternalError", times = -1 } },
})

describe("ecs.client", function()
  it("builds a client and reports its settings, never the secret", function()
    local c = ecs.client{ region = "cn-beijing", endpoint = "http://127.0.0.1:1", signature = "v1", qps = 5,
                          credentials = { access_key_id = "AK1", access_key_secret = "SECRET1" } }
    local info = c:info()
    assert.are.equal("cn-beijing", info.region)
    assert.are.equal("v1", info.signature)
    assert.are.equal(5, info.qps)
    assert.are.equal("AK1", info.access_key_id)
    for _, v in pairs(info) do assert.are_not.equal("SECRET1", v) end
  end)

  it("raises on misuse, naming the option", function()
    assert.has_error(function() ecs.client{ regoin = "x" } end, "bad argument #1 to 'client' (unknown option 'regoin')")
    assert.has_error(function() ecs.client{ region = 5 } end, "bad argument #1 to 'client' (region: string expected, got number)")
    assert.has_error(function() ecs.client{ signature = "v2" } end, "bad argument #1 to 'client' (signature: must be \"v3\" or \"v1\")")
    assert.has_error(function() ecs.client{ endpoint = "ftp://x" } end, "bad argument #1 to 'client' (endpoint: must start with https:// or http://)")
    assert.has_error(function() ecs.client{ credentials = { access_key_id = "a" } } end,
      "bad argument #1 to 'client' (credentials.access_key_secret: non-empty string expected)")
    assert.has_error(function() ecs.client("x") end, "bad argument #1 to 'client' (table expected, got string)")
  end)

  it("takes what it does not set from the default client", function()
    ecs.configure{ region = "cn-qingdao", signature = "v1" }
    local c = ecs.client{ credentials = { access_key_id = "a", access_key_secret = "b" } }
    assert.are.equal("cn-qingdao", c:info().region)
    assert.are.equal("v1", c:info().signature)
    ecs.configure{ signature = "v3" }
  end)
end)

describe("ecs.reactivate", function()
  local sim, c
  setup(function() sim, c = H.sim(fleet) end)
  teardown(function() sim:stop() end)

  local function state_of(id)
    return H.by_id(assert(sim:state()))[id]
  end

  it("reactivates an overdue instance (table form)", function()
    local res, err = c:reactivate{ instance_id = "i-ok1", region = "cn-hangzhou" }
    assert.is_nil(err)
    assert.are.equal("i-ok1", res.instance_id)
    assert.are.equal("cn-hangzhou", res.region)
    assert.are.equal(1, res.attempts)
    assert.matches("^%x+%-%x+%-%x+%-%x+%-%x+$", res.request_id)
    assert.is_true(res.elapsed >= 0)
    local st = state_of("i-ok1")
    assert.is_true(st.Status == "Starting" or st.Status == "Running")
  end)

  it("reactivates with the string form, region from the client", function()
    local res = assert(c:reactivate("i-ok2"))
    assert.are.equal("cn-hangzhou", res.region)
    assert.are_not.equal("Stopped", state_of("i-ok2").Status)
  end)

  it("works through the module functions and the default client", function()
    ecs.configure{ endpoint = sim:url(), credentials = sim:credentials(), region = "cn-hangzhou" }
    local res = assert(ecs.reactivate{ instance_id = "i-ok3", region = "cn-shanghai" })
    assert.are.equal("cn-shanghai", res.region)
    assert.are_not.equal("Stopped", state_of("i-ok3").Status)
  end)

  it("signs with V1 too, and the simulator accepts it", function()
    local v1 = sim:client{ region = "cn-hangzhou", signature = "v1" }
    assert(v1:reactivate("i-v1"))
    assert.are_not.equal("Stopped", state_of("i-v1").Status)
  end)

  local rows = {
    { "i-nope", 404, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist." },
    { "i-prepaid", 404, "InvalidPayType.NotSupport", "The specified pre pay instance not support." },
    { "i-sec", 403, "InstanceLockedForSecurity",
      "The specified operation is denied as your instance is locked for security reasons." },
    { "i-running", 403, "IncorrectInstanceStatus", "The current status of the resource does not support this operation." },
    { "i-userstop", 400, "ReopenInstance.InstanceStatusNotValid",
      "Instance status is not Expired, ImageExpired or EcsAndImageExpired." },
    { "i-broken", 500, "InternalError", "The request processing has failed due to some unknown error." },
  }
  for _, row in ipairs(rows) do
    local id, status, code, message = row[1], row[2], row[3], row[4]
    it(("returns nil, err for %s (HTTP %d)"):format(code, status), function()
      local before = state_of(id)
      local res, err = c:reactivate{ instance_id = id, retry = false }
      assert.is_nil(res)
      assert.are.equal(code, err.code)
      assert.are.equal(status, err.status)
      assert.are.equal(message, err.message)
      assert.are.equal("api", err.kind)
      assert.are.equal("ReActivateInstances", err.action)
      assert.are.equal(id, err.instance_id)
      assert.matches("^%x+%-", err.request_id)
      assert.are.equal(status >= 500, err.ambiguous) -- a 5xx to a mutating call may have been applied
      assert.are.equal(status >= 500, err.retryable)
      assert.are.equal(("%s (HTTP %d): %s [RequestId %s]"):format(code, status, message, err.request_id), tostring(err))
      if before then assert.are.same(before.Status, state_of(id).Status) end
    end)
  end

  it("returns InsufficientBalance (HTTP 403) for an account below its minimum balance", function()
    local poor = ecs.client{ endpoint = sim:url(), region = "cn-hangzhou",
                             credentials = { access_key_id = "poor-ak", access_key_secret = "poor-secret" } }
    local res, err = poor:reactivate{ instance_id = "i-poor", retry = false }
    assert.is_nil(res)
    assert.are.equal("InsufficientBalance", err.code)
    assert.are.equal(403, err.status)
    assert.are.equal("Your account does not have enough balance.", err.message)
    assert.are.equal("Stopped", state_of("i-poor").Status)
  end)

  it("retries InternalError by default and reports the attempts", function()
    local res, err = c:reactivate{ instance_id = "i-broken", retry = { attempts = 3, base = 0.01, cap = 0.02 } }
    assert.is_nil(res)
    assert.are.equal("InternalError", err.code)
    assert.are.equal(3, err.attempts)
  end)

  it("raises on misuse, naming the argument", function()
    assert.has_error(function() ecs.reactivate(42) end,
      "bad argument #1 to 'reactivate' (instance id or table expected, got number)")
    assert.has_error(function() ecs.reactivate() end,
      "bad argument #1 to 'reactivate' (instance id or table expected, got no value)")
    assert.has_error(function() ecs.reactivate{ region = "cn-hangzhou" } end,
      "bad argument #1 to 'reactivate' (instance_id: string expected, got nil)")
    assert.has_error(function() ecs.reactivate{ instance_id = "i-1", force = true } end,
      "bad argument #1 to 'reactivate' (unknown option 'force')")
    assert.has_error(function() c:reactivate("") end, "bad argument #1 to 'reactivate' (instance_id must not be empty)")
  end)
end)

describe("ecs.call", function()
  local sim, c
  setup(function() sim, c = H.sim(fleet) end)
  teardown(function() sim:stop() end)

  it("calls any action and returns the decoded body", function()
    local body = assert(c:call("DescribeInstances", { RegionId = "cn-hangzhou", InstanceIds = ecs.json.encode({ "i-sec" }) }))
    assert.are.equal(1, #body.Instances.Instance)
    local inst = body.Instances.Instance[1]
    assert.are.equal("i-sec", inst.InstanceId)
    assert.are.equal("security", inst.OperationLocks.LockReason[2].LockReason)
    assert.is_string(body.RequestId)
  end)

  it("flattens nested tables to RepeatList keys", function()
    local body = assert(c:call("DescribeInstanceStatus", { RegionId = "cn-hangzhou", InstanceId = { "i-sec", "i-running" } }))
    local seen = {}
    for _, s in ipairs(body.InstanceStatuses.InstanceStatus) do seen[s.InstanceId] = s.Status end
    assert.are.same({ ["i-sec"] = "Stopped", ["i-running"] = "Running" }, seen)
  end)

  it("adds the client's region when the params have none", function()
    local body = assert(c:call("DescribeInstances", { InstanceIds = ecs.json.encode({ "i-prepaid" }) }))
    assert.are.equal("i-prepaid", body.Instances.Instance[1].InstanceId)
  end)

  it("returns the service's error for an unknown key and a wrong secret", function()
    local bad = ecs.client{ endpoint = sim:url(), region = "cn-hangzhou",
                            credentials = { access_key_id = "nobody", access_key_secret = "x" } }
    local _, err = bad:call("DescribeRegions", {})
    assert.are.equal("InvalidAccessKeyId.NotFound", err.code)
    assert.are.equal(404, err.status)
    local wrong = ecs.client{ endpoint = sim:url(), region = "cn-hangzhou",
                              credentials = { access_key_id = "sim-ak", access_key_secret = "not-the-secret" } }
    _, err = wrong:call("DescribeRegions", {})
    assert.are.equal("SignatureDoesNotMatch", err.code)
    assert.are.equal(400, err.status)
    assert.is_nil(tostring(err):find("not-the-secret", 1, true))
  end)

  it("sends the STS token as the service expects, under V3 and V1", function()
    for _, sig in ipairs({ "v3", "v1" }) do
      local sts = ecs.client{ endpoint = sim:url(), region = "cn-hangzhou", signature = sig,
                              credentials = { access_key_id = "sts-ak", access_key_secret = "sts-secret",
                                              security_token = "sts-token-1" } }
      assert(sts:call("DescribeRegions", {}))
      local nok = ecs.client{ endpoint = sim:url(), region = "cn-hangzhou", signature = sig,
                              credentials = { access_key_id = "sts-ak", access_key_secret = "sts-secret" } }
      local _, err = nok:call("DescribeRegions", {})
      assert.matches("^InvalidSecurityToken%.", err.code)
      assert.are.equal(400, err.status)
    end
  end)

  it("rejects an unknown action as the service does", function()
    local _, err = c:call("ReActivateInstancez", { InstanceId = "i-1" })
    assert.is_truthy(err.code == "InvalidAction" or err.code == "InvalidApi.NotFound", err.code)
    assert.is_truthy(err.status == 403 or err.status == 404)
  end)

  it("answers MissingParameter when InstanceId is missing", function()
    local _, err = c:call("ReActivateInstances", {})
    assert.matches("^MissingParameter", err.code)
    assert.are.equal(400, err.status)
  end)

  it("fails with ECONNECT when nothing listens, not ambiguous", function()
    local dead = ecs.client{ endpoint = "http://127.0.0.1:1", region = "cn-hangzhou",
                             credentials = { access_key_id = "a", access_key_secret = "b" } }
    local res, err = dead:call("DescribeRegions", {})
    assert.is_nil(res)
    assert.are.equal("ECONNECT", err.code)
    assert.are.equal("transport", err.kind)
    assert.is_true(err.retryable)
    assert.is_false(err.ambiguous)
  end)

  it("refuses plain http to a non-loopback host before sending anything", function()
    local c2 = ecs.client{ endpoint = "http://192.0.2.10", region = "cn-hangzhou",
                           credentials = { access_key_id = "a", access_key_secret = "b" } }
    local _, err = c2:call("DescribeRegions", {})
    assert.are.equal("ECONFIG", err.code)
  end)

  it("raises on misuse, naming the argument", function()
    assert.has_error(function() ecs.call(5) end, "bad argument #1 to 'call' (string expected, got number)")
    assert.has_error(function() ecs.call("DescribeRegions", "x") end, "bad argument #2 to 'call' (table expected, got string)")
    assert.has_error(function() c:call("DescribeRegions", { f = print }) end)
  end)
end)
