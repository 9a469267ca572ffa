/* lecs_internal.h - what the files of the `ecs` module's C core share with
 * each other and nobody else (lecs.h is the header shared with the other
 * binding files): the per-state context, clients, and the core
 * functions each file registers.
 *
 *   lecs.c         luaopen_ecs, the context, the core table, the Lua half
 *   lecs_error.c   misuse errors, err tables, the options check
 *   lecs_client.c  clients, options, configure, effective settings
 *   lecs_creds.c   a call's credentials, the default chains, client_info
 *   lecs_call.c    calls: handles, submit, finish, fetch
 *   lecs_loop.c    the transfer loop: poll, live_calls, inflight
 *   lecs_audit.c   core.audit_open / audit_status
 *   lecs_records.c reading the audit file back (runtime/audit_read.c)
 *   lecs_util.c    clocks and text helpers
 *   lecs_http.c    core.http_start (ecs.http.request)
 *
 * The policy of calls (their life and queue, dry run, rate limits, the
 * audit trail, signing and submission) is runtime/engine.c's: these files
 * only convert between Lua values and its ecs_call fields and answers.
 */
#ifndef ECS_LECS_INTERNAL_H
#define ECS_LECS_INTERNAL_H

#include "client.h"
#include "creds.h"
#include "encode.h"
#include "engine.h"
#include "errors.h"
#include "http.h"
#include "lecs.h"

struct cJSON;

/* Registry keys and metatable names. */
#define LECS_CTX "ecs.ctx"                 /* the context userdata */
#define LECS_CTX_MT "ecs.ctx.mt"           /* its metatable */
#define LECS_CLIENT "ecs.client"           /* client userdata's metatable */
#define LECS_ERROR "ecs.error"             /* err tables' metatable */
#define LECS_HANDLE "ecs.call"             /* call handles' metatable */
#define LECS_DEFAULT "ecs.default_client"  /* the default client */
#define LECS_DRIVER "ecs.driver"           /* the Lua scheduler's step */
#define LECS_YIELD_GUARD "ecs.yield_guard" /* see lecs_install_yield_guard */

typedef struct lecs_ctx lecs_ctx;

/* Per-state context: the registry's LECS_CTX, freed by its __gc. */
struct lecs_ctx {
  ecs_engine *engine; /* calls, transfers, rate limits, audit, dry run */
  ecs_creds_chain **chains; /* default credential chains, one per profile */
  size_t nchains;
};

/* Options a client can set; unset fields fall back to the default client. */
enum {
  OPT_REGION = 1 << 0, OPT_ENDPOINT = 1 << 1, OPT_SIGNATURE = 1 << 2,
  OPT_CONNECT = 1 << 3, OPT_TIMEOUT = 1 << 4, OPT_QPS = 1 << 5, OPT_UA = 1 << 6,
  OPT_CA = 1 << 7, OPT_INSECURE = 1 << 8, OPT_NETWORK = 1 << 9, OPT_PROFILE = 1 << 10,
  OPT_MAXRESP = 1 << 11, OPT_PRODUCT = 1 << 12, OPT_VERSION = 1 << 13
};

typedef struct lecs_client {
  ecs_client_config cfg;
  unsigned set; /* OPT_* bits of the options this client sets itself */
  double qps;
  char *profile;
  ecs_creds creds;
  int has_creds;
  int is_default;
  int dry_run; /* this client's own dry run (the context's applies to all) */
} lecs_client;

/* lecs.c */
/* The state's context; raises when the module was never opened. */
lecs_ctx *lecs_ctx_get(lua_State *L);

/* lecs_util.c */
extern const luaL_Reg lecs_util_core[];

/* lecs_error.c */
/* Sets field k of the table on top to string v, unless v is NULL. */
void lecs_set_str(lua_State *L, const char *k, const char *v);
/* Creates the metatable tname (registry) with __name and metamethod mm = f. */
void lecs_new_class(lua_State *L, const char *tname, const char *mm, lua_CFunction f);
/* Pushes the Lua err table for e (see DESIGN.md). */
void lecs_push_error(lua_State *L, const ecs_error *e);
/* Creates the err tables' metatable. */
void lecs_open_error(lua_State *L);
extern const luaL_Reg lecs_error_core[];

/* lecs_client.c */
/* Creates the clients' metatable and the default client. */
void lecs_open_client(lua_State *L);
lecs_client *lecs_default_client(lua_State *L);
/* The client at idx (nil or none: the default client); raises otherwise. */
lecs_client *lecs_check_client(lua_State *L, int idx);
/* Fills dst with the settings of c over the default client d. 0 or -1 (out
 * of memory). */
int lecs_effective_config(ecs_client_config *dst, const lecs_client *c, const lecs_client *d);
/* The qps of c over d (0: no limit). */
double lecs_client_qps(const lecs_client *c, const lecs_client *d);
extern const luaL_Reg lecs_client_core[];

/* lecs_creds.c */
/* The profile client c uses (its own, else the default client d's). */
const char *lecs_client_profile(const lecs_client *c, const lecs_client *d);
/* Resolves the credentials a call of client c (over d) signs with into out,
 * and fills a missing *region from the profile. 0, or -1 with err set. */
int lecs_client_creds(lecs_ctx *x, const lecs_client *c, const lecs_client *d, ecs_creds *out,
                      char **region, ecs_error *err);
extern const luaL_Reg lecs_creds_core[];

/* lecs_audit.c */
extern const luaL_Reg lecs_audit_core[];

/* lecs_records.c */
extern const luaL_Reg lecs_records_core[];

/* lecs_call.c */
/* Creates the call handles' metatable. */
void lecs_open_call(lua_State *L);
extern const luaL_Reg lecs_call_core[];

/* lecs_loop.c */
extern const luaL_Reg lecs_loop_core[];

#endif
