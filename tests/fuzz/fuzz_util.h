/* fuzz_util.h - shared by the fuzzers: splitting an input in a small
 * HTTP-like text form into a first line, headers and a body.
 *
 *   FIRST LINE\n
 *   name: value\n        (any number; "\r\n" works too)
 *   \n
 *   body bytes (everything after the blank line, NULs included)
 *
 * The form keeps the seed corpora readable and lets libFuzzer mutate each
 * part; it is not HTTP and needs no exactness.
 */
#ifndef ECS_FUZZ_UTIL_H
#define ECS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct fz_msg {
  char *first;        /* the first line, NUL-terminated (never NULL) */
  ecs_params headers; /* in input order */
  ecs_buf body;
} fz_msg;

/* Header filters for fz_split. */
enum {
  FZ_RAW = 0,         /* name = text before the first ':', value = the rest, trimmed */
  FZ_AS_MHD = 1,      /* only what an HTTP server delivers: token names, no
                         control bytes but HT in values, values trimmed of SP/HT */
  FZ_AS_CURL = 2      /* as runtime/http.c stores them: names lower-cased */
};

/* Splits d[0..n) into m. Returns 0, or -1 when out of memory (m is freed). */
int fz_split(const uint8_t *d, size_t n, int mode, fz_msg *m);
void fz_msg_free(fz_msg *m);

/* Puts d[0..n) into an in-memory file (one per process, rewritten on each
 * call) and returns its path ("/proc/self/fd/N"), for parsers that take a
 * path. Aborts when the file cannot be made. */
const char *fz_file(const uint8_t *d, size_t n);

/* Aborts with a message (a finding) when cond is false. */
#define FZ_ASSERT(cond, ...)                                   \
  do {                                                         \
    if (!(cond)) fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
  } while (0)
void fz_fail(const char *file, int line, const char *expr, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((noreturn, format(printf, 4, 5)))
#endif
    ;

#endif
