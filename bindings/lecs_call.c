/* lecs_call.c - calls as Lua sees them: core.call copies a Lua options
 * table into a call of the engine (runtime/engine.c: ecs_call) owned by a
 * handle userdata; core.submit hands it to the engine (audit, dry run,
 * signing, submission are the engine's); core.poll (lecs_loop.c) reports
 * the calls that completed; core.finish turns the outcome into a Lua table
 * or (nil, err).
 *
 * The C core never yields: the Lua half (tasks.lua's I.await) waits, yielding
 * (TOKEN, "sleep", wait) and (TOKEN, "call", key) to the scheduler inside a
 * task, or running the scheduler's step itself anywhere else. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lecs_internal.h"

/* What a raw call's finish pushes (ecs_call.raw). */
enum { RAW_FETCH = 1, RAW_HTTP = 2 };

/* A call handle: a full userdata that owns its call while Lua holds it
 * (the engine clears c when it frees the call). If Lua drops it (an error
 * raised while the call waits: a debug hook, SIGINT, out of memory; or a
 * task's coroutine dropped), its __gc discards the call: the transfer is
 * cancelled and the copy of the credentials wiped. */
typedef struct lecs_handle {
  ecs_call *c; /* NULL once the call has been finished or discarded */
} lecs_handle;

static int handle_gc(lua_State *L) {
  lecs_handle *h = luaL_checkudata(L, 1, LECS_HANDLE);
  ecs_call_discard(h->c);
  return 0;
}

/* Makes a call of the engine and pushes its handle. */
static ecs_call *call_new(lua_State *L, lecs_ctx *x) {
  lecs_handle *h = lua_newuserdatauv(L, sizeof *h, 0);
  h->c = NULL;
  luaL_setmetatable(L, LECS_HANDLE);
  if (!(h->c = ecs_call_new(x->engine))) luaL_error(L, "out of memory");
  h->c->owner = &h->c;
  return h->c;
}

/* The call of the handle at idx; raises once it has been finished. */
static ecs_call *check_call(lua_State *L, int idx) {
  lecs_handle *h = luaL_checkudata(L, idx, LECS_HANDLE);
  if (!h->c) luaL_error(L, "ecs: the call has already been finished");
  return h->c;
}

/* ------------------------------------------------------------------- submit */

/* core.submit(h) -> key | nil: signs and starts the call's transfer
 * (recording its intent first when it mutates and an audit file is open).
 * key is the light userdata core.poll reports once the transfer is done;
 * nil when the call is done already (failed, dry run, audit refused). */
static int lecs_submit(lua_State *L) {
  ecs_call *c = check_call(L, 1);
  if (c->state == ECS_CALL_INFLIGHT) return luaL_error(L, "ecs: the call has already been submitted");
  if (ecs_call_submit(c)) lua_pushlightuserdata(L, c);
  else lua_pushnil(L);
  return 1;
}

/* core.done(h) -> boolean: has the call completed (or failed to start)? */
static int lecs_done(lua_State *L) {
  lua_pushboolean(L, ecs_call_done(check_call(L, 1)));
  return 1;
}

/* ------------------------------------------------------------------- finish */

/* Pushes a successful raw call's answer: ecs.http.request's table, or
 * core.fetch's body, status; then discards c. Pushing may raise: c then
 * stays with its handle. */
static int finish_raw(lua_State *L, ecs_call *c) {
  int n = 1;
  size_t len;
  const char *body = ecs_call_body(c, &len);
  if (c->raw == RAW_HTTP) {
    lecs_push_response(L, ecs_call_status(c), ecs_call_headers(c), body, len);
  } else {
    lua_pushlstring(L, body, len);
    lua_pushinteger(L, ecs_call_status(c));
    n = 2;
  }
  ecs_call_discard(c);
  return n;
}

/* Pushes the outcome of a completed call: body table, or nil + err (the
 * engine writes an audited call's outcome). Frees the call. Returns the
 * number of results. */
static int call_finish(lua_State *L, ecs_call *c) {
  cJSON **body = lecs_json_box(L); /* owns the answer: a raise below cannot leak it */
  ecs_error err;
  int rc;
  ecs_error_init(&err);
  rc = ecs_call_finish(c, body, &err);
  if (rc == 0 && c->raw) return finish_raw(L, c);
  ecs_call_discard(c);
  if (rc == 0) {
    lecs_push_json(L, *body);
    cJSON_Delete(*body);
    *body = NULL;
    return 1;
  }
  lua_pushnil(L);
  lecs_push_error(L, &err);
  ecs_error_free(&err);
  return 2;
}

/* core.finish(h) -> body | nil, err (raw calls: what core.fetch and
 * ecs.http.request return). Raises unless the call is done; h is spent. */
static int lecs_finish(lua_State *L) {
  ecs_call *c = check_call(L, 1);
  if (!ecs_call_done(c)) return luaL_error(L, "ecs: the call is not done");
  return call_finish(L, c);
}

/* -------------------------------------------------------------------- calls */

/* Checks core.call's arguments, numbered as the caller of ecs.call sees
 * them, and converts the params (the tree is owned by a box pushed on the
 * stack, so a raise cannot leak it). NULL when there are none. */
