/* lecs.c - the `ecs` Lua module: clients, calls, the scheduler's C half, and
 * the error table. The pure-Lua half (bindings/lua/ecs.lua: reactivate,
 * instances, parallel, retry, wait_for, log) is embedded at build time and
 * receives the C functions below as its `core` table.
 *
 * Data flows one way: a Lua options table is copied into a C-owned call
 * (lecs_call) before any yield; the runtime signs it (ecs_client_prepare) and
 * the engine transfers it; the completion is turned into a Lua table or
 * (nil, err) by the continuation that resumes the waiting code.
 *
 * Inside a task (a coroutine started by ecs.spawn) a call yields
 * (TOKEN, "call", call) to the Lua scheduler, which resumes the task once the
 * transfer completed. Anywhere else (top level, a user's own coroutine) the
 * call drives the scheduler itself until its own transfer is done, so other
 * tasks keep running meanwhile. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "client.h"
#include "creds.h"
#include "endpoint.h"
#include "encode.h"
#include "http.h"
#include "lecs.h"
#include "product.h"
#include "redact.h"
#include "sign.h"
#include "utf8.h"
#include "lecs_lua.h" /* generated: the embedded Lua sources */

#define LECS_CTX "ecs.ctx"       /* registry: the context userdata */
#define LECS_CTX_MT "ecs.ctx.mt" /* registry: its metatable */
#define LECS_CLIENT "ecs.client"
#define LECS_ERROR "ecs.error"
#define LECS_TASKS "ecs.tasks"
#define LECS_DRIVER "ecs.driver"
#define LECS_DEFAULT "ecs.default_client"
#define LECS_CALLREF "ecs.callref"
#define LECS_YIELD_GUARD "ecs.yield_guard" /* see lecs_install_yield_guard */

static char lecs_token; /* its address marks the scheduler's own yields */

enum { CALL_PENDING, CALL_INFLIGHT, CALL_DONE };

typedef struct lecs_ctx lecs_ctx;
typedef struct lecs_callref lecs_callref;

/* One API call, C-owned from the moment the Lua arguments are copied until
 * the continuation has pushed its results. */
typedef struct lecs_call {
  ecs_http_req req;
  lecs_ctx *ctx;
  struct lecs_call *prev, *next; /* ctx->calls */
  struct lecs_call *done_next;   /* ctx->done list */
  int state;
  int dry_run;
  int raw; /* 1: a plain GET (core.fetch): no signing, body returned as is;
             2: ecs.http.request: {status=, headers=, body=} returned */
  int attempt; /* attempt number the caller gave (for the audit), 0 if none */
  long long retry_delay_ms; /* the wait before this attempt, -1 if not given */
  unsigned long audit_seq; /* its number in the audit file; 0: not recorded */
  ecs_client_config cfg;
  ecs_creds creds;
  ecs_params params;
  char *action, *instance_id, *region;
  ecs_error err; /* set when the call failed before any transfer */
  double t0;
  lecs_callref *ref; /* the userdata that owns the call while Lua waits */
} lecs_call;

/* A full userdata on the stack of the C function that made the call. If
 * that function is abandoned (an error raised while it waits: a debug hook,
 * SIGINT, out of memory; or a task's coroutine dropped), its __gc cancels
 * the transfer and frees the call, wiping the copy of the credentials. */
struct lecs_callref {
  lecs_call *c; /* NULL once the call has been finished or discarded */
};

/* A client-side rate limit for one (product, access key, region, action): the send
 * times of the last `cap` requests (a ring), so that no one-second window
 * ever holds more than qps requests. */
typedef struct lecs_limiter {
  struct lecs_limiter *next;
  char *key;
  double *ring;
  int cap, head, count;
} lecs_limiter;

struct lecs_ctx {
  ecs_http *http;
  lecs_call *calls;     /* every live call */
  lecs_call *done_head; /* completed, not yet reported by core.poll */
  lecs_limiter *limiters;
  ecs_creds_chain **chains; /* default credential chains, one per profile */
  size_t nchains;
  int dry_run;
  ecs_audit *audit;       /* NULL when there is no audit file */
  unsigned long audit_failures; /* lines that could not be written */
  char *audit_error;      /* the last failure's message */
};

/* Options a client can set; unset fields fall back to the default client. */
enum {
  OPT_REGION = 1 << 0, OPT_ENDPOINT = 1 << 1, OPT_SIGNATURE = 1 << 2,
  OPT_CONNECT = 1 << 3, OPT_TIMEOUT = 1 << 4, OPT_QPS = 1 << 5, OPT_UA = 1 << 6,
  OPT_CA = 1 << 7, OPT_INSECURE = 1 << 8, OPT_NETWORK = 1 << 9, OPT_PROFILE = 1 << 10,
  OPT_MAXRESP = 1 << 11, OPT_PRODUCT = 1 << 12, OPT_VERSION = 1 << 13
};

typedef struct lecs_client {
  ecs_client_config cfg;
  unsigned set;
  double qps;
  char *profile;
  ecs_creds creds;
  int has_creds;
  int is_default;
  int dry_run; /* this client's own dry run (the context's applies to all) */
} lecs_client;

static lecs_call *call_new(lua_State *L, lecs_ctx *x);

/* ------------------------------------------------------------------ time */

static double mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --------------------------------------------------------------- context */

static lecs_ctx *get_ctx(lua_State *L) {
  lecs_ctx *c;
  lua_getfield(L, LUA_REGISTRYINDEX, LECS_CTX);
  c = lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (!c) luaL_error(L, "ecs: module context missing");
  return c;
}

/* Level of the first stack frame outside the module's Lua half (chunks
 * "=[ecs.<name>]"): the caller of the public function, however many helper layers
 * or tail calls lie between. */
static int caller_level(lua_State *L) {
  lua_Debug ar;
  int lvl = 1;
  while (lua_getstack(L, lvl, &ar)) {
    lua_getinfo(L, "S", &ar);
    if (strncmp(ar.source, "=[ecs", 5) != 0) break; /* chunks "=[ecs.<name>]" */
    lvl++;
  }
  return lvl;
}

int lecs_error(lua_State *L, const char *fmt, ...) {
  va_list ap;
  luaL_where(L, caller_level(L));
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_concat(L, 2);
  return lua_error(L);
}

int lecs_argerror(lua_State *L, int arg, const char *fn, const char *fmt, ...) {
  va_list ap;
  const char *msg;
  va_start(ap, fmt);
  msg = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  return lecs_error(L, "bad argument #%d to '%s' (%s)", arg, fn, msg);
}

/* The string at idx, refused (naming what inside argument arg of fn) when
 * it holds a NUL byte: C would silently cut it short there. */
const char *lecs_checkcstr(lua_State *L, int idx, int arg, const char *fn, const char *what) {
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  if (s && strlen(s) != n) lecs_argerror(L, arg, fn, "%s: must not contain a NUL byte", what);
  return s;
}

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

