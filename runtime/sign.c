/* sign.c - RPC V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256) request signatures
 * with mbedTLS (see sign.h), plus the small crypto helpers the client and the
 * simulator share: SHA-256 hex, random hex nonces, timestamps, constant-time
 * comparison.
 */
#include "sign.h"

#include <errno.h>
#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "encode.h"

static const char hexlow[] = "0123456789abcdef";

/* Writes n bytes as lower-case hex plus NUL into hex (2n+1 bytes). */
static void to_hex(char *hex, const unsigned char *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    hex[2 * i] = hexlow[p[i] >> 4];
    hex[2 * i + 1] = hexlow[p[i] & 15];
  }
  hex[2 * n] = '\0';
}

/* HMAC of msg under key with the given digest into mac (size of the digest).
 * Returns 0 or -1 (unknown digest or any mbedTLS error). The one-shot
 * mbedtls_md_hmac zeroizes its own context, key pads included. */
static int hmac(mbedtls_md_type_t type, const void *key, size_t keylen, const void *msg,
                size_t msglen, unsigned char *mac) {
  const mbedtls_md_info_t *info = mbedtls_md_info_from_type(type);
  if (!info) return -1;
  if (mbedtls_md_hmac(info, key, keylen, msg, msglen, mac) != 0) return -1;
  return 0;
}

/* hex(SHA-256("")): the hashed payload of every body-less V3 request. */
static const char empty_sha256[65] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* HMAC-SHA256 (RFC 2104) straight on mbedtls_sha256, without the md
 * layer's allocations. The key block, pads and contexts are wiped. */
static int hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                       unsigned char mac[32]) {
  mbedtls_sha256_context ctx;
  unsigned char k[64], pad[64], inner[32];
  size_t i;
  int rc = -1;
  memset(k, 0, sizeof k);
  mbedtls_sha256_init(&ctx);
  if (keylen > sizeof k) {
    if (mbedtls_sha256_ret(key, keylen, k, 0) != 0) goto done;
  } else if (keylen) {
    memcpy(k, key, keylen);
  }
  for (i = 0; i < sizeof pad; i++) pad[i] = (unsigned char)(k[i] ^ 0x36);
  if (mbedtls_sha256_starts_ret(&ctx, 0) != 0 || mbedtls_sha256_update_ret(&ctx, pad, sizeof pad) != 0 ||
      mbedtls_sha256_update_ret(&ctx, msg, msglen) != 0 || mbedtls_sha256_finish_ret(&ctx, inner) != 0)
    goto done;
  for (i = 0; i < sizeof pad; i++) pad[i] = (unsigned char)(k[i] ^ 0x5c);
  if (mbedtls_sha256_starts_ret(&ctx, 0) != 0 || mbedtls_sha256_update_ret(&ctx, pad, sizeof pad) != 0 ||
      mbedtls_sha256_update_ret(&ctx, inner, sizeof inner) != 0 ||
      mbedtls_sha256_finish_ret(&ctx, mac) != 0)
    goto done;
  rc = 0;
done:
  mbedtls_sha256_free(&ctx); /* zeroizes */
  ecs_zeroize(k, sizeof k);
  ecs_zeroize(pad, sizeof pad);
  ecs_zeroize(inner, sizeof inner);
  return rc;
}

int ecs_sign_sha256_hex(const void *data, size_t n, char hex[65]) {
  unsigned char d[32];
  if (n == 0) {
    memcpy(hex, empty_sha256, sizeof empty_sha256);
    return 0;
  }
  if (mbedtls_sha256_ret(data, n, d, 0) != 0) return -1;
  to_hex(hex, d, sizeof d);
  return 0;
}

void ecs_sign_v1_out_free(ecs_sign_v1_out *out) {
  ecs_buf_free(&out->canonicalized_query);
  ecs_buf_free(&out->string_to_sign);
  ecs_buf_free(&out->final_query);
  memset(out->signature, 0, sizeof out->signature);
}

