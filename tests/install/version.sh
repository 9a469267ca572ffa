#!/bin/sh
# The version lives in one place, project(VERSION) in CMakeLists.txt: no C
# source spells a version literal, and ecsrun --version, ecs.version (from
# ecsrun and from stock lua5.4) and the rockspec all say the CMake version.
# usage: version.sh SOURCE_DIR BUILD_DIR VERSION LUA ECSRUN
set -eu
src=$1 build=$2 want=$3 lua=$4 ecsrun=$5
fail() { echo "FAIL: $*" >&2; exit 1; }
if grep -rnE '"[0-9]+\.[0-9]+\.[0-9]+"' "$src/runtime" "$src/bindings" --include='*.c' --include='*.h'; then
  fail "a version literal in the C sources (use version.h's ECS_VERSION)"
fi
got=$("$ecsrun" --version)
case "$got" in "ecsrun $want "*) ;; *) fail "ecsrun --version: '$got', want ecsrun $want" ;; esac
got=$("$ecsrun" -e 'io.write(ecs.version)')
[ "$got" = "$want" ] || fail "ecs.version under ecsrun: '$got', want $want"
got=$(LUA_CPATH_5_4="$build/?.so" "$lua" -e 'io.write(require("ecs").version)')
[ "$got" = "$want" ] || fail "ecs.version under lua5.4: '$got', want $want"
n=$(ls "$src"/ecsrun-*.rockspec 2>/dev/null | wc -l)
[ "$n" = 1 ] || fail "want exactly one ecsrun-*.rockspec at the top of the tree, found $n"
[ -f "$src/ecsrun-$want-1.rockspec" ] || fail "the rockspec is not ecsrun-$want-1.rockspec"
grep -q "^version = \"$want-1\"" "$src/ecsrun-$want-1.rockspec" || fail "the rockspec's version is not $want-1"
echo "ok: version $want everywhere"
