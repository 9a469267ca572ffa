/* fuzz_entry.c - the simulator without a socket: a simulator object with a
 * loaded fleet and no listener, and one request run from its raw parts
 * (method, request-target, headers, body) through handle.c's sim_handle,
 * the same code the libmicrohttpd server runs (/_sim/ documents are not
 * served here). For the fuzzers (tests/fuzz) and the regression tests;
 * nothing else links it.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

ecs_sim *sim_offline_new(const char *fleet_json, size_t n, char *err, size_t errlen) {
  ecs_sim *s = sim_new();
  if (!s) return NULL;
  if (sim_fleet_load(&s->f, fleet_json, n, err, errlen) < 0) {
    sim_destroy(s);
    return NULL;
  }
  s->quiet = 1;
  s->token_salt = 0x5eed5eedu; /* fixed: NextTokens are reproducible */
  return s;
}

void sim_offline_free(ecs_sim *s) { sim_destroy(s); }

/* Runs one request (see sim_internal.h). */
int sim_handle_raw(ecs_sim *s, const char *method, const char *target,
                   const ecs_params *headers, const char *body, size_t body_len,
                   long long now_ms, sim_resp *r) {
  sim_raw_req in;
  sim_exchange x;
  ecs_params h;
  int rc;
  memset(r, 0, sizeof *r);
  r->retry_after_ms = -1;
  if (ecs_params_copy(&h, headers) < 0) return -1;
  memset(&in, 0, sizeof in);
  in.method = method;
  in.target = target;
  in.headers = &h; /* taken */
  in.body = body;
  in.body_len = body_len;
  in.now_ms = now_ms;
  in.request_id = "00000000-0000-4000-8000-000000000000";
  rc = sim_handle(s, &in, &x);
  if (rc == 0) {
    *r = x.resp; /* handed to the caller */
    memset(&x.resp, 0, sizeof x.resp);
  }
  sim_exchange_free(&x);
  return rc;
}
