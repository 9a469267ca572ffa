/* creds_util.c - the low-level pieces every credentials file uses: the
 * ecs_creds struct, credential sources (ecs_src), environment, time and
 * string helpers, the STS endpoint and the file-mode warning.
 *
 * The credentials files form a chain, not a circle: creds_util.c <-
 * creds_files.c, creds_net.c <- creds.c (the provider chain). Nothing here
 * calls into the others.
 */
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "creds_internal.h"
#include "isotime.h"

void ecs_creds_init(ecs_creds *c) { memset(c, 0, sizeof *c); }

void ecs_creds_free(ecs_creds *c) {
  free(c->access_key_id);
  ecs_free_secret(c->access_key_secret);
  ecs_free_secret(c->security_token);
  free(c->provider);
  ecs_creds_init(c);
}

int ecs_creds_copy(ecs_creds *dst, const ecs_creds *src) {
  ecs_creds_init(dst);
  if (ecs_str_dup(&dst->access_key_id, src->access_key_id) < 0 ||
      ecs_str_dup(&dst->access_key_secret, src->access_key_secret) < 0 ||
      ecs_str_dup(&dst->security_token, src->security_token) < 0 ||
      ecs_str_dup(&dst->provider, src->provider) < 0) {
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
  if (!id || !secret || ecs_str_dup(&n.access_key_id, id) < 0 ||
      ecs_str_dup(&n.access_key_secret, secret) < 0 ||
      ecs_str_dup(&n.security_token, token) < 0 || ecs_str_dup(&n.provider, provider) < 0) {
    ecs_creds_free(&n);
    return -1;
  }
  ecs_creds_free(c);
  *c = n;
  return 0;
}

int ecs_creds_take(ecs_creds *out, const char *id, const char *sec, const char *tok,
                   double expiration, ecs_buf *why) {
  if (ecs_creds_set(out, id, sec, tok, NULL) < 0) {
    ecs_buf_adds(why, "out of memory");
    return -1;
  }
  out->expiration = expiration;
  return 0;
}

/* ------------------------------------------------------- time and env */

double ecs_creds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Credential expirations: ISO 8601 with or without milliseconds, after 1970. */
double ecs_creds_parse_time(const char *s) {
  double t;
  return ecs_isotime_parse(s, ECS_ISOTIME_MILLIS, &t) == 0 && t >= 0 ? t : -1;
}

const char *ecs_creds_env(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

int ecs_creds_env_true(const char *name) {
  const char *v = ecs_creds_env(name);
  return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

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

char *ecs_creds_home_path(const char *rel) {
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

/* -------------------------------------------------------------- sources */

ecs_src *ecs_creds_src_new(ecs_src_kind kind, const char *name) {
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

void ecs_creds_src_free(ecs_src *s) {
  if (!s) return;
  free(s->name);
  ecs_creds_free(&s->fixed);
  ecs_creds_src_free(s->source);
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
