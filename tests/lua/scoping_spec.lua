-- ecs.instances' scoping filters and the simulator's DescribeInstances and
-- ReActivateInstances answers they meet: filters applied or refused (never
-- silently dropped), the balance error codes of the current API page,
-- AccessDeniedDetail kept in err, TotalCount in NextToken mode. Through the
-- real path: Lua -> C -> HTTP on loopback -> the ecs-sim program.
local ecs = require "ecs"
local H = require "helpers"

local function fleet(extra)
  local function I(id, rg, vpc, typ, img)
    return H.instance(id, { ResourceGroupId = rg, VpcId = vpc, InstanceType = typ, ImageId = img })
  end
  local f = H.fleet({
    I("i-a", "rg-a", "vpc-1", "ecs.g7.large", "img-1"),
    I("i-b", "rg-b", "vpc-2", "ecs.c7.xlarge", "img-2"),
    I("i-c", "rg-a", "vpc-2", "ecs.g7.large", "img-2"),
  })
  for k, v in pairs(extra or {}) do f[k] = v end
  return f
end

local function ids(c, opts)
  local t = {}
  for inst in c:instances(opts) do t[#t + 1] = inst.InstanceId end
  table.sort(t)
  return t
end

describe("ecs.instances scoping filters", function()
  local sim, c
  setup(function()
    sim = H.sim_process(fleet())
    c = sim:client({ region = "cn-hangzhou" })
  end)
  teardown(function() sim:stop() end)

  it("applies ResourceGroupId, VpcId, InstanceType and ImageId", function()
    assert.are.same({ "i-a", "i-c" }, ids(c, { region = "cn-hangzhou", resource_group = "rg-a" }))
    assert.are.same({ "i-b", "i-c" }, ids(c, { region = "cn-hangzhou", vpc = "vpc-2" }))
    assert.are.same({ "i-b" }, ids(c, { region = "cn-hangzhou", instance_type = "ecs.c7.xlarge" }))
    assert.are.same({ "i-a" }, ids(c, { region = "cn-hangzhou", image = "img-1" }))
    assert.are.same({ "i-c" }, ids(c, { region = "cn-hangzhou", resource_group = "rg-a", vpc = "vpc-2" }))
    assert.are.same({ "i-b" }, ids(c, { region = "cn-hangzhou", ids = { "i-a", "i-b" }, resource_group = "rg-b" }))
    assert.are.same({}, ids(c, { region = "cn-hangzhou", resource_group = "rg-none" }))
    local seen
    for inst in c:instances{ region = "cn-hangzhou", ids = { "i-b" } } do seen = inst end
    assert.are.equal("rg-b", seen.ResourceGroupId)
    assert.are.equal("vpc-2", seen.VpcAttributes.VpcId)
    assert.are.equal("img-2", seen.ImageId)
  end)

  it("passes any other DescribeInstances parameter through by its API name", function()
    assert.are.same({ "i-b" }, ids(c, { region = "cn-hangzhou", ResourceGroupId = "rg-b" }))
    assert.are.same({ "i-a" }, ids(c, { RegionId = "cn-hangzhou", ImageId = "img-1" }))
    -- one the simulator does not implement is refused, as the service refuses an invalid one
    local ok, err = pcall(ids, c, { region = "cn-hangzhou", KeyPairName = "kp-1" })
    assert.is_false(ok)
    assert.are.equal("InvalidParameter", err.code)
    assert.are.equal(400, err.status)
    assert.matches("KeyPairName", err.message)
  end)

  it("raises on misuse, naming the argument, at the caller's line", function()
    assert.has_error(function() c:instances{ vpc = 5 } end, "bad argument #1 to 'instances' (vpc: string expected, got number)")
    assert.has_error(function() ecs.instances{ InstanceIds = "[]" } end,
      "bad argument #1 to 'instances' ('InstanceIds' is managed by the iterator (use ids))")
    assert.has_error(function() ecs.instances{ NextToken = "x" } end,
      "bad argument #1 to 'instances' ('NextToken' is managed by the iterator)")
    assert.has_error(function() ecs.instances{ vpc = "a", VpcId = "b" } end,
      "bad argument #1 to 'instances' (vpc and VpcId name the same filter)")
    assert.has_error(function() ecs.list_instances{ KeyPairName = {} } end,
      "bad argument #1 to 'list_instances' (KeyPairName: string, number or boolean expected, got table)")
    local line = debug.getinfo(1, "l").currentline + 1
    local ok, msg = pcall(function() local _ = ecs.instances{ image = true } end)
    assert.is_false(ok)
    assert.matches("scoping_spec%.lua:" .. line .. ": bad argument #1 to 'instances' %(image: string expected, got boolean%)", msg)
  end)
end)

describe("ecs-sim DescribeInstances", function()
  it("refuses parameters it does not apply, with InvalidParameter naming them", function()
    local sim = H.sim_process(fleet())
    local c = sim:client({ region = "cn-hangzhou" })
    local body, err = c:call("DescribeInstances", { RegionId = "cn-hangzhou", DryRun = "true" })
    assert.is_nil(body)
    assert.are.equal("InvalidParameter", err.code)
    assert.are.equal(400, err.status)
    assert.are.equal("The specified parameter DryRun is not valid.", err.message)
    body = assert(c:call("DescribeInstances", { RegionId = "cn-hangzhou", VpcId = "vpc-1" }))
    assert.are.equal(1, #body.Instances.Instance)
    sim:stop()
  end)

  it("gives TotalCount only in PageNumber mode (with NextToken the service's is meaningless)", function()
    local inst = {}
    for i = 1, 12 do inst[i] = H.instance(("i-%02d"):format(i)) end
    local sim = H.sim_process(H.fleet(inst))
    local c = sim:client({ region = "cn-hangzhou" })
    local paged = assert(c:call("DescribeInstances", { RegionId = "cn-hangzhou", PageSize = 10 }))
    assert.are.equal(12, paged.TotalCount)
    local tok = assert(c:call("DescribeInstances", { RegionId = "cn-hangzhou", MaxResults = 10 }))
    assert.are.equal(10, #tok.Instances.Instance)
    assert.are.equal(0, tok.TotalCount)
    assert.are.equal(32, #tok.NextToken)
    local all = {}
    for i in c:instances{ region = "cn-hangzhou", page_size = 10 } do all[#all + 1] = i end
    assert.are.equal(12, #all) -- the iterator follows NextToken, never TotalCount
    sim:stop()
  end)
end)

describe("ecs-sim ReActivateInstances balance errors and AccessDeniedDetail", function()
  it("answers ReopenInstance.*NotEnoughBalance from a fault or from the account's balance", function()
    local f = fleet({
      accounts = {
        { access_key_id = "sim-ak", access_key_secret = "sim-secret", balance = 500 },
        { access_key_id = "sim-poor", access_key_secret = "sim-poor-secret", balance = 20,
          balance_error = "ReopenInstance.ImageNotEnoughBalance" },
        { access_key_id = "sim-broke", access_key_secret = "sim-broke-secret", balance = 0 },
      },
      faults = { { action = "ReActivateInstances", instance_id = "i-a",
                   error = "ReopenInstance.InstanceNotEnoughBalance", times = -1 } },
    })
    f.instances[#f.instances + 1] = H.instance("i-poor", { account = "sim-poor" })
    f.instances[#f.instances + 1] = H.instance("i-broke", { account = "sim-broke" })
    local sim = H.sim_process(f)
    local c = sim:client({ region = "cn-hangzhou" })
    local _, err = c:reactivate{ instance_id = "i-a", retry = false }
    assert.are.same({ "ReopenInstance.InstanceNotEnoughBalance", 400, "Reopen instance must have enough account balance." },
                    { err.code, err.status, err.message })
    local poor = ecs.sim.connect(sim:url(), { access_key_id = "sim-poor", access_key_secret = "sim-poor-secret" })
    _, err = poor:client({ region = "cn-hangzhou" }):reactivate{ instance_id = "i-poor", retry = false }
    assert.are.same({ "ReopenInstance.ImageNotEnoughBalance", 400, "Reopen instance must have enough cash balance." },
                    { err.code, err.status, err.message })
    local broke = ecs.sim.connect(sim:url(), { access_key_id = "sim-broke", access_key_secret = "sim-broke-secret" })
    _, err = broke:client({ region = "cn-hangzhou" }):reactivate{ instance_id = "i-broke", retry = false }
    assert.are.same({ "InsufficientBalance", 403 }, { err.code, err.status }) -- the default
    sim:stop()
  end)

  it("refuses an unknown balance_error, naming the field", function()
    local f = fleet({ accounts = { { access_key_id = "sim-ak", access_key_secret = "sim-secret",
                                     balance_error = "Broke" } } })
    local out, code = H.ecsrun_run("--simulate " .. H.write(H.tmpname(".json"), ecs.json.encode(f)) .. " -e ''")
    assert.are.equal(2, code)
    assert.matches("accounts%[0%]%.balance_error: must be one of InsufficientBalance", out)
  end)

  it("keeps AccessDeniedDetail of a permission error in err.access_denied_detail", function()
    local sim = H.sim_process(fleet({
      faults = { { action = "ReActivateInstances", instance_id = "i-b", error = "Forbidden.RAM", times = -1 } } }))
    local c = sim:client({ region = "cn-hangzhou" })
    local _, err = c:reactivate{ instance_id = "i-b", retry = false }
    assert.are.equal("Forbidden.RAM", err.code)
    assert.is_table(err.access_denied_detail)
    assert.are.equal("ecs:ReActivateInstances", err.access_denied_detail.AuthAction)
    assert.are.equal("sim-ak", err.access_denied_detail.AuthPrincipalDisplayName)
    assert.are.equal("ImplicitDeny", err.access_denied_detail.NoPermissionType)
    local _, other = c:reactivate{ instance_id = "i-none", retry = false }
    sim:stop()
    assert.are.equal("InvalidInstanceId.NotFound", other.code)
    assert.is_nil(other.access_denied_detail) -- only permission errors carry one
  end)
end)
