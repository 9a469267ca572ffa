/* fuzz_entry.c - the simulator without a socket: a simulator object with a
 * loaded fleet and no listener, and one request run from its raw parts
 * (method, request-target, headers, body) through the same steps as
 * server.c's serve(): parse, the metadata service (/latest/), method/path
 * checks, sim_verify, the ECS or STS dispatch, the request log. For the
 * fuzzers (tests/fuzz) and the regression tests; nothing else links it.
 *
 * The request assembly and routing mirror server.c's build_req() and
 * serve() minus libmicrohttpd: keep them in step (query decoded with '+' as
 * space, then a form body when Content-Type is
 * application/x-www-form-urlencoded; /_sim/ documents are not served here).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "encode.h"
#include "sim_internal.h"

ecs_sim *sim_offline_new(const char *fleet_json, size_t n, char *err, size_t errlen) {
  ecs_sim *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  if (pthread_mutex_init(&s->mu, NULL) != 0) {
    free(s);
    return NULL;
  }
  if (sim_fleet_load(&s->f, fleet_json, n, err, errlen) < 0) {
    pthread_mutex_destroy(&s->mu);
    free(s);
    return NULL;
  }
  s->quiet = 1;
  s->token_salt = 0x5eed5eedu; /* fixed: NextTokens are reproducible */
  atomic_init(&s->clock_offset_ms, 0);
  return s;
}

void sim_offline_free(ecs_sim *s) {
  if (!s) return;
  sim_fleet_free(&s->f);
  sim_nonces_free(&s->nonces);
  sim_windows_free(s);
  sim_iam_free(s);
  free(s->log);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

/* Runs one request (see sim_internal.h). */
int sim_handle_raw(ecs_sim *s, const char *method, const char *target,
                   const ecs_params *headers, const char *body, size_t body_len,
                   long long now_ms, sim_resp *r) {
  sim_req req;
  const char *q, *ct;
  char *path = NULL;
  int rc = -1;
  memset(&req, 0, sizeof req);
  memset(r, 0, sizeof *r);
  r->retry_after_ms = -1;
  q = strchr(target, '?');
  req.method = method;
  req.raw_query = q ? q + 1 : "";
  if (!(path = strndup(target, q ? (size_t)(q - target) : strlen(target)))) return -1;
  req.path = path;
  req.now_ms = now_ms;
  memcpy(req.request_id, "00000000-0000-4000-8000-000000000000", 37);
  req.body.data = (char *)body; /* borrowed, as server.c borrows the connection's */
  req.body.len = body_len;
  if (ecs_params_copy(&req.headers, headers) < 0) goto done;
  req.host = ecs_params_geti(&req.headers, "Host");
  if (!req.host) req.host = "";
  if (ecs_parse_query(&req.query, req.raw_query, strlen(req.raw_query), 1) < 0 ||
      ecs_params_copy(&req.params, &req.query) < 0)
    goto done;
  ct = ecs_params_geti(&req.headers, "Content-Type");
  if (ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 && body_len &&
      ecs_parse_query(&req.params, body, body_len, 1) < 0)
    goto done;
  if (strncmp(req.path, "/latest/", 8) == 0 && sim_imds_enabled(s)) {
    const char *ctype = "text/plain";
    char *answer = NULL;
    sim_imds(s, &req, r, &ctype, &answer); /* iam.c: the metadata service */
    sim_log_request(s, &req, r);
    free(answer);
    rc = 0;
    goto done;
  }
  if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
    sim_fail(r, 403, "UnsupportedHTTPMethod", "This HTTP method is not supported.");
  else if (strcmp(req.path, "/") != 0)
    sim_fail(r, 404, "InvalidApi.NotFound",
             "Specified api is not found,please check your url and method.");
  else if (sim_is_sts(s, &req) && sim_sts_unsigned(&req))
    sim_sts_dispatch(s, &req, r); /* AssumeRoleWithOIDC is not signed */
  else if (sim_verify(s, &req, r) == 0) {
    if (sim_is_sts(s, &req)) sim_sts_dispatch(s, &req, r);
    else sim_dispatch(s, &req, r);
  }
  if (!r->message && !r->fault && r->code[0] == '\0') {
    r->status = 200;
    sim_copy(r->code, sizeof r->code, "OK");
  }
  sim_log_request(s, &req, r);
  rc = 0;
done:
  ecs_params_free(&req.headers);
  ecs_params_free(&req.query);
  ecs_params_free(&req.params);
  free(path);
  return rc;
}
