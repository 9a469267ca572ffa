/* creds.c - credentials, credential sources and the default provider chain
 * (see creds.h). The network lives in creds_net.c, the files and the
 * external process in creds_files.c.
 *
 * Secrets are wiped on free and never appear in error messages: messages
 * name the variables, files and roles looked for, never their values.
 */
#include "creds.h"

#include <ctype.h>
#include <pwd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

void ecs_creds_init(ecs_creds *c) { memset(c, 0, sizeof *c); }

void ecs_creds_free(ecs_creds *c) {
  free(c->access_key_id);
  ecs_free_secret(c->access_key_secret);
  ecs_free_secret(c->security_token);
  free(c->provider);
  ecs_creds_init(c);
}

/* Copies src into *dst (NULL stays NULL). 0 or -1. */
static int dup_opt(char **dst, const char *src) {
  *dst = NULL;
  if (src && !(*dst = strdup(src))) return -1;
  return 0;
}

int ecs_creds_copy(ecs_creds *dst, const ecs_creds *src) {
  ecs_creds_init(dst);
  if (dup_opt(&dst->access_key_id, src->access_key_id) < 0 ||
      dup_opt(&dst->access_key_secret, src->access_key_secret) < 0 ||
      dup_opt(&dst->security_token, src->security_token) < 0 ||
      dup_opt(&dst->provider, src->provider) < 0) {
    ecs_creds_free(dst);
    return -1;
  }
  dst->expiration = src->expiration;
  return 0;
}

/* Replaces c's contents; on failure c is left as it was. An empty token
 * counts as none. */
int ecs_creds_set(ecs_creds *c, const char *id, const char *secret,
                  const char *token, const char *provider) {
  ecs_creds n;
  ecs_creds_init(&n);
  if (token && !*token) token = NULL;
  if (!provider) provider = token ? "static_sts" : "static_ak";
  if (!id || !secret || dup_opt(&n.access_key_id, id) < 0 ||
      dup_opt(&n.access_key_secret, secret) < 0 ||
      dup_opt(&n.security_token, token) < 0 || dup_opt(&n.provider, provider) < 0) {
    ecs_creds_free(&n);
    return -1;
  }
  ecs_creds_free(c);
  *c = n;
  return 0;
}

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

/* ------------------------------------------------------------- helpers */

double ecs_creds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "YYYY-MM-DDThh:mm:ssZ" (20 chars) or "YYYY-MM-DDThh:mm:ss.sssZ" (24), as
 * the SDK accepts them (ecs-facts 6.5). */
double ecs_creds_parse_time(const char *s) {
  struct tm tm;
  int y, mo, d, h, mi, se, ms = 0, k = 0;
  size_t n = s ? strlen(s) : 0;
  if (n == 20) {
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &k) != 6 || k != 20)
      return -1;
  } else if (n == 24) {
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &se, &ms, &k) != 7 ||
        k != 24)
      return -1;
  } else {
    return -1;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return -1;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  return (double)timegm(&tm) + ms / 1000.0;
}

const char *ecs_creds_env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

int ecs_creds_env_true(const char *name) {
  const char *v = ecs_creds_env(name);
  return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

int ecs_creds_dup(char **dst, const char *src) { return dup_opt(dst, src); }

char *ecs_creds_sts_endpoint(const char *configured, const char *region) {
  const char *e = ecs_creds_env("ALIBABA_CLOUD_STS_ENDPOINT");
  ecs_buf b;
  if (!e) e = configured && *configured ? configured : NULL;
  if (!region || !*region) region = ecs_creds_env("ALIBABA_CLOUD_STS_REGION");
  ecs_buf_init(&b);
  if (e) {
    size_t n = strlen(e);
    if (!strstr(e, "://") && ecs_buf_adds(&b, "https://") < 0) return NULL;
    if (n && e[n - 1] == '/') n--;
    if (ecs_buf_add(&b, e, n) < 0) return NULL;
  } else if (region) {
    if (ecs_buf_addf(&b, "https://sts%s.%s.aliyuncs.com",
                     ecs_creds_env_true("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED") ? "-vpc" : "",
                     region) < 0)
      return NULL;
  } else if (ecs_buf_adds(&b, "https://sts.aliyuncs.com") < 0) {
    return NULL;
  }
  return ecs_buf_steal(&b);
}

/* Paths already warned about in this process (a refresh re-reads the file;
 * one warning is enough). Bounded: past the last slot, warnings repeat. */
static char *warned[16];
static pthread_mutex_t warned_mu = PTHREAD_MUTEX_INITIALIZER;

static int warn_once(const char *path) {
  size_t i;
  int first = 1;
  pthread_mutex_lock(&warned_mu);
  for (i = 0; i < sizeof warned / sizeof warned[0]; i++) {
    if (!warned[i]) {
      warned[i] = strdup(path);
      break;
    }
    if (strcmp(warned[i], path) == 0) {
      first = 0;
      break;
    }
  }
  pthread_mutex_unlock(&warned_mu);
  return first;
}

void ecs_creds_check_mode(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && (st.st_mode & 077) && warn_once(path))
    fprintf(stderr,
            "ecsrun: warning: credentials file %s is readable by group or others "
            "(mode %03o); run: chmod 600 %s\n",
            path, (unsigned)(st.st_mode & 0777), path);
}

