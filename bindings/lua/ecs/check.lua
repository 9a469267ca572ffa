-- ecs/check.lua - the argument checker of the Lua half (see init.lua): the
-- helpers every chunk raises misuse through, in I.
local core, _, I = ...

local getinfo = debug.getinfo
local huge = math.huge
local type, tostring, error, pairs, ipairs = type, tostring, error, pairs, ipairs

-- Misuse raises "bad argument #n to 'fn' (msg)" positioned at the first
-- stack frame outside this module: the caller's line, however many helper
-- layers or tail calls lie between (the C half does the same: lecs_argerror).
-- The module is every chunk whose source starts with "=[ecs" (the chunks
-- are "=[ecs.<name>]"; caller_level in bindings/lecs.c agrees).
-- Methods number their arguments as luaL_argerror does (self is not counted).
local MODSRC = "=[ecs"

local function in_module(source)
  return source:sub(1, #MODSRC) == MODSRC
end

local function caller_level()
  local lvl = 3 -- 1: caller_level, 2: the raising helper, 3: its caller
  while true do
    local i = getinfo(lvl, "S")
    if not i then return 0 end
    -- Lua 5.1 shows a tail call as a frame of its own ("(tail call)")
    if not in_module(i.source) and i.what ~= "tail" then return lvl - 1 end -- as error() counts from the raiser
    lvl = lvl + 1
  end
end

-- Raises msg at the caller of the API function (see above).
local function raise(msg)
  error(msg, caller_level())
end

local function argerror(n, fn, msg)
  raise(("bad argument #%d to '%s' (%s)"):format(n, fn, msg))
end

local function checktype(v, want, n, fn, optional)
  local t = type(v)
  if t == want or (optional and v == nil) then return v end
  argerror(n, fn, ("%s expected, got %s"):format(want, v == nil and "no value" or t))
end

-- A finite number within [lo, hi] (NaN and +-inf never are; hi may be
-- math.huge), else "bad argument #n to 'fn' (msg)".
local function checknum(v, lo, hi, n, fn, msg)
  if type(v) ~= "number" or v ~= v or v == huge or v == -huge or v < lo or v > hi then
    argerror(n, fn, msg)
  end
  return v
end

-- A string without NUL bytes (the C side would cut it short at the first).
local function checkstr(v, n, fn, what, optional)
  if v == nil and optional then return nil end
  if type(v) ~= "string" then
    argerror(n, fn, ("%s: string expected, got %s"):format(what, v == nil and "no value" or type(v)))
  end
  if v:find("\0", 1, true) then argerror(n, fn, what .. ": must not contain a NUL byte") end
  return v
end

-- self of a client method: luaL_argerror's "calling 'fn' on bad self".
local function checkself(self, fn)
  if not core.is_client(self) then
    raise(("calling '%s' on bad self (ecs.client expected, got %s)"):format(fn,
      self == nil and "no value" or type(self)))
  end
  return self
end

local function checkopts(opts, allowed, n, fn)
  if opts == nil then return {} end
  if type(opts) ~= "table" then argerror(n, fn, "table expected, got " .. type(opts)) end
  for k in pairs(opts) do
    if not allowed[k] then argerror(n, fn, ("unknown option '%s'"):format(tostring(k))) end
  end
  return opts
end

local function set(list)
  local s = {}
  for _, k in ipairs(list) do s[k] = true end
  return s
end

I.raise, I.argerror, I.set = raise, argerror, set
I.checktype, I.checknum, I.checkstr = checktype, checknum, checkstr
I.checkself, I.checkopts = checkself, checkopts
