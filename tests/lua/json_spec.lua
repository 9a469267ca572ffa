-- ecs.json and ecs.null.
local ecs = require "ecs"

describe("ecs.json", function()
  it("round-trips objects, arrays, numbers, booleans and null", function()
    local v = ecs.json.decode('{"a":[1,2.5,"x",true,null],"b":{"c":{}},"d":[]}')
    assert.are.equal(1, v.a[1])
    if math.type then assert.is_true(math.type(v.a[1]) == "integer") end -- 5.3+
    assert.are.equal(2.5, v.a[2])
    assert.are.equal(ecs.null, v.a[5])
    local again = ecs.json.decode(ecs.json.encode(v))
    assert.are.same(v, again)
    assert.are.equal("[]", ecs.json.encode(v.d)) -- decoded arrays stay arrays when empty
    assert.are.equal("{}", ecs.json.encode({}))
    assert.are.equal("[]", ecs.json.encode(ecs.json.array()))
  end)

  it("raises on bad input with the position", function()
    assert.has_error(function() ecs.json.decode('{"a": ') end)
    local ok, e = pcall(ecs.json.decode, '[1, 2, x]')
    assert.is_false(ok)
    assert.matches("invalid JSON at byte", e)
  end)

  it("refuses values JSON cannot hold", function()
    assert.has_error(function() ecs.json.encode({ f = print }) end)
    assert.has_error(function() ecs.json.encode({ 1, 2, x = 3 }) end)
    local t = {}
    t.self = t
    local ok, e = pcall(ecs.json.encode, t)
    assert.is_false(ok)
    assert.matches("nested too deep", e)
    assert.has_error(function() ecs.json.encode(0 / 0) end)
  end)
end)
