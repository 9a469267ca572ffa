-- What differs between the Luas the module runs on (5.1, 5.2, 5.3, 5.4,
-- LuaJIT), checked through the real path on whichever Lua runs this spec:
-- tasks wait inside protected calls, spawn takes C functions, misuse points at
-- the caller's line through tail calls.
local ecs = require "ecs"
local H = require "helpers"

local function fleet(n)
  local inst = {}
  for i = 1, n do inst[i] = H.instance(("i-v%03d"):format(i)) end
  return H.fleet(inst, { latency_ms = 200 })
end

describe("on " .. (jit and jit.version or _VERSION), function()
  it("a task waits inside ecs.pcall, and the calls overlap", function()
    local sim, c = H.sim(fleet(8))
    local t0 = ecs.now()
    local tasks = {}
    for i = 1, 8 do
      tasks[i] = ecs.spawn(function()
        return ecs.pcall(function() return c:reactivate(("i-v%03d"):format(i)) end)
      end)
    end
    assert.is_true(ecs.run())
    for i = 1, 8 do
      local ok, pok, res, err = ecs.join(tasks[i])
      assert.is_true(ok and pok, tostring(res))
      assert.is_truthy(res, tostring(err))
    end
    local elapsed = ecs.now() - t0
    local running = 0
    for _, inst in ipairs(sim:state().instances) do
      if inst.Status == "Running" or inst.Status == "Starting" then running = running + 1 end
    end
    sim:stop()
    assert.are.equal(8, running)
    -- eight reactivations of 200 ms each (each a call and a lookup) in
    -- parallel: far less than one after the other
    assert.is_true(elapsed < 8 * 0.2, ("took %.2fs: the tasks did not wait concurrently"):format(elapsed))
  end)

  it("ecs.pcall returns false and the error, and raises on misuse at the caller's line", function()
    local ok, e = ecs.pcall(function() error("boom", 0) end)
    assert.is_false(ok)
    assert.are.equal("boom", e)
    assert.are.same({ true, 1, 2 }, { ecs.pcall(function(a, b) return a, b end, 1, 2) })
    local line = debug.getinfo(1, "l").currentline + 1
    local ok2, msg = pcall(function() ecs.pcall(5) end)
    assert.is_false(ok2)
    assert.are.equal(("%s:%d: bad argument #1 to 'pcall' (function expected, got number)"):format(
      debug.getinfo(1, "S").short_src, line), msg)
  end)

  it("ecs.spawn takes a C function", function()
    local t = ecs.spawn(tostring, 42)
    assert.is_true(ecs.run())
    assert.are.same({ true, "42" }, { ecs.join(t) })
  end)
end)