static void call_unlink(lecs_call *c) {
  lecs_ctx *x = c->ctx;
  if (c->prev) c->prev->next = c->next;
  else if (x->calls == c) x->calls = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  if (c->ref) c->ref->c = NULL; /* from now on whoever unlinked it frees it */
  c->ref = NULL;
}

/* Drops a call nobody will finish: cancels its transfer, takes it off the
 * done list and frees it (call_free wipes the secrets). */
static void call_discard(lecs_call *c) {
  lecs_ctx *x = c->ctx;
  lecs_call **p;
  if (c->state == CALL_INFLIGHT && x->http) ecs_http_cancel(x->http, &c->req);
  for (p = &x->done_head; *p; p = &(*p)->done_next)
    if (*p == c) {
      *p = c->done_next;
      break;
    }
  call_unlink(c);
  call_free(c);
}

static int callref_gc(lua_State *L) {
  lecs_callref *r = luaL_checkudata(L, 1, LECS_CALLREF);
  if (r->c) call_discard(r->c);
  return 0;
}

/* __gc of the context: aborts transfers, then frees every call and limiter. */
static int ctx_gc(lua_State *L) {
  lecs_ctx *x = luaL_checkudata(L, 1, LECS_CTX_MT);
  if (x->http) ecs_http_free(x->http);
  x->http = NULL;
  x->done_head = NULL;
  while (x->calls) {
    lecs_call *c = x->calls;
    call_unlink(c); /* also detaches its callref */
    call_free(c);
  }
  while (x->limiters) {
    lecs_limiter *l = x->limiters;
    x->limiters = l->next;
    free(l->key);
    free(l->ring);
    free(l);
  }
  while (x->nchains) ecs_creds_chain_free(x->chains[--x->nchains]);
  free(x->chains);
  x->chains = NULL;
  ecs_audit_close(x->audit);
  x->audit = NULL;
  free(x->audit_error);
  x->audit_error = NULL;
  return 0;
}

/* ----------------------------------------------------------------- errors */

static void set_str(lua_State *L, const char *k, const char *v) {
  if (v) {
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
  }
}

/* Pushes the Lua err table for e (see DESIGN.md). */
static void push_error(lua_State *L, const ecs_error *e) {
  lua_createtable(L, 0, 14);
  set_str(L, "code", e->code ? e->code : "EUNKNOWN");
  set_str(L, "message", e->message ? e->message : "");
  if (e->status) {
    lua_pushinteger(L, e->status);
    lua_setfield(L, -2, "status");
  }
  set_str(L, "request_id", e->request_id);
  set_str(L, "host_id", e->host_id);
  set_str(L, "recommend", e->recommend);
  if (e->access_denied_detail) { /* a table, as the service sent it */
    cJSON *d = cJSON_Parse(e->access_denied_detail);
    if (d) lecs_push_json(L, d);
    cJSON_Delete(d);
    if (d) lua_setfield(L, -2, "access_denied_detail");
  }
  set_str(L, "action", e->action);
  set_str(L, "instance_id", e->instance_id);
  set_str(L, "kind", ecs_err_kind_name(e->kind));
  lua_pushboolean(L, e->retryable);
  lua_setfield(L, -2, "retryable");
  lua_pushboolean(L, e->ambiguous);
  lua_setfield(L, -2, "ambiguous");
  if (e->retry_after >= 0) {
    lua_pushnumber(L, e->retry_after);
    lua_setfield(L, -2, "retry_after");
  }
  luaL_setmetatable(L, LECS_ERROR);
}

/* __tostring of err: "Code (HTTP 403): message [RequestId X]". */
static int error_tostring(lua_State *L) {
  luaL_Buffer b;
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_buffinit(L, &b);
  lua_getfield(L, 1, "code");
  luaL_addstring(&b, lua_isstring(L, -1) ? lua_tostring(L, -1) : "error");
  lua_pop(L, 1);
  lua_getfield(L, 1, "status");
  if (lua_isinteger(L, -1)) {
    lua_pushfstring(L, " (HTTP %d)", (int)lua_tointeger(L, -1));
    luaL_addvalue(&b);
  }
  lua_pop(L, 1);
  lua_getfield(L, 1, "message");
  if (lua_isstring(L, -1) && lua_rawlen(L, -1) > 0) {
    luaL_addstring(&b, ": ");
    luaL_addvalue(&b);
  } else {
    lua_pop(L, 1);
  }
  lua_getfield(L, 1, "request_id");
  if (lua_isstring(L, -1)) {
    lua_pushfstring(L, " [RequestId %s]", lua_tostring(L, -1));
    lua_remove(L, -2);
    luaL_addvalue(&b);
  } else {
    lua_pop(L, 1);
  }
  luaL_pushresult(&b);
  return 1;
}

/* core.error{code=, message=, kind=, ...} -> err table with the metatable
 * (so Lua-side failures such as ETIMEOUT look like the C ones). */
static int lecs_make_error(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  luaL_setmetatable(L, LECS_ERROR);
  return 1;
}

/* ---------------------------------------------------------------- clients */

static const char *const client_opts[] = {
    "region", "endpoint", "signature", "connect_timeout", "timeout", "qps", "user_agent",
    "ca_file", "insecure_http", "network", "profile", "max_response", "credentials", "product", "version", NULL};

static int client_gc(lua_State *L) {
  lecs_client *c = luaL_checkudata(L, 1, LECS_CLIENT);
  ecs_client_config_free(&c->cfg);
  ecs_creds_free(&c->creds);
  free(c->profile);
  c->profile = NULL;
  return 0;
}

/* Copies string option k (if present) into *dst, setting bit. Raises on a
 * non-string, naming the option. */
static void opt_string(lua_State *L, int idx, const char *k, char **dst, unsigned *set,
                       unsigned bit, const char *fn) {
  lua_getfield(L, idx, k);
  if (!lua_isnil(L, -1)) {
    char *s;
    if (lua_type(L, -1) != LUA_TSTRING) {
      lecs_argerror(L, 1, fn, "%s: string expected, got %s", k, luaL_typename(L, -1));
    }
    s = strdup(lecs_checkcstr(L, -1, 1, fn, k));
    if (!s) luaL_error(L, "%s: out of memory", fn);
    free(*dst);
    *dst = s;
    *set |= bit;
  }
  lua_pop(L, 1);
}

/* Reads number option k in seconds; returns 1 when present. Raises unless
 * it is a number within [lo, hi]. */
