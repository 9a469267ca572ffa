-- The `ecs` module (ecs.so, ecs/sim.so) and the ecsrun / ecs-sim programs,
-- built with CMake from a checkout: luarocks --lua-version 5.x make
-- (5.1 to 5.4, or LuaJIT; the ecsrun CLI embeds Lua 5.4 and needs liblua5.4-dev)
-- The version is project(VERSION) in CMakeLists.txt (a test checks they agree).
rockspec_format = "3.0"
package = "ecsrun"
version = "0.1.0-1"
-- No public address yet: `luarocks make` builds the checkout it runs in and
-- never fetches this.
source = {
  url = "git+file:///ecsrun",
}
description = {
  summary = "Alibaba Cloud ECS API calls from Lua over one curl multi",
  detailed = [[
ecsrun signs and sends Alibaba Cloud ECS API requests (ReActivateInstances,
DescribeInstances, ...) concurrently from Lua policy scripts. This rock
installs the `ecs` module for the Lua interpreter and the ecsrun CLI and
ecs-sim simulator programs. It builds against the system's libcurl, mbedTLS,
cJSON, libinih and libmicrohttpd (Debian: libcurl4-openssl-dev
libmbedtls-dev libcjson-dev libinih-dev libmicrohttpd-dev, and pkg-config).
]],
  labels = { "cloud", "alibaba", "ecs" },
}
dependencies = {
  "lua >= 5.1, < 5.5",
}
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "RelWithDebInfo",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    CMAKE_INSTALL_BINDIR = "$(BINDIR)",
    ECS_LUA_CMOD_DIR = "$(LIBDIR)",
    ECS_ROCK_LUA_INCDIR = "$(LUA_INCDIR)",
    ECS_EXTRA_LUAS = "none",
    BUILD_TESTING = "OFF",
  },
}
