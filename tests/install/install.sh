#!/bin/sh
# `cmake --install` into a scratch prefix puts every file where it belongs
# and the installed files work (smoke.sh); `man` finds the installed pages.
# usage: install.sh SOURCE_DIR BUILD_DIR SCRATCH VERSION LUA CMOD_DIR(relative) [OTHER_LUAS]
# OTHER_LUAS: "5.1 5.3 luajit ...", the other Luas the module was built for:
# each interpreter must load its module from <libdir>/lua/<abi>.
set -eu
src=$1 build=$2 T=$3 VERSION=$4 LUA=$5 cmod=$6 others=${7:-}
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$T" && mkdir -p "$T"
cmake --install "$build" --prefix "$T/prefix" >"$T/install.log" || { cat "$T/install.log"; fail "cmake --install"; }
ROOT=$T/prefix BIN=$T/prefix/bin DOC=$T/prefix/share/doc/ecsrun
case "$cmod" in /*) CMOD=$cmod ;; *) CMOD=$ROOT/$cmod ;; esac
for f in "$BIN/ecsrun" "$BIN/ecs-sim" "$CMOD/ecs.so" "$CMOD/ecs/sim.so" \
         "$ROOT/share/man/man1/ecsrun.1" "$ROOT/share/man/man1/ecs-sim.1" \
         "$DOC/lua-api.md" "$DOC/ecs.lua" "$DOC/examples/reactivate_expired.lua" \
         "$DOC/examples/fleets/demo.json"; do
  [ -f "$f" ] || fail "not installed: $f"
done
# stock lua5.4 looks in the module directory: /usr/local/lib/lua/5.4 for the
# default prefix, /usr/lib/<multiarch>/lua/5.4 for /usr
rel=${CMOD#"$ROOT"/}
env -u LUA_CPATH -u LUA_CPATH_5_4 "$LUA" - "$rel" <<'LUA' ||
  local want, want2 = "/usr/local/" .. arg[1] .. "/?.so", "/usr/" .. arg[1] .. "/?.so"
  assert(package.cpath:find(want, 1, true) or package.cpath:find(want2, 1, true),
         arg[1] .. " is not on stock Lua's cpath " .. package.cpath)
LUA
  fail "the module directory $rel is not where stock lua5.4 looks"
page=$(env -u LD_PRELOAD MANPATH="$ROOT/share/man" man -w ecsrun) || fail "man does not find ecsrun"
[ "$page" = "$ROOT/share/man/man1/ecsrun.1" ] || fail "man found $page"
env -u LD_PRELOAD MANPATH="$ROOT/share/man" MANWIDTH=80 man ecs-sim 2>/dev/null | grep -q 'ecs-sim - an Alibaba Cloud ECS API simulator' ||
  fail "man ecs-sim"
. "$(dirname "$0")/smoke.sh"
smoke
libdir=$(dirname "$CMOD")
for v in $others; do
  case $v in luajit) LUA=luajit abi=5.1 ;; *) LUA=lua$v abi=$v ;; esac
  CMOD=$libdir/$abi
  [ -f "$CMOD/ecs.so" ] && [ -f "$CMOD/ecs/sim.so" ] || fail "no module for $v in $CMOD"
  smoke_module
done
echo "ok: installed into $ROOT"
