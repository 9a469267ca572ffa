/* audit.h - the audit file: one JSON line per event of a mutating call,
 * each written with a single write(2) on an O_APPEND descriptor and
 * fsync(2)'d before the function returns.
 *
 *   {"time","run","event":"intent","id":"<run>-<n>","action","instance_id",
 *    "region","endpoint","access_key_id","attempt","dry_run","params":{...}}
 *   {"time","run","event":"outcome","id","action","instance_id","ok",
 *    "request_id","code","status","ambiguous","attempt","access_key_id","elapsed"}
 *
 * "run" is 16 hex characters from getrandom(2), fresh for every opened file
 * handle, so ids never repeat across runs (a PID does). Every string is made
 * valid UTF-8 (invalid bytes become U+FFFD) and parameters whose names are
 * secret (ecs_redact_is_secret_name) are written as "[redacted]": every line is
 * valid JSON and holds no secret. Lua-free. The reader is audit_read.h.
 */
#ifndef ECS_AUDIT_H
#define ECS_AUDIT_H

#include "buf.h"
#include "errors.h"

typedef struct ecs_audit ecs_audit;

/* What the intent and outcome lines say about a call. Any field may be NULL
 * or 0 (left out). */
typedef struct ecs_audit_call {
  const char *action, *instance_id, *region, *endpoint, *access_key_id;
  const char *product, *version; /* intent only; NULL for ECS: not written */
  const ecs_params *params; /* intent only */
  int attempt;              /* 0: none */
  int dry_run;
} ecs_audit_call;

typedef struct ecs_audit_result {
  int ok;
  const char *request_id, *code; /* code: the error's, when !ok */
  int status;                    /* HTTP status, 0 when none */
  int ambiguous;
  double elapsed; /* seconds */
} ecs_audit_result;

/* Opens (creates 0600, appends to) path with a fresh run id. NULL with
 * ECONFIG in e when the file cannot be opened or no random run id can be
 * drawn. */
ecs_audit *ecs_audit_open(const char *path, ecs_error *e);
void ecs_audit_close(ecs_audit *a); /* NULL is fine */
const char *ecs_audit_run_id(const ecs_audit *a);
const char *ecs_audit_path(const ecs_audit *a);

/* Writes and fsyncs the intent line of call. Returns the call's sequence
 * number (> 0), or 0 with e set to EAUDIT (kind config; the message names
 * the file, the action and the errno text): the call must not be sent. */
unsigned long ecs_audit_intent(ecs_audit *a, const ecs_audit_call *call, ecs_error *e);

/* Writes and fsyncs the outcome line of the call numbered seq. 0, or -1
 * with e set to EAUDIT. */
int ecs_audit_outcome(ecs_audit *a, unsigned long seq, const ecs_audit_call *call,
                      const ecs_audit_result *r, ecs_error *e);

#endif
