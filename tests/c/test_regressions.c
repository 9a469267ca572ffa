/* test_regressions.c - one case per bug the fuzzers (tests/fuzz) found. Each
 * case reproduces the input that failed (it is also in the fuzzer's seed
 * corpus as corpus/<fuzzer>/regress-*.txt) through the same entry point.
 */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "creds_internal.h"
#include "encode.h"
#include "sign.h"
#include "sim.h"
#include "sim_internal.h"
#include "testlib.h"

#define TOKEN                                                                          \
  "CAIS8gF1q6Ft5B2yfSjIr5bSEsKMr+Zq1aeMRkLcgTMxfNZ9i4PalDz2IHxMf3NtAO0Zs/0xmGpW7P0dlrYq" \
  "FsEbHBDJNJMgtc4Nq1z5JpfZgv3wE6Lg+5vaV6ghiP/Nxd6Y0dFmM="

/* 1 when msg holds any 16-byte piece of s. */
static int has_piece(const char *msg, const char *s) {
  size_t i, n = strlen(s);
  char piece[17];
  for (i = 0; i + 16 <= n; i++) {
    memcpy(piece, s + i, 16);
    piece[16] = '\0';
    if (strstr(msg, piece)) return 1;
  }
  return 0;
}

/* fuzz_response, regress-html-echoes-token.txt: a non-JSON answer (a
 * proxy's error page) that quotes the request URL with the STS token. The
 * excerpt in the EJSON message was cut at 80 characters before the token was
 * redacted, so the first ~36 characters of the token survived. */
static void client_bad_body_excerpt_never_quotes_part_of_the_token(void) {
  static const char *const pages[] = {
      "<html><body>Bad gateway for /?SecurityToken=" TOKEN "&Signature=x</body></html>",
      "<html><body>Bad gateway for /?SecurityToken=%s&Signature=x</body></html>", /* encoded */
      "<html>" TOKEN "</html>"};
  size_t k;
  for (k = 0; k < 3; k++) {
    ecs_http_req req;
    ecs_error err;
    cJSON *body = NULL;
    ecs_buf page, enc;
    ecs_http_req_init(&req);
    ecs_error_init(&err);
    ecs_buf_init(&page);
    ecs_buf_init(&enc);
    ecs_encode_pct(&enc, TOKEN, strlen(TOKEN));
    if (k == 1) ecs_buf_addf(&page, pages[k], ecs_buf_cstr(&enc));
    else ecs_buf_adds(&page, pages[k]);
    req.url = strdup("https://ecs.cn-hangzhou.aliyuncs.com/?RegionId=cn-hangzhou");
    ecs_params_add(&req.headers, "x-acs-security-token", TOKEN);
    ecs_params_add(&req.resp_headers, "content-type", "text/html");
    req.status = 502;
    ecs_buf_add(&req.resp_body, page.data, page.len);
    CHECK_INT(ecs_client_finish(&req, &body, &err), -1);
    CHECK_STR(err.code, "EJSON");
    CHECK(err.message && !has_piece(err.message, TOKEN));
    CHECK(err.message && !has_piece(err.message, ecs_buf_cstr(&enc)));
    CHECK(err.message && strstr(err.message, "[redacted]"));
    CHECK_INT(err.status, 502);
    CHECK(err.retryable);
    ecs_buf_free(&page);
    ecs_buf_free(&enc);
    ecs_error_free(&err);
    ecs_http_req_free(&req);
  }
}

/* fuzz_response (CI run), regress-token-spliced-in-message: a JSON error
 * whose Message and Code hold the token cut and spliced (and JSON-escaped),
 * never the whole token, so whole-token redaction left long pieces of it. */
