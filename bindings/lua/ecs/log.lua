-- ecs/log.lua - ecs.log (see init.lua): text or JSON lines on stderr,
-- secrets redacted, and the progress line ecs.parallel keeps on a terminal.
local core, M, I = ...

local json = core.json
local type, tostring, pairs, ipairs, pcall, setmetatable, getmetatable =
  type, tostring, pairs, ipairs, pcall, setmetatable, getmetatable
local argerror, checkopts, set = I.argerror, I.checkopts, I.set

local progress_line -- the progress text on the terminal now (ecs.parallel), or nil
local log_format, log_level = "text", 2 -- 1 debug, 2 info, 3 warn, 4 error
local levels = { debug = 1, info = 2, warn = 3, error = 4 }
local is_secret, escape, clean = core.is_secret_name, core.text_escape, core.utf8_clean
local REDACTED = "[redacted]"

local function printable(v)
  local tv = type(v)
  if tv == "string" or tv == "number" or tv == "boolean" then return v end
  if tv == "table" and not (getmetatable(v) and getmetatable(v).__tostring) then return v end
  return tostring(v)
end

-- A copy of value with every field named like a secret (runtime/redact.c's
-- predicate: Password, *Secret*, *Token*, ...) replaced by "[redacted]", at
-- any depth. Tables seen before (cycles) become "[cycle]".
local function redact(v, seen)
  v = printable(v)
  if type(v) ~= "table" then return v end
  seen = seen or {}
  if seen[v] then return "[cycle]" end
  seen[v] = true
  local out = setmetatable({}, getmetatable(v)) -- keeps ecs.json.array marks
  for k, x in pairs(v) do
    out[k] = (type(k) == "string" and is_secret(k)) and REDACTED or redact(x, seen)
  end
  seen[v] = nil
  return out
end

-- Text logs: one line per record, whatever the message and values hold
-- (newlines, ESC, invalid UTF-8 are escaped, runtime/utf8.c); a value with a
-- space, quote or '=' is quoted.
local function text_value(v)
  if type(v) == "table" then
    local ok, s = pcall(json.encode, v)
    v = ok and s or tostring(v)
  end
  v = escape(tostring(v))
  if v:find("[ \"=]") then v = '"' .. v .. '"' end
  return v
end

local function log_write(level, msg, fields)
  if levels[level] < log_level then return end
  local t = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local line
  fields = type(fields) == "table" and redact(fields) or nil
  if log_format == "json" then
    local rec = { time = t, level = level, msg = tostring(msg) }
    for k, v in pairs(fields or {}) do
      if rec[k] == nil then rec[k] = v end
    end
    local ok, s = pcall(json.encode, rec)
    line = clean(ok and s or json.encode({ time = t, level = level, msg = tostring(msg) }))
  else
    local parts = { t, level:upper(), escape(tostring(msg)) }
    if fields then
      local keys = {}
      for k in pairs(fields) do keys[#keys + 1] = k end
      table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
      for _, k in ipairs(keys) do
        parts[#parts + 1] = escape(tostring(k)) .. "=" .. text_value(fields[k])
      end
    end
    line = table.concat(parts, " ")
  end
  if progress_line then -- a progress line is on screen: clear it, log, redraw it
    io.stderr:write("\r\27[K", line, "\n", progress_line)
  else
    io.stderr:write(line, "\n")
  end
end

M.log = {
  debug = function(msg, fields) log_write("debug", msg, fields) end,
  info = function(msg, fields) log_write("info", msg, fields) end,
  warn = function(msg, fields) log_write("warn", msg, fields) end,
  error = function(msg, fields) log_write("error", msg, fields) end,
  -- ecs.log.configure{ format = "text"|"json", level = "debug"|"info"|"warn"|"error" }
  configure = function(o)
    o = checkopts(o, set { "format", "level" }, 1, "configure")
    if o.format ~= nil then
      if o.format ~= "text" and o.format ~= "json" then argerror(1, "configure", "format: \"text\" or \"json\" expected") end
      log_format = o.format
    end
    if o.level ~= nil then
      if not levels[o.level] then argerror(1, "configure", "level: debug, info, warn or error expected") end
      log_level = levels[o.level]
    end
  end,
  format = function() return log_format end,
}

-- Is a record of this level written? (api.lua times calls only for -v.)
function I.log_enabled(level) return levels[level] >= log_level end

-- ecs.parallel's progress text (tasks.lua): redrawn in place (\r, erase to
-- end of line) and remembered, so that log_write can clear it and draw it
-- again below its line. The final text ends the line and is forgotten.
function I.progress(text, final)
  if final then
    progress_line = nil
    io.stderr:write("\r\27[K" .. text .. "\n")
  else
    progress_line = text
    io.stderr:write("\r\27[K", text)
  end
end
