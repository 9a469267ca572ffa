/* lecs.c - the `ecs` Lua module: luaopen_ecs, the per-state context, the
 * core table and the loading of the pure-Lua half (the chunks of bindings/lua/ecs/:
 * the task scheduler, log, calls and clients, fleet helpers, audit, sim),
 * embedded at build time; its chunks receive the core table and fill in
 * the module. The core's functions live one concept per file (see
 * lecs_internal.h).
 *
 * Data flows one way: a Lua options table is copied into a C-owned call
 * (lecs_call.c) when it is made; the runtime's call engine (runtime/engine.c)
 * audits, signs and transfers it; its outcome is turned into a Lua table or
 * (nil, err) by core.finish. The C core never yields: the Lua half waits (api.lua's
 * await), so the module needs no lua_yieldk. */
#include <stdlib.h>
#include <string.h>

#include "lecs_internal.h"
#include "lecs_lua.h" /* generated: the embedded Lua sources */

static char lecs_token; /* its address marks the scheduler's own yields */

lecs_ctx *lecs_ctx_get(lua_State *L) {
  lecs_ctx *c;
  lua_getfield(L, LUA_REGISTRYINDEX, LECS_CTX);
  c = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!c) luaL_error(L, "ecs: module context missing");
  return c;
}

/* __gc of the context: the engine aborts its transfers, then frees every
 * call, the rate limits and the audit file; then the credential chains. */
static int ctx_gc(lua_State *L) {
  lecs_ctx *x = luaL_checkudata(L, 1, LECS_CTX_MT);
  ecs_engine_free(x->engine);
  x->engine = NULL;
  while (x->nchains) ecs_creds_chain_free(x->chains[--x->nchains]);
  free(x->chains);
  x->chains = NULL;
  return 0;
}

/* Creates the per-state context (once), the metatables and the default
 * client. */
static void open_context(lua_State *L) {
  lecs_ctx *x;
  ecs_error e;
  lua_getfield(L, LUA_REGISTRYINDEX, LECS_CTX);
  if (!lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  x = lua_newuserdatauv(L, sizeof *x, 0);
  memset(x, 0, sizeof *x);
  luaL_newmetatable(L, LECS_CTX_MT);
  lua_pushcfunction(L, ctx_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  ecs_error_init(&e);
  if (!(x->engine = ecs_engine_new(&e))) {
    lua_pushfstring(L, "ecs: %s", e.message ? e.message : "out of memory");
    ecs_error_free(&e);
    lua_error(L);
  }
  lua_setfield(L, LUA_REGISTRYINDEX, LECS_CTX);
  lecs_open_call(L);
  lecs_open_error(L);
  lecs_open_client(L);
}

/* core.set_scheduler(step_fn): registers the scheduler's step, which
 * core.fetch runs while it waits. */
static int lecs_set_scheduler(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, LECS_DRIVER);
  return 0;
}

/* core.set_yield_guard(fn): keeps the scheduler's guarded coroutine.yield
 * for hosts that choose to install it (lecs_install_yield_guard). */
static int lecs_set_yield_guard(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, LECS_YIELD_GUARD);
  return 0;
}

int lecs_install_yield_guard(lua_State *L) {
  lua_getglobal(L, "coroutine");
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    return -1;
  }
  lua_getfield(L, LUA_REGISTRYINDEX, LECS_YIELD_GUARD);
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 2);
    return -1;
  }
  lua_setfield(L, -2, "yield");
  lua_pop(L, 1);
  return 0;
}

/* Pushes the core table: every file's functions, the token, the version and
 * the json, sign and http sub-tables. */
static void push_core(lua_State *L) {
  static const luaL_Reg sched[] = {
      {"set_scheduler", lecs_set_scheduler},
      {"set_yield_guard", lecs_set_yield_guard},
      {NULL, NULL}};
  static const luaL_Reg *const parts[] = {lecs_audit_core,  lecs_records_core, lecs_call_core,
                                          lecs_loop_core,   lecs_client_core,  lecs_creds_core,
                                          lecs_error_core,  lecs_util_core,    sched, NULL};
  int i;
  lua_newtable(L);
  for (i = 0; parts[i]; i++) luaL_setfuncs(L, parts[i], 0);
  lecs_open_http(L);
  lua_pushlightuserdata(L, &lecs_token);
  lua_setfield(L, -2, "TOKEN");
  lua_pushliteral(L, ECS_VERSION);
  lua_setfield(L, -2, "version");
  lecs_open_json(L);
  lua_setfield(L, -2, "json");
  lecs_open_sign(L);
  lua_setfield(L, -2, "sign");
}

/* Runs the embedded Lua half with the core table on top (popped): pushes
 * the module table and leaves ecs.sim's setup function in the registry.
 * Its chunks are named "=[ecs...]" (see lecs_error.c: caller_level). */
static void load_lua_half(lua_State *L) {
  size_t i;
  lua_newtable(L); /* M, the module table */
  lua_newtable(L); /* I, the helpers the chunks share */
  for (i = 0; i < sizeof lecs_lua_chunks / sizeof lecs_lua_chunks[0]; i++) {
    if (luaL_loadbufferx(L, lecs_lua_chunks[i].src, lecs_lua_chunks[i].len, lecs_lua_chunks[i].name,
                         "t") != LUA_OK)
      lua_error(L);
    lua_pushvalue(L, -4);
    lua_pushvalue(L, -4);
    lua_pushvalue(L, -4);
    lua_call(L, 3, 0); /* chunk(core, M, I): bindings/lua/ecs/init.lua, ... */
  }
  lua_getfield(L, -1, "sim_setup"); /* ecs.sim's Lua part (sim.lua) */
  lua_setfield(L, LUA_REGISTRYINDEX, LECS_SIM_SETUP);
  lua_pop(L, 1);     /* I */
  lua_remove(L, -2); /* core: M is left */
}

int luaopen_ecs(lua_State *L) {
  open_context(L);
  push_core(L);
  load_lua_half(L);
  return 1;
}
