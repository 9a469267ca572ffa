-- gen_lua_api.lua - writes the Lua API reference (docs/lua-api.md) from the
-- LuaCATS annotations (types/ecs.lua):
--   lua5.4 docs/gen_lua_api.lua types/ecs.lua > docs/lua-api.md
-- Loaded with "--lib" as its argument it returns { parse =, render = } (the
-- test tests/install/lua_api_docs.lua uses them).
local M = {}

local function trim(s) return (s:gsub("^%s+", ""):gsub("%s+$", "")) end

-- Splits "type rest" where the type may hold blanks inside brackets or after
-- ':', ',' and '|' ("fun(err: any): boolean", "{ ca_file?: string }").
local function split_type(s)
  local depth, i, n = 0, 1, #s
  while i <= n do
    local c = s:sub(i, i)
    if c == "(" or c == "{" or c == "<" or c == "[" then depth = depth + 1
    elseif c == ")" or c == "}" or c == ">" or c == "]" then depth = depth - 1
    elseif c:match("%s") and depth == 0 then
      local prev = s:sub(1, i - 1):match("(%S)%s*$")
      local nxt = s:match("^%s*(%S)", i)
      if prev ~= ":" and prev ~= "," and prev ~= "|" and nxt ~= "|" then break end
    end
    i = i + 1
  end
  return trim(s:sub(1, i - 1)), trim(s:sub(i))
end

local function new_doc() return { desc = {}, params = {}, returns = {}, fields = {} } end

