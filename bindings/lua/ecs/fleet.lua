-- ecs/fleet.lua - the instance helpers of the Lua half (see init.lua):
-- ecs.instances, list_instances, classify, reactivatable, wait_for,
-- reactivate, and the same as client methods.
local core, M, I = ...

local json = core.json
local mono = core.monotonic
local unpack = I.unpack
local floor, min, max, huge = math.floor, math.min, math.max, math.huge
local type, tostring, error, pcall, pairs, ipairs = type, tostring, error, pcall, pairs, ipairs
local argerror, checktype, checknum, checkstr, checkself, checkopts, set =
  I.argerror, I.checktype, I.checknum, I.checkstr, I.checkself, I.checkopts, I.set
local call, clientm, norm_retry, next_delay = I.call, I.clientm, I.norm_retry, I.next_delay

-- math.type where there is one (5.3+); before 5.3 every integral number in
-- the exact range (|v| < 2^53) is an integer.
local mtype = math.type or function(v)
  if type(v) ~= "number" then return nil end
  return (v == floor(v) and v > -2 ^ 53 and v < 2 ^ 53) and "integer" or "float"
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
  local ok, e = I.pcall(function()
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
        if mtype(v) == "integer" and v >= 0 then v = ("%d"):format(v)
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
