# Sourced by install.sh and deb.sh: runs the installed files under ROOT (a
# scratch prefix, or a scratch root the .deb was extracted into) with
# BIN=$ROOT/bin, CMOD=the module directory, DOC=the doc directory.
# The demo playbook runs from the installed ecsrun against its simulator, and
# stock lua5.4 requires the installed ecs (and ecs.sim) and reactivates an
# instance through them.
smoke() {
  out=$("$BIN/ecsrun" --simulate "$DOC/examples/fleets/demo.json" "$DOC/examples/reactivate_expired.lua") ||
    fail "the installed ecsrun did not run the demo"
  echo "$out" | grep -q '^4 reactivated, 5 skipped, 0 failed$' || fail "unexpected demo report: $out"
  smoke_module
}

# Stock $LUA requires the module installed in $CMOD and reactivates through it.
smoke_module() {
  LUA_CPATH="$CMOD/?.so" LUA_CPATH_5_2="$CMOD/?.so" LUA_CPATH_5_3="$CMOD/?.so" LUA_CPATH_5_4="$CMOD/?.so" \
  LUA_PATH="" LUA_PATH_5_2="" LUA_PATH_5_3="" LUA_PATH_5_4="" "$LUA" - "$VERSION" "$CMOD" \
    "$DOC/examples/fleets/demo.json" <<'LUA' || fail "stock $LUA could not use the installed module"
    local ecs = require "ecs"
    assert(ecs.version == arg[1], "version " .. tostring(ecs.version))
    local so
    for t in package.cpath:gmatch("[^;]+") do -- package.searchpath, which 5.1 lacks
      local f = io.open((t:gsub("%?", "ecs")))
      if f then f:close(); so = t:gsub("%?", "ecs"); break end
    end
    assert(so and so:find(arg[2], 1, true) == 1, "loaded " .. tostring(so))
    local sim = ecs.sim.start(arg[3])
    local c = sim:client({ region = "cn-hangzhou" })
    local res, err = c:reactivate("i-demo0001")
    assert(res, tostring(err))
    local st = assert(sim:state())
    local n = 0
    for _, r in ipairs(assert(sim:requests())) do n = n + 1 end
    assert(n >= 1, "the simulator saw no request")
    sim:stop()
    print("ok: stock " .. (jit and jit.version or _VERSION) .. " ran ecs " .. ecs.version .. " from " .. so)
LUA
}
