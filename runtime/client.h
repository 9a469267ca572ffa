/* client.h - ECS API calls: action + parameters -> signed HTTP request, and
 * HTTP response -> result or error. No I/O here: the http engine transfers.
 */
#ifndef ECS_CLIENT_H
#define ECS_CLIENT_H

#include "buf.h"
#include "creds.h"
#include "errors.h"
#include "http.h"

struct cJSON;

#define ECS_API_VERSION "2014-05-26"

typedef struct ecs_client_config {
  char *region;            /* default region (NULL: none) */
  char *endpoint;          /* "https://host[:port]" or "http://127.0.0.1:port";
                              NULL: resolved from the region */
  char *network;           /* NULL or "vpc" for endpoint resolution */
  int signature;           /* 3 (default) or 1 */
  long connect_timeout_ms; /* default 5000 */
  long timeout_ms;         /* default 10000 */
  size_t max_response;     /* default 8 MiB */
  char *user_agent;        /* appended to the default user agent */
  char *ca_file;
  int insecure_http;
  char *product;           /* RPC product code (product.h); NULL: "ecs" */
  char *version;           /* API version; NULL: the product's default
                              (ECS 2014-05-26; other products need one) */
} ecs_client_config;

void ecs_client_config_init(ecs_client_config *c);
void ecs_client_config_free(ecs_client_config *c);
int ecs_client_config_copy(ecs_client_config *dst, const ecs_client_config *src);

/* Builds a signed ECS request for action into req (freshly init'ed, or one
 * used before: its previous inputs and outputs are replaced, done/ud kept,
 * so a retry re-prepares the same struct; it must not be in flight). params are the operation parameters, already flat.
 * region: the call's region, else params' RegionId, else cfg->region; for
 * ECS it is added as RegionId when params have none (other products only
 * use it for the endpoint: see product.h). V3: POST /?<params>, empty body,
 * x-acs-* headers, Authorization; V1: POST /?<all params incl. Signature>.
 * A fresh nonce and timestamp every time. Returns 0, or -1 with err set
 * (ECONFIG: no region/bad endpoint, no version for a non-ECS product, a
 * product whose endpoint is unknown and not given; ECREDS: no credentials). */
int ecs_client_prepare(const ecs_client_config *cfg, const ecs_creds *creds,
                       const char *action, const ecs_params *params,
                       const char *region, ecs_http_req *req, ecs_error *err);

/* A retried request: attempt is its number (1 = first; from 2 on it carries
 * x-acs-retry-attempts: attempt-1), delay_ms the wait before it (sent as
 * x-acs-retry-delay when >= 0). Under V3 both are signed (every x-acs-*
 * header is); under V1 they travel unsigned, as the SDK and CLI send them. */
typedef struct ecs_retry_info {
  int attempt;
  long long delay_ms;
} ecs_retry_info;

/* ecs_client_prepare for a retry (retry NULL: a first attempt). */
int ecs_client_prepare_retry(const ecs_client_config *cfg, const ecs_creds *creds,
                             const char *action, const ecs_params *params,
                             const char *region, const ecs_retry_info *retry,
                             ecs_http_req *req, ecs_error *err);

/* Interprets a completed request. On success (2xx with a JSON object body)
 * stores the parsed body in *body (caller cJSON_Delete's it) and returns 0.
 * Otherwise returns -1 with err filled: transport errors copied from req;
 * error bodies -> code, message, request_id, host_id, recommend, status;
 * kind THROTTLE for codes containing "Throttling"; retryable for throttling,
 * 5xx, InternalError, ServiceUnavailable*, any answer carrying a valid
 * x-acs-retry-after, and transport errors; retry_after from
 * x-acs-retry-after (ms -> s); ambiguous for a 5xx (not Throttling) to a
 * mutating action (named by the request's x-acs-action); a non-JSON or
 * truncated body -> EJSON (kind TRANSPORT) with the status kept,
 * retryable when >= 500, ambiguous (the server saw the request). The request's STS token is redacted from
 * messages. */
int ecs_client_finish(const ecs_http_req *req, struct cJSON **body,
                      ecs_error *err);

/* 1 when the action changes state (not Describe*, List*, Get*, Query*, Check*). */
int ecs_client_action_mutating(const char *action);


#endif
