/* lecs_json.c - JSON <-> Lua for the `ecs` module: ecs.json.encode/decode,
 * ecs.null, and the conversions the calls use (Lua params -> cJSON -> flat
 * RepeatList pairs; response bodies -> Lua tables).
 *
 * cJSON trees built from Lua live in a "box" userdata whose __gc deletes them,
 * so that a raise in the middle of a conversion leaks nothing. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lecs.h"

#define LECS_BOX "ecs.jsonbox"
#define LECS_ARRAY_MT "ecs.json.array"
#define LECS_MAX_DEPTH 100

static int box_gc(lua_State *L) {
  cJSON **b = luaL_checkudata(L, 1, LECS_BOX);
  cJSON_Delete(*b);
  *b = NULL;
  return 0;
}

/* Pushes a new empty box; returns its slot (see lecs.h). */
struct cJSON **lecs_json_box(lua_State *L) {
  cJSON **b = lua_newuserdatauv(L, sizeof *b, 0);
  *b = NULL;
  if (luaL_newmetatable(L, LECS_BOX)) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return b;
}

void lecs_push_array_mt(lua_State *L) {
  if (luaL_newmetatable(L, LECS_ARRAY_MT)) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "__jsonarray");
  }
}

/* Length of the table at idx if it is a proper sequence 1..n (n may be 0),
 * else -1. Tables carrying the array metatable count as sequences. */
static lua_Integer seq_len(lua_State *L, int idx) {
  lua_Integer n = 0, max = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1); /* value */
    if (lua_type(L, -1) != LUA_TNUMBER || !lua_isinteger(L, -1)) {
      lua_pop(L, 1);
      return -1;
    }
    {
      lua_Integer k = lua_tointeger(L, -1);
      if (k < 1) {
        lua_pop(L, 1);
        return -1;
      }
      if (k > max) max = k;
    }
    n++;
  }
  return max == n ? n : -1;
}

static int is_array_marked(lua_State *L, int idx) {
  int r = 0;
  if (lua_getmetatable(L, idx)) {
    lua_getfield(L, -1, "__jsonarray");
    r = lua_toboolean(L, -1);
    lua_pop(L, 2);
  }
  return r;
}

/* The string at idx; raises when it holds a NUL byte (cJSON keeps C
 * strings: the rest would be silently dropped). */
static const char *checkcstr(lua_State *L, int idx, const char *what, const char *kind) {
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  if (strlen(s) != n) lecs_error(L, "%s (a %s with a NUL byte cannot be encoded)", what, kind);
  return s;
}

/* Converts the value at idx into a new cJSON node. Raises on unsupported
 * values; the caller's box owns what has been attached so far. */
static cJSON *to_json(lua_State *L, int idx, int depth, const char *what);

/* The array idx[1..n] as a JSON array. */
static cJSON *array_to_json(lua_State *L, int idx, lua_Integer n, int depth, const char *what) {
  lua_Integer i;
  cJSON *node = cJSON_CreateArray();
  if (!node) return NULL;
  for (i = 1; i <= n; i++) {
    cJSON *child;
    cJSON **tmp;
    lua_rawgeti(L, idx, i);
    tmp = lecs_json_box(L); /* node is boxed while the child converts: a raise frees it */
    *tmp = node;
    child = to_json(L, -2, depth + 1, what);
    *tmp = NULL;
    lua_pop(L, 2); /* box, value */
    if (!child || !cJSON_AddItemToArray(node, child)) {
      cJSON_Delete(child);
      cJSON_Delete(node);
      luaL_error(L, "%s: out of memory", what);
    }
  }
  return node;
}

/* The key on the stack top (lua_next's) checked as a JSON name; frees node
 * and raises when it cannot be one. */
static const char *object_key(lua_State *L, cJSON *node, const char *what) {
  if (lua_type(L, -2) == LUA_TSTRING) return lua_tostring(L, -2); /* NUL checked once boxed */
  cJSON_Delete(node);
  if (lua_type(L, -2) == LUA_TNUMBER)
    lecs_error(L, "%s (table mixes array items and named keys)", what);
  lecs_error(L, "%s (table key of type %s cannot be a JSON name)", what, luaL_typename(L, -2));
  return NULL;
}

/* The table idx with named keys as a JSON object. */
static cJSON *object_to_json(lua_State *L, int idx, int depth, const char *what) {
  cJSON *node = cJSON_CreateObject();
  if (!node) return NULL;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    cJSON *child;
    cJSON **tmp;
    const char *key = object_key(L, node, what);
    tmp = lecs_json_box(L);
    *tmp = node;
    checkcstr(L, -3, what, "key");
    child = to_json(L, -2, depth + 1, what);
    *tmp = NULL;
    lua_pop(L, 2); /* box, value */
    if (!child || !cJSON_AddItemToObject(node, key, child)) {
      cJSON_Delete(child);
      cJSON_Delete(node);
      luaL_error(L, "%s: out of memory", what);
    }
  }
  return node;
}

