/* buf.h - growable byte buffers and ordered string-pair lists.
 *
 * The two containers every other runtime module passes around. Both are plain
 * structs the caller owns; zero-initialised (or *_init'ed) they are empty and
 * valid, and *_free leaves them empty and valid again. Allocation failure is
 * reported by a -1 return and leaves the container unchanged but usable.
 */
#ifndef ECS_BUF_H
#define ECS_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct ecs_buf {
  char *data;   /* always NUL-terminated when len > 0 or after ecs_buf_cstr */
  size_t len;
  size_t cap;
} ecs_buf;

void ecs_buf_init(ecs_buf *b);
void ecs_buf_free(ecs_buf *b);
/* Drops the contents, keeps the allocation. */
void ecs_buf_reset(ecs_buf *b);
/* Appends n bytes. Returns 0, or -1 when out of memory. */
int ecs_buf_add(ecs_buf *b, const void *p, size_t n);
int ecs_buf_adds(ecs_buf *b, const char *s);
int ecs_buf_addc(ecs_buf *b, char c);
/* printf-style append. Returns 0 or -1. */
int ecs_buf_addf(ecs_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Returns a NUL-terminated view ("" for an empty buffer, never NULL). */
const char *ecs_buf_cstr(ecs_buf *b);
/* Hands the heap string to the caller (who frees it) and empties b.
 * Returns NULL only when out of memory. */
char *ecs_buf_steal(ecs_buf *b);
/* Overwrites the contents with zeros before freeing (for secrets). */
void ecs_buf_wipe(ecs_buf *b);

/* An ordered list of (name, value) string pairs: request parameters, headers. */
typedef struct ecs_pair {
  char *name;
  char *value;
} ecs_pair;

typedef struct ecs_params {
  ecs_pair *v;
  size_t n;
  size_t cap;
} ecs_params;

void ecs_params_init(ecs_params *p);
void ecs_params_free(ecs_params *p);
/* Appends a copy of name/value (value may be NULL: stored as ""). 0 or -1. */
int ecs_params_add(ecs_params *p, const char *name, const char *value);
int ecs_params_addn(ecs_params *p, const char *name, size_t nlen,
                    const char *value, size_t vlen);
/* Replaces the value of the first pair called name, or appends. 0 or -1. */
int ecs_params_set(ecs_params *p, const char *name, const char *value);
/* Value of the first pair called name (exact match), or NULL. */
const char *ecs_params_get(const ecs_params *p, const char *name);
/* Same, case-insensitive (for HTTP header names). */
const char *ecs_params_geti(const ecs_params *p, const char *name);
/* Removes every pair called name. */
void ecs_params_del(ecs_params *p, const char *name);
/* Stable sort by name in byte order. */
void ecs_params_sort(ecs_params *p);
/* Frees p after wiping every value with zeros (lists that may hold secrets:
 * SecurityToken parameters, STS form bodies, auth headers). */
void ecs_params_wipe(ecs_params *p);
/* Deep copy. 0 or -1 (dst is left empty on failure). */
int ecs_params_copy(ecs_params *dst, const ecs_params *src);

/* *dst = a heap copy of src, or NULL when src is NULL. 0, or -1 when out of
 * memory (*dst NULL). */
int ecs_str_dup(char **dst, const char *src);
/* 64-bit FNV-1a: folds the bytes of string s into h (start from
 * ECS_FNV_OFFSET) for the hash tables of the runtime and the simulator. */
#define ECS_FNV_OFFSET 14695981039346656037ULL
#define ECS_FNV_PRIME 1099511628211ULL
uint64_t ecs_fnv1a(uint64_t h, const char *s);
/* Wipes a heap string with zeros and frees it (NULL is fine). */
void ecs_free_secret(char *s);
/* Overwrites n bytes at p with zeros; never dropped as a dead store. The one
 * wipe every secret buffer goes through. */
void ecs_zeroize(void *p, size_t n);

#endif
