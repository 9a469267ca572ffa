/* encode.h - percent-encoding exactly as Alibaba Cloud signs it, and
 * RepeatList flattening of nested parameters.
 */
#ifndef ECS_ENCODE_H
#define ECS_ENCODE_H

#include <stddef.h>
#include "buf.h"

struct cJSON;

/* Strict RFC 3986: keeps A-Z a-z 0-9 - _ . ~, everything else %XY (upper-case
 * hex, UTF-8 bytes as they are; space is %20, '*' is %2A). Appends to out.
 * Returns 0 or -1 (out of memory). */
int ecs_encode_pct(ecs_buf *out, const char *s, size_t n);

/* Decodes %XY escapes; with plus_is_space, '+' becomes ' ' (form bodies and
 * query strings as browsers send them). Malformed escapes ("%4", "%zz") are
 * kept literally, as the service does. Appends to out. Returns 0 or -1. */
int ecs_encode_pct_decode(ecs_buf *out, const char *s, size_t n, int plus_is_space);

/* Parses "a=1&b=x%20y" (query string or form body) into decoded pairs,
 * appending to p. Empty segments are skipped; "k" alone is ("k", "").
 * Returns 0 or -1. */
int ecs_encode_query_parse(ecs_params *p, const char *s, size_t n, int plus_is_space);

/* Canonicalized query: pairs sorted by name (byte order), name and value each
 * ecs_encode_pct'd, joined "k=v&k=v". p is not modified. Appends to out. */
int ecs_encode_canonical_query(ecs_buf *out, const ecs_params *p);

/* RepeatList flattening (the SDK's flatParams): a JSON value under a name
 * becomes flat pairs appended to p.
 *   string/number/bool -> name=value (numbers without a trailing ".0",
 *                         booleans "true"/"false")
 *   array              -> name.1, name.2, ... (1-based), recursively
 *   object             -> name.Key, recursively
 *   null               -> nothing
 * name may be NULL/"" for the top level (an object then yields its keys).
 * Returns 0, or -1 on out of memory. */
int ecs_encode_flatten(ecs_params *p, const char *name, const struct cJSON *value);


#endif
