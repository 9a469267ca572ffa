-- helpers.lua - shared by the specs: paths, temporary files, an ecs-sim
-- child process, and running ecsrun as a user would.
local ecs = require "ecs"
local H = {}

H.ecsrun = os.getenv("ECSRUN") or "build/ecsrun"
H.ecs_sim = os.getenv("ECS_SIM") or "build/ecs-sim"
H.src = os.getenv("ECS_SOURCE_DIR") or "."
H.tmpdir = os.getenv("ECS_TEST_TMP") or "/tmp"
os.execute("mkdir -p '" .. H.tmpdir .. "'")

local seq = 0
-- A fresh temporary path (not created).
function H.tmpname(suffix)
  seq = seq + 1
  return ("%s/t%d_%d_%d%s"):format(H.tmpdir, os.time(), math.random(1, 1e9), seq, suffix or "")
end

function H.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

function H.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

function H.shquote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- A small fleet: overrides merge into the defaults.
function H.fleet(instances, extra)
  local f = { start_delay_ms = 200, instances = instances }
  for k, v in pairs(extra or {}) do f[k] = v end
  return f
end

function H.instance(id, t)
  local i = { InstanceId = id, RegionId = "cn-hangzhou", ZoneId = "cn-hangzhou-g", Status = "Stopped",
              InstanceChargeType = "PostPaid", LockReasons = { "financial" }, InstanceName = id,
              Tags = { env = "test" } }
  for k, v in pairs(t or {}) do i[k] = v end
  return i
end

-- Starts an in-process simulator and a client pointed at it.
function H.sim(fleet, opts)
  local sim = ecs.sim.start(fleet, opts)
  return sim, sim:client({ region = "cn-hangzhou" })
end

-- Starts the ecs-sim program on a free port. Returns a handle with url(),
-- state(), requests(), client() (ecs.sim.connect) and stop().
function H.sim_process(fleet, args)
  local path = H.write(H.tmpname(".json"), type(fleet) == "string" and fleet or ecs.json.encode(fleet))
  local cmd = ("sh -c 'echo $$; exec %s --quiet %s %s'"):format(H.ecs_sim, args or "", path)
  local p = assert(io.popen(cmd, "r"))
  local pid = p:read("l")
  local first = p:read("l")
  assert(first, "ecs-sim printed nothing")
  local url = first:match("^listening on (http://127%.0%.0%.1:%d+)$")
  assert(url, "unexpected first line from ecs-sim: " .. tostring(first))
  local h = ecs.sim.connect(url)
  local mt = getmetatable(h).__index
  mt.pid = function() return pid end
  mt.stop = function()
    os.execute("kill " .. pid .. " 2>/dev/null")
    p:close()
    os.remove(path)
  end
  return h
end

-- Runs a shell command line; returns output (stdout+stderr unless split)
-- and the exit code.
function H.run(cmdline, opts)
  opts = opts or {}
  local errfile = opts.split and H.tmpname(".err") or nil
  local full = cmdline .. (errfile and (" 2>" .. errfile) or " 2>&1") .. "; echo \"__EXIT:$?\""
  local p = assert(io.popen(full, "r"))
  local out = p:read("a")
  p:close()
  local code = tonumber(out:match("__EXIT:(%d+)%s*$"))
  out = out:gsub("__EXIT:%d+%s*$", "")
  local err = errfile and H.read(errfile) or nil
  if errfile then os.remove(errfile) end
  return out, code, err
end

-- Runs ecsrun with the given argument string and environment assignments
-- (a table). Secrets of the real environment never leak in: only what is
-- passed is set.
function H.ecsrun_cmd(args, env)
  local e = { "env", "-u", "ALIBABA_CLOUD_ACCESS_KEY_ID", "-u", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
              "-u", "ALIBABA_CLOUD_SECURITY_TOKEN", "-u", "ALIBABA_CLOUD_REGION_ID" }
  for k, v in pairs(env or {}) do e[#e + 1] = k .. "=" .. H.shquote(v) end
  return table.concat(e, " ") .. " " .. H.ecsrun .. " " .. args
end

function H.ecsrun_run(args, env, opts)
  return H.run(H.ecsrun_cmd(args, env), opts)
end

-- Instances of a /_sim/state document, by id.
function H.by_id(state)
  local t = {}
  for _, i in ipairs(state.instances) do t[i.InstanceId] = i end
  return t
end

return H
