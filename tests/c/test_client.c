/* test_client.c - building signed ECS requests and interpreting answers.
 * Prepared requests are checked by re-signing them from their own URL and
 * headers; answers are canned ecs_http_req outputs (no network here: the
 * loopback round trip is in test_http.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <cjson/cJSON.h>

#include "client.h"
#include "encode.h"
#include "json.h"
#include "sign.h"
#include "testlib.h"

#define AK "LTAI5tFakeAccessKeyId01"
#define SK "FakeAccessKeySecret0123456789ab"
#define STS_AK "STS.NUgYrLnoC37mZZCNnAbez2xxx"
#define STS_SK "FakeStsSecret9xQ2"
#define STS_TOKEN "CAIS8gF1q6Ft5B2yfSjIr5bSEsKMr+Zq1aeMRkLcgTMxfNZ9i4Pal/0xm="

typedef struct fixture {
  ecs_client_config cfg;
  ecs_creds creds;
  ecs_params params;
  ecs_http_req req;
  ecs_error err;
} fixture;

static void fx_init(fixture *f, const char *endpoint, const char *token) {
  ecs_client_config_init(&f->cfg);
  if (endpoint) f->cfg.endpoint = strdup(endpoint);
  ecs_creds_init(&f->creds);
  if (token) ecs_creds_set(&f->creds, STS_AK, STS_SK, token, NULL);
  else ecs_creds_set(&f->creds, AK, SK, NULL, NULL);
  ecs_params_init(&f->params);
  ecs_params_add(&f->params, "InstanceId", "i-abc");
  ecs_http_req_init(&f->req);
  ecs_error_init(&f->err);
}

static void fx_free(fixture *f) {
  ecs_client_config_free(&f->cfg);
  ecs_creds_free(&f->creds);
  ecs_params_free(&f->params);
  ecs_http_req_free(&f->req);
  ecs_error_free(&f->err);
}

static int prepare(fixture *f, const char *region) {
  return ecs_client_prepare(&f->cfg, &f->creds, "ReActivateInstances", &f->params, region,
                            &f->req, &f->err);
}

/* The decoded query parameters of a URL. */
static void url_query(const char *url, ecs_params *out) {
  const char *q = strchr(url, '?');
  ecs_params_init(out);
  if (q) ecs_encode_query_parse(out, q + 1, strlen(q + 1), 0);
}

static int is_hex(const char *s, size_t n) {
  size_t i;
  if (!s || strlen(s) != n) return 0;
  for (i = 0; i < n; i++)
    if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) return 0;
  return 1;
}

/* Recomputes the V3 Authorization from the request as prepared. */
static void check_v3_signature(const ecs_http_req *r, const char *id, const char *secret) {
  ecs_params q, h;
  ecs_sign_v3_out so;
  size_t i;
  url_query(r->url, &q);
  ecs_params_init(&h);
  for (i = 0; i < r->headers.n; i++)
    if (strcmp(r->headers.v[i].name, "authorization") != 0)
      ecs_params_add(&h, r->headers.v[i].name, r->headers.v[i].value);
  memset(&so, 0, sizeof so);
  CHECK_INT(ecs_sign_v3("POST", "/", &q, &h, NULL, 0, id, secret, &so), 0);
  CHECK_STR(ecs_params_get(&r->headers, "authorization"), ecs_buf_cstr(&so.authorization));
  ecs_sign_v3_out_free(&so);
  ecs_params_free(&q);
  ecs_params_free(&h);
}

/* Recomputes the V1 Signature from the request's query. */
static void check_v1_signature(const ecs_http_req *r, const char *secret) {
  ecs_params q;
  ecs_sign_v1_out so;
  char sig[64];
  const char *got;
  url_query(r->url, &q);
  got = ecs_params_get(&q, "Signature");
  CHECK(got != NULL);
  snprintf(sig, sizeof sig, "%s", got ? got : "");
  ecs_params_del(&q, "Signature");
  memset(&so, 0, sizeof so);
  CHECK_INT(ecs_sign_v1("POST", &q, secret, &so), 0);
  CHECK_STR(sig, so.signature);
  /* and the URL is exactly base/?final_query */
  CHECK(strstr(r->url, "/?") && strcmp(strstr(r->url, "/?") + 2,
                                       ecs_buf_cstr(&so.final_query)) == 0);
  ecs_sign_v1_out_free(&so);
  ecs_params_free(&q);
}