static int opt_number(lua_State *L, int idx, const char *k, double lo, double hi, double *out,
                      const char *fn) {
  int present = 0;
  lua_getfield(L, idx, k);
  if (!lua_isnil(L, -1)) {
    double d;
    if (lua_type(L, -1) != LUA_TNUMBER) {
      lecs_argerror(L, 1, fn, "%s: number expected, got %s", k, luaL_typename(L, -1));
    }
    d = lua_tonumber(L, -1);
    if (!(d >= lo && d <= hi)) /* NaN fails both comparisons */
      lecs_argerror(L, 1, fn, "%s: must be between %f and %f", k, lo, hi);
    *out = d;
    present = 1;
  }
  lua_pop(L, 1);
  return present;
}

/* dry_run = true turns a dry run on: for every client when c is the
 * default client (ecs.configure, ecsrun --dry-run), else for c. Once the
 * module-wide dry run is on, nothing turns it off: dry_run = false then
 * raises, so a script cannot undo the dry run its caller chose. */
static void apply_dry_run(lua_State *L, int idx, lecs_client *c, const char *fn) {
  lecs_ctx *x = get_ctx(L);
  lua_getfield(L, idx, "dry_run");
  if (!lua_isnil(L, -1)) {
    if (!lua_isboolean(L, -1)) lecs_argerror(L, 1, fn, "dry_run: boolean expected");
    if (!lua_toboolean(L, -1) && x->dry_run)
      lecs_argerror(L, 1, fn, "dry_run: the dry run is on and cannot be turned off");
    if (lua_toboolean(L, -1)) {
      if (c->is_default) x->dry_run = 1;
      else c->dry_run = 1;
    }
  }
  lua_pop(L, 1);
}

/* product= and version= (ecs.client only: the default client stays ECS).
 * Raises on a bad code or version, or a non-ECS product without version. */
static void product_apply(lua_State *L, int idx, lecs_client *c, const char *fn) {
  lua_getfield(L, idx, "product");
  lua_getfield(L, idx, "version");
  if (c->is_default && (!lua_isnil(L, -1) || !lua_isnil(L, -2)))
    lecs_argerror(L, 1, fn, "product and version are options of ecs.client, not of configure");
  /* a NUL byte would cut the C copy short into something valid */
  if (lua_type(L, -2) == LUA_TSTRING && strlen(lua_tostring(L, -2)) != lua_rawlen(L, -2))
    lecs_argerror(L, 1, fn, "product: a short product code expected (e.g. \"bss\")");
  if (lua_type(L, -1) == LUA_TSTRING && strlen(lua_tostring(L, -1)) != lua_rawlen(L, -1))
    lecs_argerror(L, 1, fn, "version: \"YYYY-MM-DD\" expected");
  lua_pop(L, 2);
  opt_string(L, idx, "product", &c->cfg.product, &c->set, OPT_PRODUCT, fn);
  opt_string(L, idx, "version", &c->cfg.version, &c->set, OPT_VERSION, fn);
  if ((c->set & OPT_PRODUCT) && !ecs_product_valid(c->cfg.product))
    lecs_argerror(L, 1, fn, "product: a short product code expected (e.g. \"bss\")");
  if ((c->set & OPT_VERSION) && !ecs_product_version_valid(c->cfg.version))
    lecs_argerror(L, 1, fn, "version: \"YYYY-MM-DD\" expected");
  if (!(c->set & OPT_VERSION) && !ecs_product_default_version(c->cfg.product)) {
    lecs_argerror(L, 1, fn, "version: required for product '%s'", c->cfg.product);
  }
}

/* Applies the options table at idx to client c (used by ecs.client and
 * ecs.configure). Raises on misuse, naming the option. */
static void client_apply(lua_State *L, int idx, lecs_client *c, const char *fn) {
  double d;
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    int i, ok = 0;
    lua_pop(L, 1);
    if (lua_type(L, -1) == LUA_TSTRING)
      for (i = 0; client_opts[i]; i++)
        if (strcmp(client_opts[i], lua_tostring(L, -1)) == 0) ok = 1;
    if (!ok && !(lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "dry_run") == 0))
      lecs_argerror(L, 1, fn, "unknown option '%s'", luaL_tolstring(L, -1, NULL));
  }
  apply_dry_run(L, idx, c, fn); /* first: a refusal changes nothing */
  opt_string(L, idx, "region", &c->cfg.region, &c->set, OPT_REGION, fn);
  opt_string(L, idx, "endpoint", &c->cfg.endpoint, &c->set, OPT_ENDPOINT, fn);
  opt_string(L, idx, "user_agent", &c->cfg.user_agent, &c->set, OPT_UA, fn);
  opt_string(L, idx, "ca_file", &c->cfg.ca_file, &c->set, OPT_CA, fn);
  opt_string(L, idx, "network", &c->cfg.network, &c->set, OPT_NETWORK, fn);
  opt_string(L, idx, "profile", &c->profile, &c->set, OPT_PROFILE, fn);
  product_apply(L, idx, c, fn);
  if (c->set & OPT_ENDPOINT) {
    const char *e = c->cfg.endpoint;
    if (strncmp(e, "https://", 8) != 0 && strncmp(e, "http://", 7) != 0)
      lecs_argerror(L, 1, fn, "endpoint: must start with https:// or http://");
  }
  lua_getfield(L, idx, "signature");
  if (!lua_isnil(L, -1)) {
    const char *s = lua_tostring(L, -1);
    if (lua_type(L, -1) != LUA_TSTRING || (strcmp(s, "v3") != 0 && strcmp(s, "v1") != 0))
      lecs_argerror(L, 1, fn, "signature: must be \"v3\" or \"v1\"");
    c->cfg.signature = s[1] == '3' ? 3 : 1;
    c->set |= OPT_SIGNATURE;
  }
  lua_pop(L, 1);
  if (opt_number(L, idx, "connect_timeout", 0.001, 600, &d, fn)) {
    c->cfg.connect_timeout_ms = (long)(d * 1000);
    c->set |= OPT_CONNECT;
  }
  if (opt_number(L, idx, "timeout", 0.001, 3600, &d, fn)) {
    c->cfg.timeout_ms = (long)(d * 1000);
    c->set |= OPT_TIMEOUT;
  }
  if (opt_number(L, idx, "qps", 0, 100000, &d, fn)) {
    c->qps = d;
    c->set |= OPT_QPS;
  }
  if (opt_number(L, idx, "max_response", 1024, 1024.0 * 1024 * 1024, &d, fn)) {
    c->cfg.max_response = (size_t)d;
    c->set |= OPT_MAXRESP;
  }
  lua_getfield(L, idx, "insecure_http");
  if (!lua_isnil(L, -1)) {
    if (!lua_isboolean(L, -1)) lecs_argerror(L, 1, fn, "insecure_http: boolean expected");
    c->cfg.insecure_http = lua_toboolean(L, -1);
    c->set |= OPT_INSECURE;
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "credentials");
  if (!lua_isnil(L, -1)) {
    const char *id, *secret, *token = NULL;
    int t = lua_gettop(L);
    if (!lua_istable(L, t)) lecs_argerror(L, 1, fn, "credentials: table expected");
    lua_getfield(L, t, "access_key_id");
    lua_getfield(L, t, "access_key_secret");
    lua_getfield(L, t, "security_token");
    /* types first: lua_tolstring would turn a number into a string */
    if (lua_type(L, t + 1) != LUA_TSTRING || lua_rawlen(L, t + 1) == 0)
      lecs_argerror(L, 1, fn, "credentials.access_key_id: non-empty string expected");
    if (lua_type(L, t + 2) != LUA_TSTRING || lua_rawlen(L, t + 2) == 0)
      lecs_argerror(L, 1, fn, "credentials.access_key_secret: non-empty string expected");
    id = lecs_checkcstr(L, t + 1, 1, fn, "credentials.access_key_id");
    secret = lecs_checkcstr(L, t + 2, 1, fn, "credentials.access_key_secret");
    if (!lua_isnil(L, t + 3)) {
      if (lua_type(L, t + 3) != LUA_TSTRING)
        lecs_argerror(L, 1, fn, "credentials.security_token: string expected");
      token = lecs_checkcstr(L, t + 3, 1, fn, "credentials.security_token");
    }
    if (ecs_creds_set(&c->creds, id, secret, token, NULL) < 0) luaL_error(L, "%s: out of memory", fn);
    c->has_creds = 1;
    lua_settop(L, t);
  }
  lua_pop(L, 1);
}

