-- ecs/parallel.lua - ecs.parallel (see init.lua): items run by a pool of
-- tasks (tasks.lua), each item's fn in I.xpcall so that a failure stays that
-- item's, with an optional progress line (log.lua's I.progress).
local core, M, I = ...

local mono = core.monotonic
local floor, min, max, huge = math.floor, math.min, math.max, math.huge
local type, tostring = type, tostring
local argerror, checktype, checknum, checkopts, set =
  I.argerror, I.checktype, I.checknum, I.checkopts, I.set

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
-- back after it (I.progress in log.lua). The final draw replaces it with
-- one summary line.
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
      I.progress(("%s%d/%d done, %d failed in %.1fs"):format(prefix, done, total, failed, el), true)
      return
    end
    local eta = rate > 0 and ("%.0fs"):format((total - done) / rate) or "?"
    I.progress(("%s%d/%d done, %d failed, %d in flight, %.1f/s, ETA %s"):format(
      prefix, done, total, failed, inflight, rate, eta))
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
  local function handler(e, co)
    if type(e) == "table" then return e end
    if co then return debug.traceback(co, tostring(e)) end
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
      local ok, r, e = I.xpcall(fn, handler, items[i], i)
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