static void v3_prepare_builds_the_sdk_request_and_signature_verifies(void) {
  fixture f;
  const char *ua;
  fx_init(&f, NULL, NULL);
  f.cfg.region = strdup("cn-hangzhou");
  f.cfg.user_agent = strdup("policy/1.0");
  CHECK_INT(prepare(&f, NULL), 0);
  CHECK_STR(f.req.method, "POST");
  CHECK_STR(f.req.url, "https://ecs-cn-hangzhou.aliyuncs.com/?InstanceId=i-abc&RegionId=cn-hangzhou");
  CHECK_INT(f.req.body.len, 0);
  CHECK_STR(ecs_params_get(&f.req.headers, "host"), "ecs-cn-hangzhou.aliyuncs.com");
  CHECK_STR(ecs_params_get(&f.req.headers, "x-acs-action"), "ReActivateInstances");
  CHECK_STR(ecs_params_get(&f.req.headers, "x-acs-version"), "2014-05-26");
  CHECK_STR(ecs_params_get(&f.req.headers, "x-acs-content-sha256"),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK_STR(ecs_params_get(&f.req.headers, "x-acs-credentials-provider"), "static_ak");
  CHECK_STR(ecs_params_get(&f.req.headers, "accept"), "application/json");
  CHECK(is_hex(ecs_params_get(&f.req.headers, "x-acs-signature-nonce"), 64));
  CHECK(strlen(ecs_params_get(&f.req.headers, "x-acs-date")) == 20);
  CHECK(ecs_params_get(&f.req.headers, "x-acs-security-token") == NULL);
  CHECK(ecs_params_get(&f.req.headers, "content-type") == NULL);
  ua = ecs_params_get(&f.req.headers, "user-agent");
  CHECK(ua && strncmp(ua, "ecsrun/", 7) == 0 && strstr(ua, " libcurl/") &&
        strcmp(ua + strlen(ua) - 11, " policy/1.0") == 0);
  CHECK(strncmp(ecs_params_get(&f.req.headers, "authorization"),
                "ACS3-HMAC-SHA256 Credential=" AK ",SignedHeaders=host;x-acs-action;"
                "x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;"
                "x-acs-signature-nonce;x-acs-version,Signature=", 168) == 0);
  check_v3_signature(&f.req, AK, SK);
  CHECK_INT(f.req.connect_timeout_ms, 5000);
  CHECK_INT(f.req.timeout_ms, 10000);
  CHECK_INT(f.req.max_response, 8 << 20);
  fx_free(&f);
}

static void v3_host_header_carries_non_default_port_only(void) {
  fixture f;
  fx_init(&f, "http://127.0.0.1:8080/", NULL);
  CHECK_INT(prepare(&f, "cn-beijing"), 0);
  CHECK_STR(f.req.url, "http://127.0.0.1:8080/?InstanceId=i-abc&RegionId=cn-beijing");
  CHECK_STR(ecs_params_get(&f.req.headers, "host"), "127.0.0.1:8080");
  check_v3_signature(&f.req, AK, SK);
  fx_free(&f);
  fx_init(&f, "https://ecs.example.test:443", NULL);
  CHECK_INT(prepare(&f, "cn-beijing"), 0);
  CHECK_STR(ecs_params_get(&f.req.headers, "host"), "ecs.example.test");
  fx_free(&f);
  fx_init(&f, "http://[::1]:9000", NULL);
  CHECK_INT(prepare(&f, "cn-beijing"), 0);
  CHECK_STR(ecs_params_get(&f.req.headers, "host"), "[::1]:9000");
  fx_free(&f);
}

static void v3_sts_adds_accesskey_and_token_headers(void) {
  fixture f;
  fx_init(&f, NULL, STS_TOKEN);
  CHECK_INT(prepare(&f, "cn-shanghai"), 0);
  CHECK_STR(f.req.url, "https://ecs.cn-shanghai.aliyuncs.com/?InstanceId=i-abc&RegionId=cn-shanghai");
  CHECK_STR(ecs_params_get(&f.req.headers, "x-acs-accesskey-id"), STS_AK);
  CHECK_STR(ecs_params_get(&f.req.headers, "x-acs-security-token"), STS_TOKEN);
  CHECK_STR(ecs_params_get(&f.req.headers, "x-acs-credentials-provider"), "static_sts");
  CHECK(strstr(ecs_params_get(&f.req.headers, "authorization"),
               "x-acs-accesskey-id;x-acs-action") != NULL);
  CHECK(strstr(ecs_params_get(&f.req.headers, "authorization"),
               "x-acs-date;x-acs-security-token;x-acs-signature-nonce") != NULL);
  CHECK(strstr(f.req.url, "SecurityToken") == NULL);
  check_v3_signature(&f.req, STS_AK, STS_SK);
  fx_free(&f);
}

static void v1_prepare_query_carries_all_params_and_signature_verifies(void) {
  fixture f;
  ecs_params q;
  fx_init(&f, NULL, NULL);
  f.cfg.signature = 1;
  CHECK_INT(prepare(&f, "cn-hangzhou"), 0);
  CHECK_STR(f.req.method, "POST");
  CHECK_INT(f.req.body.len, 0);
  CHECK(strncmp(f.req.url, "https://ecs-cn-hangzhou.aliyuncs.com/?", 38) == 0);
  url_query(f.req.url, &q);
  CHECK_STR(ecs_params_get(&q, "Action"), "ReActivateInstances");
  CHECK_STR(ecs_params_get(&q, "Format"), "json");
  CHECK_STR(ecs_params_get(&q, "Version"), "2014-05-26");
  CHECK_STR(ecs_params_get(&q, "SignatureMethod"), "HMAC-SHA1");
  CHECK_STR(ecs_params_get(&q, "SignatureVersion"), "1.0");
  CHECK_STR(ecs_params_get(&q, "AccessKeyId"), AK);
  CHECK_STR(ecs_params_get(&q, "InstanceId"), "i-abc");
  CHECK_STR(ecs_params_get(&q, "RegionId"), "cn-hangzhou");
  CHECK(is_hex(ecs_params_get(&q, "SignatureNonce"), 64));
  CHECK(ecs_params_get(&q, "Timestamp") && strlen(ecs_params_get(&q, "Timestamp")) == 20);
  CHECK(ecs_params_get(&q, "SecurityToken") == NULL);
  CHECK(strstr(f.req.url, "&Signature=") != NULL);
  CHECK(ecs_params_get(&f.req.headers, "authorization") == NULL);
  check_v1_signature(&f.req, SK);
  ecs_params_free(&q);
  fx_free(&f);
}

static void v1_sts_adds_security_token_param(void) {
  fixture f;
  ecs_params q;
  fx_init(&f, NULL, STS_TOKEN);
  f.cfg.signature = 1;
  CHECK_INT(prepare(&f, "cn-hangzhou"), 0);
  url_query(f.req.url, &q);
  CHECK_STR(ecs_params_get(&q, "SecurityToken"), STS_TOKEN);
  CHECK_STR(ecs_params_get(&q, "AccessKeyId"), STS_AK);
  CHECK(ecs_params_get(&f.req.headers, "x-acs-security-token") == NULL);
  check_v1_signature(&f.req, STS_SK);
  ecs_params_free(&q);
  fx_free(&f);
}

static void two_prepares_use_different_nonces(void) {
  fixture a, b;
  ecs_params qa, qb;
  fx_init(&a, NULL, NULL);
  fx_init(&b, NULL, NULL);
  CHECK_INT(prepare(&a, "cn-hangzhou"), 0);
  CHECK_INT(prepare(&b, "cn-hangzhou"), 0);
  CHECK(strcmp(ecs_params_get(&a.req.headers, "x-acs-signature-nonce"),
               ecs_params_get(&b.req.headers, "x-acs-signature-nonce")) != 0);
  {
    /* re-preparing the same struct (a retry) replaces, never appends */
    char first[65];
    size_t nh = a.req.headers.n;
    snprintf(first, sizeof first, "%s", ecs_params_get(&a.req.headers, "x-acs-signature-nonce"));
    CHECK_INT(prepare(&a, "cn-hangzhou"), 0);
    CHECK_INT(a.req.headers.n, nh);
    CHECK(strcmp(first, ecs_params_get(&a.req.headers, "x-acs-signature-nonce")) != 0);
    check_v3_signature(&a.req, AK, SK);
  }
  CHECK(strcmp(ecs_params_get(&a.req.headers, "authorization"),
               ecs_params_get(&b.req.headers, "authorization")) != 0);
  fx_free(&a);
  fx_free(&b);
  fx_init(&a, NULL, NULL);
  fx_init(&b, NULL, NULL);
  a.cfg.signature = b.cfg.signature = 1;
  CHECK_INT(prepare(&a, "cn-hangzhou"), 0);
  CHECK_INT(prepare(&b, "cn-hangzhou"), 0);
  url_query(a.req.url, &qa);
  url_query(b.req.url, &qb);
  CHECK(strcmp(ecs_params_get(&qa, "SignatureNonce"), ecs_params_get(&qb, "SignatureNonce")) != 0);
  ecs_params_free(&qa);
  ecs_params_free(&qb);
  fx_free(&a);
  fx_free(&b);
}

static void region_comes_from_argument_then_params_then_config(void) {
  fixture f;
  /* argument wins for the endpoint; RegionId added when absent */
  fx_init(&f, NULL, NULL);
  f.cfg.region = strdup("cn-beijing");
  CHECK_INT(prepare(&f, "ap-southeast-1"), 0);
  CHECK_STR(f.req.url, "https://ecs.ap-southeast-1.aliyuncs.com/?InstanceId=i-abc&RegionId=ap-southeast-1");
  fx_free(&f);
  /* params' RegionId next, kept as given */
  fx_init(&f, NULL, NULL);
  f.cfg.region = strdup("cn-beijing");
  ecs_params_add(&f.params, "RegionId", "eu-central-1");
  CHECK_INT(prepare(&f, NULL), 0);
  CHECK_STR(f.req.url, "https://ecs.eu-central-1.aliyuncs.com/?InstanceId=i-abc&RegionId=eu-central-1");
  fx_free(&f);
  /* then the config; network vpc */
  fx_init(&f, NULL, NULL);
  f.cfg.region = strdup("eu-central-1");
  f.cfg.network = strdup("vpc");
  CHECK_INT(prepare(&f, ""), 0);
  CHECK_STR(f.req.url, "https://ecs-vpc.eu-central-1.aliyuncs.com/?InstanceId=i-abc&RegionId=eu-central-1");
  fx_free(&f);
  /* a custom endpoint needs no region, and none is invented */
  fx_init(&f, "http://127.0.0.1:9/", NULL);
  CHECK_INT(prepare(&f, NULL), 0);
  CHECK_STR(f.req.url, "http://127.0.0.1:9/?InstanceId=i-abc");
  fx_free(&f);
}

static void missing_region_and_endpoint_is_econfig(void) {
  fixture f;
  fx_init(&f, NULL, NULL);
  CHECK_INT(prepare(&f, NULL), -1);
  CHECK_STR(f.err.code, "ECONFIG");
  CHECK_INT(f.err.kind, ECS_KIND_CONFIG);
  CHECK_STR(f.err.message,
            "no region: set ecs.client{region=...}, --region or ALIBABA_CLOUD_REGION_ID");
  fx_free(&f);
}

static void bad_endpoint_or_region_is_econfig(void) {
  static const char *const bad[] = {"ftp://h", "https://h/path", "https://h?x=1",
                                    "https://user@h", "https://h:99999", "https://",
                                    "h.example.com", "https://h:", NULL};
  int i;
  fixture f;
  for (i = 0; bad[i]; i++) {
    fx_init(&f, bad[i], NULL);
    CHECK_INT(prepare(&f, "cn-hangzhou"), -1);
    CHECK_STR(f.err.code, "ECONFIG");
    fx_free(&f);
  }
  fx_init(&f, NULL, NULL);
  CHECK_INT(prepare(&f, "cn hangzhou/../"), -1);
  CHECK_STR(f.err.code, "ECONFIG");
  fx_free(&f);
}

/* A BSS client: its version on the wire (V3 header, V1 Version), its host
 * from product.c, the region only for the endpoint (no RegionId added), and
 * ECONFIG for a missing version or an unknown product without endpoint. */
static void other_products_carry_their_version_and_endpoint(void) {
  fixture f;
  ecs_params q;
  fx_init(&f, NULL, NULL);
  f.cfg.product = strdup("bss");
  f.cfg.version = strdup("2017-12-14");
  f.cfg.region = strdup("cn-shanghai");
  CHECK_INT(prepare(&f, NULL), 0);
  CHECK_STR(f.req.url, "https://business.aliyuncs.com/?InstanceId=i-abc");
  CHECK_STR(ecs_params_geti(&f.req.headers, "x-acs-version"), "2017-12-14");
  CHECK_STR(ecs_params_geti(&f.req.headers, "host"), "business.aliyuncs.com");
  fx_free(&f);
  fx_init(&f, NULL, NULL);
  f.cfg.product = strdup("bss");
  f.cfg.version = strdup("2017-12-14");
  f.cfg.signature = 1;
  CHECK_INT(prepare(&f, "us-west-1"), 0);
  CHECK(strncmp(f.req.url, "https://business.ap-southeast-1.aliyuncs.com/?", 46) == 0);
  url_query(f.req.url, &q);
  CHECK_STR(ecs_params_get(&q, "Version"), "2017-12-14");
  CHECK(ecs_params_get(&q, "RegionId") == NULL);
  ecs_params_free(&q);
  fx_free(&f);
  fx_init(&f, NULL, NULL);
  f.cfg.product = strdup("bss");
  CHECK_INT(prepare(&f, "cn-hangzhou"), -1);
  CHECK_STR(f.err.code, "ECONFIG");
  CHECK_STR(f.err.message, "product 'bss' needs an API version");
  fx_free(&f);
  fx_init(&f, NULL, NULL);
  f.cfg.product = strdup("vpc");
  f.cfg.version = strdup("2016-04-28");
  CHECK_INT(prepare(&f, "cn-hangzhou"), -1);
  CHECK_STR(f.err.code, "ECONFIG");
  CHECK_STR(f.err.message, "no known endpoint for product 'vpc': set ecs.client{endpoint=...}");
  fx_free(&f);
  fx_init(&f, "http://127.0.0.1:9", NULL); /* a version that would inject a header */
  f.cfg.product = strdup("bss");
  f.cfg.version = strdup("2017-12-14\r\nX-Evil: 1");
  CHECK_INT(prepare(&f, NULL), -1);
  CHECK_STR(f.err.code, "ECONFIG");
  fx_free(&f);
  fx_init(&f, "http://127.0.0.1:9", NULL);
  f.cfg.product = strdup("../x");
  f.cfg.version = strdup("2017-12-14");
  CHECK_INT(prepare(&f, NULL), -1);
  CHECK_STR(f.err.code, "ECONFIG");
  fx_free(&f);
  fx_init(&f, "http://127.0.0.1:9", NULL); /* with an endpoint any product works */
  f.cfg.product = strdup("vpc");
  f.cfg.version = strdup("2016-04-28");
  CHECK_INT(prepare(&f, "cn-hangzhou"), 0);
  CHECK_STR(ecs_params_geti(&f.req.headers, "x-acs-version"), "2016-04-28");
  fx_free(&f);
}

static void missing_credentials_are_ecreds(void) {
  fixture f;
  ecs_creds half;
  fx_init(&f, NULL, NULL);
  CHECK_INT(ecs_client_prepare(&f.cfg, NULL, "ReActivateInstances", &f.params, "cn-hangzhou",
                               &f.req, &f.err), -1);
  CHECK_STR(f.err.code, "ECREDS");
  CHECK_INT(f.err.kind, ECS_KIND_CREDENTIALS);
  ecs_creds_init(&half);
  half.access_key_id = strdup(AK);
  CHECK_INT(ecs_client_prepare(&f.cfg, &half, "ReActivateInstances", &f.params, "cn-hangzhou",
                               &f.req, &f.err), -1);
  CHECK_STR(f.err.code, "ECREDS");
  CHECK(strstr(f.err.message, AK) == NULL);
  ecs_creds_free(&half);
  fx_free(&f);
}

static void timeouts_and_transfer_settings_are_copied(void) {
  fixture f;
  fx_init(&f, NULL, NULL);
  f.cfg.connect_timeout_ms = 1234;
  f.cfg.timeout_ms = 5678;
  f.cfg.max_response = 4096;
  f.cfg.ca_file = strdup("/tmp/ca.pem");
  f.cfg.insecure_http = 1;
  CHECK_INT(prepare(&f, "cn-hangzhou"), 0);
  CHECK_INT(f.req.connect_timeout_ms, 1234);
  CHECK_INT(f.req.timeout_ms, 5678);
  CHECK_INT(f.req.max_response, 4096);
  CHECK_STR(f.req.ca_file, "/tmp/ca.pem");
  CHECK_INT(f.req.insecure_http, 1);
  fx_free(&f);
}

/* ---------- finish() on canned answers ---------- */

static void canned(ecs_http_req *r, long status, const char *ctype, const char *body) {
  ecs_http_req_init(r);
  r->status = status;
  if (ctype) ecs_params_add(&r->resp_headers, "content-type", ctype);
  ecs_buf_adds(&r->resp_body, body);
}

static void finish_returns_the_body_of_a_200(void) {
  ecs_http_req r;
  ecs_error err;
  cJSON *body = NULL;
  ecs_error_init(&err);
  canned(&r, 200, "application/json", "{\"RequestId\":\"R-ok\"}");
  CHECK_INT(ecs_client_finish(&r, &body, &err), 0);
  CHECK(body != NULL);
  CHECK_STR(ecs_json_str(body, "RequestId"), "R-ok");
  CHECK_INT(err.kind, ECS_KIND_NONE);
  cJSON_Delete(body);
  ecs_http_req_free(&r);
}

static void finish_maps_a_403_api_error_with_all_fields(void) {
  ecs_http_req r;
  ecs_error err;
  cJSON *body = NULL;
  ecs_error_init(&err);
  canned(&r, 403, "application/json;charset=utf-8",
         "{\"RequestId\":\"51AB-1\",\"HostId\":\"ecs-cn-hangzhou.aliyuncs.com\","
         "\"Code\":\"IncorrectInstanceStatus\",\"Message\":\"The current status of the "
         "resource does not support this operation.\",\"Recommend\":"
         "\"https://api.aliyun.com/troubleshoot?q=IncorrectInstanceStatus\"}");
  CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
  CHECK(body == NULL);
  CHECK_INT(err.kind, ECS_KIND_API);
  CHECK_STR(err.code, "IncorrectInstanceStatus");
  CHECK_STR(err.message, "The current status of the resource does not support this operation.");
  CHECK_STR(err.request_id, "51AB-1");
  CHECK_STR(err.host_id, "ecs-cn-hangzhou.aliyuncs.com");
  CHECK_STR(err.recommend, "https://api.aliyun.com/troubleshoot?q=IncorrectInstanceStatus");
  CHECK_INT(err.status, 403);
  CHECK_INT(err.retryable, 0);
  CHECK_INT(err.ambiguous, 0);
  CHECK(err.retry_after < 0);
  ecs_error_free(&err);
  ecs_http_req_free(&r);
}

static void finish_maps_throttling_with_retry_after(void) {
  ecs_http_req r;
  ecs_error err;
  cJSON *body = NULL;
  ecs_error_init(&err);
  canned(&r, 400, "application/json",
         "{\"RequestId\":\"R-t\",\"Code\":\"Throttling.User\","
         "\"Message\":\"Request was denied due to user flow control.\"}");
  ecs_params_add(&r.resp_headers, "x-acs-retry-after", "1500");
  CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
  CHECK_INT(err.kind, ECS_KIND_THROTTLE);
  CHECK_STR(err.code, "Throttling.User");
  CHECK_INT(err.status, 400);
  CHECK_INT(err.retryable, 1);
  CHECK(err.retry_after > 1.499 && err.retry_after < 1.501);
  ecs_error_free(&err);
  ecs_http_req_free(&r);
  /* garbage in the header is ignored */
  canned(&r, 400, "application/json", "{\"Code\":\"Throttling\",\"Message\":\"x\"}");
  ecs_params_add(&r.resp_headers, "x-acs-retry-after", "soon");
  CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
  CHECK_INT(err.kind, ECS_KIND_THROTTLE);
  CHECK(err.retry_after < 0);
  ecs_error_free(&err);
  ecs_http_req_free(&r);
}

static void finish_marks_500_internal_error_retryable(void) {
  ecs_http_req r;
  ecs_error err;
  cJSON *body = NULL;
  ecs_error_init(&err);
  canned(&r, 500, "application/json",
         "{\"RequestId\":\"R-5\",\"Code\":\"InternalError\",\"Message\":\"The request "
         "processing has failed due to some unknown error, exception or failure.\"}");
  CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
  CHECK_INT(err.kind, ECS_KIND_API);
  CHECK_STR(err.code, "InternalError");
  CHECK_INT(err.status, 500);
  CHECK_INT(err.retryable, 1);
  ecs_error_free(&err);
  ecs_http_req_free(&r);
  canned(&r, 400, "application/json",
         "{\"Code\":\"ServiceUnavailable.RegionMaintaining\",\"Message\":\"m\"}");
  CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
  CHECK_INT(err.retryable, 1);
  ecs_error_free(&err);
  ecs_http_req_free(&r);
}

/* A nonce the service has seen can only mean this very request was sent
 * twice by the transport (libcurl's one re-send on a dead reused
 * connection): the first copy may have been processed. */
static void finish_marks_a_reused_nonce_ambiguous(void) {
  ecs_http_req r;
  ecs_error err;
  cJSON *body = NULL;
  ecs_error_init(&err);
  canned(&r, 400, "application/json",
         "{\"RequestId\":\"R-n\",\"Code\":\"SignatureNonceUsed\",\"Message\":"
         "\"Specified signature nonce was used already.\"}");
  CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
  CHECK_STR(err.code, "SignatureNonceUsed");
  CHECK_INT(err.ambiguous, 1);
  CHECK_INT(err.retryable, 1);
  ecs_error_free(&err);
  ecs_http_req_free(&r);
}

static void finish_turns_an_html_503_into_ejson(void) {
  ecs_http_req r;
  ecs_error err;
  cJSON *body = NULL;
  char page[4096];
  ecs_error_init(&err);
  snprintf(page, sizeof page,
           "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n"
           "<body><center><h1>503 Service Temporarily Unavailable</h1></center>%s"
           "<hr><center>Tengine</center></body></html>",
           "<p>TAILMARKER-this-part-is-far-beyond-eighty-characters</p>");
  canned(&r, 503, "text/html", page);
  CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
  CHECK(body == NULL);
  CHECK_STR(err.code, "EJSON");
  CHECK_INT(err.kind, ECS_KIND_TRANSPORT);
  CHECK_INT(err.status, 503);
  CHECK_INT(err.retryable, 1);
  CHECK(strstr(err.message, "503") != NULL);
  CHECK(strstr(err.message, "text/html") != NULL);
  CHECK(strstr(err.message, "TAILMARKER") == NULL);
  CHECK(strchr(err.message, '\r') == NULL && strchr(err.message, '\n') == NULL);
  ecs_error_free(&err);
  ecs_http_req_free(&r);
}

static void finish_turns_truncated_json_into_ejson(void) {
  ecs_http_req r;
  ecs_error err;
  cJSON *body = NULL;
  ecs_error_init(&err);
  canned(&r, 200, "application/json", "{\"Requ");
  CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
  CHECK(body == NULL);
  CHECK_STR(err.code, "EJSON");
  CHECK_INT(err.status, 200);
  CHECK_INT(err.retryable, 0);
  CHECK_INT(err.ambiguous, 1);
  ecs_error_free(&err);
  ecs_http_req_free(&r);
  /* valid JSON that is not an object is no better */
  canned(&r, 200, "application/json", "[1,2]");
  CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
  CHECK_STR(err.code, "EJSON");
  ecs_error_free(&err);
  ecs_http_req_free(&r);
}

static void finish_copies_transport_errors(void) {
  ecs_http_req r;
  ecs_error err;
  cJSON *body = NULL;
  ecs_error_init(&err);
  ecs_http_req_init(&r);
  ecs_error_set(&r.err, ECS_KIND_TRANSPORT, "ETIMEDOUT", "h: timed out");
  r.err.retryable = 1;
  r.err.ambiguous = 1;
  r.failed = 1;
  CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
  CHECK_STR(err.code, "ETIMEDOUT");
  CHECK_STR(err.message, "h: timed out");
  CHECK_INT(err.kind, ECS_KIND_TRANSPORT);
  CHECK_INT(err.retryable, 1);
  CHECK_INT(err.ambiguous, 1);
  ecs_error_free(&err);
  ecs_http_req_free(&r);
}

static void finish_never_echoes_the_security_token(void) {
  fixture f;
  cJSON *body = NULL;
  ecs_buf msg;
  ecs_buf_init(&msg);
  fx_init(&f, NULL, STS_TOKEN);
  f.cfg.signature = 1;
  CHECK_INT(prepare(&f, "cn-hangzhou"), 0);
  /* the service quotes the string to sign, which holds the token encoded twice */
  ecs_buf_adds(&msg, "{\"Code\":\"SignatureDoesNotMatch\",\"Message\":\"server string to sign is:"
                     "POST&%2F&SecurityToken%3D");
  {
    ecs_buf e1;
    ecs_buf_init(&e1);
    ecs_encode_pct(&e1, STS_TOKEN, strlen(STS_TOKEN));
    ecs_encode_pct(&msg, e1.data, e1.len);
    ecs_buf_free(&e1);
  }
  ecs_buf_adds(&msg, " raw " STS_TOKEN "\"}");
  f.req.status = 400;
  ecs_buf_add(&f.req.resp_body, msg.data, msg.len);
  CHECK_INT(ecs_client_finish(&f.req, &body, &f.err), -1);
  CHECK_STR(f.err.code, "SignatureDoesNotMatch");
  CHECK(strstr(f.err.message, "CAIS8gF1") == NULL);
  CHECK(strstr(f.err.message, "[redacted]") != NULL);
  ecs_buf_free(&msg);
  fx_free(&f);
}

/* A canned error answer to action (named, as prepare names it, by the
 * request's x-acs-action header). */
static void canned_for(ecs_http_req *r, const char *action, long status, const char *code) {
  char body[160];
  snprintf(body, sizeof body, "{\"RequestId\":\"R-x\",\"Code\":\"%s\",\"Message\":\"m\"}", code);
  canned(r, status, "application/json", body);
  ecs_params_add(&r->headers, "x-acs-action", action);
}

/* Any 5xx to a mutating call may have been applied before the service
 * failed: ambiguous. A read's 5xx is not (nothing to verify), nor is a
 * throttled answer, whatever its status (refused before processing). */
static void finish_marks_a_5xx_to_a_mutating_call_ambiguous(void) {
  static const struct { const char *action; long status; const char *code; int ambiguous; } rows[] = {
      {"ReActivateInstances", 500, "InternalError", 1},
      {"ReActivateInstances", 503, "ServiceUnavailable", 1},
      {"ReActivateInstances", 502, "BadGateway", 1},
      {"ReActivateInstances", 599, "Whatever", 1},
      {"StartInstance", 500, "InternalError", 1},
      {"DescribeInstances", 500, "InternalError", 0},
      {"ReActivateInstances", 503, "Throttling.User", 0},
      {"ReActivateInstances", 403, "IncorrectInstanceStatus", 0},
      {"ReActivateInstances", 499, "Odd", 0},
  };
  size_t i;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    ecs_http_req r;
    ecs_error err;
    cJSON *body = NULL;
    ecs_error_init(&err);
    canned_for(&r, rows[i].action, rows[i].status, rows[i].code);
    CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
    CHECK_INT(err.status, (int)rows[i].status);
    if (err.ambiguous != rows[i].ambiguous)
      fprintf(stderr, "  row %zu: %s %ld %s\n", i, rows[i].action, rows[i].status, rows[i].code);
    CHECK_INT(err.ambiguous, rows[i].ambiguous);
    ecs_error_free(&err);
    ecs_http_req_free(&r);
  }
}

