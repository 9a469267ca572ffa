/* lecs_client.c - clients: the userdata ecs.client makes, the default
 * client ecs.configure changes, their options (one table, client_opts) and
 * the effective settings of a client over the default client. Where a
 * call's credentials come from, and client_info: lecs_creds.c. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "lecs_internal.h"
#include "product.h"

enum { K_DRYRUN, K_STRING, K_SECONDS_MS, K_NUMBER, K_SIZE, K_BOOL, K_SIGNATURE, K_CREDS };

/* One option: its name, how it is read, the OPT_* bit it sets, and where it
 * goes (an offset into lecs_client). */
typedef struct client_opt {
  const char *name;
  int kind;
  unsigned flag;
  size_t off;
  double lo, hi;                      /* numbers: the accepted range */
  int (*valid)(const char *, size_t); /* strings: the value check, */
  const char *bad;                    /* and what it says when it fails */
  int client_only;                    /* 1: refused by configure */
} client_opt;

static int endpoint_ok(const char *s, size_t n) {
  return strlen(s) != n /* refused below as a NUL byte */ ||
         strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}
/* a NUL byte would cut the C copy short into something valid */
static int product_ok(const char *s, size_t n) { return strlen(s) == n && ecs_product_valid(s); }
static int version_ok(const char *s, size_t n) {
  return strlen(s) == n && ecs_product_version_valid(s);
}

/* Table rows: a string (checked by ok, which says bad when it fails), a
 * number within [lo, hi], anything else by kind. */
#define F(f) offsetof(lecs_client, f)
#define STR(name, bit, f) {name, K_STRING, bit, F(f), 0, 0, NULL, NULL, 0}
#define STR_OK(name, bit, f, ok, bad, only) {name, K_STRING, bit, F(f), 0, 0, ok, bad, only}
#define NUM(name, kind, bit, f, lo, hi) {name, kind, bit, F(f), lo, hi, NULL, NULL, 0}
#define OTHER(name, kind, bit, f) {name, kind, bit, F(f), 0, 0, NULL, NULL, 0}
/* In the order they are applied: dry_run first, so a refusal changes nothing. */
static const client_opt client_opts[] = {
    OTHER("dry_run", K_DRYRUN, 0, dry_run),
    STR("region", OPT_REGION, cfg.region),
    STR_OK("endpoint", OPT_ENDPOINT, cfg.endpoint, endpoint_ok,
           "must start with https:// or http://", 0),
    STR("user_agent", OPT_UA, cfg.user_agent),
    STR("ca_file", OPT_CA, cfg.ca_file),
    STR("network", OPT_NETWORK, cfg.network),
    STR("profile", OPT_PROFILE, profile),
    STR_OK("product", OPT_PRODUCT, cfg.product, product_ok,
           "a short product code expected (e.g. \"bss\")", 1),
    STR_OK("version", OPT_VERSION, cfg.version, version_ok, "\"YYYY-MM-DD\" expected", 1),
    OTHER("signature", K_SIGNATURE, OPT_SIGNATURE, cfg.signature),
    NUM("connect_timeout", K_SECONDS_MS, OPT_CONNECT, cfg.connect_timeout_ms, 0.001, 600),
    NUM("timeout", K_SECONDS_MS, OPT_TIMEOUT, cfg.timeout_ms, 0.001, 3600),
    NUM("qps", K_NUMBER, OPT_QPS, qps, 0, 100000),
    NUM("max_response", K_SIZE, OPT_MAXRESP, cfg.max_response, 1024, 1024.0 * 1024 * 1024),
    OTHER("insecure_http", K_BOOL, OPT_INSECURE, cfg.insecure_http),
    OTHER("credentials", K_CREDS, 0, creds),
    {NULL, 0, 0, 0, 0, 0, NULL, NULL, 0}};
#undef F
#undef STR
#undef STR_OK
#undef NUM
#undef OTHER

static int client_gc(lua_State *L) {
  lecs_client *c = luaL_checkudata(L, 1, LECS_CLIENT);
  ecs_client_config_free(&c->cfg);
  ecs_creds_free(&c->creds);
  free(c->profile);
  c->profile = NULL;
  return 0;
}

/* dry_run = true turns a dry run on: for every client when c is the
 * default client (ecs.configure, ecsrun --dry-run), else for c. Once the
 * module-wide dry run is on, nothing turns it off: dry_run = false then
 * raises, so a script cannot undo the dry run its caller chose. The value
 * is on top of the stack. */
static void apply_dry_run(lua_State *L, lecs_client *c, const char *fn) {
  lecs_ctx *x = lecs_ctx_get(L);
  if (!lua_isboolean(L, -1)) lecs_argerror(L, 1, fn, "dry_run: boolean expected");
  if (!lua_toboolean(L, -1) && ecs_engine_dry_run(x->engine))
    lecs_argerror(L, 1, fn, "dry_run: the dry run is on and cannot be turned off");
  if (lua_toboolean(L, -1)) {
    if (c->is_default) ecs_engine_set_dry_run(x->engine);
    else c->dry_run = 1;
  }
}

