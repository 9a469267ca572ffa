-- Every public function and value of the real `ecs` module (its tables,
-- ecs.sim, and the methods of clients, tasks, simulators and simulator
-- connections) is documented in the LuaCATS annotations (types/ecs.lua) and
-- on the reference page (docs/lua-api.md), which is what
-- docs/gen_lua_api.lua makes of the annotations; nothing documented is
-- missing from the module. Run with stock lua5.4 and LUA_CPATH_5_4 to the
-- built ecs.so.
-- usage: lua5.4 lua_api_docs.lua SOURCE_DIR
local src = arg[1]
local failures = 0
local function fail(fmt, ...)
  io.stderr:write("FAIL: ", fmt:format(...), "\n")
  failures = failures + 1
end
local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local gen = assert(loadfile(src .. "/docs/gen_lua_api.lua"))("--lib")
local api = gen.parse(slurp(src .. "/types/ecs.lua"))
local page = slurp(src .. "/docs/lua-api.md")
if gen.render(api) ~= page then
  fail("docs/lua-api.md is not what the annotations give: run " ..
       "lua5.4 docs/gen_lua_api.lua types/ecs.lua > docs/lua-api.md")
end

-- What the real module offers: name -> "function" | "value".
local ecs = require "ecs"
local real = {}
local function walk(t, prefix)
  for k, v in pairs(t) do
    local name = prefix .. "." .. tostring(k)
    if type(v) == "function" then
      real[name] = "function"
    elseif type(v) == "table" and getmetatable(v) == nil then
      walk(v, name) -- a namespace (ecs.json, ecs.log, ...)
    else
      real[name] = "value"
    end
  end
end
local function methods(obj, class)
  local mt = getmetatable(obj)
  local idx = mt and mt.__index
  assert(type(idx) == "table", class .. ": no method table")
  for k, v in pairs(idx) do
    if type(v) == "function" then real[class .. ":" .. k] = "function" end
  end
end
walk(ecs, "ecs")
walk(ecs.sim, "ecs.sim") -- loaded on first use
real["ecs.dry_run"] = "value" -- a computed field
local sim = ecs.sim.start({ instances = ecs.json.array({}) })
methods(sim, "ecs.Sim")
methods(sim:client(), "ecs.Client")
methods(ecs.sim.connect(sim:url()), "ecs.SimConnection")
local task = ecs.spawn(function() end)
methods(task, "ecs.Task")
ecs.run()
sim:stop()

local n = 0
for name, kind in pairs(real) do
  n = n + 1
  if kind == "function" then
    if not api.functions[name] then fail("%s is not annotated in types/ecs.lua", name) end
    if not page:find("\n### `" .. name .. "(", 1, true) then fail("%s is not on docs/lua-api.md", name) end
  else
    if not api.values[name] then fail("%s (a value) is not annotated in types/ecs.lua", name) end
    if not page:find("\n### `" .. name .. "`", 1, true) then fail("%s is not on docs/lua-api.md", name) end
  end
end
if n < 40 then fail("only %d public names found in the module", n) end
for name in pairs(api.functions) do
  if real[name] ~= "function" then fail("types/ecs.lua documents %s, which the module lacks", name) end
end
for name in pairs(api.values) do
  if real[name] ~= "value" then fail("types/ecs.lua documents the value %s, which the module lacks", name) end
end
if failures > 0 then os.exit(1) end
print(("ok: %d public names documented"):format(n))
