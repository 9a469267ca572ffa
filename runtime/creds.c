/* creds.c - the environment provider, refreshing credential sources and
 * the default provider chain (see creds.h). The low-level helpers live in
 * creds_util.c, the network in creds_net.c, the files and the external
 * process in creds_files.c; this file sits on top of all three.
 *
 * Secrets are wiped on free and never appear in error messages: messages
 * name the variables, files and roles looked for, never their values.
 */
#include "creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "creds_internal.h"

/* Environment names in the order aliyun-cli checks them (ecs-facts §6.2);
 * the first of each list is the @alicloud/credentials name (§6.1). */
static const char *const ENV_ID[] = {
  "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABACLOUD_ACCESS_KEY_ID",
  "ALICLOUD_ACCESS_KEY_ID", "ACCESS_KEY_ID", NULL};
static const char *const ENV_SECRET[] = {
  "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABACLOUD_ACCESS_KEY_SECRET",
  "ALICLOUD_ACCESS_KEY_SECRET", "ACCESS_KEY_SECRET", NULL};
static const char *const ENV_TOKEN[] = {
  "ALIBABA_CLOUD_SECURITY_TOKEN", "ALIBABACLOUD_SECURITY_TOKEN",
  "ALICLOUD_SECURITY_TOKEN", "SECURITY_TOKEN", NULL};

/* First non-empty variable of names, or NULL; *which gets its name. */
static const char *env_first(const char *const *names, const char **which) {
  for (; *names; names++) {
    const char *v = getenv(*names);
    if (v && *v) {
      if (which) *which = *names;
      return v;
    }
  }
  return NULL;
}

/* Reads the key pair (and token) from the environment. 0 found, 1 absent,
 * -1 half set or out of memory (err ECREDS). */
int ecs_creds_from_env(ecs_creds *out, ecs_error *err) {
  const char *wid = NULL, *wsec = NULL;
  const char *id = env_first(ENV_ID, &wid);
  const char *secret = env_first(ENV_SECRET, &wsec);
  const char *token = env_first(ENV_TOKEN, NULL);
  if (!id && !secret) return 1;
  if (!id || !secret)
    return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS",
                         "%s is set but no access key %s is: set "
                         "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                         id ? wid : wsec, id ? "secret" : "id");
  if (ecs_creds_set(out, id, secret, token, "env") < 0)
    return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS",
                         "out of memory reading credentials");
  return 0;
}

/* -------------------------------------------------------------- sources */

/* Refresh margin: 15 minutes as the SDK (STALE_TIME), but at most half the
 * lifetime, so that short-lived tokens are not refreshed on every use. */
static int stale(const ecs_src *s, double now) {
  double life, margin = 15 * 60;
  if (!s->cache.expiration) return 0;
  life = s->cache.expiration - s->obtained;
  if (life / 2 < margin) margin = life / 2;
  return now >= s->cache.expiration - margin;
}

/* Fetches fresh credentials for a temporary source into out. */
static int src_fetch(ecs_src *s, const ecs_creds_net *net, ecs_creds *out, ecs_buf *why) {
  ecs_creds base;
  ecs_buf sw;
  int rc;
  switch (s->kind) {
  case SRC_ROLE_ARN:
    ecs_creds_init(&base);
    ecs_buf_init(&sw);
    if ((rc = ecs_creds_src_get(s->source, net, &base, &sw)) < 0) {
      ecs_buf_addf(why, "credentials of the source for AssumeRole (%s): %s", s->source->name,
                   ecs_buf_cstr(&sw));
      ecs_buf_free(&sw);
      return rc;
    }
    ecs_buf_free(&sw);
    rc = ecs_creds_sts_assume(net, s, &base, out, why);
    ecs_creds_free(&base);
    return rc;
  case SRC_OIDC: return ecs_creds_sts_assume(net, s, NULL, out, why);
  case SRC_ECS_ROLE: return ecs_creds_imds_fetch(net, s->role_name, out, why);
  case SRC_URI: return ecs_creds_uri_fetch(net, s->url, out, why);
  case SRC_EXTERNAL: return ecs_creds_external_fetch(s->command, out, why);
  default: return ecs_buf_adds(why, "no credentials"), -1;
  }
}

