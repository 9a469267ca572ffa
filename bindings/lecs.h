/* lecs.h - internals shared by the files of the `ecs` Lua module. */
#ifndef ECS_LECS_H
#define ECS_LECS_H

#include "compat.h"

struct cJSON;

#include "version.h"

/* Opens the module: pushes the `ecs` table. */
int luaopen_ecs(lua_State *L);
/* Replaces the global coroutine.yield with the scheduler's guard (a raw
 * yield inside an ecs task raises at the yield). For hosts that own their
 * globals (ecsrun); require "ecs" alone never touches coroutine.yield.
 * Call after luaopen_ecs. 0, or -1 when there is no coroutine library. */
int lecs_install_yield_guard(lua_State *L);

/* Misuse errors (lecs_error.c), positioned at the first stack frame outside
 * the module's Lua half (the caller's line, through helper layers and tail calls).
 * lecs_error raises the formatted message; lecs_argerror raises
 * "bad argument #arg to 'fn' (msg)". Neither returns. */
int lecs_error(lua_State *L, const char *fmt, ...);
int lecs_argerror(lua_State *L, int arg, const char *fn, const char *fmt, ...);
/* lua_tostring of idx, raising (argument arg of fn, naming what) when the
 * string holds a NUL byte, which C would take for its end. */
const char *lecs_checkcstr(lua_State *L, int idx, int arg, const char *fn, const char *what);
/* The number at idx, raising (argument arg of fn, option name) unless it is
 * within [lo, hi]. */
double lecs_checkrange(lua_State *L, int idx, int arg, const char *fn, const char *name, double lo,
                       double hi);
/* Raises "bad argument #arg to 'fn' (unknown option 'k')" for the first key
 * of the options table at idx that is not among names: the first name, each
 * next one stride bytes further, up to a NULL. For an array of names, stride
 * is sizeof(char *); for a table of structs that start with the name,
 * sizeof the struct. */
void lecs_check_options(lua_State *L, int idx, int arg, const char *fn, const char *const *names,
                        size_t stride);

/* JSON <-> Lua (lecs_json.c). */
/* Pushes the Lua value for v (objects/arrays -> tables, null -> ecs.null). */
void lecs_push_json(lua_State *L, const struct cJSON *v);
/* Converts the value at idx to a cJSON tree owned by a box userdata that is
 * pushed on the stack (so a raise frees it); returns the tree. what names the
 * argument in error messages. Raises on values JSON cannot hold. */
struct cJSON *lecs_to_json(lua_State *L, int idx, const char *what);
/* Pushes a box: a userdata whose slot (returned, NULL at first) holds a
 * cJSON tree that its __gc deletes, so that a raise while C works on the
 * tree cannot leak it. Set the slot to NULL to take the tree back. */
struct cJSON **lecs_json_box(lua_State *L);
/* Registers json functions into the table at the top of the stack. */
void lecs_open_json(lua_State *L);
/* Pushes the array-marker metatable (decoded arrays carry it). */
void lecs_push_array_mt(lua_State *L);

/* Signing functions: ecs.sign.v1 / v3 (lecs_sign.c). Pushes the table. */
void lecs_open_sign(lua_State *L);

/* In-process simulator: ecs.sim (lecs_sim.c), its own module. lecs_open_sim
 * pushes the C table; luaopen_ecs_sim completes it with sim.lua's part, the
 * function luaopen_ecs stores at LECS_SIM_SETUP in the registry. */
#define LECS_SIM_SETUP "ecs.sim.setup"
void lecs_open_sim(lua_State *L);
int luaopen_ecs_sim(lua_State *L);

/* Plain HTTP requests (lecs_http.c): sets core.http_start in the table on
 * top (api.lua's ecs.http.request waits for the handle it returns). */
struct ecs_http_req;
void lecs_open_http(lua_State *L);
/* Pushes {status=, headers=, body=} for a completed request (lecs_http.c). */
struct ecs_params;
void lecs_push_response(lua_State *L, long status, const struct ecs_params *headers,
                        const char *body, size_t len);
/* Pushes the call handle of req for the module's engine, taking over its
 * contents (req is left empty); core.finish later pushes what
 * lecs_push_response pushes, or nil, err. Returns 1 (lecs_call.c). */
int lecs_http_call(lua_State *L, struct ecs_http_req *req);

#endif
