#!/bin/sh
# The production ecs.so does not link the simulator (libmicrohttpd, and
# GnuTLS through it); ecs.sim is ecs/sim.so, loaded only when used.
# usage: no_sim_in_module.sh BUILD_DIR LUA ECSRUN
set -eu
build=$1 lua=$2 ecsrun=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
# the module of each Lua it is built for (build/ecs.so: 5.4; build/lua-<v>/)
for dir in "$build" "$build"/lua-*; do
  [ -f "$dir/ecs.so" ] || continue
  needed=$(readelf -d "$dir/ecs.so" | grep NEEDED)
  echo "$dir/ecs.so: $needed"
  if echo "$needed" | grep -Ei 'microhttpd|gnutls|liblua'; then fail "$dir/ecs.so links the simulator's libraries or a Lua"; fi
  if ldd "$dir/ecs.so" | grep -i microhttpd; then fail "$dir/ecs.so pulls libmicrohttpd"; fi
  if nm -D --defined-only "$dir/ecs.so" | grep -v ' luaopen_ecs$' | grep ' T '; then
    fail "$dir/ecs.so exports more than luaopen_ecs"
  fi
  readelf -d "$dir/ecs/sim.so" | grep -q 'NEEDED.*microhttpd' || fail "$dir/ecs/sim.so does not link libmicrohttpd"
done
# require "ecs" does not load the simulator; ecs.sim does, as ecs/sim.so
LUA_CPATH_5_4="$build/?.so" "$lua" -e '
  local ecs = require "ecs"
  assert(package.loaded["ecs.sim"] == nil, "ecs.sim loaded by require \"ecs\"")
  for l in io.lines("/proc/self/maps") do assert(not l:find("microhttpd"), l) end
  local sim = ecs.sim
  assert(package.loaded["ecs.sim"] == sim and require("ecs.sim") == sim)
  assert(type(sim.start) == "function" and type(sim.connect) == "function")
  local found
  for l in io.lines("/proc/self/maps") do found = found or l:find("microhttpd", 1, true) end
  assert(found, "ecs.sim did not load libmicrohttpd")' || fail "lazy ecs.sim"
# ecs/sim.so refuses an ecs module of another version (two installs mixed)
LUA_CPATH_5_4="$build/?.so" "$lua" -e '
  package.loaded.ecs = { version = "0.0.0-other" }
  local ok, err = pcall(require, "ecs.sim")
  assert(not ok and err:find("needs the ecs module .* found 0.0.0%-other"), tostring(err))' ||
  fail "ecs.sim with another ecs"
# ecsrun links ecs.sim in (preloaded): the same table either way
"$ecsrun" -e 'assert(require("ecs.sim") == ecs.sim and ecs.sim.connect and ecs.sim.start)' ||
  fail "ecs.sim under ecsrun"
echo "ok: ecs.so is free of the simulator"
