-- The Lua half of the ecs module (bindings/lua/ecs/*.lua) runs unchanged on
-- Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT 2.1: this script loads its chunks the
-- way luaopen_ecs does (in the order bindings/CMakeLists.txt embeds them,
-- as chunk(core, M, I) named "=[ecs.<name>]") with a stand-in for the C half
-- (a virtual clock, scripted API answers) and drives the scheduler,
-- parallel, retry, reactivate and the misuse positions. Exits non-zero on
-- the first failure.
-- usage: <lua> portability.lua SOURCE_DIR
local src = assert(arg[1], "usage: portability.lua SOURCE_DIR")
local load = loadstring or load -- luacheck: ignore (5.1's loadstring)
local unpack = table.unpack or unpack -- luacheck: ignore

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

local checks = 0
local function check(cond, what, ...)
  checks = checks + 1
  if not cond then
    io.stderr:write("FAIL (", _VERSION, jit and (" " .. jit.version) or "", "): ", what:format(...), "\n")
    os.exit(1)
  end
end

-- The stand-in C half.
local clock = 0
local answers, sent = {}, {} -- core.call: answers to give, requests made
local CLIENT = setmetatable({}, { __name = "client" })
local NULL = setmetatable({}, { __tostring = function() return "null" end })
local err_mt = { __tostring = function(e) return tostring(e.code) end }
local function encode(v) -- enough JSON for lists of strings and flat records
  if type(v) == "string" then return ("%q"):format(v) end
  if type(v) ~= "table" then return tostring(v) end
  local parts = {}
  for i = 1, #v do parts[i] = encode(v[i]) end
  return "[" .. table.concat(parts, ",") .. "]"
end
local core = {
  TOKEN = {}, version = "test", sign = {}, http = {}, now = os.time,
  json = { null = NULL, array = function(t) return t end, encode = encode,
           decode = function() error("not in this test") end },
  monotonic = function() return clock end,
  poll = function(wait) clock = clock + wait return 0 end, -- nothing in flight: time passes
  set_scheduler = function() end, set_yield_guard = function() end,
  set_client_methods = function() end,
  inflight = function() return 0 end, live_calls = function() return 0 end,
  stderr_isatty = function() return false end,
  is_secret_name = function(k) return k:find("Secret", 1, true) ~= nil end,
  text_escape = function(s) return s end, utf8_clean = function(s) return s end,
  is_client = function(v) return v == CLIENT end,
  client_info = function() return { region = "cn-test" } end,
  is_mutating = function(action) return action ~= "DescribeInstances" end,
  error = function(t) return setmetatable(t, err_mt) end,
  -- a call handle that is done at once: submit has nothing to start
  call = function(_, action, params)
    sent[#sent + 1] = { action = action, params = params }
    local a = table.remove(answers, 1) or {}
    return { a[1], a[2] }, 0
  end,
  submit = function() return nil end,
  done = function() return true end,
  finish = function(h) return h[1], h[2] end,
}

local order = slurp(src .. "/bindings/CMakeLists.txt"):match("set%(LECS_LUA_CHUNKS ([^)]*)%)")
check(order, "bindings/CMakeLists.txt has no set(LECS_LUA_CHUNKS ...)")
local M, I = {}, {}
for name in order:gmatch("%S+") do
  local chunk, e = load(slurp(src .. "/bindings/lua/ecs/" .. name .. ".lua"), "=[ecs." .. name .. "]")
  check(chunk, "%s.lua does not compile: %s", name, tostring(e))
  local ok, e2 = pcall(chunk, core, M, I)
  check(ok, "%s.lua fails to run: %s", name, tostring(e2))
end
check(type(I.sim_setup) == "function", "no I.sim_setup")
for _, f in ipairs({ "spawn", "join", "run", "sleep", "parallel", "call", "retry", "reactivate",
                     "instances", "wait_for", "classify" }) do
  check(type(M[f]) == "function", "ecs.%s missing", f)
end

-- Misuse is positioned at the caller's line, through tail calls too
-- (ecs.reactivate tail-calls its worker: a frame of its own on 5.1).
local function misuse_line(f, ...)
  local args, line = { n = select("#", ...), ... }, nil
  local ok, e = pcall(function() line = debug.getinfo(1, "l").currentline; f(unpack(args, 1, args.n)) end)
  check(not ok, "misuse did not raise")
  return e, line
end
local e, line = misuse_line(M.sleep, -1)
check(e:find(":" .. line .. ": bad argument #1 to 'sleep' (must be a number >= 0)", 1, true),
      "sleep(-1) raised %q, want it at line %d", e, line)
e, line = misuse_line(M.reactivate, 5)
check(e:find(":" .. line .. ": bad argument #1 to 'reactivate' (instance id or table expected, got number)", 1, true),
      "reactivate(5) raised %q, want it at line %d", e, line)
e, line = misuse_line(M.reactivate, { instance_id = "i-1", OwnerId = 1.5 })
check(e:find(":" .. line .. ": bad argument #1 to 'reactivate' (OwnerId: non-negative integer expected)", 1, true),
      "OwnerId = 1.5 raised %q", e)

-- The scheduler: timers fire in order, results (nil holes too) come back.
local fired = {}
for _, s in ipairs({ 3, 1, 4, 1.5, 2, 5, 0.5 }) do
  M.spawn(function() M.sleep(s) fired[#fired + 1] = s end)
end
local t = M.spawn(function(a, b, c) M.sleep(1) return a, b, c end, 1, nil, 3)
local r = { n = 0 }
M.spawn(function() r = { n = select("#", M.join(t)), M.join(t) } end)
check(M.run() == true, "ecs.run failed")
check(table.concat(fired, " ") == "0.5 1 1.5 2 3 4 5", "timers fired as %s", table.concat(fired, " "))
check(r.n == 4 and r[1] == true and r[2] == 1 and r[3] == nil and r[4] == 3, "join gave %d results", r.n)

-- parallel passes (item, i) to fn and keeps errors per item; fn waits inside
-- it on every Lua (PUC 5.1, which cannot yield across pcall, through
-- I.xpcall's coroutine), and the error keeps fn's traceback.
local res, errs = M.parallel({ 10, 20, 30 }, function(item, i)
  M.sleep(0.1)
  if i == 2 then error("boom") end
  return item + i
end, { concurrency = 2 })
check(res[1] == 11 and res[3] == 33 and res[2] == nil, "parallel results %s %s %s",
      tostring(res[1]), tostring(res[2]), tostring(res[3]))
check(type(errs[2]) == "string" and errs[2]:find("boom", 1, true) and errs[2]:find("traceback", 1, true),
      "parallel error %s", tostring(errs[2]))

-- retry: retryable failures, then success with every result.
local a, b, c = M.retry(function(n)
  if n < 3 then return nil, core.error({ code = "InternalError", retryable = true }) end
  return "ok", nil, n
end, { base = 0.01, jitter = "none" })
check(a == "ok" and b == nil and c == 3, "retry gave %s %s %s", tostring(a), tostring(b), tostring(c))

-- reactivate: owner ids go out as digit strings.
answers = { { { RequestId = "r-1" } } }
sent = {}
local out = assert(M.reactivate({ instance_id = "i-1", region = "cn-x", OwnerId = 42 }))
check(out.attempts == 1 and out.request_id == "r-1", "reactivate gave %s", tostring(out.request_id))
check(sent[1].action == "ReActivateInstances" and sent[1].params.OwnerId == "42",
      "reactivate sent OwnerId %s", tostring(sent[1] and sent[1].params.OwnerId))

-- instances: ids go out as JSON lists, pages are followed.
answers = { { { Instances = { Instance = { { InstanceId = "i-1" } } }, NextToken = "p2" } },
            { { Instances = { Instance = { { InstanceId = "i-2" } } }, NextToken = "" } } }
sent = {}
local ids = {}
for inst in M.instances({ ids = { "i-1", "i-2" } }) do ids[#ids + 1] = inst.InstanceId end
check(table.concat(ids, ",") == "i-1,i-2", "instances gave %s", table.concat(ids, ","))
check(sent[1].params.InstanceIds == '["i-1","i-2"]' and sent[2].params.NextToken == "p2",
      "instances sent %s", tostring(sent[1].params.InstanceIds))

print(("ok: %d checks on %s%s"):format(checks, _VERSION, jit and (" (" .. jit.version .. ")") or ""))