/* A retry carries x-acs-retry-attempts (the retry's number) and
 * x-acs-retry-delay (ms), as openapi-core sends them; under V3 they are
 * signed like every x-acs-* header (and the signature still verifies),
 * under V1 they are plain headers outside the signed query. A first
 * attempt carries neither. */
static void a_retry_carries_the_sdk_retry_headers(void) {
  fixture f;
  ecs_params q;
  ecs_retry_info second = {2, 250}, first = {1, -1};
  const char *auth;
  fx_init(&f, NULL, NULL);
  CHECK_INT(ecs_client_prepare_retry(&f.cfg, &f.creds, "ReActivateInstances", &f.params,
                                     "cn-hangzhou", &second, &f.req, &f.err), 0);
  CHECK_STR(ecs_params_get(&f.req.headers, "x-acs-retry-attempts"), "1");
  CHECK_STR(ecs_params_get(&f.req.headers, "x-acs-retry-delay"), "250");
  auth = ecs_params_get(&f.req.headers, "authorization");
  CHECK(auth && strstr(auth, ";x-acs-retry-attempts;x-acs-retry-delay;x-acs-signature-nonce;"));
  check_v3_signature(&f.req, AK, SK);
  second.attempt = 4;
  second.delay_ms = -1;
  CHECK_INT(ecs_client_prepare_retry(&f.cfg, &f.creds, "ReActivateInstances", &f.params,
                                     "cn-hangzhou", &second, &f.req, &f.err), 0);
  CHECK_STR(ecs_params_get(&f.req.headers, "x-acs-retry-attempts"), "3");
  CHECK(ecs_params_get(&f.req.headers, "x-acs-retry-delay") == NULL);
  CHECK_INT(ecs_client_prepare_retry(&f.cfg, &f.creds, "ReActivateInstances", &f.params,
                                     "cn-hangzhou", &first, &f.req, &f.err), 0);
  CHECK(ecs_params_get(&f.req.headers, "x-acs-retry-attempts") == NULL);
  CHECK(ecs_params_get(&f.req.headers, "x-acs-retry-delay") == NULL);
  CHECK(strstr(ecs_params_get(&f.req.headers, "authorization"), "retry") == NULL);
  f.cfg.signature = 1;
  second.attempt = 3;
  second.delay_ms = 1000;
  CHECK_INT(ecs_client_prepare_retry(&f.cfg, &f.creds, "ReActivateInstances", &f.params,
                                     "cn-hangzhou", &second, &f.req, &f.err), 0);
  CHECK_STR(ecs_params_get(&f.req.headers, "x-acs-retry-attempts"), "2");
  CHECK_STR(ecs_params_get(&f.req.headers, "x-acs-retry-delay"), "1000");
  url_query(f.req.url, &q);
  CHECK(ecs_params_geti(&q, "x-acs-retry-attempts") == NULL);
  check_v1_signature(&f.req, SK);
  ecs_params_free(&q);
  fx_free(&f);
}

