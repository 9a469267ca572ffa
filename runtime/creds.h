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

/* The default chain, once: builds a chain (profile NULL), gets its
 * credentials and frees it. Returns 0, or -1 with err ECREDS listing what
 * was tried and why each failed. */
int ecs_creds_default(ecs_creds *out, ecs_error *err);

/* ---- the default provider chain (ecs-facts 6.1) ----
 *
 * In the official SDKs' order: environment -> OIDC (AssumeRoleWithOIDC) ->
 * the aliyun CLI's ~/.aliyun/config.json -> the INI file
 * ~/.alibabacloud/credentials (or ALIBABA_CLOUD_CREDENTIALS_FILE) -> the ECS
 * metadata service (RAM role) -> ALIBABA_CLOUD_CREDENTIALS_URI. The first
 * provider that yields credentials is remembered ("sticky"); temporary
 * credentials are refreshed synchronously when less than
 * min(15 min, half their lifetime) remains, so in a single-threaded caller
 * a refresh happens once however many callers are waiting. When a refresh
 * fails but the old credentials have not expired yet, they are used.
 * Provider names (x-acs-credentials-provider) are the SDK's, prefixed
 * "default/": "default/env", "default/cli_profile/static_ak",
 * "default/profile/ram_role_arn/static_ak", "default/ecs_ram_role", ...
 * The chain is not thread-safe: one chain per thread. */
typedef struct ecs_creds_chain ecs_creds_chain;

/* A chain for profile (the --profile / ecs.client{profile=} name; NULL:
 * ALIBABA_CLOUD_PROFILE, else config.json's `current`, else "default").
 * An explicit profile is that profile and nothing else, as with the aliyun
 * CLI's --profile: the chain is only config.json's profile of that name,
 * else the INI file's section of that name; environment keys, OIDC, the
 * metadata service and the credentials URI are not consulted, and when
 * neither file has it the error is ECREDS naming the profile and the files
 * looked at. Without one, the whole default chain applies.
 * Reads nothing from the network; config.json is read to learn the
 * profile's region_id. NULL only when out of memory. */
ecs_creds_chain *ecs_creds_chain_new(const char *profile);
/* How the chain reaches credential endpoints (STS, credentials URIs, an
 * overridden metadata host): the ECS calls' ca_file (NULL: the system
 * store) and insecure_http, through http.c's URL policy: plain http:// to a
 * host that is not loopback is ECONFIG before any connection unless
 * insecure_http. Set before the first get. 0, or -1 (out of memory). */
int ecs_creds_chain_set_transport(ecs_creds_chain *ch, const char *ca_file, int insecure_http);
/* The transport options set (NULL / 0 by default). */
const char *ecs_creds_chain_ca_file(const ecs_creds_chain *ch);
int ecs_creds_chain_insecure_http(const ecs_creds_chain *ch);
void ecs_creds_chain_free(ecs_creds_chain *ch); /* wipes cached secrets */
/* The profile name the chain was made for (NULL: the default). */
const char *ecs_creds_chain_profile(const ecs_creds_chain *ch);
/* region_id of the aliyun CLI profile the chain selected, or NULL. */
const char *ecs_creds_chain_region(const ecs_creds_chain *ch);
/* The credentials the chain last handed out (NULL before the first
 * success). Valid until the next ecs_creds_chain_get or free. For
 * reporting who the caller acts as: never print the secret. */
const ecs_creds *ecs_creds_chain_last(const ecs_creds_chain *ch);
/* Current credentials into out (replaced; a deep copy the caller frees).
 * May block on the network (STS, metadata, URI, an external process).
 * Returns 0, or -1 with err ECREDS: one message listing each provider
 * tried and why it failed; never a secret, never an HTML page; or ECONFIG
 * when a credential endpoint's URL was refused (see set_transport). A failed
 * lookup is remembered for 5 s so that many waiting calls do not each
 * repeat slow timeouts. */
int ecs_creds_chain_get(ecs_creds_chain *ch, ecs_creds *out, ecs_error *err);

#endif
