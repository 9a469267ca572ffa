/* test_sim.c - the ECS simulator over real HTTP: every case starts an
 * in-process simulator on 127.0.0.1:0 from a fleet string and talks to it
 * with libcurl, signing with sign.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "encode.h"
#include "json.h"
#include "sign.h"
#include "sim_internal.h"
#include "test_sim_util.h"
#include "testlib.h"

#define FLEET_BASIC                                                                          \
  "{\"instances\":["                                                                         \
  "{\"InstanceId\":\"i-1\",\"RegionId\":\"cn-hangzhou\",\"ZoneId\":\"cn-hangzhou-g\","      \
  "\"Status\":\"Stopped\",\"InstanceChargeType\":\"PostPaid\",\"LockReasons\":[\"financial\"]," \
  "\"InstanceName\":\"web-1\",\"Tags\":{\"env\":\"prod\"}},"                                  \
  "{\"InstanceId\":\"i-2\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\","             \
  "\"LockReasons\":[\"financial\"]}]}"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *state_status(ecs_sim *s, const char *id, char *buf, size_t n) {
  cJSON *st = sim_get(s, "/_sim/state"), *in = st ? state_instance(st, id) : NULL;
  const char *v = in ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "Status")) : NULL;
  snprintf(buf, n, "%s", v ? v : "(none)");
  cJSON_Delete(st);
  return buf;
}

/* ---- signatures ---- */

static void v1_get_query_is_accepted(void) {
  ecs_sim *s = sim_up(FLEET_BASIC);
  http_resp r;
  v1(s, &r, "Action", "DescribeRegions", NULL);
  CHECK_INT(r.status, 200);
  CHECK(cJSON_GetObjectItemCaseSensitive(r.json, "Regions") != NULL);
  CHECK_INT(strlen(resp_str(&r, "RequestId")), 36);
  http_resp_free(&r);
  /* Format absent -> XML, as the service answers V1 by default */
  v1(s, &r, "Action", "ReActivateInstances", "InstanceId", "i-1", "Format", "-", NULL);
  CHECK_INT(r.status, 200);
  CHECK(strstr(ecs_buf_cstr(&r.body), "<ReActivateInstancesResponse><RequestId>") != NULL);
  http_resp_free(&r);
  v1(s, &r, "Action", "ReActivateInstances", "InstanceId", "i-nope", "Format", "XML", NULL);
  CHECK_INT(r.status, 404);
  CHECK(strstr(ecs_buf_cstr(&r.body), "<Code>InvalidInstanceId.NotFound</Code>") != NULL);
  http_resp_free(&r);
  ecs_sim_stop(s);
}

static void v1_post_form_body_is_accepted(void) {
  ecs_sim *s = sim_up(FLEET_BASIC);
  ecs_params p;
  http_resp r;
  char st[32];
  ecs_params_init(&p);
  ecs_params_add(&p, "Action", "ReActivateInstances");
  ecs_params_add(&p, "InstanceId", "i-1");
  ecs_params_add(&p, "RegionId", "cn-hangzhou");
  v1_call(s, "POST", 1, &p, "sim-ak", "sim-secret", &r);
  CHECK_INT(r.status, 200);
  CHECK_STR(resp_code(&r), "OK");
  CHECK_STR(state_status(s, "i-1", st, sizeof st), "Starting");
  http_resp_free(&r);
  ecs_params_free(&p);
  /* POST with everything in the query (openapi-core "v2"), no body */
  ecs_params_init(&p);
  ecs_params_add(&p, "Action", "ReActivateInstances");
  ecs_params_add(&p, "InstanceId", "i-2");
  v1_call(s, "POST", 0, &p, "sim-ak", "sim-secret", &r);
  CHECK_INT(r.status, 200);
  CHECK_STR(state_status(s, "i-2", st, sizeof st), "Starting");
  http_resp_free(&r);
  ecs_params_free(&p);
  ecs_sim_stop(s);
}

static void v3_post_is_accepted(void) {
  ecs_sim *s = sim_up(FLEET_BASIC);
  ecs_params q;
  http_resp r;
  ecs_params_init(&q);
  ecs_params_add(&q, "RegionId", "cn-hangzhou");
  ecs_params_add(&q, "InstanceName", "web-* (x)!'~");
  v3_call(s, "DescribeInstances", &q, "sim-ak", "sim-secret", NULL, &r);
  CHECK_INT(r.status, 200);
  CHECK(cJSON_GetObjectItemCaseSensitive(r.json, "Instances") != NULL);
  http_resp_free(&r);
  ecs_params_free(&q);
  ecs_sim_stop(s);
}

/* Replays every request the official SDKs sent (calls[] and errors[]) with
 * its exact target, headers and body; the simulator's clock is moved to the
 * capture's timestamp. Each must get past authentication. */
static void sdk_wire_capture_v3_is_accepted(void) {
  static const char *const auth_codes[] = {
      "SignatureDoesNotMatch", "IncompleteSignature", "InvalidAccessKeyId.NotFound",
      "InvalidTimeStamp.Expired", "InvalidTimeStamp.Format", "SignatureNonceUsed",
      "MissingParameter", "InvalidSecurityToken.Malformed",
      "InvalidSecurityToken.MismatchWithAccessKey", "InvalidSecurityToken.Expired", NULL};
  static const char *const sections[] = {"calls", "errors", NULL};
  size_t n = 0;
  char *text = ecs_test_read_file(ecs_test_vector_path("sdk-wire-captures.json"), &n);
  cJSON *root = text ? ecs_json_parse(text, n) : NULL, *cred, *call, *rq, *h;
  char fleet[2048];
  ecs_sim *s;
  int replayed = 0, v3 = 0, first_ok = 0, i, k;
  CHECK(root != NULL);
  if (!root) { free(text); return; }
  cred = cJSON_GetObjectItemCaseSensitive(root, "credentials");
  snprintf(fleet, sizeof fleet,
           "{\"accounts\":[{\"access_key_id\":\"%s\",\"access_key_secret\":\"%s\"},"
           "{\"access_key_id\":\"%s\",\"access_key_secret\":\"%s\",\"security_token\":\"%s\"}],"
           "\"instances\":[{\"InstanceId\":\"i-bp1gbz20g229bvx5xxxx\",\"RegionId\":\"cn-hangzhou\","
           "\"Status\":\"Stopped\",\"LockReasons\":[\"financial\"]}]}",
           ecs_json_str(cred, "access_key_id"), ecs_json_str(cred, "access_key_secret"),
           ecs_json_str(cred, "sts_access_key_id"), ecs_json_str(cred, "sts_access_key_secret"),
           ecs_json_str(cred, "sts_security_token"));
  s = sim_up(fleet);
  for (k = 0; sections[k]; k++) {
    cJSON_ArrayForEach(call, cJSON_GetObjectItemCaseSensitive(root, sections[k])) {
      cJSON_ArrayForEach(rq, cJSON_GetObjectItemCaseSensitive(call, "requests")) {
        struct curl_slist *sl = NULL;
        const char *date = NULL, *method = ecs_json_str(rq, "method");
        const char *target = ecs_json_str(rq, "target"), *body = ecs_json_str(rq, "body_utf8");
        char url[4096], line[2048], *ts;
        long long t;
        http_resp r;
        int is_auth = 0;
        cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(rq, "raw_headers")) {
          const char *name = cJSON_GetArrayItem(h, 0)->valuestring;
          const char *val = cJSON_GetArrayItem(h, 1)->valuestring;
          if (!strcasecmp(name, "content-length") || !strcasecmp(name, "connection")) continue;
          if (!strcasecmp(name, "x-acs-date")) date = val;
          snprintf(line, sizeof line, "%s: %s", name, val);
          sl = curl_slist_append(sl, line);
        }
        ts = date ? NULL : strstr(target, "Timestamp=");
        if (!date && !ts && body) ts = strstr(body, "Timestamp=");
        if (date) {
          CHECK(sim_parse_time(date, 0, &t) == 0);
          v3++;
        } else {
          char buf[32];
          CHECK(ts != NULL);
          if (!ts) continue;
          snprintf(buf, sizeof buf, "%.10sT%.2s:%.2s:%.2sZ", ts + 10, ts + 21, ts + 26, ts + 31);
          CHECK(sim_parse_time(buf, 0, &t) == 0);
        }
        {
          struct timespec now;
          clock_gettime(CLOCK_REALTIME, &now);
          ecs_sim_set_clock_offset(s, t * 1000 - ((long long)now.tv_sec * 1000 + now.tv_nsec / 1000000));
        }
        if (strcmp(method, "POST") == 0 && (!body || !*body)) sl = curl_slist_append(sl, "Content-Type:");
        snprintf(url, sizeof url, "%s%s", ecs_sim_url(s), target);
        http_do(NULL, method, url, sl, body, 0, &r);
        for (i = 0; auth_codes[i]; i++)
          if (strcmp(resp_code(&r), auth_codes[i]) == 0) is_auth = 1;
        if (is_auth || r.status == 0)
          fprintf(stderr, "capture %s: %ld %s %s\n", ecs_json_str(call, "id"), r.status,
                  resp_code(&r), resp_str(&r, "Message"));
        CHECK(!is_auth && r.status != 0);
        if (r.status == 200 && strcmp(ecs_json_str(call, "id"), "ecs-v3-reactivate") == 0) first_ok = 1;
        replayed++;
        curl_slist_free_all(sl);
        http_resp_free(&r);
      }
    }
  }
  CHECK(replayed >= 10);
  CHECK(v3 >= 4);
  CHECK(first_ok);
  ecs_sim_stop(s);
  cJSON_Delete(root);
  free(text);
}

