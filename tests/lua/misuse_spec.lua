-- Misuse and bad input: every public function refuses wrong arguments with
-- the argument named, at the caller's line (never inside the module);
-- NaN/inf, NUL bytes and huge values are refused; a dry run chosen by the
-- caller cannot be undone by the script; a raise while a call waits leaves
-- nothing behind; require "ecs" leaves the host's globals alone.
local ecs = require "ecs"
local H = require "helpers"

local NAN, INF = 0 / 0, math.huge
local creds = { access_key_id = "misuse-ak", access_key_secret = "misuse-secret" }
local cl = ecs.client{ region = "cn-hangzhou", credentials = creds, endpoint = "http://127.0.0.1:9" }

-- Runs row[1] (a function written on ONE line) and checks that it raised
-- exactly row[2], positioned at that line of this file.
local function check_row(row)
  local fn, want = row[1], row[2]
  local ok, e = pcall(fn)
  assert.is_false(ok, "did not raise: " .. want)
  assert.is_string(e, "raised a non-string for: " .. want)
  local info = debug.getinfo(fn, "S")
  local src, line, msg = e:match("^(.-):(%d+): (.*)$")
  assert.are.equal(want, msg or e)
  assert.are.equal(info.short_src .. ":" .. info.linedefined, tostring(src) .. ":" .. tostring(line),
                   "not positioned at the caller's line: " .. e)
end

local function check_rows(rows)
  for _, row in ipairs(rows) do check_row(row) end
end

describe("a misuse error", function()
  it("names the argument and points at the caller's line (module functions)", function()
    check_rows({
      { function() ecs.call("", {}) end, "bad argument #1 to 'call' (action must not be empty)" },
      { function() ecs.call() end, "bad argument #1 to 'call' (string expected, got no value)" },
      { function() ecs.call("DescribeInstances", 5) end, "bad argument #2 to 'call' (table expected, got number)" },
      { function() ecs.call("DescribeInstances", { X = print }) end, "bad argument #2 to 'call' (cannot encode a function as JSON)" },
      { function() ecs.configure(5) end, "bad argument #1 to 'configure' (table expected, got number)" },
      { function() ecs.configure{ bogus = 1 } end, "bad argument #1 to 'configure' (unknown option 'bogus')" },
      { function() ecs.client{ timeout = "x" } end, "bad argument #1 to 'client' (timeout: number expected, got string)" },
      { function() ecs.client{ insecure_http = 1 } end, "bad argument #1 to 'client' (insecure_http: boolean expected)" },
      { function() ecs.client{ credentials = { access_key_id = 5, access_key_secret = "s" } } end, "bad argument #1 to 'client' (credentials.access_key_id: non-empty string expected)" },
      { function() ecs.instances(5) end, "bad argument #1 to 'instances' (table expected, got number)" },
      { function() ecs.list_instances{ region = 5 } end, "bad argument #1 to 'list_instances' (region: string expected, got number)" },
      { function() ecs.reactivatable{ ids = 5 } end, "bad argument #1 to 'reactivatable' (ids: table (list of instance ids) expected)" },
      { function() ecs.reactivate() end, "bad argument #1 to 'reactivate' (instance id or table expected, got no value)" },
      { function() ecs.reactivate{ instance_id = "i-1", retry = { attempts = 0 } } end, "bad argument #1 to 'reactivate' (attempts: number >= 1 expected)" },
      { function() ecs.retry(print, { jitter = "x" }) end, "bad argument #2 to 'retry' (jitter: \"full\", \"equal\" or \"none\" expected)" },
      { function() ecs.retry(5) end, "bad argument #1 to 'retry' (function expected, got number)" },
      { function() ecs.wait_for("i-1") end, "bad argument #2 to 'wait_for' (string expected, got no value)" },
      { function() ecs.wait_for("i-1", "Running", { bogus = 1 }) end, "bad argument #3 to 'wait_for' (unknown option 'bogus')" },
      { function() ecs.parallel({}, print, 5) end, "bad argument #3 to 'parallel' (table expected, got number)" },
      { function() ecs.spawn() end, "bad argument #1 to 'spawn' (function expected, got no value)" },
      { function() ecs.join({}) end, "bad argument #1 to 'join' (task expected, got table)" },
      { function() ecs.sleep("x") end, "bad argument #1 to 'sleep' (number expected, got string)" },
      { function() ecs.classify() end, "bad argument #1 to 'classify' (table expected, got no value)" },
      { function() ecs.credentials(5) end, "bad argument #1 to 'credentials' (ecs.client expected, got number)" },
      { function() ecs.log.configure{ format = "xml" } end, "bad argument #1 to 'configure' (format: \"text\" or \"json\" expected)" },
      { function() ecs.audit.open() end, "bad argument #1 to 'open' (string expected, got no value)" },
      { function() ecs.json.encode(print) end, "bad argument #1 to 'encode' (cannot encode a function as JSON)" },
      { function() ecs.sim.connect("http://127.0.0.1:1", nil, { cafile = "x" }) end, "bad argument #3 to 'connect' (unknown option 'cafile')" },
      { function() ecs.set_default_concurrency(0) end, "bad argument #1 to 'set_default_concurrency' (must be >= 1)" },
      { function() ecs.audit.done(5) end, "bad argument #1 to 'done' (string expected, got number)" },
    })
  end)

  it("numbers a method's arguments as luaL_argerror does, self not counted", function()
    check_rows({
      { function() cl:call("", {}) end, "bad argument #1 to 'call' (action must not be empty)" },
      { function() cl:call("DescribeInstances", 5) end, "bad argument #2 to 'call' (table expected, got number)" },
      { function() cl:instances(5) end, "bad argument #1 to 'instances' (table expected, got number)" },
      { function() cl:reactivatable{ page_size = 0 } end, "bad argument #1 to 'reactivatable' (page_size: number 1-100 expected)" },
      { function() cl:reactivate(5) end, "bad argument #1 to 'reactivate' (instance id or table expected, got number)" },
      { function() cl:wait_for("i-1", 5) end, "bad argument #2 to 'wait_for' (string expected, got number)" },
      { function() cl.call(5, "DescribeInstances") end, "calling 'call' on bad self (ecs.client expected, got number)" },
      { function() cl.info() end, "calling 'info' on bad self (ecs.client expected, got no value)" },
      { function() local t = ecs.spawn(type, 1); t.join(5) end, "calling 'join' on bad self (ecs.task expected, got number)" },
      { function() local t = ecs.spawn(type, 1); t.status({}) end, "calling 'status' on bad self (ecs.task expected, got table)" },
    })
    assert.is_true(ecs.run()) -- the two tasks spawned above
  end)

  it("takes a missing options table as no options", function()
    assert.is_function(ecs.instances())
    assert.is_function(cl:instances())
    ecs.log.configure()
    local calls = 0
    assert.are.equal("ok", ecs.retry(function() calls = calls + 1; return "ok" end))
    assert.are.equal(1, calls)
  end)
end)

