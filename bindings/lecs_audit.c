/* lecs_audit.c - the audit trail of mutating calls: what the binding tells
 * the writer (runtime/audit.c) before a mutating call is sent and once it
 * ended, and core.audit_open / core.audit_status. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "audit.h"
#include "lecs_internal.h"

/* What the audit file says about c. */
static ecs_audit_call audit_call(const lecs_call *c) {
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
static void audit_failed(lecs_ctx *x, const ecs_error *e) {
  char *m = strdup(e->message ? e->message : "cannot write the audit file");
  x->audit_failures++;
  if (m) {
    free(x->audit_error);
    x->audit_error = m;
  }
}

int lecs_audit_intent(lecs_ctx *x, lecs_call *c) {
  ecs_audit_call a = audit_call(c);
  if (!x->audit) return 0;
  if ((c->audit_seq = ecs_audit_intent(x->audit, &a, &c->err)) == 0) {
    audit_failed(x, &c->err);
    return -1;
  }
  return 0;
}

/* ok + request id, or the error code and status; elapsed seconds. */
void lecs_audit_outcome(lecs_ctx *x, const lecs_call *c, const cJSON *body, const ecs_error *e) {
  ecs_audit_call a = audit_call(c);
  ecs_audit_result r;
  ecs_error fail;
  if (!c->audit_seq || !x->audit) return;
  memset(&r, 0, sizeof r);
  r.ok = body != NULL;
  if (body) {
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(body, "RequestId");
    if (cJSON_IsString(rid)) r.request_id = rid->valuestring;
    r.status = c->req.status;
  } else if (e) {
    r.code = e->code;
    r.status = e->status;
    r.request_id = e->request_id;
    r.ambiguous = e->ambiguous;
  }
  r.elapsed = lecs_mono_now() - c->t0;
  ecs_error_init(&fail);
  if (ecs_audit_outcome(x->audit, c->audit_seq, &a, &r, &fail) < 0) audit_failed(x, &fail);
  ecs_error_free(&fail);
}

void lecs_audit_close(lecs_ctx *x) {
  ecs_audit_close(x->audit);
  x->audit = NULL;
  free(x->audit_error);
  x->audit_error = NULL;
}

/* core.audit_open(path) -> true | nil, err: appends the audit trail of every
 * mutating call to path (created 0600) under a fresh run id.
 * core.audit_open(nil) closes it. */
static int lecs_audit_open(lua_State *L) {
  lecs_ctx *x = lecs_ctx_get(L);
  const char *path = luaL_optstring(L, 1, NULL);
  ecs_error e;
  if (path) lecs_checkcstr(L, 1, 1, "open", "path");
  ecs_audit_close(x->audit);
  x->audit = NULL;
  if (!path) {
    lua_pushboolean(L, 1);
    return 1;
  }
  ecs_error_init(&e);
  if (!(x->audit = ecs_audit_open(path, &e))) {
    lua_pushnil(L);
    lecs_push_error(L, &e);
    ecs_error_free(&e);
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* core.audit_status() -> failures, last_message|nil, run_id|nil: how many
 * audit lines could not be written so far, and the run id of the open file. */
static int lecs_audit_status(lua_State *L) {
  lecs_ctx *x = lecs_ctx_get(L);
  lua_pushinteger(L, (lua_Integer)x->audit_failures);
  if (x->audit_error) lua_pushstring(L, x->audit_error);
  else lua_pushnil(L);
  if (x->audit) lua_pushstring(L, ecs_audit_run_id(x->audit));
  else lua_pushnil(L);
  return 3;
}

const luaL_Reg lecs_audit_core[] = {
    {"audit_open", lecs_audit_open},
    {"audit_status", lecs_audit_status},
    {NULL, NULL}};