/* $HOME (else the password database) + rel into a heap string, or NULL. */
static char *home_path(const char *rel) {
  const char *home = ecs_creds_env("HOME");
  ecs_buf b;
  if (!home) {
    struct passwd *pw = getpwuid(getuid());
    home = pw ? pw->pw_dir : NULL;
  }
  if (!home) return NULL;
  ecs_buf_init(&b);
  if (ecs_buf_addf(&b, "%s/%s", home, rel) < 0) return NULL;
  return ecs_buf_steal(&b);
}

/* -------------------------------------------------------------- sources */

ecs_src *ecs_src_new(ecs_src_kind kind, const char *name) {
  ecs_src *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->kind = kind;
  s->duration = 3600;
  ecs_creds_init(&s->fixed);
  ecs_creds_init(&s->cache);
  if (!(s->name = strdup(name))) {
    free(s);
    return NULL;
  }
  return s;
}

void ecs_src_free(ecs_src *s) {
  if (!s) return;
  free(s->name);
  ecs_creds_free(&s->fixed);
  ecs_src_free(s->source);
  free(s->role_arn);
  free(s->session);
  free(s->policy);
  free(s->external_id);
  free(s->sts_endpoint);
  free(s->role_name);
  free(s->url);
  free(s->oidc_provider_arn);
  free(s->oidc_token_file);
  free(s->command);
  ecs_creds_free(&s->cache);
  free(s);
}

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
static int src_fetch(ecs_src *s, ecs_creds *out, ecs_buf *why) {
  ecs_creds base;
  ecs_buf sw;
  int rc;
  switch (s->kind) {
  case SRC_ROLE_ARN:
    ecs_creds_init(&base);
    ecs_buf_init(&sw);
    if (ecs_src_get(s->source, &base, &sw) < 0) {
      ecs_buf_addf(why, "credentials of the source for AssumeRole (%s): %s", s->source->name,
                   ecs_buf_cstr(&sw));
      ecs_buf_free(&sw);
      return -1;
    }
    ecs_buf_free(&sw);
    rc = ecs_sts_assume(s, &base, out, why);
    ecs_creds_free(&base);
    return rc;
  case SRC_OIDC: return ecs_sts_assume(s, NULL, out, why);
  case SRC_ECS_ROLE: return ecs_imds_fetch(s->role_name, out, why);
  case SRC_URI: return ecs_uri_fetch(s->url, out, why);
  case SRC_EXTERNAL: return ecs_external_fetch(s->command, out, why);
  default: return ecs_buf_adds(why, "no credentials"), -1;
  }
}

