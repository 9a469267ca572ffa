-- ecs/audit.lua - ecs.audit (see init.lua): opening the audit file and
-- reading one back.
local core, M, I = ...

local select, ipairs = select, ipairs
local checktype, checkstr = I.checktype, I.checkstr

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

-- ecs.audit.read([path]) -> { calls = { {intent=, outcome=}, ... }, done = {id=true},
-- pending = {id=true} } | nil, err. core.audit_read (runtime/audit_read.c)
-- reads and pairs the lines: an outcome belongs to the latest earlier
-- intent with the same run and id, for the same action and instance, when
-- that intent has no outcome yet. Old files (before run ids, ids
-- "<pid>-<n>" that repeat across runs) pair the same way by id alone, in
-- file order. An outcome that matches no intent is kept as an orphan call
-- ({ outcome = rec, orphan = true }) and decides nothing. Lines that are
-- not complete JSON (a crash mid-write) are skipped.
-- done: instances whose ReActivateInstances finished OK (an intent and its
-- own outcome); pending: sent (intent) with no outcome, or an ambiguous
-- outcome, and not done since: check their state before acting again.
local function audit_read(path, fn)
  path = path or audit_path
  checktype(path, "string", 1, fn)
  checkstr(path, 1, fn, "path")
  local calls, err = core.audit_read(path)
  if not calls then return nil, err end
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
