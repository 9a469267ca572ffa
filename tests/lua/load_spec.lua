-- Load: several ecsrun processes, many tasks each, against one ecs-sim
-- process with throttling and scripted faults on; then the simulator's
-- state and request log, and the processes' audit files, must agree that
-- every instance was reactivated exactly once and that no request was lost
-- or sent unannounced. And one long-running process keeps its memory flat.
--
-- Sizes (defaults; the sanitizer build runs a tenth, detected from the
-- ecsrun binary): ECS_LOAD_INSTANCES (12000), ECS_LOAD_PROCS (4),
-- ECS_LOAD_CONCURRENCY (64), ECS_LOAD_MIN_REQUESTS (50000 at full size),
-- ECS_LOAD_RSS_CALLS (20000). The audit files go to /dev/shm when it is
-- there (ECS_LOAD_AUDIT_DIR): two fsyncs per request on a disk would make
-- this a disk benchmark; the kill -9 test in safety_spec covers durability.
-- Figures are printed to stderr (and kept in the scratch folder as
-- *_load-*.txt).
local ecs = require "ecs"
local H = require "helpers"

local ENV = { ALIBABA_CLOUD_ACCESS_KEY_ID = "sim-ak", ALIBABA_CLOUD_ACCESS_KEY_SECRET = "sim-secret" }
local LOAD = H.src .. "/tests/load/"

local function ldd_has_asan(bin)
  local p = io.popen("ldd " .. H.shquote(bin) .. " 2>/dev/null")
  local s = p and p:read("*a") or ""
  if p then p:close() end
  return s:find("libasan", 1, true) ~= nil
end
local sanitized = os.getenv("ECS_SANITIZE") == "1" or ldd_has_asan(H.ecsrun)
local function env_num(name, default)
  local v = tonumber(os.getenv(name) or "")
  return v or default
end
local NINST = env_num("ECS_LOAD_INSTANCES", sanitized and 1200 or 12000)
local NPROCS = env_num("ECS_LOAD_PROCS", 4)
local CONC = env_num("ECS_LOAD_CONCURRENCY", 64)
-- the fleet makes ~4.9 requests per instance: 50,000 at the default size
local MIN_REQUESTS = env_num("ECS_LOAD_MIN_REQUESTS", NINST >= 12000 and 50000 or NINST * 4)
local RSS_CALLS = env_num("ECS_LOAD_RSS_CALLS", sanitized and 4000 or 20000)
local AUDIT_DIR = os.getenv("ECS_LOAD_AUDIT_DIR")
if not AUDIT_DIR and H.sh_ok("test -d /dev/shm -a -w /dev/shm") then AUDIT_DIR = "/dev/shm" end

local function report(name, text)
  io.stderr:write(text, "\n")
  H.write(H.tmpname("_load-" .. name .. ".txt"), text .. "\n")
end

-- The fault layout of tests/load/gen_fleet.lua, by instance index.
local function has_apply_reset(i) return i % 50 == 3 end

local audit_lines = H.audit_lines

