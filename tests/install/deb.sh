#!/bin/sh
# The Debian package: configured for /usr and built in a scratch tree, packed
# by CPack, its file list and dependencies inspected (dpkg-deb -c / -f), then
# extracted into a scratch root (dpkg-deb -x) whose files must work
# (smoke.sh): the demo from the extracted ecsrun, require "ecs" from stock
# lua5.4 with LUA_CPATH pointing into the root.
# usage: deb.sh SOURCE_DIR SCRATCH VERSION LUA [OTHER_LUAS]
# OTHER_LUAS: "5.1 5.3 luajit ...": the package must also hold their modules
# (in /usr/lib/<multiarch>/lua/<abi>), and each interpreter must use its own.
set -eu
src=$1 T=$2 VERSION=$3 LUA=$4 others=${5:-}
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$T" && mkdir -p "$T"
cmake -S "$src" -B "$T/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
  -DBUILD_TESTING=OFF >"$T/configure.log" || { cat "$T/configure.log"; fail "configure"; }
cmake --build "$T/build" -j2 >"$T/build.log" 2>&1 || { tail -40 "$T/build.log"; fail "build"; }
(cd "$T/build" && cpack -G DEB) >"$T/cpack.log" 2>&1 || { cat "$T/cpack.log"; fail "cpack"; }
arch=$(dpkg --print-architecture)
deb=$T/build/ecsrun_${VERSION}_$arch.deb
[ -f "$deb" ] || { ls "$T/build"; fail "no $deb"; }
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)

dpkg-deb -c "$deb" | awk '{print $6}' >"$T/contents"
for f in ./usr/bin/ecsrun ./usr/bin/ecs-sim ./usr/lib/$ma/lua/5.4/ecs.so ./usr/lib/$ma/lua/5.4/ecs/sim.so \
         ./usr/share/man/man1/ecsrun.1 ./usr/share/man/man1/ecs-sim.1 ./usr/share/doc/ecsrun/lua-api.md \
         ./usr/share/doc/ecsrun/examples/reactivate_expired.lua ./usr/share/doc/ecsrun/examples/fleets/demo.json; do
  grep -qx "$f" "$T/contents" || { cat "$T/contents"; fail "the package lacks $f"; }
done
if grep -v '^\./usr/' "$T/contents" | grep -v '^\./$'; then fail "files outside /usr"; fi

[ "$(dpkg-deb -f "$deb" Package)" = ecsrun ] || fail "package name"
[ "$(dpkg-deb -f "$deb" Version)" = "$VERSION" ] || fail "package version"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for d in liblua5.4-0 libcurl4 libmbedcrypto libcjson1 libinih1 libmicrohttpd12 libc6; do
  echo "$depends" | grep -q "$d" || fail "Depends lacks $d"
done
dpkg-deb -f "$deb" Recommends | grep -q lua5.4 || fail "Recommends lacks lua5.4"

dpkg-deb -x "$deb" "$T/root"
ROOT=$T/root/usr BIN=$T/root/usr/bin CMOD=$T/root/usr/lib/$ma/lua/5.4 DOC=$T/root/usr/share/doc/ecsrun
env -u LUA_CPATH -u LUA_CPATH_5_4 "$LUA" - "/usr/lib/$ma/lua/5.4/?.so" <<'LUA' || fail "the package's module directory is not on stock Lua's cpath"
  assert(package.cpath:find(arg[1], 1, true), package.cpath)
LUA
. "$(dirname "$0")/smoke.sh"
smoke
for v in $others; do
  case $v in luajit) LUA=luajit abi=5.1 ;; *) LUA=lua$v abi=$v ;; esac
  CMOD=$T/root/usr/lib/$ma/lua/$abi
  grep -qx "./usr/lib/$ma/lua/$abi/ecs.so" "$T/contents" || fail "the package lacks the module for $v"
  env -u LUA_CPATH -u LUA_CPATH_5_2 -u LUA_CPATH_5_3 "$LUA" -e "assert(package.cpath:find('/usr/lib/$ma/lua/$abi/?.so', 1, true), package.cpath)" ||
    fail "$LUA does not look in /usr/lib/$ma/lua/$abi"
  smoke_module
done
echo "ok: $(basename "$deb")"
