/* creds.c - credentials and the default provider chain (see creds.h).
 *
 * Secrets are wiped on free and never appear in error messages: messages
 * name the variables looked for, never their values.
 */
#include "creds.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

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

/* The default chain: for now only the environment. */
int ecs_creds_default(ecs_creds *out, ecs_error *err) {
  int rc = ecs_creds_from_env(out, err);
  if (rc == 0) return 0;
  if (rc < 0) return -1;
  return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS",
                       "no credentials found: set ALIBABA_CLOUD_ACCESS_KEY_ID and "
                       "ALIBABA_CLOUD_ACCESS_KEY_SECRET (optionally "
                       "ALIBABA_CLOUD_SECURITY_TOKEN); also looked for "
                       "ALIBABACLOUD_*, ALICLOUD_* and ACCESS_KEY_ID/ACCESS_KEY_SECRET");
}
