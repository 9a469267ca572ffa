-- ecsrun --help and the man pages are true to the code: every environment
-- variable the runtime or the binding reads is listed by `ecsrun --help` and
-- in ecsrun.1; every option of `ecsrun --help` / `ecs-sim --help` is in its
-- man page; the man pages render without warnings.
-- usage: lua5.4 cli_docs.lua SOURCE_DIR ECSRUN ECS_SIM
local src, ecsrun, ecs_sim = arg[1], arg[2], arg[3]
local failures = 0
local function fail(fmt, ...)
  io.stderr:write("FAIL: ", fmt:format(...), "\n")
  failures = failures + 1
end
local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
local function run(cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local s = p:read("a")
  p:close()
  return s
end
local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- The environment names the code reads: whole string literals that are an
-- ALIBABA_CLOUD_* or ECSRUN_* name, and the OIDC suffixes creds.c prefixes.
local env, files = {}, run("ls " .. q(src) .. "/runtime/*.c " .. q(src) .. "/bindings/*.c")
for path in files:gmatch("[^\n]+") do
  local text = slurp(path)
  for name in text:gmatch('"((ALIBABA_CLOUD_[A-Z0-9_]+))"') do env[name] = true end
  for name in text:gmatch('"(ECSRUN_[A-Z0-9_]+)"') do env[name] = true end
  for suffix in text:gmatch('oidc_env%("([A-Z0-9_]+)"%)') do env["ALIBABA_CLOUD_" .. suffix] = true end
end
if not env.ALIBABA_CLOUD_REGION_ID or not env.ECSRUN_METADATA_ENDPOINT then
  fail("the scan of the sources found no environment names (%s)", src)
end

local help = run(q(ecsrun) .. " --help")
local man = run("env -u LD_PRELOAD MANWIDTH=200 man -l " .. q(src .. "/docs/man/ecsrun.1"))
for name in pairs(env) do
  if not help:find(name, 1, true) then fail("ecsrun --help does not list %s", name) end
  if not man:find(name, 1, true) then fail("ecsrun.1 does not list %s", name) end
end
if not help:find("Examples:", 1, true) then fail("ecsrun --help has no examples") end

local function options_of(text)
  local o = {}
  for line in text:gmatch("[^\n]+") do
    for opt in line:gmatch("%f[%w%-]%-%-?[%a][%w%-]*") do o[opt] = true end
  end
  return o
end
local function check_options(prog, usage, page)
  local rendered = run("env -u LD_PRELOAD MANWIDTH=200 man -l " .. q(page))
  local n = 0
  for opt in pairs(options_of(usage)) do
    n = n + 1
    if not rendered:find(opt, 1, true) then fail("%s does not document %s", page, opt) end
  end
  if n < 3 then fail("%s --help listed no options", prog) end
  local warn = run("env -u LD_PRELOAD MANWIDTH=80 man --warnings -l " .. q(page) .. " >/dev/null")
  if warn ~= "" then fail("%s renders with warnings:\n%s", page, warn) end
end
-- ecsrun's options are the lines of --help before "Exit codes" (the
-- environment part names variables and examples, not options)
check_options("ecsrun", help:match("^(.-)Exit codes"), src .. "/docs/man/ecsrun.1")
check_options("ecs-sim", run(q(ecs_sim) .. " --help"), src .. "/docs/man/ecs-sim.1")

if failures > 0 then os.exit(1) end
print("ok: --help and the man pages cover the code's options and environment")
