/* encode.c - percent-encoding as Alibaba Cloud signs it, query parsing and
 * RepeatList flattening (see encode.h).
 */
#include "encode.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char hexdig[] = "0123456789ABCDEF";

/* 1 for the RFC 3986 unreserved set A-Z a-z 0-9 - _ . ~ (ASCII only, so the
 * answer does not depend on the locale). */
static int is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.' || c == '~';
}

/* Appends s[0..n) to out, unreserved bytes as they are and every other byte
 * (UTF-8 continuation bytes included) as %XY. Runs of unreserved bytes are
 * copied in one ecs_buf_add. */
int ecs_encode_pct(ecs_buf *out, const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    size_t start = i;
    while (i < n && is_unreserved((unsigned char)s[i])) i++;
    if (i > start && ecs_buf_add(out, s + start, i - start) < 0) return -1;
    if (i < n) {
      unsigned char c = (unsigned char)s[i++];
      char esc[3];
      esc[0] = '%';
      esc[1] = hexdig[c >> 4];
      esc[2] = hexdig[c & 15];
      if (ecs_buf_add(out, esc, 3) < 0) return -1;
    }
  }
  return 0;
}

/* Value of a hex digit, or -1. */
static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Appends the decoded form of s[0..n) to out. A '%' not followed by two hex
 * digits is copied literally; '+' becomes ' ' only with plus_is_space. The
 * result may contain NUL bytes (from %00); out->len counts them. */
int ecs_encode_pct_decode(ecs_buf *out, const char *s, size_t n, int plus_is_space) {
  size_t i;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
      c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (ecs_buf_addc(out, c) < 0) return -1;
  }
  return 0;
}

/* Splits s[0..n) at '&', each segment at its first '=', decodes both halves
 * and appends the pair to p. On failure p may hold the pairs parsed so far. */
int ecs_encode_query_parse(ecs_params *p, const char *s, size_t n, int plus_is_space) {
  ecs_buf name, value;
  size_t i = 0;
  int rc = 0;
  ecs_buf_init(&name);
  ecs_buf_init(&value);
  while (i < n && rc == 0) {
    const char *seg = s + i, *amp = memchr(seg, '&', n - i), *eq;
    size_t seglen = amp ? (size_t)(amp - seg) : n - i;
    i += seglen + 1;
    if (seglen == 0) continue;
    eq = memchr(seg, '=', seglen);
    ecs_buf_reset(&name);
    ecs_buf_reset(&value);
    if (eq) {
      rc = ecs_encode_pct_decode(&name, seg, (size_t)(eq - seg), plus_is_space);
      if (rc == 0)
        rc = ecs_encode_pct_decode(&value, eq + 1, seglen - (size_t)(eq - seg) - 1, plus_is_space);
    } else {
      rc = ecs_encode_pct_decode(&name, seg, seglen, plus_is_space);
    }
    if (rc == 0)
      rc = ecs_params_addn(p, ecs_buf_cstr(&name), name.len, ecs_buf_cstr(&value), value.len);
  }
  ecs_buf_free(&name);
  ecs_buf_free(&value);
  return rc;
}

/* Sorts a copy of p by raw name (stable, byte order, as the SDKs sort the
 * unencoded keys) and appends enc(name)=enc(value) joined by '&'. The same
 * string serves V1 and V3: the V3 SDK leaves names unencoded, which is the
 * same bytes for every name made of unreserved characters (all ECS names). */
int ecs_encode_canonical_query(ecs_buf *out, const ecs_params *p) {
  ecs_params sorted;
  size_t i;
  int rc = 0;
  if (ecs_params_copy(&sorted, p) < 0) return -1;
  ecs_params_sort(&sorted);
  for (i = 0; i < sorted.n && rc == 0; i++) {
    const ecs_pair *kv = &sorted.v[i];
    if (i > 0) rc = ecs_buf_addc(out, '&');
    if (rc == 0) rc = ecs_encode_pct(out, kv->name, strlen(kv->name));
    if (rc == 0) rc = ecs_buf_addc(out, '=');
    if (rc == 0) rc = ecs_encode_pct(out, kv->value, strlen(kv->value));
  }
  ecs_params_free(&sorted);
  return rc;
}

/* Writes d as JavaScript's String(d) does (ECMA-262 Number::toString): the
 * shortest digit string that reads back as d, in fixed notation for
 * 1e-6 <= |d| < 1e21 and as "1.5e+21" / "1e-7" outside. out holds >= 40. */