-- Reads one "---" annotation line into doc.
local function annotate(doc, text)
  local tag, rest = text:match("^@(%w+)%s*(.*)$")
  if not tag then
    doc.desc[#doc.desc + 1] = text
  elseif tag == "param" or tag == "field" then
    local name, more = rest:match("^(%S+)%s+(.*)$")
    local ty, d = split_type(more)
    local list = tag == "param" and doc.params or doc.fields
    list[#list + 1] = { name = name, type = ty, desc = d }
  elseif tag == "return" then
    local ty, more = split_type(rest)
    local name, d = more:match("^(%S*)%s*(.*)$")
    if name == "..." or name:match("^[%a_][%w_]*$") then
      doc.returns[#doc.returns + 1] = { type = ty, name = name, desc = d }
    else
      doc.returns[#doc.returns + 1] = { type = ty, name = "", desc = more }
    end
  elseif tag == "class" then
    doc.class = rest:match("^([%w_.]+)")
    doc.parent = rest:match(":%s*([%w_.]+)")
  elseif tag == "alias" then
    doc.alias, doc.alias_type = rest:match("^(%S+)%s+(.*)$")
  elseif tag == "type" then
    doc.type = rest
  end
end

-- parse(text) -> { sections = { {name=, desc=, entries={...}} }, types = {...},
-- functions = { ["ecs.Client:call"] = entry, ... }, values = {...} }
function M.parse(text)
  local api = { sections = {}, types = {}, functions = {}, values = {} }
  local vars, doc, section = {}, new_doc(), nil
  for line in (text .. "\n"):gmatch("(.-)\n") do
    local ann = line:match("^%-%-%-(.*)$")
    if ann and not line:match("^%-%-%-%-") then
      annotate(doc, trim(ann))
    else
      local var = line:match("^local%s+([%w_]+)%s*=%s*{}") or line:match("^([%w_.]+)%s*=%s*{}")
      local fname, fargs = line:match("^function%s+([%w_.:]+)%((.-)%)")
      local vname = line:match("^([%w_.]+)%s*=%s*") 
      if doc.class and var then -- a namespace: a class with functions
        vars[var] = doc.class
        section = { name = doc.class, desc = doc.desc, entries = {} }
        api.sections[#api.sections + 1] = section
      elseif doc.class then
        api.types[#api.types + 1] = { name = doc.class, parent = doc.parent, desc = doc.desc, fields = doc.fields }
      elseif doc.alias then
        api.types[#api.types + 1] = { name = doc.alias, alias = doc.alias_type, desc = doc.desc, fields = {} }
      elseif fname then
        local base, sep, member = fname:match("^([%w_]+)(.)(.*)$")
        if sep ~= "." and sep ~= ":" then base, sep, member = fname, "", "" end
        local full = (vars[base] or base) .. sep .. member
        local e = { kind = "function", name = full, args = fargs, desc = doc.desc,
                    params = doc.params, returns = doc.returns }
        api.functions[full] = e
        if section then section.entries[#section.entries + 1] = e end
      elseif doc.type and vname then
        local e = { kind = "value", name = vname, type = doc.type, desc = doc.desc }
        api.values[vname] = e
        if section then section.entries[#section.entries + 1] = e end
      end
      doc = new_doc()
    end
  end
  return api
end

local function cell(s) return (s or ""):gsub("|", "\\|") end
local function para(lines) return table.concat(lines, " ") end

local function render_function(out, e)
  out[#out + 1] = ("### `%s(%s)`\n"):format(e.name, e.args)
  if #e.desc > 0 then out[#out + 1] = para(e.desc) .. "\n" end
  if #e.params > 0 then
    out[#out + 1] = "| parameter | type | |\n|---|---|---|"
    for _, p in ipairs(e.params) do
      out[#out + 1] = ("| `%s` | `%s` | %s |"):format(p.name, cell(p.type), cell(p.desc))
    end
    out[#out + 1] = ""
  end
  if #e.returns > 0 then
    local rs = {}
    for _, r in ipairs(e.returns) do
      local s = ("`%s`"):format(r.type)
      if r.name ~= "" then s = s .. " " .. r.name end
      if r.desc ~= "" then s = s .. " (" .. r.desc .. ")" end
      rs[#rs + 1] = s
    end
    out[#out + 1] = "Returns " .. table.concat(rs, ", ") .. ".\n"
  end
end

local function render_type(out, t)
  local head = t.name
  if t.parent then head = head .. " : " .. t.parent end
  out[#out + 1] = ("### `%s`\n"):format(head)
  if #t.desc > 0 then out[#out + 1] = para(t.desc) .. "\n" end
  if t.alias then out[#out + 1] = ("Alias of `%s`.\n"):format(t.alias) end
  if #t.fields > 0 then
    out[#out + 1] = "| field | type | |\n|---|---|---|"
    for _, f in ipairs(t.fields) do
      out[#out + 1] = ("| `%s` | `%s` | %s |"):format(f.name, cell(f.type), cell(f.desc))
    end
    out[#out + 1] = ""
  end
end

function M.render(api)
  local out = {
    "<!-- generated from types/ecs.lua by docs/gen_lua_api.lua; do not edit -->",
    "# The `ecs` Lua API\n",
    "`local ecs = require \"ecs\"` (stock lua5.4 with the module installed; ecsrun also sets",
    "the global `ecs`). Misuse by the script (wrong argument types, unknown options) raises",
    "`bad argument #N to 'fn' (...)` at the caller's line; failures decided by the environment",
    "return `nil, err` with an [`ecs.Error`](#ecserror). The annotations in `types/ecs.lua`",
    "give LuaLS completion and type checks.\n",
  }
  for _, s in ipairs(api.sections) do
    out[#out + 1] = ("## `%s`\n"):format(s.name)
    if #s.desc > 0 then out[#out + 1] = para(s.desc) .. "\n" end
    for _, e in ipairs(s.entries) do
      if e.kind == "function" then
        render_function(out, e)
      else
        out[#out + 1] = ("### `%s`\n"):format(e.name)
        out[#out + 1] = ("`%s`: %s\n"):format(e.type, para(e.desc))
      end
    end
  end
  out[#out + 1] = "## Types\n"
  for _, t in ipairs(api.types) do render_type(out, t) end
  return table.concat(out, "\n")
end

local first = ...
if first == "--lib" then return M end
local path = first or "types/ecs.lua"
local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()
io.write(M.render(M.parse(text)))
