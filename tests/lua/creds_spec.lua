-- Credentials the way Alibaba Cloud users already have them: every provider
-- of the default chain and every aliyun CLI mode, end to end. Each case runs
-- ecsrun with a clean environment and a temporary HOME holding the files the
-- case writes, against the ecs-sim program (ECS API, STS and the metadata
-- service on one loopback port), and ends in a ReActivateInstances that the
-- simulator accepted: checked in /_sim/state and /_sim/requests.
local ecs = require "ecs"
local H = require "helpers"

local ACCOUNT = "1234567890123456"
local function arn(role) return ("acs:ram::%s:role/%s"):format(ACCOUNT, role) end
local OIDC_PROVIDER = ("acs:ram::%s:oidc-provider/ack-rrsa"):format(ACCOUNT)
local OIDC_TOKEN = "eyJhbGciOiJSUzI1NiJ9.fake-oidc-token-7f3a.c2ln"

-- Every fake secret the cases use: none may appear in any output.
local SECRETS = { "sim-secret-9d2c", "ram-user-secret-51be", "sts-secret-c0de", "sts-token-77aa",
                  OIDC_TOKEN, "ext-secret-e4f1" }
local outputs = {}

local function instances(prefix, n)
  local t = {}
  for i = 1, n do t[#t + 1] = H.instance(("%s%02d"):format(prefix, i)) end
  return t
end

local function roles_fleet(extra)
  local list = instances("i-c", 40)
  list[#list + 1] = H.instance("i-sts", { account = "sts-ak" })
  local f = H.fleet(list, {
    accounts = {
      { access_key_id = "sim-ak", access_key_secret = "sim-secret-9d2c", balance = 500 },
      { access_key_id = "ram-user", access_key_secret = "ram-user-secret-51be", balance = 500 },
      { access_key_id = "sts-ak", access_key_secret = "sts-secret-c0de", security_token = "sts-token-77aa" },
    },
    roles = {
      { name = "EcsInstanceRole", arn = arn("ecsinstancerole"), metadata = true, duration_s = 21600 },
      { name = "Operator", arn = arn("operator"), trusted = { "ram-user" } },
      { name = "Reactivator", arn = arn("reactivator"), trusted = { arn("operator") } },
      { name = "K8sWorkload", arn = arn("k8s-workload"), oidc_provider_arn = OIDC_PROVIDER,
        oidc_token = OIDC_TOKEN },
    },
  })
  for k, v in pairs(extra or {}) do f[k] = v end
  return f
end

-- A fresh HOME with files { [relative path] = text }; modes 0600 unless
-- { text, mode = "644" }.
local function home(files)
  local dir = H.tmpname("_home")
  os.execute("mkdir -p " .. H.shquote(dir))
  for rel, v in pairs(files or {}) do
    local text, mode = v, "600"
    if type(v) == "table" then text, mode = v[1], v.mode end
    local path = dir .. "/" .. rel
    os.execute("mkdir -p " .. H.shquote(path:match("^(.*)/")))
    H.write(path, text)
    os.execute("chmod " .. mode .. " " .. H.shquote(path))
  end
  return dir
end

-- Runs ecsrun with only PATH, HOME and env set. Returns stdout+stderr, code.
local function run(args, env, home_dir, opts)
  local e = { "env", "-i", "PATH=" .. H.shquote(os.getenv("PATH") or "/usr/bin:/bin"),
              "HOME=" .. H.shquote(home_dir or home()) }
  for k, v in pairs(env or {}) do e[#e + 1] = k .. "=" .. H.shquote(v) end
  local out, code, err = H.run(table.concat(e, " ") .. " " .. H.ecsrun .. " " .. args, opts)
  outputs[#outputs + 1] = out
  outputs[#outputs + 1] = err
  return out, code, err
end

local function json_config(t) return ecs.json.encode(t) end

-- The playbook every case runs: who am I, then reactivate `id` (the region
-- comes from --region or the profile).
local function script(id)
  return H.shquote(([[
local c = assert(ecs.credentials())
print("PROVIDER=" .. c.provider)
print("KEY=" .. c.access_key_id)
print("REGION=" .. tostring(c.region))
print("EXPIRES=" .. tostring(c.expiration))
local res = assert(ecs.reactivate("%s"))
print("REACTIVATED=" .. res.instance_id)
]]):format(id))
end

local sim, url
local next_id = 0
local function fresh_id()
  next_id = next_id + 1
  return ("i-c%02d"):format(next_id)
end

-- The environment that keeps cases apart from this machine: STS is the
-- simulator, the metadata service refuses at once unless a case says so.
local function base_env(t)
  local e = { ALIBABA_CLOUD_STS_ENDPOINT = url, ECSRUN_METADATA_ENDPOINT = "http://127.0.0.1:1" }
  for k, v in pairs(t or {}) do e[k] = v end
  return e
end

-- Reactivates a fresh instance with the given setup; asserts success, the
-- provider, and the simulator's view. Returns the output and the key used.
local function reactivate_with(env, home_dir, provider, args, id)
  id = id or fresh_id()
  local out, code = run("--endpoint " .. url .. " " .. (args or "--region cn-hangzhou") .. " -e " .. script(id),
    base_env(env), home_dir)
  assert.are.equal(0, code, out)
  assert.matches("REACTIVATED=" .. id, out, 1, true)
  assert.are.equal(provider, out:match("PROVIDER=(%S+)"), out)
  local st = H.by_id(assert(sim:state()))[id]
  assert.is_true(st.Status == "Starting" or st.Status == "Running", st.Status)
  local key = out:match("KEY=(%S+)")
  local ok = false
  for _, r in ipairs(assert(sim:requests())) do
    if r.action == "ReActivateInstances" and r.instance_id == id and r.code == "OK" then
      ok = true
      assert.are.equal(key, r.access_key_id)
    end
  end
  assert.is_true(ok, "the simulator logged no accepted ReActivateInstances for " .. id)
  return out, key
end

local function count(action, since)
  local n = 0
  for _, r in ipairs(assert(sim:requests())) do
    if r.action == action and r.seq > (since or 0) then n = n + 1 end
  end
  return n
end

local function last_seq()
  local reqs = assert(sim:requests())
  return #reqs > 0 and reqs[#reqs].seq or 0
end

describe("the default credential chain", function()
  setup(function()
    sim = H.sim_process(roles_fleet())
    url = sim:url()
  end)
  teardown(function() sim:stop() end)

  it("uses the environment first", function()
    local _, key = reactivate_with({ ALIBABA_CLOUD_ACCESS_KEY_ID = "sim-ak",
                                     ALIBABA_CLOUD_ACCESS_KEY_SECRET = "sim-secret-9d2c" },
      home(), "default/env")
    assert.are.equal("sim-ak", key)
  end)

  it("config.json mode AK, with the profile's region_id as the default region", function()
    local h = home({ [".aliyun/config.json"] = json_config({ current = "p", profiles = {
      { name = "p", mode = "AK", access_key_id = "sim-ak", access_key_secret = "sim-secret-9d2c",
        region_id = "cn-hangzhou" } } }) })
    local out = reactivate_with({}, h, "default/cli_profile/static_ak", "")
    assert.matches("REGION=cn-hangzhou", out, 1, true)
  end)

  it("config.json mode StsToken", function()
    local h = home({ [".aliyun/config.json"] = json_config({ current = "s", profiles = {
      { name = "s", mode = "StsToken", access_key_id = "sts-ak", access_key_secret = "sts-secret-c0de",
        sts_token = "sts-token-77aa" } } }) })
    reactivate_with({}, h, "default/cli_profile/static_sts", nil, "i-sts")
  end)

  it("config.json mode RamRoleArn calls STS AssumeRole (V1-signed)", function()
    local before = count("AssumeRole")
    local h = home({ [".aliyun/config.json"] = json_config({ current = "r", profiles = {
      { name = "r", mode = "RamRoleArn", access_key_id = "ram-user", access_key_secret = "ram-user-secret-51be",
        ram_role_arn = arn("operator"), ram_session_name = "ecsrun-test" } } }) })
    local out, key = reactivate_with({}, h, "default/cli_profile/ram_role_arn/static_ak")
    assert.matches("^STS%.", key)
    assert.matches("EXPIRES=%d", out)
    assert.are.equal(before + 1, count("AssumeRole"))
  end)

  it("config.json mode ChainableRamRoleArn follows source_profile through two roles", function()
    local before = count("AssumeRole")
    local h = home({ [".aliyun/config.json"] = json_config({ current = "chain", profiles = {
      { name = "chain", mode = "ChainableRamRoleArn", ram_role_arn = arn("reactivator"),
        ram_session_name = "chain", source_profile = "op" },
      { name = "op", mode = "RamRoleArn", access_key_id = "ram-user",
        access_key_secret = "ram-user-secret-51be", ram_role_arn = arn("operator") } } }) })
    local _, key = reactivate_with({}, h, "default/cli_profile/ram_role_arn/ram_role_arn/static_ak")
    assert.matches("^STS%.", key)
    assert.are.equal(before + 2, count("AssumeRole"))
  end)

  it("config.json mode EcsRamRole reads the metadata service", function()
    local h = home({ [".aliyun/config.json"] = json_config({ current = "e", profiles = {
      { name = "e", mode = "EcsRamRole", ram_role_name = "EcsInstanceRole" } } }) })
    reactivate_with({ ECSRUN_METADATA_ENDPOINT = url }, h, "default/cli_profile/ecs_ram_role")
  end)

  it("config.json mode CredentialsURI", function()
    local h = home({ [".aliyun/config.json"] = json_config({ current = "u", profiles = {
      { name = "u", mode = "CredentialsURI",
        credentials_uri = url .. "/latest/meta-data/ram/security-credentials/EcsInstanceRole" } } }) })
    reactivate_with({}, h, "default/cli_profile/credential_uri")
  end)

  it("config.json mode External runs the program without a shell", function()
    local prog = H.write(H.tmpname(".sh"), "#!/bin/sh\n" ..
      "echo '{\"mode\":\"AK\",\"access_key_id\":\"sim-ak\",\"access_key_secret\":\"sim-secret-9d2c\"}'\n")
    os.execute("chmod 700 " .. H.shquote(prog))
    local h = home({ [".aliyun/config.json"] = json_config({ current = "x", profiles = {
      { name = "x", mode = "External", process_command = prog .. " --flag 'two words'" } } }) })
    reactivate_with({}, h, "default/cli_profile/external")
  end)

  it("picks the profile from --profile, then ALIBABA_CLOUD_PROFILE, then current", function()
    local cfg = json_config({ current = "bad", profiles = {
      { name = "bad", mode = "AK", access_key_id = "nobody", access_key_secret = "x" },
      { name = "good", mode = "AK", access_key_id = "sim-ak", access_key_secret = "sim-secret-9d2c" } } })
    reactivate_with({}, home({ [".aliyun/config.json"] = cfg }), "default/cli_profile/static_ak",
      "--profile good --region cn-hangzhou")
    reactivate_with({ ALIBABA_CLOUD_PROFILE = "good" }, home({ [".aliyun/config.json"] = cfg }),
      "default/cli_profile/static_ak")
  end)

  it("INI type access_key", function()
    reactivate_with({}, home({ [".alibabacloud/credentials"] =
      "[default]\ntype = access_key\naccess_key_id = sim-ak\naccess_key_secret = sim-secret-9d2c\n" }),
      "default/profile/static_ak")
  end)

  it("INI type ram_role_arn, from ALIBABA_CLOUD_CREDENTIALS_FILE and a named profile", function()
    local path = H.write(H.tmpname(".ini"), "[default]\ntype = access_key\naccess_key_id = nobody\n" ..
      "access_key_secret = x\n\n[ops]\ntype = ram_role_arn\naccess_key_id = ram-user\n" ..
      "access_key_secret = ram-user-secret-51be\nrole_arn = " .. arn("operator") ..
      "\nrole_session_name = ini\n")
    os.execute("chmod 600 " .. H.shquote(path))
    local _, key = reactivate_with({ ALIBABA_CLOUD_CREDENTIALS_FILE = path, ALIBABA_CLOUD_PROFILE = "ops" },
      home(), "default/profile/ram_role_arn/static_ak")
    assert.matches("^STS%.", key)
  end)

  it("INI type ecs_ram_role", function()
    reactivate_with({ ECSRUN_METADATA_ENDPOINT = url }, home({ [".alibabacloud/credentials"] =
      "[default]\ntype = ecs_ram_role\nrole_name = EcsInstanceRole\n" }), "default/profile/ecs_ram_role")
  end)

  it("the metadata service with IMDSv2: token, role discovery, credentials", function()
    local since = last_seq()
    reactivate_with({ ECSRUN_METADATA_ENDPOINT = url }, home(), "default/ecs_ram_role")
    assert.are.equal(1, count("MetadataToken", since))
    assert.are.equal(1, count("MetadataRoles", since))
    assert.are.equal(1, count("MetadataCredentials", since))
  end)

  it("ALIBABA_CLOUD_IGNORE_PROFILE skips both files", function()
    local h = home({ [".aliyun/config.json"] = json_config({ current = "p", profiles = {
      { name = "p", mode = "AK", access_key_id = "sim-ak", access_key_secret = "sim-secret-9d2c" } } }),
      [".alibabacloud/credentials"] = "[default]\ntype = access_key\naccess_key_id = sim-ak\naccess_key_secret = sim-secret-9d2c\n" })
    reactivate_with({ ECSRUN_METADATA_ENDPOINT = url, ALIBABA_CLOUD_IGNORE_PROFILE = "TRUE" }, h,
      "default/ecs_ram_role")
  end)

  it("ALIBABA_CLOUD_CREDENTIALS_URI comes last", function()
    reactivate_with({ ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true",
      ALIBABA_CLOUD_CREDENTIALS_URI = url .. "/latest/meta-data/ram/security-credentials/EcsInstanceRole" },
      home(), "default/credential_uri")
  end)

  it("OIDC from the environment calls AssumeRoleWithOIDC", function()
    local tok = H.write(H.tmpname(".jwt"), OIDC_TOKEN .. "\n")
    local before = count("AssumeRoleWithOIDC")
    local _, key = reactivate_with({ ALIBABA_CLOUD_ROLE_ARN = arn("k8s-workload"),
      ALIBABA_CLOUD_OIDC_PROVIDER_ARN = OIDC_PROVIDER, ALIBABA_CLOUD_OIDC_TOKEN_FILE = tok },
      home(), "default/oidc_role_arn")
    assert.matches("^STS%.", key)
    assert.are.equal(before + 1, count("AssumeRoleWithOIDC"))
  end)

  it("warns about a credentials file others can read, and not about a private one", function()
    local cfg = json_config({ current = "p", profiles = {
      { name = "p", mode = "AK", access_key_id = "sim-ak", access_key_secret = "sim-secret-9d2c" } } })
    local out = reactivate_with({}, home({ [".aliyun/config.json"] = { cfg, mode = "644" } }),
      "default/cli_profile/static_ak")
    assert.matches("readable by group or others", out, 1, true)
    out = reactivate_with({}, home({ [".aliyun/config.json"] = cfg }), "default/cli_profile/static_ak")
    assert.is_nil(out:find("readable by group or others", 1, true))
  end)
end)

describe("an explicit profile", function()
  setup(function()
    sim = H.sim_process(roles_fleet())
    url = sim:url()
  end)
  teardown(function() sim:stop() end)

  -- environment keys of another valid key: --profile must not lose to them
  local ENV_KEYS = { ALIBABA_CLOUD_ACCESS_KEY_ID = "ram-user",
                     ALIBABA_CLOUD_ACCESS_KEY_SECRET = "ram-user-secret-51be" }
  local CFG = json_config({ current = "other", profiles = {
    { name = "other", mode = "AK", access_key_id = "nobody", access_key_secret = "x" },
    { name = "ops", mode = "AK", access_key_id = "sim-ak", access_key_secret = "sim-secret-9d2c" } } })

  it("--profile signs with that profile's key, not the environment's", function()
    local _, key = reactivate_with(ENV_KEYS, home({ [".aliyun/config.json"] = CFG }),
      "default/cli_profile/static_ak", "--profile ops --region cn-hangzhou")
    assert.are.equal("sim-ak", key)
  end)

  it("ecs.client{profile=} does the same", function()
    local id = fresh_id()
    local out, code = run("--endpoint " .. url .. " -e " .. H.shquote(([[
local c = ecs.client{ profile = "ops", region = "cn-hangzhou", endpoint = %q }
assert(c:reactivate("%s"))
print("OK")]]):format(url, id)), base_env(ENV_KEYS), home({ [".aliyun/config.json"] = CFG }))
    assert.are.equal(0, code, out)
    local signer
    for _, r in ipairs(assert(sim:requests())) do
      if r.action == "ReActivateInstances" and r.instance_id == id then signer = r.access_key_id end
    end
    assert.are.equal("sim-ak", signer)
  end)

  it("a mistyped --profile exits 3 with ECREDS naming it and the files looked at", function()
    local before = #assert(sim:requests())
    local out, code = run("--profile opz --endpoint " .. url .. " --region cn-hangzhou -e " ..
      H.shquote('assert(ecs.reactivate("i-c39"))'), base_env(ENV_KEYS), home({ [".aliyun/config.json"] = CFG }))
    assert.are.equal(3, code, out)
    assert.matches("ECREDS", out, 1, true)
    assert.matches('profile "opz" not found', out, 1, true)
    assert.matches(".aliyun/config.json", out, 1, true)
    assert.matches(".alibabacloud/credentials: file missing", out, 1, true)
    assert.is_nil(out:find("environment", 1, true), out)
    assert.are.equal(before, #assert(sim:requests())) -- nothing was sent
  end)
end)

describe("credential endpoints over plain http", function()
  setup(function()
    sim = H.sim_process(roles_fleet())
    url = sim:url()
  end)
  teardown(function() sim:stop() end)

  local CFG = json_config({ current = "r", profiles = {
    { name = "r", mode = "RamRoleArn", access_key_id = "ram-user", access_key_secret = "ram-user-secret-51be",
      ram_role_arn = arn("operator") } } })

  -- 0.0.0.0 is not loopback by the rule, yet a connection to it never
  -- leaves this machine: without the rule the error would be a refused
  -- connection (ECREDS), with it ECONFIG comes before any connection.
  for _, case in ipairs({
    { "ALIBABA_CLOUD_STS_ENDPOINT", { ALIBABA_CLOUD_STS_ENDPOINT = "http://0.0.0.0:1" }, CFG },
    { "a profile's sts_endpoint", { ALIBABA_CLOUD_STS_ENDPOINT = false }, json_config({ current = "r", profiles = {
      { name = "r", mode = "RamRoleArn", access_key_id = "ram-user", access_key_secret = "ram-user-secret-51be",
        ram_role_arn = arn("operator"), sts_endpoint = "http://0.0.0.0:1" } } }) },
    { "ALIBABA_CLOUD_CREDENTIALS_URI", { ALIBABA_CLOUD_CREDENTIALS_URI = "http://0.0.0.0:1/c",
      ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" }, nil },
  }) do
    it(case[1] .. " is ECONFIG unless --insecure-http", function()
      local env = base_env(case[2])
      for k, v in pairs(env) do if v == false then env[k] = nil end end
      local files = case[3] and { [".aliyun/config.json"] = case[3] } or nil
      local cmd = " --endpoint " .. url .. " --region cn-hangzhou -e " .. H.shquote('assert(ecs.reactivate("i-c38"))')
      local out, code = run(cmd, env, home(files))
      assert.are.equal(3, code, out)
      assert.matches("ECONFIG", out, 1, true)
      assert.matches("refusing plain http:// to 0.0.0.0", out, 1, true)
      out, code = run("--insecure-http" .. cmd, env, home(files))
      assert.are.equal(3, code, out)
      assert.matches("ECREDS", out, 1, true)
      assert.is_nil(out:find("refusing plain http", 1, true), out)
    end)
  end
end)

describe("STS over https", function()
  local certs, tls
  setup(function()
    certs = H.tls_certs()
    tls = H.sim_process_tls(roles_fleet(), certs.server, certs.ca)
  end)
  teardown(function()
    if tls then tls:stop() end
    if certs then os.execute("rm -rf " .. H.shquote(certs.dir)) end
  end)

  it("--ca-file reaches STS as well as ECS; without it the chain fails on the certificate", function()
    local h = home({ [".aliyun/config.json"] = json_config({ current = "r", profiles = {
      { name = "r", mode = "RamRoleArn", access_key_id = "ram-user", access_key_secret = "ram-user-secret-51be",
        ram_role_arn = arn("operator") } } }) })
    local env = { ALIBABA_CLOUD_STS_ENDPOINT = tls:url(), ECSRUN_METADATA_ENDPOINT = "http://127.0.0.1:1" }
    local cmd = "--endpoint " .. tls:url() .. " --region cn-hangzhou -e " .. script("i-c37")
    local out, code = run("--ca-file " .. H.shquote(certs.ca) .. " " .. cmd, env, h)
    assert.are.equal(0, code, out)
    assert.matches("REACTIVATED=i-c37", out, 1, true)
    assert.matches("KEY=STS%.", out)
    local assumed = 0
    for _, r in ipairs(assert(tls:requests())) do
      if r.action == "AssumeRole" then assumed = assumed + 1 end
    end
    assert.are.equal(1, assumed)
    out, code = run(cmd, env, h)
    assert.are.equal(3, code, out)
    assert.matches("ECREDS", out, 1, true)
    assert.matches("TLS error with 127.0.0.1", out, 1, true)
  end)
end)

describe("region variables of the aliyun CLI", function()
  setup(function()
    sim = H.sim_process(roles_fleet())
    url = sim:url()
  end)
  teardown(function() sim:stop() end)

  local KEYS = { ALIBABA_CLOUD_ACCESS_KEY_ID = "sim-ak", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "sim-secret-9d2c" }
  local function with(t)
    local e = {}
    for k, v in pairs(KEYS) do e[k] = v end
    for k, v in pairs(t) do e[k] = v end
    return e
  end

  it("ALIBABACLOUD_REGION_ID and ALICLOUD_REGION_ID give the default region", function()
    local out = reactivate_with(with({ ALIBABACLOUD_REGION_ID = "cn-hangzhou" }), home(), "default/env", "")
    assert.matches("REGION=cn-hangzhou", out, 1, true)
    out = reactivate_with(with({ ALICLOUD_REGION_ID = "cn-hangzhou" }), home(), "default/env", "")
    assert.matches("REGION=cn-hangzhou", out, 1, true)
  end)

  it("in the CLI's order: ALIBABA_CLOUD_, then ALIBABACLOUD_, then ALICLOUD_", function()
    local out = reactivate_with(with({ ALIBABA_CLOUD_REGION_ID = "cn-hangzhou", ALIBABACLOUD_REGION_ID = "cn-beijing",
      ALICLOUD_REGION_ID = "cn-shanghai" }), home(), "default/env", "")
    assert.matches("REGION=cn-hangzhou", out, 1, true)
    out = reactivate_with(with({ ALIBABACLOUD_REGION_ID = "cn-hangzhou", ALICLOUD_REGION_ID = "cn-beijing" }),
      home(), "default/env", "")
    assert.matches("REGION=cn-hangzhou", out, 1, true)
  end)
end)

describe("the metadata service", function()
  local function with_sim(metadata, fn)
    local s = H.sim_process(roles_fleet({ metadata = metadata }))
    local ok, e = pcall(fn, s)
    s:stop()
    assert(ok, e)
  end

  it("falls back to IMDSv1 when the token API is missing", function()
    with_sim({ token_api = false }, function(s)
      local out, code = run("--endpoint " .. s:url() .. " --region cn-hangzhou -e " .. script("i-c01"),
        { ECSRUN_METADATA_ENDPOINT = s:url() })
      assert.are.equal(0, code, out)
      assert.matches("PROVIDER=default/ecs_ram_role", out, 1, true)
      local seen = {}
      for _, r in ipairs(assert(s:requests())) do seen[r.action .. ":" .. r.code] = true end
      assert.is_true(seen["MetadataToken:NotFound"])
      assert.is_true(seen["MetadataCredentials:OK"])
      assert.is_true(seen["ReActivateInstances:OK"])
      assert.are.equal("Starting", H.by_id(assert(s:state()))["i-c01"].Status)
    end)
  end)

  it("does not fall back when ALIBABA_CLOUD_IMDSV1_DISABLED, and says why", function()
    with_sim({ token_api = false }, function(s)
      local out, code = run("--endpoint " .. s:url() .. " --region cn-hangzhou -e " .. script("i-c01"),
        { ECSRUN_METADATA_ENDPOINT = s:url(), ALIBABA_CLOUD_IMDSV1_DISABLED = "true" })
      assert.are.equal(3, code, out)
      assert.matches("ECREDS", out, 1, true)
      assert.matches("IMDSv1 fallback is disabled", out, 1, true)
    end)
  end)

  it("works where the metadata service requires a token", function()
    with_sim({ require_token = true }, function(s)
      local out, code = run("--endpoint " .. s:url() .. " --region cn-hangzhou -e " .. script("i-c02"),
        { ECSRUN_METADATA_ENDPOINT = s:url() })
      assert.are.equal(0, code, out)
      assert.are.equal("Starting", H.by_id(assert(s:state()))["i-c02"].Status)
    end)
  end)
end)

describe("temporary credentials", function()
  it("are refreshed before they expire, once for 50 concurrent tasks", function()
    local s = H.sim_process(roles_fleet({ roles = {
      { name = "Short", arn = arn("short"), trusted = { "ram-user" }, duration_s = 4 } } }))
    local h = home({ [".aliyun/config.json"] = json_config({ current = "r", profiles = {
      { name = "r", mode = "RamRoleArn", access_key_id = "ram-user", access_key_secret = "ram-user-secret-51be",
        ram_role_arn = arn("short") } } }) })
    local prog = [==[
local first = assert(ecs.credentials())
assert(ecs.reactivate("i-c01"))
ecs.sleep(2.5) -- past half of the 4 s lifetime: stale, not expired
local ids = {}
for i = 2, 40 do ids[#ids + 1] = ("i-c%02d"):format(i) end
for i = 1, 11 do ids[#ids + 1] = "i-c01" end -- 50 tasks in all
local res, errs = ecs.parallel(ids, function(id)
  local r, err = ecs.call("DescribeInstances", { RegionId = "cn-hangzhou", InstanceIds = ecs.json.encode({ id }) })
  assert(r, err)
  return ecs.credentials().access_key_id
end, { concurrency = 50 })
local n, keys = 0, {}
for i = 1, #ids do assert(res[i], errs[i]); n = n + 1; keys[res[i]] = true end
local second = assert(ecs.credentials())
assert(second.access_key_id ~= first.access_key_id, "not refreshed")
assert(second.expiration > first.expiration)
print("TASKS=" .. n)
for k in pairs(keys) do print("USED=" .. k) end
]==]
    local out, code = run("--endpoint " .. s:url() .. " --region cn-hangzhou -e " .. H.shquote(prog),
      { ALIBABA_CLOUD_STS_ENDPOINT = s:url(), ECSRUN_METADATA_ENDPOINT = "http://127.0.0.1:1" }, h)
    local reqs = assert(s:requests())
    s:stop()
    assert.are.equal(0, code, out)
    assert.matches("TASKS=50", out, 1, true)
    local n, described = 0, 0
    for _, r in ipairs(reqs) do
      if r.action == "AssumeRole" then n = n + 1 end
      if r.action == "DescribeInstances" and r.code == "OK" then described = described + 1 end
    end
    assert.are.equal(2, n) -- the first one, and exactly one refresh
    assert.are.equal(50, described)
    local used = 0
    for _ in out:gmatch("USED=") do used = used + 1 end
    assert.are.equal(1, used) -- every task saw the refreshed key
  end)
end)

describe("when nothing works", function()
  local s
  setup(function() s = H.sim_process(roles_fleet()) end)
  teardown(function() s:stop() end)

  local function fails(env, h, args, ...)
    local out, code = run((args or "") .. " --endpoint " .. s:url() .. " --region cn-hangzhou -e " ..
      H.shquote('assert(ecs.reactivate("i-c01"))'), env, h)
    assert.are.equal(3, code, out)
    assert.matches("ECREDS", out, 1, true)
    for _, want in ipairs({ ... }) do assert.matches(want, out, 1, true) end
    assert.is_nil(out:find("<html", 1, true), "HTML in the error")
    assert.is_nil(out:find("<?xml", 1, true), "XML in the error")
    return out
  end

  it("lists every provider tried and why each failed", function()
    fails({ ECSRUN_METADATA_ENDPOINT = "http://127.0.0.1:1" }, home(), nil,
      "no credentials found", "environment: ALIBABA_CLOUD_ACCESS_KEY_ID",
      "OIDC: ALIBABA_CLOUD_ROLE_ARN", "config.json: file missing", "credentials: file missing",
      "ECS metadata: metadata service unreachable", "ALIBABA_CLOUD_CREDENTIALS_URI not set")
  end)

  it("names a profile that is not found and a mode that is not supported", function()
    local cfg = json_config({ current = "rsa", profiles = {
      { name = "rsa", mode = "RsaKeyPair", private_key = "k", key_pair_name = "n" } } })
    fails({ ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" }, home({ [".aliyun/config.json"] = cfg }), nil,
      'mode "RsaKeyPair" is not supported', "disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED")
    fails({ ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" }, home({ [".aliyun/config.json"] = cfg }),
      "--profile nosuch", 'profile "nosuch" not found')
  end)

  it("says metadata 404 for role \"x\", not the HTML page", function()
    fails({ ECSRUN_METADATA_ENDPOINT = s:url(), ALIBABA_CLOUD_ECS_METADATA = "NoSuchRole" }, home(), nil,
      'metadata 404 for role "NoSuchRole"')
  end)

  it("reports STS refusing AssumeRole, and an invalid INI type", function()
    local cfg = json_config({ current = "r", profiles = {
      { name = "r", mode = "RamRoleArn", access_key_id = "sim-ak", access_key_secret = "sim-secret-9d2c",
        ram_role_arn = arn("operator") } } })
    fails({ ALIBABA_CLOUD_STS_ENDPOINT = s:url(), ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" },
      home({ [".aliyun/config.json"] = cfg,
             [".alibabacloud/credentials"] = "[default]\ntype = bearer\n" }), nil,
      "STS AssumeRole for " .. arn("operator") .. " failed: NoPermission (HTTP 403)",
      'invalid type "bearer"')
  end)

  it("reports a wrong OIDC token and a failing External program", function()
    local tok = H.write(H.tmpname(".jwt"), "not-the-token")
    local cfg = json_config({ current = "x", profiles = { { name = "x", mode = "External", process_command = "false" } } })
    fails({ ALIBABA_CLOUD_STS_ENDPOINT = s:url(), ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true",
            ALIBABA_CLOUD_ROLE_ARN = arn("k8s-workload"), ALIBABA_CLOUD_OIDC_PROVIDER_ARN = OIDC_PROVIDER,
            ALIBABA_CLOUD_OIDC_TOKEN_FILE = tok }, home({ [".aliyun/config.json"] = cfg }), nil,
      "AuthenticationFail.OIDCToken.Invalid", '"false" failed (exit status 1)')
  end)

  it("ecs.credentials() returns nil, err", function()
    local out, code = run("-e " .. H.shquote([[
local c, err = ecs.credentials()
print(c, err.code, err.kind)]]), { ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" })
    assert.are.equal(0, code, out)
    assert.matches("nil\tECREDS\tcredentials", out, 1, true)
  end)
end)

describe("secrets", function()
  it("never appear in any output of these tests", function()
    assert.is_true(#outputs > 20)
    for _, o in ipairs(outputs) do
      for _, secret in ipairs(SECRETS) do
        assert.is_nil(o:find(secret, 1, true), "secret leaked: " .. secret)
      end
    end
  end)
end)
