/* lecs_audit.c - core.audit_open / core.audit_status: the audit file of
 * the call engine. What is recorded, and when, is runtime/engine_audit.c's;
 * runtime/audit.c writes the lines. */
#include "lecs_internal.h"

/* core.audit_open(path) -> true | nil, err: appends the audit trail of every
 * mutating call to path (created 0600) under a fresh run id.
 * core.audit_open(nil) closes it. */
static int lecs_audit_open(lua_State *L) {
  lecs_ctx *x = lecs_ctx_get(L);
  const char *path = luaL_optstring(L, 1, NULL);
  ecs_error e;
  if (path) lecs_checkcstr(L, 1, 1, "open", "path");
  ecs_error_init(&e);
  if (ecs_engine_audit_open(x->engine, path, &e) < 0) {
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
  const char *last, *run;
  unsigned long n = ecs_engine_audit_status(lecs_ctx_get(L)->engine, &last, &run);
  lua_pushinteger(L, (lua_Integer)n);
  if (last) lua_pushstring(L, last);
  else lua_pushnil(L);
  if (run) lua_pushstring(L, run);
  else lua_pushnil(L);
  return 3;
}

const luaL_Reg lecs_audit_core[] = {
    {"audit_open", lecs_audit_open},
    {"audit_status", lecs_audit_status},
    {NULL, NULL}};