/* credentials = {access_key_id=, access_key_secret=, security_token=} (on
 * top of the stack) into c->creds. */
static void apply_creds(lua_State *L, lecs_client *c, const char *fn) {
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

/* A string option (on top of the stack) into the char * at dst. */
static void apply_string(lua_State *L, const client_opt *o, char **dst, const char *fn) {
  size_t n;
  const char *s;
  char *copy;
  if (lua_type(L, -1) != LUA_TSTRING)
    lecs_argerror(L, 1, fn, "%s: string expected, got %s", o->name, luaL_typename(L, -1));
  s = lua_tolstring(L, -1, &n);
  if (o->valid && !o->valid(s, n)) lecs_argerror(L, 1, fn, "%s: %s", o->name, o->bad);
  if (!(copy = strdup(lecs_checkcstr(L, -1, 1, fn, o->name)))) luaL_error(L, "%s: out of memory", fn);
  free(*dst);
  *dst = copy;
}

/* A number option in seconds (on top of the stack) within [lo, hi]. */
static double check_number(lua_State *L, const client_opt *o, const char *fn) {
  return lecs_checkrange(L, -1, 1, fn, o->name, o->lo, o->hi);
}

/* Applies option o, whose value is on top of the stack, to c. */
static void apply_opt(lua_State *L, const client_opt *o, lecs_client *c, const char *fn) {
  char *field = (char *)c + o->off;
  const char *s;
  if (o->client_only && c->is_default)
    lecs_argerror(L, 1, fn, "product and version are options of ecs.client, not of configure");
  switch (o->kind) {
  case K_DRYRUN: apply_dry_run(L, c, fn); return;
  case K_CREDS: apply_creds(L, c, fn); return;
  case K_STRING: apply_string(L, o, (char **)(void *)field, fn); break;
  case K_SECONDS_MS: *(long *)(void *)field = (long)(check_number(L, o, fn) * 1000); break;
  case K_NUMBER: *(double *)(void *)field = check_number(L, o, fn); break;
  case K_SIZE: *(size_t *)(void *)field = (size_t)check_number(L, o, fn); break;
  case K_BOOL:
    if (!lua_isboolean(L, -1)) lecs_argerror(L, 1, fn, "%s: boolean expected", o->name);
    *(int *)(void *)field = lua_toboolean(L, -1);
    break;
  case K_SIGNATURE:
    s = lua_tostring(L, -1);
    if (lua_type(L, -1) != LUA_TSTRING || (strcmp(s, "v3") != 0 && strcmp(s, "v1") != 0))
      lecs_argerror(L, 1, fn, "signature: must be \"v3\" or \"v1\"");
    *(int *)(void *)field = s[1] == '3' ? 3 : 1;
    break;
  }
  c->set |= o->flag;
}

/* Applies the options table at idx to client c (used by ecs.client and
 * ecs.configure). Raises on misuse, naming the option. */
static void client_apply(lua_State *L, int idx, lecs_client *c, const char *fn) {
  const client_opt *o;
  lecs_check_options(L, idx, 1, fn, &client_opts[0].name, sizeof *client_opts);
  for (o = client_opts; o->name; o++) {
    lua_getfield(L, idx, o->name);
    if (!lua_isnil(L, -1)) apply_opt(L, o, c, fn);
    lua_pop(L, 1);
  }
  if (!(c->set & OPT_VERSION) && !ecs_product_default_version(c->cfg.product))
    lecs_argerror(L, 1, fn, "version: required for product '%s'", c->cfg.product);
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

lecs_client *lecs_default_client(lua_State *L) {
  lecs_client *c;
  lua_getfield(L, LUA_REGISTRYINDEX, LECS_DEFAULT);
  c = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return c;
}

lecs_client *lecs_check_client(lua_State *L, int idx) {
  return lua_isnoneornil(L, idx) ? lecs_default_client(L) : luaL_checkudata(L, idx, LECS_CLIENT);
}

/* core.configure(opts): changes the default client that module functions use
 * and that clients fall back to. Raises on misuse. */
static int lecs_configure(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  client_apply(L, 1, lecs_default_client(L), "configure");
  return 0;
}

int lecs_effective_config(ecs_client_config *dst, const lecs_client *c, const lecs_client *d) {
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

double lecs_client_qps(const lecs_client *c, const lecs_client *d) {
  return (c->set & OPT_QPS) ? c->qps : d->qps;
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

void lecs_open_client(lua_State *L) {
  lecs_client *d;
  const char *r;
  lecs_new_class(L, LECS_CLIENT, "__gc", client_gc);
  d = client_new(L);
  d->is_default = 1;
  if ((r = ecs_endpoint_region_from_env()) && !(d->cfg.region = strdup(r))) luaL_error(L, "out of memory");
  lua_setfield(L, LUA_REGISTRYINDEX, LECS_DEFAULT);
}

const luaL_Reg lecs_client_core[] = {
    {"client", lecs_client_new},
    {"configure", lecs_configure},
    {"is_client", lecs_is_client},
    {"set_client_methods", lecs_set_client_methods},
    {NULL, NULL}};