static void client_api_error_never_quotes_pieces_of_the_token(void) {
  ecs_http_req req;
  ecs_error err;
  cJSON *body = NULL;
  ecs_buf json;
  ecs_http_req_init(&req);
  ecs_error_init(&err);
  ecs_buf_init(&json);
  /* token[0..40) + "X" + token[40..) in the message, token[10..60) escaped
   * in the code, a 30-byte piece in RequestId */
  ecs_buf_addf(&json, "{\"RequestId\":\"%.30s\",\"Code\":\"Throttling %.20s\\u0071%.29s\","
                      "\"Message\":\"Bad gateway for /?SecurityToken=%.40sX%s\"}",
               TOKEN + 5, TOKEN + 10, TOKEN + 31, TOKEN, TOKEN + 40);
  req.url = strdup("https://ecs.cn-hangzhou.aliyuncs.com/?RegionId=cn-hangzhou");
  ecs_params_add(&req.headers, "x-acs-security-token", TOKEN);
  ecs_params_add(&req.resp_headers, "content-type", "application/json");
  req.status = 400;
  ecs_buf_add(&req.resp_body, json.data, json.len);
  CHECK_INT(ecs_client_finish(&req, &body, &err), -1);
  CHECK(err.message && !has_piece(err.message, TOKEN));
  CHECK(err.code && !has_piece(err.code, TOKEN));
  CHECK(err.request_id && !has_piece(err.request_id, TOKEN));
  CHECK(err.message && strstr(err.message, "Bad gateway for /?SecurityToken="));
  CHECK_INT(err.status, 400);
  ecs_buf_free(&json);
  ecs_error_free(&err);
  ecs_http_req_free(&req);
}

/* 1 when msg holds any n-byte piece of s. */
static int has_piece_n(const char *msg, const char *s, size_t n) {
  size_t i, len = strlen(s);
  char piece[64];
  for (i = 0; i + n <= len && n < sizeof piece; i++) {
    memcpy(piece, s + i, n);
    piece[n] = '\0';
    if (strstr(msg, piece)) return 1;
  }
  return 0;
}

/* A lying server echoes the token in pieces shorter than the 16-byte runs
 * the first masking looked for (15, 12, 9 and 8 bytes), at the start and the
 * end of fields and between its own words, in every field of the error:
 * none of those pieces may survive, while the server's own text does. */
static void client_api_error_never_quotes_short_pieces_of_the_token(void) {
  ecs_http_req req;
  ecs_error err;
  cJSON *body = NULL;
  ecs_buf json;
  ecs_http_req_init(&req);
  ecs_error_init(&err);
  ecs_buf_init(&json);
  ecs_buf_addf(&json,
               "{\"RequestId\":\"%.15s\",\"HostId\":\"host %.12s\","
               "\"Code\":\"%.9s.Throttling %.8s\",\"Recommend\":\"https://r/?q=%.15s\","
               "\"Message\":\"%.15s then %.12s and %.9s, %.8s-%.15s\"}",
               TOKEN + 40, TOKEN + 3, TOKEN + 20, TOKEN + 60, TOKEN + 70, TOKEN,
               TOKEN + 17, TOKEN + 33, TOKEN + 50, TOKEN + strlen(TOKEN) - 15);
  req.url = strdup("https://ecs.cn-hangzhou.aliyuncs.com/?RegionId=cn-hangzhou");
  ecs_params_add(&req.headers, "x-acs-security-token", TOKEN);
  ecs_params_add(&req.resp_headers, "content-type", "application/json");
  req.status = 400;
  ecs_buf_add(&req.resp_body, json.data, json.len);
  CHECK_INT(ecs_client_finish(&req, &body, &err), -1);
  CHECK(err.message && !has_piece_n(err.message, TOKEN, 8));
  CHECK(err.code && !has_piece_n(err.code, TOKEN, 8));
  CHECK(err.request_id && !has_piece_n(err.request_id, TOKEN, 8));
  CHECK(err.host_id && !has_piece_n(err.host_id, TOKEN, 8));
  CHECK(err.recommend && !has_piece_n(err.recommend, TOKEN, 8));
  CHECK(err.message && strstr(err.message, " then ") && strstr(err.message, " and "));
  CHECK(err.host_id && strncmp(err.host_id, "host ", 5) == 0);
  CHECK(err.recommend && strncmp(err.recommend, "https://r/?q=", 13) == 0);
  CHECK(err.code && strstr(err.code, ".Throttling "));
  CHECK_INT(err.status, 400);
  ecs_buf_free(&json);
  ecs_error_free(&err);
  ecs_http_req_free(&req);
}

