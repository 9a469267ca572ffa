/* audit_read.c - reading an audit file back and pairing its lines (see
 * audit_read.h). Open intents are found by run and id through a small
 * open-addressing table of entry numbers; an intent replaced under its key
 * or given its outcome is simply no longer open, so nothing is deleted. */
#include "audit_read.h"
#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ecs_audit_read_init(ecs_audit_log *log) { memset(log, 0, sizeof *log); }

void ecs_audit_read_free(ecs_audit_log *log) {
  size_t i;
  for (i = 0; i < log->n; i++) {
    cJSON_Delete(log->v[i].intent);
    cJSON_Delete(log->v[i].outcome);
  }
  free(log->v);
  free(log->slots);
  ecs_audit_read_init(log);
}

/* Member k of object o, the last one when named twice (as the decoded Lua
 * table keeps it); NULL when absent. */
static const cJSON *member(const cJSON *o, const char *k) {
  const cJSON *c, *m = NULL;
  cJSON_ArrayForEach(c, o) {
    if (c->string && strcmp(c->string, k) == 0) m = c;
  }
  return m;
}

static const char *str_member(const cJSON *o, const char *k) {
  const cJSON *m = member(o, k);
  return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* a == b as Lua compares the decoded values (NULL: absent, i.e. nil). */
static int same_value(const cJSON *a, const cJSON *b) {
  if (!a || !b) return a == b;
  if (cJSON_IsString(a) && cJSON_IsString(b)) return strcmp(a->valuestring, b->valuestring) == 0;
  if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
    return !(a->valuedouble < b->valuedouble) && !(a->valuedouble > b->valuedouble);
  if (cJSON_IsTrue(a) || cJSON_IsTrue(b)) return cJSON_IsTrue(a) && cJSON_IsTrue(b);
  if (cJSON_IsFalse(a) || cJSON_IsFalse(b)) return cJSON_IsFalse(a) && cJSON_IsFalse(b);
  return cJSON_IsNull(a) && cJSON_IsNull(b); /* tables never */
}

/* FNV-1a over run, a 0 byte and id. */
static size_t key_hash(const char *run, const char *id) {
  uint64_t h = ecs_fnv1a(ECS_FNV_OFFSET, run) * ECS_FNV_PRIME;
  h = ecs_fnv1a(h, id);
  return (size_t)(h ^ (h >> 32));
}

/* The slot of key (run, id): the one holding it, or the empty one where it
 * goes. The table is never full (see add_intent). */
static size_t *find_slot(ecs_audit_log *log, const char *run, const char *id) {
  size_t mask = log->nslots - 1, i = key_hash(run, id) & mask;
  while (log->slots[i]) {
    const ecs_audit_entry *e = &log->v[log->slots[i] - 1];
    if (strcmp(e->id, id) == 0 && strcmp(e->run, run) == 0) break;
    i = (i + 1) & mask;
  }
  return &log->slots[i];
}

/* Doubles the table (64 slots at first). 0 or -1. */
static int grow_slots(ecs_audit_log *log) {
  size_t *old = log->slots, oldn = log->nslots, i;
  size_t n = oldn ? 2 * oldn : 64;
  if (n < oldn || !(log->slots = calloc(n, sizeof *log->slots))) {
    log->slots = old;
    return -1;
  }
  log->nslots = n;
  for (i = 0; i < oldn; i++) {
    if (old[i]) {
      const ecs_audit_entry *e = &log->v[old[i] - 1];
      *find_slot(log, e->run, e->id) = old[i];
    }
  }
  free(old);
  return 0;
}

/* A new zeroed entry at the end of log; NULL when out of memory. */
static ecs_audit_entry *add_entry(ecs_audit_log *log) {
  if (log->n == log->cap) {
    size_t cap = log->cap ? 2 * log->cap : 32;
    ecs_audit_entry *v = cap > SIZE_MAX / sizeof *v ? NULL : realloc(log->v, cap * sizeof *v);
    if (!v) return NULL;
    log->v = v;
    log->cap = cap;
  }
  memset(&log->v[log->n], 0, sizeof log->v[0]);
  return &log->v[log->n++];
}

/* Adds intent rec (taking it) as a new call, the open one of its key.
 * 0, or -1 (rec not taken). */
static int add_intent(ecs_audit_log *log, cJSON *rec, const char *id) {
  const char *run = str_member(rec, "run");
  ecs_audit_entry *e;
  size_t *slot;
  if (2 * (log->nopen + 1) > log->nslots && grow_slots(log) < 0) return -1;
  if (!(e = add_entry(log))) return -1;
  e->intent = rec;
  e->run = run ? run : "";
  e->id = id;
  slot = find_slot(log, e->run, id);
  if (!*slot) log->nopen++;
  *slot = log->n; /* entry number: index + 1 */
  return 0;
}

/* Gives outcome rec (taking it) to the open intent of its key when that
 * one is for the same action and instance, else adds it as an orphan.
 * 0, or -1 (rec not taken). */
static int add_outcome(ecs_audit_log *log, cJSON *rec, const char *id) {
  const char *run = str_member(rec, "run");
  ecs_audit_entry *e;
  if (!run) run = "";
  if (log->nslots) {
    size_t slot = *find_slot(log, run, id);
    e = slot ? &log->v[slot - 1] : NULL;
    if (e && !e->outcome && same_value(member(e->intent, "action"), member(rec, "action")) &&
        same_value(member(e->intent, "instance_id"), member(rec, "instance_id"))) {
      e->outcome = rec;
      return 0;
    }
  }
  if (!(e = add_entry(log))) return -1;
  e->outcome = rec;
  e->run = run;
  e->id = id;
  return 0;
}

int ecs_audit_read_line(ecs_audit_log *log, const char *line, size_t n) {
  cJSON *rec = cJSON_ParseWithLengthOpts(line, n, NULL, 0);
  const char *id, *event;
  int rc = 0;
  if (!rec) {
    log->skipped++;
    return 0;
  }
  id = cJSON_IsObject(rec) ? str_member(rec, "id") : NULL;
  event = id ? str_member(rec, "event") : NULL;
  if (event && strcmp(event, "intent") == 0) {
    if ((rc = add_intent(log, rec, id)) == 0) return 0;
  } else if (event && strcmp(event, "outcome") == 0) {
    if ((rc = add_outcome(log, rec, id)) == 0) return 0;
  }
  cJSON_Delete(rec);
  return rc;
}

int ecs_audit_read_file(const char *path, ecs_audit_log *log, ecs_error *e) {
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  int err = 0;
  if (!f) err = errno;
  while (!err && (errno = 0, got = getline(&line, &cap, f)) >= 0) {
    size_t n = (size_t)got;
    if (n > 0 && line[n - 1] == '\n') n--;
    if (ecs_audit_read_line(log, line, n) < 0) err = ENOMEM;
  }
  if (f && !err && !feof(f)) err = errno ? errno : EIO; /* getline failed: not the end */
  free(line);
  if (f) fclose(f);
  if (!err) return 0;
  return ecs_error_set(e, ECS_KIND_CONFIG, "ECONFIG", "cannot read the audit file: %s: %s", path, strerror(err));
}