/* RPC V1: canonicalized query over every parameter except Signature,
 * StringToSign = METHOD&%2F&enc(cq), Signature = base64(HMAC-SHA1(secret&)).
 * The key copy "secret&" is wiped before returning. On failure out is freed
 * (empty) and -1 returned. */
int ecs_sign_v1(const char *method, const ecs_params *params, const char *secret,
                ecs_sign_v1_out *out) {
  ecs_params signed_params;
  ecs_buf key;
  unsigned char mac[20];
  size_t b64len = 0;
  int rc = -1;

  ecs_buf_init(&out->canonicalized_query);
  ecs_buf_init(&out->string_to_sign);
  ecs_buf_init(&out->final_query);
  memset(out->signature, 0, sizeof out->signature);
  ecs_buf_init(&key);
  if (!method || !params || !secret) return -1;
  if (ecs_params_copy(&signed_params, params) < 0) return -1;
  ecs_params_del(&signed_params, "Signature");

  if (ecs_encode_canonical_query(&out->canonicalized_query, &signed_params) < 0) goto done;
  if (ecs_buf_adds(&out->string_to_sign, method) < 0 ||
      ecs_buf_adds(&out->string_to_sign, "&%2F&") < 0 ||
      ecs_encode_pct(&out->string_to_sign, ecs_buf_cstr(&out->canonicalized_query),
                     out->canonicalized_query.len) < 0)
    goto done;
  if (ecs_buf_adds(&key, secret) < 0 || ecs_buf_addc(&key, '&') < 0) goto done;
  if (hmac(MBEDTLS_MD_SHA1, key.data, key.len, out->string_to_sign.data,
           out->string_to_sign.len, mac) < 0)
    goto done;
  if (mbedtls_base64_encode((unsigned char *)out->signature, sizeof out->signature, &b64len,
                            mac, sizeof mac) != 0)
    goto done;
  if (ecs_buf_add(&out->final_query, out->canonicalized_query.data,
                  out->canonicalized_query.len) < 0 ||
      ecs_buf_adds(&out->final_query, "&Signature=") < 0 ||
      ecs_encode_pct(&out->final_query, out->signature, b64len) < 0)
    goto done;
  rc = 0;
done:
  ecs_buf_wipe(&key);
  ecs_zeroize(mac, sizeof mac);
  ecs_params_free(&signed_params);
  if (rc < 0) ecs_sign_v1_out_free(out);
  return rc;
}

void ecs_sign_v3_out_free(ecs_sign_v3_out *out) {
  ecs_buf_free(&out->canonical_query);
  ecs_buf_free(&out->canonical_headers);
  ecs_buf_free(&out->signed_headers);
  ecs_buf_free(&out->canonical_request);
  ecs_buf_free(&out->string_to_sign);
  ecs_buf_free(&out->authorization);
  memset(out->hashed_payload, 0, sizeof out->hashed_payload);
  memset(out->hashed_canonical_request, 0, sizeof out->hashed_canonical_request);
  memset(out->signature, 0, sizeof out->signature);
}

/* Appends the canonical URI: pathname ("/" when NULL or empty) with every
 * "+" -> "%20", "*" -> "%2A" and "%7E" -> "~", as openapi-core 1.0 does. */
static int canonical_uri(ecs_buf *out, const char *pathname) {
  const char *s = (pathname && *pathname) ? pathname : "/";
  int rc = 0;
  while (*s && rc == 0) {
    if (*s == '+') rc = ecs_buf_adds(out, "%20");
    else if (*s == '*') rc = ecs_buf_adds(out, "%2A");
    else if (strncmp(s, "%7E", 3) == 0) {
      rc = ecs_buf_addc(out, '~');
      s += 2;
    } else rc = ecs_buf_addc(out, *s);
    s++;
  }
  return rc;
}

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* 1 if the lower-cased header name is signed under V3. */
static int is_signed_header(const char *lname) {
  return strcmp(lname, "host") == 0 || strcmp(lname, "content-type") == 0 ||
         strncmp(lname, "x-acs-", 6) == 0;
}