static lecs_client *client_new(lua_State *L) {
  lecs_client *c = lua_newuserdatauv(L, sizeof *c, 0);
  memset(c, 0, sizeof *c);
  ecs_client_config_init(&c->cfg);
  ecs_creds_init(&c->creds);
  luaL_setmetatable(L, LECS_CLIENT);
  return c;
}

/* core.client(opts) -> client userdata. Raises on unknown/ill-typed options. */
static int lecs_client_new(lua_State *L) {
  lecs_client *c;
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  c = client_new(L);
  client_apply(L, 1, c, "client");
  return 1;
}

static lecs_client *default_client(lua_State *L) {
  lecs_client *c;
  lua_getfield(L, LUA_REGISTRYINDEX, LECS_DEFAULT);
  c = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return c;
}

/* core.configure(opts): changes the default client that module functions use
 * and that clients fall back to. Raises on misuse. */
static int lecs_configure(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  client_apply(L, 1, default_client(L), "configure");
  return 0;
}

static int same_str(const char *a, const char *b) { return a ? b && strcmp(a, b) == 0 : !b; }

/* The default chain for client c over the default client d: its profile
 * (NULL: the default) and the transport its credential endpoints use
 * (ca_file, insecure_http), made on first use and kept in the context.
 * NULL when out of memory. */
static ecs_creds_chain *ctx_chain(lecs_ctx *x, const lecs_client *c, const lecs_client *d) {
  const char *profile = (c->set & OPT_PROFILE) ? c->profile : d->profile;
  const char *ca = (c->set & OPT_CA) ? c->cfg.ca_file : d->cfg.ca_file;
  int insecure = (c->set & OPT_INSECURE) ? c->cfg.insecure_http : d->cfg.insecure_http;
  ecs_creds_chain **n, *ch;
  size_t i;
  for (i = 0; i < x->nchains; i++) {
    ch = x->chains[i];
    if (same_str(ecs_creds_chain_profile(ch), profile) &&
        same_str(ecs_creds_chain_ca_file(ch), ca) &&
        ecs_creds_chain_insecure_http(ch) == (insecure != 0))
      return ch;
  }
  if (!(n = realloc(x->chains, (x->nchains + 1) * sizeof *n))) return NULL;
  x->chains = n;
  if (!(ch = ecs_creds_chain_new(profile))) return NULL;
  if (ecs_creds_chain_set_transport(ch, ca, insecure) < 0) {
    ecs_creds_chain_free(ch);
    return NULL;
  }
  return x->chains[x->nchains++] = ch;
}

/* The profile client c uses (its own, else the default client's). */
static const char *client_profile(const lecs_client *c, const lecs_client *d) {
  return (c->set & OPT_PROFILE) ? c->profile : d->profile;
}

/* Explicit credentials for c (its own, else the default client's unless c
 * names a profile of its own), or NULL: the default chain. */
static const ecs_creds *explicit_creds(const lecs_client *c, const lecs_client *d) {
  if (c->has_creds) return &c->creds;
  if (d->has_creds && !(c != d && (c->set & OPT_PROFILE))) return &d->creds;
  return NULL;
}

/* core.client_info(client|nil [, resolve]) -> table of effective settings
 * (never secrets): region (else the aliyun CLI profile's region_id),
 * endpoint, signature, qps, profile, dry_run and the credentials'
 * access_key_id, provider and expiration (unix seconds) when known. With
 * resolve, the default chain is consulted (it may block on the network)
 * and a failure returns nil, err. */
static int lecs_client_info(lua_State *L) {
  lecs_client *d = default_client(L);
  lecs_client *c = lua_isnoneornil(L, 1) ? d : luaL_checkudata(L, 1, LECS_CLIENT);
  const ecs_creds *cr = explicit_creds(c, d);
  const char *region = (c->set & OPT_REGION) ? c->cfg.region : d->cfg.region;
  lecs_ctx *x = get_ctx(L);
  ecs_creds got;
  ecs_creds_chain *ch = NULL;
  ecs_creds_init(&got);
  if (!cr && !(ch = ctx_chain(x, c, d))) return luaL_error(L, "out of memory");
  if (ch && lua_toboolean(L, 2)) {
    ecs_error err;
    ecs_error_init(&err);
    if (ecs_creds_chain_get(ch, &got, &err) < 0) {
      lua_pushnil(L);
      push_error(L, &err);
      ecs_error_free(&err);
      return 2;
    }
    cr = &got;
  } else if (ch) {
    cr = ecs_creds_chain_last(ch);
  }
  if (!region && ch) region = ecs_creds_chain_region(ch);
  lua_createtable(L, 0, 8);
  set_str(L, "region", region);
  set_str(L, "endpoint", (c->set & OPT_ENDPOINT) ? c->cfg.endpoint : d->cfg.endpoint);
  lua_pushstring(L, ((c->set & OPT_SIGNATURE) ? c->cfg.signature : d->cfg.signature) == 1 ? "v1" : "v3");
  lua_setfield(L, -2, "signature");
  lua_pushnumber(L, (c->set & OPT_QPS) ? c->qps : d->qps);
  lua_setfield(L, -2, "qps");
  set_str(L, "profile", client_profile(c, d));
  set_str(L, "product", c->cfg.product ? c->cfg.product : "ecs");
  set_str(L, "version", c->cfg.version ? c->cfg.version
                                       : ecs_product_default_version(c->cfg.product));
  if (cr) {
    set_str(L, "access_key_id", cr->access_key_id);
    set_str(L, "provider", cr->provider ? cr->provider
                           : cr->security_token ? "static_sts" : "static_ak");
    if (cr->expiration > 0) {
      lua_pushnumber(L, cr->expiration);
      lua_setfield(L, -2, "expiration");
    }
  }
  ecs_creds_free(&got); /* cr is not used below */
  lua_pushboolean(L, x->dry_run || c->dry_run);
  lua_setfield(L, -2, "dry_run");
  return 1;
}

