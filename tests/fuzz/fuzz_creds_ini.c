/* fuzz_creds_ini.c - libFuzzer target for the INI credentials file parser
 * (~/.alibabacloud/credentials: ecs_creds_ini_load in
 * runtime/creds_files.c, on libinih).
 *
 * The input is the file, loaded for the profiles "default", "prod" and one
 * named in the input's first line (after "#profile "), if any. Invariants:
 * 0 with a source or -1 with a reason; a reason never holds an
 * access_key_secret value (one that looks like a key - 12+ bytes of mixed
 * case and digits, no blanks - and appears once in the file).
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>

#include "creds_internal.h"
#include "fuzz_util.h"

/* 1 when v[0..n) looks like a key, not like words of a message: 12+ bytes,
 * no blank or NUL, upper and lower case letters and digits. */
static int secret_like(const char *v, size_t n) {
  int up = 0, lo = 0, dg = 0;
  size_t i;
  if (n < 12) return 0;
  for (i = 0; i < n; i++) {
    if (v[i] == ' ' || v[i] == '\0') return 0;
    up |= v[i] >= 'A' && v[i] <= 'Z';
    lo |= v[i] >= 'a' && v[i] <= 'z';
    dg |= v[i] >= '0' && v[i] <= '9';
  }
  return up && lo && dg;
}

/* Every "access_key_secret = value" line's value that is unique in d. */
static void check_why(const char *why, const uint8_t *d, size_t n) {
  const char *s = (const char *)d, *end = s + n;
  while (s < end) {
    const char *nl = memchr(s, '\n', (size_t)(end - s)), *le = nl ? nl : end, *v, *ve;
    if ((size_t)(le - s) > 17 && memcmp(s, "access_key_secret", 17) == 0 &&
        (v = memchr(s, '=', (size_t)(le - s))) != NULL) {
      v++;
      while (v < le && (*v == ' ' || *v == '\t')) v++;
      ve = le;
      while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r')) ve--;
      if (secret_like(v, (size_t)(ve - v))) {
        const void *first = memmem(d, n, v, (size_t)(ve - v));
        const char *after = (const char *)first + (ve - v);
        if (!memmem(after, (size_t)(end - after), v, (size_t)(ve - v)))
          FZ_ASSERT(!memmem(why, strlen(why), v, (size_t)(ve - v)), "secret %.*s in reason: %s",
                    (int)(ve - v), v, why);
      }
    }
    s = nl ? nl + 1 : end;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fz_file(data, size);
  char named[64] = "";
  const char *profiles[] = {"default", "prod", NULL};
  ecs_buf why;
  size_t i;
  if (size > 9 && memcmp(data, "#profile ", 9) == 0) {
    size_t k;
    for (k = 0; k + 9 < size && k < sizeof named - 1 && data[9 + k] != '\n' && data[9 + k]; k++)
      named[k] = (char)data[9 + k];
    named[k] = '\0';
    profiles[2] = named;
  }
  ecs_buf_init(&why);
  for (i = 0; i < 3 && profiles[i]; i++) {
    ecs_src *src = (ecs_src *)1;
    int rc;
    ecs_buf_reset(&why);
    rc = ecs_creds_ini_load(path, profiles[i], &src, &why);
    /* 2: no such profile (why names it), as -1 a failure with a reason */
    FZ_ASSERT(rc == 0 || rc == -1 || rc == 2, "rc %d", rc);
    FZ_ASSERT((rc == 0) == (src != NULL), "rc %d with source %p", rc, (void *)src);
    if (rc < 0 || rc == 2) {
      FZ_ASSERT(why.len > 0, "failure without a reason");
      check_why(ecs_buf_cstr(&why), data, size);
    }
    ecs_creds_src_free(src);
  }
  ecs_buf_free(&why);
  return 0;
}
