/* engine.c - the call engine (see engine.h): the engine, its live and
 * completed calls, and each call's life from submission to discard. The
 * audit records are engine_audit.c's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "engine_internal.h"
#include "ratelimit.h"

double ecs_engine_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ engine */

ecs_engine *ecs_engine_new(ecs_error *e) {
  ecs_engine *g = calloc(1, sizeof *g);
  if (!g || !(g->limits = ecs_ratelimit_new())) {
    free(g);
    ecs_error_set(e, ECS_KIND_CONFIG, "ENOMEM", "out of memory");
    return NULL;
  }
  if (!(g->http = ecs_http_new())) {
    ecs_ratelimit_free(g->limits);
    free(g);
    ecs_error_set(e, ECS_KIND_CONFIG, "ECONFIG", "cannot initialise libcurl");
    return NULL;
  }
  return g;
}

static void call_free(ecs_call *c);
static void call_take(ecs_call *c);

void ecs_engine_free(ecs_engine *g) {
  if (!g) return;
  ecs_http_free(g->http); /* aborts the transfers first: no callback runs */
  g->http = NULL;
  g->done_head = NULL;
  while (g->calls) {
    ecs_call *c = g->calls;
    call_take(c); /* also clears its owner */
    call_free(c);
  }
  ecs_ratelimit_free(g->limits);
  ecs_engine_audit_close(g);
  free(g);
}

int ecs_engine_dry_run(const ecs_engine *g) { return g->dry_run; }
void ecs_engine_set_dry_run(ecs_engine *g) { g->dry_run = 1; }

int ecs_engine_run(ecs_engine *g, double t) {
  if (!(t >= 0)) t = 0;
  if (t > 3600) t = 3600;
  if (ecs_http_active(g->http) > 0) {
    if (ecs_http_run(g->http, (long)ceil(t * 1000)) < 0) return -1;
  } else if (t > 0 && !g->done_head) {
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    nanosleep(&ts, NULL); /* a signal cuts it short: the caller loops, and
                             its signal handling gets to run */
  }
  return 0;
}

ecs_call *ecs_engine_next_done(ecs_engine *g) {
  ecs_call *c = g->done_head;
  if (c) {
    g->done_head = c->done_next;
    c->done_next = NULL;
  }
  return c;
}

size_t ecs_engine_live(const ecs_engine *g) {
  size_t n = 0;
  const ecs_call *c;
  for (c = g->calls; c; c = c->next) n++;
  return n;
}

int ecs_engine_inflight(const ecs_engine *g) { return ecs_http_active(g->http); }

/* --------------------------------------------------------------- lifecycle */

ecs_call *ecs_call_new(ecs_engine *g) {
  ecs_call *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  ecs_http_req_init(&c->req);
  ecs_client_config_init(&c->cfg);
  ecs_creds_init(&c->creds);
  ecs_params_init(&c->params);
  ecs_error_init(&c->err);
  c->retry_delay_ms = -1;
  c->eng = g;
  c->t0 = ecs_engine_now();
  c->next = g->calls;
  if (g->calls) g->calls->prev = c;
  g->calls = c;
  return c;
}

static void call_free(ecs_call *c) {
  ecs_http_req_free(&c->req);
  ecs_client_config_free(&c->cfg);
  ecs_creds_free(&c->creds);
  ecs_params_free(&c->params);
  ecs_error_free(&c->err);
  free(c->action);
  free(c->instance_id);
  free(c->region);
  free(c);
}

/* Takes c off the engine's lists and clears its owner: from now on whoever
 * took it frees it. */
static void call_take(ecs_call *c) {
  ecs_engine *g = c->eng;
  ecs_call **p;
  for (p = &g->done_head; *p; p = &(*p)->done_next)
    if (*p == c) {
      *p = c->done_next;
      break;
    }
  if (c->prev) c->prev->next = c->next;
  else if (g->calls == c) g->calls = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  if (c->owner) *c->owner = NULL;
  c->owner = NULL;
}

void ecs_call_discard(ecs_call *c) {
  if (!c) return;
  if (c->state == ECS_CALL_INFLIGHT && c->eng->http) ecs_http_cancel(c->eng->http, &c->req);
  call_take(c);
  call_free(c);
}

int ecs_call_set_action(ecs_call *c, const char *action, const char *region, int dry_run) {
  const char *iid;
  c->dry_run = (c->eng->dry_run || dry_run) && ecs_client_action_mutating(action);
  if (!(c->action = strdup(action)) || (region && !(c->region = strdup(region)))) return -1;
  if ((iid = ecs_params_get(&c->params, "InstanceId")) && !(c->instance_id = strdup(iid))) return -1;
  return 0;
}

