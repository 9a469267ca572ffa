/* fuzz_response.c - libFuzzer target for ecs_client_finish (runtime/client.c):
 * HTTP status + response headers + body -> result or err.
 *
 * Input (see fuzz_util.h): first line "<status>" (e.g. "403"), or a local
 * transport error code starting with 'E' ("ETIMEDOUT") for a failed
 * transfer; then the response headers (lower-cased as http.c stores them);
 * a blank line; the body.
 *
 * Each input is interpreted for three requests: a V3 request carrying an STS
 * token in x-acs-security-token, a V1 request carrying it as SecurityToken in
 * the URL, and one without a token. Invariants:
 *  - 0 only for a 2xx status with a JSON object body, which is returned;
 *  - -1 always fills code and message, kind API/THROTTLE/TRANSPORT, status
 *    as received, retry_after -1 or within [0, 86400] s, 5xx retryable;
 *  - the token never appears in the message: raw, percent-encoded once or
 *    twice; and when the answer held the whole raw token, no 24-byte piece
 *    of it either unless the answer also held that piece on its own (an
 *    excerpt cut short must not leak part of a token).
 */
#define _GNU_SOURCE /* memmem */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "encode.h"
#include "fuzz_util.h"

#define TOKEN                                                                          \
  "CAIS8gF1q6Ft5B2yfSjIr5bSEsKMr+Zq1aeMRkLcgTMxfNZ9i4PalDz2IHxMf3NtAO0Zs/0xmGpW7P0dlrYq" \
  "FsEbHBDJNJMgtc4Nq1z5JpfZgv3wE6Lg+5vaV6ghiP/Nxd6Y0dFmM="

static const char token[] = TOKEN;

/* Overwrites every occurrence of needle in d[0..n) with NULs. */
static void blank_out(uint8_t *d, size_t n, const char *needle) {
  size_t nl = strlen(needle);
  uint8_t *p = d, *end = d + n, *hit;
  while (nl && (hit = memmem(p, (size_t)(end - p), needle, nl)) != NULL) {
    memset(hit, 0, nl);
    p = hit + nl;
  }
}

/* The token must not appear in msg in any form. rest: the input with every
 * whole token (any form) blanked out, or NULL when the input held none; a
 * 24-byte piece of the token in msg must then come from rest, not from a
 * whole token cut short. */
static void check_no_token(const char *msg, const uint8_t *rest, size_t n) {
  ecs_buf e1, e2;
  size_t i, tl = strlen(TOKEN);
  char piece[25];
  ecs_buf_init(&e1);
  ecs_buf_init(&e2);
  ecs_encode_pct(&e1, TOKEN, tl);
  ecs_encode_pct(&e2, ecs_buf_cstr(&e1), e1.len);
  FZ_ASSERT(!strstr(msg, TOKEN), "token in message: %s", msg);
  FZ_ASSERT(!strstr(msg, ecs_buf_cstr(&e1)), "encoded token in message: %s", msg);
  FZ_ASSERT(!strstr(msg, ecs_buf_cstr(&e2)), "twice-encoded token in message: %s", msg);
  for (i = 0; rest && i + 24 <= tl; i++) {
    memcpy(piece, &token[i], 24);
    piece[24] = '\0';
    FZ_ASSERT(!strstr(msg, piece) || memmem(rest, n, piece, 24),
              "a piece of the token (%s) in message: %s", piece, msg);
  }
  ecs_buf_free(&e1);
  ecs_buf_free(&e2);
}

static void run(const fz_msg *m, int variant, const uint8_t *rest, size_t n) {
  ecs_http_req req;
  ecs_error err;
  cJSON *body = (cJSON *)1;
  int rc;
  ecs_http_req_init(&req);
  ecs_error_init(&err);
  req.method = strdup("POST");
  if (variant == 0) {
    req.url = strdup("https://ecs.cn-hangzhou.aliyuncs.com/?InstanceId=i-bp1gbz20g229bvx5xxxx"
                     "&RegionId=cn-hangzhou");
    ecs_params_add(&req.headers, "x-acs-security-token", TOKEN);
  } else if (variant == 1) {
    ecs_buf u;
    ecs_buf_init(&u);
    ecs_buf_adds(&u, "https://ecs.cn-hangzhou.aliyuncs.com/"
                     "?AccessKeyId=STS.NUgYrLnoC37mZZCNnAbez2xxx"
                     "&Action=ReActivateInstances&SecurityToken=");
    ecs_encode_pct(&u, TOKEN, strlen(TOKEN));
    ecs_buf_adds(&u, "&Signature=x");
    req.url = ecs_buf_steal(&u);
  } else {
    req.url = strdup("https://ecs.cn-hangzhou.aliyuncs.com/");
  }
  if (m->first[0] == 'E') {
    req.failed = 1;
    ecs_error_set(&req.err, ECS_KIND_TRANSPORT, m->first, "transfer failed");
  } else {
    req.status = strtol(m->first, NULL, 10);
  }
  ecs_params_copy(&req.resp_headers, &m->headers);
  ecs_buf_add(&req.resp_body, m->body.data, m->body.len);

  rc = ecs_client_finish(&req, &body, &err);
  if (rc == 0) {
    FZ_ASSERT(!req.failed && req.status >= 200 && req.status < 300, "success for status %ld",
              req.status);
    FZ_ASSERT(cJSON_IsObject(body), "success without a JSON object");
    FZ_ASSERT(err.code == NULL, "success with an error code");
    cJSON_Delete(body);
  } else {
    FZ_ASSERT(rc == -1, "rc %d", rc);
    FZ_ASSERT(body == NULL, "body set on failure");
    FZ_ASSERT(err.code && err.message, "error without code or message");
    FZ_ASSERT(err.kind == ECS_KIND_API || err.kind == ECS_KIND_THROTTLE ||
                  err.kind == ECS_KIND_TRANSPORT, "kind %d", (int)err.kind);
    FZ_ASSERT(err.retry_after < 0 || (err.retry_after >= 0 && err.retry_after <= 86400),
              "retry_after %f", err.retry_after);
    if (!req.failed) {
      FZ_ASSERT(err.status == (int)req.status, "status %d for %ld", err.status, req.status);
      FZ_ASSERT(req.status < 500 || err.retryable, "%ld not retryable", req.status);
    }
    if (variant < 2) check_no_token(err.message, rest, n); /* variant 2 sent no token */
  }
  ecs_error_free(&err);
  ecs_http_req_free(&req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_msg m;
  uint8_t *rest = NULL;
  int v;
  if (fz_split(data, size, FZ_AS_CURL, &m) < 0) return 0;
  if (memmem(data, size, token, sizeof token - 1)) { /* the answer quotes the whole token */
    ecs_buf e1, e2;
    ecs_buf_init(&e1);
    ecs_buf_init(&e2);
    ecs_encode_pct(&e1, token, sizeof token - 1);
    ecs_encode_pct(&e2, ecs_buf_cstr(&e1), e1.len);
    if ((rest = malloc(size)) != NULL) {
      memcpy(rest, data, size);
      blank_out(rest, size, ecs_buf_cstr(&e2));
      blank_out(rest, size, ecs_buf_cstr(&e1));
      blank_out(rest, size, token);
    }
    ecs_buf_free(&e1);
    ecs_buf_free(&e2);
  }
  /* a status line that would not fit an int is not something curl reports */
  if (strlen(m.first) < 12)
    for (v = 0; v < 3; v++) run(&m, v, rest, size);
  free(rest);
  fz_msg_free(&m);
  return 0;
}