/* A token in a content-type longer than the 60 characters quoted. */
static void client_bad_body_content_type_never_quotes_part_of_the_token(void) {
  ecs_http_req req;
  ecs_error err;
  cJSON *body = NULL;
  ecs_http_req_init(&req);
  ecs_error_init(&err);
  req.url = strdup("https://ecs.cn-hangzhou.aliyuncs.com/");
  ecs_params_add(&req.headers, "x-acs-security-token", TOKEN);
  ecs_params_add(&req.resp_headers, "content-type", "text/plain; t=" TOKEN);
  req.status = 200;
  ecs_buf_adds(&req.resp_body, "not json");
  CHECK_INT(ecs_client_finish(&req, &body, &err), -1);
  CHECK(err.message && !has_piece(err.message, TOKEN));
  ecs_error_free(&err);
  ecs_http_req_free(&req);
}

/* ---- the simulator, through fuzz_entry.c ---- */

static const char fleet[] =
    "{\"accounts\":[{\"access_key_id\":\"LTAI5tFakeAccessKeyId01\","
    "\"access_key_secret\":\"FakeAccessKeySecret0123456789ab\"}],"
    "\"instances\":["
    "{\"InstanceId\":\"i-1\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\"},"
    "{\"InstanceId\":\"i-2\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Running\"}]}";

/* Runs a V1 GET with params (NULL-terminated name/value pairs) plus the
 * common ones, signed for the fleet's account, on a fresh simulator; the
 * answer's body goes to *out (caller deletes). Returns the status. */
static int sim_v1(cJSON **out, ...) {
  ecs_params p, h;
  ecs_sign_v1_out so;
  ecs_buf target;
  sim_resp r;
  long long now;
  const char *n;
  va_list ap;
  char err[200];
  int status;
  ecs_sim *s = sim_offline_new(fleet, sizeof fleet - 1, err, sizeof err);
  CHECK(s != NULL);
  if (!s) return -1;
  CHECK(sim_parse_time("2026-11-26T02:58:43Z", 0, &now) == 0);
  ecs_params_init(&p);
  ecs_params_init(&h);
  memset(&so, 0, sizeof so);
  ecs_buf_init(&target);
  va_start(ap, out);
  while ((n = va_arg(ap, const char *)) != NULL) ecs_params_add(&p, n, va_arg(ap, const char *));
  va_end(ap);
  ecs_params_add(&p, "Version", "2014-05-26");
  ecs_params_add(&p, "Format", "JSON");
  ecs_params_add(&p, "AccessKeyId", "LTAI5tFakeAccessKeyId01");
  ecs_params_add(&p, "SignatureMethod", "HMAC-SHA1");
  ecs_params_add(&p, "SignatureVersion", "1.0");
  ecs_params_add(&p, "SignatureNonce", "0123456789abcdef");
  ecs_params_add(&p, "Timestamp", "2026-11-26T02:58:43Z");
  CHECK(ecs_sign_v1("GET", &p, "FakeAccessKeySecret0123456789ab", &so) == 0);
  ecs_buf_adds(&target, "/?");
  ecs_buf_add(&target, so.final_query.data, so.final_query.len);
  ecs_params_add(&h, "Host", "127.0.0.1");
  CHECK(sim_handle_raw(s, "GET", ecs_buf_cstr(&target), &h, NULL, 0, now * 1000, &r) == 0);
  status = r.status;
  *out = r.body ? cJSON_Duplicate(r.body, 1) : NULL;
  if (r.message) fprintf(stderr, "  sim: %d %s %s\n", r.status, r.code, r.message);
  sim_resp_free(&r);
  ecs_sign_v1_out_free(&so);
  ecs_buf_free(&target);
  ecs_params_free(&p);
  ecs_params_free(&h);
  sim_offline_free(s);
  return status;
}