/* AccessDeniedDetail is kept as compact JSON text when it is an object;
 * anything else a lying server puts there is ignored; a token it echoes is
 * scrubbed like the message's. */
static void finish_keeps_access_denied_detail_objects_only(void) {
  ecs_http_req r;
  ecs_error err;
  cJSON *body = NULL;
  fixture f;
  static const char *const not_objects[] = {"\"AuthAction\"", "[1,2]", "null", "42", "true"};
  size_t i;
  ecs_error_init(&err);
  canned(&r, 403, "application/json",
         "{\"Code\":\"Forbidden.RAM\",\"Message\":\"m\",\"AccessDeniedDetail\":"
         "{ \"AuthAction\" : \"ecs:ReActivateInstances\", \"NoPermissionType\":\"ImplicitDeny\"}}");
  CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
  CHECK_STR(err.access_denied_detail,
            "{\"AuthAction\":\"ecs:ReActivateInstances\",\"NoPermissionType\":\"ImplicitDeny\"}");
  ecs_error_free(&err);
  ecs_http_req_free(&r);
  for (i = 0; i < sizeof not_objects / sizeof not_objects[0]; i++) {
    char b[200];
    snprintf(b, sizeof b, "{\"Code\":\"Forbidden.RAM\",\"Message\":\"m\",\"AccessDeniedDetail\":%s}",
             not_objects[i]);
    canned(&r, 403, "application/json", b);
    CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
    CHECK_STR(err.code, "Forbidden.RAM");
    CHECK(err.access_denied_detail == NULL);
    ecs_error_free(&err);
    ecs_http_req_free(&r);
  }
  fx_init(&f, NULL, STS_TOKEN);
  CHECK_INT(prepare(&f, "cn-hangzhou"), 0);
  f.req.status = 403;
  ecs_buf_adds(&f.req.resp_body, "{\"Code\":\"Forbidden.RAM\",\"Message\":\"m\",\"AccessDeniedDetail\":"
                                 "{\"EncodedDiagnosticMessage\":\"tok=" STS_TOKEN "\"}}");
  CHECK_INT(ecs_client_finish(&f.req, &body, &f.err), -1);
  CHECK(f.err.access_denied_detail != NULL);
  CHECK(f.err.access_denied_detail && strstr(f.err.access_denied_detail, "CAIS8gF1") == NULL);
  fx_free(&f);
}