-- The simulator keeps the last 50,000 requests: fetch the log while the run
-- goes on and merge by seq, so that nothing scrolls away unseen (checked:
-- the merged sequence numbers must be 1..n without a gap).
local function log_collector(sim)
  local by_seq, max_seq, fetches = {}, 0, 0
  local c = {}
  function c.fetch()
    local reqs = assert(sim:requests())
    fetches = fetches + 1
    for _, r in ipairs(reqs) do
      if not by_seq[r.seq] then
        by_seq[r.seq] = r
        if r.seq > max_seq then max_seq = r.seq end
      end
    end
  end
  function c.all()
    local list, missing = {}, 0
    for s = 1, max_seq do
      if by_seq[s] then list[#list + 1] = by_seq[s] else missing = missing + 1 end
    end
    return list, missing, fetches
  end
  return c
end

describe("load", function()
  it("many tasks in several ecsrun processes: every instance reactivated exactly once, nothing lost or unannounced", function()
    local fleet = H.tmpname("_load-fleet.json")
    -- a throttle the run reaches in some seconds (it also bounds the rate)
    local limit = math.max(100, math.floor(NINST / 6))
    assert(loadfile(LOAD .. "gen_fleet.lua"))(tostring(NINST), fleet, tostring(limit))
    local sim = H.sim_process(H.read(fleet))
    os.remove(fleet)
    local url = sim:url()
    -- the workers, in the background; each writes its exit code when done
    local per = math.floor(NINST / NPROCS)
    local procs = {}
    local t0 = ecs.now()
    for p = 1, NPROCS do
      local first, last = (p - 1) * per + 1, p == NPROCS and NINST or p * per
      local w = { first = first, last = last, audit = AUDIT_DIR and (AUDIT_DIR .. "/ecsrun-load" .. H.tmpname(".audit"):gsub("[/.]", "_") .. ".audit")
                                           or H.tmpname(".audit"), out = H.tmpname(".out"),
                  err = H.tmpname(".err"), rc = H.tmpname(".rc") }
      local cmd = H.ecsrun_cmd(("--endpoint %s --region cn-hangzhou --audit %s %sreactivate_slice.lua %d %d %d"):format(
        url, w.audit, LOAD, first, last, CONC), ENV)
      assert(os.execute(("(%s >%s 2>%s </dev/null; echo $? >%s.tmp; mv %s.tmp %s) &"):format(
        cmd, w.out, w.err, w.rc, w.rc, w.rc)))
      procs[p] = w
    end
    local log = log_collector(sim)
    local last_fetch = ecs.now()
    while true do
      local running = 0
      for _, w in ipairs(procs) do
        if not w.code then
          local s = H.read(w.rc)
          if s and s:match("%d") then w.code = tonumber(s:match("%d+")); w.wall = ecs.now() - t0
          else running = running + 1 end
        end
      end
      if running == 0 then break end
      assert(ecs.now() - t0 < 280, "the load run did not finish within 280 s")
      if ecs.now() - last_fetch >= 4 then
        log.fetch()
        last_fetch = ecs.now()
      end
      os.execute("sleep 0.2")
    end
    local wall = ecs.now() - t0
    log.fetch()
    local reqs, missing, fetches = log.all()
    local state = assert(sim:state())
    sim:stop()

    -- every process finished its slice: exit 0, all ok, nothing left Stopped
    local lines = {}
    for p, w in ipairs(procs) do
      local out, err = H.read(w.out) or "", H.read(w.err) or ""
      H.write(H.tmpname(".out"), out .. err) -- for the secret scan
      assert.are.equal(0, w.code, ("worker %d exited %s: %s"):format(p, tostring(w.code), err:sub(1, 2000)))
      local res = ecs.json.decode(out:match("[^\n]+"))
      assert.are.equal(w.last - w.first + 1, res.ok)
      assert.are.equal(0, res.failed)
      assert.are.equal(0, res.stopped)
      lines[#lines + 1] = ("  worker %d: %d..%d ok=%d verified=%d attempts=%d wall=%.2fs cpu=%.2fs"):format(
        p, w.first, w.last, res.ok, res.verified, res.attempts, res.wall_s, res.cpu_s)
      os.remove(w.out); os.remove(w.err); os.remove(w.rc)
    end

    -- the log is complete, and big enough
    assert.are.equal(0, missing, ("%d requests scrolled out of the simulator's log unseen"):format(missing))
    assert.is_true(#reqs >= MIN_REQUESTS, ("only %d requests reached the simulator (want >= %d)"):format(
      #reqs, MIN_REQUESTS))
    assert.are.equal(#reqs, state.counters.requests)

    -- what the simulator saw, per instance
    local sent, codes, nonce_resends, by_action, resent = {}, {}, 0, {}, {}
    for _, r in ipairs(reqs) do
      local a = r.action ~= "" and r.action or "(not parsed)"
      by_action[a] = (by_action[a] or 0) + 1
      codes[r.code] = (codes[r.code] or 0) + 1
      if r.code == "SignatureNonceUsed" then
        nonce_resends = nonce_resends + 1
        resent[#resent + 1] = r
      elseif r.action == "ReActivateInstances" then
        local s = sent[r.instance_id]
        if not s then s = {}; sent[r.instance_id] = s end
        s[r.code] = (s[r.code] or 0) + 1
        s.n = (s.n or 0) + 1
      end
    end
    -- what the audit files announced, per instance
    local intents, ok_outcomes, nintent, noutcome = {}, {}, 0, 0
    for _, w in ipairs(procs) do
      local recs, partial = audit_lines(w.audit)
      assert.are.equal(0, partial)
      local open = {}
      for _, rec in ipairs(recs) do
        assert.are.equal("ReActivateInstances", rec.action)
        if rec.event == "intent" then
          nintent = nintent + 1
          intents[rec.instance_id] = (intents[rec.instance_id] or 0) + 1
          open[rec.id] = true
        else
          noutcome = noutcome + 1
          assert.is_true(open[rec.id], "outcome without intent: " .. tostring(rec.id))
          open[rec.id] = nil
          if rec.ok then ok_outcomes[rec.instance_id] = (ok_outcomes[rec.instance_id] or 0) + 1 end
        end
      end
      assert.are.same({}, open) -- every intent has its outcome
      -- never a secret; the suite's secret scan gets a sample (the whole
      -- files are ~9 MB each)
      local text = H.read(w.audit) or ""
      assert.is_nil(text:find(ENV.ALIBABA_CLOUD_ACCESS_KEY_SECRET, 1, true))
      H.write(H.tmpname(".out"), text:sub(1, 100000) .. text:sub(-100000))
      os.remove(w.audit)
    end

    local st = H.by_id(state)
    for i = 1, NINST do
      local id = ("i-load%06d"):format(i)
      local s = sent[id] or { n = 0 }
      -- exactly one request did the work: an OK, or a reset that had applied it
      local done = (s.OK or 0) + (has_apply_reset(i) and (s.reset or 0) or 0)
      if done ~= 1 or (s.n ~= (intents[id] or 0)) or (ok_outcomes[id] or 0) ~= (s.OK or 0) then
        error(("%s: simulator saw %s; audit intents %d, ok outcomes %d"):format(id, ecs.json.encode(s),
          intents[id] or 0, ok_outcomes[id] or 0))
      end
      local inst = st[id]
      assert.are_not.equal("Stopped", inst.Status, id)
    end
    assert.are.equal(nintent, noutcome)
    -- a re-sent nonce is libcurl re-sending a request whose connection died
    -- unanswered: only the "reset" faults do that here
    for _, r in ipairs(resent) do
      if r.instance_id ~= "" then
        assert.is_true(sent[r.instance_id] and (sent[r.instance_id].reset or 0) > 0,
          "SignatureNonceUsed for an instance that had no reset: " .. ecs.json.encode(r))
      end
    end
    -- throttling and every kind of fault did happen
    for _, code in ipairs({ "Throttling.User", "InternalError", "ServiceUnavailable", "reset", "malformed", "html503" }) do
      assert.is_true((codes[code] or 0) > 0, "no " .. code .. " in the run: the test proved less than it says")
    end

    local cl = {}
    for k, v in pairs(codes) do cl[#cl + 1] = ("%s=%d"):format(k, v) end
    table.sort(cl)
    local al = {}
    for k, v in pairs(by_action) do al[#al + 1] = ("%s=%d"):format(k, v) end
    table.sort(al)
    report("requests", table.concat({
      ("load: %d instances, %d processes x %d tasks, throttle %d/s: %d requests in %.1f s (%.0f/s), log fetched %d times"):format(
        NINST, NPROCS, CONC, limit, #reqs, wall, #reqs / wall, fetches),
      ("  by action: %s"):format(table.concat(al, " ")),
      ("  by code: %s"):format(table.concat(cl, " ")),
      ("  ReActivateInstances intents %d = requests logged (less %d SignatureNonceUsed re-sends by libcurl)"):format(
        nintent, nonce_resends),
      table.concat(lines, "\n") }, "\n"))
  end)

  it("keeps one process's memory flat over many read calls", function()
    local fleet = H.tmpname("_rss-fleet.json")
    assert(loadfile(LOAD .. "gen_fleet.lua"))("100", fleet, "0")
    local sim = H.sim_process(H.read(fleet))
    os.remove(fleet)
    local out, code, err = H.ecsrun_run(("--endpoint %s --region cn-hangzhou %srss.lua %d 64"):format(
      sim:url(), LOAD, RSS_CALLS), ENV, { split = true })
    sim:stop()
    assert.are.equal(0, code, err)
    local res = ecs.json.decode(out:match("[^\n]+"))
    assert.are.equal(RSS_CALLS, res.ok)
    local q = res.rss_kib
    assert.are.equal(4, #q)
    report("rss", ("rss: %d DescribeInstances calls from 64 tasks in %.1f s: VmRSS after each quarter %.0f / %.0f / %.0f / %.0f KiB%s"):format(
      RSS_CALLS, res.wall_s, q[1], q[2], q[3], q[4], sanitized and " (sanitizer build: not asserted)" or ""))
    if not sanitized then -- ASan's quarantine holds freed memory on purpose
      local allowed = q[1] * 1.10 + 4096
      assert.is_true(q[4] <= allowed, ("VmRSS grew from %.0f KiB to %.0f KiB (allowed %.0f)"):format(q[1], q[4], allowed))
    end
  end)
end)