/* Fills dst with the effective settings of c over the default client d.
 * 0 or -1 (out of memory). */
static int effective_config(ecs_client_config *dst, const lecs_client *c, const lecs_client *d) {
  const ecs_client_config *cc = &c->cfg, *dc = &d->cfg;
  unsigned s = c->set;
  ecs_client_config tmp = *dc;
#define PICK(bit, f) tmp.f = (s & (bit)) ? cc->f : dc->f
  PICK(OPT_REGION, region);
  PICK(OPT_ENDPOINT, endpoint);
  PICK(OPT_NETWORK, network);
  PICK(OPT_SIGNATURE, signature);
  PICK(OPT_CONNECT, connect_timeout_ms);
  PICK(OPT_TIMEOUT, timeout_ms);
  PICK(OPT_MAXRESP, max_response);
  PICK(OPT_UA, user_agent);
  PICK(OPT_CA, ca_file);
  PICK(OPT_INSECURE, insecure_http);
#undef PICK
  tmp.product = cc->product; /* never inherited: the default client is ECS */
  tmp.version = cc->version;
  return ecs_client_config_copy(dst, &tmp);
}

/* --------------------------------------------------------------- limiter */

/* Reserves a send slot for key at qps; returns how many seconds to wait
 * before sending (0 for now). The reservation counts immediately, so
 * concurrent callers queue up behind each other. */
static double limiter_reserve(lecs_ctx *x, const char *key, double qps, double now, int *oom) {
  lecs_limiter *l;
  int cap = (int)qps;
  double window = 1.0, t;
  *oom = 0;
  if (cap < 1) { /* below 1 qps: one request per 1/qps seconds */
    cap = 1;
    window = 1.0 / qps;
  }
  /* Margin for arrival jitter at the server, whose windows are fixed: a
   * request delayed by up to 2% of the window (20 ms at 1 s) on its way
   * still lands in a window with no more than qps others. Costs 2% of the
   * allowance. */
  window *= 1.02;
  for (l = x->limiters; l; l = l->next)
    if (strcmp(l->key, key) == 0) break;
  if (l && l->cap != cap) { /* qps changed: start over */
    free(l->ring);
    l->ring = calloc((size_t)cap, sizeof *l->ring);
    if (!l->ring) { *oom = 1; return 0; }
    l->cap = cap;
    l->head = l->count = 0;
  }
  if (!l) {
    l = calloc(1, sizeof *l);
    if (!l || !(l->key = strdup(key)) || !(l->ring = calloc((size_t)cap, sizeof *l->ring))) {
      if (l) free(l->key);
      free(l);
      *oom = 1;
      return 0;
    }
    l->cap = cap;
    l->next = x->limiters;
    x->limiters = l;
  }
  t = now;
  if (l->count == l->cap) {
    double oldest = l->ring[l->head]; /* the cap-th most recent send */
    if (oldest + window > t) t = oldest + window;
  } else {
    l->count++;
  }
  {
    /* the newest reservation is at head-1; keep the ring ordered */
    int newest = (l->head + l->cap - 1) % l->cap;
    if (l->count > 1 && l->ring[newest] > t) t = l->ring[newest];
  }
  l->ring[l->head] = t;
  l->head = (l->head + 1) % l->cap;
  return t - now;
}

/* ------------------------------------------------------------------ audit */

/* What the audit file says about c (the writer is runtime/audit.c). */
static ecs_audit_call audit_call(const lecs_call *c) {
  ecs_audit_call a;
  const char *region = c->region ? c->region : ecs_params_get(&c->params, "RegionId");
  memset(&a, 0, sizeof a);
  a.action = c->action;
  a.instance_id = c->instance_id;
  a.region = region ? region : c->cfg.region;
  a.endpoint = c->cfg.endpoint;
  a.product = c->cfg.product; /* NULL (ECS): the lines stay as they were */
  a.version = c->cfg.version;
  a.access_key_id = c->creds.access_key_id;
  a.params = &c->params;
  a.attempt = c->attempt;
  a.dry_run = c->dry_run;
  return a;
}

/* Remembers a failed audit write (ecsrun exits non-zero for it). */
static void audit_failed(lecs_ctx *x, const ecs_error *e) {
  char *m = strdup(e->message ? e->message : "cannot write the audit file");
  x->audit_failures++;
  if (m) {
    free(x->audit_error);
    x->audit_error = m;
  }
}

/* Records the intent of mutating call c before it is sent. 0, or -1 with
 * c->err set to EAUDIT: then it must not be sent. */
static int audit_intent(lecs_ctx *x, lecs_call *c) {
  ecs_audit_call a = audit_call(c);
  if (!x->audit) return 0;
  if ((c->audit_seq = ecs_audit_intent(x->audit, &a, &c->err)) == 0) {
    audit_failed(x, &c->err);
    return -1;
  }
  return 0;
}

/* Records how an audited call ended: ok + request id, or the error code and
 * status; elapsed seconds. A failure is remembered, not returned: the
 * result still reaches the script. */
static void audit_outcome(lecs_ctx *x, const lecs_call *c, const cJSON *body, const ecs_error *e) {
  ecs_audit_call a = audit_call(c);
  ecs_audit_result r;
  ecs_error fail;
  if (!c->audit_seq || !x->audit) return;
  memset(&r, 0, sizeof r);
  r.ok = body != NULL;
  if (body) {
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(body, "RequestId");
    if (cJSON_IsString(rid)) r.request_id = rid->valuestring;
    r.status = c->req.status;
  } else if (e) {
    r.code = e->code;
    r.status = e->status;
    r.request_id = e->request_id;
    r.ambiguous = e->ambiguous;
  }
  r.elapsed = mono_now() - c->t0;
  ecs_error_init(&fail);
  if (ecs_audit_outcome(x->audit, c->audit_seq, &a, &r, &fail) < 0) audit_failed(x, &fail);
  ecs_error_free(&fail);
}

/* core.audit_open(path) -> true | nil, err: appends the audit trail of every
 * mutating call to path (created 0600) under a fresh run id.
 * core.audit_open(nil) closes it. */