static void mutating_actions_are_told_apart_from_reads(void) {
  CHECK_INT(ecs_client_action_mutating("ReActivateInstances"), 1);
  CHECK_INT(ecs_client_action_mutating("StartInstance"), 1);
  CHECK_INT(ecs_client_action_mutating("DescribeInstances"), 0);
  CHECK_INT(ecs_client_action_mutating("ListTagResources"), 0);
  CHECK_INT(ecs_client_action_mutating("GetInstanceScreenshot"), 0);
  CHECK_INT(ecs_client_action_mutating("QueryPrice"), 0);
  CHECK_INT(ecs_client_action_mutating("CheckDiskEnableAutoSnapshotValidation"), 0);
  CHECK_INT(ecs_client_action_mutating("Getaway"), 1);
  CHECK_INT(ecs_client_action_mutating(NULL), 1);
}

/* n nested arrays around "x" (n '[' then n ']'), in a malloc'd string. */
static char *nested(size_t n, const char *inner) {
  size_t k = strlen(inner), i;
  char *s = malloc(2 * n + k + 1);
  for (i = 0; i < n; i++) s[i] = '[';
  memcpy(s + n, inner, k);
  for (i = 0; i < n; i++) s[n + k + i] = ']';
  s[2 * n + k] = '\0';
  return s;
}

