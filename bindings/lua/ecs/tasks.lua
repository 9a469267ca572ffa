-- ecs/tasks.lua - the task scheduler of the Lua half (see init.lua):
-- ecs.spawn, join, run, sleep, stats, ecs.pcall, and I.await, which every
-- call waits through (ecs.parallel, on top of them, is parallel.lua).
local core, M, I = ...

local TOKEN = core.TOKEN
local mono = core.monotonic
local cyield, crunning, cstatus = coroutine.yield, coroutine.running, coroutine.status
local pack, unpack = I.pack, I.unpack
local floor, min, max, huge = math.floor, math.min, math.max, math.huge
local type, tostring, error, setmetatable = type, tostring, error, setmetatable
local raise, argerror, checktype, checknum, checkopts, set =
  I.raise, I.argerror, I.checktype, I.checknum, I.checkopts, I.set

-- xpcall(f, handler, args...): Lua 5.1's xpcall passes f no arguments.
local xpcall = xpcall
if select(2, xpcall(function(a) return a end, tostring, true)) ~= true then
  local xpcall0 = xpcall
  xpcall = function(f, handler, ...)
    local args = pack(...)
    return xpcall0(function() return f(unpack(args, 1, args.n)) end, handler)
  end
end

-- coroutine.create(fn): Lua 5.1's takes only Lua functions (ecs.spawn(print)
-- works everywhere).
local cocreate = coroutine.create
if not pcall(cocreate, type) then
  cocreate = function(fn)
    return coroutine.create(function(...) return fn(...) end)
  end
end

------------------------------------------------------------------ scheduler
-- Tasks are coroutines. A task waits only by yielding (TOKEN, what, arg) from
-- ecs functions: "call" (a transfer, resumed by core.poll), "sleep" (a timer)
-- or "join" (another task). Anything else it yields is a misuse that ends
-- the task with a clear error.

local tasks = {}          -- thread -> true (in_task)
local ntasks = 0
local ready, rhead, rtail = {}, 1, 0
local waiting = {}        -- call (light userdata) -> task
local timers = {}         -- binary heap of { at, task }
local pollbuf = {}
local failures = {}       -- failed tasks nobody joined
local Task = {}
Task.__index = Task
Task.__name = "ecs.task"
local next_task_id = 0

local function push_ready(t)
  rtail = rtail + 1
  ready[rtail] = t
end

local function heap_push(e)
  local h = timers
  local i = #h + 1
  h[i] = e
  while i > 1 do
    local p = floor(i / 2)
    if h[p].at <= h[i].at then break end
    h[p], h[i] = h[i], h[p]
    i = p
  end
end

local function heap_pop()
  local h = timers
  local top, n = h[1], #h
  h[1] = h[n]
  h[n] = nil
  n = n - 1
  local i = 1
  while true do
    local l, r, s = 2 * i, 2 * i + 1, i
    if l <= n and h[l].at < h[s].at then s = l end
    if r <= n and h[r].at < h[s].at then s = r end
    if s == i then break end
    h[s], h[i] = h[i], h[s]
    i = s
  end
  return top
end

local finished = 0 -- tasks finished so far (a step that finishes one does not block)

local function finish(t, ok, ...)
  finished = finished + 1
  t.done = true
  tasks[t.co] = nil
  ntasks = ntasks - 1
  if ok then
    t.results = pack(...)
  else
    t.error = ...
    failures[t] = true
  end
  for i = 1, #t.joiners do push_ready(t.joiners[i]) end
  t.joiners = nil
end

local function traceback(co, e)
  if type(e) == "table" then return e end -- err tables stay tables
  return debug.traceback(co, tostring(e))
end

