-- ecs/api.lua - API calls of the Lua half (see init.lua): ecs.call and the
-- client methods, ecs.client, configure, credentials, counters, balance,
-- and ecs.retry with the backoff schedule ecs.reactivate shares (I.call,
-- I.clientm, I.norm_retry, I.next_delay).
local core, M, I = ...

local mono = core.monotonic
local pack, unpack = I.pack, I.unpack
local min, max, huge, random = math.min, math.max, math.huge, math.random
local type, tostring, error, pcall = type, tostring, error, pcall
local argerror, checktype, checknum, checkstr, checkself, checkopts, set =
  I.argerror, I.checktype, I.checknum, I.checkstr, I.checkself, I.checkopts, I.set

local sent, throttled = 0, 0 -- API calls sent (see call below), throttled answers

-- ecs.counters() -> { api_calls =, throttled = }: API calls sent so far by
-- this process (dry-run and configuration failures excluded) and how many
-- were answered with a throttling code. For a run's report and metrics.
function M.counters() return { api_calls = sent, throttled = throttled } end

---------------------------------------------------------------------- calls
local clientm = {}
core.set_client_methods(clientm)

-- ecs.http.request(opts) -> {status=, headers=, body=} | nil, err.
M.http = { request = function(...) return I.await(core.http_start(...)) end }

local function call(c, action, params, region, attempt, delay)
  local t0 = I.log_enabled("debug") and mono() or nil
  local body, err = I.await(core.call(c, action, params, region, attempt, delay))
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
    error(type(r) == "string" and (r:gsub("^%[ecs[%w%.]*%]:%d+: ", "", 1):gsub("to '%?'", "to '" .. fn .. "'", 1)) or r, 3)
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
local function is_throttled(err)
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
  if o.throttle_for > 0 and is_throttled(err) then
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


I.clientm, I.call, I.norm_retry, I.next_delay = clientm, call, norm_retry, next_delay
