/* creds.h - credentials and where they come from.
 *
 * Secrets (access_key_secret, security_token) are wiped when freed and must
 * never be copied into messages, logs or errors.
 */
#ifndef ECS_CREDS_H
#define ECS_CREDS_H

#include "errors.h"

typedef struct ecs_creds {
  char *access_key_id;
  char *access_key_secret;
  char *security_token; /* NULL unless STS */
  char *provider;       /* value for x-acs-credentials-provider: "static_ak",
                           "static_sts", "env", ... */
  double expiration;    /* unix seconds; 0 = does not expire */
} ecs_creds;

void ecs_creds_init(ecs_creds *c);
void ecs_creds_free(ecs_creds *c); /* wipes secrets */
/* Deep copy; 0 or -1. */
int ecs_creds_copy(ecs_creds *dst, const ecs_creds *src);
/* Sets id/secret/token (copies; token may be NULL) and the provider name
 * ("static_ak" or "static_sts" when provider is NULL). 0 or -1. */
int ecs_creds_set(ecs_creds *c, const char *id, const char *secret,
                  const char *token, const char *provider);

/* Reads ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET /
 * ALIBABA_CLOUD_SECURITY_TOKEN, and the aliyun CLI aliases in the CLI's
 * order (ecs-facts 6.2): for each of the three, the ALIBABACLOUD_*, then
 * ALICLOUD_*, then bare name (ACCESS_KEY_ID, ACCESS_KEY_SECRET,
 * SECURITY_TOKEN); the first non-empty one wins.
 * Returns 0 when found (provider "env"), 1 when the variables are absent,
 * -1 with err set (ECREDS) when only one half is set. */
int ecs_creds_from_env(ecs_creds *out, ecs_error *err);

/* The default chain for now: env. Returns 0, or -1 with err ECREDS naming
 * what was looked for. */
int ecs_creds_default(ecs_creds *out, ecs_error *err);

#endif
