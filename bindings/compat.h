/* compat.h - the few Lua C API differences between 5.4 and 5.1/LuaJIT that the
 * binding touches, so that an older Lua can follow without a rewrite. Only
 * 5.4 is built and tested today. */
#ifndef ECS_COMPAT_H
#define ECS_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM < 502
#define luaL_newlib(L, l) (lua_newtable(L), luaL_register(L, NULL, l))
#define lua_rawlen lua_objlen
#define luaL_setfuncs(L, l, n) luaL_register(L, NULL, l)
#endif

#if LUA_VERSION_NUM < 503
#define lua_isinteger(L, i) 0
#endif

#endif