static void tampered_signature_is_rejected(void) {
  ecs_sim *s = sim_up(FLEET_BASIC);
  ecs_params p;
  ecs_buf q, url;
  http_resp r;
  char *at;
  ecs_params_init(&p);
  ecs_buf_init(&q);
  ecs_buf_init(&url);
  ecs_params_add(&p, "Action", "ReActivateInstances");
  ecs_params_add(&p, "InstanceId", "i-1");
  v1_sign("GET", &p, "sim-ak", "sim-secret", &q);
  at = strstr(q.data, "InstanceId=i-1");
  CHECK(at != NULL);
  if (at) at[13] = '2'; /* i-1 -> i-2 after signing */
  ecs_buf_addf(&url, "%s/?%s", ecs_sim_url(s), q.data);
  http_do(NULL, "GET", url.data, NULL, NULL, 0, &r);
  CHECK_INT(r.status, 400);
  CHECK_STR(resp_code(&r), "SignatureDoesNotMatch");
  CHECK(strncmp(resp_str(&r, "Message"),
                "Specified signature is not matched with our calculation. server string to sign "
                "is:GET&%2F&AccessKeyId%3Dsim-ak%26Action%3DReActivateInstances", 118) == 0);
  CHECK(strstr(resp_str(&r, "Message"), "sim-secret") == NULL);
  http_resp_free(&r);
  /* wrong secret under V3 */
  ecs_params_free(&p);
  ecs_params_init(&p);
  ecs_params_add(&p, "RegionId", "cn-hangzhou");
  v3_call(s, "DescribeInstances", &p, "sim-ak", "not-the-secret", NULL, &r);
  CHECK_INT(r.status, 400);
  CHECK_STR(resp_code(&r), "SignatureDoesNotMatch");
  CHECK(strstr(resp_str(&r, "Message"), "server string to sign is:ACS3-HMAC-SHA256\n") != NULL);
  CHECK(strstr(resp_str(&r, "Recommend"), "https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch&product=Ecs&requestId=") != NULL);
  CHECK_STR(resp_str(&r, "HostId"), "127.0.0.1");
  http_resp_free(&r);
  /* malformed Authorization and an unknown V1 SignatureMethod */
  {
    struct curl_slist *sl = curl_slist_append(NULL, "Authorization: ACS3-HMAC-SHA256 Credential=sim-ak");
    ecs_buf_reset(&url);
    ecs_buf_addf(&url, "%s/", ecs_sim_url(s));
    http_do(NULL, "POST", url.data, sl, NULL, 0, &r);
    CHECK_INT(r.status, 400);
    CHECK_STR(resp_code(&r), "IncompleteSignature");
    http_resp_free(&r);
    curl_slist_free_all(sl);
  }
  v1(s, &r, "Action", "DescribeRegions", "SignatureMethod", "HMAC-MD5", NULL);
  CHECK_STR(resp_code(&r), "IncompleteSignature");
  CHECK_INT(r.status, 400);
  http_resp_free(&r);
  ecs_params_free(&p);
  ecs_buf_free(&q);
  ecs_buf_free(&url);
  ecs_sim_stop(s);
}

static void replayed_nonce_is_rejected(void) {
  ecs_sim *s = sim_up(FLEET_BASIC);
  ecs_params p;
  ecs_buf q, url;
  http_resp r;
  ecs_params_init(&p);
  ecs_buf_init(&q);
  ecs_buf_init(&url);
  ecs_params_add(&p, "Action", "DescribeRegions");
  v1_sign("GET", &p, "sim-ak", "sim-secret", &q);
  ecs_buf_addf(&url, "%s/?%s", ecs_sim_url(s), q.data);
  http_do(NULL, "GET", url.data, NULL, NULL, 0, &r);
  CHECK_INT(r.status, 200);
  http_resp_free(&r);
  http_do(NULL, "GET", url.data, NULL, NULL, 0, &r);
  CHECK_INT(r.status, 400);
  CHECK_STR(resp_code(&r), "SignatureNonceUsed");
  http_resp_free(&r);
  /* after 31 minutes the nonce is forgotten (and evicted) */
  ecs_sim_set_clock_offset(s, 32LL * 60 * 1000);
  ecs_params_free(&p);
  ecs_params_init(&p);
  ecs_params_add(&p, "Action", "DescribeRegions");
  ecs_params_add(&p, "SignatureNonce", "fixed-nonce");
  {
    char ts[32];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    sim_format_seconds(now.tv_sec + 32 * 60, ts, sizeof ts);
    ecs_params_add(&p, "Timestamp", ts);
  }
  ecs_buf_reset(&q);
  v1_sign("GET", &p, "sim-ak", "sim-secret", &q);
  ecs_buf_reset(&url);
  ecs_buf_addf(&url, "%s/?%s", ecs_sim_url(s), q.data);
  http_do(NULL, "GET", url.data, NULL, NULL, 0, &r);
  CHECK_INT(r.status, 200);
  http_resp_free(&r);
  {
    cJSON *st = sim_get(s, "/_sim/state");
    CHECK_INT(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(st, "counters"),
                                              "nonces")->valuedouble, 1);
    cJSON_Delete(st);
  }
  ecs_params_free(&p);
  ecs_buf_free(&q);
  ecs_buf_free(&url);
  ecs_sim_stop(s);
}

static void stale_timestamp_is_rejected(void) {
  ecs_sim *s = sim_up(FLEET_BASIC);
  http_resp r;
  char ts[32];
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  sim_format_seconds(now.tv_sec - 20 * 60, ts, sizeof ts);
  v1(s, &r, "Action", "DescribeRegions", "Timestamp", ts, NULL);
  CHECK_INT(r.status, 400);
  CHECK_STR(resp_code(&r), "InvalidTimeStamp.Expired");
  CHECK_STR(resp_str(&r, "Message"), "Specified time stamp or date value is expired.");
  http_resp_free(&r);
  sim_format_seconds(now.tv_sec + 20 * 60, ts, sizeof ts);
  v1(s, &r, "Action", "DescribeRegions", "Timestamp", ts, NULL);
  CHECK_STR(resp_code(&r), "InvalidTimeStamp.Expired");
  http_resp_free(&r);
  sim_format_seconds(now.tv_sec - 10 * 60, ts, sizeof ts); /* within 15 min: fine */
  v1(s, &r, "Action", "DescribeRegions", "Timestamp", ts, NULL);
  CHECK_INT(r.status, 200);
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeRegions", "Timestamp", "2024-01-01 00:00:00", NULL);
  CHECK_INT(r.status, 400);
  CHECK_STR(resp_code(&r), "InvalidTimeStamp.Format");
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeRegions", "Timestamp", "-", NULL);
  CHECK_INT(r.status, 400);
  CHECK_STR(resp_code(&r), "MissingParameter");
  CHECK_STR(resp_str(&r, "Message"),
            "The input parameter Timestamp that is mandatory for processing this request is not supplied.");
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeRegions", "SignatureNonce", "-", NULL);
  CHECK_STR(resp_code(&r), "MissingParameter");
  CHECK(strstr(resp_str(&r, "Message"), "SignatureNonce") != NULL);
  http_resp_free(&r);
  ecs_sim_stop(s);
}