local function after_resume(t, ok, ...)
  if not ok then
    return finish(t, false, traceback(t.co, (...)))
  end
  if cstatus(t.co) == "dead" then
    return finish(t, true, ...)
  end
  local tok, what, arg = ...
  if tok ~= TOKEN then
    return finish(t, false, debug.traceback(t.co,
      "coroutine.yield inside an ecs task: a task may only wait through ecs functions " ..
      "(ecs calls, ecs.sleep, ecs.join, ecs.parallel)"))
  end
  if what == "call" then
    waiting[arg] = t
  elseif what == "sleep" then
    heap_push({ at = mono() + arg, task = t })
  elseif what == "join" then
    if arg.done then push_ready(t) else arg.joiners[#arg.joiners + 1] = t end
  end
end

local function resume(t)
  local args = t.args
  if args then
    t.args = nil
    return after_resume(t, coroutine.resume(t.co, unpack(args, 1, args.n)))
  end
  return after_resume(t, coroutine.resume(t.co))
end

-- One turn of the loop: run the tasks that are ready, then wait up to
-- max_wait seconds for transfers and timers. Called by the C core too, when
-- a call at the top level waits for its own transfer.
local function step(max_wait)
  local stop, before = rtail, finished
  while rhead <= stop do
    local t = ready[rhead]
    ready[rhead] = nil
    rhead = rhead + 1
    resume(t)
  end
  local wait = max_wait
  if rhead <= rtail or finished ~= before then wait = 0 end
  local h = timers[1]
  if h then wait = min(wait, h.at - mono()) end
  if wait < 0 then wait = 0 end
  local n = core.poll(wait, pollbuf)
  for i = 1, n do
    local c = pollbuf[i]
    pollbuf[i] = nil
    local t = waiting[c]
    if t then
      waiting[c] = nil
      push_ready(t)
    end
  end
  if timers[1] then
    local now = mono()
    while timers[1] and timers[1].at <= now do push_ready(heap_pop().task) end
  end
end
core.set_scheduler(step) -- core.fetch runs it while it waits

-- Is the running coroutine a task that can yield to the scheduler? Where
-- coroutine.isyieldable exists (5.3+), a task inside a C call that cannot
-- yield waits by running the scheduler's step instead. (Lua 5.1 has
-- coroutine.running() return nil, not the main thread and true.)
local isyieldable = coroutine.isyieldable
local function in_task()
  local co, main = crunning()
  return co ~= nil and not main and tasks[co] == true and (not isyieldable or isyieldable())
end

-- I.xpcall(f, handler, ...) -> true, results... | false, handler(err, co):
-- xpcall through which a task can still wait. Lua 5.2+ and LuaJIT yield
-- across xpcall; PUC Lua 5.1 cannot, so there f runs in a coroutine of its
-- own, counted as part of the task, whose yields are passed up to the
-- scheduler and whose resumptions are passed down. The handler gets the
-- failed coroutine (for its traceback) as a second argument there.
local yields_across_pcall = coroutine.wrap(function()
  return pcall(cyield, true)
end)() == true
if yields_across_pcall then
  I.xpcall = xpcall
else
  local resume = coroutine.resume
  local function settle(co, handler, r)
    while true do
      if not r[1] then
        tasks[co] = nil
        return false, handler(r[2], co)
      end
      if cstatus(co) == "dead" then
        tasks[co] = nil
        return true, unpack(r, 2, r.n)
      end
      r = pack(resume(co, cyield(unpack(r, 2, r.n))))
    end
  end
  I.xpcall = function(f, handler, ...)
    local co = coroutine.create(f)
    if in_task() then tasks[co] = true end
    return settle(co, handler, pack(resume(co, ...)))
  end
end
function I.pcall(f, ...) return I.xpcall(f, function(e) return e end, ...) end

-- ecs.pcall(fn, ...): pcall through which a task can still wait, on every Lua.
function M.pcall(fn, ...)
  checktype(fn, "function", 1, "pcall")
  return I.pcall(fn, ...)
end

