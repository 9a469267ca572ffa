/* util.c - the simulator's clock, time formats, request ids and error
 * helpers (see sim_internal.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isotime.h"
#include "sign.h"
#include "sim_internal.h"

long long sim_now_ms(const ecs_sim *s) {
  struct timespec ts;
  long long off = s ? atomic_load(&s->clock_offset_ms) : 0;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return off;
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + off;
}

void ecs_sim_set_clock_offset(ecs_sim *s, long long offset_ms) {
  if (s) atomic_store(&s->clock_offset_ms, offset_ms);
}

long long ecs_sim_advance(ecs_sim *s, long long ms) {
  atomic_fetch_add(&s->clock_offset_ms, ms);
  return sim_now_ms(s);
}

/* ISO 8601 UTC as the service documents it, "YYYY-MM-DDThh:mm:ssZ" (and
 * "YYYY-MM-DDThh:mmZ" when allow_minutes), through the runtime's parser. */
int sim_parse_time(const char *s, int allow_minutes, long long *out) {
  double t;
  if (ecs_isotime_parse(s, allow_minutes ? ECS_ISOTIME_MINUTES : 0, &t) < 0) return -1;
  *out = (long long)t;
  return 0;
}

static void format_time(long long t, const char *fmt, char *out, size_t n) {
  struct tm tm;
  time_t tt = (time_t)t;
  if (!gmtime_r(&tt, &tm) || strftime(out, n, fmt, &tm) == 0) sim_copy(out, n, "1970-01-01T00:00Z");
}

void sim_format_minutes(long long t, char *out, size_t n) {
  format_time(t, "%Y-%m-%dT%H:%MZ", out, n);
}

void sim_format_seconds(long long t, char *out, size_t n) {
  format_time(t, "%Y-%m-%dT%H:%M:%SZ", out, n);
}

/* 16 random bytes as an upper-case version-4 UUID. If getrandom fails (it
 * does not on Linux with a seeded pool) a clock/counter id keeps ids unique
 * within the process. */
void sim_request_id(char out[37]) {
  static _Atomic unsigned long long fallback;
  char hex[33];
  int i, o = 0;
  if (ecs_sign_random_hex(hex, 16) < 0) {
    snprintf(hex, sizeof hex, "%016llx%016llx", (unsigned long long)time(NULL),
             atomic_fetch_add(&fallback, 1));
  }
  hex[12] = '4';
  hex[16] = "89ab"[(hex[16] >= 'a' ? hex[16] - 'a' + 10 : hex[16] - '0') & 3];
  for (i = 0; i < 32; i++) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out[o++] = '-';
    out[o++] = (hex[i] >= 'a' && hex[i] <= 'f') ? (char)(hex[i] - 'a' + 'A') : hex[i];
  }
  out[o] = '\0';
}

void sim_copy(char *dst, size_t n, const char *src) {
  size_t l;
  if (n == 0) return;
  if (!src) src = "";
  l = strlen(src);
  if (l >= n) l = n - 1;
  memcpy(dst, src, l);
  dst[l] = '\0';
}

void sim_resp_free(sim_resp *r) {
  free(r->message);
  r->message = NULL;
  cJSON_Delete(r->body);
  r->body = NULL;
}

int sim_fail(sim_resp *r, int status, const char *code, const char *fmt, ...) {
  va_list ap;
  int len;
  sim_resp_free(r);
  r->status = status;
  sim_copy(r->code, sizeof r->code, code);
  va_start(ap, fmt);
  len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (len >= 0 && (r->message = malloc((size_t)len + 1)) != NULL) {
    va_start(ap, fmt);
    vsnprintf(r->message, (size_t)len + 1, fmt, ap);
    va_end(ap);
  }
  return -1;
}

int sim_oom(sim_resp *r) {
  return sim_fail(r, 500, "InternalError",
                  "The request processing has failed due to some unknown error.");
}

int sim_missing(sim_resp *r, const char *name) {
  return sim_fail(r, 400, "MissingParameter",
                  "The input parameter %s that is mandatory for processing this request is "
                  "not supplied.", name);
}

int sim_invalid(sim_resp *r, const char *name) {
  return sim_fail(r, 400, "InvalidParameter", "The specified parameter %s is not valid.", name);
}
