/* lecs_call.c - calls: a Lua options table is copied into a C-owned call
 * (lecs_call) owned by a handle userdata; core.submit signs it (runtime
 * ecs_client_prepare) and hands it to the engine; core.poll drives the
 * transfers and reports the calls that completed; core.finish turns the
 * outcome into a Lua table or (nil, err).
 *
 * The C core never yields: the Lua half (tasks.lua's I.await) waits, yielding
 * (TOKEN, "sleep", wait) and (TOKEN, "call", key) to the scheduler inside a
 * task, or running the scheduler's step itself anywhere else. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lecs_internal.h"
#include "ratelimit.h"

/* A call handle: a full userdata that owns its call while Lua holds it. If
 * Lua drops it (an error raised while the call waits: a debug hook, SIGINT,
 * out of memory; or a task's coroutine dropped), its __gc cancels the
 * transfer and frees the call, wiping the copy of the credentials. */
struct lecs_handle {
  lecs_call *c; /* NULL once the call has been finished or discarded */
};

/* ---------------------------------------------------------------- lifecycle */

static void call_free(lecs_call *c) {
  ecs_http_req_free(&c->req);
  ecs_client_config_free(&c->cfg);
  ecs_creds_free(&c->creds);
  ecs_params_free(&c->params);
  ecs_error_free(&c->err);
  free(c->action);
  free(c->instance_id);
  free(c->region);
  free(c);
}

/* Takes c off the context's lists and from its handle: from now on whoever
 * took it frees it. */
static void call_take(lecs_call *c) {
  lecs_ctx *x = c->ctx;
  lecs_call **p;
  for (p = &x->done_head; *p; p = &(*p)->done_next)
    if (*p == c) {
      *p = c->done_next;
      break;
    }
  if (c->prev) c->prev->next = c->next;
  else if (x->calls == c) x->calls = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  if (c->handle) c->handle->c = NULL;
  c->handle = NULL;
}

/* Drops a call nobody will finish: cancels its transfer and frees it
 * (call_free wipes the secrets). */
static void call_discard(lecs_call *c) {
  if (c->state == CALL_INFLIGHT && c->ctx->http) ecs_http_cancel(c->ctx->http, &c->req);
  call_take(c);
  call_free(c);
}

void lecs_free_calls(lecs_ctx *x) {
  x->done_head = NULL;
  while (x->calls) {
    lecs_call *c = x->calls;
    call_take(c); /* also detaches its handle */
    call_free(c);
  }
}

static int handle_gc(lua_State *L) {
  lecs_handle *h = luaL_checkudata(L, 1, LECS_HANDLE);
  if (h->c) call_discard(h->c);
  return 0;
}

/* Allocates a call on the context's list and pushes its handle. */
static lecs_call *call_new(lua_State *L, lecs_ctx *x) {
  lecs_handle *h = lua_newuserdatauv(L, sizeof *h, 0);
  lecs_call *c;
  h->c = NULL;
  luaL_setmetatable(L, LECS_HANDLE);
  if (!(c = calloc(1, sizeof *c))) luaL_error(L, "out of memory");
  h->c = c;
  c->handle = h;
  ecs_http_req_init(&c->req);
  ecs_client_config_init(&c->cfg);
  ecs_creds_init(&c->creds);
  ecs_params_init(&c->params);
  ecs_error_init(&c->err);
  c->ctx = x;
  c->t0 = lecs_mono_now();
  c->next = x->calls;
  if (x->calls) x->calls->prev = c;
  x->calls = c;
  return c;
}

/* The call of the handle at idx; raises once it has been finished. */
static lecs_call *check_call(lua_State *L, int idx) {
  lecs_handle *h = luaL_checkudata(L, idx, LECS_HANDLE);
  if (!h->c) luaL_error(L, "ecs: the call has already been finished");
  return h->c;
}

/* ------------------------------------------------------------------- submit */

static void call_done_cb(ecs_http_req *req, void *ud) {
  lecs_call *c = ud;
  (void)req;
  c->state = CALL_DONE;
  c->done_next = c->ctx->done_head;
  c->ctx->done_head = c;
}

