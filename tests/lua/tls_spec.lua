-- Transport security, for real: ecs-sim serves HTTPS (libmicrohttpd with
-- GnuTLS) with certificates made in this run by the openssl CLI, and the
-- client verifies them (libcurl, system CA store unless ca_file). Plain
-- http:// to anything but loopback is refused before any connection; with
-- insecure_http it goes out - here only to a proxy on 127.0.0.1, so that no
-- packet of the suite ever leaves the host.
local ecs = require "ecs"
local H = require "helpers"

local ENV = { ALIBABA_CLOUD_ACCESS_KEY_ID = "sim-ak", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "sim-secret" }
local CREDS = { access_key_id = "sim-ak", access_key_secret = "sim-secret" }
local fleet = H.fleet({ H.instance("i-tls1"), H.instance("i-tls2"), H.instance("i-tls3") })

-- A client of url that trusts ca (nil: the system store), sending once.
local function client(url, ca)
  return ecs.client{ endpoint = url, region = "cn-hangzhou", credentials = CREDS, ca_file = ca,
                     connect_timeout = 2, timeout = 5 }
end

local function assert_etls(err, pattern)
  assert.is_table(err)
  assert.are.equal("ETLS", err.code, tostring(err))
  assert.are.equal("transport", err.kind)
  assert.is_false(err.retryable)
  assert.is_truthy(err.message:find("TLS error with 127.0.0.1: ", 1, true), err.message)
  if pattern then assert.is_truthy(err.message:find(pattern), err.message) end
end

