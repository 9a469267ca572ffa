-- The playbooks in scripts/, run by ecsrun as users run them, checked against
-- the simulator's state and request log.
local ecs = require "ecs"
local H = require "helpers"

local ENV = { ALIBABA_CLOUD_ACCESS_KEY_ID = "sim-ak", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "sim-secret" }
local S = H.src .. "/scripts/"

local function per_instance(reqs, action, code)
  local t = {}
  for _, r in ipairs(reqs) do
    if r.action == action and (not code or r.code == code) then t[r.instance_id] = (t[r.instance_id] or 0) + 1 end
  end
  return t
end

describe("reactivate_tagged.lua", function()
  it("brings back only the instances with the tag", function()
    local sim = H.sim_process(H.read(S .. "fleets/demo.json"))
    local out, code, err = H.ecsrun_run("--endpoint " .. sim:url() .. " " .. S .. "reactivate_tagged.lua team=web cn-hangzhou cn-shanghai",
                                        ENV, { split = true })
    local state = H.by_id(assert(sim:state()))
    local reqs = assert(sim:requests())
    sim:stop()
    assert.are.equal(0, code, err)
    assert.matches("2 instance%(s%) tagged team=web needed reactivation, 0 failed", out)
    assert.are.same({ ["i-demo0001"] = 1, ["i-demo0002"] = 1 }, per_instance(reqs, "ReActivateInstances", "OK"))
    assert.are.equal("Stopped", state["i-demo0007"].Status) -- overdue, but team=api
    assert.are_not.equal("Stopped", state["i-demo0001"].Status)
  end)

  it("sends nothing under --dry-run, and exits 2 without a tag", function()
    local sim = H.sim_process(H.read(S .. "fleets/demo.json"))
    local out, code = H.ecsrun_run("--dry-run --endpoint " .. sim:url() .. " " .. S .. "reactivate_tagged.lua env=prod cn-hangzhou", ENV)
    local reqs = assert(sim:requests())
    sim:stop()
    assert.are.equal(0, code)
    assert.matches("i%-demo0001 cn%-hangzhou would be reactivated %(dry run%)", out)
    assert.are.same({}, per_instance(reqs, "ReActivateInstances"))
    local _, c2 = H.ecsrun_run("--region cn-hangzhou " .. S .. "reactivate_tagged.lua", ENV)
    assert.are.equal(2, c2)
  end)
end)

describe("rehearse_throttled.lua", function()
  local fleet
  setup(function()
    local inst = {}
    for i = 1, 50 do inst[i] = H.instance(("i-t%03d"):format(i)) end
    fleet = H.fleet(inst, { throttle = { ReActivateInstances = { limit = 20, window_s = 1 } } })
  end)

  it("gets every instance back exactly once through throttling", function()
    local sim = H.sim_process(fleet)
    local out, code, err = H.ecsrun_run("--region cn-hangzhou --endpoint " .. sim:url() .. " " .. S .. "rehearse_throttled.lua",
                                        ENV, { split = true })
    local reqs = assert(sim:requests())
    sim:stop()
    assert.are.equal(0, code, err)
    local n = tonumber(out:match("(%d+) throttled answers"))
    assert.is_true(n > 0, out)
    assert.matches("^50 reactivated, 0 failed", out)
    local ok = per_instance(reqs, "ReActivateInstances", "OK")
    for i = 1, 50 do assert.are.equal(1, ok[("i-t%03d"):format(i)]) end
    local thr = 0
    for _, r in ipairs(reqs) do if r.code == "Throttling.User" then thr = thr + 1 end end
    assert.are.equal(n, thr) -- the playbook's count is the simulator's
  end)

  it("is never throttled with --qps at the service's limit (the shipped fleet)", function()
    local out, code, err = H.ecsrun_run("--qps 20 --simulate " .. S .. "fleets/throttled.json " .. S .. "rehearse_throttled.lua",
                                        nil, { split = true })
    assert.are.equal(0, code, err)
    assert.matches("^120 reactivated, 0 failed, 0 throttled answers", out)
  end)
end)