/* fuzz_sim_request, regress-describe-instances-huge-page.txt: PageNumber
 * 2^58+1 with PageSize 64 wrapped (page-1)*size to 0 in the unsigned guard,
 * then overflowed a signed long (UB) and served page 1. */
static void sim_describe_instances_huge_page_number_is_empty(void) {
  cJSON *b = NULL;
  CHECK_INT(sim_v1(&b, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "PageNumber",
                   "288230376151711745", "PageSize", "64", NULL),
            200);
  CHECK(b != NULL);
  if (!b) return;
  CHECK_INT(cJSON_GetArraySize(
                cJSON_GetObjectItem(cJSON_GetObjectItem(b, "Instances"), "Instance")), 0);
  CHECK_INT(cJSON_GetObjectItem(b, "TotalCount")->valuedouble, 2);
  cJSON_Delete(b);
}

/* fuzz_sim_request, regress-describe-status-huge-page.txt: PageNumber
 * 2^63-1 overflowed (page-1)*size, a signed long (UB). */
static void sim_describe_instance_status_huge_page_number_is_empty(void) {
  cJSON *b = NULL;
  CHECK_INT(sim_v1(&b, "Action", "DescribeInstanceStatus", "RegionId", "cn-hangzhou", "PageNumber",
                   "9223372036854775807", "PageSize", "50", NULL),
            200);
  CHECK(b != NULL);
  if (!b) return;
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "InstanceStatuses"),
                                                   "InstanceStatus")), 0);
  CHECK_INT(cJSON_GetObjectItem(b, "TotalCount")->valuedouble, 2);
  cJSON_Delete(b);
}

/* The same request with a small page still answers (the fix keeps paging). */
static void sim_describe_paging_still_pages(void) {
  cJSON *b = NULL;
  CHECK_INT(sim_v1(&b, "Action", "DescribeInstanceStatus", "RegionId", "cn-hangzhou", "PageNumber",
                   "2", "PageSize", "1", NULL),
            200);
  CHECK(b != NULL);
  if (!b) return;
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "InstanceStatuses"),
                                                   "InstanceStatus")), 1);
  cJSON_Delete(b);
}

/* fuzz_fleet, regress-field-name-with-newline.json: a field name (JSON
 * "\n", or a raw control byte cJSON lets through) went into the error
 * message as it was, so "one line naming the bad field" (sim.h) became
 * several lines, escape sequences included. */
static void sim_fleet_error_is_one_line(void) {
  static const char *const fleets[] = {
      "{\"accounts\":[{\"access_key_id\":\"a\",\"access_key_secret\":\"b\","
      "\"mi\\nx\\r\\u001b[31m\":1}]}",
      "{\"throttle\":{\"Describe\nInstances\":{\"limit\":1}}}",
      "{\"accounts\":[{\"access_key_id\":\"a\\nb\",\"access_key_secret\":\"b\"},"
      "{\"access_key_id\":\"a\\nb\",\"access_key_secret\":\"c\"}]}"};
  size_t k;
  for (k = 0; k < sizeof fleets / sizeof fleets[0]; k++) {
    char err[400], tiny[12];
    size_t i;
    CHECK_INT(ecs_sim_check_fleet(fleets[k], strlen(fleets[k]), err, sizeof err), -1);
    for (i = 0; err[i]; i++) CHECK((unsigned char)err[i] >= 0x20 && err[i] != 0x7f);
    CHECK(strncmp(err, "fleet: ", 7) == 0);
    CHECK_INT(ecs_sim_check_fleet(fleets[k], strlen(fleets[k]), tiny, sizeof tiny), -1);
    for (i = 0; tiny[i]; i++) CHECK((unsigned char)tiny[i] >= 0x20);
  }
}