describe("https with the simulator", function()
  local certs, sim, self_sim, wrong_sim

  setup(function()
    certs = H.tls_certs()
    sim = H.sim_process_tls(fleet, certs.server, certs.ca)
    self_sim = H.sim_process_tls(fleet, certs.self, certs.ca)
    wrong_sim = H.sim_process_tls(fleet, certs.wrong, certs.ca)
  end)

  teardown(function()
    for _, s in ipairs({ sim, self_sim, wrong_sim }) do if s then s:stop() end end
    if certs then os.execute("rm -rf " .. H.shquote(certs.dir)) end
  end)

  it("serves https and a client trusting the test CA reactivates an instance", function()
    assert.is_truthy(sim:url():match("^https://127%.0%.0%.1:%d+$"))
    local c = sim:client{ region = "cn-hangzhou" } -- carries the handle's ca_file
    local res, err = c:reactivate{ instance_id = "i-tls1", retry = false }
    assert.is_nil(err, tostring(err))
    assert.are.equal("i-tls1", res.instance_id)
    local state = assert(sim:state()) -- /_sim/state over https, through the same engine
    local st = H.by_id(state)["i-tls1"].Status
    assert.is_truthy(st == "Starting" or st == "Running", st)
    assert.are.equal("Stopped", H.by_id(state)["i-tls2"].Status)
  end)

  it("fails with ETLS and curl's reason against the system store", function()
    local res, err = client(sim:url()):call("DescribeRegions", {})
    assert.is_nil(res)
    assert_etls(err, "certificate")
    -- the /_sim endpoints go through the same verification
    local st, err2 = ecs.sim.connect(sim:url()):state()
    assert.is_nil(st)
    assert_etls(err2)
  end)

  it("fails with ETLS for a self-signed server certificate", function()
    local res, err = client(self_sim:url(), certs.ca):call("DescribeRegions", {})
    assert.is_nil(res)
    assert_etls(err, "self[- ]signed")
    res, err = client(self_sim:url()):call("DescribeRegions", {})
    assert.is_nil(res)
    assert_etls(err)
    -- nothing got past the handshake (read with the certificate as its own CA)
    local reqs = assert(ecs.sim.connect(self_sim:url(), nil, { ca_file = certs.self.cert }):requests())
    assert.are.equal(0, #reqs)
  end)

  it("fails with ETLS naming the host for a certificate of another name", function()
    local res, err = client(wrong_sim:url(), certs.ca):call("DescribeRegions", {})
    assert.is_nil(res)
    assert_etls(err, "127%.0%.0%.1'")
    assert.is_truthy(err.message:find("name", 1, true), err.message)
  end)

  it("fails with ETLS for a CA file that cannot be read", function()
    local res, err = client(sim:url(), certs.dir .. "/missing.pem"):call("DescribeRegions", {})
    assert.is_nil(res)
    assert_etls(err)
  end)

  it("ecsrun --ca-file reactivates end to end; without it the script gets ETLS", function()
    local script = H.write(H.tmpname(".lua"), [[
      local res, err = ecs.reactivate{ instance_id = ..., retry = false }
      print(res and "ok" or (err.code .. " " .. tostring(err.retryable)))
    ]])
    local out, code, errout = H.ecsrun_run("--region cn-hangzhou --endpoint " .. sim:url() ..
      " --ca-file " .. H.shquote(certs.ca) .. " " .. script .. " i-tls2", ENV, { split = true })
    assert.are.equal(0, code, errout)
    assert.are.equal("ok\n", out)
    out, code = H.ecsrun_run("--region cn-hangzhou --endpoint " .. sim:url() .. " " .. script .. " i-tls3", ENV)
    assert.are.equal(0, code, out)
    assert.are.equal("ETLS false\n", out)
    local byid = H.by_id(assert(sim:state()))
    assert.are_not.equal("Stopped", byid["i-tls2"].Status)
    assert.are.equal("Stopped", byid["i-tls3"].Status)
  end)

  it("rejects a bad ca_file option as misuse", function()
    assert.has_error(function() ecs.client{ ca_file = 42 } end)
    assert.has_error(function() ecs.sim.connect(sim:url(), nil, { ca_file = 42 }) end,
                     "bad argument #3 to 'connect' (ca_file: string expected)")
    assert.has_error(function() ecs.sim.connect(sim:url(), nil, { cafile = "x" }) end,
                     "bad argument #3 to 'connect' (unknown option 'cafile')")
  end)
end)

describe("ecs-sim TLS options", function()
  it("refuses half a pair and an unreadable certificate", function()
    local path = H.write(H.tmpname(".json"), ecs.json.encode(fleet))
    local out, code = H.run(H.ecs_sim .. " --tls-cert /nonexistent.pem " .. path)
    assert.are.equal(2, code, out)
    assert.is_truthy(out:find("--tls-cert and --tls-key go together", 1, true), out)
    out, code = H.run(H.ecs_sim .. " --tls-cert /nonexistent.pem --tls-key /nonexistent.key " .. path)
    assert.are.equal(1, code, out)
    assert.is_truthy(out:find("tls: certificate /nonexistent.pem", 1, true), out)
    os.remove(path)
  end)
end)

describe("plain http", function()
  local remote = "http://192.0.2.1" -- TEST-NET-1: must never be contacted

  it("is refused with ECONFIG before any connection to a non-loopback host", function()
    local t0 = ecs.now()
    local res, err = client(remote):call("DescribeRegions", {})
    assert.is_nil(res)
    assert.are.equal("ECONFIG", err.code)
    assert.are.equal("config", err.kind)
    assert.is_truthy(err.message:find("refusing plain http:// to 192.0.2.1", 1, true), err.message)
    assert.is_true(ecs.now() - t0 < 0.5)
    local out, code = H.ecsrun_run("--region cn-hangzhou --endpoint " .. remote ..
      [[ -e 'local r, e = ecs.call("DescribeRegions", {}) print(e.code)']], ENV)
    assert.are.equal(0, code, out)
    assert.are.equal("ECONFIG\n", out)
  end)

  it("is allowed to loopback addresses", function()
    local sim = H.sim_process(fleet)
    finally(function() sim:stop() end)
    local url = sim:url():gsub("127%.0%.0%.1", "localhost")
    local res, err = client(url):call("DescribeRegions", {})
    assert.is_nil(err, tostring(err))
    assert.is_table(res)
  end)

  -- insecure_http lifts the refusal. Proven without traffic leaving the
  -- host: curl honours http_proxy for a non-loopback host, and the proxy is
  -- an ecs-sim on 127.0.0.1, which answers the absolute-form request
  -- ("GET http://ecs.example.invalid/?...") with InvalidApi.NotFound and logs
  -- it. The name is never resolved (the proxy is asked instead).
  it("is let through by --insecure-http (seen at a loopback proxy only)", function()
    local proxy = H.sim_process(fleet)
    finally(function() proxy:stop() end)
    local env = { http_proxy = proxy:url(), no_proxy = "", NO_PROXY = "" }
    for k, v in pairs(ENV) do env[k] = v end
    local script = [[ -e 'local r, e = ecs.call("DescribeRegions", {}) print(e and e.code .. " " .. tostring(e.status))']]
    local out1, code1 = H.ecsrun_run("--region cn-hangzhou --endpoint http://ecs.example.invalid" .. script, env)
    local n1 = #assert(proxy:requests())
    local out2, code2 = H.ecsrun_run("--insecure-http --region cn-hangzhou --endpoint http://ecs.example.invalid" ..
                                     script, env)
    local n2 = #assert(proxy:requests())
    assert.are.equal(0, code1, out1)
    assert.are.equal("ECONFIG nil\n", out1)
    assert.are.equal(0, n1)
    assert.are.equal(0, code2, out2)
    assert.are.equal("InvalidApi.NotFound 404\n", out2)
    assert.are.equal(1, n2)
  end)
end)