int ecs_creds_src_get(ecs_src *s, const ecs_creds_net *net, ecs_creds *out, ecs_buf *why) {
  double now = ecs_creds_now();
  const ecs_creds *use;
  ecs_creds fresh;
  int rc;
  if (s->kind == SRC_STATIC) {
    use = &s->fixed;
  } else {
    if (!s->have || stale(s, now)) {
      ecs_creds_init(&fresh);
      if ((rc = src_fetch(s, net, &fresh, why)) == 0) {
        ecs_creds_free(&s->cache);
        s->cache = fresh;
        s->have = 1;
        s->obtained = now;
        ecs_buf_reset(why);
      } else {
        ecs_creds_free(&fresh);
        /* keep using credentials that have not expired yet */
        if (!s->have || (s->cache.expiration && s->cache.expiration <= now)) return rc;
        ecs_buf_reset(why);
      }
    }
    use = &s->cache;
  }
  ecs_creds_free(out);
  if (ecs_creds_copy(out, use) < 0) {
    ecs_buf_reset(why);
    ecs_buf_adds(why, "out of memory");
    return -1;
  }
  free(out->provider);
  if (!(out->provider = strdup(s->name))) {
    ecs_creds_free(out);
    return ecs_buf_adds(why, "out of memory"), -1;
  }
  return 0;
}

/* ---------------------------------------------------------------- chain */

struct ecs_creds_chain {
  char *profile;
  ecs_src *src;     /* the sticky provider, once one worked */
  char *region;     /* region_id of the selected aliyun CLI profile */
  char *failed;     /* the last "nothing worked" message */
  double failed_at;
  ecs_creds last;   /* what the last successful get handed out */
  int have_last;
  char *ca_file;    /* transport of credential endpoints (set_transport) */
  int insecure_http;
};

/* The config.json path, unless profiles are ignored; NULL otherwise. */
static char *cli_config_path(void) {
  if (ecs_creds_env_true("ALIBABA_CLOUD_IGNORE_PROFILE") ||
      ecs_creds_env_true("ALIBABA_CLOUD_CLI_PROFILE_DISABLED"))
    return NULL;
  return ecs_creds_home_path(".aliyun/config.json");
}

ecs_creds_chain *ecs_creds_chain_new(const char *profile) {
  ecs_creds_chain *ch = calloc(1, sizeof *ch);
  char *path;
  if (!ch) return NULL;
  if (profile && !(ch->profile = strdup(profile))) {
    free(ch);
    return NULL;
  }
  if ((path = cli_config_path())) {
    ch->region = ecs_creds_cli_region(path, profile);
    free(path);
  }
  return ch;
}

void ecs_creds_chain_free(ecs_creds_chain *ch) {
  if (!ch) return;
  free(ch->profile);
  ecs_creds_src_free(ch->src);
  free(ch->region);
  free(ch->failed);
  ecs_creds_free(&ch->last);
  free(ch->ca_file);
  free(ch);
}

int ecs_creds_chain_set_transport(ecs_creds_chain *ch, const char *ca_file, int insecure_http) {
  char *ca;
  if (ecs_str_dup(&ca, ca_file) < 0) return -1;
  free(ch->ca_file);
  ch->ca_file = ca;
  ch->insecure_http = insecure_http != 0;
  return 0;
}

const char *ecs_creds_chain_ca_file(const ecs_creds_chain *ch) { return ch->ca_file; }
int ecs_creds_chain_insecure_http(const ecs_creds_chain *ch) { return ch->insecure_http; }

const ecs_creds *ecs_creds_chain_last(const ecs_creds_chain *ch) {
  return ch->have_last ? &ch->last : NULL;
}

/* Prefixes the provider with "default/" and remembers a copy as `last`.
 * 0 or -1 (out of memory). */
static int handed_out(ecs_creds_chain *ch, ecs_creds *c) {
  ecs_buf b;
  ecs_buf_init(&b);
  if (ecs_buf_addf(&b, "default/%s", c->provider ? c->provider : "static_ak") < 0) return -1;
  free(c->provider);
  if (!(c->provider = ecs_buf_steal(&b))) return -1;
  ecs_creds_free(&ch->last);
  ch->have_last = ecs_creds_copy(&ch->last, c) == 0;
  return 0;
}