/* Collects the signed headers of h into sel as (lower-cased name, trimmed
 * value), sorted by name and, within one name, by value. 0 or -1. */
static int select_headers(ecs_params *sel, const ecs_params *h) {
  ecs_buf name;
  size_t i, j, start;
  int rc = 0;
  ecs_buf_init(&name);
  for (i = 0; h && i < h->n && rc == 0; i++) {
    const char *v = h->v[i].value, *end;
    ecs_buf_reset(&name);
    rc = ecs_buf_adds(&name, h->v[i].name);
    for (j = 0; rc == 0 && j < name.len; j++) {
      char c = name.data[j];
      if (c >= 'A' && c <= 'Z') name.data[j] = (char)(c - 'A' + 'a');
    }
    if (rc < 0 || !is_signed_header(ecs_buf_cstr(&name))) continue;
    while (is_space(*v)) v++;
    end = v + strlen(v);
    while (end > v && is_space(end[-1])) end--;
    rc = ecs_params_addn(sel, name.data, name.len, v, (size_t)(end - v));
  }
  ecs_buf_free(&name);
  if (rc < 0) return -1;
  ecs_params_sort(sel);
  /* repeated names: order their values too (insertion sort inside the run) */
  for (start = 0; start < sel->n; start = i) {
    for (i = start + 1; i < sel->n && strcmp(sel->v[i].name, sel->v[start].name) == 0; i++) {
      for (j = i; j > start && strcmp(sel->v[j - 1].value, sel->v[j].value) > 0; j--) {
        char *t = sel->v[j].value;
        sel->v[j].value = sel->v[j - 1].value;
        sel->v[j - 1].value = t;
      }
    }
  }
  return 0;
}

/* Builds canonical_headers ("name:v1,v2\n" per distinct name) and
 * signed_headers ("a;b;c") from the selected, sorted headers. 0 or -1. */
static int build_headers(ecs_sign_v3_out *out, const ecs_params *sel) {
  size_t i;
  int rc = 0;
  for (i = 0; i < sel->n && rc == 0; i++) {
    int same = i > 0 && strcmp(sel->v[i].name, sel->v[i - 1].name) == 0;
    if (same) {
      out->canonical_headers.len--; /* drop the '\n', continue the line */
      rc = ecs_buf_addc(&out->canonical_headers, ',');
    } else {
      if (out->signed_headers.len) rc = ecs_buf_addc(&out->signed_headers, ';');
      if (rc == 0) rc = ecs_buf_adds(&out->signed_headers, sel->v[i].name);
      if (rc == 0) rc = ecs_buf_adds(&out->canonical_headers, sel->v[i].name);
      if (rc == 0) rc = ecs_buf_addc(&out->canonical_headers, ':');
    }
    if (rc == 0) rc = ecs_buf_adds(&out->canonical_headers, sel->v[i].value);
    if (rc == 0) rc = ecs_buf_addc(&out->canonical_headers, '\n');
  }
  return rc;
}

/* ACS3-HMAC-SHA256: CanonicalRequest = METHOD\nURI\nQUERY\nHEADERS\nSIGNED\n
 * HASHED_PAYLOAD (HEADERS ends in '\n'), StringToSign = algorithm\nhex(sha256
 * (CanonicalRequest)), Signature = hex(HMAC-SHA256(secret, StringToSign)).
 * On failure out is freed (empty) and -1 returned. */
