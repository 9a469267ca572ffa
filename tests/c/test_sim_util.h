/* test_sim_util.h - helpers shared by the simulator's tests: start a sim
 * from a fleet string, sign V1/V3 requests with sign.h, speak HTTP with
 * libcurl directly (no dependency on the client module).
 */
#ifndef ECS_TEST_SIM_UTIL_H
#define ECS_TEST_SIM_UTIL_H

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "buf.h"
#include "sim.h"

typedef struct http_resp {
  CURLcode rc;
  long status;
  ecs_buf body;
  ecs_params headers; /* lower-cased names */
  cJSON *json;        /* parsed body, or NULL */
} http_resp;

void http_resp_free(http_resp *r);
/* "Code" of a JSON error body, "OK" for 2xx, "" when unparsable. */
const char *resp_code(const http_resp *r);
const char *resp_str(const http_resp *r, const char *key);

/* Starts a quiet simulator on 127.0.0.1:0 from fleet JSON (aborts the test
 * program when it cannot). */
ecs_sim *sim_up(const char *fleet);

/* Plain request. headers may be NULL; body may be NULL. timeout_ms 0 = 10 s.
 * curl may be NULL (a fresh handle) or reused for keep-alive. */
void http_do(CURL *curl, const char *method, const char *url, struct curl_slist *headers,
             const char *body, long timeout_ms, http_resp *out);

/* V1: adds the common parameters that params does not already hold
 * (Format=JSON, Version, Timestamp=now, SignatureNonce=random,
 * SignatureMethod, SignatureVersion, AccessKeyId) - a value "-" in params
 * removes that parameter - signs with secret and writes the final query
 * (Signature last) into q. */
void v1_sign(const char *method, ecs_params *params, const char *ak, const char *secret,
             ecs_buf *q);
/* V1 call: GET query (form 0), POST query (form 0, method POST) or POST
 * form body (form 1). */
void v1_call(ecs_sim *s, const char *method, int form, ecs_params *params, const char *ak,
             const char *secret, http_resp *out);
/* Convenience: GET V1 with the default sim account and NULL-terminated
 * name/value pairs. */
void v1(ecs_sim *s, http_resp *out, ...);

/* V3 POST with params in the query, empty body. token may be NULL. */
void v3_call(ecs_sim *s, const char *action, ecs_params *query, const char *ak,
             const char *secret, const char *token, http_resp *out);

/* Waits (sleeps) ms milliseconds. */
void sleep_ms(long ms);
/* Fetches /_sim/state or /_sim/requests as JSON (caller deletes). */
cJSON *sim_get(ecs_sim *s, const char *path);
/* The instance object from /_sim/state (cJSON owned by *root). */
cJSON *state_instance(cJSON *root, const char *id);

#endif