describe("numeric options", function()
  it("refuse NaN and infinity, naming the option", function()
    check_rows({
      { function() ecs.configure{ qps = NAN } end, "bad argument #1 to 'configure' (qps: must be between 0 and 100000)" },
      { function() ecs.client{ timeout = NAN } end, "bad argument #1 to 'client' (timeout: must be between 0.001 and 3600)" },
      { function() ecs.client{ connect_timeout = INF } end, "bad argument #1 to 'client' (connect_timeout: must be between 0.001 and 600)" },
      { function() ecs.client{ max_response = NAN } end, "bad argument #1 to 'client' (max_response: must be between 1024 and 1073741824)" },
      { function() ecs.retry(error, { attempts = NAN }) end, "bad argument #2 to 'retry' (attempts: number >= 1 expected)" },
      { function() ecs.retry(error, { attempts = INF }) end, "bad argument #2 to 'retry' (attempts: number >= 1 expected)" },
      { function() ecs.retry(error, { base = NAN }) end, "bad argument #2 to 'retry' (base: number >= 0 expected)" },
      { function() ecs.retry(error, { cap = INF }) end, "bad argument #2 to 'retry' (cap: number >= 0 expected)" },
      { function() ecs.reactivate{ instance_id = "i-1", retry = { attempts = NAN } } end, "bad argument #1 to 'reactivate' (attempts: number >= 1 expected)" },
      { function() cl:reactivate{ instance_id = "i-1", retry = { cap = NAN } } end, "bad argument #1 to 'reactivate' (cap: number >= 0 expected)" },
      { function() ecs.wait_for("i-1", "Running", { timeout = NAN }) end, "bad argument #3 to 'wait_for' (timeout: number >= 0 expected)" },
      { function() ecs.wait_for("i-1", "Running", { timeout = INF }) end, "bad argument #3 to 'wait_for' (timeout: number >= 0 expected)" },
      { function() cl:wait_for("i-1", "Running", { interval = NAN }) end, "bad argument #3 to 'wait_for' (interval: number > 0 expected)" },
      { function() ecs.parallel({ 1 }, print, { concurrency = NAN }) end, "bad argument #3 to 'parallel' (concurrency: number >= 1 expected)" },
      { function() ecs.parallel({ 1 }, print, { concurrency = INF }) end, "bad argument #3 to 'parallel' (concurrency: number >= 1 expected)" },
      { function() ecs.sleep(NAN) end, "bad argument #1 to 'sleep' (must be a number >= 0)" },
      { function() ecs.sleep(INF) end, "bad argument #1 to 'sleep' (must be a number >= 0)" },
      { function() ecs.set_default_concurrency(NAN) end, "bad argument #1 to 'set_default_concurrency' (must be >= 1)" },
      { function() ecs.list_instances{ page_size = NAN } end, "bad argument #1 to 'list_instances' (page_size: number 1-100 expected)" },
      { function() ecs.json.encode({ x = NAN }) end, "bad argument #1 to 'encode' (cannot encode NaN as JSON)" },
    })
  end)
end)