int ecs_sign_v3(const char *method, const char *pathname, const ecs_params *query,
                const ecs_params *headers, const void *body, size_t body_len,
                const char *access_key_id, const char *secret, ecs_sign_v3_out *out) {
  static const ecs_params no_params = {NULL, 0, 0};
  ecs_params sel;
  ecs_buf *cr = &out->canonical_request;
  unsigned char mac[32];
  int rc = -1;

  memset(out, 0, sizeof *out);
  ecs_params_init(&sel);
  if (!method || !access_key_id || !secret || (!body && body_len)) return -1;

  if (ecs_encode_canonical_query(&out->canonical_query, query ? query : &no_params) < 0) goto done;
  if (select_headers(&sel, headers) < 0 || build_headers(out, &sel) < 0) goto done;
  if (ecs_sign_sha256_hex(body, body_len, out->hashed_payload) < 0) goto done;

  if (ecs_buf_adds(cr, method) < 0 || ecs_buf_addc(cr, '\n') < 0 ||
      canonical_uri(cr, pathname) < 0 || ecs_buf_addc(cr, '\n') < 0 ||
      ecs_buf_add(cr, out->canonical_query.data, out->canonical_query.len) < 0 ||
      ecs_buf_addc(cr, '\n') < 0 ||
      ecs_buf_add(cr, out->canonical_headers.data, out->canonical_headers.len) < 0 ||
      ecs_buf_addc(cr, '\n') < 0 ||
      ecs_buf_add(cr, out->signed_headers.data, out->signed_headers.len) < 0 ||
      ecs_buf_addc(cr, '\n') < 0 || ecs_buf_adds(cr, out->hashed_payload) < 0)
    goto done;
  if (ecs_sign_sha256_hex(cr->data, cr->len, out->hashed_canonical_request) < 0) goto done;
  if (ecs_buf_adds(&out->string_to_sign, "ACS3-HMAC-SHA256\n") < 0 ||
      ecs_buf_add(&out->string_to_sign, out->hashed_canonical_request, 64) < 0)
    goto done;
  if (hmac_sha256(secret, strlen(secret), out->string_to_sign.data, out->string_to_sign.len,
                  mac) < 0)
    goto done;
  to_hex(out->signature, mac, sizeof mac);
  if (ecs_buf_adds(&out->authorization, "ACS3-HMAC-SHA256 Credential=") < 0 ||
      ecs_buf_adds(&out->authorization, access_key_id) < 0 ||
      ecs_buf_adds(&out->authorization, ",SignedHeaders=") < 0 ||
      ecs_buf_add(&out->authorization, out->signed_headers.data, out->signed_headers.len) < 0 ||
      ecs_buf_adds(&out->authorization, ",Signature=") < 0 ||
      ecs_buf_adds(&out->authorization, out->signature) < 0)
    goto done;
  rc = 0;
done:
  ecs_zeroize(mac, sizeof mac);
  ecs_params_free(&sel);
  if (rc < 0) ecs_sign_v3_out_free(out);
  return rc;
}

/* Reads n random bytes with getrandom(2) in chunks, retrying on EINTR and
 * after short reads, and writes them as hex. Returns 0 or -1 (errno set). */
int ecs_sign_random_hex(char *out, size_t n) {
  unsigned char chunk[128];
  size_t done = 0;
  while (done < n) {
    size_t want = n - done < sizeof chunk ? n - done : sizeof chunk;
    ssize_t got = getrandom(chunk, want, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      out[0] = '\0';
      return -1;
    }
    to_hex(out + 2 * done, chunk, (size_t)got);
    done += (size_t)got;
  }
  out[2 * n] = '\0';
  ecs_zeroize(chunk, sizeof chunk);
  return 0;
}

void ecs_sign_timestamp(char out[21]) {
  struct tm tm;
  time_t now = time(NULL);
  if (now == (time_t)-1 || !gmtime_r(&now, &tm) ||
      strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
    memcpy(out, "1970-01-01T00:00:00Z", 21);
}

/* Compares over the longer of the two lengths, touching every byte, so the
 * time depends only on the lengths (which are not secret), never on where
 * the first difference is. NULL equals nothing. */
int ecs_sign_secure_equal(const char *a, const char *b) {
  size_t la, lb, n, i;
  unsigned diff;
  if (!a || !b) return 0;
  la = strlen(a);
  lb = strlen(b);
  n = la > lb ? la : lb;
  diff = (unsigned)(la != lb);
  for (i = 0; i < n; i++) {
    unsigned char ca = i < la ? (unsigned char)a[i] : 0;
    unsigned char cb = i < lb ? (unsigned char)b[i] : 0;
    diff |= (unsigned)(ca ^ cb);
  }
  return diff == 0;
}