int ecs_call_set_raw(ecs_call *c, int raw, ecs_http_req *req) {
  char *m = strdup(req->method ? req->method : "GET");
  if (!m) return -1;
  free(c->action);
  c->action = m;
  ecs_http_req_free(&c->req);
  c->req = *req;
  ecs_http_req_init(req);
  c->raw = raw;
  return 0;
}

void ecs_call_set_retry(ecs_call *c, long long attempt, double delay) {
  c->attempt = attempt > 0 && attempt < 1000000 ? (int)attempt : 0;
  c->retry_delay_ms = delay >= 0 && delay < 1e9 ? (long long)(delay * 1000 + 0.5) : -1;
}

double ecs_call_reserve(ecs_call *c, double qps) {
  char key[512];
  const char *r = c->region ? c->region : ecs_params_get(&c->params, "RegionId");
  if (!r) r = c->cfg.region ? c->cfg.region : "";
  snprintf(key, sizeof key, "%s\n%s\n%s\n%s", c->cfg.product ? c->cfg.product : "ecs",
           c->creds.access_key_id ? c->creds.access_key_id : "", r, c->action ? c->action : "");
  return ecs_ratelimit_reserve(c->eng->limits, key, qps, ecs_engine_now());
}

/* ------------------------------------------------------------------ submit */

void ecs_call_fail(ecs_call *c, ecs_error *e) {
  ecs_error_move(&c->err, e);
  c->state = ECS_CALL_DONE;
}

int ecs_call_done(const ecs_call *c) { return c->state == ECS_CALL_DONE; }

static void call_done_cb(ecs_http_req *req, void *ud) {
  ecs_call *c = ud;
  (void)req;
  c->state = ECS_CALL_DONE;
  c->done_next = c->eng->done_head;
  c->eng->done_head = c;
}

int ecs_call_submit(ecs_call *c) {
  ecs_engine *g = c->eng;
  if (c->state != ECS_CALL_PENDING) return c->state == ECS_CALL_INFLIGHT;
  c->state = ECS_CALL_DONE; /* until the transfer has started */
  if (!c->raw && ecs_client_action_mutating(c->action) && ecs_engine_audit_intent(g, c) < 0)
    return 0; /* not recorded: not sent */
  if (c->dry_run) {
    ecs_error_set(&c->err, ECS_KIND_CONFIG, "EDRYRUN", "dry run: %s was not sent", c->action);
    return 0;
  }
  if (!c->raw && ecs_client_prepare_retry(&c->cfg, &c->creds, c->action, &c->params, c->region,
                                          &(ecs_retry_info){c->attempt, c->retry_delay_ms},
                                          &c->req, &c->err) < 0)
    return 0;
  c->req.done = call_done_cb;
  c->req.ud = c;
  if (ecs_http_submit(g->http, &c->req) < 0) {
    ecs_error_move(&c->err, &c->req.err);
    if (c->err.kind == ECS_KIND_NONE)
      ecs_error_set(&c->err, ECS_KIND_TRANSPORT, "EHTTP", "could not start the transfer");
    return 0;
  }
  c->state = ECS_CALL_INFLIGHT;
  return 1;
}

/* ------------------------------------------------------------------ finish */

int ecs_call_finish(ecs_call *c, cJSON **body, ecs_error *err) {
  int rc = -1;
  *body = NULL;
  if (c->err.kind != ECS_KIND_NONE) ecs_error_move(err, &c->err);
  else if (c->raw && !c->req.failed) return 0;
  else if (c->raw) ecs_error_move(err, &c->req.err);
  else rc = ecs_client_finish(&c->req, body, err);
  ecs_engine_audit_outcome(c->eng, c, rc == 0 ? *body : NULL, rc == 0 ? NULL : err);
  if (rc == 0) return 0;
  if (!err->action) ecs_error_field(&err->action, c->action);
  if (!err->instance_id) ecs_error_field(&err->instance_id, c->instance_id);
  return -1;
}

long ecs_call_status(const ecs_call *c) { return c->req.status; }

const ecs_params *ecs_call_headers(const ecs_call *c) { return &c->req.resp_headers; }

const char *ecs_call_body(const ecs_call *c, size_t *len) {
  if (len) *len = c->req.resp_body.len;
  return c->req.resp_body.len ? c->req.resp_body.data : "";
}