int ecs_src_get(ecs_src *s, ecs_creds *out, ecs_buf *why) {
  double now = ecs_creds_now();
  const ecs_creds *use;
  ecs_creds fresh;
  if (s->kind == SRC_STATIC) {
    use = &s->fixed;
  } else {
    if (!s->have || stale(s, now)) {
      ecs_creds_init(&fresh);
      if (src_fetch(s, &fresh, why) == 0) {
        ecs_creds_free(&s->cache);
        s->cache = fresh;
        s->have = 1;
        s->obtained = now;
        ecs_buf_reset(why);
      } else {
        ecs_creds_free(&fresh);
        /* keep using credentials that have not expired yet */
        if (!s->have || (s->cache.expiration && s->cache.expiration <= now)) return -1;
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
};

/* The config.json path, unless profiles are ignored; NULL otherwise. */
static char *cli_config_path(void) {
  if (ecs_creds_env_true("ALIBABA_CLOUD_IGNORE_PROFILE") ||
      ecs_creds_env_true("ALIBABA_CLOUD_CLI_PROFILE_DISABLED"))
    return NULL;
  return home_path(".aliyun/config.json");
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
    ch->region = ecs_cli_profile_region(path, profile);
    free(path);
  }
  return ch;
}

void ecs_creds_chain_free(ecs_creds_chain *ch) {
  if (!ch) return;
  free(ch->profile);
  ecs_src_free(ch->src);
  free(ch->region);
  free(ch->failed);
  ecs_creds_free(&ch->last);
  free(ch);
}

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
  if (!(s = ecs_src_new(SRC_OIDC, "oidc_role_arn")) || dup_opt(&s->role_arn, arn) < 0 ||
      dup_opt(&s->oidc_provider_arn, prov) < 0 || dup_opt(&s->oidc_token_file, file) < 0 ||
      dup_opt(&s->session, sess ? sess : dflt) < 0 ||
      !(s->sts_endpoint = ecs_creds_sts_endpoint(NULL, NULL))) {
    ecs_src_free(s);
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
  if (!(s = ecs_src_new(SRC_ECS_ROLE, "ecs_ram_role")) ||
      dup_opt(&s->role_name, ecs_creds_env("ALIBABA_CLOUD_ECS_METADATA")) < 0) {
    ecs_src_free(s);
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
  if (!(s = ecs_src_new(SRC_URI, "credential_uri")) || dup_opt(&s->url, u) < 0) {
    ecs_src_free(s);
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
  if (!(s = ecs_src_new(SRC_STATIC, "env"))) return -1;
  rc = ecs_creds_from_env(&s->fixed, &e);
  if (rc != 0) {
    ecs_buf_adds(why, rc > 0 ? "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET "
                               "not set (nor the ALIBABACLOUD_*, ALICLOUD_* aliases)"
                             : (e.message ? e.message : "not usable"));
    ecs_error_free(&e);
    ecs_src_free(s);
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
  rc = ecs_cli_profile_load(path, env_profile(ch), out, &region, why);
  free(region);
  if (rc == 1) ecs_buf_adds(why, "file missing");
  free(path);
  return rc == 0 ? 0 : 1;
}

static int build_ini(const ecs_creds_chain *ch, ecs_src **out, ecs_buf *why) {
  const char *envp = ecs_creds_env("ALIBABA_CLOUD_CREDENTIALS_FILE");
  char *path;
  int rc;
  if (ecs_creds_env_true("ALIBABA_CLOUD_IGNORE_PROFILE")) {
    ecs_buf_adds(why, "ignored (ALIBABA_CLOUD_IGNORE_PROFILE)");
    return 1;
  }
  path = envp ? strdup(envp) : home_path(".alibabacloud/credentials");
  if (!path) {
    ecs_buf_adds(why, "no home directory");
    return 1;
  }
  ecs_buf_addf(why, "%s: ", path);
  rc = ecs_ini_profile_load(path, env_profile(ch), out, why);
  if (rc == 1)
    ecs_buf_adds(why, envp ? "file missing (named by ALIBABA_CLOUD_CREDENTIALS_FILE)"
                           : "file missing");
  free(path);
  return rc == 0 ? 0 : 1;
}

/* Tries each provider in order; the first that yields credentials becomes
 * the sticky one. Collects "name: why" for the others. */
static int chain_find(ecs_creds_chain *ch, ecs_creds *out, ecs_buf *tried) {
  static const char *const names[] = {"environment", "OIDC", "aliyun CLI config",
                                      "credentials file", "ECS metadata", "credentials URI"};
  int i;
  for (i = 0; i < 6; i++) {
    ecs_src *s = NULL;
    ecs_buf why;
    int rc;
    ecs_buf_init(&why);
    switch (i) {
    case 0: rc = build_env(&s, &why); break;
    case 1: rc = build_oidc(&s, &why); break;
    case 2: rc = build_cli(ch, &s, &why); break;
    case 3: rc = build_ini(ch, &s, &why); break;
    case 4: rc = build_imds(&s, &why); break;
    default: rc = build_uri(&s, &why); break;
    }
    if (rc < 0) {
      ecs_buf_free(&why);
      return -1;
    }
    if (rc == 0) {
      if (ecs_src_get(s, out, &why) == 0) {
        ecs_buf_free(&why);
        ch->src = s;
        return 0;
      }
      ecs_src_free(s);
    }
    ecs_buf_addf(tried, "%s%s: %s", tried->len ? "; " : "", names[i], ecs_buf_cstr(&why));
    ecs_buf_free(&why);
  }
  return 1;
}

int ecs_creds_chain_get(ecs_creds_chain *ch, ecs_creds *out, ecs_error *err) {
  ecs_buf why;
  int rc;
  double now = ecs_creds_now();
  ecs_buf_init(&why);
  if (ch->src) {
    if (ecs_src_get(ch->src, out, &why) < 0) {
      ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS", "credentials from %s: %s",
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
  if (rc < 0) {
    ecs_buf_free(&why);
    return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS", "out of memory");
  }
  ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS",
                "no credentials found; tried %s", ecs_buf_cstr(&why));
  ecs_buf_free(&why);
  free(ch->failed);
  ch->failed = err->message ? strdup(err->message) : NULL;
  ch->failed_at = now;
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
