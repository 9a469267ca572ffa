/* engine.h - the call engine: the policy every API call (and raw HTTP
 * transfer) of a host goes through, with no Lua in it. A binding only
 * converts: its arguments into an ecs_call's fields, the engine's answers
 * into its own values.
 *
 * One ecs_engine owns the transfer engine (ecs_http), the client-side rate
 * limits (ecs_ratelimit), the optional audit file with the count and last
 * message of its failed writes, the global dry run, every live call and the
 * list of calls completed but not yet handed back.
 *
 * A call's life: ecs_call_new (live, PENDING) -> the caller fills its
 * fields (ecs_call_set_action, ecs_call_set_retry, cfg, creds, params; or
 * req's inputs for a raw call) -> ecs_call_reserve (the rate-limit wait, if
 * the caller limits) -> ecs_call_submit (INFLIGHT, or DONE at once: refused
 * by the audit, dry run, could not be signed or started) ->
 * ecs_engine_run drives it; ecs_engine_next_done hands it back once DONE ->
 * ecs_call_finish (the body or the error; the audit outcome) -> the raw
 * accessors -> ecs_call_discard (frees it, wiping its credentials).
 * ecs_call_discard at any point cancels its transfer.
 *
 * Audit: a mutating API call (ecs_client_action_mutating) gets an intent
 * line before it is sent, dry run or not; if that line cannot be written
 * the call is refused with EAUDIT and never sent. Its outcome line is
 * written by ecs_call_finish. A failed outcome write is counted in the
 * engine (ecs_engine_audit_status), not returned.
 */
#ifndef ECS_ENGINE_H
#define ECS_ENGINE_H

#include <stddef.h>

#include "buf.h"
#include "client.h"
#include "creds.h"
#include "errors.h"
#include "http.h"

struct cJSON;

typedef struct ecs_engine ecs_engine;
typedef struct ecs_call ecs_call;

enum { ECS_CALL_PENDING, ECS_CALL_INFLIGHT, ECS_CALL_DONE };

struct ecs_call {
  /* --- set by the caller before ecs_call_submit --- */
  ecs_client_config cfg; /* API calls: the effective client settings */
  ecs_creds creds;       /* API calls: what it signs with (not for dry runs) */
  ecs_params params;     /* API calls: flat operation parameters */
  char *action;          /* the API action; raw calls: the method (audit, errors) */
  char *instance_id;     /* params' InstanceId (ecs_call_set_action) */
  char *region;          /* the call's own region, NULL: params' or cfg's */
  int raw;               /* 0: an API call; else a raw transfer of req, the value
                            the caller's (how it presents the answer) */
  int attempt;           /* 1-based attempt number for the audit, 0 if none */
  long long retry_delay_ms; /* the wait before this attempt, -1 if not given */
  int dry_run;           /* 1: never sent (ecs_call_set_action decides) */
  ecs_http_req req;      /* the transfer (raw calls: ecs_call_set_raw); its
                            answer is read through the accessors below */
  ecs_call **owner;      /* NULL, or the caller's slot that points at the call:
                            the engine clears it when it frees the call */
  /* --- the engine's --- */
  int state;               /* ECS_CALL_* */
  ecs_error err;           /* a failure before any transfer */
  unsigned long audit_seq; /* its number in the audit file; 0: not recorded */
  double t0;               /* monotonic seconds at ecs_call_new */
  ecs_engine *eng;
  ecs_call *prev, *next; /* the engine's live calls */
  ecs_call *done_next;   /* the engine's completed list */
};

/* A new engine (no audit file, no dry run). NULL with e set when libcurl
 * cannot be initialised or memory runs out. */
ecs_engine *ecs_engine_new(ecs_error *e);
/* Aborts every transfer (no callbacks), frees every live call (clearing
 * their owners), the rate limits and the audit file. NULL is fine. */
void ecs_engine_free(ecs_engine *g);

