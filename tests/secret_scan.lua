-- secret_scan.lua - fails if a fake secret or token used by the tests shows up
-- in anything the suite produced: the output of every spec and of the
-- valgrind demo run (kept by run_logged.sh), and the audit files, logs and
-- captured outputs of every child process in the tests' scratch folders.
-- Usage: lua5.4 secret_scan.lua LOG_DIR SCRATCH_DIR
local logs, scratch = arg[1], arg[2]
local secrets = {
  "sim-secret", "poor-secret", "sim-poor-secret", "sts-secret", "sts-token-1",
  "testsecret", "FakeAccessKeySecret0123456789ab", "YourAccessKeySecret",
}
-- more fake secrets, one per line, from the fleets the tests use
local f = io.open((scratch or ".") .. "/secrets.txt")
if f then
  for line in f:lines() do if #line >= 8 then secrets[#secrets + 1] = line end end
  f:close()
end

local function files(dir, patterns)
  local list = {}
  local p = io.popen("find '" .. dir .. "' -type f 2>/dev/null")
  for path in p:lines() do
    for _, pat in ipairs(patterns) do
      if path:match(pat) then list[#list + 1] = path break end
    end
  end
  p:close()
  return list
end

local scanned, hits = 0, {}
local targets = files(logs, { "%.log$" })
for _, p in ipairs(files(scratch, { "%.audit$", "%.log$", "%.out$", "%.err$" })) do targets[#targets + 1] = p end
for _, path in ipairs(targets) do
  local fh = io.open(path, "rb")
  if fh then
    local text = fh:read("a")
    fh:close()
    scanned = scanned + 1
    for _, s in ipairs(secrets) do
      local at = text:find(s, 1, true)
      if at then
        hits[#hits + 1] = ("%s: '%s' near: %q"):format(path, s, text:sub(math.max(1, at - 60), at + #s + 20))
      end
    end
  end
end
if scanned == 0 then
  io.stderr:write("secret scan: nothing to scan in " .. logs .. "\n")
  os.exit(1)
end
if #hits > 0 then
  io.stderr:write("secret scan: fake secrets leaked:\n" .. table.concat(hits, "\n") .. "\n")
  os.exit(1)
end
print(("secret scan: %d files, %d secrets, no leak"):format(scanned, #secrets))
