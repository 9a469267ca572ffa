/* fuzz_query.c - libFuzzer target for runtime/encode.c: percent-encoding,
 * query parsing, canonical queries and RepeatList flattening.
 *
 * The whole input is used as a string for the encoders and the query
 * parser, and, when it parses as JSON, as a value for ecs_encode_flatten.
 * Invariants:
 *  - decode(encode(x)) == x, byte for byte, with and without '+' as space;
 *    encode emits only unreserved bytes and %XY, and its length is
 *    n + 2 * (bytes outside the unreserved set);
 *  - decode never grows its input, and decoding a string without '%' or '+'
 *    is the identity;
 *  - parse(canonical(parse(x))) is parse(x) stably sorted by name, so the
 *    canonical query is a fixed point: canonical(parse(c)) == c;
 *  - flattening: every number reads back (strtod) as the same double, every
 *    name of a nested value has its parent as a prefix, and the canonical
 *    query of the result parses back to the same pairs.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "fuzz_util.h"

static int unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.' || c == '~';
}

static void check_pct(const char *s, size_t n) {
  ecs_buf e, d, d2;
  size_t i, other = 0;
  ecs_buf_init(&e);
  ecs_buf_init(&d);
  ecs_buf_init(&d2);
  for (i = 0; i < n; i++) other += !unreserved((unsigned char)s[i]);
  FZ_ASSERT(ecs_encode_pct(&e, s, n) == 0, "encode failed");
  FZ_ASSERT(e.len == n + 2 * other, "encoded length %zu for %zu bytes", e.len, n);
  for (i = 0; i < e.len; i++) {
    unsigned char c = (unsigned char)e.data[i];
    if (c == '%') {
      FZ_ASSERT(i + 2 < e.len && strchr("0123456789ABCDEF", e.data[i + 1]) && e.data[i + 1] &&
                    strchr("0123456789ABCDEF", e.data[i + 2]) && e.data[i + 2],
                "bad escape at %zu", i);
      i += 2;
    } else {
      FZ_ASSERT(unreserved(c), "byte 0x%02x left unencoded", c);
    }
  }
  FZ_ASSERT(ecs_encode_pct_decode(&d, e.data, e.len, 0) == 0, "decode failed");
  FZ_ASSERT(d.len == n && (n == 0 || memcmp(d.data, s, n) == 0), "decode(encode(x)) != x");
  FZ_ASSERT(ecs_encode_pct_decode(&d2, e.data, e.len, 1) == 0, "decode failed");
  FZ_ASSERT(d2.len == n && (n == 0 || memcmp(d2.data, s, n) == 0),
            "decode(encode(x), plus) != x");
  ecs_buf_reset(&d);
  FZ_ASSERT(ecs_encode_pct_decode(&d, s, n, 1) == 0, "decode failed");
  FZ_ASSERT(d.len <= n, "decode grew %zu -> %zu", n, d.len);
  if (!memchr(s, '%', n) && !memchr(s, '+', n))
    FZ_ASSERT(d.len == n && (n == 0 || memcmp(d.data, s, n) == 0), "decode changed plain text");
  ecs_buf_free(&e);
  ecs_buf_free(&d);
  ecs_buf_free(&d2);
}

/* p2 must equal p stably sorted by name. */
static void same_sorted(const ecs_params *p, const ecs_params *p2, const char *what) {
  ecs_params sorted;
  size_t i;
  FZ_ASSERT(ecs_params_copy(&sorted, p) == 0, "copy failed");
  ecs_params_sort(&sorted);
  FZ_ASSERT(sorted.n == p2->n, "%s: %zu pairs became %zu", what, sorted.n, p2->n);
  for (i = 0; i < sorted.n; i++) {
    FZ_ASSERT(strcmp(sorted.v[i].name, p2->v[i].name) == 0, "%s: name %zu: '%s' vs '%s'", what,
              i, sorted.v[i].name, p2->v[i].name);
    FZ_ASSERT(strcmp(sorted.v[i].value, p2->v[i].value) == 0, "%s: value %zu of %s", what, i,
              sorted.v[i].name);
  }
  ecs_params_free(&sorted);
}

/* canonical(p) parses back to sorted(p) and is a fixed point. */
static void check_canonical(const ecs_params *p, const char *what) {
  ecs_buf c, c2;
  ecs_params p2;
  ecs_buf_init(&c);
  ecs_buf_init(&c2);
  ecs_params_init(&p2);
  FZ_ASSERT(ecs_encode_canonical_query(&c, p) == 0, "canonical failed");
  FZ_ASSERT(ecs_encode_query_parse(&p2, c.data ? c.data : "", c.len, 1) == 0, "reparse failed");
  same_sorted(p, &p2, what);
  FZ_ASSERT(ecs_encode_canonical_query(&c2, &p2) == 0, "canonical failed");
  FZ_ASSERT(c.len == c2.len && (c.len == 0 || memcmp(c.data, c2.data, c.len) == 0),
            "%s: canonical query not stable:\n  %s\n  %s", what, ecs_buf_cstr(&c),
            ecs_buf_cstr(&c2));
  ecs_buf_free(&c);
  ecs_buf_free(&c2);
  ecs_params_free(&p2);
}

static void check_query(const char *s, size_t n, int plus) {
  ecs_params p;
  ecs_params_init(&p);
  FZ_ASSERT(ecs_encode_query_parse(&p, s, n, plus) == 0, "parse failed");
  check_canonical(&p, "query");
  ecs_params_free(&p);
}

static void check_flatten(const char *s, size_t n) {
  cJSON *j = cJSON_ParseWithLength(s, n);
  ecs_params p;
  const cJSON *c;
  if (!j) return;
  ecs_params_init(&p);
  FZ_ASSERT(ecs_encode_flatten(&p, NULL, j) == 0, "flatten failed");
  check_canonical(&p, "flatten");
  ecs_params_free(&p);
  /* under a name: every pair is "Name" or starts with "Name." */
  ecs_params_init(&p);
  FZ_ASSERT(ecs_encode_flatten(&p, "Tag", j) == 0, "flatten failed");
  {
    size_t i;
    for (i = 0; i < p.n; i++)
      FZ_ASSERT(strcmp(p.v[i].name, "Tag") == 0 || strncmp(p.v[i].name, "Tag.", 4) == 0,
                "name %s outside Tag", p.v[i].name);
  }
  ecs_params_free(&p);
  /* numbers: the flat text reads back as the same double */
  if (cJSON_IsNumber(j)) {
    ecs_params_init(&p);
    FZ_ASSERT(ecs_encode_flatten(&p, "N", j) == 0 && p.n == 1, "number did not flatten to one pair");
    FZ_ASSERT(strtod(p.v[0].value, NULL) == j->valuedouble, "%s does not read back as %.17g",
              p.v[0].value, j->valuedouble);
    ecs_params_free(&p);
  }
  for (c = j->child; c; c = c->next) {
    if (!cJSON_IsNumber(c)) continue;
    ecs_params_init(&p);
    FZ_ASSERT(ecs_encode_flatten(&p, "N", c) == 0 && p.n == 1, "number did not flatten to one pair");
    FZ_ASSERT(strtod(p.v[0].value, NULL) == c->valuedouble, "%s does not read back as %.17g",
              p.v[0].value, c->valuedouble);
    ecs_params_free(&p);
  }
  cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  check_pct(s, size);
  check_query(s, size, 1);
  check_query(s, size, 0);
  check_flatten(s, size);
  return 0;
}