static void unknown_key_is_rejected(void) {
  ecs_sim *s = sim_up(FLEET_BASIC);
  ecs_params p;
  http_resp r;
  ecs_params_init(&p);
  ecs_params_add(&p, "Action", "DescribeRegions");
  v1_call(s, "GET", 0, &p, "no-such-key", "whatever", &r);
  CHECK_INT(r.status, 404);
  CHECK_STR(resp_code(&r), "InvalidAccessKeyId.NotFound");
  CHECK_STR(resp_str(&r, "Message"), "Specified access key is not found.");
  http_resp_free(&r);
  ecs_params_free(&p);
  ecs_params_init(&p);
  v3_call(s, "DescribeRegions", &p, "no-such-key", "whatever", NULL, &r);
  CHECK_INT(r.status, 404);
  CHECK_STR(resp_code(&r), "InvalidAccessKeyId.NotFound");
  http_resp_free(&r);
  ecs_params_free(&p);
  ecs_sim_stop(s);
}

static void sts_token_rules(void) {
  ecs_sim *s = sim_up(
      "{\"accounts\":[{\"access_key_id\":\"perm\",\"access_key_secret\":\"s0\"},"
      "{\"access_key_id\":\"STS.a\",\"access_key_secret\":\"s1\",\"security_token\":\"tok-a\","
      "\"expiration\":\"2099-01-01T00:00:00Z\"},"
      "{\"access_key_id\":\"STS.b\",\"access_key_secret\":\"s2\",\"security_token\":\"tok-b\","
      "\"expiration\":\"2020-01-01T00:00:00Z\"}]}");
  ecs_params p;
  http_resp r;
  struct { const char *ak, *secret, *token, *code; int status; } rows[] = {
      {"STS.a", "s1", "tok-a", "OK", 200},
      {"STS.a", "s1", NULL, "InvalidSecurityToken.MismatchWithAccessKey", 400},
      {"STS.a", "s1", "tok-b", "InvalidSecurityToken.MismatchWithAccessKey", 400},
      {"STS.a", "s1", "garbage", "InvalidSecurityToken.Malformed", 400},
      {"STS.b", "s2", "tok-b", "InvalidSecurityToken.Expired", 400},
      {"perm", "s0", NULL, "OK", 200},
      {"perm", "s0", "tok-a", "InvalidSecurityToken.MismatchWithAccessKey", 400},
  };
  size_t i;
  int v3;
  for (v3 = 0; v3 < 2; v3++)
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
      ecs_params_init(&p);
      if (v3) {
        v3_call(s, "DescribeRegions", &p, rows[i].ak, rows[i].secret, rows[i].token, &r);
      } else {
        ecs_params_add(&p, "Action", "DescribeRegions");
        if (rows[i].token) ecs_params_add(&p, "SecurityToken", rows[i].token);
        v1_call(s, "GET", 0, &p, rows[i].ak, rows[i].secret, &r);
      }
      if (strcmp(resp_code(&r), rows[i].code) != 0)
        fprintf(stderr, "sts row %zu (v3=%d): %s\n", i, v3, resp_code(&r));
      CHECK_STR(resp_code(&r), rows[i].code);
      CHECK_INT(r.status, rows[i].status);
      CHECK(strstr(ecs_buf_cstr(&r.body), "tok-") == NULL);
      http_resp_free(&r);
      ecs_params_free(&p);
    }
  ecs_sim_stop(s);
}

/* ---- ReActivateInstances ---- */

static void reactivate_errors_have_documented_codes(void) {
  ecs_sim *s = sim_up(
      "{\"accounts\":[{\"access_key_id\":\"sim-ak\",\"access_key_secret\":\"sim-secret\"},"
      "{\"access_key_id\":\"poor\",\"access_key_secret\":\"p\",\"balance\":50},"
      "{\"access_key_id\":\"other\",\"access_key_secret\":\"o\"}],"
      "\"instances\":["
      "{\"InstanceId\":\"i-ok\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\",\"LockReasons\":[\"financial\"]},"
      "{\"InstanceId\":\"i-pre\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\",\"InstanceChargeType\":\"PrePaid\",\"LockReasons\":[\"financial\"]},"
      "{\"InstanceId\":\"i-sec\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\",\"LockReasons\":[\"financial\",\"security\"]},"
      "{\"InstanceId\":\"i-run\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Running\"},"
      "{\"InstanceId\":\"i-pend\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Pending\"},"
      "{\"InstanceId\":\"i-stop\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopping\"},"
      "{\"InstanceId\":\"i-nolock\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\"},"
      "{\"InstanceId\":\"i-poor\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\",\"LockReasons\":[\"financial\"],\"account\":\"poor\"},"
      "{\"InstanceId\":\"i-other\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\",\"LockReasons\":[\"financial\"],\"account\":\"other\"},"
      "{\"InstanceId\":\"i-fault\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\",\"LockReasons\":[\"financial\"]}],"
      "\"faults\":[{\"action\":\"ReActivateInstances\",\"instance_id\":\"i-fault\",\"error\":\"InternalError\"}]}");
  struct { const char *ak, *secret, *id, *region; int status; const char *code, *msg; } rows[] = {
      {"sim-ak", "sim-secret", "i-missing", NULL, 404, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist."},
      {"sim-ak", "sim-secret", "i-ok", "cn-shanghai", 404, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist."},
      {"sim-ak", "sim-secret", "i-other", NULL, 404, "InvalidInstanceId.NotFound", "The specified InstanceId does not exist."},
      {"sim-ak", "sim-secret", "i-pre", NULL, 404, "InvalidPayType.NotSupport", "The specified pre pay instance not support."},
      {"sim-ak", "sim-secret", "i-sec", NULL, 403, "InstanceLockedForSecurity", "The specified operation is denied as your instance is locked for security reasons."},
      {"sim-ak", "sim-secret", "i-run", NULL, 403, "IncorrectInstanceStatus", "The current status of the resource does not support this operation."},
      {"sim-ak", "sim-secret", "i-pend", NULL, 403, "IncorrectInstanceStatus", "The current status of the resource does not support this operation."},
      {"sim-ak", "sim-secret", "i-stop", NULL, 403, "IncorrectInstanceStatus", "The current status of the resource does not support this operation."},
      {"sim-ak", "sim-secret", "i-nolock", NULL, 400, "ReopenInstance.InstanceStatusNotValid", "Instance status is not Expired, ImageExpired or EcsAndImageExpired."},
      {"poor", "p", "i-poor", NULL, 403, "InsufficientBalance", "Your account does not have enough balance."},
      {"sim-ak", "sim-secret", "i-fault", NULL, 500, "InternalError", "The request processing has failed due to some unknown error."},
      {"sim-ak", "sim-secret", "i-ok", "cn-hangzhou", 200, "OK", ""},
      {"sim-ak", "sim-secret", "i-ok", NULL, 403, "IncorrectInstanceStatus", "The current status of the resource does not support this operation."},
      {"sim-ak", "sim-secret", NULL, NULL, 400, "MissingParameter", "The input parameter InstanceId that is mandatory for processing this request is not supplied."},
  };
  size_t i;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    ecs_params p;
    http_resp r;
    ecs_params_init(&p);
    ecs_params_add(&p, "Action", "ReActivateInstances");
    if (rows[i].id) ecs_params_add(&p, "InstanceId", rows[i].id);
    if (rows[i].region) ecs_params_add(&p, "RegionId", rows[i].region);
    v1_call(s, "GET", 0, &p, rows[i].ak, rows[i].secret, &r);
    if (r.status != rows[i].status) fprintf(stderr, "row %zu: %ld %s\n", i, r.status, resp_code(&r));
    CHECK_INT(r.status, rows[i].status);
    CHECK_STR(resp_code(&r), rows[i].code);
    if (*rows[i].msg) CHECK_STR(resp_str(&r, "Message"), rows[i].msg);
    http_resp_free(&r);
    ecs_params_free(&p);
  }
  ecs_sim_stop(s);
}

static void reactivate_moves_stopped_to_starting_then_running(void) {
  ecs_sim *s = sim_up(
      "{\"start_delay_ms\":300,\"instances\":[{\"InstanceId\":\"i-1\",\"RegionId\":\"cn-hangzhou\","
      "\"Status\":\"Stopped\",\"LockReasons\":[\"financial\"]}]}");
  http_resp r;
  char st[32];
  cJSON *state, *in;
  v1(s, &r, "Action", "ReActivateInstances", "InstanceId", "i-1", NULL);
  CHECK_INT(r.status, 200);
  CHECK(cJSON_GetArraySize(r.json) == 1); /* {"RequestId"} only */
  http_resp_free(&r);
  state = sim_get(s, "/_sim/state");
  in = state_instance(state, "i-1");
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "Status")), "Starting");
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(in, "LockReasons")), 0);
  cJSON_Delete(state);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", NULL);
  CHECK(strstr(ecs_buf_cstr(&r.body), "\"Status\":\"Starting\"") != NULL);
  CHECK(strstr(ecs_buf_cstr(&r.body), "\"OperationLocks\":{\"LockReason\":[]}") != NULL);
  http_resp_free(&r);
  sleep_ms(400);
  CHECK_STR(state_status(s, "i-1", st, sizeof st), "Running");
  v1(s, &r, "Action", "DescribeInstanceStatus", "RegionId", "cn-hangzhou", "InstanceId.1", "i-1", NULL);
  CHECK(strstr(ecs_buf_cstr(&r.body), "{\"InstanceStatuses\":{\"InstanceStatus\":[{\"InstanceId\":\"i-1\",\"Status\":\"Running\"}]}") != NULL);
  http_resp_free(&r);
  ecs_sim_stop(s);
}

