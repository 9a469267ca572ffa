/* lecs_error.c - the two kinds of failure the module reports: misuse, raised
 * at the caller's line ("bad argument #n to 'fn' (...)"), and err tables
 * ({code=, message=, kind=, ...} with __tostring) for what the environment
 * decides, returned as (nil, err). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lecs_internal.h"

/* Level of the first stack frame outside the module's Lua half (its chunks
 * are named "=[ecs]", "=[ecs.tasks]", ...): the caller of the public
 * function, however many helper layers or tail calls lie between. */
static int caller_level(lua_State *L) {
  lua_Debug ar;
  int lvl = 1;
  while (lua_getstack(L, lvl, &ar)) {
    lua_getinfo(L, "S", &ar);
    /* Lua 5.1 shows a tail call as a frame of its own, "(tail call)" */
    if (strncmp(ar.source, "=[ecs", 5) != 0 && strcmp(ar.what, "tail") != 0) break;
    lvl++;
  }
  return lvl;
}

int lecs_error(lua_State *L, const char *fmt, ...) {
  va_list ap;
  luaL_where(L, caller_level(L));
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_concat(L, 2);
  return lua_error(L);
}

int lecs_argerror(lua_State *L, int arg, const char *fn, const char *fmt, ...) {
  va_list ap;
  const char *msg;
  va_start(ap, fmt);
  msg = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  return lecs_error(L, "bad argument #%d to '%s' (%s)", arg, fn, msg);
}

/* The number at idx within [lo, hi] (NaN is not), else raises naming
 * option name of argument arg of fn. The bounds print the same on every Lua
 * (lua_pushfstring's %f does not). */
double lecs_checkrange(lua_State *L, int idx, int arg, const char *fn, const char *name, double lo,
                       double hi) {
  double d;
  char a[32], b[32];
  if (lua_type(L, idx) != LUA_TNUMBER)
    lecs_argerror(L, arg, fn, "%s: number expected, got %s", name, luaL_typename(L, idx));
  d = lua_tonumber(L, idx);
  if (!(d >= lo && d <= hi)) { /* NaN fails both comparisons */
    snprintf(a, sizeof a, "%.15g", lo);
    snprintf(b, sizeof b, "%.15g", hi);
    lecs_argerror(L, arg, fn, "%s: must be between %s and %s", name, a, b);
  }
  return d;
}

/* The string at idx, refused (naming what inside argument arg of fn) when
 * it holds a NUL byte: C would silently cut it short there. */
const char *lecs_checkcstr(lua_State *L, int idx, int arg, const char *fn, const char *what) {
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  if (s && strlen(s) != n) lecs_argerror(L, arg, fn, "%s: must not contain a NUL byte", what);
  return s;
}

void lecs_check_options(lua_State *L, int idx, int arg, const char *fn, const char *const *names,
                        size_t stride) {
  idx = lua_absindex(L, idx);
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    const char *const *n;
    int ok = 0;
    lua_pop(L, 1); /* the value; the key stays for lua_next */
    if (lua_type(L, -1) == LUA_TSTRING)
      for (n = names; *n && !ok; n = (const char *const *)(const void *)((const char *)n + stride))
        ok = strcmp(*n, lua_tostring(L, -1)) == 0;
    if (!ok) lecs_argerror(L, arg, fn, "unknown option '%s'", luaL_tolstring(L, -1, NULL));
  }
}

void lecs_set_str(lua_State *L, const char *k, const char *v) {
  if (v) {
    lua_pushstring(L, v);
    lua_setfield(L, -2, k);
  }
}

/* Sets field k of the table on top to the JSON text j as a table, as the
 * service sent it (left out when it does not parse). */
static void set_json(lua_State *L, const char *k, const char *j) {
  cJSON *d = j ? cJSON_Parse(j) : NULL;
  if (!d) return;
  lecs_push_json(L, d); /* cannot raise on a parsed tree but for memory */
  cJSON_Delete(d);
  lua_setfield(L, -2, k);
}

void lecs_push_error(lua_State *L, const ecs_error *e) {
  lua_createtable(L, 0, 14);
  lecs_set_str(L, "code", e->code ? e->code : "EUNKNOWN");
  lecs_set_str(L, "message", e->message ? e->message : "");
  if (e->status) {
    lua_pushinteger(L, e->status);
    lua_setfield(L, -2, "status");
  }
  lecs_set_str(L, "request_id", e->request_id);
  lecs_set_str(L, "host_id", e->host_id);
  lecs_set_str(L, "recommend", e->recommend);
  set_json(L, "access_denied_detail", e->access_denied_detail);
  lecs_set_str(L, "action", e->action);
  lecs_set_str(L, "instance_id", e->instance_id);
  lecs_set_str(L, "kind", ecs_error_kind_name(e->kind));
  lua_pushboolean(L, e->retryable);
  lua_setfield(L, -2, "retryable");
  lua_pushboolean(L, e->ambiguous);
  lua_setfield(L, -2, "ambiguous");
  if (e->retry_after >= 0) {
    lua_pushnumber(L, e->retry_after);
    lua_setfield(L, -2, "retry_after");
  }
  luaL_setmetatable(L, LECS_ERROR);
}

/* __tostring of err: "Code (HTTP 403): message [RequestId X]". */
static int error_tostring(lua_State *L) {
  luaL_Buffer b;
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_buffinit(L, &b);
  lua_getfield(L, 1, "code");
  luaL_addstring(&b, lua_isstring(L, -1) ? lua_tostring(L, -1) : "error");
  lua_pop(L, 1);
  lua_getfield(L, 1, "status");
  if (lua_isinteger(L, -1)) {
    lua_pushfstring(L, " (HTTP %d)", (int)lua_tointeger(L, -1));
    luaL_addvalue(&b);
  }
  lua_pop(L, 1);
  lua_getfield(L, 1, "message");
  if (lua_isstring(L, -1) && lua_rawlen(L, -1) > 0) {
    luaL_addstring(&b, ": ");
    luaL_addvalue(&b);
  } else {
    lua_pop(L, 1);
  }
  lua_getfield(L, 1, "request_id");
  if (lua_isstring(L, -1)) {
    lua_pushfstring(L, " [RequestId %s]", lua_tostring(L, -1));
    lua_remove(L, -2);
    luaL_addvalue(&b);
  } else {
    lua_pop(L, 1);
  }
  luaL_pushresult(&b);
  return 1;
}

/* core.error{code=, message=, kind=, ...} -> err table with the metatable
 * (so Lua-side failures such as ETIMEOUT look like the C ones). */
static int lecs_make_error(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  luaL_setmetatable(L, LECS_ERROR);
  return 1;
}

void lecs_new_class(lua_State *L, const char *tname, const char *mm, lua_CFunction f) {
  luaL_newmetatable(L, tname);
  lua_pushcfunction(L, f);
  lua_setfield(L, -2, mm);
  lua_pushstring(L, tname); /* what luaL_typeerror and tostring name (5.1 too) */
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);
}

void lecs_open_error(lua_State *L) { lecs_new_class(L, LECS_ERROR, "__tostring", error_tostring); }

const luaL_Reg lecs_error_core[] = {{"error", lecs_make_error}, {NULL, NULL}};