static cJSON *table_to_json(lua_State *L, int idx, int depth, const char *what) {
  lua_Integer n;
  luaL_checkstack(L, 4, "json");
  n = seq_len(L, idx);
  if (n > 0 || (n == 0 && is_array_marked(L, idx))) return array_to_json(L, idx, n, depth, what);
  return object_to_json(L, idx, depth, what);
}

static cJSON *to_json(lua_State *L, int idx, int depth, const char *what) {
  cJSON *node = NULL;
  double d;
  idx = lua_absindex(L, idx);
  if (depth > LECS_MAX_DEPTH)
    lecs_error(L, "%s (nested too deep: more than %d levels; a cycle?)", what, LECS_MAX_DEPTH);
  switch (lua_type(L, idx)) {
    case LUA_TNIL: node = cJSON_CreateNull(); break;
    case LUA_TBOOLEAN: node = cJSON_CreateBool(lua_toboolean(L, idx)); break;
    case LUA_TNUMBER:
      d = lua_tonumber(L, idx);
      if (!isfinite(d)) lecs_error(L, "%s (cannot encode %s as JSON)", what, d != d ? "NaN" : "inf");
      node = cJSON_CreateNumber(d);
      break;
    case LUA_TSTRING: node = cJSON_CreateString(checkcstr(L, idx, what, "string")); break;
    case LUA_TTABLE: node = table_to_json(L, idx, depth, what); break;
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, idx) == NULL) { /* ecs.null */
        node = cJSON_CreateNull();
        break;
      }
      /* fallthrough */
    default: lecs_error(L, "%s (cannot encode a %s as JSON)", what, luaL_typename(L, idx));
  }
  if (!node) luaL_error(L, "%s: out of memory", what);
  return node;
}

cJSON *lecs_to_json(lua_State *L, int idx, const char *what) {
  cJSON **b;
  idx = lua_absindex(L, idx);
  b = lecs_json_box(L);
  *b = to_json(L, idx, 0, what);
  return *b;
}

void lecs_push_json(lua_State *L, const cJSON *v) {
  luaL_checkstack(L, 3, "json nesting");
  if (cJSON_IsString(v)) {
    lua_pushstring(L, v->valuestring);
  } else if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if (d == floor(d) && d >= -9007199254740992.0 && d <= 9007199254740992.0)
      lua_pushinteger(L, (lua_Integer)d);
    else
      lua_pushnumber(L, d);
  } else if (cJSON_IsBool(v)) {
    lua_pushboolean(L, cJSON_IsTrue(v));
  } else if (cJSON_IsArray(v)) {
    const cJSON *c;
    lua_Integer i = 1;
    lua_createtable(L, cJSON_GetArraySize(v), 0);
    cJSON_ArrayForEach(c, v) {
      lecs_push_json(L, c);
      lua_rawseti(L, -2, i++);
    }
    lecs_push_array_mt(L);
    lua_setmetatable(L, -2);
  } else if (cJSON_IsObject(v)) {
    const cJSON *c;
    lua_createtable(L, 0, 8);
    cJSON_ArrayForEach(c, v) {
      lecs_push_json(L, c);
      lua_setfield(L, -2, c->string);
    }
  } else {
    lua_pushlightuserdata(L, NULL); /* ecs.null */
  }
}

/* ecs.json.encode(value) -> string. Raises on values JSON cannot hold. */
static int lecs_json_encode(lua_State *L) {
  cJSON *v;
  char *s;
  luaL_checkany(L, 1);
  v = lecs_to_json(L, 1, "bad argument #1 to 'encode'");
  s = cJSON_PrintUnformatted(v);
  if (!s) return luaL_error(L, "encode: out of memory");
  lua_pushstring(L, s);
  cJSON_free(s);
  return 1;
}

/* ecs.json.decode(string) -> value. Raises with the position of bad input. */
static int lecs_json_decode(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  const char *end = NULL;
  cJSON **b = lecs_json_box(L);
  *b = cJSON_ParseWithLengthOpts(s, n, &end, 0);
  if (!*b) {
    size_t at = end && end >= s ? (size_t)(end - s) : 0;
    return luaL_error(L, "bad argument #1 to 'decode' (invalid JSON at byte %d)", (int)at + 1);
  }
  lecs_push_json(L, *b);
  return 1;
}

/* ecs.json.array(t) -> t, marked so that it encodes as [] even when empty. */
static int lecs_json_array(lua_State *L) {
  if (lua_isnoneornil(L, 1)) lua_newtable(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lecs_push_array_mt(L);
  lua_setmetatable(L, 1);
  return 1;
}

void lecs_open_json(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"array", lecs_json_array},
      {"decode", lecs_json_decode},
      {"encode", lecs_json_encode},
      {NULL, NULL}};
  luaL_newlib(L, funcs);
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "null");
}