/* Signs and submits c; on failure records the error in c and marks it done. */
static void call_submit(lecs_call *c) {
  lecs_ctx *x = c->ctx;
  c->state = CALL_DONE; /* until the transfer has started */
  if (!c->raw && ecs_client_action_mutating(c->action) && lecs_audit_intent(x, c) < 0)
    return; /* not recorded: not sent */
  if (c->dry_run) {
    ecs_error_set(&c->err, ECS_KIND_CONFIG, "EDRYRUN", "dry run: %s was not sent", c->action);
    return;
  }
  if (!c->raw && ecs_client_prepare_retry(&c->cfg, &c->creds, c->action, &c->params, c->region,
                                          &(ecs_retry_info){c->attempt, c->retry_delay_ms},
                                          &c->req, &c->err) < 0)
    return;
  c->req.done = call_done_cb;
  c->req.ud = c;
  if (ecs_http_submit(x->http, &c->req) < 0) {
    ecs_error_move(&c->err, &c->req.err);
    if (c->err.kind == ECS_KIND_NONE)
      ecs_error_set(&c->err, ECS_KIND_TRANSPORT, "EHTTP", "could not start the transfer");
    return;
  }
  c->state = CALL_INFLIGHT;
}

/* core.submit(h) -> key | nil: signs and starts the call's transfer
 * (recording its intent first when it mutates and an audit file is open).
 * key is the light userdata core.poll reports once the transfer is done;
 * nil when the call is done already (failed, dry run, audit refused). */
static int lecs_submit(lua_State *L) {
  lecs_call *c = check_call(L, 1);
  if (c->state == CALL_INFLIGHT) return luaL_error(L, "ecs: the call has already been submitted");
  if (c->state == CALL_PENDING) call_submit(c);
  if (c->state == CALL_DONE) lua_pushnil(L);
  else lua_pushlightuserdata(L, c);
  return 1;
}

/* core.done(h) -> boolean: has the call completed (or failed to start)? */
static int lecs_done(lua_State *L) {
  lua_pushboolean(L, check_call(L, 1)->state == CALL_DONE);
  return 1;
}

/* ------------------------------------------------------------------- finish */

/* Pushes the tree as a Lua table and deletes it; a box on the stack owns it
 * while it converts. Returns 1. */
static int push_body(lua_State *L, cJSON *body) {
  cJSON **box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = body;
  lecs_push_json(L, body);
  cJSON_Delete(body);
  *box = NULL;
  lua_remove(L, -2);
  return 1;
}

/* Pushes a successful raw call's answer: ecs.http.request's table, or
 * core.fetch's body, status. Frees c. */
static int finish_raw(lua_State *L, lecs_call *c) {
  int n = 1;
  if (c->raw == 2) {
    lecs_push_response(L, &c->req); /* may raise: c stays with its handle */
  } else {
    lua_pushlstring(L, ecs_buf_cstr(&c->req.resp_body), c->req.resp_body.len);
    lua_pushinteger(L, c->req.status);
    n = 2;
  }
  call_take(c);
  call_free(c);
  return n;
}

/* Pushes the outcome of a completed call: body table, or nil + err. Frees
 * the call. Returns the number of results. */
static int call_finish(lua_State *L, lecs_call *c) {
  cJSON *body = NULL;
  ecs_error err;
  int rc = -1;
  ecs_error_init(&err);
  if (c->err.kind != ECS_KIND_NONE) ecs_error_move(&err, &c->err);
  else if (c->raw && !c->req.failed) return finish_raw(L, c);
  else if (c->raw) ecs_error_move(&err, &c->req.err);
  else rc = ecs_client_finish(&c->req, &body, &err);
  call_take(c);
  lecs_audit_outcome(c->ctx, c, rc == 0 ? body : NULL, rc == 0 ? NULL : &err);
  if (rc == 0) {
    call_free(c);
    return push_body(L, body);
  }
  if (!err.action) ecs_error_field(&err.action, c->action);
  if (!err.instance_id) ecs_error_field(&err.instance_id, c->instance_id);
  call_free(c);
  lua_pushnil(L);
  lecs_push_error(L, &err);
  ecs_error_free(&err);
  return 2;
}