/* ---- DescribeInstances ---- */

static int ids_in(const http_resp *r, char *out, size_t n) {
  cJSON *e, *list = cJSON_GetObjectItemCaseSensitive(
                  cJSON_GetObjectItemCaseSensitive(r->json, "Instances"), "Instance");
  int k = 0;
  out[0] = '\0';
  cJSON_ArrayForEach(e, list) {
    strncat(out, ecs_json_str(e, "InstanceId"), n - strlen(out) - 2);
    strncat(out, " ", n - strlen(out) - 1);
    k++;
  }
  return k;
}

static void describe_instances_filters_and_pages(void) {
  char fleet[8192], ids[2048], tok[64];
  size_t o = 0;
  int i, pages = 0, seen = 0;
  http_resp r;
  ecs_sim *s;
  o += (size_t)snprintf(fleet + o, sizeof fleet - o,
                        "{\"accounts\":[{\"access_key_id\":\"sim-ak\",\"access_key_secret\":\"sim-secret\"},"
                        "{\"access_key_id\":\"b\",\"access_key_secret\":\"b\"}],\"instances\":[");
  for (i = 1; i <= 25; i++)
    o += (size_t)snprintf(fleet + o, sizeof fleet - o,
                          "%s{\"InstanceId\":\"i-%02d\",\"RegionId\":\"cn-hangzhou\",\"ZoneId\":\"cn-hangzhou-%c\","
                          "\"Status\":\"%s\",\"InstanceChargeType\":\"%s\",\"LockReasons\":%s,"
                          "\"InstanceName\":\"%s-%02d\",\"Tags\":{\"env\":\"%s\",\"team\":\"t%d\"},"
                          "\"CreationTime\":\"2023-05-10T02:11:59Z\"}",
                          i > 1 ? "," : "", i, i % 2 ? 'g' : 'h', i % 3 ? "Stopped" : "Running",
                          i % 5 ? "PostPaid" : "PrePaid", i % 3 ? "[\"financial\"]" : "[]",
                          i % 4 ? "web" : "db", i, i % 2 ? "prod" : "dev", i % 3);
  snprintf(fleet + o, sizeof fleet - o,
           ",{\"InstanceId\":\"i-sh\",\"RegionId\":\"cn-shanghai\",\"Status\":\"Stopped\"},"
           "{\"InstanceId\":\"i-b\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\",\"account\":\"b\"}]}");
  s = sim_up(fleet);

  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", NULL);
  CHECK_INT(r.status, 200);
  CHECK_INT(ecs_json_num(r.json, "TotalCount", -1), 25);
  CHECK_INT(ecs_json_num(r.json, "PageSize", -1), 10);
  CHECK_INT(ecs_json_num(r.json, "PageNumber", -1), 1);
  CHECK_INT(ids_in(&r, ids, sizeof ids), 10);
  CHECK(strstr(ids, "i-b ") == NULL && strstr(ids, "i-sh") == NULL);
  {
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r.json, "Instances"), "Instance"), 0);
    CHECK_STR(ecs_json_str(first, "CreationTime"), "2023-05-10T02:11Z");
    CHECK_STR(ecs_json_str(first, "ExpiredTime"), "2099-12-31T15:59Z");
    CHECK_STR(ecs_json_str(first, "InstanceType"), "ecs.g7.large");
    CHECK_STR(ecs_json_str(first, "StoppedMode"), "KeepCharging");
    CHECK(strstr(ecs_buf_cstr(&r.body), "\"Tags\":{\"Tag\":[{\"TagKey\":\"env\",\"TagValue\":\"prod\"}") != NULL);
    CHECK(strstr(ecs_buf_cstr(&r.body), "{\"LockReason\":\"financial\",\"LockMsg\":") != NULL);
  }
  http_resp_free(&r);

  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "PageNumber", "3", NULL);
  CHECK_INT(ids_in(&r, ids, sizeof ids), 5);
  CHECK_STR(ids, "i-21 i-22 i-23 i-24 i-25 ");
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "PageSize", "101", NULL);
  CHECK_INT(r.status, 400);
  CHECK_STR(resp_code(&r), "InvalidParameter");
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "PageSize", "0", NULL);
  CHECK_STR(resp_code(&r), "InvalidParameter");
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", NULL);
  CHECK_STR(resp_code(&r), "MissingParameter");
  http_resp_free(&r);

  /* NextToken/MaxResults: MaxResults 3 is raised to 10 */
  tok[0] = '\0';
  do {
    ecs_params p;
    ecs_params_init(&p);
    ecs_params_add(&p, "Action", "DescribeInstances");
    ecs_params_add(&p, "RegionId", "cn-hangzhou");
    ecs_params_add(&p, "MaxResults", "3");
    if (tok[0]) ecs_params_add(&p, "NextToken", tok);
    v1_call(s, "GET", 0, &p, "sim-ak", "sim-secret", &r);
    ecs_params_free(&p);
    CHECK_INT(r.status, 200);
    seen += ids_in(&r, ids, sizeof ids);
    snprintf(tok, sizeof tok, "%s", resp_str(&r, "NextToken"));
    pages++;
    http_resp_free(&r);
  } while (tok[0] && pages < 10);
  CHECK_INT(pages, 3);
  CHECK_INT(seen, 25);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "NextToken", "bogus", NULL);
  CHECK_INT(r.status, 400);
  CHECK_STR(resp_code(&r), "InvalidParameter");
  http_resp_free(&r);

  /* filters */
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "InstanceIds",
     "[\"i-01\",\"i-03\",\"i-b\",\"i-zz\"]", NULL);
  CHECK_INT(ids_in(&r, ids, sizeof ids), 2);
  CHECK_STR(ids, "i-01 i-03 ");
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "InstanceIds", "[]", NULL);
  CHECK_INT(r.status, 200);
  CHECK_INT(ecs_json_num(r.json, "TotalCount", -1), 0);
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "InstanceIds", "[\"i-01\"", NULL);
  CHECK_STR(resp_code(&r), "InvalidParameter");
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "Status", "Running",
     "PageSize", "100", NULL);
  CHECK_INT(ecs_json_num(r.json, "TotalCount", -1), 8);
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "Status", "Stopped",
     "LockReason", "financial", "InstanceChargeType", "PostPaid", "PageSize", "100", NULL);
  CHECK_INT(ecs_json_num(r.json, "TotalCount", -1), 13); /* 17 stopped, minus PrePaid 5,10,20,25 */
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "ZoneId", "cn-hangzhou-g",
     "InstanceName", "db-*", NULL);
  CHECK_INT(ids_in(&r, ids, sizeof ids), 0); /* db-* are multiples of 4: even -> zone h */
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "InstanceName", "db-*",
     "Tag.1.Key", "env", "Tag.1.Value", "dev", "Tag.2.Key", "team", "Tag.2.Value", "t1", NULL);
  CHECK_INT(ids_in(&r, ids, sizeof ids), 2);
  CHECK_STR(ids, "i-04 i-16 ");
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "Status", "Expired", NULL);
  CHECK_INT(r.status, 404);
  CHECK_STR(resp_code(&r), "InvalidStatus.NotFound");
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-shanghai", NULL);
  CHECK_INT(ids_in(&r, ids, sizeof ids), 1);
  http_resp_free(&r);
  ecs_sim_stop(s);
}

