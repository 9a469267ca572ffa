/* compat.h - the Lua C API the binding uses, on every Lua it supports:
 * 5.4 natively; 5.3 with the two 5.4 names below; 5.1, 5.2 and LuaJIT 2.1
 * through lua-compat53 (Debian: lua-compat53-dev), which supplies the 5.3
 * API as static functions. The binding never yields from C (no lua_yieldk):
 * the Lua half yields, which every version can do. */
#ifndef ECS_COMPAT_H
#define ECS_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM < 503
#include <compat-5.3.h>
#endif

#if LUA_VERSION_NUM < 504
#define lua_newuserdatauv(L, size, nuv) lua_newuserdata((L), (size))
#define luaL_typeerror(L, arg, tname) \
  luaL_argerror((L), (arg), lua_pushfstring((L), "%s expected, got %s", (tname), luaL_typename((L), (arg))))
#endif

#endif
