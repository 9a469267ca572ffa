/* lecs_module.c - ecs.so for `require "ecs"` from a stock Lua. The module is
 * the static binding library linked whole; exports.map makes luaopen_ecs its
 * only exported symbol, so the runtime's names cannot clash with the host's. */
#include "lecs.h"

/* Referenced so the linker pulls the binding in. */
int (*const lecs_module_entry)(lua_State *L) = luaopen_ecs;