static void describe_instance_status_and_regions_answer(void) {
  ecs_sim *s = sim_up(
      "{\"instances\":[{\"InstanceId\":\"i-1\",\"RegionId\":\"eu-west-1\",\"Status\":\"Stopped\"},"
      "{\"InstanceId\":\"i-2\",\"RegionId\":\"eu-west-1\",\"Status\":\"Running\"}]}");
  http_resp r;
  v1(s, &r, "Action", "DescribeInstanceStatus", "RegionId", "eu-west-1", "InstanceId.1", "i-2", NULL);
  CHECK_INT(ecs_json_num(r.json, "TotalCount", -1), 1);
  CHECK(strstr(ecs_buf_cstr(&r.body), "{\"InstanceId\":\"i-2\",\"Status\":\"Running\"}") != NULL);
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstanceStatus", "RegionId", "eu-west-1", "PageSize", "51", NULL);
  CHECK_STR(resp_code(&r), "InvalidParameter");
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeRegions", NULL);
  CHECK(strstr(ecs_buf_cstr(&r.body), "{\"RegionId\":\"eu-west-1\",\"RegionEndpoint\":\"ecs.eu-west-1.aliyuncs.com\"") != NULL);
  CHECK(strstr(ecs_buf_cstr(&r.body), "\"RegionId\":\"cn-hangzhou\"") != NULL);
  http_resp_free(&r);
  v1(s, &r, "Action", "StartInstance", "InstanceId", "i-1", NULL);
  CHECK_INT(r.status, 404);
  CHECK_STR(resp_code(&r), "InvalidApi.NotFound");
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeRegions", "Version", "2016-03-14", NULL);
  CHECK_INT(r.status, 400);
  CHECK_STR(resp_code(&r), "InvalidParameter");
  CHECK_STR(resp_str(&r, "Message"), "The specified parameter Action or Version is not valid.");
  http_resp_free(&r);
  ecs_sim_stop(s);
}

/* ---- load and faults ---- */

static void throttling_answers_with_retry_after(void) {
  ecs_sim *s = sim_up("{\"throttle\":{\"DescribeRegions\":{\"limit\":3,\"window_s\":60},"
                      "\"DescribeInstances\":{\"limit\":1,\"window_s\":60,\"status\":429}},"
                      "\"instances\":[]}");
  http_resp r;
  const char *ra;
  int i;
  long ms;
  for (i = 0; i < 3; i++) {
    v1(s, &r, "Action", "DescribeRegions", "RegionId", "cn-hangzhou", NULL);
    CHECK_INT(r.status, 200);
    http_resp_free(&r);
  }
  v1(s, &r, "Action", "DescribeRegions", "RegionId", "cn-hangzhou", NULL);
  CHECK_INT(r.status, 400);
  CHECK_STR(resp_code(&r), "Throttling.User");
  CHECK_STR(resp_str(&r, "Message"), "Request was denied due to user flow control.");
  ra = ecs_params_get(&r.headers, "x-acs-retry-after");
  CHECK(ra != NULL);
  ms = ra ? atol(ra) : -1;
  CHECK(ms > 0 && ms <= 60000);
  http_resp_free(&r);
  /* another region is another bucket */
  v1(s, &r, "Action", "DescribeRegions", "RegionId", "cn-shanghai", NULL);
  CHECK_INT(r.status, 200);
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", NULL);
  CHECK_INT(r.status, 200);
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", NULL);
  CHECK_INT(r.status, 429);
  http_resp_free(&r);
  /* the next window is open again */
  ecs_sim_set_clock_offset(s, 61000);
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", "Timestamp", "-", NULL);
  CHECK_STR(resp_code(&r), "MissingParameter");
  http_resp_free(&r);
  ecs_sim_stop(s);
}

/* throttle.*.retry_after: false answers like a service that does not say
 * when to come back (the client must find the next window itself); a value
 * that is not a boolean is refused, naming the field. */
static void throttling_without_retry_after_when_told(void) {
  ecs_sim *s = sim_up("{\"throttle\":{\"DescribeRegions\":{\"limit\":1,\"window_s\":60,"
                      "\"retry_after\":false}},\"instances\":[]}");
  http_resp r;
  char err[256];
  const char *bad = "{\"throttle\":{\"DescribeRegions\":{\"limit\":1,\"retry_after\":\"no\"}}}";
  v1(s, &r, "Action", "DescribeRegions", "RegionId", "cn-hangzhou", NULL);
  CHECK_INT(r.status, 200);
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeRegions", "RegionId", "cn-hangzhou", NULL);
  CHECK_INT(r.status, 400);
  CHECK_STR(resp_code(&r), "Throttling.User");
  CHECK(ecs_params_get(&r.headers, "x-acs-retry-after") == NULL);
  http_resp_free(&r);
  ecs_sim_stop(s);
  CHECK_INT(ecs_sim_check_fleet(bad, strlen(bad), err, sizeof err), -1);
  CHECK_STR(err, "fleet: throttle.DescribeRegions.retry_after: must be true or false");
}

/* A V1 DescribeRegions carrying the headers h[0], h[1] ("name: value", or
 * NULL). */
static void v1_with_headers(ecs_sim *s, const char *const h[2], http_resp *out) {
  ecs_params p;
  ecs_buf q, url;
  struct curl_slist *hl = curl_slist_append(NULL, "Content-Type:");
  ecs_params_init(&p);
  ecs_buf_init(&q);
  ecs_buf_init(&url);
  ecs_params_add(&p, "Action", "DescribeRegions");
  ecs_params_add(&p, "RegionId", "cn-hangzhou");
  v1_sign("GET", &p, ecs_sim_access_key_id(s), ecs_sim_access_key_secret(s), &q);
  if (h[0]) hl = curl_slist_append(hl, h[0]);
  if (h[1]) hl = curl_slist_append(hl, h[1]);
  ecs_buf_addf(&url, "%s/?%s", ecs_sim_url(s), ecs_buf_cstr(&q));
  http_do(NULL, "GET", ecs_buf_cstr(&url), hl, NULL, 0, out);
  curl_slist_free_all(hl);
  ecs_params_free(&p);
  ecs_buf_free(&q);
  ecs_buf_free(&url);
}

/* The request log shows each request's x-acs-retry-attempts and
 * x-acs-retry-delay (absent on a first attempt; a value that is not a number
 * is not recorded). */
static void request_log_records_retry_attempts(void) {
  ecs_sim *s = sim_up("{\"instances\":[]}");
  static const char *const hs[][2] = {
      {NULL, NULL},
      {"x-acs-retry-attempts: 2", "x-acs-retry-delay: 250"},
      {"x-acs-retry-attempts: two", "x-acs-retry-delay: -5"},
      {"x-acs-retry-attempts: 99999999999", NULL}};
  http_resp r;
  cJSON *log, *e;
  int n = 0;
  size_t i;
  for (i = 0; i < sizeof hs / sizeof hs[0]; i++) {
    v1_with_headers(s, hs[i], &r);
    CHECK_INT(r.status, 200);
    http_resp_free(&r);
  }
  log = sim_get(s, "/_sim/requests");
  CHECK_INT(cJSON_GetArraySize(log), 4);
  cJSON_ArrayForEach(e, log) {
    cJSON *ra = cJSON_GetObjectItemCaseSensitive(e, "retry_attempts");
    cJSON *rd = cJSON_GetObjectItemCaseSensitive(e, "retry_delay_ms");
    if (n == 1) CHECK(cJSON_IsNumber(ra) && ra->valuedouble == 2 && cJSON_IsNumber(rd) && rd->valuedouble == 250);
    else CHECK(ra == NULL && rd == NULL);
    n++;
  }
  cJSON_Delete(log);
  ecs_sim_stop(s);
}

