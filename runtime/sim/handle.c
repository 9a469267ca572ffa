/* handle.c - one request through the simulator, transport aside.
 *
 * The request-target, headers and body as received become a sim_req (the
 * query decoded once with '+' as space, then a form body when Content-Type
 * is application/x-www-form-urlencoded), which goes to the metadata service
 * (/latest/) or through the method and path checks, sim_verify and the ECS
 * or STS dispatch, and into the request log. server.c (libmicrohttpd) and
 * fuzz_entry.c (no socket) both run requests through sim_handle; reading
 * the connection, rendering, latency and wire faults stay with server.c.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "encode.h"
#include "sim_internal.h"

/* Fills req from in: the raw target, the headers (taken) and the body
 * (borrowed). 0 or -1 (OOM). */
static int build_req(const sim_raw_req *in, sim_req *req, char **path_copy) {
  const char *q = strchr(in->target, '?'), *ct;
  size_t plen = q ? (size_t)(q - in->target) : strlen(in->target);
  req->method = in->method;
  req->raw_query = q ? q + 1 : "";
  req->headers = *in->headers;
  ecs_params_init(in->headers);
  if (!(*path_copy = strndup(in->target, plen))) return -1;
  req->path = *path_copy;
  req->now_ms = in->now_ms;
  if (in->request_id) sim_copy(req->request_id, sizeof req->request_id, in->request_id);
  else sim_request_id(req->request_id);
  req->body.data = (char *)(uintptr_t)in->body; /* borrowed: never freed or written here */
  req->body.len = in->body_len;
  req->host = ecs_params_geti(&req->headers, "Host");
  if (!req->host) req->host = "";
  if (ecs_encode_query_parse(&req->query, req->raw_query, strlen(req->raw_query), 1) < 0 ||
      ecs_params_copy(&req->params, &req->query) < 0)
    return -1;
  ct = ecs_params_geti(&req->headers, "Content-Type");
  if (ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 && req->body.len &&
      ecs_encode_query_parse(&req->params, req->body.data, req->body.len, 1) < 0)
    return -1;
  return 0;
}

/* The answer format: V3 is JSON; V1 follows Format (default XML). */
static int wants_xml(const sim_req *req) {
  const char *authz = ecs_params_geti(&req->headers, "Authorization"), *fmt;
  if (authz && strncmp(authz, "ACS3-", 5) == 0) return 0;
  fmt = ecs_params_get(&req->params, "Format");
  return !(fmt && strcasecmp(fmt, "json") == 0);
}

/* The API proper: method and path checks, authentication, dispatch. */
static void route(ecs_sim *s, sim_req *req, sim_resp *r, int too_large) {
  if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)
    sim_fail(r, 403, "UnsupportedHTTPMethod", "This HTTP method is not supported.");
  else if (too_large)
    sim_fail(r, 413, "InvalidParameter", "The request body is too large.");
  else if (strcmp(req->path, "/") != 0)
    sim_fail(r, 404, "InvalidApi.NotFound",
             "Specified api is not found,please check your url and method.");
  else if (sim_is_sts(s, req) && sim_sts_unsigned(req))
    sim_sts_dispatch(s, req, r); /* AssumeRoleWithOIDC is not signed */
  else if (sim_verify(s, req, r) == 0) {
    if (sim_is_sts(s, req)) sim_sts_dispatch(s, req, r);
    else sim_dispatch(s, req, r);
  }
  if (!r->message && !r->fault && r->code[0] == '\0') {
    r->status = 200;
    sim_copy(r->code, sizeof r->code, "OK");
  }
}

int sim_handle(ecs_sim *s, const sim_raw_req *in, sim_exchange *x) {
  sim_req *req = &x->req;
  sim_resp *r = &x->resp;
  memset(x, 0, sizeof *x);
  r->retry_after_ms = -1;
  ecs_params_init(&req->headers);
  ecs_params_init(&req->query);
  ecs_params_init(&req->params);
  if (build_req(in, req, &x->path) < 0) return -1;
  if (in->sim_docs && strncmp(req->path, "/_sim/", 6) == 0) {
    x->kind = SIM_X_SIM_DOC;
    return 0;
  }
  if (strncmp(req->path, "/latest/", 8) == 0 && sim_imds_enabled(s)) {
    x->kind = SIM_X_IMDS;
    x->imds_ctype = "text/plain";
    sim_imds(s, req, r, &x->imds_ctype, &x->imds_body); /* iam.c: the metadata service */
    sim_log_request(s, req, r);
    return 0;
  }
  x->kind = SIM_X_API;
  req->xml = wants_xml(req);
  route(s, req, r, in->too_large);
  sim_log_request(s, req, r);
  return 0;
}

void sim_exchange_free(sim_exchange *x) {
  x->req.body.data = NULL; /* borrowed from the transport */
  ecs_params_free(&x->req.headers);
  ecs_params_free(&x->req.query);
  ecs_params_free(&x->req.params);
  sim_resp_free(&x->resp);
  free(x->imds_body);
  x->imds_body = NULL;
  free(x->path);
  x->path = NULL;
  x->req.path = NULL;
}