-- Waits for the call of handle h (core.call, core.http_start): wait seconds
-- for its rate-limit slot, then its transfer; returns what core.finish
-- returns. Inside a task it yields to the scheduler; anywhere else (top
-- level, a user's own coroutine) it runs the scheduler's step itself until
-- its own call is done, so other tasks keep running meanwhile. The C core
-- never yields: this is what lets the module run on Lua 5.1 and LuaJIT.
function I.await(h, wait)
  if in_task() then
    if wait and wait > 0 then cyield(TOKEN, "sleep", wait) end
    local key = core.submit(h)
    if key then cyield(TOKEN, "call", key) end
  else
    local untilt = mono() + (wait or 0)
    while true do
      local left = untilt - mono()
      if left <= 0 then break end
      step(left)
    end
    core.submit(h)
    while not core.done(h) do step(1.0) end
  end
  return core.finish(h)
end

-- A task may only wait through ecs functions. The scheduler ends a task that
-- yields anything else (after_resume). ecsrun, which owns its globals, also
-- installs this guard as coroutine.yield so that the raw yield raises right
-- at the yield; require "ecs" from another host leaves coroutine.yield alone.
-- Outside tasks, and in coroutines a task creates, the guard is plain yield.
core.set_yield_guard(function(...)
  if in_task() then
    error("coroutine.yield inside an ecs task: a task may only wait through ecs functions " ..
          "(ecs calls, ecs.sleep, ecs.join, ecs.parallel)", 2)
  end
  return cyield(...)
end)

-- Is there anything that could still make progress?
local function can_progress()
  return rhead <= rtail or timers[1] ~= nil or core.inflight() > 0 or next(waiting) ~= nil
end

-- ecs.stats() -> { tasks =, calls =, transfers = }: running tasks, API calls
-- the module holds (in flight or waiting for a rate-limit slot), transfers in
-- flight. For monitoring a long run, and for tests that prove nothing leaks.
function M.stats()
  return { tasks = ntasks, calls = core.live_calls(), transfers = core.inflight() }
end

function M.spawn(fn, ...)
  checktype(fn, "function", 1, "spawn")
  next_task_id = next_task_id + 1
  local t = setmetatable({ co = cocreate(fn), args = pack(...), joiners = {},
                           id = next_task_id }, Task)
  tasks[t.co] = true
  ntasks = ntasks + 1
  push_ready(t)
  return t
end

-- ecs.join(task) -> true, results... | false, err (like pcall).
function M.join(t)
  if getmetatable(t) ~= Task then argerror(1, "join", "task expected, got " .. type(t)) end
  if not t.done then
    if in_task() then
      cyield(TOKEN, "join", t)
    else
      while not t.done do
        if not can_progress() then error("ecs.join: deadlock: the task waits for something that will never happen", 2) end
        step(1)
      end
    end
  end
  failures[t] = nil
  if t.error ~= nil then return false, t.error end
  return true, unpack(t.results, 1, t.results.n)
end

local function checktask(self, fn)
  if getmetatable(self) ~= Task then
    raise(("calling '%s' on bad self (ecs.task expected, got %s)"):format(fn,
      self == nil and "no value" or type(self)))
  end
end

function Task:join()
  checktask(self, "join")
  return M.join(self)
end
function Task:status()
  checktask(self, "status")
  if not self.done then return "running" end
  return self.error ~= nil and "failed" or "done"
end

-- ecs.run() -> true | false, { err, ... }: runs every task to completion.
-- Failures of tasks that nobody joined are returned (and logged).
function M.run()
  if in_task() then error("ecs.run cannot be called inside a task", 2) end
  while ntasks > 0 do
    if not can_progress() then error("ecs.run: deadlock: tasks wait on each other", 2) end
    step(1)
  end
  local errs = {}
  for t in pairs(failures) do
    errs[#errs + 1] = t.error
    failures[t] = nil
  end
  if #errs > 0 then
    for _, e in ipairs(errs) do M.log.error("task failed", { error = tostring(e) }) end
    return false, errs
  end
  return true
end

function M.sleep(s)
  checktype(s, "number", 1, "sleep")
  checknum(s, 0, huge, 1, "sleep", "must be a number >= 0")
  if in_task() then
    cyield(TOKEN, "sleep", s)
    return
  end
  local untilt = mono() + s
  repeat
    local left = untilt - mono()
    if left <= 0 then break end
    step(left)
  until false
end
