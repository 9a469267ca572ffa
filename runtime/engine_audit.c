/* engine_audit.c - the engine's audit trail of mutating calls: what it
 * tells the writer (audit.c) before such a call is sent and once it ended,
 * and the count of lines that could not be written (see engine.h). */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "engine_internal.h"

/* What the audit file says about c. */
static ecs_audit_call audit_call(const ecs_call *c) {
  ecs_audit_call a;
  const char *region = c->region ? c->region : ecs_params_get(&c->params, "RegionId");
  memset(&a, 0, sizeof a);
  a.action = c->action;
  a.instance_id = c->instance_id;
  a.region = region ? region : c->cfg.region;
  a.endpoint = c->cfg.endpoint;
  a.product = c->cfg.product; /* NULL (ECS): the lines stay as they were */
  a.version = c->cfg.version;
  a.access_key_id = c->creds.access_key_id;
  a.params = &c->params;
  a.attempt = c->attempt;
  a.dry_run = c->dry_run;
  return a;
}

/* Remembers a failed audit write (ecsrun exits non-zero for it). */
static void audit_failed(ecs_engine *g, const ecs_error *e) {
  char *m = strdup(e->message ? e->message : "cannot write the audit file");
  g->audit_failures++;
  if (m) {
    free(g->audit_error);
    g->audit_error = m;
  }
}

int ecs_engine_audit_intent(ecs_engine *g, ecs_call *c) {
  ecs_audit_call a = audit_call(c);
  if (!g->audit) return 0;
  if ((c->audit_seq = ecs_audit_intent(g->audit, &a, &c->err)) == 0) {
    audit_failed(g, &c->err);
    return -1;
  }
  return 0;
}

/* ok + request id, or the error code and status; elapsed seconds. */
void ecs_engine_audit_outcome(ecs_engine *g, const ecs_call *c, const cJSON *body,
                              const ecs_error *e) {
  ecs_audit_call a = audit_call(c);
  ecs_audit_result r;
  ecs_error fail;
  if (!c->audit_seq || !g->audit) return;
  memset(&r, 0, sizeof r);
  r.ok = body != NULL;
  if (body) {
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(body, "RequestId");
    if (cJSON_IsString(rid)) r.request_id = rid->valuestring;
    r.status = (int)c->req.status;
  } else if (e) {
    r.code = e->code;
    r.status = e->status;
    r.request_id = e->request_id;
    r.ambiguous = e->ambiguous;
  }
  r.elapsed = ecs_engine_now() - c->t0;
  ecs_error_init(&fail);
  if (ecs_audit_outcome(g->audit, c->audit_seq, &a, &r, &fail) < 0) audit_failed(g, &fail);
  ecs_error_free(&fail);
}

void ecs_engine_audit_close(ecs_engine *g) {
  ecs_audit_close(g->audit);
  g->audit = NULL;
  free(g->audit_error);
  g->audit_error = NULL;
}

int ecs_engine_audit_open(ecs_engine *g, const char *path, ecs_error *e) {
  ecs_audit_close(g->audit);
  g->audit = NULL;
  if (!path) return 0;
  return (g->audit = ecs_audit_open(path, e)) ? 0 : -1;
}

unsigned long ecs_engine_audit_status(const ecs_engine *g, const char **last_error,
                                      const char **run_id) {
  if (last_error) *last_error = g->audit_error;
  if (run_id) *run_id = g->audit ? ecs_audit_run_id(g->audit) : NULL;
  return g->audit_failures;
}
