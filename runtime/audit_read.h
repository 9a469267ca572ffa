/* audit_read.h - reading an audit file back (the writer is audit.h): its
 * JSON lines parsed, each outcome paired with its intent. Lua-free; what
 * ecs.audit.read / ecs.audit.done (bindings/lua/ecs/audit.lua) decide from.
 *
 * Pairing: an outcome belongs to the latest earlier intent with the same
 * "run" and "id" (a "run" that is missing or not a string counts as ""),
 * when that intent has no outcome yet and both name the same "action" and
 * "instance_id" (equal as Lua compares the decoded values: absent ==
 * absent, null == null, numbers by value, strings by bytes, an object or
 * array never). A member named twice counts by its last value, as in the
 * decoded table.
 * Old files (before run ids: ids "<pid>-<n>" that repeat across runs)
 * thus pair by id alone, in file order. An outcome that matches no open
 * intent is kept as an orphan entry and decides nothing.
 *
 * Lines are split on '\n' (a last line without one counts too); each is
 * parsed as ecs.json.decode parses (cJSON, text after the value ignored).
 * A line that is not JSON (cut short by a crash, damaged; an empty line
 * too) is skipped and counted; JSON lines that are not objects with a
 * string "id" and an "event" of "intent" or "outcome" are ignored.
 */
#ifndef ECS_AUDIT_READ_H
#define ECS_AUDIT_READ_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "errors.h"

/* One call: its intent and outcome lines, parsed. */
typedef struct ecs_audit_entry {
  cJSON *intent;       /* NULL for an orphan outcome */
  cJSON *outcome;      /* NULL while the intent has none */
  const char *run, *id; /* the intent's, an orphan's outcome's (pointing into
                           the tree; run "" when it has none) */
} ecs_audit_entry;

typedef struct ecs_audit_log {
  ecs_audit_entry *v; /* in file order of the intents (orphans: of the outcome) */
  size_t n, cap;
  size_t skipped;     /* lines that were not JSON */
  size_t *slots;      /* private: open intents by run and id */
  size_t nslots, nopen;
} ecs_audit_log;

/* Zero-initialised is empty and valid too. */
void ecs_audit_read_init(ecs_audit_log *log);
/* Frees every tree and the tables; log is left empty and valid. */
void ecs_audit_read_free(ecs_audit_log *log);

/* Adds one line (n bytes, no '\n') to log: parsed, paired or skipped.
 * 0, or -1 when out of memory (log stays valid, the line is lost). */
int ecs_audit_read_line(ecs_audit_log *log, const char *line, size_t n);

/* Reads the audit file at path into log (appending to what it holds).
 * 0, or -1 with e set: ECONFIG (kind config) "cannot read the audit file:
 * <path>: <strerror>" when it cannot be opened or read, or out of memory;
 * log then holds the lines read before the failure. */
int ecs_audit_read_file(const char *path, ecs_audit_log *log, ecs_error *e);

#endif
