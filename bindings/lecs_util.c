/* lecs_util.c - small core functions with no state: the clocks, the
 * terminal check, and the text helpers the log and the records use. */
#include <time.h>
#include <unistd.h>

#include "lecs_internal.h"
#include "redact.h"
#include "utf8.h"

/* core.now() -> wall-clock seconds (unix time, fractional). */
static int lecs_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  lua_pushnumber(L, (double)ts.tv_sec + ts.tv_nsec / 1e9);
  return 1;
}

/* core.monotonic() -> seconds on the monotonic clock (the engine's). */
static int lecs_monotonic(lua_State *L) {
  lua_pushnumber(L, ecs_engine_now());
  return 1;
}

static int lecs_stderr_isatty(lua_State *L) {
  lua_pushboolean(L, isatty(2));
  return 1;
}

/* core.is_mutating(action) -> boolean (runtime/client.c's list). */
static int lecs_is_mutating(lua_State *L) {
  lua_pushboolean(L, ecs_client_action_mutating(luaL_checkstring(L, 1)));
  return 1;
}

/* core.is_secret_name(name) -> boolean (runtime/redact.c's predicate). */
static int lecs_is_secret_name(lua_State *L) {
  lua_pushboolean(L, ecs_redact_is_secret_name(luaL_checkstring(L, 1)));
  return 1;
}

/* Pushes the result of f(buf, s, n) on s = tostring of argument 1. */
static int push_filtered(lua_State *L, int (*f)(ecs_buf *, const char *, size_t)) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  ecs_buf b;
  ecs_buf_init(&b);
  if (f(&b, s, n) < 0) {
    ecs_buf_free(&b);
    return luaL_error(L, "out of memory");
  }
  lua_pushlstring(L, ecs_buf_cstr(&b), b.len);
  ecs_buf_free(&b);
  return 1;
}

/* core.text_escape(s) -> s as one printable line (runtime/utf8.c). */
static int lecs_text_escape(lua_State *L) { return push_filtered(L, ecs_utf8_escape); }

/* core.utf8_clean(s) -> s with invalid UTF-8 replaced by U+FFFD. */
static int lecs_utf8_clean(lua_State *L) { return push_filtered(L, ecs_utf8_sanitize); }

const luaL_Reg lecs_util_core[] = {
    {"is_mutating", lecs_is_mutating},
    {"is_secret_name", lecs_is_secret_name},
    {"monotonic", lecs_monotonic},
    {"now", lecs_now},
    {"stderr_isatty", lecs_stderr_isatty},
    {"text_escape", lecs_text_escape},
    {"utf8_clean", lecs_utf8_clean},
    {NULL, NULL}};
