/* lecs_creds.c - where a call's credentials come from: the client's own,
 * the default client's, else the default chain of the client's profile,
 * kept in the context (one per profile and transport); and core.client_info,
 * which shows a client's effective settings and credentials (never the
 * secret). */
#include <stdlib.h>
#include <string.h>

#include "lecs_internal.h"
#include "product.h"

static int same_str(const char *a, const char *b) { return a ? b && strcmp(a, b) == 0 : !b; }

/* The profile client c uses (its own, else the default client's). */
const char *lecs_client_profile(const lecs_client *c, const lecs_client *d) {
  return (c->set & OPT_PROFILE) ? c->profile : d->profile;
}

/* The default chain for client c over the default client d: its profile
 * (NULL: the default) and the transport its credential endpoints use
 * (ca_file, insecure_http), made on first use and kept in the context.
 * NULL when out of memory. */
static ecs_creds_chain *ctx_chain(lecs_ctx *x, const lecs_client *c, const lecs_client *d) {
  const char *profile = lecs_client_profile(c, d);
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
  lecs_set_str(L, "profile", lecs_client_profile(c, d));
  lecs_set_str(L, "product", c->cfg.product ? c->cfg.product : "ecs");
  lecs_set_str(L, "version", c->cfg.version ? c->cfg.version
                                            : ecs_product_default_version(c->cfg.product));
  if (cr) info_set_creds(L, cr);
  ecs_creds_free(&got); /* cr is not used below */
  lua_pushboolean(L, ecs_engine_dry_run(lecs_ctx_get(L)->engine) || c->dry_run);
  lua_setfield(L, -2, "dry_run");
  return 1;
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

const luaL_Reg lecs_creds_core[] = {
    {"client_info", lecs_client_info},
    {NULL, NULL}};
