-- ecs.lua - the pure-Lua half of the `ecs` module, embedded into the module
-- at build time. It receives the C core (bindings/lecs.c) and returns the
-- module table. Policy helpers live here: the task scheduler, reactivate,
-- instances, reactivatable, parallel, retry, wait_for, log.
local core = ...

local TOKEN = core.TOKEN
local json = core.json
local mono = core.monotonic
local cyield, crunning, cstatus = coroutine.yield, coroutine.running, coroutine.status
local pack, unpack = table.pack, table.unpack
local floor, min, max, huge, random = math.floor, math.min, math.max, math.huge, math.random
local type, tostring, select, error, pcall, setmetatable = type, tostring, select, error, pcall, setmetatable

local M = {
  version = core.version,
  json = json,
  null = json.null,
  sign = core.sign,
  now = core.now,
  error = core.error,
}

-- Misuse raises "bad argument #n to 'fn' (msg)" positioned at the first
-- stack frame outside this module: the caller's line, however many helper
-- layers or tail calls lie between (the C half does the same: lecs_argerror).
-- Methods number their arguments as luaL_argerror does (self is not counted).
local getinfo = debug.getinfo
local MODSRC = "=[ecs]"

local function caller_level()
  local lvl = 3 -- 1: caller_level, 2: the raising helper, 3: its caller
  while true do
    local i = getinfo(lvl, "S")
    if not i then return 0 end
    if i.source ~= MODSRC then return lvl - 1 end -- as error() counts from the raiser
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
    local p = i // 2
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
-- max_wait seconds for transfers and timers. Also run by await and
-- core.fetch when a call outside a task waits for its own transfer.
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