static void js_number(char *out, size_t outlen, double d) {
  char tmp[40], digits[24];
  int prec, exp10, k = 0, n, i;
  size_t o = 0;
  char *e;
  if (isnan(d)) { snprintf(out, outlen, "NaN"); return; }
  if (isinf(d)) { snprintf(out, outlen, d < 0 ? "-Infinity" : "Infinity"); return; }
  if (d == 0) { snprintf(out, outlen, "0"); return; } /* also -0 */
  for (prec = 1; prec <= 17; prec++) {                 /* shortest round trip */
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
    if (strtod(tmp, NULL) == d) break;
  }
  e = strchr(tmp, 'e');
  exp10 = atoi(e + 1);
  for (i = (tmp[0] == '-'); tmp + i < e; i++)          /* mantissa digits */
    if (tmp[i] != '.') digits[k++] = tmp[i];
  while (k > 1 && digits[k - 1] == '0') k--;
  digits[k] = '\0';
  n = exp10 + 1; /* the value is 0.digits * 10^n */
  if (d < 0) out[o++] = '-';
#define PUT(c) do { if (o + 1 < outlen) out[o++] = (c); } while (0)
  if (k <= n && n <= 21) {
    for (i = 0; i < k; i++) PUT(digits[i]);
    for (i = k; i < n; i++) PUT('0');
  } else if (0 < n && n <= 21) {
    for (i = 0; i < n; i++) PUT(digits[i]);
    PUT('.');
    for (i = n; i < k; i++) PUT(digits[i]);
  } else if (-6 < n && n <= 0) {
    PUT('0');
    PUT('.');
    for (i = 0; i < -n; i++) PUT('0');
    for (i = 0; i < k; i++) PUT(digits[i]);
  } else {
    char ex[16];
    PUT(digits[0]);
    if (k > 1) PUT('.');
    for (i = 1; i < k; i++) PUT(digits[i]);
    snprintf(ex, sizeof ex, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
    for (i = 0; ex[i]; i++) PUT(ex[i]);
  }
#undef PUT
  out[o] = '\0';
}

/* The flattening walk. key holds the current name (the caller's prefix);
 * children extend it with ".Sub" or ".N" and truncate it back afterwards. */
static int flatten_rec(ecs_params *p, ecs_buf *key, const cJSON *v) {
  size_t keep = key->len;
  const cJSON *c;
  int rc = 0, idx = 0;
  char num[48];
  if (!v || cJSON_IsNull(v) || cJSON_IsInvalid(v)) return 0; /* null -> nothing */
  if (cJSON_IsString(v) || cJSON_IsRaw(v))
    return ecs_params_add(p, ecs_buf_cstr(key), v->valuestring ? v->valuestring : "");
  if (cJSON_IsBool(v)) return ecs_params_add(p, ecs_buf_cstr(key), cJSON_IsTrue(v) ? "true" : "false");
  if (cJSON_IsNumber(v)) {
    js_number(num, sizeof num, v->valuedouble);
    return ecs_params_add(p, ecs_buf_cstr(key), num);
  }
  /* array: Name.1, Name.2 ...; object: Name.Key. No separator at the top. */
  for (c = v->child; c && rc == 0; c = c->next) {
    idx++;
    if (keep > 0) rc = ecs_buf_addc(key, '.');
    if (rc == 0) {
      if (cJSON_IsArray(v)) rc = ecs_buf_addf(key, "%d", idx);
      else rc = ecs_buf_adds(key, c->string ? c->string : "");
    }
    if (rc == 0) rc = flatten_rec(p, key, c);
    key->len = keep;
    if (key->data) key->data[keep] = '\0';
  }
  return rc;
}

/* Flattens value under name into p with the semantics of openapi-core's
 * OpenApiUtil.query() (the ECS client): nested objects are walked, nulls are
 * dropped. pop-core's flatParams differs only where it is broken (it writes
 * "[object Object]" for plain objects and the string "null" for nulls). */
int ecs_encode_flatten(ecs_params *p, const char *name, const struct cJSON *value) {
  ecs_buf key;
  int rc;
  ecs_buf_init(&key);
  if (name && *name && ecs_buf_adds(&key, name) < 0) return -1;
  rc = flatten_rec(p, &key, value);
  ecs_buf_free(&key);
  return rc;
}