static void faults_error_n_times_then_success(void) {
  ecs_sim *s = sim_up(
      "{\"instances\":[{\"InstanceId\":\"i-1\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\",\"LockReasons\":[\"financial\"]},"
      "{\"InstanceId\":\"i-2\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Running\"}],"
      "\"faults\":[{\"action\":\"ReActivateInstances\",\"instance_id\":\"i-1\",\"error\":\"InternalError\",\"times\":2},"
      "{\"action\":\"DescribeRegions\",\"error\":\"ServiceUnavailable\",\"times\":-1},"
      "{\"action\":\"DescribeInstances\",\"error\":\"Throttling.User\",\"status\":429}]}");
  http_resp r;
  char st[32];
  int i;
  cJSON *log, *e;
  /* the instance's own error wins over the fault (faults come last) */
  v1(s, &r, "Action", "ReActivateInstances", "InstanceId", "i-2", NULL);
  CHECK_STR(resp_code(&r), "IncorrectInstanceStatus");
  http_resp_free(&r);
  for (i = 0; i < 2; i++) {
    v1(s, &r, "Action", "ReActivateInstances", "InstanceId", "i-1", NULL);
    CHECK_INT(r.status, 500);
    CHECK_STR(resp_code(&r), "InternalError");
    http_resp_free(&r);
    CHECK_STR(state_status(s, "i-1", st, sizeof st), "Stopped");
  }
  v1(s, &r, "Action", "ReActivateInstances", "InstanceId", "i-1", NULL);
  CHECK_INT(r.status, 200);
  http_resp_free(&r);
  CHECK_STR(state_status(s, "i-1", st, sizeof st), "Starting");
  for (i = 0; i < 3; i++) {
    v1(s, &r, "Action", "DescribeRegions", NULL);
    CHECK_INT(r.status, 503);
    CHECK_STR(resp_code(&r), "ServiceUnavailable");
    http_resp_free(&r);
  }
  v1(s, &r, "Action", "DescribeInstances", "RegionId", "cn-hangzhou", NULL);
  CHECK_INT(r.status, 429);
  CHECK(ecs_params_get(&r.headers, "x-acs-retry-after") != NULL);
  http_resp_free(&r);
  log = sim_get(s, "/_sim/requests");
  CHECK_INT(cJSON_GetArraySize(log), 8);
  e = cJSON_GetArrayItem(log, 1);
  CHECK_STR(ecs_json_str(e, "code"), "InternalError");
  CHECK_STR(ecs_json_str(e, "instance_id"), "i-1");
  CHECK_STR(ecs_json_str(e, "action"), "ReActivateInstances");
  CHECK_STR(ecs_json_str(e, "access_key_id"), "sim-ak");
  CHECK_INT(ecs_json_num(e, "status", 0), 500);
  CHECK_INT(ecs_json_num(e, "seq", 0), 2);
  CHECK_STR(ecs_json_str(cJSON_GetArrayItem(log, 3), "code"), "OK");
  cJSON_Delete(log);
  ecs_sim_stop(s);
}

static void fault_reset_closes_without_answer(void) {
  ecs_sim *s = sim_up(
      "{\"instances\":[{\"InstanceId\":\"i-3\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\",\"LockReasons\":[\"financial\"]}],"
      "\"faults\":[{\"action\":\"ReActivateInstances\",\"instance_id\":\"i-3\",\"transport\":\"reset\"}]}");
  http_resp r;
  char st[32];
  cJSON *log;
  v1(s, &r, "Action", "ReActivateInstances", "InstanceId", "i-3", NULL);
  CHECK(r.rc != CURLE_OK);
  CHECK_INT(r.status, 0);
  CHECK_INT(r.body.len, 0);
  http_resp_free(&r);
  CHECK_STR(state_status(s, "i-3", st, sizeof st), "Stopped"); /* never reached the service */
  log = sim_get(s, "/_sim/requests");
  CHECK_STR(ecs_json_str(cJSON_GetArrayItem(log, 0), "code"), "reset");
  cJSON_Delete(log);
  v1(s, &r, "Action", "ReActivateInstances", "InstanceId", "i-3", NULL);
  CHECK_INT(r.status, 200);
  http_resp_free(&r);
  ecs_sim_stop(s);
}

static void fault_apply_changes_state_before_reset(void) {
  ecs_sim *s = sim_up(
      "{\"instances\":[{\"InstanceId\":\"i-3\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\",\"LockReasons\":[\"financial\"]},"
      "{\"InstanceId\":\"i-4\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\",\"LockReasons\":[\"financial\"]}],"
      "\"faults\":[{\"action\":\"ReActivateInstances\",\"instance_id\":\"i-3\",\"reset\":true,\"apply\":true},"
      "{\"action\":\"ReActivateInstances\",\"instance_id\":\"i-4\",\"error\":\"InternalError\",\"apply\":true}]}");
  http_resp r;
  char st[32];
  v1(s, &r, "Action", "ReActivateInstances", "InstanceId", "i-3", NULL);
  CHECK(r.rc != CURLE_OK);
  CHECK_INT(r.status, 0);
  http_resp_free(&r);
  CHECK_STR(state_status(s, "i-3", st, sizeof st), "Starting"); /* the answer was lost, not the change */
  v1(s, &r, "Action", "ReActivateInstances", "InstanceId", "i-3", NULL);
  CHECK_STR(resp_code(&r), "IncorrectInstanceStatus"); /* a blind retry shows the ambiguity */
  http_resp_free(&r);
  v1(s, &r, "Action", "ReActivateInstances", "InstanceId", "i-4", NULL);
  CHECK_INT(r.status, 500);
  http_resp_free(&r);
  CHECK_STR(state_status(s, "i-4", st, sizeof st), "Starting");
  ecs_sim_stop(s);
}

static void fault_malformed_and_html503(void) {
  ecs_sim *s = sim_up(
      "{\"faults\":[{\"action\":\"DescribeRegions\",\"transport\":\"malformed\"},"
      "{\"action\":\"DescribeRegions\",\"html503\":true}]}");
  http_resp r;
  v1(s, &r, "Action", "DescribeRegions", NULL);
  CHECK_INT(r.status, 200);
  CHECK(r.json == NULL);
  CHECK(strncmp(ecs_buf_cstr(&r.body), "{\"RequestId\": \"", 15) == 0);
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeRegions", NULL);
  CHECK_INT(r.status, 503);
  CHECK(strstr(ecs_params_get(&r.headers, "content-type"), "text/html") != NULL);
  CHECK(strstr(ecs_buf_cstr(&r.body), "<html>") != NULL);
  http_resp_free(&r);
  v1(s, &r, "Action", "DescribeRegions", NULL);
  CHECK_INT(r.status, 200);
  http_resp_free(&r);
  ecs_sim_stop(s);
}

static void sim_state_has_no_secrets(void) {
  ecs_sim *s = sim_up(
      "{\"accounts\":[{\"access_key_id\":\"ak1\",\"access_key_secret\":\"SuperSecret1\"},"
      "{\"access_key_id\":\"STS.x\",\"access_key_secret\":\"SuperSecret2\",\"security_token\":\"TokenValue9\"}],"
      "\"instances\":[{\"InstanceId\":\"i-1\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\"}]}");
  http_resp r;
  char url[128];
  ecs_params p;
  ecs_params_init(&p);
  ecs_params_add(&p, "Action", "DescribeRegions");
  ecs_params_add(&p, "SecurityToken", "TokenValue9");
  v1_call(s, "GET", 0, &p, "STS.x", "wrong", &r); /* a signature error echoes the string to sign */
  CHECK_STR(resp_code(&r), "SignatureDoesNotMatch");
  http_resp_free(&r);
  ecs_params_free(&p);
  snprintf(url, sizeof url, "%s/_sim/state", ecs_sim_url(s));
  http_do(NULL, "GET", url, NULL, NULL, 0, &r);
  CHECK_INT(r.status, 200);
  CHECK(strstr(r.body.data, "SuperSecret") == NULL);
  CHECK(strstr(r.body.data, "TokenValue") == NULL);
  CHECK(strstr(r.body.data, "\"balance\":1000") != NULL);
  http_resp_free(&r);
  snprintf(url, sizeof url, "%s/_sim/requests", ecs_sim_url(s));
  http_do(NULL, "GET", url, NULL, NULL, 0, &r);
  CHECK(strstr(ecs_buf_cstr(&r.body), "SuperSecret") == NULL);
  CHECK(strstr(ecs_buf_cstr(&r.body), "TokenValue") == NULL);
  http_resp_free(&r);
  ecs_sim_stop(s);
}

