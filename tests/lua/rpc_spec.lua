-- Issue 9 (second part): other products' RPC APIs (BSS QueryAccountBalance),
-- ecs.balance, ecs.http.request, reactivate's owner parameters and the
-- simulator's per-account throttling, through the real path: Lua -> C ->
-- HTTP on loopback -> the simulator (its request log and webhook record are
-- what the assertions read back).
local ecs = require "ecs"
local H = require "helpers"

local BSS = "2017-12-14"
local I = H.instance

local fleet = H.fleet({ I("i-own1"), I("i-own2") }, {
  accounts = {
    { access_key_id = "sim-ak", access_key_secret = "sim-secret", balance = 1234.5, currency = "USD",
      keys = { { access_key_id = "sim-ak-2", access_key_secret = "sim-secret-2" } } },
    { access_key_id = "poor-ak", access_key_secret = "poor-secret", balance = -11.19 },
  },
  throttle = { DescribeRegions = { limit = 2, window_s = 3600 } },
  faults = { { action = "ReActivateInstances", instance_id = "i-own2", transport = "reset", apply = true } },
})

local sim = ecs.sim.start(fleet)

-- pcall(fn) must fail with msg raised at the line fn reports via mark().
local line
local function mark() line = debug.getinfo(2, "l").currentline end
local function raises_here(fn, msg)
  line = nil
  local ok, e = pcall(fn)
  assert.is_false(ok)
  assert.is_string(e)
  local where, text = e:match("^(.-:%d+): (.*)$")
  assert.are.equal(msg, text)
  assert.matches("rpc_spec%.lua:" .. line .. "$", where)
end

