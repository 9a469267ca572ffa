-- ecs/sim.lua - the Lua part of ecs.sim (see init.lua): the simulator
-- methods state/requests/client and ecs.sim.connect. luaopen_ecs_sim
-- (bindings/lecs_sim.c) completes its C table with I.sim_setup.
local core, _, I = ...

local json = core.json
local type, pairs, setmetatable = type, pairs, setmetatable
local argerror, checktype, checkstr, checkopts = I.argerror, I.checktype, I.checkstr, I.checkopts

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

I.sim_setup = sim_setup
