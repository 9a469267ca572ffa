/* utf8.h - making untrusted text safe to record: valid UTF-8 only (for the
 * audit file's JSON lines) and one line only (for text logs).
 *
 * Text that reaches a record comes from servers (Code, Message, RequestId)
 * and from scripts (parameters): any bytes at all. Invalid UTF-8 — stray
 * continuation bytes, overlong forms, surrogates, code points over U+10FFFF,
 * truncated sequences — and NUL are replaced by U+FFFD, one per byte.
 */
#ifndef ECS_UTF8_H
#define ECS_UTF8_H

#include <stddef.h>
#include "buf.h"

/* Length of the valid UTF-8 character at s (n > 0 bytes available, 1..4),
 * or 0 when the bytes there are not one (NUL counts as invalid). */
size_t ecs_utf8_char_len(const unsigned char *s, size_t n);

/* Appends s[0..n) to out with every invalid byte replaced by U+FFFD.
 * Returns 0 or -1 (out of memory). */
int ecs_utf8_sanitize(ecs_buf *out, const char *s, size_t n);

/* A heap copy of the C string s, sanitized as above (NULL stays NULL, and
 * out of memory gives NULL too: check s). Caller frees. */
char *ecs_utf8_dup(const char *s);

/* Appends s[0..n) to out as one printable line: invalid UTF-8 as U+FFFD;
 * backslash, double quote, \n, \r, \t as \\ \" \n \r \t; other C0 controls,
 * NUL and DEL as \xNN; C1 controls (U+0080..U+009F) as \u00NN. The result
 * holds no byte below 0x20. Returns 0 or -1. */
int ecs_utf8_escape(ecs_buf *out, const char *s, size_t n);


#endif