describe("strings with a NUL byte", function()
  it("are refused wherever C would cut them short, naming the argument", function()
    check_rows({
      { function() ecs.call("Describe\0Instances") end, "bad argument #1 to 'call' (action: must not contain a NUL byte)" },
      { function() ecs.call("DescribeInstances", { RegionId = "cn\0x" }) end, "bad argument #2 to 'call' (a string with a NUL byte cannot be encoded)" },
      { function() ecs.call("DescribeInstances", { ["Region\0Id"] = "x" }) end, "bad argument #2 to 'call' (a key with a NUL byte cannot be encoded)" },
      { function() ecs.json.encode({ a = "b\0c" }) end, "bad argument #1 to 'encode' (a string with a NUL byte cannot be encoded)" },
      { function() ecs.json.encode({ ["k\0"] = 1 }) end, "bad argument #1 to 'encode' (a key with a NUL byte cannot be encoded)" },
      { function() ecs.audit.open(H.tmpdir .. "/audit\0.log") end, "bad argument #1 to 'open' (path: must not contain a NUL byte)" },
      { function() ecs.audit.read("/tmp/x\0y") end, "bad argument #1 to 'read' (path: must not contain a NUL byte)" },
      { function() ecs.client{ ca_file = "/etc/ssl/ca\0.pem" } end, "bad argument #1 to 'client' (ca_file: must not contain a NUL byte)" },
      { function() ecs.client{ region = "cn-hangzhou\0x" } end, "bad argument #1 to 'client' (region: must not contain a NUL byte)" },
      { function() ecs.client{ profile = "prod\0x" } end, "bad argument #1 to 'client' (profile: must not contain a NUL byte)" },
      { function() ecs.client{ credentials = { access_key_id = "a\0b", access_key_secret = "s" } } end, "bad argument #1 to 'client' (credentials.access_key_id: must not contain a NUL byte)" },
      { function() ecs.client{ credentials = { access_key_id = "a", access_key_secret = "s\0t" } } end, "bad argument #1 to 'client' (credentials.access_key_secret: must not contain a NUL byte)" },
      { function() ecs.sim.start(H.tmpdir .. "/fleet\0.json") end, "bad argument #1 to 'start' (path: must not contain a NUL byte)" },
      { function() ecs.sim.connect("http://127.0.0.1:1\0/x") end, "bad argument #1 to 'connect' (url: must not contain a NUL byte)" },
      { function() ecs.reactivate("i-1\0i-2") end, "bad argument #1 to 'reactivate' (instance_id: must not contain a NUL byte)" },
      { function() cl:reactivate{ instance_id = "i-1", region = "cn\0" } end, "bad argument #1 to 'reactivate' (region: must not contain a NUL byte)" },
      { function() ecs.wait_for("i-1\0", "Running") end, "bad argument #1 to 'wait_for' (instance id: must not contain a NUL byte)" },
      { function() ecs.list_instances{ region = "cn\0" } end, "bad argument #1 to 'list_instances' (region: must not contain a NUL byte)" },
      { function() ecs.list_instances{ ids = { "i-1\0" } } end, "bad argument #1 to 'list_instances' (ids[1]: must not contain a NUL byte)" },
      { function() ecs.list_instances{ tags = { env = "a\0" } } end, "bad argument #1 to 'list_instances' (tags.env: must not contain a NUL byte)" },
      { function() ecs.sign.v3{ method = "POST", access_key_id = "a\0b", access_key_secret = "s" } end, "bad argument #1 to 'v3' (access_key_id: must not contain a NUL byte)" },
      { function() ecs.audit.done("/tmp/x\0y") end, "bad argument #1 to 'done' (path: must not contain a NUL byte)" },
    })
  end)
end)