/* core.finish(h) -> body | nil, err (raw calls: what core.fetch and
 * ecs.http.request return). Raises unless the call is done; h is spent. */
static int lecs_finish(lua_State *L) {
  lecs_call *c = check_call(L, 1);
  if (c->state != CALL_DONE) return luaL_error(L, "ecs: the call is not done");
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
static int call_fill(lua_State *L, lecs_call *c, const lecs_client *cl, const lecs_client *d,
                     const cJSON *j) {
  const char *action = lua_tostring(L, 2), *region = lua_tostring(L, 4), *iid;
  lua_Integer attempt = luaL_optinteger(L, 5, 0);
  lua_Number delay = luaL_optnumber(L, 6, -1);
  c->attempt = attempt > 0 && attempt < 1000000 ? (int)attempt : 0;
  c->retry_delay_ms = delay >= 0 && delay < 1e9 ? (long long)(delay * 1000 + 0.5) : -1;
  c->dry_run = (c->ctx->dry_run || cl->dry_run) && ecs_client_action_mutating(action);
  if ((j && ecs_encode_flatten(&c->params, NULL, j) < 0) || !(c->action = strdup(action)) ||
      (region && !(c->region = strdup(region))) || lecs_effective_config(&c->cfg, cl, d) < 0)
    return -1;
  if ((iid = ecs_params_get(&c->params, "InstanceId")) && !(c->instance_id = strdup(iid))) return -1;
  return 0;
}

/* Reserves c's send slot under the limit of its (product, access key,
 * region, action) at qps. The wait in seconds, or -1 out of memory. */
static double call_reserve(lecs_call *c, double qps) {
  char key[512];
  const char *r = c->region ? c->region : ecs_params_get(&c->params, "RegionId");
  if (!r) r = c->cfg.region ? c->cfg.region : "";
  snprintf(key, sizeof key, "%s\n%s\n%s\n%s", c->cfg.product ? c->cfg.product : "ecs",
           c->creds.access_key_id, r, c->action);
  return ecs_ratelimit_reserve(c->ctx->limits, key, qps, lecs_mono_now());
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
  lecs_call *c = call_new(L, x);
  double qps = lecs_client_qps(cl, d), wait = 0;
  if (call_fill(L, c, cl, d, j) < 0) {
    call_discard(c);
    return luaL_error(L, "out of memory");
  }
  if (!c->dry_run && lecs_client_creds(x, cl, d, &c->creds, &c->cfg.region, &c->err) < 0) {
    c->state = CALL_DONE;
  } else if (qps > 0 && !c->dry_run && (wait = call_reserve(c, qps)) < 0) {
    call_discard(c);
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
  lecs_call *c;
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "timeout");
    t = luaL_optnumber(L, -1, 10);
    lua_getfield(L, 2, "ca_file");
    ca = luaL_optstring(L, -1, NULL); /* stays on the stack while used */
  } else {
    t = luaL_optnumber(L, 2, 10);
  }
  c = call_new(L, lecs_ctx_get(L));
  c->raw = 1;
  if (!(c->req.method = strdup("GET")) || !(c->req.url = strdup(url)) ||
      !(c->action = strdup("GET")) || (ca && !(c->req.ca_file = strdup(ca))))
    return luaL_error(L, "out of memory");
  c->req.timeout_ms = (long)(t * 1000);
  c->req.max_response = 256u * 1024 * 1024;
  call_submit(c);
  while (c->state != CALL_DONE) drive_step(L, 1.0);
  return call_finish(L, c);
}

/* ecs.http.request's call (see lecs.h): a raw call of the engine. */
int lecs_http_call(lua_State *L, ecs_http_req *req) {
  lecs_call *c = call_new(L, lecs_ctx_get(L)); /* may raise: req is still the caller's */
  c->raw = 2;
  ecs_http_req_free(&c->req);
  c->req = *req;
  ecs_http_req_init(req);
  if (!(c->action = strdup(c->req.method ? c->req.method : "GET")))
    return luaL_error(L, "out of memory");
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