/* fuzz_fleet, regress-expiration-without-secret.json: an account with an
 * expiration but no access_key_secret (or id) returned its error before
 * freeing the expiration string: a leak (seen by ASan/LSan; the suite's
 * sanitizer build fails on it). */
static void sim_fleet_account_without_secret_does_not_leak(void) {
  static const char fleet1[] =
      "{\"accounts\":[{\"access_key_id\":\"STS.x\",\"security_token\":\"tok\","
      "\"expiration\":\"2030-01-01T00:00:00Z\"}]}";
  static const char fleet2[] =
      "{\"accounts\":[{\"access_key_secret\":\"s\",\"expiration\":\"2030-01-01T00:00:00Z\"}]}";
  char err[400];
  CHECK_INT(ecs_sim_check_fleet(fleet1, sizeof fleet1 - 1, err, sizeof err), -1);
  CHECK_STR(err, "fleet: accounts[0]: access_key_secret is required");
  CHECK_INT(ecs_sim_check_fleet(fleet2, sizeof fleet2 - 1, err, sizeof err), -1);
  CHECK_STR(err, "fleet: accounts[0]: access_key_id is required");
}

/* ---- credentials files (runtime/creds_files.c) ---- */

/* fuzz_creds_config, regress-expired-seconds-huge.json: expired_seconds
 * 1e300 was converted to long as it was (UB: out of range). It is capped at
 * STS's maximum, 43200 s. */
static void creds_cli_huge_expired_seconds_is_capped(void) {
  static const char cfg[] =
      "{\"profiles\":[{\"name\":\"default\",\"mode\":\"RamRoleArn\",\"access_key_id\":\"a\","
      "\"access_key_secret\":\"b\",\"ram_role_arn\":\"r\",\"expired_seconds\":1e300}]}";
  char path[] = "/tmp/ecs-regress-XXXXXX";
  int fd = mkstemp(path);
  ecs_src *src = NULL;
  char *region = NULL;
  ecs_buf why;
  CHECK(fd >= 0);
  if (fd < 0) return;
  CHECK(write(fd, cfg, sizeof cfg - 1) == (ssize_t)(sizeof cfg - 1));
  close(fd);
  ecs_buf_init(&why);
  CHECK_INT(ecs_creds_cli_load(path, NULL, &src, &region, &why), 0);
  CHECK(src != NULL);
  if (src) CHECK_INT(src->duration, 43200);
  ecs_creds_src_free(src);
  free(region);
  ecs_buf_free(&why);
  unlink(path);
}

int main(int argc, char **argv) {
  static const ecs_test_case cases[] = {
      {"client_api_error_never_quotes_short_pieces_of_the_token",
       client_api_error_never_quotes_short_pieces_of_the_token},
      {"client_bad_body_excerpt_never_quotes_part_of_the_token",
       client_bad_body_excerpt_never_quotes_part_of_the_token},
      {"client_api_error_never_quotes_pieces_of_the_token",
       client_api_error_never_quotes_pieces_of_the_token},
      {"client_bad_body_content_type_never_quotes_part_of_the_token",
       client_bad_body_content_type_never_quotes_part_of_the_token},
      {"sim_describe_instances_huge_page_number_is_empty",
       sim_describe_instances_huge_page_number_is_empty},
      {"sim_describe_instance_status_huge_page_number_is_empty",
       sim_describe_instance_status_huge_page_number_is_empty},
      {"sim_describe_paging_still_pages", sim_describe_paging_still_pages},
      {"sim_fleet_error_is_one_line", sim_fleet_error_is_one_line},
      {"sim_fleet_account_without_secret_does_not_leak",
       sim_fleet_account_without_secret_does_not_leak},
      {"creds_cli_huge_expired_seconds_is_capped", creds_cli_huge_expired_seconds_is_capped},
      {NULL, NULL}};
  return ecs_test_main(argc, argv, cases);
}
