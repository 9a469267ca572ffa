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
-- Unique to this process (the same spec runs under ecsrun and lua5.4 at the
-- same time, sharing the scratch folder): the address of a fresh table.
local uniq = tostring({}):match("0x(%x+)") or tostring(os.clock()):gsub("%D", "")
-- A fresh temporary path (not created).
function H.tmpname(suffix)
  seq = seq + 1
  return ("%s/t%d_%s_%d%s"):format(H.tmpdir, os.time(), uniq, seq, suffix or "")
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
  local s = f:read("*a")
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

-- Starts the ecs-sim program on a free port, in the background with its
-- output in a file (so nothing waits on a pipe to it). Returns a handle with
-- url(), state(), requests(), client() (ecs.sim.connect) and stop(). Any
-- simulator still running when the Lua state closes is killed then.
local live = {}
local function reap()
  for pid in pairs(live) do os.execute("kill " .. pid .. " 2>/dev/null") end
end
if newproxy then -- Lua 5.1 / LuaJIT: __gc only on userdata
  H._reaper = newproxy(true)
  getmetatable(H._reaper).__gc = reap
else
  H._reaper = setmetatable({}, { __gc = reap })
end

function H.sim_process(fleet, args)
  local path = H.write(H.tmpname(".json"), type(fleet) == "string" and fleet or ecs.json.encode(fleet))
  local outfile = H.tmpname(".sim")
  local p = assert(io.popen(("%s --quiet %s %s >%s 2>&1 </dev/null & echo $!"):format(
    H.ecs_sim, args or "", path, outfile), "r"))
  local pid = p:read("*l")
  p:close()
  local first
  for _ = 1, 500 do
    first = (H.read(outfile) or ""):match("^([^\n]*)\n")
    if first then break end
    os.execute("sleep 0.01")
  end
  assert(first, "ecs-sim printed nothing: " .. tostring(H.read(outfile)))
  local url = first:match("^listening on (https?://127%.0%.0%.1:%d+)$")
  assert(url, "unexpected first line from ecs-sim: " .. tostring(first))
  live[pid] = true
  local h = ecs.sim.connect(url)
  local mt = getmetatable(h).__index
  mt.pid = function() return pid end
  mt.stop = function()
    if live[pid] then
      os.execute("kill " .. pid .. " 2>/dev/null")
      live[pid] = nil
    end
    os.remove(path)
    os.remove(outfile)
  end
  return h
end

-- The same on every Lua: 5.1 has no table.pack/unpack, os.execute gives a
-- number there, and utf8 is 5.3's.
H.pack = table.pack or function(...) return { n = select("#", ...), ... } end
H.unpack = table.unpack or unpack
function H.sh_ok(cmd)
  local r = os.execute(cmd)
  return r == true or r == 0
end
-- Is s valid UTF-8 (no overlong forms, surrogates or values past U+10FFFF)?
function H.utf8_valid(s)
  if utf8 and utf8.len then return utf8.len(s) ~= nil end
  local i, n = 1, #s
  while i <= n do
    local c = s:byte(i)
    local len, min = 1, 0
    if c >= 0xF0 and c <= 0xF4 then len, min = 4, 0x10000
    elseif c >= 0xE0 then len, min = 3, 0x800
    elseif c >= 0xC2 and c < 0xE0 then len, min = 2, 0x80
    elseif c >= 0x80 then return false end
    local cp = len == 1 and c or c % (2 ^ (7 - len))
    for k = 1, len - 1 do
      local b = s:byte(i + k)
      if not b or b < 0x80 or b > 0xBF then return false end
      cp = cp * 64 + b % 64
    end
    if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return false end
    i = i + len
  end
  return true
end