static void json_check_limits_nesting_and_values(void) {
  const char *why = NULL;
  char *s = nested(ECS_JSON_MAX_DEPTH, "1");
  cJSON *j;
  CHECK_INT(ecs_json_check(s, strlen(s), ECS_JSON_MAX_DEPTH, 100, &why), 0);
  CHECK((j = ecs_json_parse(s, strlen(s))) != NULL);
  cJSON_Delete(j);
  free(s);
  s = nested(ECS_JSON_MAX_DEPTH + 1, "1");
  CHECK_INT(ecs_json_check(s, strlen(s), ECS_JSON_MAX_DEPTH, 100, &why), -1);
  CHECK_STR(why, "nested too deep");
  CHECK(ecs_json_parse(s, strlen(s)) == NULL); /* cJSON alone would take 1000 levels */
  free(s);
  /* brackets, braces and commas inside strings (escaped quotes too) are text */
  s = nested(ECS_JSON_MAX_DEPTH, "\"[[[{{{,,,\\\"[[[\"");
  CHECK_INT(ecs_json_check(s, strlen(s), ECS_JSON_MAX_DEPTH, ECS_JSON_MAX_DEPTH + 1, &why), 0);
  free(s);
  /* values: one more than the limit is refused */
  CHECK_INT(ecs_json_check("[1,2,3]", 7, 8, 4, &why), 0);
  CHECK_INT(ecs_json_check("[1,2,3,4]", 9, 8, 4, &why), -1);
  CHECK_STR(why, "too many values");
  CHECK_INT(ecs_json_check("{\"a\":1,\"b\":{}}", 15, 8, 4, &why), 0);
  CHECK_INT((long long)ecs_json_max_values((size_t)8 << 20), 262144);
  CHECK_INT((long long)ecs_json_max_values(1024), ECS_JSON_MIN_VALUES);
}