const char *ecs_creds_chain_profile(const ecs_creds_chain *ch) { return ch->profile; }
const char *ecs_creds_chain_region(const ecs_creds_chain *ch) { return ch->region; }

/* The name of the OIDC variable, honouring the CLI's ALIBABACLOUD_ alias. */
static const char *oidc_env(const char *suffix) {
  char a[64], b[64];
  const char *v;
  snprintf(a, sizeof a, "ALIBABA_CLOUD_%s", suffix);
  snprintf(b, sizeof b, "ALIBABACLOUD_%s", suffix);
  v = ecs_creds_env(a);
  return v ? v : ecs_creds_env(b);
}

/* Builds the OIDC source from the environment: 1 when not configured (why
 * names what is missing), 0 with *out, -1 out of memory. */
static int build_oidc(ecs_src **out, ecs_buf *why) {
  const char *arn = oidc_env("ROLE_ARN"), *prov = oidc_env("OIDC_PROVIDER_ARN");
  const char *file = oidc_env("OIDC_TOKEN_FILE");
  const char *sess = ecs_creds_env("ALIBABA_CLOUD_ROLE_SESSION_NAME");
  char dflt[64];
  ecs_src *s;
  if (!arn || !prov || !file) {
    ecs_buf_addf(why, "%s%s%s%snot set", arn ? "" : "ALIBABA_CLOUD_ROLE_ARN ",
                 prov ? "" : "ALIBABA_CLOUD_OIDC_PROVIDER_ARN ",
                 file ? "" : "ALIBABA_CLOUD_OIDC_TOKEN_FILE ", "");
    return 1;
  }
  snprintf(dflt, sizeof dflt, "ecsrun-%lld", (long long)(ecs_creds_now() * 1000));
  if (!(s = ecs_creds_src_new(SRC_OIDC, "oidc_role_arn")) || ecs_str_dup(&s->role_arn, arn) < 0 ||
      ecs_str_dup(&s->oidc_provider_arn, prov) < 0 || ecs_str_dup(&s->oidc_token_file, file) < 0 ||
      ecs_str_dup(&s->session, sess ? sess : dflt) < 0 ||
      !(s->sts_endpoint = ecs_creds_sts_endpoint(NULL, NULL))) {
    ecs_creds_src_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

/* Builds the metadata source: 1 when disabled. */
static int build_imds(ecs_src **out, ecs_buf *why) {
  ecs_src *s;
  if (ecs_creds_env_true("ALIBABA_CLOUD_ECS_METADATA_DISABLED")) {
    ecs_buf_adds(why, "disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED");
    return 1;
  }
  if (!(s = ecs_creds_src_new(SRC_ECS_ROLE, "ecs_ram_role")) ||
      ecs_str_dup(&s->role_name, ecs_creds_env("ALIBABA_CLOUD_ECS_METADATA")) < 0) {
    ecs_creds_src_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

static int build_uri(ecs_src **out, ecs_buf *why) {
  const char *u = ecs_creds_env("ALIBABA_CLOUD_CREDENTIALS_URI");
  ecs_src *s;
  if (!u) {
    ecs_buf_adds(why, "ALIBABA_CLOUD_CREDENTIALS_URI not set");
    return 1;
  }
  if (!(s = ecs_creds_src_new(SRC_URI, "credential_uri")) || ecs_str_dup(&s->url, u) < 0) {
    ecs_creds_src_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

static int build_env(ecs_src **out, ecs_buf *why) {
  ecs_error e;
  ecs_src *s;
  int rc;
  ecs_error_init(&e);
  if (!(s = ecs_creds_src_new(SRC_STATIC, "env"))) return -1;
  rc = ecs_creds_from_env(&s->fixed, &e);
  if (rc != 0) {
    ecs_buf_adds(why, rc > 0 ? "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET "
                               "not set (nor the ALIBABACLOUD_*, ALICLOUD_* aliases)"
                             : (e.message ? e.message : "not usable"));
    ecs_error_free(&e);
    ecs_creds_src_free(s);
    return 1;
  }
  *out = s;
  return 0;
}

/* The profile name for files: explicit, else the environment's. */
static const char *env_profile(const ecs_creds_chain *ch) {
  static const char *const names[] = {"ALIBABA_CLOUD_PROFILE", "ALIBABACLOUD_PROFILE",
                                      "ALICLOUD_PROFILE", NULL};
  int i;
  if (ch->profile) return ch->profile;
  for (i = 0; names[i]; i++)
    if (ecs_creds_env(names[i])) return ecs_creds_env(names[i]);
  return NULL;
}

/* Loader results for a profile file: 0 built, 1 not there (file missing,
 * ignored, or no such profile), 2 there but unusable (why says why). */
static int build_cli(const ecs_creds_chain *ch, ecs_src **out, ecs_buf *why) {
  char *path = cli_config_path(), *region = NULL;
  int rc;
  if (!path) {
    if (ecs_creds_env_true("ALIBABA_CLOUD_IGNORE_PROFILE") ||
        ecs_creds_env_true("ALIBABA_CLOUD_CLI_PROFILE_DISABLED")) {
      ecs_buf_adds(why, "ignored (ALIBABA_CLOUD_IGNORE_PROFILE)");
      return 1;
    }
    ecs_buf_adds(why, "no home directory");
    return 1;
  }
  ecs_buf_addf(why, "%s: ", path);
  rc = ecs_creds_cli_load(path, env_profile(ch), out, &region, why);
  free(region);
  if (rc == 1) ecs_buf_adds(why, "file missing");
  free(path);
  return rc == 0 ? 0 : rc < 0 ? 2 : 1;
}

static int build_ini(const ecs_creds_chain *ch, ecs_src **out, ecs_buf *why) {
  const char *envp = ecs_creds_env("ALIBABA_CLOUD_CREDENTIALS_FILE");
  char *path;
  int rc;
  if (ecs_creds_env_true("ALIBABA_CLOUD_IGNORE_PROFILE")) {
    ecs_buf_adds(why, "ignored (ALIBABA_CLOUD_IGNORE_PROFILE)");
    return 1;
  }
  path = envp ? strdup(envp) : ecs_creds_home_path(".alibabacloud/credentials");
  if (!path) {
    ecs_buf_adds(why, "no home directory");
    return 1;
  }
  ecs_buf_addf(why, "%s: ", path);
  rc = ecs_creds_ini_load(path, env_profile(ch), out, why);
  if (rc == 1)
    ecs_buf_adds(why, envp ? "file missing (named by ALIBABA_CLOUD_CREDENTIALS_FILE)"
                           : "file missing");
  free(path);
  return rc == 0 ? 0 : rc < 0 ? 2 : 1;
}

/* chain_find's results besides 0 (found), 1 (nothing found: `tried` lists
 * each provider), -1 (out of memory) and ECS_CREDS_REFUSED (an endpoint's
 * URL was refused: `tried` holds that message alone). */
#define FIND_STOP 3 /* the explicit profile exists but is unusable (`tried`) */

/* Builds provider i (in the default chain's order) into *s: 0 built, 1 not
 * configured, 2 configured but unusable, -1 out of memory. */
static int build_provider(const ecs_creds_chain *ch, int i, ecs_src **s, ecs_buf *why) {
  switch (i) {
  case 0: return build_env(s, why);
  case 1: return build_oidc(s, why);
  case 2: return build_cli(ch, s, why);
  case 3: return build_ini(ch, s, why);
  case 4: return build_imds(s, why);
  default: return build_uri(s, why);
  }
}

/* Builds provider i and gets its credentials: 0 (its source becomes the
 * sticky one), 1 not configured, 2 configured but failing, -1 out of
 * memory, or ECS_CREDS_REFUSED ("credentials from <provider>: <why>"). */
static int try_provider(ecs_creds_chain *ch, int i, ecs_creds *out, ecs_buf *why) {
  ecs_creds_net net = {ch->ca_file, ch->insecure_http};
  ecs_src *s = NULL;
  ecs_buf msg;
  int rc = build_provider(ch, i, &s, why);
  if (rc != 0) return rc;
  if ((rc = ecs_creds_src_get(s, &net, out, why)) == 0) {
    ch->src = s;
    return 0;
  }
  if (rc == ECS_CREDS_REFUSED) {
    ecs_buf_init(&msg);
    ecs_buf_addf(&msg, "credentials from %s: %s", s->name, ecs_buf_cstr(why));
    ecs_buf_free(why);
    *why = msg;
  }
  ecs_creds_src_free(s);
  return rc == ECS_CREDS_REFUSED ? rc : 2;
}

/* Tries each provider in order; the first that yields credentials becomes
 * the sticky one. Collects "name: why" for the others. With an explicit
 * profile only the two profile files are tried, and a profile that exists
 * but fails ends the search; so does a refused URL. */
static int chain_find(ecs_creds_chain *ch, ecs_creds *out, ecs_buf *tried) {
  static const char *const names[] = {"environment", "OIDC", "aliyun CLI config",
                                      "credentials file", "ECS metadata", "credentials URI"};
  int i, rc, first = ch->profile ? 2 : 0, last = ch->profile ? 3 : 5;
  for (i = first; i <= last; i++) {
    ecs_buf why;
    ecs_buf_init(&why);
    rc = try_provider(ch, i, out, &why);
    if (rc == ECS_CREDS_REFUSED || (rc == 2 && ch->profile)) {
      ecs_buf_reset(tried);
      ecs_buf_adds(tried, ecs_buf_cstr(&why));
      rc = rc == 2 ? FIND_STOP : rc;
    } else if (rc > 0) {
      ecs_buf_addf(tried, "%s%s: %s", tried->len ? "; " : "", names[i], ecs_buf_cstr(&why));
    }
    ecs_buf_free(&why);
    if (rc <= 0 || rc == FIND_STOP) return rc;
  }
  return 1;
}

/* The error for a chain_find result other than 0. */
static int find_error(const ecs_creds_chain *ch, int rc, ecs_buf *why, ecs_error *err) {
  if (rc < 0 && rc != ECS_CREDS_REFUSED)
    return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS", "out of memory");
  if (rc == ECS_CREDS_REFUSED)
    return ecs_error_set(err, ECS_KIND_CONFIG, "ECONFIG", "%s", ecs_buf_cstr(why));
  if (rc == FIND_STOP)
    return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS", "profile \"%.64s\": %s",
                         ch->profile, ecs_buf_cstr(why));
  if (ch->profile)
    return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS",
                         "profile \"%.64s\" not found; looked in %s", ch->profile,
                         ecs_buf_cstr(why));
  return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS", "no credentials found; tried %s",
                       ecs_buf_cstr(why));
}

int ecs_creds_chain_get(ecs_creds_chain *ch, ecs_creds *out, ecs_error *err) {
  ecs_creds_net net = {ch->ca_file, ch->insecure_http};
  ecs_buf why;
  int rc;
  double now = ecs_creds_now();
  ecs_buf_init(&why);
  if (ch->src) {
    if ((rc = ecs_creds_src_get(ch->src, &net, out, &why)) < 0) {
      ecs_error_set(err, rc == ECS_CREDS_REFUSED ? ECS_KIND_CONFIG : ECS_KIND_CREDENTIALS,
                    rc == ECS_CREDS_REFUSED ? "ECONFIG" : "ECREDS", "credentials from %s: %s",
                    ch->src->name, ecs_buf_cstr(&why));
      ecs_buf_free(&why);
      return -1;
    }
    ecs_buf_free(&why);
    if (handed_out(ch, out) < 0)
      return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS", "out of memory");
    return 0;
  }
  if (ch->failed && now - ch->failed_at < 5)
    return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS", "%s", ch->failed);
  rc = chain_find(ch, out, &why);
  if (rc == 0) {
    ecs_buf_free(&why);
    free(ch->failed);
    ch->failed = NULL;
    if (handed_out(ch, out) < 0)
      return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS", "out of memory");
    return 0;
  }
  find_error(ch, rc, &why, err);
  ecs_buf_free(&why);
  if (rc == 1 || rc == FIND_STOP) { /* remembered: slow failures are not repeated at once */
    free(ch->failed);
    ch->failed = err->message ? strdup(err->message) : NULL;
    ch->failed_at = now;
  }
  return -1;
}

/* The default chain, once. */
int ecs_creds_default(ecs_creds *out, ecs_error *err) {
  ecs_creds_chain *ch = ecs_creds_chain_new(NULL);
  int rc;
  if (!ch) return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS", "out of memory");
  rc = ecs_creds_chain_get(ch, out, err);
  ecs_creds_chain_free(ch);
  return rc;
}
