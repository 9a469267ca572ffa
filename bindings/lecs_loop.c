/* lecs_loop.c - the transfer loop the Lua scheduler turns: core.poll drives
 * the call engine (runtime/engine.c) and reports the calls that completed;
 * core.live_calls and core.inflight count what it holds (ecs.stats). */
#include "lecs_internal.h"

/* core.poll(timeout_s, out) -> n: drives the transfers for at most timeout_s
 * seconds, stores the calls completed since the last poll in out[1..n]
 * (light userdata: the keys core.submit returned). */
static int lecs_poll(lua_State *L) {
  ecs_engine *g = lecs_ctx_get(L)->engine;
  double t = luaL_checknumber(L, 1);
  ecs_call *c;
  int n = 0;
  luaL_checktype(L, 2, LUA_TTABLE);
  if (ecs_engine_run(g, t) < 0) return luaL_error(L, "ecs: transfer engine failed");
  while ((c = ecs_engine_next_done(g))) {
    lua_pushlightuserdata(L, c);
    lua_rawseti(L, 2, ++n);
  }
  lua_pushinteger(L, n);
  return 1;
}

/* core.live_calls() -> number of calls the context holds (in flight, waiting
 * for a rate-limit slot, or done and not yet finished by their caller). */
static int lecs_live_calls(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)ecs_engine_live(lecs_ctx_get(L)->engine));
  return 1;
}

/* core.inflight() -> number of transfers in flight. */
static int lecs_inflight(lua_State *L) {
  lua_pushinteger(L, ecs_engine_inflight(lecs_ctx_get(L)->engine));
  return 1;
}

const luaL_Reg lecs_loop_core[] = {
    {"inflight", lecs_inflight},
    {"live_calls", lecs_live_calls},
    {"poll", lecs_poll},
    {NULL, NULL}};