static void bad_fleets_name_the_field(void) {
  struct { const char *fleet, *msg; } rows[] = {
      {"{\"instances\":[{\"InstanceId\":\"a\",\"RegionId\":\"r\",\"Status\":\"Stopped\"},"
       "{\"InstanceId\":\"b\",\"RegionId\":\"r\",\"Status\":\"Running\"},"
       "{\"InstanceId\":\"c\",\"RegionId\":\"r\",\"Status\":\"Expired\"}]}",
       "fleet: instances[2].Status: must be one of Pending, Running, Starting, Stopping, Stopped"},
      {"{\"instance\":[]}", "fleet: instance: unknown field"},
      {"{\"instances\":[{\"InstanceId\":\"a\",\"RegionId\":\"r\",\"Status\":\"Stopped\"},"
       "{\"InstanceId\":\"a\",\"RegionId\":\"r\",\"Status\":\"Stopped\"}]}",
       "fleet: instances[1].InstanceId: duplicate InstanceId a (also instances[0])"},
      {"{\"instances\":[{\"InstanceId\":\"a\",\"RegionId\":\"r\",\"Status\":\"Stopped\",\"LockReason\":[\"financial\"]}]}",
       "fleet: instances[0].LockReason: unknown field"},
      {"{\"instances\":[{\"InstanceId\":\"a\",\"RegionId\":\"r\",\"Status\":\"Stopped\",\"LockReasons\":[\"overdue\"]}]}",
       "fleet: instances[0].LockReasons[0]: must be one of financial, security, Recycling, dedicatedhostfinancial, refunded"},
      {"{\"instances\":[{\"InstanceId\":\"a\",\"RegionId\":\"r\",\"Status\":\"Stopped\",\"InstanceChargeType\":\"Prepaid\"}]}",
       "fleet: instances[0].InstanceChargeType: must be one of PostPaid, PrePaid"},
      {"{\"instances\":[{\"InstanceId\":\"a\",\"RegionId\":\"r\",\"Status\":\"Stopped\",\"account\":\"nobody\"}]}",
       "fleet: instances[0].account: no account has access_key_id nobody"},
      {"{\"accounts\":[{\"access_key_id\":\"a\"}]}", "fleet: accounts[0]: access_key_secret is required"},
      {"{\"accounts\":[{\"access_key_id\":\"a\",\"access_key_secret\":\"s\",\"balance\":\"lots\"}]}",
       "fleet: accounts[0].balance: must be a number"},
      {"{\"throttle\":{\"ReActivateInstance\":{\"limit\":1}}}",
       "fleet: throttle.ReActivateInstance: unknown action (the simulator has ReActivateInstances, "
       "DescribeInstances, DescribeInstanceStatus, DescribeRegions, QueryAccountBalance)"},
      {"{\"accounts\":[{\"access_key_id\":\"a\",\"access_key_secret\":\"s\"},"
       "{\"access_key_id\":\"b\",\"access_key_secret\":\"s\",\"keys\":[{\"access_key_id\":\"a\","
       "\"access_key_secret\":\"t\"}]}]}",
       "fleet: accounts[1].keys[0]: duplicate access key a"},
      {"{\"accounts\":[{\"access_key_id\":\"a\",\"access_key_secret\":\"s\",\"keys\":[{\"access_key_id\":\"a2\","
       "\"access_key_secret\":\"t\"}]},{\"access_key_id\":\"a2\",\"access_key_secret\":\"s\"}]}",
       "fleet: accounts[1].access_key_id: duplicate access key a2"},
      {"{\"accounts\":[{\"access_key_id\":\"a\",\"access_key_secret\":\"s\",\"keys\":[{\"access_key_id\":\"a2\"}]}]}",
       "fleet: accounts[0].keys[0]: access_key_id and access_key_secret are required"},
      {"{\"accounts\":[{\"access_key_id\":\"a\",\"access_key_secret\":\"s\",\"keys\":{}}]}",
       "fleet: accounts[0]: keys must be an array"},
      {"{\"accounts\":[{\"access_key_id\":\"a\",\"access_key_secret\":\"s\",\"currency\":\"yuan\"}]}",
       "fleet: accounts[0].currency: must be a currency code like CNY or USD"},
      /* a field read after balance_error's default was copied (the copy was
       * leaked: found by fuzz_fleet; LeakSanitizer fails the ASan suite) */
      {"{\"accounts\":[{\"access_key_id\":\"a\",\"access_key_secret\":\"s\",\"currency\":500}]}",
       "fleet: accounts[0].currency: must be a string"},
      {"{\"throttle\":{\"DescribeRegions\":{\"window_s\":0,\"limit\":1}}}",
       "fleet: throttle.DescribeRegions.window_s: must be between 1 and 86400"},
      {"{\"faults\":[{\"action\":\"DescribeRegions\"}]}",
       "fleet: faults[0]: needs exactly one of error, transport, reset, hang, malformed, html503"},
      {"{\"faults\":[{\"action\":\"DescribeRegions\",\"transport\":\"explode\"}]}",
       "fleet: faults[0].transport: must be one of reset, hang, malformed, html503"},
      {"{\"latency_ms\":-5}", "fleet: latency_ms: must be between 0 and 3600000"},
      {"[1,2]", "fleet: (top level): must be a JSON object"},
      {"{\"instances\":[", NULL},
  };
  char err[512];
  size_t i;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    CHECK_INT(ecs_sim_check_fleet(rows[i].fleet, strlen(rows[i].fleet), err, sizeof err), -1);
    if (rows[i].msg) CHECK_STR(err, rows[i].msg);
    else CHECK(strncmp(err, "fleet: (top level): not valid JSON", 34) == 0);
  }
  CHECK_INT(ecs_sim_check_fleet(FLEET_BASIC, strlen(FLEET_BASIC), err, sizeof err), 0);
  CHECK_INT(ecs_sim_check_fleet("{}", 2, err, sizeof err), 0);
  CHECK(ecs_sim_start("{\"bogus\":1}", 11, NULL, err, sizeof err) == NULL);
  CHECK_STR(err, "fleet: bogus: unknown field");
}

/* A key twice in one object is refused wherever it is (cJSON would keep
 * both and every lookup would see only the first: a typo'd or repeated
 * field silently ignored). */
static void duplicate_keys_are_refused_at_any_depth(void) {
  struct { const char *fleet, *msg; } rows[] = {
      {"{\"latency_ms\":5,\"latency_ms\":0}", "fleet: latency_ms: duplicate key (each key may appear once)"},
      {"{\"instances\":[{\"InstanceId\":\"a\",\"RegionId\":\"r\",\"Status\":\"Stopped\","
       "\"Status\":\"Running\"}]}",
       "fleet: instances[0].Status: duplicate key (each key may appear once)"},
      {"{\"instances\":[{\"InstanceId\":\"a\",\"RegionId\":\"r\",\"Status\":\"Stopped\"},"
       "{\"InstanceId\":\"b\",\"RegionId\":\"r\",\"Status\":\"Stopped\",\"Tags\":{\"env\":\"a\",\"env\":\"b\"}}]}",
       "fleet: instances[1].Tags.env: duplicate key (each key may appear once)"},
      {"{\"throttle\":{\"DescribeRegions\":{\"limit\":1,\"window_s\":1,\"limit\":9}}}",
       "fleet: throttle.DescribeRegions.limit: duplicate key (each key may appear once)"},
      /* even under a field that would be refused anyway: the duplicate is named first */
      {"{\"bogus\":{\"x\":[{\"k\":1,\"k\":2}]}}", "fleet: bogus.x[0].k: duplicate key (each key may appear once)"},
  };
  char err[512];
  size_t i;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    CHECK_INT(ecs_sim_check_fleet(rows[i].fleet, strlen(rows[i].fleet), err, sizeof err), -1);
    CHECK_STR(err, rows[i].msg);
  }
  /* the same key in different objects is fine */
  {
    const char *ok = "{\"instances\":[{\"InstanceId\":\"a\",\"RegionId\":\"r\",\"Status\":\"Stopped\"},"
                     "{\"InstanceId\":\"b\",\"RegionId\":\"r\",\"Status\":\"Stopped\"}]}";
    CHECK_INT(ecs_sim_check_fleet(ok, strlen(ok), err, sizeof err), 0);
  }
}

/* Fleets over ECS_SIM_FLEET_MAX_BYTES are refused before parsing; the file
 * reader stops at the cap (a fleet of /dev/zero does not eat the memory). */