-- Is the running coroutine a task that can yield to the scheduler? (Where
-- coroutine.isyieldable exists, a task inside a C call that cannot yield
-- waits by running the scheduler's step instead.)
local isyieldable = coroutine.isyieldable
local function in_task()
  local co = crunning()
  return co ~= nil and tasks[co] == true and (not isyieldable or isyieldable())
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

local sent, throttled = 0, 0 -- API calls sent (see call below), throttled answers

-- ecs.counters() -> { api_calls =, throttled = }: API calls sent so far by
-- this process (dry-run and configuration failures excluded) and how many
-- were answered with a throttling code. For a run's report and metrics.
function M.counters() return { api_calls = sent, throttled = throttled } end

function M.spawn(fn, ...)
  checktype(fn, "function", 1, "spawn")
  next_task_id = next_task_id + 1
  local t = setmetatable({ co = coroutine.create(fn), args = pack(...), joiners = {},
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

------------------------------------------------------------------------ log
local progress_line -- the progress text on the terminal now (ecs.parallel), or nil
local log_format, log_level = "text", 2 -- 1 debug, 2 info, 3 warn, 4 error
local levels = { debug = 1, info = 2, warn = 3, error = 4 }
local is_secret, escape, clean = core.is_secret_name, core.text_escape, core.utf8_clean
local REDACTED = "[redacted]"

local function printable(v)
  local tv = type(v)
  if tv == "string" or tv == "number" or tv == "boolean" then return v end
  if tv == "table" and not (getmetatable(v) and getmetatable(v).__tostring) then return v end
  return tostring(v)
end

-- A copy of value with every field named like a secret (runtime/redact.c's
-- predicate: Password, *Secret*, *Token*, ...) replaced by "[redacted]", at
-- any depth. Tables seen before (cycles) become "[cycle]".
local function redact(v, seen)
  v = printable(v)
  if type(v) ~= "table" then return v end
  seen = seen or {}
  if seen[v] then return "[cycle]" end
  seen[v] = true
  local out = setmetatable({}, getmetatable(v)) -- keeps ecs.json.array marks
  for k, x in pairs(v) do
    out[k] = (type(k) == "string" and is_secret(k)) and REDACTED or redact(x, seen)
  end
  seen[v] = nil
  return out
end

-- Text logs: one line per record, whatever the message and values hold
-- (newlines, ESC, invalid UTF-8 are escaped, runtime/utf8.c); a value with a
-- space, quote or '=' is quoted.
local function text_value(v)
  if type(v) == "table" then
    local ok, s = pcall(json.encode, v)
    v = ok and s or tostring(v)
  end
  v = escape(tostring(v))
  if v:find("[ \"=]") then v = '"' .. v .. '"' end
  return v
end

local function log_write(level, msg, fields)
  if levels[level] < log_level then return end
  local t = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local line
  fields = type(fields) == "table" and redact(fields) or nil
  if log_format == "json" then
    local rec = { time = t, level = level, msg = tostring(msg) }
    for k, v in pairs(fields or {}) do
      if rec[k] == nil then rec[k] = v end
    end
    local ok, s = pcall(json.encode, rec)
    line = clean(ok and s or json.encode({ time = t, level = level, msg = tostring(msg) }))
  else
    local parts = { t, level:upper(), escape(tostring(msg)) }
    if fields then
      local keys = {}
      for k in pairs(fields) do keys[#keys + 1] = k end
      table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
      for _, k in ipairs(keys) do
        parts[#parts + 1] = escape(tostring(k)) .. "=" .. text_value(fields[k])
      end
    end
    line = table.concat(parts, " ")
  end
  if progress_line then -- a progress line is on screen: clear it, log, redraw it
    io.stderr:write("\r\27[K", line, "\n", progress_line)
  else
    io.stderr:write(line, "\n")
  end
end

M.log = {
  debug = function(msg, fields) log_write("debug", msg, fields) end,
  info = function(msg, fields) log_write("info", msg, fields) end,
  warn = function(msg, fields) log_write("warn", msg, fields) end,
  error = function(msg, fields) log_write("error", msg, fields) end,
  -- ecs.log.configure{ format = "text"|"json", level = "debug"|"info"|"warn"|"error" }
  configure = function(o)
    o = checkopts(o, set { "format", "level" }, 1, "configure")
    if o.format ~= nil then
      if o.format ~= "text" and o.format ~= "json" then argerror(1, "configure", "format: \"text\" or \"json\" expected") end
      log_format = o.format
    end
    if o.level ~= nil then
      if not levels[o.level] then argerror(1, "configure", "level: debug, info, warn or error expected") end
      log_level = levels[o.level]
    end
  end,
  format = function() return log_format end,
}

---------------------------------------------------------------------- calls
local clientm = {}
core.set_client_methods(clientm)

-- Waits for the call of handle h (core.call, core.http_start): wait seconds
-- for its rate-limit slot, then its transfer; returns what core.finish
-- returns. Inside a task it yields to the scheduler; anywhere else (top
-- level, a user's own coroutine) it runs the scheduler's step itself until
-- its own call is done, so other tasks keep running meanwhile.
local function await(h, wait)
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

-- ecs.http.request(opts) -> {status=, headers=, body=} | nil, err.
M.http = { request = function(...) return await(core.http_start(...)) end }

local function call(c, action, params, region, attempt, delay)
  local t0 = log_level <= 1 and mono() or nil
  local body, err = await(core.call(c, action, params, region, attempt, delay))
  if body or (err and err.code ~= "EDRYRUN" and err.kind ~= "config" and err.kind ~= "credentials") then
    sent = sent + 1
    if err and err.kind == "throttle" then throttled = throttled + 1 end
  end
  if body == nil and err and err.code == "EDRYRUN" then
    M.log.info("dry run: not sent", { action = action, target = err.instance_id or region,
                                      params = params or {} })
  elseif t0 then -- -v: one line per call, never a secret (the params are the caller's)
    M.log.debug("call", { action = action, instance_id = params and params.InstanceId,
                          region = region or (params and params.RegionId), ok = body ~= nil,
                          code = err and err.code, status = err and err.status,
                          request_id = body and body.RequestId or (err and err.request_id),
                          elapsed = ("%.3f"):format(mono() - t0) })
  end
  return body, err
end

-- Runs core function f(opts) for API function fn; its option errors are
-- raised again at fn's caller (level 3), not at this file's line.
local function at_caller(fn, f, opts)
  local ok, r = pcall(f, opts)
  if not ok then
    error(type(r) == "string" and (r:gsub("^%[ecs%]:%d+: ", "", 1):gsub("to '%?'", "to '" .. fn .. "'", 1)) or r, 3)
  end
  return r
end

function M.configure(opts)
  checktype(opts, "table", 1, "configure")
  at_caller("configure", core.configure, opts)
end

function M.client(opts)
  if opts ~= nil and type(opts) ~= "table" then argerror(1, "client", "table expected, got " .. type(opts)) end
  return (at_caller("client", core.client, opts))
end

local function check_call(action, params)
  checktype(action, "string", 1, "call")
  if action == "" then argerror(1, "call", "action must not be empty") end
  checkstr(action, 1, "call", "action")
  checktype(params, "table", 2, "call", true)
end

function M.call(action, params)
  check_call(action, params)
  return call(nil, action, params)
end

function clientm.call(self, action, params)
  checkself(self, "call")
  check_call(action, params)
  return call(self, action, params)
end

function clientm.info(self) return core.client_info(checkself(self, "info")) end

-- ecs.credentials([client]) -> { access_key_id=, provider=, expiration=, region= } or
-- nil, err (ECREDS): resolves the default chain if needed; never the secret
function M.credentials(c)
  if c ~= nil and not core.is_client(c) then
    argerror(1, "credentials", "ecs.client expected, got " .. type(c))
  end
  local info, err = core.client_info(c, true)
  if not info then return nil, err end
  return { access_key_id = info.access_key_id, provider = info.provider,
           expiration = info.expiration, region = info.region }
end


------------------------------------------------------------------ balance
-- BssOpenApi QueryAccountBalance through a BSS client (by default one that
-- inherits the default client's settings: credentials, endpoint under
-- --simulate, timeouts). Amounts come as strings ("1000.00", may be
-- negative); a missing or non-numeric AvailableAmount is EJSON.
local bss_default

local function amount(v)
  if type(v) ~= "string" or #v > 40 or not v:match("^%-?%d+%.?%d*$") then return nil end
  local n = tonumber(v)
  if not n or n ~= n or n == huge or n == -huge then return nil end
  return n
end

-- ecs.balance([bss_client]) -> { available=, available_cash=, credit=, currency=,
-- request_id= } | nil, err
function M.balance(c)
  if c ~= nil and not core.is_client(c) then
    argerror(1, "balance", "client expected, got " .. type(c))
  end
  if c == nil then
    bss_default = bss_default or core.client({ product = "bss", version = "2017-12-14" })
    c = bss_default
  end
  local body, err = call(c, "QueryAccountBalance")
  if not body then return nil, err end
  local d = type(body.Data) == "table" and body.Data or {}
  local avail = amount(d.AvailableAmount)
  if not avail or type(d.Currency) ~= "string" or d.Currency == "" then
    return nil, core.error({ code = "EJSON", kind = "transport", action = "QueryAccountBalance",
                             request_id = type(body.RequestId) == "string" and body.RequestId or nil,
                             retryable = false, ambiguous = false,
                             message = "QueryAccountBalance answer has no Data.AvailableAmount and Data.Currency" })
  end
  return { available = avail, available_cash = amount(d.AvailableCashAmount),
           credit = amount(d.CreditAmount), currency = d.Currency,
           request_id = type(body.RequestId) == "string" and body.RequestId or nil }
end

----------------------------------------------------------------- retrying
local function default_retry_on(err)
  if type(err) ~= "table" or not err.retryable then return false end
  if err.ambiguous and err.action and core.is_mutating(err.action) then return false end
  return true
end

local retry_opts = set { "attempts", "base", "cap", "jitter", "on", "throttle_for", "max_retry_after" }

-- A throttled answer (ECS counts calls in minute windows: "throttled in minute
-- T, callable again in T+1").
local function throttled(err)
  return type(err) == "table" and (err.kind == "throttle"
    or (type(err.code) == "string" and err.code:find("Throttling", 1, true) ~= nil))
end

-- Delay before retry number n (1-based) under opts, never shorter than the
-- server's retry_after capped at o.max_retry_after (the SDK's 120 s maxDelay).
local function backoff(o, n, err, jitter)
  local ceil = min(o.cap, o.base * 2 ^ (n - 1))
  local d
  jitter = jitter or o.jitter
  if jitter == "full" then d = random() * ceil
  elseif jitter == "equal" then d = ceil / 2 + random() * ceil / 2
  else d = ceil end
  local ra = type(err) == "table" and err.retry_after
  if type(ra) == "number" and ra >= 0 then d = max(d, min(ra, o.max_retry_after)) end
  return d
end

-- The schedule both ecs.retry and ecs.reactivate follow. st = { fails = 0,
-- throttled = 0, waited = 0 }. Returns the delay before the next attempt, or
-- nil when the policy gives up. With throttle_for > 0 throttled answers do not
-- count as attempts: they are retried with equal jitter (never a burst), at
-- most once a second (ecs-facts 8: probe at 1 QPS) unless the cap is lower,
-- until the waits add up to throttle_for seconds.
local function next_delay(o, st, err)
  if o.throttle_for > 0 and throttled(err) then
    if st.waited >= o.throttle_for then return nil end
    st.throttled = st.throttled + 1
    local d = max(backoff(o, st.throttled, err, "equal"), min(1, o.cap))
    st.waited = st.waited + d
    return d
  end
  st.fails = st.fails + 1
  if st.fails >= o.attempts then return nil end
  return backoff(o, st.fails, err)
end

-- Checks and completes retry options; n is the argument they came in.
local function norm_retry(opts, fn, n, defaults)
  n = n or 2
  opts = checkopts(opts, retry_opts, n, fn)
  defaults = defaults or {}
  local o = {
    attempts = opts.attempts or 5, base = opts.base or 1, cap = opts.cap or 30,
    jitter = opts.jitter or "full", on = opts.on or default_retry_on,
    throttle_for = opts.throttle_for or defaults.throttle_for or 0,
    max_retry_after = opts.max_retry_after or 120,
  }
  checknum(o.attempts, 1, huge, n, fn, "attempts: number >= 1 expected")
  checknum(o.base, 0, huge, n, fn, "base: number >= 0 expected")
  checknum(o.cap, 0, huge, n, fn, "cap: number >= 0 expected")
  if o.jitter ~= "full" and o.jitter ~= "equal" and o.jitter ~= "none" then
    argerror(n, fn, "jitter: \"full\", \"equal\" or \"none\" expected")
  end
  if type(o.on) ~= "function" then argerror(n, fn, "on: function expected") end
  checknum(o.throttle_for, 0, 86400, n, fn, "throttle_for: number of seconds in 0-86400 expected")
  checknum(o.max_retry_after, 0, 86400, n, fn, "max_retry_after: number of seconds in 0-86400 expected")
  return o
end

-- ecs.retry(fn, opts) -> fn's results. fn(attempt) returns a result or
-- nil, err; a retry happens when opts.on(err) says so (default: retryable and
-- not an ambiguous mutating call), after exponential backoff with jitter,
-- never sooner than err.retry_after (capped at max_retry_after, 120 s).
-- throttle_for = S keeps retrying throttled answers for S seconds of waiting
-- beyond attempts (default 0 here; ecs.reactivate uses 70). The final err
-- carries .attempts.
function M.retry(fn, opts)
  checktype(fn, "function", 1, "retry")
  local o = norm_retry(opts, "retry")
  local n, st = 0, { fails = 0, throttled = 0, waited = 0 }
  while true do
    n = n + 1
    local r = pack(fn(n))
    local res, err = r[1], r[2]
    if res ~= nil or err == nil then return unpack(r, 1, r.n) end
    if type(err) == "table" then err.attempts = n end
    if not o.on(err) then return nil, err end
    local d = next_delay(o, st, err)
    if not d then return nil, err end
    M.sleep(d)
  end
end

---------------------------------------------------------------- instances
local inst_opts = set { "region", "status", "lock_reason", "ids", "charge_type", "zone",
                        "name", "tags", "page_size", "resource_group", "vpc", "instance_type", "image" }
local inst_keys = { region = "RegionId", status = "Status", lock_reason = "LockReason",
                    charge_type = "InstanceChargeType", zone = "ZoneId", name = "InstanceName",
                    resource_group = "ResourceGroupId", vpc = "VpcId", instance_type = "InstanceType",
                    image = "ImageId" }
-- API parameters the iterator owns (paging, ids): passing them raw would break it.
local inst_owned = set { "NextToken", "MaxResults", "PageNumber", "PageSize", "InstanceIds" }

-- Builds the DescribeInstances filters of opts (shared by instances and
-- reactivatable). Raises on misuse.
-- Any other DescribeInstances parameter passes through under its API name
-- (a key starting with an upper-case letter: KeyPairName, VSwitchId, ...) as
-- a string, number or boolean; an option and its API name together raise.
local function describe_filters(opts, fn)
  local raw = {}
  if type(opts) == "table" then
    for k, v in pairs(opts) do
      if type(k) == "string" and k:match("^%u%w*[%w%.]*$") then
        if inst_owned[k] then
          argerror(1, fn, ("'%s' is managed by the iterator%s"):format(k, k == "InstanceIds" and " (use ids)" or ""))
        end
        local tv = type(v)
        if tv ~= "string" and tv ~= "number" and tv ~= "boolean" then
          argerror(1, fn, ("%s: string, number or boolean expected, got %s"):format(k, tv))
        end
        raw[k] = tv == "string" and checkstr(v, 1, fn, k) or tostring(v)
      end
    end
    if next(raw) then
      local o = {}
      for k, v in pairs(opts) do if raw[k] == nil then o[k] = v end end
      opts = o
    end
  end
  opts = checkopts(opts, inst_opts, 1, fn)
  local p = {}
  for k, pk in pairs(inst_keys) do
    local v = opts[k]
    if v ~= nil then
      if raw[pk] ~= nil then argerror(1, fn, ("%s and %s name the same filter"):format(k, pk)) end
      p[pk] = checkstr(v, 1, fn, k)
    end
  end
  for k, v in pairs(raw) do p[k] = v end
  if opts.tags ~= nil then
    if type(opts.tags) ~= "table" then argerror(1, fn, "tags: table expected") end
    local keys = {}
    for k in pairs(opts.tags) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    local tl = {}
    for i, k in ipairs(keys) do
      tl[i] = { Key = checkstr(k, 1, fn, "tags key"), Value = checkstr(tostring(opts.tags[k]), 1, fn, "tags." .. k) }
    end
    p.Tag = tl
  end
  if opts.ids ~= nil then
    if type(opts.ids) ~= "table" then argerror(1, fn, "ids: table (list of instance ids) expected") end
    for i, id in ipairs(opts.ids) do
      if type(id) ~= "string" then argerror(1, fn, ("ids[%d]: string expected"):format(i)) end
      checkstr(id, 1, fn, ("ids[%d]"):format(i))
    end
  end
  local ps = opts.page_size or 100
  checknum(ps, 1, 100, 1, fn, "page_size: number 1-100 expected")
  p.MaxResults = floor(ps)
  return p, opts.ids
end

-- Iterator over every instance matching p, paging with NextToken and
-- splitting ids into chunks of 100. Raises the err table on failure.
local function instance_iter(c, p, ids)
  local chunks = {}
  if ids then
    for i = 1, #ids, 100 do chunks[#chunks + 1] = json.array({ unpack(ids, i, min(i + 99, #ids)) }) end
    if #ids == 0 then return function() return nil end end
  end
  local chunk, buf, i, token, more = 1, {}, 0, nil, true
  return function()
    while true do
      i = i + 1
      local v = buf[i]
      if v ~= nil then return v end
      if not more then return nil end
      local q = {}
      for k, val in pairs(p) do q[k] = val end
      q.NextToken = token
      if ids then q.InstanceIds = json.encode(chunks[chunk]) end
      local body, err = call(c, "DescribeInstances", q)
      if not body then error(err, 0) end
      buf, i = (body.Instances and body.Instances.Instance) or {}, 0
      token = body.NextToken
      if token == nil or token == "" or token == json.null then
        token = nil
        chunk = chunk + 1
        more = ids ~= nil and chunk <= #chunks
      end
    end
  end
end

function M.instances(opts) return instance_iter(nil, describe_filters(opts, "instances")) end
function clientm.instances(self, opts)
  return instance_iter(checkself(self, "instances"), describe_filters(opts, "instances"))
end

-- Collects an iterator into a list; (nil, err) if it raised an err table.
local function collect(it, keep)
  local list = {}
  local ok, e = pcall(function()
    for v in it do
      if not keep or keep(v) then list[#list + 1] = v end
    end
  end)
  if not ok then
    if type(e) == "table" then return nil, e end
    error(e, 0)
  end
  return list
end

local function has_lock(inst, reason)
  local ol = inst.OperationLocks
  local l = ol and ol.LockReason
  if type(l) ~= "table" then return false end
  for _, r in ipairs(l) do
    if r.LockReason == reason then return true end
  end
  return false
end

-- ecs.classify(inst) -> true | false, reason: can ReActivateInstances help?
function M.classify(inst)
  checktype(inst, "table", 1, "classify")
  if inst.InstanceChargeType == "PrePaid" then return false, "PrePaid (subscription) instance" end
  if has_lock(inst, "security") then return false, "locked for security reasons" end
  if inst.Status ~= "Stopped" then return false, "status is " .. tostring(inst.Status) end
  if not has_lock(inst, "financial") then return false, "stopped, but not for overdue payment" end
  return true
end

function M.list_instances(opts) return collect(instance_iter(nil, describe_filters(opts, "list_instances"))) end

local function reactivatable(c, opts, fn)
  local p, ids = describe_filters(opts, fn)
  p.Status = p.Status or "Stopped"
  p.LockReason = p.LockReason or "financial"
  return collect(instance_iter(c, p, ids), function(inst) return (M.classify(inst)) end)
end

function M.reactivatable(opts) return reactivatable(nil, opts, "reactivatable") end
function clientm.reactivatable(self, opts)
  return reactivatable(checkself(self, "reactivatable"), opts, "reactivatable")
end

------------------------------------------------------------------- waiting
local wait_opts = set { "timeout", "interval", "region" }

-- Looks one instance up: inst | nil, err (ENOTFOUND when it is not there).
local function describe_one(c, id, region, extra)
  local p = { RegionId = region, InstanceIds = json.encode({ id }) }
  for k, v in pairs(extra or {}) do p[k] = v end
  local body, err = call(c, "DescribeInstances", p)
  if not body then return nil, err end
  local list = body.Instances and body.Instances.Instance or {}
  if not list[1] then
    return nil, core.error({ code = "ENOTFOUND", kind = "api", action = "DescribeInstances", instance_id = id,
                             message = "instance " .. id .. " was not found", retryable = false, ambiguous = false })
  end
  return list[1]
end

local function wait_for(c, id, status, opts)
  checktype(id, "string", 1, "wait_for")
  checkstr(id, 1, "wait_for", "instance id")
  checktype(status, "string", 2, "wait_for")
  opts = checkopts(opts, wait_opts, 3, "wait_for")
  checkstr(opts.region, 3, "wait_for", "region", true)
  local timeout, interval = opts.timeout or 600, opts.interval or 5
  checknum(timeout, 0, huge, 3, "wait_for", "timeout: number >= 0 expected")
  checknum(interval, 1e-3, huge, 3, "wait_for", "interval: number > 0 expected")
  local deadline = mono() + timeout
  local last, lasterr
  while true do
    local inst, err = describe_one(c, id, opts.region)
    local delay = interval
    if inst then
      last = inst.Status
      if inst.Status == status then return inst end
    elseif err.code == "ENOTFOUND" or not err.retryable then
      return nil, err
    else
      lasterr = err
      if type(err.retry_after) == "number" then
        delay = max(delay, err.retry_after) -- throttled: back off as told
      end
    end
    local left = deadline - mono()
    if left <= 0 then
      return nil, core.error({ code = "ETIMEOUT", kind = "transport", action = "DescribeInstances", instance_id = id,
                               retryable = false, ambiguous = false,
                               message = ("%s did not reach %s within %gs (last status: %s%s)"):format(
                                 id, status, timeout, tostring(last),
                                 lasterr and ("; last error: " .. tostring(lasterr)) or "") })
    end
    M.sleep(min(delay, left))
  end
end

function M.wait_for(id, status, opts) return wait_for(nil, id, status, opts) end
function clientm.wait_for(self, id, status, opts)
  return wait_for(checkself(self, "wait_for"), id, status, opts)
end

---------------------------------------------------------------- reactivate
local react_opts = set { "instance_id", "region", "retry",
                         "OwnerId", "OwnerAccount", "ResourceOwnerId", "ResourceOwnerAccount" }
local owner_params = { "OwnerId", "OwnerAccount", "ResourceOwnerId", "ResourceOwnerAccount" }

-- The API's owner parameters of a reactivate table (ids: integers >= 0 or
-- digit strings; accounts: non-empty strings), as wire strings, or nil.
local function owner_opts(arg, fn)
  local o
  for _, k in ipairs(owner_params) do
    local v = arg[k]
    if v ~= nil then
      if k:sub(-2) == "Id" then
        if math.type(v) == "integer" and v >= 0 then v = ("%d"):format(v)
        elseif type(v) ~= "string" or not v:match("^%d+$") or #v > 20 then
          argerror(1, fn, k .. ": non-negative integer expected", 3)
        end
      elseif type(v) ~= "string" or v == "" or v:find("\0", 1, true) then
        argerror(1, fn, k .. ": non-empty string expected", 3)
      end
      o = o or {}
      o[k] = v
    end
  end
  return o
end

-- The default policy: 4 attempts for 5xx and transport failures; throttling
-- is retried until 70 s of waiting (past the next minute window) with waits
-- of 1-5 s; a server's x-acs-retry-after is honoured up to 120 s.
local react_default = { attempts = 4, base = 0.5, cap = 5, throttle_for = 70 }

-- After an ambiguous failure (the request may have been processed): looks the
-- instance up. "done" when it is Starting/Running, "resend" when it is still
-- reactivatable, else nil (gone, or a lookup failure: do not touch it again).
local function verify(c, id, region, owner)
  local inst = describe_one(c, id, region, owner)
  if inst and (inst.Status == "Starting" or inst.Status == "Running") then return "done" end
  if inst and (M.classify(inst)) then return "resend" end
  return nil
end

-- ReActivateInstances with the default policy: retryable failures are
-- retried with backoff; an ambiguous failure (the request may have reached
-- the service: a timeout or reset after sending, a 5xx) is never re-sent
-- blindly: the instance is looked up first, on the last attempt too, and
-- Starting/Running counts as done.
local function reactivate(c, arg, fn)
  local id, region, ropts, owner
  if type(arg) == "string" then
    id = arg
  elseif type(arg) == "table" then
    checkopts(arg, react_opts, 1, fn)
    id, region, ropts = arg.instance_id, arg.region, arg.retry
    owner = owner_opts(arg, fn)
    if type(id) ~= "string" then argerror(1, fn, "instance_id: string expected, got " .. type(id)) end
    if region ~= nil and type(region) ~= "string" then argerror(1, fn, "region: string expected, got " .. type(region)) end
  else
    argerror(1, fn, "instance id or table expected, got " .. (arg == nil and "no value" or type(arg)))
  end
  if id == "" then argerror(1, fn, "instance_id must not be empty") end
  checkstr(id, 1, fn, "instance_id")
  checkstr(region, 1, fn, "region", true)
  local o
  if ropts == false then
    o = norm_retry({ attempts = 1 }, fn, 1)
  else
    if ropts ~= nil and type(ropts) ~= "table" then argerror(1, fn, "retry: table or false expected") end
    o = norm_retry(ropts or react_default, fn, 1, react_default)
  end
  region = region or core.client_info(c).region
  local t0 = mono()
  local n, body, err, delay = 0, nil, nil, nil
  local st = { fails = 0, throttled = 0, waited = 0 }
  local verified = false
  while true do
    n = n + 1
    local p = { InstanceId = id, RegionId = region }
    for k, v in pairs(owner or {}) do p[k] = v end
    body, err = call(c, "ReActivateInstances", p, nil, n, delay)
    if body then break end
    if err.ambiguous then
      -- the request may have been processed: look before re-sending or giving up
      local v = verify(c, id, region, owner) -- the same owner sees the instance
      if v == "done" then
        verified = true
        break
      end
      if v ~= "resend" then break end
    elseif not o.on(err) then
      break
    end
    delay = next_delay(o, st, err)
    if not delay then break end
    M.sleep(delay)
  end
  if not body and not verified then
    err.attempts = n
    return nil, err
  end
  return {
    request_id = body and body.RequestId or nil,
    instance_id = id,
    region = region,
    attempts = n,
    elapsed = mono() - t0,
    verified = verified or nil, -- true: confirmed by a lookup after an ambiguous failure
  }
end

function M.reactivate(arg) return reactivate(nil, arg, "reactivate") end
function clientm.reactivate(self, arg) return reactivate(checkself(self, "reactivate"), arg, "reactivate") end

------------------------------------------------------------------ parallel
local par_opts = set { "concurrency", "progress", "label" }
local default_concurrency, progress_default = 16, false
local stderr_tty = core.stderr_isatty()

-- ecsrun turns progress on by default when stderr is a terminal.
function M.set_progress_default(on) progress_default = on and true or false end

function M.set_default_concurrency(n)
  checktype(n, "number", 1, "set_default_concurrency")
  checknum(n, 1, huge, 1, "set_default_concurrency", "must be >= 1")
  default_concurrency = floor(n)
end

-- Draws "label: done/total, failed, in flight, rate, ETA" on stderr (only
-- when asked for, and the CLI asks only when stderr is a terminal; never on
-- TERM=dumb or without TERM). The line is redrawn in place (\r, erase to end
-- of line); a log line written meanwhile clears it first and the line comes
-- back after it (progress_line). The final draw replaces it with one summary
-- line.
local function progress_drawer(total, label)
  local t0, last = mono(), 0
  local prefix = label and (tostring(label) .. ": ") or ""
  return function(done, failed, inflight, final)
    local now = mono()
    if not final and now - last < 0.1 then return end
    last = now
    local el = max(now - t0, 1e-9)
    local rate = done / el
    if final then
      progress_line = nil
      io.stderr:write(("\r\27[K%s%d/%d done, %d failed in %.1fs\n"):format(prefix, done, total, failed, el))
      return
    end
    local eta = rate > 0 and ("%.0fs"):format((total - done) / rate) or "?"
    progress_line = ("%s%d/%d done, %d failed, %d in flight, %.1f/s, ETA %s"):format(
      prefix, done, total, failed, inflight, rate, eta)
    io.stderr:write("\r\27[K", progress_line)
  end
end

local function progress_allowed()
  local term = os.getenv("TERM")
  return stderr_tty and term ~= nil and term ~= "" and term ~= "dumb"
end

-- ecs.parallel(items, fn, opts) -> results, errors: fn(item, i) for every item,
-- at most opts.concurrency at once. results[i] is fn's first result; errors[i]
-- the err it returned (nil, err) or the error it raised (with traceback).
function M.parallel(items, fn, opts)
  checktype(items, "table", 1, "parallel")
  checktype(fn, "function", 2, "parallel")
  opts = checkopts(opts, par_opts, 3, "parallel")
  local conc = opts.concurrency or default_concurrency
  checknum(conc, 1, huge, 3, "parallel", "concurrency: number >= 1 expected")
  local n = #items
  local results, errors = {}, {}
  local nexti, done, failed, active = 0, 0, 0, 0
  local want = opts.progress
  if want == nil then want = progress_default end
  if opts.label ~= nil and type(opts.label) ~= "string" then argerror(3, "parallel", "label: string expected") end
  local draw = want and n > 0 and progress_allowed() and progress_drawer(n, opts.label) or nil
  local function handler(e)
    if type(e) == "table" then return e end
    return debug.traceback(tostring(e), 2)
  end
  local current = {} -- worker number -> the item it runs
  local function worker(w)
    while true do
      nexti = nexti + 1
      local i = nexti
      if i > n then return end
      active = active + 1
      current[w] = i
      local ok, r, e = xpcall(fn, handler, items[i], i)
      current[w] = nil
      active = active - 1
      if not ok then
        errors[i] = r
      elseif r == nil and e ~= nil then
        errors[i] = e
      else
        results[i] = r
      end
      done = done + 1
      if errors[i] ~= nil then failed = failed + 1 end
      if draw and done < n then draw(done, failed, active, false) end -- the last is the final line
    end
  end
  local ws = {}
  for w = 1, min(floor(conc), max(n, 1)) do ws[w] = M.spawn(worker, w) end
  local w = 1
  while w <= #ws do
    local ok, e = M.join(ws[w])
    local i = current[w]
    if not ok and i then -- the item ended its worker (a raw yield): its failure, and a new worker
      current[w] = nil
      errors[i], active, done, failed = e, active - 1, done + 1, failed + 1
      if draw then draw(done, failed, active, false) end
      ws[#ws + 1] = M.spawn(worker, #ws + 1)
    elseif not ok then -- the worker itself broke: not an item failure
      if draw then draw(done, failed, 0, true) end
      error(e, 0)
    end
    w = w + 1
  end
  if draw then draw(done, failed, 0, true) end
  return results, errors
end

--------------------------------------------------------------------- audit
-- The audit file: one JSON line per mutating call, "intent" (fsync'd before
-- the request is sent) and "outcome" (after). See README "Safety".
local audit_path

M.audit = {}

-- ecs.audit.open(path) -> true | nil, err
function M.audit.open(path)
  checktype(path, "string", 1, "open")
  checkstr(path, 1, "open", "path")
  local ok, err = core.audit_open(path)
  if ok then audit_path = path end
  return ok, err
end

function M.audit.path() return audit_path end

-- ecs.audit.failures() -> n, message: audit lines that could not be written
-- so far (a mutating call whose intent failed was not sent: EAUDIT), and
-- the last failure's message. ecsrun exits 3 when n > 0.
function M.audit.failures()
  local n, msg = core.audit_status()
  return n, msg
end

-- ecs.audit.run_id() -> the open audit file's run id (nil when none).
function M.audit.run_id() return (select(3, core.audit_status())) end

-- Pairs the lines of an audit file: an outcome belongs to the latest
-- earlier intent with the same run and id, for the same action and
-- instance, that has no outcome yet. Old files (before run ids, ids
-- "<pid>-<n>" that repeat across runs) pair the same way by id alone, in
-- file order. An outcome that matches no intent is kept as an orphan call
-- ({ outcome = rec, orphan = true }) and decides nothing.
local function audit_pair(f)
  local calls, open = {}, {}
  for line in f:lines() do
    local ok, rec = pcall(json.decode, line)
    if ok and type(rec) == "table" and type(rec.id) == "string" then
      local key = (type(rec.run) == "string" and rec.run or "") .. "\0" .. rec.id
      if rec.event == "intent" then
        local e = { intent = rec }
        calls[#calls + 1] = e
        open[key] = e
      elseif rec.event == "outcome" then
        local e = open[key]
        if e and e.intent.action == rec.action and e.intent.instance_id == rec.instance_id then
          e.outcome, open[key] = rec, nil
        else
          calls[#calls + 1] = { outcome = rec, orphan = true }
        end
      end
    end
  end
  return calls
end

-- ecs.audit.read([path]) -> { calls = { {intent=, outcome=}, ... }, done = {id=true},
-- pending = {id=true} } | nil, err. done: instances whose ReActivateInstances
-- finished OK (an intent and its own outcome); pending: sent (intent) with no
-- outcome, or an ambiguous outcome, and not done since: check their state
-- before acting again. Lines that are not complete JSON (a crash mid-write)
-- are skipped.
local function audit_read(path, fn)
  path = path or audit_path
  checktype(path, "string", 1, fn)
  checkstr(path, 1, fn, "path")
  local f, msg = io.open(path, "r")
  if not f then
    return nil, core.error({ code = "ECONFIG", kind = "config", message = "cannot read the audit file: " .. tostring(msg) })
  end
  local calls = audit_pair(f)
  f:close()
  local done, pending = {}, {}
  for _, e in ipairs(calls) do
    local i, o = e.intent, e.outcome
    local id = i and i.instance_id
    if id and i.action == "ReActivateInstances" and not i.dry_run then
      if o and o.ok then
        done[id], pending[id] = true, nil
      elseif not done[id] and (not o or o.ambiguous) then
        pending[id] = true
      end
    end
  end
  return { calls = calls, done = done, pending = pending }
end

function M.audit.read(path) return audit_read(path, "read") end

-- ecs.audit.done([path]) -> set of instance ids already reactivated.
function M.audit.done(path)
  local a, err = audit_read(path, "done")
  if not a then return nil, err end
  return a.done
end

---------------------------------------------------------------- simulator
-- ecs.sim is its own module (ecs/sim.so; preloaded in ecsrun), so that
-- ecs.so does not link libmicrohttpd. `ecs.sim` requires it on first use;
-- its luaopen passes the C table to sim_setup, which adds these.
local simm, simf = {}, {} -- methods of simulators, functions of ecs.sim

local function sim_get(self, path)
  local ca = self.ca_file and self:ca_file()
  local body, status = core.fetch(self:url() .. path, ca and { ca_file = ca } or nil)
  if not body then return nil, status end
  if status ~= 200 then
    return nil, core.error({ code = "EHTTP", status = status, kind = "transport", message = "GET " .. path .. " failed" })
  end
  return json.decode(body)
end

function simm.state(self) return sim_get(self, "/_sim/state") end
function simm.requests(self) return sim_get(self, "/_sim/requests") end

-- ecs.sim.connect(url [, credentials [, {ca_file=}]]) -> a handle on a
-- simulator that runs elsewhere (an ecs-sim process): the same
-- state/requests/client methods. ca_file (an https simulator's test CA) is
-- used for state/requests and passed on to client().
function simf.connect(url, creds, opts)
  checktype(url, "string", 1, "connect")
  checkstr(url, 1, "connect", "url")
  checktype(creds, "table", 2, "connect", true)
  opts = checkopts(opts, { ca_file = true }, 3, "connect")
  creds = creds or { access_key_id = "sim-ak", access_key_secret = "sim-secret" }
  local ca = opts.ca_file
  if ca ~= nil and type(ca) ~= "string" then argerror(3, "connect", "ca_file: string expected") end
  checkstr(ca, 3, "connect", "ca_file", true)
  return setmetatable({}, { __index = {
    url = function() return url end,
    ca_file = function() return ca end,
    credentials = function() return { access_key_id = creds.access_key_id,
                                      access_key_secret = creds.access_key_secret } end,
    state = simm.state, requests = simm.requests, client = simm.client,
  } })
end

-- sim:client([opts]) -> a client pointed at this simulator with its keys.
function simm.client(self, opts)
  checktype(opts, "table", 1, "client", true)
  local o = { endpoint = self:url(), credentials = self:credentials() }
  if self.ca_file and self:ca_file() then o.ca_file = self:ca_file() end
  if opts then for k, v in pairs(opts) do o[k] = v end end
  return core.client(o)
end

local function sim_setup(sim)
  for k, f in pairs(simm) do sim.methods[k] = f end
  for k, f in pairs(simf) do sim[k] = f end
  sim.methods = nil
  return sim
end

setmetatable(M, {
  __index = function(_, k)
    if k == "dry_run" then return core.client_info(nil).dry_run end
    if k == "sim" then
      local sim = require("ecs.sim")
      rawset(M, "sim", sim)
      return sim
    end
  end,
})

return M, sim_setup