static int lecs_audit_open(lua_State *L) {
  lecs_ctx *x = get_ctx(L);
  const char *path = luaL_optstring(L, 1, NULL);
  ecs_error e;
  if (path) lecs_checkcstr(L, 1, 1, "open", "path");
  ecs_audit_close(x->audit);
  x->audit = NULL;
  if (!path) {
    lua_pushboolean(L, 1);
    return 1;
  }
  ecs_error_init(&e);
  if (!(x->audit = ecs_audit_open(path, &e))) {
    lua_pushnil(L);
    push_error(L, &e);
    ecs_error_free(&e);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* core.audit_status() -> failures, last_message|nil, run_id|nil: how many
 * audit lines could not be written so far, and the run id of the open file. */
static int lecs_audit_status(lua_State *L) {
  lecs_ctx *x = get_ctx(L);
  lua_pushinteger(L, (lua_Integer)x->audit_failures);
  if (x->audit_error) lua_pushstring(L, x->audit_error);
  else lua_pushnil(L);
  if (x->audit) lua_pushstring(L, ecs_audit_run_id(x->audit));
  else lua_pushnil(L);
  return 3;
}

/* core.is_secret_name(name) -> boolean (runtime/redact.c's predicate). */
static int lecs_is_secret_name(lua_State *L) {
  lua_pushboolean(L, ecs_is_secret_name(luaL_checkstring(L, 1)));
  return 1;
}

/* Pushes the result of f(buf, s, n) on s = tostring of argument 1. */
static int push_filtered(lua_State *L, int (*f)(ecs_buf *, const char *, size_t)) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  ecs_buf b;
  ecs_buf_init(&b);
  if (f(&b, s, n) < 0) {
    ecs_buf_free(&b);
    return luaL_error(L, "out of memory");
  }
  lua_pushlstring(L, ecs_buf_cstr(&b), b.len);
  ecs_buf_free(&b);
  return 1;
}

/* core.text_escape(s) -> s as one printable line (runtime/utf8.c). */
static int lecs_text_escape(lua_State *L) { return push_filtered(L, ecs_text_escape); }

/* core.utf8_clean(s) -> s with invalid UTF-8 replaced by U+FFFD. */
static int lecs_utf8_clean(lua_State *L) { return push_filtered(L, ecs_utf8_sanitize); }

/* ------------------------------------------------------------------ calls */

static void call_done_cb(ecs_http_req *req, void *ud) {
  lecs_call *c = ud;
  (void)req;
  c->state = CALL_DONE;
  c->done_next = c->ctx->done_head;
  c->ctx->done_head = c;
}

/* Is the running coroutine one of the scheduler's tasks? */
static int in_task(lua_State *L) {
  int r;
  if (!lua_isyieldable(L)) return 0;
  lua_getfield(L, LUA_REGISTRYINDEX, LECS_TASKS);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  lua_pushthread(L);
  lua_rawget(L, -2);
  r = lua_toboolean(L, -1);
  lua_pop(L, 2);
  return r;
}

/* Runs the Lua scheduler's step once with at most max_wait seconds of
 * waiting (the driver is set by ecs.lua). */
static void drive_step(lua_State *L, double max_wait) {
  lua_getfield(L, LUA_REGISTRYINDEX, LECS_DRIVER);
  lua_pushnumber(L, max_wait);
  lua_call(L, 1, 0);
}

/* Pushes the outcome of a finished call: body table, or nil + err. Frees
 * the call. Returns the number of results. */
static int call_finish(lua_State *L, lecs_call *c) {
  cJSON *body = NULL;
  ecs_error err;
  int rc;
  ecs_error_init(&err);
  if (c->err.kind != ECS_KIND_NONE) {
    ecs_error_move(&err, &c->err);
    rc = -1;
  } else if (c->raw) {
    if (c->req.failed) {
      ecs_error_move(&err, &c->req.err);
      rc = -1;
    } else if (c->raw == 2) {
      lecs_push_response(L, &c->req); /* may raise: c is still on the list */
      call_unlink(c);
      call_free(c);
      return 1;
    } else {
      call_unlink(c);
      lua_pushlstring(L, ecs_buf_cstr(&c->req.resp_body), c->req.resp_body.len);
      lua_pushinteger(L, c->req.status);
      call_free(c);
      return 2;
    }
  } else {
    rc = ecs_client_finish(&c->req, &body, &err);
  }
  call_unlink(c);
  audit_outcome(c->ctx, c, rc == 0 ? body : NULL, rc == 0 ? NULL : &err);
  if (rc == 0) {
    cJSON **box;
    call_free(c);
    /* let Lua own the tree while converting, so a raise cannot leak it */
    box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = body;
    lecs_push_json(L, body);
    cJSON_Delete(body);
    *box = NULL;
    lua_remove(L, -2);
    return 1;
  }
  if (!err.action) ecs_error_field(&err.action, c->action);
  if (!err.instance_id) ecs_error_field(&err.instance_id, c->instance_id);
  call_free(c);
  lua_pushnil(L);
  push_error(L, &err);
  ecs_error_free(&err);
  return 2;
}

/* Signs and submits c; on failure records the error in c and marks it done. */
static void call_submit(lecs_call *c) {
  lecs_ctx *x = c->ctx;
  if (!c->raw && ecs_action_is_mutating(c->action) && audit_intent(x, c) < 0) {
    c->state = CALL_DONE; /* not recorded: not sent */
    return;
  }
  if (c->dry_run) {
    ecs_error_set(&c->err, ECS_KIND_CONFIG, "EDRYRUN",
                  "dry run: %s was not sent", c->action);
    c->state = CALL_DONE;
    return;
  }
  if (!c->raw && ecs_client_prepare_retry(&c->cfg, &c->creds, c->action, &c->params, c->region,
                                          &(ecs_retry_info){c->attempt, c->retry_delay_ms},
                                          &c->req, &c->err) < 0) {
    c->state = CALL_DONE;
    return;
  }
  c->req.done = call_done_cb;
  c->req.ud = c;
  if (ecs_http_submit(x->http, &c->req) < 0) {
    ecs_error_move(&c->err, &c->req.err);
    if (c->err.kind == ECS_KIND_NONE)
      ecs_error_set(&c->err, ECS_KIND_TRANSPORT, "EHTTP", "could not start the transfer");
    c->state = CALL_DONE;
    return;
  }
  c->state = CALL_INFLIGHT;
}

static int call_k_done(lua_State *L, int status, lua_KContext k) {
  (void)status;
  return call_finish(L, (lecs_call *)k);
}

/* Continuation after a rate-limit wait inside a task: submit, then wait. */
static int call_k_submit(lua_State *L, int status, lua_KContext k) {
  lecs_call *c = (lecs_call *)k;
  (void)status;
  call_submit(c);
  if (c->state == CALL_DONE) return call_finish(L, c);
  lua_pushlightuserdata(L, &lecs_token);
  lua_pushliteral(L, "call");
  lua_pushlightuserdata(L, c);
  return lua_yieldk(L, 3, (lua_KContext)c, call_k_done);
}

/* Resolves the credentials for a call into c->creds: the client's, the
 * default client's, else the default chain of the client's profile (its
 * provider found once, temporary credentials refreshed when stale; the
 * refresh blocks, so it happens once however many tasks wait). The chain's
 * profile region_id fills in a missing default region. 0 or -1 with
 * c->err set. */
static int call_creds(lecs_ctx *x, lecs_call *c, const lecs_client *cl, const lecs_client *d) {
  const ecs_creds *src = explicit_creds(cl, d);
  ecs_creds_chain *ch;
  if (src) {
    if (ecs_creds_copy(&c->creds, src) < 0)
      return ecs_error_set(&c->err, ECS_KIND_CONFIG, "ENOMEM", "out of memory");
    return 0;
  }
  if (!(ch = ctx_chain(x, cl, d)))
    return ecs_error_set(&c->err, ECS_KIND_CONFIG, "ENOMEM", "out of memory");
  if (ecs_creds_chain_get(ch, &c->creds, &c->err) < 0) return -1;
  if (!c->cfg.region && ecs_creds_chain_region(ch) &&
      !(c->cfg.region = strdup(ecs_creds_chain_region(ch))))
    return ecs_error_set(&c->err, ECS_KIND_CONFIG, "ENOMEM", "out of memory");
  return 0;
}

/* core.call(client|nil, action, params|nil, region|nil, attempt|nil, delay|nil)
 * -> body | nil, err. attempt (1-based) and delay (seconds waited before it)
 * make a retry carry x-acs-retry-attempts / x-acs-retry-delay.
 * Misuse raises; everything the environment decides is (nil, err). Yields
 * inside a task; drives the scheduler elsewhere. */
static int lecs_call_api(lua_State *L) {
  lecs_ctx *x = get_ctx(L);
  lecs_client *d = default_client(L);
  lecs_client *cl = lua_isnoneornil(L, 1) ? d : luaL_checkudata(L, 1, LECS_CLIENT);
  const char *action = luaL_checkstring(L, 2);
  const char *region = luaL_optstring(L, 4, NULL);
  lua_Integer attempt = luaL_optinteger(L, 5, 0);
  lua_Number delay = luaL_optnumber(L, 6, -1);
  lecs_call *c;
  cJSON *j = NULL;
  const char *iid;
  double qps, wait = 0;
  /* argument numbers as the caller sees them: ecs.call(action, params) */
  if (!*action) lecs_argerror(L, 1, "call", "action must not be empty");
  lecs_checkcstr(L, 2, 1, "call", "action");
  if (region) lecs_checkcstr(L, 4, 1, "call", "region");
  if (!lua_isnoneornil(L, 3)) {
    luaL_checktype(L, 3, LUA_TTABLE);
    /* may raise on a bad value: done before the call exists (the tree is
     * owned by a box on the stack) */
    j = lecs_to_json(L, 3, "bad argument #2 to 'call'");
  }
  c = call_new(L, x);
  c->attempt = attempt > 0 && attempt < 1000000 ? (int)attempt : 0;
  c->retry_delay_ms = delay >= 0 && delay < 1e9 ? (long long)(delay * 1000 + 0.5) : -1;
  if ((j && ecs_flatten(&c->params, NULL, j) < 0) || !(c->action = strdup(action)) ||
      (region && !(c->region = strdup(region))) || effective_config(&c->cfg, cl, d) < 0 ||
      ((iid = ecs_params_get(&c->params, "InstanceId")) && !(c->instance_id = strdup(iid)))) {
    call_discard(c);
    return luaL_error(L, "out of memory");
  }
  c->dry_run = (x->dry_run || cl->dry_run) && ecs_action_is_mutating(action);
  if (!c->dry_run && call_creds(x, c, cl, d) < 0) {
    c->state = CALL_DONE;
    return call_finish(L, c);
  }
  qps = (cl->set & OPT_QPS) ? cl->qps : d->qps;
  if (qps > 0 && !c->dry_run) {
    char key[512];
    int oom;
    const char *r = c->region ? c->region : ecs_params_get(&c->params, "RegionId");
    if (!r) r = c->cfg.region ? c->cfg.region : "";
    snprintf(key, sizeof key, "%s\n%s\n%s\n%s", c->cfg.product ? c->cfg.product : "ecs",
             c->creds.access_key_id, r, action);
    wait = limiter_reserve(x, key, qps, mono_now(), &oom);
    if (oom) {
      call_discard(c);
      return luaL_error(L, "out of memory");
    }
  }
  if (in_task(L)) {
    if (wait > 0) {
      lua_pushlightuserdata(L, &lecs_token);
      lua_pushliteral(L, "sleep");
      lua_pushnumber(L, wait);
      return lua_yieldk(L, 3, (lua_KContext)c, call_k_submit);
    }
    return call_k_submit(L, LUA_OK, (lua_KContext)c);
  }
  if (wait > 0) {
    double until = mono_now() + wait;
    double left;
    while ((left = until - mono_now()) > 0) drive_step(L, left);
  }
  call_submit(c);
  while (c->state != CALL_DONE) drive_step(L, 1.0);
  return call_finish(L, c);
}

/* Allocates a call on the context's list and pushes its callref: while the
 * calling C function's stack holds the callref, a raise or an abandoned
 * coroutine frees the call at the next collection. */
static lecs_call *call_new(lua_State *L, lecs_ctx *x) {
  lecs_callref *r = lua_newuserdatauv(L, sizeof *r, 0);
  lecs_call *c;
  r->c = NULL;
  luaL_setmetatable(L, LECS_CALLREF);
  if (!(c = calloc(1, sizeof *c))) luaL_error(L, "out of memory");
  r->c = c;
  c->ref = r;
  ecs_http_req_init(&c->req);
  ecs_client_config_init(&c->cfg);
  ecs_creds_init(&c->creds);
  ecs_params_init(&c->params);
  ecs_error_init(&c->err);
  c->ctx = x;
  c->t0 = mono_now();
  c->next = x->calls;
  if (x->calls) x->calls->prev = c;
  x->calls = c;
  return c;
}

/* core.fetch(url [, timeout_s | {timeout=, ca_file=}]) -> body, status |
 * nil, err: a plain GET through the same engine (loopback http only unless
 * https; ca_file as in ecs.client), used for the simulator's /_sim
 * endpoints. Blocks (drives the scheduler) until done. */
static int lecs_fetch(lua_State *L) {
  lecs_ctx *x = get_ctx(L);
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
  c = call_new(L, x);
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

/* ecs.http.request's transport settings from a client (see lecs.h). */
int lecs_transport_defaults(lua_State *L, int idx, ecs_http_req *req) {
  lecs_client *d = default_client(L);
  lecs_client *c = idx ? luaL_testudata(L, idx, LECS_CLIENT) : d;
  ecs_client_config cfg;
  if (!c) return -2;
  if (effective_config(&cfg, c, d) < 0) return -1;
  req->connect_timeout_ms = cfg.connect_timeout_ms;
  req->timeout_ms = cfg.timeout_ms;
  req->max_response = cfg.max_response;
  req->insecure_http = cfg.insecure_http;
  free(req->ca_file);
  req->ca_file = cfg.ca_file;
  cfg.ca_file = NULL;
  ecs_client_config_free(&cfg);
  return 0;
}

/* ecs.http.request's transfer (see lecs.h): a raw call of the engine. */
int lecs_http_send(lua_State *L, ecs_http_req *req) {
  lecs_ctx *x = get_ctx(L);
  lecs_call *c = call_new(L, x); /* may raise: req is still the caller's */
  c->raw = 2;
  ecs_http_req_free(&c->req);
  c->req = *req;
  ecs_http_req_init(req);
  if (!(c->action = strdup(c->req.method ? c->req.method : "GET")))
    return luaL_error(L, "out of memory");
  if (in_task(L)) return call_k_submit(L, LUA_OK, (lua_KContext)c);
  call_submit(c);
  while (c->state != CALL_DONE) drive_step(L, 1.0);
  return call_finish(L, c);
}

/* core.poll(timeout_s, out) -> n: drives the transfers for at most timeout_s
 * seconds, stores the calls completed since the last poll in out[1..n]
 * (light userdata, matching what waiting tasks yielded). */
static int lecs_poll(lua_State *L) {
  lecs_ctx *x = get_ctx(L);
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
 * for a rate-limit slot, or done and not yet collected by their caller). */
static int lecs_live_calls(lua_State *L) {
  lecs_ctx *x = get_ctx(L);
  lua_Integer n = 0;
  lecs_call *c;
  for (c = x->calls; c; c = c->next) n++;
  lua_pushinteger(L, n);
  return 1;
}

/* core.inflight() -> number of transfers in flight. */
static int lecs_inflight(lua_State *L) {
  lua_pushinteger(L, ecs_http_active(get_ctx(L)->http));
  return 1;
}

/* core.set_scheduler(tasks_table, step_fn): registers the scheduler's task
 * set (threads -> true) and its step function. */
static int lecs_set_scheduler(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, LECS_TASKS);
  lua_pushvalue(L, 2);
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

static int lecs_now(lua_State *L) {
  lua_pushnumber(L, wall_now());
  return 1;
}

static int lecs_monotonic(lua_State *L) {
  lua_pushnumber(L, mono_now());
  return 1;
}

/* core.set_client_methods(t): the __index of client userdata. */
static int lecs_set_client_methods(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_getmetatable(L, LECS_CLIENT);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "__index");
  return 0;
}

static int lecs_is_client(lua_State *L) {
  lua_pushboolean(L, luaL_testudata(L, 1, LECS_CLIENT) != NULL);
  return 1;
}

static int lecs_stderr_isatty(lua_State *L) {
  lua_pushboolean(L, isatty(2));
  return 1;
}

static int lecs_is_mutating(lua_State *L) {
  lua_pushboolean(L, ecs_action_is_mutating(luaL_checkstring(L, 1)));
  return 1;
}

/* Creates the per-state context, the metatables and the default client. */
static void open_context(lua_State *L) {
  lecs_ctx *x;
  lecs_client *d;
  const char *r;
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
  x->http = ecs_http_new();
  if (!x->http) luaL_error(L, "ecs: cannot initialise libcurl");
  lua_setfield(L, LUA_REGISTRYINDEX, LECS_CTX);

  luaL_newmetatable(L, LECS_CALLREF);
  lua_pushcfunction(L, callref_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  luaL_newmetatable(L, LECS_CLIENT);
  lua_pushcfunction(L, client_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushliteral(L, "ecs.client");
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
  luaL_newmetatable(L, LECS_ERROR);
  lua_pushcfunction(L, error_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushliteral(L, "ecs.error");
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);

  d = client_new(L);
  d->is_default = 1;
  if ((r = ecs_region_from_env())) d->cfg.region = strdup(r);
  lua_setfield(L, LUA_REGISTRYINDEX, LECS_DEFAULT);
}

int luaopen_ecs(lua_State *L) {
  static const luaL_Reg core[] = {
      {"audit_open", lecs_audit_open},
      {"audit_status", lecs_audit_status},
      {"call", lecs_call_api},
      {"client", lecs_client_new},
      {"client_info", lecs_client_info},
      {"configure", lecs_configure},
      {"error", lecs_make_error},
      {"fetch", lecs_fetch},
      {"inflight", lecs_inflight},
      {"is_client", lecs_is_client},
      {"is_mutating", lecs_is_mutating},
      {"is_secret_name", lecs_is_secret_name},
      {"live_calls", lecs_live_calls},
      {"monotonic", lecs_monotonic},
      {"now", lecs_now},
      {"poll", lecs_poll},
      {"set_client_methods", lecs_set_client_methods},
      {"set_scheduler", lecs_set_scheduler},
      {"set_yield_guard", lecs_set_yield_guard},
      {"stderr_isatty", lecs_stderr_isatty},
      {"text_escape", lecs_text_escape},
      {"utf8_clean", lecs_utf8_clean},
      {NULL, NULL}};
  size_t i;
  open_context(L);
  luaL_newlib(L, core);
  lua_pushlightuserdata(L, &lecs_token);
  lua_setfield(L, -2, "TOKEN");
  lua_pushliteral(L, ECS_VERSION);
  lua_setfield(L, -2, "version");
  lecs_open_json(L);
  lua_setfield(L, -2, "json");
  lecs_open_sign(L);
  lua_setfield(L, -2, "sign");
  lecs_open_http(L);
  lua_setfield(L, -2, "http");
  lua_newtable(L); /* M, the module table */
  lua_newtable(L); /* I, the helpers the chunks share */
  for (i = 0; i < sizeof lecs_lua_chunks / sizeof lecs_lua_chunks[0]; i++) {
    if (luaL_loadbufferx(L, lecs_lua_chunks[i].src, lecs_lua_chunks[i].len, lecs_lua_chunks[i].name,
                         "t") != LUA_OK)
      return lua_error(L);
    lua_pushvalue(L, -4);
    lua_pushvalue(L, -4);
    lua_pushvalue(L, -4);
    lua_call(L, 3, 0); /* chunk(core, M, I), bindings/lua/ecs/init.lua */
  }
  lua_getfield(L, -1, "sim_setup"); /* ecs.sim's Lua part (sim.lua) */
  lua_setfield(L, LUA_REGISTRYINDEX, LECS_SIM_SETUP);
  lua_pop(L, 1); /* I */
  return 1;   /* M */
}
