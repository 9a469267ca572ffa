/* errors.c - the error struct (see errors.h). */
#include "errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ecs_error_init(ecs_error *e) {
  memset(e, 0, sizeof *e);
  e->retry_after = -1;
}

void ecs_error_free(ecs_error *e) {
  free(e->code);
  free(e->message);
  free(e->request_id);
  free(e->host_id);
  free(e->recommend);
  free(e->access_denied_detail);
  free(e->action);
  free(e->instance_id);
  ecs_error_init(e);
}

int ecs_error_field(char **field, const char *s) {
  char *d = NULL;
  if (s && !(d = strdup(s))) return -1;
  free(*field);
  *field = d;
  return 0;
}

int ecs_error_set(ecs_error *e, ecs_err_kind kind, const char *code,
                  const char *fmt, ...) {
  va_list ap;
  char msg[1024];
  ecs_error_free(e);
  e->kind = kind;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ecs_error_field(&e->code, code);
  ecs_error_field(&e->message, msg);
  return -1;
}

const char *ecs_error_kind_name(ecs_err_kind k) {
  switch (k) {
    case ECS_KIND_API: return "api";
    case ECS_KIND_THROTTLE: return "throttle";
    case ECS_KIND_TRANSPORT: return "transport";
    case ECS_KIND_CREDENTIALS: return "credentials";
    case ECS_KIND_CONFIG: return "config";
    default: return "none";
  }
}

/* Marks in s[0..sn) every run of at least ECS_MASK_MIN bytes that is also
 * in t[0..tn) (longest common substrings by dynamic programming over t:
 * run[j] is the length of the common run ending at s[i] and t[j]). */
static void mask_runs(char *s, size_t sn, const char *t, size_t tn, unsigned char *hit) {
  size_t *run = calloc(tn + 1, sizeof *run), i, j, k;
  if (!run) { /* cannot look: mask the whole field */
    memset(hit, 1, sn);
    return;
  }
  for (i = 0; i < sn; i++) {
    for (j = tn; j > 0; j--) {
      run[j] = s[i] == t[j - 1] ? run[j - 1] + 1 : 0;
      if (run[j] >= ECS_MASK_MIN)
        for (k = 0; k < run[j]; k++) hit[i - k] = 1;
    }
  }
  free(run);
}

/* Marks a field start that is the secret's end, and a field end that is
 * its start (4 bytes or more). */
static void mask_edges(const char *s, size_t sn, const char *t, size_t tn, unsigned char *hit) {
  size_t k, max = sn < tn ? sn : tn;
  for (k = max; k >= 4; k--) {
    if (memcmp(s, t + tn - k, k) == 0) {
      memset(hit, 1, k);
      break;
    }
  }
  for (k = max; k >= 4; k--) {
    if (memcmp(s + sn - k, t, k) == 0) {
      memset(hit + sn - k, 1, k);
      break;
    }
  }
}

static void mask_field(char *s, const char *t, size_t tn) {
  size_t sn = s ? strlen(s) : 0, i;
  unsigned char *hit;
  if (sn < 4 || tn < 4) return;
  if (sn > ECS_MASK_MAX_FIELD) s[sn = ECS_MASK_MAX_FIELD] = '\0'; /* bounds the work */
  if (!(hit = calloc(sn, 1))) {
    memset(s, '*', sn);
    return;
  }
  mask_runs(s, sn, t, tn, hit);
  mask_edges(s, sn, t, tn, hit);
  for (i = 0; i < sn; i++)
    if (hit[i]) s[i] = '*';
  free(hit);
}

void ecs_error_mask_secret(ecs_error *e, const char *secret, size_t n) {
  char *fields[] = {e->code, e->message, e->request_id, e->host_id, e->recommend, e->action,
                    e->instance_id};
  size_t i;
  if (!secret) return;
  for (i = 0; i < sizeof fields / sizeof fields[0]; i++) mask_field(fields[i], secret, n);
}

void ecs_error_move(ecs_error *dst, ecs_error *src) {
  ecs_error_free(dst);
  *dst = *src;
  ecs_error_init(src);
}
