/* lecs_records.c - reading the records back: core.audit_read, the audit
 * file read and paired by runtime/audit_read.c and handed to audit.lua
 * (ecs.audit.read / ecs.audit.done) as Lua tables. */
#include "audit_read.h"
#include "lecs_internal.h"

#define LECS_AUDIT_LOG "ecs.audit.log" /* the log userdata's metatable */

static int log_gc(lua_State *L) {
  ecs_audit_read_free(luaL_checkudata(L, 1, LECS_AUDIT_LOG));
  return 0;
}

/* Pushes a new empty log owned by a userdata whose __gc frees it, so that
 * a raise while its trees are converted leaks nothing. */
static ecs_audit_log *log_new(lua_State *L) {
  ecs_audit_log *log = lua_newuserdatauv(L, sizeof *log, 0);
  ecs_audit_read_init(log);
  if (luaL_newmetatable(L, LECS_AUDIT_LOG)) {
    lua_pushcfunction(L, log_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return log;
}

/* Pushes entry e as { intent = rec, outcome = rec } or, for an outcome
 * that matched no intent, { outcome = rec, orphan = true }; each rec as
 * ecs.json.decode gives it. */
static void push_entry(lua_State *L, const ecs_audit_entry *e) {
  lua_createtable(L, 0, 2);
  if (e->intent) {
    lecs_push_json(L, e->intent);
    lua_setfield(L, -2, "intent");
  } else {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "orphan");
  }
  if (e->outcome) {
    lecs_push_json(L, e->outcome);
    lua_setfield(L, -2, "outcome");
  }
}

/* core.audit_read(path) -> calls, skipped | nil, err. calls: the entries in
 * file order; skipped: how many lines were not JSON. err: ECONFIG naming
 * the path when the file cannot be read. */
static int lecs_audit_read(lua_State *L) {
  size_t i;
  const char *path;
  ecs_audit_log *log;
  ecs_error e;
  luaL_checktype(L, 1, LUA_TSTRING);
  path = lecs_checkcstr(L, 1, 1, "read", "path");
  log = log_new(L);
  ecs_error_init(&e);
  if (ecs_audit_read_file(path, log, &e) < 0) {
    ecs_audit_read_free(log);
    lua_pushnil(L);
    lecs_push_error(L, &e);
    ecs_error_free(&e);
    return 2;
  }
  lua_createtable(L, log->n < 0x7fffffff ? (int)log->n : 0, 0);
  for (i = 0; i < log->n; i++) {
    push_entry(L, &log->v[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_pushinteger(L, (lua_Integer)log->skipped);
  ecs_audit_read_free(log); /* now, not at the next collection */
  return 2;
}

const luaL_Reg lecs_records_core[] = {{"audit_read", lecs_audit_read}, {NULL, NULL}};
