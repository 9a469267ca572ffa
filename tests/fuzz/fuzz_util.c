/* fuzz_util.c - see fuzz_util.h. */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void fz_fail(const char *file, int line, const char *expr, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s:%d: invariant failed: %s\n  ", file, line, expr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}

static int is_tchar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* One header line l[0..n) (no line end) into m->headers, filtered by mode. */
static int add_header(fz_msg *m, const char *l, size_t n, int mode) {
  const char *colon = memchr(l, ':', n), *v, *e;
  char name[256];
  size_t nl, i;
  if (!colon || colon == l || (size_t)(colon - l) >= sizeof name) return 0;
  nl = (size_t)(colon - l);
  for (i = 0; i < nl; i++) {
    unsigned char c = (unsigned char)l[i];
    if (mode == FZ_AS_MHD && !is_tchar(c)) return 0;
    if (c == '\0') return 0;
    name[i] = (mode == FZ_AS_CURL && c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
  }
  name[nl] = '\0';
  v = colon + 1;
  e = l + n;
  while (v < e && (*v == ' ' || *v == '\t')) v++;
  while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
  if (mode == FZ_AS_MHD)
    for (i = 0; v + i < e; i++) {
      unsigned char c = (unsigned char)v[i];
      if ((c < 0x20 && c != '\t') || c == 0x7f) return 0;
    }
  if (memchr(v, '\0', (size_t)(e - v))) return 0; /* C strings on every side */
  return ecs_params_addn(&m->headers, name, nl, v, (size_t)(e - v));
}

int fz_split(const uint8_t *d, size_t n, int mode, fz_msg *m) {
  const char *s = (const char *)d, *end = s + n, *nl;
  size_t len;
  memset(m, 0, sizeof *m);
  nl = memchr(s, '\n', n);
  len = nl ? (size_t)(nl - s) : n;
  if (len && s[len - 1] == '\r') len--;
  if (!(m->first = strndup(s, len))) return -1; /* stops at a NUL: fine */
  s = nl ? nl + 1 : end;
  while (s < end) {
    nl = memchr(s, '\n', (size_t)(end - s));
    len = nl ? (size_t)(nl - s) : (size_t)(end - s);
    if (len && s[len - 1] == '\r') len--;
    if (len == 0) { /* the blank line: the rest is the body */
      s = nl ? nl + 1 : end;
      if (ecs_buf_add(&m->body, s, (size_t)(end - s)) < 0) goto oom;
      return 0;
    }
    if (add_header(m, s, len, mode) < 0) goto oom;
    s = nl ? nl + 1 : end;
  }
  return 0;
oom:
  fz_msg_free(m);
  return -1;
}

void fz_msg_free(fz_msg *m) {
  free(m->first);
  ecs_params_free(&m->headers);
  ecs_buf_free(&m->body);
  memset(m, 0, sizeof *m);
}

const char *fz_file(const uint8_t *d, size_t n) {
  static int fd = -1;
  static char path[64];
  if (fd < 0) {
    /* 0600, as a credentials file should be: no permission warning per run */
    if ((fd = memfd_create("ecs-fuzz", 0)) < 0 || fchmod(fd, 0600) != 0) abort();
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  if (ftruncate(fd, 0) != 0 || (n && pwrite(fd, d, n, 0) != (ssize_t)n)) abort();
  return path;
}