/* The global dry run: once on, it stays on. */
int ecs_engine_dry_run(const ecs_engine *g);
void ecs_engine_set_dry_run(ecs_engine *g);

/* Opens path as the audit file (ecs_audit_open), closing the current one;
 * path NULL only closes it. 0, or -1 with e set (then no file is open).
 * The failure count and message survive a reopen. */
int ecs_engine_audit_open(ecs_engine *g, const char *path, ecs_error *e);
/* How many audit lines could not be written, the last failure's message
 * (NULL: none) and the open file's run id (NULL: no file). */
unsigned long ecs_engine_audit_status(const ecs_engine *g, const char **last_error,
                                      const char **run_id);

/* Drives the transfers for at most timeout_s seconds (clamped to [0, 3600]);
 * with nothing in flight and nothing completed, sleeps (a signal cuts the
 * sleep short). 0, or -1 when the transfer engine failed. */
int ecs_engine_run(ecs_engine *g, double timeout_s);
/* The next call completed since it was last asked (most recent first), off
 * the completed list but still live; NULL when there is none. */
ecs_call *ecs_engine_next_done(ecs_engine *g);
/* Live calls (pending, in flight, or done and not yet discarded). */
size_t ecs_engine_live(const ecs_engine *g);
/* Transfers in flight. */
int ecs_engine_inflight(const ecs_engine *g);
/* Seconds on the monotonic clock the engine uses. */
double ecs_engine_now(void);

/* A new PENDING call on g's live list (its fields empty, retry_delay_ms -1).
 * NULL when out of memory. */
ecs_call *ecs_call_new(ecs_engine *g);
/* Sets an API call's action and region (copied; region may be NULL) once
 * its params are in: instance_id becomes params' InstanceId, and the call
 * is a dry run when the engine's or the caller's (dry_run) is on and the
 * action mutates. 0, or -1 out of memory. */
int ecs_call_set_action(ecs_call *c, const char *action, const char *region, int dry_run);
/* Makes c a raw transfer of req: its contents move into c (req is left
 * empty), action becomes its method; raw (> 0) is the caller's tag. 0, or
 * -1 out of memory (req then untouched). */
int ecs_call_set_raw(ecs_call *c, int raw, ecs_http_req *req);
/* The attempt (kept when in 1..999999) and the seconds waited before it
 * (kept, in ms, when in [0, 1e9)) that a retry signs and the audit says. */
void ecs_call_set_retry(ecs_call *c, long long attempt, double delay_s);
/* Reserves c's send slot under the limit of its (product, access key id,
 * region, action) at qps (> 0). The seconds to wait before submitting it,
 * or -1 out of memory. */
double ecs_call_reserve(ecs_call *c, double qps);
/* Marks c DONE with e (moved) as its outcome: it failed before any
 * transfer (credentials). */
void ecs_call_fail(ecs_call *c, ecs_error *e);
/* Starts c (PENDING): audit intent, dry run, signing, submission. 1 when
 * its transfer is in flight; 0 when it is DONE already (its error kept for
 * ecs_call_finish). */
int ecs_call_submit(ecs_call *c);
int ecs_call_done(const ecs_call *c);
/* The outcome of a DONE call: 0 with *body (API calls: the parsed answer,
 * caller deletes; raw calls: NULL, the answer is in the accessors), or -1
 * with err filled (its action and instance_id from the call). Writes an
 * audited call's outcome line. Call once; then ecs_call_discard. */
int ecs_call_finish(ecs_call *c, struct cJSON **body, ecs_error *err);
/* A raw call's answer after a successful ecs_call_finish. */
long ecs_call_status(const ecs_call *c);
const ecs_params *ecs_call_headers(const ecs_call *c); /* names lower-cased */
const char *ecs_call_body(const ecs_call *c, size_t *len); /* NUL-terminated */
/* Cancels c's transfer if it is in flight, takes it off the engine's lists,
 * clears its owner and frees it (its credentials wiped). NULL is fine. */
void ecs_call_discard(ecs_call *c);

#endif