describe("a raise while a top-level call waits", function()
  it("leaves no call and no transfer behind once collected", function()
    local sim, c = H.sim(H.fleet({ H.instance("i-1") }), { latency_ms = 400 })
    for _, f in ipairs({
      function() return c:call("DescribeInstances", { RegionId = "cn-hangzhou" }) end,
      function() return c:reactivate{ instance_id = "i-1", retry = false } end,
    }) do
      -- the hook raises as soon as the request is on the wire
      debug.sethook(function()
        if ecs.stats().transfers > 0 then
          debug.sethook()
          error("hook fired")
        end
      end, "", 1)
      local ok, e = pcall(f)
      debug.sethook()
      assert.is_false(ok)
      assert.matches("hook fired", e)
      collectgarbage()
      collectgarbage()
      assert.are.same({ tasks = 0, calls = 0, transfers = 0 }, ecs.stats())
    end
    -- the client still works afterwards
    assert.are.equal(1, assert(c:call("DescribeInstances", { RegionId = "cn-hangzhou" })).TotalCount)
    sim:stop()
  end)
end)

describe("the dry run", function()
  local fleet = H.fleet({ H.instance("i-1"), H.instance("i-2") })

  it("chosen by ecsrun --dry-run cannot be turned off by the script", function()
    local path = H.write(H.tmpname(".json"), ecs.json.encode(fleet))
    local script = H.write(H.tmpname(".lua"), [[
      local e1 = select(2, pcall(function() ecs.configure{ dry_run = false } end))
      local e2 = select(2, pcall(function() local c = ecs.client{ dry_run = false } end))
      print("E1 " .. tostring(e1))
      print("E2 " .. tostring(e2))
      print("DRY " .. tostring(ecs.dry_run) .. " " .. tostring(ecs.client{}:info().dry_run))
      local _, err = ecs.call("ReActivateInstances", { InstanceId = "i-1", RegionId = "cn-hangzhou" })
      print("CALL " .. tostring(err and err.code))
      local c = ecs.client{ region = "cn-hangzhou" }
      _, err = c:reactivate{ instance_id = "i-2", retry = false }
      print("CLIENT " .. tostring(err and err.code))
      local url = ecs.client{}:info().endpoint
      local n = 0
      for _, r in ipairs(assert(ecs.sim.connect(url):requests())) do
        if r.action == "ReActivateInstances" then n = n + 1 end
      end
      print("SENT " .. n)
    ]])
    local out, code = H.ecsrun_run("--simulate " .. path .. " --dry-run --region cn-hangzhou " .. script)
    assert.are.equal(0, code, out)
    assert.matches("E1 [^\n]*:1: bad argument #1 to 'configure' %(dry_run: the dry run is on and cannot be turned off%)", out)
    assert.matches("E2 [^\n]*:2: bad argument #1 to 'client' %(dry_run: the dry run is on and cannot be turned off%)", out)
    assert.matches("DRY true true", out, 1, true)
    assert.matches("CALL EDRYRUN", out, 1, true)
    assert.matches("CLIENT EDRYRUN", out, 1, true)
    assert.matches("SENT 0\n", out, 1, true)
  end)

  it("chosen by a host with ecs.configure{dry_run=true} stays on for every client", function()
    local out, code = H.ecsrun_run("--simulate " .. H.write(H.tmpname(".json"), ecs.json.encode(fleet)) ..
      [[ --region cn-hangzhou -e 'ecs.configure{ dry_run = true }; ecs.configure{ dry_run = true }
        print(pcall(ecs.configure, { dry_run = false }))
        local _, e = ecs.client{ region = "cn-hangzhou" }:reactivate{ instance_id = "i-1", retry = false }
        print(e.code, ecs.dry_run)']])
    assert.are.equal(0, code, out)
    assert.matches("false\t[^\n]*dry_run: the dry run is on and cannot be turned off", out)
    assert.matches("EDRYRUN\ttrue", out, 1, true)
  end)

  it("can be asked for one client only, and false is a no-op when it is off", function()
    local sim, c = H.sim(fleet)
    local dry = sim:client({ region = "cn-hangzhou", dry_run = true })
    assert.is_true(dry:info().dry_run)
    assert.is_false(c:info().dry_run)
    local _, err = dry:reactivate{ instance_id = "i-1", retry = false }
    assert.are.equal("EDRYRUN", err.code)
    local live = sim:client({ region = "cn-hangzhou", dry_run = false })
    assert.is_truthy(live:reactivate{ instance_id = "i-2", retry = false })
    local n = 0
    for _, r in ipairs(assert(sim:requests())) do
      if r.action == "ReActivateInstances" then n = n + 1 end
    end
    sim:stop()
    assert.are.equal(1, n)
    check_row({ function() ecs.client{ dry_run = "yes" } end, "bad argument #1 to 'client' (dry_run: boolean expected)" })
  end)
end)

describe("ecsrun's numeric flags", function()
  it("refuse NaN, infinity, huge values and trailing junk with a usage error (exit 2)", function()
    for _, a in ipairs({ "--qps 1e9", "--qps inf", "--qps nan", "--qps 12abc", "--qps -1", "--qps=1e400",
                         "--concurrency 1e12", "--concurrency nan", "--concurrency inf",
                         "--concurrency 12abc", "--concurrency 99999999999999999999" }) do
      local out, code = H.ecsrun_run(a .. " -e 'print(1)'")
      assert.are.equal(2, code, a .. ": " .. out)
      assert.matches("^ecsrun: %-%-%a+ must be", out, nil, false)
      assert.is_nil(out:find("traceback", 1, true), out)
    end
    local out, code = H.ecsrun_run("--qps 100000 --concurrency 100000 --region cn-hangzhou -e 'print(ecs.client{}:info().qps)'")
    assert.are.equal(0, code, out)
    assert.are.equal("100000.0\n", out)
  end)
end)

describe("require 'ecs' from a stock Lua", function()
  it("leaves coroutine.yield alone", function()
    local lua = os.getenv("LUA54") or "lua5.4"
    local cpath = os.getenv("LUA_CPATH_5_4") or ""
    local asan = os.getenv("ECS_ASAN_LIB") or ""
    local pre = asan ~= "" and ("LD_PRELOAD=%s ASAN_OPTIONS=detect_leaks=0 "):format(H.shquote(asan)) or ""
    local out, code = H.run(("%sLUA_CPATH_5_4=%s %s -e %s"):format(pre, H.shquote(cpath), lua, H.shquote(
      "local y = coroutine.yield; local ecs = require 'ecs'; print(rawequal(y, coroutine.yield))")))
    assert.are.equal(0, code, out)
    assert.are.equal("true\n", out)
  end)

  it("still ends a task that yields raw with a clear error, and ecs.parallel keeps going", function()
    local results, errors = ecs.parallel({ 1, 2, 3, 4 }, function(n)
      if n == 2 then coroutine.yield("raw") end
      ecs.sleep(0.01)
      return n
    end, { concurrency = 2 })
    assert.are.same({ [1] = 1, [3] = 3, [4] = 4 }, results)
    assert.matches("coroutine.yield inside an ecs task", errors[2])
  end)
end)

describe("ecs-sim", function()
  it("prints its version as ecsrun does", function()
    local out, code = H.run(H.ecs_sim .. " --version")
    assert.are.equal(0, code, out)
    assert.matches("^ecs%-sim %d+%.%d+%.%d+ %(libmicrohttpd [%d.]+%)\n$", out)
    assert.are.equal(ecs.version, out:match("^ecs%-sim (%S+)"))
  end)

  it("refuses a fleet with a key twice, naming key and path, and a fleet over 64 MiB", function()
    local dup = H.write(H.tmpname(".json"),
      '{"instances":[{"InstanceId":"i-1","RegionId":"cn-hangzhou","Status":"Stopped","Status":"Running"}]}')
    local out, code = H.run(H.ecs_sim .. " " .. dup)
    assert.are.equal(2, code, out)
    assert.matches("instances%[0%]%.Status: duplicate key", out)
    out, code = H.ecsrun_run("--simulate " .. dup .. " -e 'print(1)'")
    assert.are.equal(2, code, out)
    assert.matches("instances%[0%]%.Status: duplicate key", out)
    out, code = H.run(H.ecs_sim .. " /dev/zero")
    assert.are.equal(2, code, out)
    assert.matches("/dev/zero: %(top level%): larger than 64 MiB", out)
    out, code = H.ecsrun_run("--simulate /dev/zero -e 'print(1)'")
    assert.are.equal(2, code, out)
    assert.matches("larger than 64 MiB", out)
  end)
end)