static long maxrss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* An 8 MiB answer of the given shape, decoded through ecs_client_finish:
 * it must fail with EJSON naming the limit, and cost little memory beyond
 * the body itself. */
static void finish_refuses(const char *prefix, const char *unit, const char *suffix, const char *why) {
  fixture f;
  cJSON *body = NULL;
  size_t cap = (size_t)8 << 20, ul = strlen(unit);
  long before;
  fx_init(&f, NULL, NULL);
  f.req.status = 200;
  f.req.max_response = cap;
  ecs_buf_add(&f.req.resp_body, prefix, strlen(prefix));
  while (f.req.resp_body.len + ul + strlen(suffix) < cap) ecs_buf_add(&f.req.resp_body, unit, ul);
  ecs_buf_add(&f.req.resp_body, suffix, strlen(suffix));
  before = maxrss_kb();
  CHECK_INT(ecs_client_finish(&f.req, &body, &f.err), -1);
  CHECK(body == NULL);
  CHECK_STR(f.err.code, "EJSON");
  CHECK(f.err.message && strstr(f.err.message, why) != NULL);
  CHECK_INT(f.err.ambiguous, 1);
  CHECK_INT(f.err.retryable, 0);
  /* 2.8 million cJSON nodes would be some 180 MB; allow 16 MB of noise */
  CHECK(maxrss_kb() - before < 16 * 1024);
  fx_free(&f);
}

