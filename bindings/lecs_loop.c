/* lecs_loop.c - the transfer loop the Lua scheduler turns: core.poll drives
 * the engine and reports the calls that completed; core.live_calls and
 * core.inflight count what the context holds (ecs.stats). */
#include <math.h>
#include <time.h>

#include "lecs_internal.h"

/* core.poll(timeout_s, out) -> n: drives the transfers for at most timeout_s
 * seconds, stores the calls completed since the last poll in out[1..n]
 * (light userdata: the keys core.submit returned). */
static int lecs_poll(lua_State *L) {
  lecs_ctx *x = lecs_ctx_get(L);
  double t = luaL_checknumber(L, 1);
  int n = 0;
  luaL_checktype(L, 2, LUA_TTABLE);
  if (t < 0) t = 0;
  if (t > 3600) t = 3600;
  if (ecs_http_active(x->http) > 0) {
    if (ecs_http_run(x->http, (long)ceil(t * 1000)) < 0) return luaL_error(L, "ecs: transfer engine failed");
  } else if (t > 0 && !x->done_head) {
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL); /* a signal cuts it short: the caller loops, and
                             a SIGINT hook gets to run */
  }
  while (x->done_head) {
    lecs_call *c = x->done_head;
    x->done_head = c->done_next;
    c->done_next = NULL;
    lua_pushlightuserdata(L, c);
    lua_rawseti(L, 2, ++n);
  }
  lua_pushinteger(L, n);
  return 1;
}

/* core.live_calls() -> number of calls the context holds (in flight, waiting
 * for a rate-limit slot, or done and not yet finished by their caller). */
static int lecs_live_calls(lua_State *L) {
  lecs_ctx *x = lecs_ctx_get(L);
  lua_Integer n = 0;
  lecs_call *c;
  for (c = x->calls; c; c = c->next) n++;
  lua_pushinteger(L, n);
  return 1;
}

/* core.inflight() -> number of transfers in flight. */
static int lecs_inflight(lua_State *L) {
  lua_pushinteger(L, ecs_http_active(lecs_ctx_get(L)->http));
  return 1;
}

const luaL_Reg lecs_loop_core[] = {
    {"inflight", lecs_inflight},
    {"live_calls", lecs_live_calls},
    {"poll", lecs_poll},
    {NULL, NULL}};
