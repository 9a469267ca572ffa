/* lecs_sign.c - ecs.sign.v1 / ecs.sign.v3: the runtime signers exposed to Lua,
 * so that scripts can sign calls to other Alibaba Cloud APIs and the official
 * vectors can be checked from Lua. Pure functions: no clock, no randomness. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "encode.h"
#include "lecs.h"
#include "sign.h"

#define LECS_SIGNBOX "ecs.signbox"

/* C-owned scratch for one signing call, freed by __gc even when a raise
 * interrupts the conversion. */
typedef struct signbox {
  ecs_params params, headers;
  ecs_sign_v1_out v1;
  ecs_sign_v3_out v3;
} signbox;

static int signbox_gc(lua_State *L) {
  signbox *b = luaL_checkudata(L, 1, LECS_SIGNBOX);
  ecs_params_free(&b->params);
  ecs_params_free(&b->headers);
  ecs_sign_v1_out_free(&b->v1);
  ecs_sign_v3_out_free(&b->v3);
  return 0;
}

static signbox *signbox_new(lua_State *L) {
  signbox *b = lua_newuserdatauv(L, sizeof *b, 0);
  memset(b, 0, sizeof *b);
  if (luaL_newmetatable(L, LECS_SIGNBOX)) {
    lua_pushcfunction(L, signbox_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return b;
}

/* Reads string field k of the options table (required unless dflt given). */
static const char *opt_str(lua_State *L, const char *k, const char *dflt, size_t *len) {
  const char *s;
  lua_getfield(L, 1, k);
  if (lua_isnil(L, -1) && dflt) {
    lua_pop(L, 1);
    if (len) *len = strlen(dflt);
    return dflt;
  }
  if (lua_type(L, -1) != LUA_TSTRING) {
    lua_pushfstring(L, "%s: string expected, got %s", k, luaL_typename(L, -1));
    luaL_argerror(L, 1, lua_tostring(L, -1));
  }
  {
    size_t n;
    s = lua_tolstring(L, -1, &n);
    if (len) *len = n;
    else if (strlen(s) != n) { /* read as a C string: a NUL would cut it short */
      lua_pushfstring(L, "%s: must not contain a NUL byte", k);
      luaL_argerror(L, 1, lua_tostring(L, -1));
    }
  }
  lua_pop(L, 1); /* still referenced by the options table */
  return s;
}

/* Flattens the table field k into p (RepeatList rules). Missing is empty. */
static void opt_params(lua_State *L, const char *k, ecs_params *p) {
  lua_getfield(L, 1, k);
  if (!lua_isnil(L, -1)) {
    char what[64];
    cJSON *j;
    if (!lua_istable(L, -1)) {
      lua_pushfstring(L, "%s: table expected, got %s", k, luaL_typename(L, -1));
      luaL_argerror(L, 1, lua_tostring(L, -1));
    }
    snprintf(what, sizeof what, "bad argument #1 (%s)", k);
    j = lecs_to_json(L, -1, what);
    if (ecs_encode_flatten(p, NULL, j) < 0) luaL_error(L, "out of memory");
    lua_pop(L, 1); /* box */
  }
  lua_pop(L, 1);
}

static void set_buf(lua_State *L, const char *k, ecs_buf *b) {
  lua_pushlstring(L, b->data ? b->data : "", b->len);
  lua_setfield(L, -2, k);
}

/* ecs.sign.v1{ method=, params=, access_key_secret= } -> { canonicalized_query,
 * string_to_sign, signature, signature_url_encoded, final_query }. */
static int lecs_sign_v1(lua_State *L) {
  static const char *const keys[] = {"method", "params", "access_key_secret", NULL};
  signbox *b;
  const char *method, *secret;
  ecs_buf enc;
  luaL_checktype(L, 1, LUA_TTABLE);
  lecs_check_options(L, 1, 1, "v1", keys, sizeof *keys);
  method = opt_str(L, "method", "GET", NULL);
  secret = opt_str(L, "access_key_secret", NULL, NULL);
  b = signbox_new(L);
  opt_params(L, "params", &b->params);
  if (ecs_sign_v1(method, &b->params, secret, &b->v1) < 0) return luaL_error(L, "v1: signing failed");
  lua_createtable(L, 0, 5);
  set_buf(L, "canonicalized_query", &b->v1.canonicalized_query);
  set_buf(L, "string_to_sign", &b->v1.string_to_sign);
  set_buf(L, "final_query", &b->v1.final_query);
  lua_pushstring(L, b->v1.signature);
  lua_setfield(L, -2, "signature");
  ecs_buf_init(&enc);
  if (ecs_encode_pct(&enc, b->v1.signature, strlen(b->v1.signature)) < 0) {
    ecs_buf_free(&enc);
    return luaL_error(L, "out of memory");
  }
  lua_pushstring(L, ecs_buf_cstr(&enc));
  ecs_buf_free(&enc);
  lua_setfield(L, -2, "signature_url_encoded");
  return 1;
}

/* ecs.sign.v3{ method=, pathname=, query=, headers=, body=, access_key_id=,
 * access_key_secret= } -> { canonical_query_string, canonical_headers,
 * signed_headers, hashed_payload, canonical_request, hashed_canonical_request,
 * string_to_sign, signature, authorization }. */
static int lecs_sign_v3(lua_State *L) {
  static const char *const keys[] = {"method", "pathname", "query", "headers", "body",
                                     "access_key_id", "access_key_secret", NULL};
  signbox *b;
  const char *method, *path, *id, *secret, *body;
  size_t blen;
  luaL_checktype(L, 1, LUA_TTABLE);
  lecs_check_options(L, 1, 1, "v3", keys, sizeof *keys);
  method = opt_str(L, "method", "POST", NULL);
  path = opt_str(L, "pathname", "/", NULL);
  body = opt_str(L, "body", "", &blen);
  id = opt_str(L, "access_key_id", NULL, NULL);
  secret = opt_str(L, "access_key_secret", NULL, NULL);
  b = signbox_new(L);
  opt_params(L, "query", &b->params);
  opt_params(L, "headers", &b->headers);
  if (ecs_sign_v3(method, path, &b->params, &b->headers, body, blen, id, secret, &b->v3) < 0)
    return luaL_error(L, "v3: signing failed");
  lua_createtable(L, 0, 9);
  set_buf(L, "canonical_query_string", &b->v3.canonical_query);
  set_buf(L, "canonical_headers", &b->v3.canonical_headers);
  set_buf(L, "signed_headers", &b->v3.signed_headers);
  set_buf(L, "canonical_request", &b->v3.canonical_request);
  set_buf(L, "string_to_sign", &b->v3.string_to_sign);
  set_buf(L, "authorization", &b->v3.authorization);
  lua_pushstring(L, b->v3.hashed_payload);
  lua_setfield(L, -2, "hashed_payload");
  lua_pushstring(L, b->v3.hashed_canonical_request);
  lua_setfield(L, -2, "hashed_canonical_request");
  lua_pushstring(L, b->v3.signature);
  lua_setfield(L, -2, "signature");
  return 1;
}

void lecs_open_sign(lua_State *L) {
  static const luaL_Reg funcs[] = {{"v1", lecs_sign_v1}, {"v3", lecs_sign_v3}, {NULL, NULL}};
  luaL_newlib(L, funcs);
}
