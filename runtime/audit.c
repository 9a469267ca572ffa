/* audit.c - the audit file writer (see audit.h). */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "redact.h"
#include "sign.h"
#include "utf8.h"

#define RUN_ID_BYTES 8

struct ecs_audit {
  int fd;
  char *path;
  char run[2 * RUN_ID_BYTES + 1];
  unsigned long seq;
};

ecs_audit *ecs_audit_open(const char *path, ecs_error *e) {
  ecs_audit *a = calloc(1, sizeof *a);
  if (!a || !(a->path = strdup(path))) {
    free(a);
    ecs_error_set(e, ECS_KIND_CONFIG, "ECONFIG", "cannot open the audit file %s: out of memory", path);
    return NULL;
  }
  if (ecs_sign_random_hex(a->run, RUN_ID_BYTES) < 0) {
    ecs_error_set(e, ECS_KIND_CONFIG, "ECONFIG", "cannot open the audit file %s: no random run id: %s",
                  path, strerror(errno));
    free(a->path);
    free(a);
    return NULL;
  }
  a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (a->fd < 0) {
    ecs_error_set(e, ECS_KIND_CONFIG, "ECONFIG", "cannot open the audit file %s: %s", path, strerror(errno));
    free(a->path);
    free(a);
    return NULL;
  }
  return a;
}

void ecs_audit_close(ecs_audit *a) {
  if (!a) return;
  close(a->fd);
  free(a->path);
  free(a);
}

const char *ecs_audit_run_id(const ecs_audit *a) { return a->run; }
const char *ecs_audit_path(const ecs_audit *a) { return a->path; }

/* Adds k: v with both made valid UTF-8 (v NULL: nothing). 0 or -1. */
static int add_str(cJSON *o, const char *k, const char *v) {
  char *sk, *sv;
  int rc;
  if (!v) return 0;
  sk = ecs_utf8_dup(k);
  sv = ecs_utf8_dup(v);
  rc = sk && sv && cJSON_AddStringToObject(o, sk, sv) ? 0 : -1;
  free(sk);
  free(sv);
  return rc;
}

/* Writes line (len bytes, ending in '\n') with one write(2), then fsync(2).
 * 0, or -1 with errno set. After a partial write, a lone newline is tried so
 * that the next line starts clean. */
static int write_line(int fd, const char *line, size_t len) {
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(fd, line + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int saved = w < 0 ? errno : ENOSPC;
      if (off > 0) (void)!write(fd, "\n", 1);
      errno = saved;
      return -1;
    }
    off += (size_t)w;
  }
  return fsync(fd);
}

/* Serialises rec and appends it. 0, or -1 with e set to EAUDIT. */
static int append(ecs_audit *a, cJSON *rec, const char *what, const char *action, ecs_error *e) {
  char *line = cJSON_PrintUnformatted(rec);
  size_t n;
  int rc, err = ENOMEM;
  if (!line)
    return ecs_error_set(e, ECS_KIND_CONFIG, "EAUDIT", "cannot write the audit file %s: out of memory (%s %s)",
                         a->path, what, action ? action : "");
  n = strlen(line);
  line[n] = '\n'; /* replaces the NUL: the line goes out in one write */
  rc = write_line(a->fd, line, n + 1);
  if (rc < 0) err = errno;
  cJSON_free(line);
  if (rc == 0) return 0;
  return ecs_error_set(e, ECS_KIND_CONFIG, "EAUDIT", "cannot write the audit file %s: %s (%s %s)", a->path,
                       strerror(err), what, action ? action : "");
}

/* A record with time, run, event, id, action and instance_id; NULL when out
 * of memory. */
static cJSON *record(const ecs_audit *a, const char *event, unsigned long seq, const ecs_audit_call *c) {
  char ts[21], id[64];
  cJSON *rec = cJSON_CreateObject();
  ecs_sign_timestamp(ts);
  snprintf(id, sizeof id, "%s-%lu", a->run, seq);
  if (!rec || add_str(rec, "time", ts) < 0 || add_str(rec, "run", a->run) < 0 ||
      add_str(rec, "event", event) < 0 || add_str(rec, "id", id) < 0 ||
      add_str(rec, "action", c->action) < 0 || add_str(rec, "instance_id", c->instance_id) < 0) {
    cJSON_Delete(rec);
    return NULL;
  }
  return rec;
}

/* The call's parameters, secret-named values replaced. 0 or -1. */
static int add_params(cJSON *rec, const ecs_params *p) {
  cJSON *o = cJSON_AddObjectToObject(rec, "params");
  size_t i;
  if (!o) return -1;
  for (i = 0; p && i < p->n; i++) {
    const char *v = ecs_redact_is_secret_name(p->v[i].name) ? ECS_REDACTED : p->v[i].value;
    if (add_str(o, p->v[i].name, v ? v : "") < 0) return -1;
  }
  return 0;
}

unsigned long ecs_audit_intent(ecs_audit *a, const ecs_audit_call *c, ecs_error *e) {
  unsigned long seq = a->seq + 1;
  cJSON *rec = record(a, "intent", seq, c);
  int rc = -1;
  if (rec && add_str(rec, "product", c->product) == 0 && add_str(rec, "version", c->version) == 0 &&
      add_str(rec, "region", c->region) == 0 && add_str(rec, "endpoint", c->endpoint) == 0 &&
      add_str(rec, "access_key_id", c->access_key_id) == 0 &&
      (c->attempt <= 0 || cJSON_AddNumberToObject(rec, "attempt", c->attempt)) &&
      (!c->dry_run || cJSON_AddBoolToObject(rec, "dry_run", 1)) && add_params(rec, c->params) == 0)
    rc = append(a, rec, "intent of", c->action, e);
  else
    ecs_error_set(e, ECS_KIND_CONFIG, "EAUDIT", "cannot write the audit file %s: out of memory (intent of %s)",
                  a->path, c->action ? c->action : "");
  cJSON_Delete(rec);
  if (rc < 0) return 0;
  a->seq = seq;
  return seq;
}

int ecs_audit_outcome(ecs_audit *a, unsigned long seq, const ecs_audit_call *c, const ecs_audit_result *r,
                      ecs_error *e) {
  cJSON *rec = record(a, "outcome", seq, c);
  int rc = -1;
  if (rec && cJSON_AddBoolToObject(rec, "ok", r->ok) && add_str(rec, "request_id", r->request_id) == 0 &&
      add_str(rec, "code", r->ok ? NULL : r->code) == 0 &&
      (r->status == 0 || cJSON_AddNumberToObject(rec, "status", r->status)) &&
      (r->ok || cJSON_AddBoolToObject(rec, "ambiguous", r->ambiguous)) &&
      (c->attempt <= 0 || cJSON_AddNumberToObject(rec, "attempt", c->attempt)) &&
      add_str(rec, "access_key_id", c->access_key_id) == 0 &&
      cJSON_AddNumberToObject(rec, "elapsed", r->elapsed))
    rc = append(a, rec, "outcome of", c->action, e);
  else
    ecs_error_set(e, ECS_KIND_CONFIG, "EAUDIT", "cannot write the audit file %s: out of memory (outcome of %s)",
                  a->path, c->action ? c->action : "");
  cJSON_Delete(rec);
  return rc;
}