static cJSON *call_args(lua_State *L) {
  const char *action = luaL_checkstring(L, 2);
  const char *region = luaL_optstring(L, 4, NULL);
  luaL_optinteger(L, 5, 0);
  luaL_optnumber(L, 6, -1);
  if (!*action) lecs_argerror(L, 1, "call", "action must not be empty");
  lecs_checkcstr(L, 2, 1, "call", "action");
  if (region) lecs_checkcstr(L, 4, 1, "call", "region");
  if (lua_isnoneornil(L, 3)) return NULL;
  luaL_checktype(L, 3, LUA_TTABLE);
  return lecs_to_json(L, 3, "bad argument #2 to 'call'");
}

/* Copies the call's arguments and the settings of client cl (over d) into
 * c. 0, or -1 out of memory. */
static int call_fill(lua_State *L, ecs_call *c, const lecs_client *cl, const lecs_client *d,
                     const cJSON *j) {
  ecs_call_set_retry(c, (long long)luaL_optinteger(L, 5, 0), (double)luaL_optnumber(L, 6, -1));
  if ((j && ecs_encode_flatten(&c->params, NULL, j) < 0) ||
      ecs_call_set_action(c, lua_tostring(L, 2), lua_tostring(L, 4), cl->dry_run) < 0)
    return -1;
  return lecs_effective_config(&c->cfg, cl, d);
}

/* core.call(client|nil, action, params|nil, region|nil, attempt|nil, delay|nil)
 * -> h, wait: a handle of the call, and the seconds to wait for its
 * rate-limit slot before core.submit (0 when none). attempt (1-based) and
 * delay (seconds waited before it) make a retry carry x-acs-retry-attempts /
 * x-acs-retry-delay. Misuse raises; a call that failed before any transfer
 * (credentials) comes back done, its err for core.finish. */
static int lecs_call_api(lua_State *L) {
  lecs_ctx *x = lecs_ctx_get(L);
  lecs_client *d = lecs_default_client(L), *cl = lecs_check_client(L, 1);
  cJSON *j = call_args(L);
  ecs_call *c = call_new(L, x);
  double qps = lecs_client_qps(cl, d), wait = 0;
  ecs_error err;
  if (call_fill(L, c, cl, d, j) < 0) {
    ecs_call_discard(c);
    return luaL_error(L, "out of memory");
  }
  ecs_error_init(&err);
  if (!c->dry_run && lecs_client_creds(x, cl, d, &c->creds, &c->cfg.region, &err) < 0) {
    ecs_call_fail(c, &err);
  } else if (qps > 0 && !c->dry_run && (wait = ecs_call_reserve(c, qps)) < 0) {
    ecs_call_discard(c);
    return luaL_error(L, "out of memory");
  }
  lua_pushnumber(L, wait);
  return 2;
}

/* Runs the Lua scheduler's step once with at most max_wait seconds of
 * waiting (the driver is set by tasks.lua). */
static void drive_step(lua_State *L, double max_wait) {
  lua_getfield(L, LUA_REGISTRYINDEX, LECS_DRIVER);
  lua_pushnumber(L, max_wait);
  lua_call(L, 1, 0);
}

/* core.fetch(url [, timeout_s | {timeout=, ca_file=}]) -> body, status |
 * nil, err: a plain GET through the same engine (loopback http only unless
 * https; ca_file as in ecs.client), used for the simulator's /_sim
 * endpoints. Blocks, running the scheduler's step, until done. */
static int lecs_fetch(lua_State *L) {
  const char *url = luaL_checkstring(L, 1), *ca = NULL;
  double t = 10;
  ecs_http_req req;
  ecs_call *c;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "timeout");
    t = luaL_optnumber(L, -1, 10);
    lua_getfield(L, 2, "ca_file");
    ca = luaL_optstring(L, -1, NULL); /* stays on the stack while used */
  } else {
    t = luaL_optnumber(L, 2, 10);
  }
  c = call_new(L, lecs_ctx_get(L));
  ecs_http_req_init(&req);
  req.timeout_ms = (long)(t * 1000);
  req.max_response = 256u * 1024 * 1024;
  if (!(req.method = strdup("GET")) || !(req.url = strdup(url)) ||
      (ca && !(req.ca_file = strdup(ca))) || ecs_call_set_raw(c, RAW_FETCH, &req) < 0) {
    ecs_http_req_free(&req);
    return luaL_error(L, "out of memory");
  }
  ecs_call_submit(c);
  while (!ecs_call_done(c)) drive_step(L, 1.0);
  return call_finish(L, c);
}

/* ecs.http.request's call (see lecs.h): a raw call of the engine. */
int lecs_http_call(lua_State *L, ecs_http_req *req) {
  ecs_call *c = call_new(L, lecs_ctx_get(L)); /* may raise: req is still the caller's */
  if (ecs_call_set_raw(c, RAW_HTTP, req) < 0) {
    ecs_http_req_free(req);
    return luaL_error(L, "out of memory");
  }
  return 1;
}

void lecs_open_call(lua_State *L) { lecs_new_class(L, LECS_HANDLE, "__gc", handle_gc); }

const luaL_Reg lecs_call_core[] = {
    {"call", lecs_call_api},
    {"done", lecs_done},
    {"fetch", lecs_fetch},
    {"finish", lecs_finish},
    {"submit", lecs_submit},
    {NULL, NULL}};
