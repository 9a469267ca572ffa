/* lecs_client.c - clients: the userdata ecs.client makes, the default
 * client ecs.configure changes, their options (one table, client_opts),
 * the effective settings of a client over the default client, and where a
 * call's credentials come from. */
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
  if (!lua_toboolean(L, -1) && x->dry_run)
    lecs_argerror(L, 1, fn, "dry_run: the dry run is on and cannot be turned off");
  if (lua_toboolean(L, -1)) {
    if (c->is_default) x->dry_run = 1;
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

static int same_str(const char *a, const char *b) { return a ? b && strcmp(a, b) == 0 : !b; }

/* The profile client c uses (its own, else the default client's). */
static const char *client_profile(const lecs_client *c, const lecs_client *d) {
  return (c->set & OPT_PROFILE) ? c->profile : d->profile;
}

/* The default chain for client c over the default client d: its profile
 * (NULL: the default) and the transport its credential endpoints use
 * (ca_file, insecure_http), made on first use and kept in the context.
 * NULL when out of memory. */
static ecs_creds_chain *ctx_chain(lecs_ctx *x, const lecs_client *c, const lecs_client *d) {
  const char *profile = client_profile(c, d);
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

/* Explicit credentials for c (its own, else the default client's unless c
 * names a profile of its own), or NULL: the default chain. */
static const ecs_creds *explicit_creds(const lecs_client *c, const lecs_client *d) {
  if (c->has_creds) return &c->creds;
  if (d->has_creds && !(c != d && (c->set & OPT_PROFILE))) return &d->creds;
  return NULL;
}

/* The credentials client_info shows for c: explicit ones, else those of the
 * default chain (ch is set), resolved into got when resolve. NULL when none
 * are known; pushes nil, err and returns NULL with *failed set when the
 * chain fails. */
static const ecs_creds *info_creds(lua_State *L, const lecs_client *c, const lecs_client *d,
                                   int resolve, ecs_creds *got, ecs_creds_chain **ch, int *failed) {
  const ecs_creds *cr = explicit_creds(c, d);
  ecs_error err;
  *ch = NULL;
  *failed = 0;
  if (cr) return cr;
  if (!(*ch = ctx_chain(lecs_ctx_get(L), c, d))) luaL_error(L, "out of memory");
  if (!resolve) return ecs_creds_chain_last(*ch);
  ecs_error_init(&err);
  if (ecs_creds_chain_get(*ch, got, &err) < 0) {
    lua_pushnil(L);
    lecs_push_error(L, &err);
    ecs_error_free(&err);
    *failed = 1;
    return NULL;
  }
  return got;
}

/* Sets the credential fields of the info table on top (never the secret). */
static void info_set_creds(lua_State *L, const ecs_creds *cr) {
  lecs_set_str(L, "access_key_id", cr->access_key_id);
  lecs_set_str(L, "provider", cr->provider ? cr->provider
                              : cr->security_token ? "static_sts" : "static_ak");
  if (cr->expiration > 0) {
    lua_pushnumber(L, cr->expiration);
    lua_setfield(L, -2, "expiration");
  }
}

/* core.client_info(client|nil [, resolve]) -> table of effective settings
 * (never secrets): region (else the aliyun CLI profile's region_id),
 * endpoint, signature, qps, profile, dry_run and the credentials'
 * access_key_id, provider and expiration (unix seconds) when known. With
 * resolve, the default chain is consulted (it may block on the network)
 * and a failure returns nil, err. */
static int lecs_client_info(lua_State *L) {
  lecs_client *d = lecs_default_client(L), *c = lecs_check_client(L, 1);
  const char *region = (c->set & OPT_REGION) ? c->cfg.region : d->cfg.region;
  ecs_creds got;
  ecs_creds_chain *ch;
  const ecs_creds *cr;
  int failed;
  ecs_creds_init(&got);
  cr = info_creds(L, c, d, lua_toboolean(L, 2), &got, &ch, &failed);
  if (failed) return 2;
  if (!region && ch) region = ecs_creds_chain_region(ch);
  lua_createtable(L, 0, 8);
  lecs_set_str(L, "region", region);
  lecs_set_str(L, "endpoint", (c->set & OPT_ENDPOINT) ? c->cfg.endpoint : d->cfg.endpoint);
  lua_pushstring(L, ((c->set & OPT_SIGNATURE) ? c->cfg.signature : d->cfg.signature) == 1 ? "v1" : "v3");
  lua_setfield(L, -2, "signature");
  lua_pushnumber(L, lecs_client_qps(c, d));
  lua_setfield(L, -2, "qps");
  lecs_set_str(L, "profile", client_profile(c, d));
  lecs_set_str(L, "product", c->cfg.product ? c->cfg.product : "ecs");
  lecs_set_str(L, "version", c->cfg.version ? c->cfg.version
                                            : ecs_product_default_version(c->cfg.product));
  if (cr) info_set_creds(L, cr);
  ecs_creds_free(&got); /* cr is not used below */
  lua_pushboolean(L, lecs_ctx_get(L)->dry_run || c->dry_run);
  lua_setfield(L, -2, "dry_run");
  return 1;
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

/* The client's, the default client's, else the default chain of the
 * client's profile (its provider found once, temporary credentials
 * refreshed when stale; the refresh blocks, so it happens once however many
 * tasks wait). The chain's profile region_id fills in a missing region. */
int lecs_client_creds(lecs_ctx *x, const lecs_client *c, const lecs_client *d, ecs_creds *out,
                      char **region, ecs_error *err) {
  const ecs_creds *src = explicit_creds(c, d);
  ecs_creds_chain *ch;
  if (src) {
    if (ecs_creds_copy(out, src) < 0) return ecs_error_set(err, ECS_KIND_CONFIG, "ENOMEM", "out of memory");
    return 0;
  }
  if (!(ch = ctx_chain(x, c, d))) return ecs_error_set(err, ECS_KIND_CONFIG, "ENOMEM", "out of memory");
  if (ecs_creds_chain_get(ch, out, err) < 0) return -1;
  if (!*region && ecs_creds_chain_region(ch) && !(*region = strdup(ecs_creds_chain_region(ch))))
    return ecs_error_set(err, ECS_KIND_CONFIG, "ENOMEM", "out of memory");
  return 0;
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
  luaL_newmetatable(L, LECS_CLIENT);
  lua_pushcfunction(L, client_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushliteral(L, "ecs.client");
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
  d = client_new(L);
  d->is_default = 1;
  if ((r = ecs_endpoint_region_from_env()) && !(d->cfg.region = strdup(r))) luaL_error(L, "out of memory");
  lua_setfield(L, LUA_REGISTRYINDEX, LECS_DEFAULT);
}

const luaL_Reg lecs_client_core[] = {
    {"client", lecs_client_new},
    {"client_info", lecs_client_info},
    {"configure", lecs_configure},
    {"is_client", lecs_is_client},
    {"set_client_methods", lecs_set_client_methods},
    {NULL, NULL}};