-- Runs a shell command line; returns output (stdout+stderr unless split)
-- and the exit code.
function H.run(cmdline, opts)
  opts = opts or {}
  local errfile = opts.split and H.tmpname(".err") or nil
  local full = cmdline .. (errfile and (" 2>" .. errfile) or " 2>&1") .. "; echo \"__EXIT:$?\""
  local p = assert(io.popen(full, "r"))
  local out = p:read("*a")
  p:close()
  local code = tonumber(out:match("__EXIT:(%d+)%s*$"))
  out = out:gsub("__EXIT:%d+%s*$", "")
  local err = errfile and H.read(errfile) or nil
  if errfile then os.remove(errfile) end
  -- keep what the child printed: the suite's last test scans it for secrets
  H.write(H.tmpname(".out"), out .. (err or ""))
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

-- Complete JSON lines of an audit file, and the count of broken ones (a
-- line cut short by a crash).
function H.audit_lines(path)
  local t, partial = {}, 0
  for l in (H.read(path) or ""):gmatch("[^\n]*\n?") do
    if l ~= "" then
      local ok, rec = pcall(ecs.json.decode, (l:gsub("\n$", "")))
      if ok and l:sub(-1) == "\n" then t[#t + 1] = rec else partial = partial + 1 end
    end
  end
  return t, partial
end

-- Instances of a /_sim/state document, by id.
function H.by_id(state)
  local t = {}
  for _, i in ipairs(state.instances) do t[i.InstanceId] = i end
  return t
end

-- Test certificates, made fresh in a temporary directory with the openssl
-- CLI (nothing is committed): a CA; "server" signed by it for IP:127.0.0.1
-- and DNS:localhost; "self" self-signed for the same names; "wrong" signed
-- by the CA for DNS:wrong.example only. Returns { dir=, ca=, server={cert=,
-- key=}, self={...}, wrong={...} }. Needs the openssl program.
function H.tls_certs()
  local dir = H.tmpname("_tls")
  assert(os.execute("mkdir -p " .. H.shquote(dir)))
  local log = dir .. "/openssl.log"
  local function ssl(args)
    local ok = os.execute("cd " .. H.shquote(dir) .. " && openssl " .. args .. " >>openssl.log 2>&1")
    assert(ok, "openssl " .. args .. " failed:\n" .. tostring(H.read(log)))
  end
  local newkey = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
  ssl("req -x509 " .. newkey .. " -keyout ca.key -out ca.pem -days 2 -subj '/CN=ecsrun test CA'" ..
      " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign")
  local function leaf(name, cn, san)
    H.write(dir .. "/" .. name .. ".ext", "subjectAltName=" .. san ..
            "\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
    ssl("req " .. newkey .. " -keyout " .. name .. ".key -out " .. name .. ".csr -subj '/CN=" .. cn .. "'")
    ssl("x509 -req -in " .. name .. ".csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2" ..
        " -out " .. name .. ".pem -extfile " .. name .. ".ext")
  end
  leaf("server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost")
  leaf("wrong", "wrong.example", "DNS:wrong.example")
  ssl("req -x509 " .. newkey .. " -keyout self.key -out self.pem -days 2 -subj '/CN=127.0.0.1'" ..
      " -addext subjectAltName=IP:127.0.0.1,DNS:localhost")
  local function pair(n) return { cert = dir .. "/" .. n .. ".pem", key = dir .. "/" .. n .. ".key" } end
  return { dir = dir, ca = dir .. "/ca.pem", server = pair("server"), self = pair("self"),
           wrong = pair("wrong") }
end

-- Starts the ecs-sim program serving HTTPS with pair ({cert=, key=}) and
-- returns H.sim_process's handle, whose state()/requests()/client() trust
-- ca_file (nil: the system store).
function H.sim_process_tls(fleet, pair, ca_file, args)
  local h = H.sim_process(fleet, ("--tls-cert %s --tls-key %s %s"):format(H.shquote(pair.cert),
                          H.shquote(pair.key), args or ""))
  local t = ecs.sim.connect(h:url(), nil, { ca_file = ca_file })
  local mt = getmetatable(t).__index
  mt.pid, mt.stop = h.pid, h.stop
  return t
end

return H
