/* buf.c - growable buffers and string-pair lists (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void ecs_buf_init(ecs_buf *b) { b->data = NULL; b->len = b->cap = 0; }

void ecs_buf_free(ecs_buf *b) {
  free(b->data);
  ecs_buf_init(b);
}

void ecs_buf_reset(ecs_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

/* Makes room for extra bytes plus a NUL. 0 or -1. */
static int buf_grow(ecs_buf *b, size_t extra) {
  size_t need, cap;
  char *p;
  if (extra > (size_t)-1 / 2 - b->len) return -1;
  need = b->len + extra + 1;
  if (need <= b->cap) return 0;
  cap = b->cap ? b->cap : 64;
  while (cap < need) cap *= 2;
  p = realloc(b->data, cap);
  if (!p) return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int ecs_buf_add(ecs_buf *b, const void *p, size_t n) {
  if (buf_grow(b, n) < 0) return -1;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int ecs_buf_adds(ecs_buf *b, const char *s) { return ecs_buf_add(b, s, strlen(s)); }

int ecs_buf_addc(ecs_buf *b, char c) { return ecs_buf_add(b, &c, 1); }

/* The common case of ecs_buf_addf on hot paths (header lines, signer
 * strings): a format of plain text, "%s" and "%%" only, with at most 8
 * non-NULL strings. Appends exactly what vsnprintf would, without its
 * cost; returns 1 when the format is not of that kind (nothing done), else
 * 0 or -1. */
static int addf_simple(ecs_buf *b, const char *fmt, va_list ap) {
  const char *args[8];
  size_t lens[8], total = 0, k = 0, i;
  const char *f;
  char *d;
  for (f = fmt; *f; f++) {
    if (*f != '%') {
      total++;
      continue;
    }
    if (f[1] == '%') {
      total++;
      f++;
    } else if (f[1] == 's' && k < 8) {
      args[k] = va_arg(ap, const char *);
      if (!args[k]) return 1; /* glibc prints "(null)": leave it to vsnprintf */
      lens[k] = strlen(args[k]);
      total += lens[k++];
      f++;
    } else {
      return 1;
    }
  }
  if (buf_grow(b, total) < 0) return -1;
  d = b->data + b->len;
  for (f = fmt, i = 0; *f; f++) {
    if (*f != '%') {
      *d++ = *f;
    } else if (*++f == '%') {
      *d++ = '%';
    } else {
      memcpy(d, args[i], lens[i]);
      d += lens[i++];
    }
  }
  b->len += total;
  b->data[b->len] = '\0';
  return 0;
}

int ecs_buf_addf(ecs_buf *b, const char *fmt, ...) {
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = addf_simple(b, fmt, ap);
  va_end(ap);
  if (n != 1) return n;
  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || buf_grow(b, (size_t)n) < 0) return -1;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

const char *ecs_buf_cstr(ecs_buf *b) { return b->data ? b->data : ""; }

char *ecs_buf_steal(ecs_buf *b) {
  char *s = b->data;
  if (!s) s = calloc(1, 1);
  ecs_buf_init(b);
  return s;
}

/* explicit_bzero: memset's speed, and never dropped as a dead store. */
void ecs_zeroize(void *p, size_t n) {
  if (p && n) explicit_bzero(p, n);
}

void ecs_buf_wipe(ecs_buf *b) {
  if (b->data) ecs_zeroize(b->data, b->cap);
  ecs_buf_free(b);
}

int ecs_str_dup(char **dst, const char *src) {
  *dst = NULL;
  if (src && !(*dst = strdup(src))) return -1;
  return 0;
}

uint64_t ecs_fnv1a(uint64_t h, const char *s) {
  while (*s) h = (h ^ (unsigned char)*s++) * ECS_FNV_PRIME;
  return h;
}

void ecs_free_secret(char *s) {
  if (s) {
    ecs_zeroize(s, strlen(s));
    free(s);
  }
}

void ecs_params_init(ecs_params *p) { p->v = NULL; p->n = p->cap = 0; }

void ecs_params_free(ecs_params *p) {
  size_t i;
  for (i = 0; i < p->n; i++) {
    free(p->v[i].name);
    free(p->v[i].value);
  }
  free(p->v);
  ecs_params_init(p);
}

void ecs_params_wipe(ecs_params *p) {
  size_t i;
  for (i = 0; i < p->n; i++) {
    ecs_free_secret(p->v[i].value);
    p->v[i].value = NULL;
  }
  ecs_params_free(p);
}

static char *dupn(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) return NULL;
  if (n) memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

int ecs_params_addn(ecs_params *p, const char *name, size_t nlen,
                    const char *value, size_t vlen) {
  char *k, *v;
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 16;
    ecs_pair *nv = realloc(p->v, cap * sizeof *nv);
    if (!nv) return -1;
    p->v = nv;
    p->cap = cap;
  }
  k = dupn(name, nlen);
  v = dupn(value ? value : "", value ? vlen : 0);
  if (!k || !v) {
    free(k);
    free(v);
    return -1;
  }
  p->v[p->n].name = k;
  p->v[p->n].value = v;
  p->n++;
  return 0;
}

int ecs_params_add(ecs_params *p, const char *name, const char *value) {
  return ecs_params_addn(p, name, strlen(name), value, value ? strlen(value) : 0);
}

int ecs_params_set(ecs_params *p, const char *name, const char *value) {
  size_t i;
  for (i = 0; i < p->n; i++) {
    if (strcmp(p->v[i].name, name) == 0) {
      char *v = dupn(value ? value : "", value ? strlen(value) : 0);
      if (!v) return -1;
      free(p->v[i].value);
      p->v[i].value = v;
      return 0;
    }
  }
  return ecs_params_add(p, name, value);
}

const char *ecs_params_get(const ecs_params *p, const char *name) {
  size_t i;
  for (i = 0; i < p->n; i++)
    if (strcmp(p->v[i].name, name) == 0) return p->v[i].value;
  return NULL;
}

const char *ecs_params_geti(const ecs_params *p, const char *name) {
  size_t i;
  for (i = 0; i < p->n; i++)
    if (strcasecmp(p->v[i].name, name) == 0) return p->v[i].value;
  return NULL;
}

void ecs_params_del(ecs_params *p, const char *name) {
  size_t i, j = 0;
  for (i = 0; i < p->n; i++) {
    if (strcmp(p->v[i].name, name) == 0) {
      free(p->v[i].name);
      free(p->v[i].value);
    } else {
      p->v[j++] = p->v[i];
    }
  }
  p->n = j;
}

/* Insertion sort: stable, and parameter lists are short (tens of pairs). */
void ecs_params_sort(ecs_params *p) {
  size_t i, j;
  for (i = 1; i < p->n; i++) {
    ecs_pair t = p->v[i];
    for (j = i; j > 0 && strcmp(p->v[j - 1].name, t.name) > 0; j--)
      p->v[j] = p->v[j - 1];
    p->v[j] = t;
  }
}

int ecs_params_copy(ecs_params *dst, const ecs_params *src) {
  size_t i;
  ecs_params_init(dst);
  for (i = 0; i < src->n; i++) {
    if (ecs_params_add(dst, src->v[i].name, src->v[i].value) < 0) {
      ecs_params_free(dst);
      return -1;
    }
  }
  return 0;
}