static void fleets_over_the_size_cap_are_refused(void) {
  size_t n = ECS_SIM_FLEET_MAX_BYTES + 1;
  char *big = malloc(n + 1), err[512];
  CHECK(big != NULL);
  memset(big, ' ', n);
  big[0] = '{';
  big[n - 1] = '}';
  big[n] = '\0';
  CHECK_INT(ecs_sim_check_fleet(big, n, err, sizeof err), -1);
  CHECK_STR(err, "fleet: (top level): larger than 64 MiB (67108865 bytes)");
  CHECK_INT(ecs_sim_check_fleet(big + 1, n - 2, err, sizeof err), -1); /* "   ...}" just under: parsed */
  CHECK(strstr(err, "larger than") == NULL);
  free(big);
  CHECK(ecs_sim_start_file("/dev/zero", NULL, err, sizeof err) == NULL);
  CHECK_STR(err, "/dev/zero: (top level): larger than 64 MiB");
}

typedef struct hang_arg {
  ecs_sim *s;
  http_resp r;
} hang_arg;

static void *hang_client(void *p) {
  hang_arg *a = p;
  v1(a->s, &a->r, "Action", "DescribeRegions", NULL);
  return NULL;
}

static void stop_is_prompt_with_hung_connection(void) {
  ecs_sim *s = sim_up("{\"faults\":[{\"action\":\"DescribeRegions\",\"hang\":true,\"times\":-1}]}");
  hang_arg a[3];
  pthread_t t[3];
  double t0, took;
  int i;
  CURL *idle = curl_easy_init();
  char url[128];
  http_resp ir;
  memset(a, 0, sizeof a);
  /* an idle keep-alive connection stays open across the stop */
  snprintf(url, sizeof url, "%s/_sim/state", ecs_sim_url(s));
  http_do(idle, "GET", url, NULL, NULL, 0, &ir);
  CHECK_INT(ir.status, 200);
  http_resp_free(&ir);
  for (i = 0; i < 3; i++) {
    a[i].s = s;
    CHECK(pthread_create(&t[i], NULL, hang_client, &a[i]) == 0);
  }
  sleep_ms(300);
  {
    cJSON *log = sim_get(s, "/_sim/requests"); /* other connections still served */
    CHECK_INT(cJSON_GetArraySize(log), 3);
    cJSON_Delete(log);
  }
  t0 = now_s();
  ecs_sim_stop(s);
  took = now_s() - t0;
  printf("stop took %.3f s with 3 hung connections and 1 idle keep-alive\n", took);
  curl_easy_cleanup(idle);
  CHECK(took < 1.0);
  for (i = 0; i < 3; i++) {
    pthread_join(t[i], NULL);
    CHECK_INT(a[i].r.status, 0);
    http_resp_free(&a[i].r);
  }
}

typedef struct lat_arg {
  ecs_sim *s;
  long status;
} lat_arg;

static void *lat_client(void *p) {
  lat_arg *a = p;
  http_resp r;
  v1(a->s, &r, "Action", "DescribeRegions", NULL);
  a->status = r.status;
  http_resp_free(&r);
  return NULL;
}

static void latency_does_not_block_other_connections(void) {
  ecs_sim *s = sim_up("{\"latency_ms\":300}");
  lat_arg a[8];
  pthread_t t[8];
  double t0 = now_s(), took;
  int i;
  for (i = 0; i < 8; i++) {
    a[i].s = s;
    a[i].status = 0;
    CHECK(pthread_create(&t[i], NULL, lat_client, &a[i]) == 0);
  }
  for (i = 0; i < 8; i++) {
    pthread_join(t[i], NULL);
    CHECK_INT(a[i].status, 200);
  }
  took = now_s() - t0;
  printf("8 parallel requests with 300 ms latency took %.3f s\n", took);
  CHECK(took >= 0.3 && took < 2.0); /* serialised would be 2.4 s */
  ecs_sim_stop(s);
}

/* ---- throughput (a figure, not an assertion on speed) ---- */

typedef struct tp_arg {
  ecs_sim *s;
  int n, ok;
} tp_arg;

static void *tp_client(void *p) {
  tp_arg *a = p;
  CURL *c = curl_easy_init();
  ecs_buf url;
  int i;
  ecs_buf_init(&url);
  for (i = 0; c && i < a->n; i++) {
    ecs_params q;
    ecs_buf qs;
    http_resp r;
    ecs_params_init(&q);
    ecs_buf_init(&qs);
    ecs_params_add(&q, "Action", "ReActivateInstances");
    ecs_params_add(&q, "InstanceId", "i-1");
    v1_sign("GET", &q, "sim-ak", "sim-secret", &qs);
    ecs_buf_reset(&url);
    ecs_buf_addf(&url, "%s/?%s", ecs_sim_url(a->s), qs.data);
    http_do(c, "GET", url.data, NULL, NULL, 0, &r);
    if (r.status == 200 || r.status == 403) a->ok++;
    http_resp_free(&r);
    ecs_buf_free(&qs);
    ecs_params_free(&q);
  }
  ecs_buf_free(&url);
  if (c) curl_easy_cleanup(c);
  return NULL;
}

static void throughput_over_keep_alive_is_reported(void) {
  ecs_sim *s = sim_up(FLEET_BASIC);
  tp_arg a[8];
  pthread_t t[8];
  double t0 = now_s(), took;
  int i, ok = 0;
  for (i = 0; i < 8; i++) {
    a[i].s = s;
    a[i].n = 625;
    a[i].ok = 0;
    CHECK(pthread_create(&t[i], NULL, tp_client, &a[i]) == 0);
  }
  for (i = 0; i < 8; i++) {
    pthread_join(t[i], NULL);
    ok += a[i].ok;
  }
  took = now_s() - t0;
  printf("throughput: %d signed requests over keep-alive from 8 threads in %.2f s = %.0f req/s\n",
         ok, took, ok / took);
  CHECK_INT(ok, 5000);
  ecs_sim_stop(s);
}

static const ecs_test_case cases[] = {
    {"v1_get_query_is_accepted", v1_get_query_is_accepted},
    {"v1_post_form_body_is_accepted", v1_post_form_body_is_accepted},
    {"v3_post_is_accepted", v3_post_is_accepted},
    {"sdk_wire_capture_v3_is_accepted", sdk_wire_capture_v3_is_accepted},
    {"tampered_signature_is_rejected", tampered_signature_is_rejected},
    {"replayed_nonce_is_rejected", replayed_nonce_is_rejected},
    {"stale_timestamp_is_rejected", stale_timestamp_is_rejected},
    {"unknown_key_is_rejected", unknown_key_is_rejected},
    {"sts_token_rules", sts_token_rules},
    {"reactivate_errors_have_documented_codes", reactivate_errors_have_documented_codes},
    {"reactivate_moves_stopped_to_starting_then_running", reactivate_moves_stopped_to_starting_then_running},
    {"describe_instances_filters_and_pages", describe_instances_filters_and_pages},
    {"describe_instance_status_and_regions_answer", describe_instance_status_and_regions_answer},
    {"throttling_answers_with_retry_after", throttling_answers_with_retry_after},
    {"throttling_without_retry_after_when_told", throttling_without_retry_after_when_told},
    {"request_log_records_retry_attempts", request_log_records_retry_attempts},
    {"faults_error_n_times_then_success", faults_error_n_times_then_success},
    {"fault_reset_closes_without_answer", fault_reset_closes_without_answer},
    {"fault_apply_changes_state_before_reset", fault_apply_changes_state_before_reset},
    {"fault_malformed_and_html503", fault_malformed_and_html503},
    {"sim_state_has_no_secrets", sim_state_has_no_secrets},
    {"bad_fleets_name_the_field", bad_fleets_name_the_field},
    {"duplicate_keys_are_refused_at_any_depth", duplicate_keys_are_refused_at_any_depth},
    {"fleets_over_the_size_cap_are_refused", fleets_over_the_size_cap_are_refused},
    {"stop_is_prompt_with_hung_connection", stop_is_prompt_with_hung_connection},
    {"latency_does_not_block_other_connections", latency_does_not_block_other_connections},
    {"throughput_over_keep_alive_is_reported", throughput_over_keep_alive_is_reported},
    {NULL, NULL}};

int main(int argc, char **argv) {
  int rc;
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) return 1;
  rc = ecs_test_main(argc, argv, cases);
  curl_global_cleanup();
  return rc;
}