static void finish_refuses_8mib_of_empty_arrays_in_bounded_memory(void) {
  finish_refuses("{\"a\":[[]", ",[]", "]}", "too many values");
}

static void finish_refuses_8mib_of_nesting_in_bounded_memory(void) {
  finish_refuses("{\"a\":", "[", "", "nested too deep");
}

/* A 5xx whose body is over the decoding limits is still a 5xx: retryable
 * (and ambiguous), as every 5xx is (found by fuzz_response). */
static void finish_keeps_a_5xx_retryable_when_its_body_is_too_deep(void) {
  fixture f;
  cJSON *body = NULL;
  char *s = nested(ECS_JSON_MAX_DEPTH + 20, "1");
  fx_init(&f, NULL, NULL);
  f.req.status = 500;
  ecs_buf_add(&f.req.resp_body, "{\"Code\":", 8);
  ecs_buf_add(&f.req.resp_body, s, strlen(s));
  ecs_buf_add(&f.req.resp_body, "}", 1);
  free(s);
  CHECK_INT(ecs_client_finish(&f.req, &body, &f.err), -1);
  CHECK_STR(f.err.code, "EJSON");
  CHECK_INT(f.err.status, 500);
  CHECK_INT(f.err.retryable, 1);
  CHECK_INT(f.err.ambiguous, 1);
  fx_free(&f);
}

static const ecs_test_case cases[] = {
  {"json_check_limits_nesting_and_values", json_check_limits_nesting_and_values},
  {"finish_keeps_a_5xx_retryable_when_its_body_is_too_deep",
   finish_keeps_a_5xx_retryable_when_its_body_is_too_deep},
  {"finish_refuses_8mib_of_empty_arrays_in_bounded_memory",
   finish_refuses_8mib_of_empty_arrays_in_bounded_memory},
  {"finish_refuses_8mib_of_nesting_in_bounded_memory", finish_refuses_8mib_of_nesting_in_bounded_memory},
  {"v3_prepare_builds_the_sdk_request_and_signature_verifies",
   v3_prepare_builds_the_sdk_request_and_signature_verifies},
  {"v3_host_header_carries_non_default_port_only", v3_host_header_carries_non_default_port_only},
  {"v3_sts_adds_accesskey_and_token_headers", v3_sts_adds_accesskey_and_token_headers},
  {"v1_prepare_query_carries_all_params_and_signature_verifies",
   v1_prepare_query_carries_all_params_and_signature_verifies},
  {"v1_sts_adds_security_token_param", v1_sts_adds_security_token_param},
  {"two_prepares_use_different_nonces", two_prepares_use_different_nonces},
  {"region_comes_from_argument_then_params_then_config",
   region_comes_from_argument_then_params_then_config},
  {"missing_region_and_endpoint_is_econfig", missing_region_and_endpoint_is_econfig},
  {"bad_endpoint_or_region_is_econfig", bad_endpoint_or_region_is_econfig},
  {"other_products_carry_their_version_and_endpoint",
   other_products_carry_their_version_and_endpoint},
  {"missing_credentials_are_ecreds", missing_credentials_are_ecreds},
  {"timeouts_and_transfer_settings_are_copied", timeouts_and_transfer_settings_are_copied},
  {"finish_returns_the_body_of_a_200", finish_returns_the_body_of_a_200},
  {"finish_maps_a_403_api_error_with_all_fields", finish_maps_a_403_api_error_with_all_fields},
  {"finish_maps_throttling_with_retry_after", finish_maps_throttling_with_retry_after},
  {"finish_marks_500_internal_error_retryable", finish_marks_500_internal_error_retryable},
  {"finish_marks_a_reused_nonce_ambiguous", finish_marks_a_reused_nonce_ambiguous},
  {"finish_turns_an_html_503_into_ejson", finish_turns_an_html_503_into_ejson},
  {"finish_turns_truncated_json_into_ejson", finish_turns_truncated_json_into_ejson},
  {"finish_copies_transport_errors", finish_copies_transport_errors},
  {"finish_never_echoes_the_security_token", finish_never_echoes_the_security_token},
  {"finish_keeps_access_denied_detail_objects_only", finish_keeps_access_denied_detail_objects_only},
  {"mutating_actions_are_told_apart_from_reads", mutating_actions_are_told_apart_from_reads},
  {"finish_marks_a_5xx_to_a_mutating_call_ambiguous", finish_marks_a_5xx_to_a_mutating_call_ambiguous},
  {"a_retry_carries_the_sdk_retry_headers", a_retry_carries_the_sdk_retry_headers},
  {NULL, NULL}};

int main(int argc, char **argv) { return ecs_test_main(argc, argv, cases); }
