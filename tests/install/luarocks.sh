#!/bin/sh
# `luarocks make` from a checkout builds the rock (build type cmake) and
# installs it into a scratch tree; `luarocks path` for that tree is all stock
# lua5.4 needs to require "ecs" and ecs.sim, and the rock's ecsrun runs the
# demo. The checkout is copied first (without build trees): luarocks builds
# in the source tree (build.luarocks/).
# usage: luarocks.sh SOURCE_DIR SCRATCH VERSION LUA [LUA_VERSION (5.4)]
set -eu
src=$1 T=$2 VERSION=$3 LUA=$4 LV=${5:-5.4}
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v luarocks >/dev/null || fail "luarocks is not installed (.ci/setup installs it)"
rm -rf "$T" && mkdir -p "$T/src"
(cd "$src" && tar --exclude='./build*' --exclude=./.git --exclude=./tests/bench/node_modules \
  --exclude=./tests/bench/.npm-cache --exclude=./tests/bench/out -cf - .) |
  (cd "$T/src" && tar -xf -)
export HOME="$T/home" # no user config, no cache outside the scratch folder
export CMAKE_BUILD_PARALLEL_LEVEL=2 # luarocks runs a plain `cmake --build`
(cd "$T/src" && luarocks --lua-version "$LV" --tree "$T/tree" make "ecsrun-$VERSION-1.rockspec") \
  >"$T/make.log" 2>&1 || { tail -60 "$T/make.log"; fail "luarocks make"; }
luarocks --lua-version "$LV" --tree "$T/tree" list --porcelain | grep -q "^ecsrun	$VERSION-1	installed" ||
  fail "luarocks list does not show ecsrun $VERSION-1"
[ -f "$T/tree/lib/lua/$LV/ecs.so" ] && [ -f "$T/tree/lib/lua/$LV/ecs/sim.so" ] ||
  { find "$T/tree" -type f; fail "the modules are not in the tree's lib/lua/$LV"; }
got=$(env -u LUA_CPATH_5_4 -u LUA_PATH_5_4 -u LUA_CPATH_5_3 -u LUA_PATH_5_3 -u LUA_CPATH_5_2 -u LUA_PATH_5_2 -u LUA_CPATH -u LUA_PATH sh -c '
  eval "$(luarocks --lua-version "$3" --tree "$1" path)"; "$2" -e "print(require\"ecs\".version)"' sh "$T/tree" "$LUA" "$LV") ||
  fail "require \"ecs\" after luarocks path"
[ "$got" = "$VERSION" ] || fail "ecs.version is '$got'"
# the rock installs no docs: the demo comes from the checkout
mkdir -p "$T/doc/examples" && cp -r "$src/scripts/." "$T/doc/examples/"
ROOT=$T/tree BIN=$T/tree/bin CMOD=$T/tree/lib/lua/$LV DOC=$T/doc
. "$(dirname "$0")/smoke.sh"
smoke
echo "ok: luarocks make installed ecsrun $VERSION-1"