-- The simulator's API log entries since seq (not the undecodable requests,
-- such as the TLS handshake the ETLS case sends to the plain listener).
local function log_since(seq)
  local out = {}
  for _, e in ipairs(assert(sim:requests())) do
    if e.seq > seq and e.action ~= "" then out[#out + 1] = e end
  end
  return out
end
local function last_seq()
  local l = assert(sim:requests())
  return #l > 0 and l[#l].seq or 0
end

describe("a client for another RPC product", function()
  it("calls BSS QueryAccountBalance with V3 and V1, answered from the fleet's balance", function()
    for _, sig in ipairs({ "v3", "v1" }) do
      local c = sim:client{ product = "bss", version = BSS, signature = sig }
      local body, err = c:call("QueryAccountBalance")
      assert.is_nil(err)
      assert.are.equal("1234.50", body.Data.AvailableAmount)
      assert.are.equal("1234.50", body.Data.AvailableCashAmount)
      assert.are.equal("USD", body.Data.Currency)
      assert.are.equal(true, body.Success)
      assert.are.equal("200", body.Code)
      assert.is_string(body.RequestId)
    end
    local info = sim:client{ product = "bss", version = BSS }:info()
    assert.are.equal("bss", info.product)
    assert.are.equal(BSS, info.version)
  end)

  it("is refused like the real gateway when product and version do not match", function()
    local seq = last_seq()
    local _, err = sim:client{ product = "bss", version = "2014-05-26" }:call("QueryAccountBalance")
    assert.are.equal("InvalidApi.NotFound", err.code)
    assert.are.equal(404, err.status)
    _, err = sim:client{ product = "bss", version = BSS }:call("DescribeRegions")
    assert.are.equal("InvalidApi.NotFound", err.code)
    _, err = sim:client{}:call("QueryAccountBalance")
    assert.are.equal("InvalidApi.NotFound", err.code)
    assert.are.equal(3, #log_since(seq))
  end)

  it("is signed with the same keys, and a wrong secret is refused", function()
    local c = sim:client{ product = "bss", version = BSS,
                          credentials = { access_key_id = "sim-ak", access_key_secret = "not-the-secret" } }
    local body, err = c:call("QueryAccountBalance")
    assert.is_nil(body)
    assert.are.equal("SignatureDoesNotMatch", err.code)
    -- another key of the same account sees the same balance
    c = sim:client{ product = "bss", version = BSS,
                    credentials = { access_key_id = "sim-ak-2", access_key_secret = "sim-secret-2" } }
    assert.are.equal("1234.50", assert(c:call("QueryAccountBalance")).Data.AvailableAmount)
  end)

  it("keeps ECS the default", function()
    local c = sim:client{}
    local info = c:info()
    assert.are.equal("ecs", info.product)
    assert.are.equal("2014-05-26", info.version)
    local body = assert(sim:client{ credentials = { access_key_id = "poor-ak", access_key_secret = "poor-secret" } }
      :call("DescribeInstances", { RegionId = "cn-hangzhou" }))
    assert.is_table(body.Instances)
  end)

  it("raises on a bad product, version or a product without version, at the caller's line", function()
    raises_here(function() mark(); ecs.client{ product = "bss" } end,
      "bad argument #1 to 'client' (version: required for product 'bss')")
    raises_here(function() mark(); ecs.client{ product = "Bss!", version = BSS } end,
      "bad argument #1 to 'client' (product: a short product code expected (e.g. \"bss\"))")
    raises_here(function() mark(); ecs.client{ product = "bss", version = "2017-12" } end,
      "bad argument #1 to 'client' (version: \"YYYY-MM-DD\" expected)")
    raises_here(function() mark(); ecs.client{ product = "bss", version = "2017-12-14\0" } end,
      "bad argument #1 to 'client' (version: \"YYYY-MM-DD\" expected)")
    raises_here(function() mark(); ecs.configure{ product = "bss", version = BSS } end,
      "bad argument #1 to 'configure' (product and version are options of ecs.client, not of configure)")
  end)

  it("refuses (ECONFIG) a product whose endpoint it cannot resolve, without touching the network", function()
    local c = ecs.client{ product = "vpc", version = "2016-04-28", region = "cn-hangzhou",
                          credentials = { access_key_id = "AK", access_key_secret = "SK" } }
    local body, err = c:call("DescribeVpcs")
    assert.is_nil(body)
    assert.are.equal("ECONFIG", err.code)
    assert.matches("no known endpoint for product 'vpc'", err.message)
  end)

  it("holds back mutating calls of any product in a dry run, and audits them", function()
    local audit = H.tmpname(".audit")
    assert(ecs.audit.open(audit))
    -- a dry client (a module-wide dry run is one-way: it would hold back the later specs)
    local c = sim:client{ product = "bss", version = BSS, dry_run = true }
    local seq = last_seq()
    local ok1, body, err = pcall(function() return c:call("CancelOrder", { OrderId = "o-1" }) end)
    local ok2, bal = pcall(function() return c:call("QueryAccountBalance") end)
    assert.is_true(ok1 and ok2)
    assert.is_nil(body)
    assert.are.equal("EDRYRUN", err.code)
    assert.are.equal("1234.50", bal.Data.AvailableAmount) -- read-only: sent
    local sent = log_since(seq)
    assert.are.equal(1, #sent)
    assert.are.equal("QueryAccountBalance", sent[1].action)
    local text = H.read(audit)
    assert.matches('"action":"CancelOrder"', text, 1, true)
    assert.matches('"product":"bss","version":"2017-12-14"', text, 1, true)
    assert.is_nil(text:find("QueryAccountBalance", 1, true))
  end)

  it("keys client-side rate limits by product too", function()
    local creds = { access_key_id = "poor-ak", access_key_secret = "poor-secret" }
    local e = sim:client{ qps = 1, region = "cn-hangzhou", credentials = creds }
    local b = sim:client{ qps = 1, region = "cn-hangzhou", product = "bss", version = BSS, credentials = creds }
    e:call("DescribeInstanceStatus")
    local tw = ecs.now()
    b:call("DescribeInstanceStatus") -- same key, region and action, other product: no wait
    assert.is_true(ecs.now() - tw < 0.5)
    e:call("DescribeInstanceStatus") -- same product: waits for the one-second slot
    assert.is_true(ecs.now() - tw >= 0.8)
  end)
end)

describe("ecs.balance", function()
  it("returns the available amount and currency through the default client's settings", function()
    ecs.configure{ endpoint = sim:url(), credentials = { access_key_id = "sim-ak-2", access_key_secret = "sim-secret-2" } }
    local b, err = ecs.balance()
    assert.is_nil(err)
    assert.are.equal(1234.5, b.available)
    assert.are.equal(1234.5, b.available_cash)
    assert.are.equal("USD", b.currency)
    assert.is_string(b.request_id)
    local poor = sim:client{ product = "bss", version = BSS,
                             credentials = { access_key_id = "poor-ak", access_key_secret = "poor-secret" } }
    b = assert(ecs.balance(poor))
    assert.are.equal(-11.19, b.available)
    assert.are.equal("CNY", b.currency)
  end)

  it("works under ecsrun --simulate, as a playbook calls it", function()
    local path = H.write(H.tmpname(".json"), ecs.json.encode(H.fleet({ I("i-cli") }, {
      accounts = { { access_key_id = "sim-ak", access_key_secret = "sim-secret", balance = 80.5 } } })))
    local out, code = H.ecsrun_run("--simulate " .. H.shquote(path) ..
      " -e 'local b = assert(ecs.balance()); print(b.available, b.currency)'")
    assert.are.equal(0, code, out)
    assert.matches("80.5\tCNY", out)
  end)

  it("returns nil, err when the service cannot be reached, and raises on a non-client", function()
    local c = ecs.client{ product = "bss", version = BSS, endpoint = "http://127.0.0.1:1",
                          credentials = { access_key_id = "AK", access_key_secret = "SK" } }
    local b, err = ecs.balance(c)
    assert.is_nil(b)
    assert.are.equal("ECONNECT", err.code)
    -- a broken answer is EJSON, not a made-up balance
    local broken = ecs.sim.start(H.fleet({ I("i-b") }, {
      faults = { { action = "QueryAccountBalance", transport = "malformed", times = 1 },
                 { action = "QueryAccountBalance", error = "NotAuthorized", status = 400, times = 1 } } }))
    b, err = ecs.balance(broken:client{ product = "bss", version = BSS })
    assert.is_nil(b)
    assert.are.equal("EJSON", err.code)
    b, err = ecs.balance(broken:client{ product = "bss", version = BSS })
    assert.is_nil(b)
    assert.are.equal("NotAuthorized", err.code)
    assert.are.equal(1000, assert(ecs.balance(broken:client{ product = "bss", version = BSS })).available)
    broken:stop()
    raises_here(function() mark(); ecs.balance("bss") end,
      "bad argument #1 to 'balance' (client expected, got string)")
  end)
end)

describe("ecs.http.request", function()
  local hook = sim:url() .. "/_sim/webhook"

  local function received()
    local r = assert(ecs.http.request{ url = sim:url() .. "/_sim/webhooks" })
    return ecs.json.decode(r.body)
  end

  it("posts a body with headers and returns status, headers and body", function()
    local n0 = #received()
    local r, err = ecs.http.request{ url = hook, method = "POST", body = '{"text":"4 reactivated"}',
                                     headers = { ["Content-Type"] = "application/json", ["X-Run"] = "r1" } }
    assert.is_nil(err)
    assert.are.equal(200, r.status)
    assert.matches("application/json", r.headers["content-type"], 1, true)
    assert.are.equal(true, ecs.json.decode(r.body).ok)
    local got = received()
    assert.are.equal(n0 + 1, #got)
    local last = got[#got]
    assert.are.equal("POST", last.method)
    assert.are.equal('{"text":"4 reactivated"}', last.body)
    assert.are.equal("r1", last.headers["X-Run"])
    assert.are.equal("application/json", last.headers["Content-Type"])
  end)

  it("returns any HTTP status as an answer", function()
    local r = assert(ecs.http.request{ url = hook .. "?status=503", body = "x" })
    assert.are.equal(503, r.status)
    local n0 = #received()
    r = assert(ecs.http.request{ url = hook, body = ("x"):rep(1024 * 1024 + 1), timeout = 30 })
    assert.are.equal(413, r.status) -- over the receiver's limit: refused, not recorded cut short
    assert.are.equal(n0, #received())
  end)

  it("yields inside tasks, so requests overlap", function()
    local n0 = #received()
    local t0 = ecs.now()
    local ok = ecs.parallel({ 1, 2, 3, 4 }, function(i)
      return assert(ecs.http.request{ url = hook .. "?delay_ms=400", body = "task " .. i }).status
    end, { concurrency = 4 })
    local dt = ecs.now() - t0
    assert.is_table(ok)
    assert.is_true(dt < 1.2, "took " .. dt)
    assert.are.equal(n0 + 4, #received())
  end)

  it("fails with stable codes: ECONNECT, ETIMEDOUT, ETOOBIG, ETLS, ECONFIG", function()
    local _, err = ecs.http.request{ url = "http://127.0.0.1:1/x?token=HOOKSECRET",
                                     headers = { Authorization = "Bearer HOOKSECRET" } }
    assert.are.equal("ECONNECT", err.code)
    assert.is_nil(tostring(err):find("HOOKSECRET", 1, true))
    _, err = ecs.http.request{ url = hook .. "?delay_ms=3000", body = "slow", timeout = 0.3 }
    assert.are.equal("ETIMEDOUT", err.code)
    ecs.http.request{ url = hook, body = ("b"):rep(4096) }
    _, err = ecs.http.request{ url = sim:url() .. "/_sim/webhooks", max_response = 1024 }
    assert.are.equal("ETOOBIG", err.code)
    _, err = ecs.http.request{ url = (sim:url():gsub("^http:", "https:")) .. "/_sim/webhooks", timeout = 3 }
    assert.are.equal("ETLS", err.code)
    _, err = ecs.http.request{ url = "http://hooks.example.invalid/notify?token=HOOKSECRET", body = "x",
                               headers = { Authorization = "Bearer HOOKSECRET" } }
    assert.are.equal("ECONFIG", err.code)
    assert.is_nil(tostring(err):find("HOOKSECRET", 1, true))
    -- a URL that would smuggle a header or a second request never leaves
    local n0 = #received()
    for _, u in ipairs({ hook .. "\r\nX-Evil: 1", hook .. " HTTP/1.1\r\n\r\nPOST /_sim/webhook", "http://[::1/" }) do
      _, err = ecs.http.request{ url = u, body = "x" }
      assert.are.equal("ECONFIG", err.code)
      assert.matches("malformed request URL", err.message, 1, true)
    end
    assert.are.equal(n0, #received())
  end)

  it("takes timeouts and TLS settings from the default client, or the one given", function()
    ecs.configure{ timeout = 0.3 }
    local ok, r, err = pcall(ecs.http.request, { url = hook .. "?delay_ms=3000", body = "slow" })
    ecs.configure{ timeout = 10 }
    assert.is_true(ok)
    assert.is_nil(r)
    assert.are.equal("ETIMEDOUT", err.code)
    _, err = ecs.http.request{ url = hook .. "?delay_ms=3000", body = "slow", client = sim:client{ timeout = 0.3 } }
    assert.are.equal("ETIMEDOUT", err.code)
    -- an explicit option wins over the client's
    r = assert(ecs.http.request{ url = hook .. "?delay_ms=500", body = "ok", timeout = 5,
                                 client = sim:client{ timeout = 0.3 } })
    assert.are.equal(200, r.status)
  end)

  it("verifies TLS: an untrusted certificate is ETLS, the client's or the request's ca_file trusts it", function()
    local certs = H.tls_certs()
    local tls = H.sim_process_tls(H.fleet({ I("i-tls") }), certs.server, certs.ca)
    local url = tls:url() .. "/_sim/webhook"
    local r, err = ecs.http.request{ url = url, body = "x" }
    assert.is_nil(r)
    assert.are.equal("ETLS", err.code)
    assert.is_false(err.retryable)
    r = assert(ecs.http.request{ url = url, body = "x", ca_file = certs.ca })
    assert.are.equal(200, r.status)
    r = assert(ecs.http.request{ url = url, body = "y", client = ecs.client{ ca_file = certs.ca } })
    assert.are.equal(200, r.status)
    local got = ecs.json.decode(assert(ecs.http.request{ url = tls:url() .. "/_sim/webhooks", ca_file = certs.ca }).body)
    assert.are.equal(2, #got)
    tls:stop()
  end)

  it("raises on bad arguments, naming them, at the caller's line", function()
    raises_here(function() mark(); ecs.http.request{ url = hook, client = "c" } end,
      "bad argument #1 to 'request' (client: ecs client expected, got string)")
    raises_here(function() mark(); ecs.http.request{} end,
      "bad argument #1 to 'request' (url: string expected, got no value)")
    raises_here(function() mark(); ecs.http.request("http://x") end,
      "bad argument #1 to 'request' (table expected, got string)")
    raises_here(function() mark(); ecs.http.request{ url = "ftp://x" } end,
      "bad argument #1 to 'request' (url: must start with https:// or http://)")
    raises_here(function() mark(); ecs.http.request{ url = hook, method = "TRACE" } end,
      "bad argument #1 to 'request' (method: one of GET, POST, PUT, PATCH, DELETE expected, got 'TRACE')")
    raises_here(function() mark(); ecs.http.request{ url = hook, headers = { ["X-A"] = "a\r\nX-Evil: 1" } } end,
      "bad argument #1 to 'request' (headers['X-A']: must not contain CR, LF or NUL (or exceed 64 KiB))")
    raises_here(function() mark(); ecs.http.request{ url = hook, headers = { ["Bad Name"] = "v" } } end,
      "bad argument #1 to 'request' (headers: invalid header name 'Bad Name')")
    raises_here(function() mark(); ecs.http.request{ url = hook, method = "GET", body = "x" } end,
      "bad argument #1 to 'request' (body: not allowed with method GET)")
    raises_here(function() mark(); ecs.http.request{ url = hook, timeout = 0 / 0 } end,
      "bad argument #1 to 'request' (timeout: must be between 0.001 and 3600)")
    raises_here(function() mark(); ecs.http.request{ url = "http://127.0.0.1\0.evil/" } end,
      "bad argument #1 to 'request' (url: must not contain a NUL byte)")
    raises_here(function() mark(); ecs.http.request{ url = hook, tiemout = 1 } end,
      "bad argument #1 to 'request' (unknown option 'tiemout')")
  end)
end)

describe("ecs.reactivate with owner parameters", function()
  it("sends them on the wire, and on the lookup after an ambiguous failure", function()
    local c = sim:client{ region = "cn-hangzhou" }
    local seq = last_seq()
    local r, err = c:reactivate{ instance_id = "i-own1", OwnerId = 1234567890123, OwnerAccount = "ops@example.com",
                                 ResourceOwnerId = "42", ResourceOwnerAccount = "owner" }
    assert.is_nil(err)
    assert.are.equal("i-own1", r.instance_id)
    local sent = log_since(seq)
    assert.are.equal(1, #sent)
    for _, p in ipairs({ "InstanceId", "OwnerId", "OwnerAccount", "ResourceOwnerId", "ResourceOwnerAccount" }) do
      assert.matches(p, sent[1].params, 1, true)
    end
    -- the connection dies after the change applied: the lookup carries them too
    seq = last_seq()
    r, err = c:reactivate{ instance_id = "i-own2", OwnerId = 7, ResourceOwnerAccount = "owner" }
    assert.is_nil(err)
    assert.is_true(r.verified)
    sent = log_since(seq)
    assert.are.equal("ReActivateInstances", sent[1].action)
    assert.are.equal("DescribeInstances", sent[2].action)
    assert.matches("OwnerId", sent[2].params, 1, true)
    assert.matches("ResourceOwnerAccount", sent[2].params, 1, true)
    assert.are.equal(2, #sent) -- not re-sent
  end)

  it("raises on bad owner parameters at the caller's line", function()
    raises_here(function() mark(); ecs.reactivate{ instance_id = "i-x", OwnerId = -1 } end,
      "bad argument #1 to 'reactivate' (OwnerId: non-negative integer expected)")
    raises_here(function() mark(); ecs.reactivate{ instance_id = "i-x", ResourceOwnerId = "12a" } end,
      "bad argument #1 to 'reactivate' (ResourceOwnerId: non-negative integer expected)")
    raises_here(function() mark(); ecs.reactivate{ instance_id = "i-x", OwnerId = 1.5 } end,
      "bad argument #1 to 'reactivate' (OwnerId: non-negative integer expected)")
    raises_here(function() mark(); ecs.reactivate{ instance_id = "i-x", OwnerAccount = "" } end,
      "bad argument #1 to 'reactivate' (OwnerAccount: non-empty string expected)")
    raises_here(function() mark(); ecs.reactivate{ instance_id = "i-x", ResourceOwnerAccount = "a\0b" } end,
      "bad argument #1 to 'reactivate' (ResourceOwnerAccount: non-empty string expected)")
    raises_here(function() mark(); ecs.reactivate{ instance_id = "i-x", OwnerId = ("9"):rep(21) } end,
      "bad argument #1 to 'reactivate' (OwnerId: non-negative integer expected)")
  end)
end)

describe("the simulator's throttling", function()
  it("counts per account: two keys of one account share a bucket, another account has its own", function()
    local k1 = sim:client{ region = "cn-hangzhou" }
    local k2 = sim:client{ region = "cn-hangzhou", credentials = { access_key_id = "sim-ak-2", access_key_secret = "sim-secret-2" } }
    local other = sim:client{ region = "cn-hangzhou", credentials = { access_key_id = "poor-ak", access_key_secret = "poor-secret" } }
    assert(k1:call("DescribeRegions"))
    assert(k2:call("DescribeRegions"))
    local body, err = k1:call("DescribeRegions")
    assert.is_nil(body)
    assert.are.equal("Throttling.User", err.code)
    _, err = k2:call("DescribeRegions")
    assert.are.equal("Throttling.User", err.code)
    assert(other:call("DescribeRegions"))
  end)
end)
