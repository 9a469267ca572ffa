/* test_sign.c - V1 and V3 signers against the vectors the official SDK
 * computed, the SDK's captured wire requests, and the crypto helpers.
 */
#include <cjson/cJSON.h>
#include <mbedtls/base64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "sign.h"
#include "testlib.h"

/* Parses a vectors file; NULL (and a failure) when missing or malformed. */
static cJSON *load_json(const char *name) {
  size_t n = 0;
  char *text = ecs_test_read_file(ecs_test_vector_path(name), &n);
  cJSON *root;
  if (!text) {
    ecs_test_fail(__FILE__, __LINE__, "cannot read %s", ecs_test_vector_path(name));
    return NULL;
  }
  root = cJSON_ParseWithLength(text, n);
  free(text);
  if (!root) ecs_test_fail(__FILE__, __LINE__, "cannot parse %s", name);
  return root;
}

/* String member of obj, or NULL. */
static const char *jstr(const cJSON *obj, const char *key) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

/* Compares one output field of one vector; prints the id and field name. */
static int field_eq(const char *id, const char *field, const char *got, const char *want) {
  if (got && want && strcmp(got, want) == 0) return 1;
  ecs_test_fail(__FILE__, __LINE__, "vector %s: field %s differs\n  got:      %s\n  expected: %s",
                id ? id : "?", field, got ? got : "(null)", want ? want : "(null)");
  return 0;
}

/* Copies a JSON object of strings into p (in file order). 0, or -1 when a
 * value is not a string. */
static int params_from_object(ecs_params *p, const cJSON *obj) {
  const cJSON *it;
  cJSON_ArrayForEach(it, obj) {
    if (!cJSON_IsString(it) || ecs_params_add(p, it->string, it->valuestring) < 0) return -1;
  }
  return 0;
}

/* Checks one V1 vector field by field. Returns 1 when every field matched. */
static int check_v1_vector(const cJSON *v) {
  const char *id = jstr(v, "id"), *method = jstr(v, "method");
  const char *secret = jstr(v, "access_key_secret"), *endpoint = jstr(v, "endpoint");
  const cJSON *exp = cJSON_GetObjectItemCaseSensitive(v, "expected");
  const cJSON *keys = cJSON_GetObjectItemCaseSensitive(exp, "sorted_keys"), *k;
  ecs_params params, sorted;
  ecs_sign_v1_out out;
  ecs_buf tmp;
  int ok = 1;
  size_t i = 0;

  ecs_params_init(&params);
  ecs_buf_init(&tmp);
  if (!id || !method || !secret || !exp ||
      params_from_object(&params, cJSON_GetObjectItemCaseSensitive(v, "params")) < 0) {
    ecs_test_fail(__FILE__, __LINE__, "vector %s: malformed", id ? id : "?");
    ecs_params_free(&params);
    return 0;
  }
  /* signing order: raw names, byte order */
  CHECK(ecs_params_copy(&sorted, &params) == 0);
  ecs_params_sort(&sorted);
  CHECK_INT(cJSON_GetArraySize(keys), sorted.n);
  cJSON_ArrayForEach(k, keys) {
    if (i >= sorted.n || !field_eq(id, "sorted_keys", sorted.v[i].name, k->valuestring)) ok = 0;
    i++;
  }
  ecs_params_free(&sorted);

  CHECK(ecs_buf_addf(&tmp, "%s&", secret) == 0);
  ok &= field_eq(id, "hmac_key", ecs_buf_cstr(&tmp), jstr(exp, "hmac_key"));

  memset(&out, 0, sizeof out);
  if (ecs_sign_v1(method, &params, secret, &out) != 0) {
    ecs_test_fail(__FILE__, __LINE__, "vector %s: ecs_sign_v1 failed", id);
    ok = 0;
  } else {
    ok &= field_eq(id, "canonicalized_query", ecs_buf_cstr(&out.canonicalized_query),
                   jstr(exp, "canonicalized_query"));
    ok &= field_eq(id, "string_to_sign", ecs_buf_cstr(&out.string_to_sign),
                   jstr(exp, "string_to_sign"));
    ok &= field_eq(id, "signature", out.signature, jstr(exp, "signature"));
    ecs_buf_reset(&tmp);
    CHECK(ecs_encode_pct(&tmp, out.signature, strlen(out.signature)) == 0);
    ok &= field_eq(id, "signature_url_encoded", ecs_buf_cstr(&tmp),
                   jstr(exp, "signature_url_encoded"));
    ok &= field_eq(id, "final_query", ecs_buf_cstr(&out.final_query), jstr(exp, "final_query"));
    ecs_buf_reset(&tmp);
    if (strcmp(method, "POST") == 0) {
      /* pop-core POSTs the final query as a form body to "/" */
      ok &= field_eq(id, "request_body", ecs_buf_cstr(&out.final_query),
                     jstr(exp, "request_body"));
      ok &= field_eq(id, "request_content_type", "application/x-www-form-urlencoded",
                     jstr(exp, "request_content_type"));
      CHECK(ecs_buf_addf(&tmp, "%s/", endpoint ? endpoint : "") == 0);
    } else {
      if (!cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(exp, "request_body"))) {
        ecs_test_fail(__FILE__, __LINE__, "vector %s: GET with a request_body", id);
        ok = 0;
      }
      CHECK(ecs_buf_addf(&tmp, "%s/?%s", endpoint ? endpoint : "",
                         ecs_buf_cstr(&out.final_query)) == 0);
    }
    ok &= field_eq(id, "request_url", ecs_buf_cstr(&tmp), jstr(exp, "request_url"));
    ecs_sign_v1_out_free(&out);
  }
  ecs_buf_free(&tmp);
  ecs_params_free(&params);
  return ok;
}

static void sign_v1_matches_official_vectors(void) {
  cJSON *root = load_json("signature-v1.json");
  const cJSON *vectors = cJSON_GetObjectItemCaseSensitive(root, "vectors"), *v;
  int checked = 0, passed = 0;
  cJSON_ArrayForEach(v, vectors) {
    checked++;
    passed += check_v1_vector(v);
  }
  printf("# V1: %d vectors checked, %d matched\n", checked, passed);
  CHECK(checked > 0);
  CHECK_INT(checked, cJSON_GetArraySize(vectors));
  CHECK_INT(passed, checked);
  cJSON_Delete(root);
}

/* Signs a fixed parameter set (ecs-facts §1.3) with one method. */
static void sign_fixed(const char *method, const char *const *kv, const char *want) {
  ecs_params p;
  ecs_sign_v1_out out;
  ecs_params_init(&p);
  for (; kv[0]; kv += 2) CHECK(ecs_params_add(&p, kv[0], kv[1]) == 0);
  memset(&out, 0, sizeof out);
  CHECK(ecs_sign_v1(method, &p, "testsecret", &out) == 0);
  CHECK_STR(out.signature, want);
  ecs_sign_v1_out_free(&out);
  ecs_params_free(&p);
}

/* The documented examples in the vectors file, plus the values of the facts
 * sheet (§1.3): DescribeRegions GET/POST and ReActivateInstances GET/POST. */
static void sign_v1_documented_examples_match(void) {
  static const char *const regions[] = {
      "Timestamp", "2016-02-23T12:46:24Z", "Format", "XML", "AccessKeyId", "testid",
      "Action", "DescribeRegions", "SignatureMethod", "HMAC-SHA1",
      "SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "Version", "2014-05-26",
      "SignatureVersion", "1.0", NULL};
  static const char *const reactivate[] = {
      "AccessKeyId", "testid", "Format", "JSON", "InstanceId", "i-bp67acfmxazb4p****",
      "RegionId", "cn-hangzhou", "SignatureMethod", "HMAC-SHA1",
      "SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion", "1.0",
      "Timestamp", "2016-02-23T12:46:24Z", "Version", "2014-05-26", "Action",
      "ReActivateInstances", NULL};
  cJSON *root = load_json("signature-v1.json");
  const cJSON *v;
  int documented = 0;
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "vectors")) {
    const char *doc = jstr(v, "documented_signature");
    if (!doc) continue;
    documented++;
    CHECK(check_v1_vector(v));
    field_eq(jstr(v, "id"), "documented_signature",
             jstr(cJSON_GetObjectItemCaseSensitive(v, "expected"), "signature"), doc);
  }
  CHECK_INT(documented, 2);
  cJSON_Delete(root);
  sign_fixed("GET", regions, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
  sign_fixed("POST", regions, "MxbnVAM4w6sft9xjVpe/GCKueuk=");
  sign_fixed("GET", reactivate, "bm7bof4UT401KNTajotfYOcCSTs=");
  sign_fixed("POST", reactivate, "GzsFnAyDQ9ZJ0VgJ1VDEnsTFyIA=");
}

/* A Signature already among the parameters (a verifier re-signing what it
 * received) is left out of the signed string. */
static void sign_v1_ignores_an_existing_signature_param(void) {
  ecs_params p;
  ecs_sign_v1_out a, b;
  ecs_params_init(&p);
  CHECK(ecs_params_add(&p, "Action", "DescribeRegions") == 0);
  CHECK(ecs_params_add(&p, "Timestamp", "2016-02-23T12:46:24Z") == 0);
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  CHECK(ecs_sign_v1("GET", &p, "s", &a) == 0);
  CHECK(ecs_params_add(&p, "Signature", "bogus") == 0);
  CHECK(ecs_sign_v1("GET", &p, "s", &b) == 0);
  CHECK_STR(a.signature, b.signature);
  CHECK_STR(ecs_buf_cstr(&a.final_query), ecs_buf_cstr(&b.final_query));
  CHECK_STR(ecs_params_get(&p, "Signature"), "bogus"); /* input untouched */
  CHECK_INT(p.n, 3);
  ecs_sign_v1_out_free(&a);
  ecs_sign_v1_out_free(&b);
  ecs_params_free(&p);
}

/* Signing neither changes the secret nor reorders the caller's params. */
static void sign_v1_secret_and_params_are_not_changed_by_signing(void) {
  char secret[] = "testsecret";
  ecs_params p;
  ecs_sign_v1_out out;
  ecs_params_init(&p);
  CHECK(ecs_params_add(&p, "Version", "2014-05-26") == 0);
  CHECK(ecs_params_add(&p, "Action", "ReActivateInstances") == 0);
  memset(&out, 0, sizeof out);
  CHECK(ecs_sign_v1("GET", &p, secret, &out) == 0);
  CHECK_STR(secret, "testsecret");
  CHECK_STR(p.v[0].name, "Version");
  CHECK_STR(p.v[1].name, "Action");
  CHECK_STR(ecs_buf_cstr(&out.canonicalized_query),
            "Action=ReActivateInstances&Version=2014-05-26");
  ecs_sign_v1_out_free(&out);
  CHECK_INT(out.final_query.len, 0); /* freed output is empty and reusable */
  CHECK(ecs_sign_v1("POST", &p, secret, &out) == 0);
  ecs_sign_v1_out_free(&out);
  ecs_params_free(&p);
}

/* Checks one V3 vector field by field. Returns 1 when every field matched. */
static int check_v3_vector(const cJSON *v) {
  const char *id = jstr(v, "id"), *method = jstr(v, "method");
  const cJSON *exp = cJSON_GetObjectItemCaseSensitive(v, "expected");
  const cJSON *body = cJSON_GetObjectItemCaseSensitive(v, "body"), *h;
  const char *b64 = jstr(body, "base64");
  ecs_params query, headers;
  ecs_sign_v3_out out;
  ecs_buf joined;
  unsigned char *bytes = NULL;
  size_t blen = 0;
  char hex[65];
  int ok = 1;

  ecs_params_init(&query);
  ecs_params_init(&headers);
  ecs_buf_init(&joined);
  if (!id || !method || !exp || !b64 ||
      params_from_object(&query, cJSON_GetObjectItemCaseSensitive(v, "query")) < 0 ||
      params_from_object(&headers, cJSON_GetObjectItemCaseSensitive(v, "headers")) < 0) {
    ecs_test_fail(__FILE__, __LINE__, "vector %s: malformed", id ? id : "?");
    ok = 0;
    goto out;
  }
  /* the exact body bytes */
  bytes = malloc(strlen(b64) + 1);
  CHECK(bytes != NULL);
  if (!bytes || mbedtls_base64_decode(bytes, strlen(b64) + 1, &blen, (const unsigned char *)b64,
                                      strlen(b64)) != 0) {
    ecs_test_fail(__FILE__, __LINE__, "vector %s: bad body.base64", id);
    ok = 0;
    goto out;
  }
  CHECK(ecs_sign_sha256_hex(bytes, blen, hex) == 0);
  ok &= field_eq(id, "body.sha256_hex", hex, jstr(body, "sha256_hex"));

  if (ecs_sign_v3(method, jstr(v, "pathname"), &query, &headers, blen ? bytes : NULL, blen,
                  jstr(v, "access_key_id"), jstr(v, "access_key_secret"), &out) != 0) {
    ecs_test_fail(__FILE__, __LINE__, "vector %s: ecs_sign_v3 failed", id);
    ok = 0;
    goto out;
  }
  ok &= field_eq(id, "canonical_query_string", ecs_buf_cstr(&out.canonical_query),
                 jstr(exp, "canonical_query_string"));
  ok &= field_eq(id, "canonical_headers", ecs_buf_cstr(&out.canonical_headers),
                 jstr(exp, "canonical_headers"));
  ok &= field_eq(id, "signed_headers_joined", ecs_buf_cstr(&out.signed_headers),
                 jstr(exp, "signed_headers_joined"));
  cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(exp, "signed_headers")) {
    if (joined.len) CHECK(ecs_buf_addc(&joined, ';') == 0);
    CHECK(ecs_buf_adds(&joined, h->valuestring ? h->valuestring : "") == 0);
  }
  ok &= field_eq(id, "signed_headers", ecs_buf_cstr(&out.signed_headers), ecs_buf_cstr(&joined));
  ok &= field_eq(id, "hashed_payload", out.hashed_payload, jstr(exp, "hashed_payload"));
  ok &= field_eq(id, "canonical_request", ecs_buf_cstr(&out.canonical_request),
                 jstr(exp, "canonical_request"));
  ok &= field_eq(id, "hashed_canonical_request", out.hashed_canonical_request,
                 jstr(exp, "hashed_canonical_request"));
  ok &= field_eq(id, "string_to_sign", ecs_buf_cstr(&out.string_to_sign),
                 jstr(exp, "string_to_sign"));
  ok &= field_eq(id, "signature", out.signature, jstr(exp, "signature"));
  ok &= field_eq(id, "authorization", ecs_buf_cstr(&out.authorization),
                 jstr(exp, "authorization"));
  /* canonical_uri is line 2 of the canonical request */
  {
    const char *cr = ecs_buf_cstr(&out.canonical_request), *a = strchr(cr, '\n');
    const char *b = a ? strchr(a + 1, '\n') : NULL;
    ecs_buf_reset(&joined);
    if (b) CHECK(ecs_buf_add(&joined, a + 1, (size_t)(b - a - 1)) == 0);
    ok &= field_eq(id, "canonical_uri", ecs_buf_cstr(&joined), jstr(exp, "canonical_uri"));
  }
  ecs_sign_v3_out_free(&out);
out:
  free(bytes);
  ecs_buf_free(&joined);
  ecs_params_free(&query);
  ecs_params_free(&headers);
  return ok;
}

static void sign_v3_matches_official_vectors(void) {
  cJSON *root = load_json("signature-v3.json");
  const cJSON *vectors = cJSON_GetObjectItemCaseSensitive(root, "vectors"), *v;
  int checked = 0, passed = 0;
  cJSON_ArrayForEach(v, vectors) {
    checked++;
    passed += check_v3_vector(v);
  }
  printf("# V3: %d vectors checked, %d matched\n", checked, passed);
  CHECK(checked > 0);
  CHECK_INT(checked, cJSON_GetArraySize(vectors));
  CHECK_INT(passed, checked);
  cJSON_Delete(root);
}

/* Signs ReActivateInstances as in ecs-facts §2.3 "extra vectors"; sts adds
 * the two STS headers. */
static void sign_reactivate_v3(int sts, const char *want_signed, const char *want_sig) {
  ecs_params q, h;
  ecs_sign_v3_out out;
  ecs_params_init(&q);
  ecs_params_init(&h);
  CHECK(ecs_params_add(&q, "InstanceId", "i-bp67acfmxazb4p****") == 0);
  CHECK(ecs_params_add(&q, "RegionId", "cn-hangzhou") == 0);
  CHECK(ecs_params_add(&h, "host", "ecs.cn-hangzhou.aliyuncs.com") == 0);
  CHECK(ecs_params_add(&h, "x-acs-action", "ReActivateInstances") == 0);
  CHECK(ecs_params_add(&h, "x-acs-version", "2014-05-26") == 0);
  CHECK(ecs_params_add(&h, "x-acs-date", "2023-10-26T10:22:32Z") == 0);
  CHECK(ecs_params_add(&h, "x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d") == 0);
  CHECK(ecs_params_add(&h, "x-acs-content-sha256",
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
  if (sts) {
    CHECK(ecs_params_add(&h, "x-acs-accesskey-id", "testid") == 0);
    CHECK(ecs_params_add(&h, "x-acs-security-token", "tok") == 0);
  }
  CHECK(ecs_sign_v3("POST", "/", &q, &h, NULL, 0, "testid", "testsecret", &out) == 0);
  CHECK_STR(ecs_buf_cstr(&out.signed_headers), want_signed);
  CHECK_STR(out.signature, want_sig);
  ecs_sign_v3_out_free(&out);
  ecs_params_free(&q);
  ecs_params_free(&h);
}

/* The published RunInstances example (from the vectors file) and the two
 * ReActivateInstances values of ecs-facts §2.3. */
static void sign_v3_documented_example_matches(void) {
  cJSON *root = load_json("signature-v3.json");
  const cJSON *v;
  int documented = 0;
  cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(root, "vectors")) {
    const cJSON *doc = cJSON_GetObjectItemCaseSensitive(v, "documented");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(v, "expected");
    if (!doc) continue;
    documented++;
    CHECK(check_v3_vector(v));
    field_eq(jstr(v, "id"), "documented.signature", jstr(exp, "signature"),
             jstr(doc, "signature"));
    field_eq(jstr(v, "id"), "documented.hashed_canonical_request",
             jstr(exp, "hashed_canonical_request"), jstr(doc, "hashed_canonical_request"));
  }
  CHECK_INT(documented, 1);
  cJSON_Delete(root);
  sign_reactivate_v3(0, "host;x-acs-action;x-acs-content-sha256;x-acs-date;"
                        "x-acs-signature-nonce;x-acs-version",
                     "4a594fa9ae8417b4a052a170cab41201d740ff7e979b074d6a4eaccfe7322695");
  sign_reactivate_v3(1, "host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;"
                        "x-acs-security-token;x-acs-signature-nonce;x-acs-version",
                     "120acdee2c41ad7f15214e1477c2c18f9b6980edc2b69fb9e949cce12d70c510");
}

/* Header names in any case and untrimmed values sign like their canonical
 * form; unsigned headers are ignored; repeated headers are joined with ','
 * in value order. */
static void sign_v3_canonicalizes_header_names_and_values(void) {
  ecs_params a, b;
  ecs_sign_v3_out oa, ob;
  ecs_params_init(&a);
  ecs_params_init(&b);
  CHECK(ecs_params_add(&a, "Host", "  ecs.example.com\t") == 0);
  CHECK(ecs_params_add(&a, "X-Acs-Action", "DescribeInstances ") == 0);
  CHECK(ecs_params_add(&a, "User-Agent", "x") == 0);
  CHECK(ecs_params_add(&a, "x-acs-extra", "b") == 0);
  CHECK(ecs_params_add(&a, "X-ACS-EXTRA", "a") == 0);
  CHECK(ecs_params_add(&b, "x-acs-action", "DescribeInstances") == 0);
  CHECK(ecs_params_add(&b, "host", "ecs.example.com") == 0);
  CHECK(ecs_params_add(&b, "x-acs-extra", "a,b") == 0);
  CHECK(ecs_sign_v3("GET", NULL, NULL, &a, NULL, 0, "id", "secret", &oa) == 0);
  CHECK(ecs_sign_v3("GET", "/", NULL, &b, "", 0, "id", "secret", &ob) == 0);
  CHECK_STR(ecs_buf_cstr(&oa.canonical_headers),
            "host:ecs.example.com\nx-acs-action:DescribeInstances\nx-acs-extra:a,b\n");
  CHECK_STR(ecs_buf_cstr(&oa.signed_headers), "host;x-acs-action;x-acs-extra");
  CHECK_STR(ecs_buf_cstr(&oa.canonical_query), "");
  CHECK_STR(oa.signature, ob.signature);
  CHECK_STR(oa.hashed_payload,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  ecs_sign_v3_out_free(&oa);
  ecs_sign_v3_out_free(&ob);
  ecs_params_free(&a);
  ecs_params_free(&b);
}

/* The pathname goes into the canonical request with "+" -> "%20",
 * "*" -> "%2A" and "%7E" -> "~" (openapi-core 1.0); NULL and "" mean "/". */
static void sign_v3_canonical_uri_follows_openapi_core(void) {
  static const char *const cases[][2] = {
      {"/a+b*c%7Ed+*", "/a%20b%2Ac~d%20%2A"}, {"/clusters", "/clusters"}, {"", "/"}};
  ecs_sign_v3_out out;
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *cr;
    CHECK(ecs_sign_v3("GET", cases[i][0], NULL, NULL, NULL, 0, "id", "s", &out) == 0);
    cr = strchr(ecs_buf_cstr(&out.canonical_request), '\n');
    CHECK(cr && strncmp(cr + 1, cases[i][1], strlen(cases[i][1])) == 0 &&
          cr[1 + strlen(cases[i][1])] == '\n');
    ecs_sign_v3_out_free(&out);
  }
  CHECK(ecs_sign_v3("GET", NULL, NULL, NULL, NULL, 0, "id", "s", &out) == 0);
  CHECK_STR(ecs_buf_cstr(&out.canonical_request),
            "GET\n/\n\n\n\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  ecs_sign_v3_out_free(&out);
}

/* Verifies one captured request the way the simulator will: decode every
 * parameter from the raw target and form body, re-sign with the strict
 * encoding, compare with what the SDK sent. Returns 1 when verified. */
static int verify_capture(const cJSON *creds, const char *id, const cJSON *req) {
  const char *method = jstr(req, "method"), *target = jstr(req, "target");
  const char *body = jstr(req, "body_utf8"), *q = target ? strchr(target, '?') : NULL;
  const char *auth, *ctype;
  const cJSON *pair;
  ecs_params params, headers;
  ecs_buf path;
  int ok = 0;

  ecs_params_init(&params);
  ecs_params_init(&headers);
  ecs_buf_init(&path);
  if (!method || !target || !body) goto done;
  cJSON_ArrayForEach(pair, cJSON_GetObjectItemCaseSensitive(req, "raw_headers")) {
    CHECK(ecs_params_add(&headers, cJSON_GetArrayItem(pair, 0)->valuestring,
                         cJSON_GetArrayItem(pair, 1)->valuestring) == 0);
  }
  CHECK(ecs_buf_add(&path, target, q ? (size_t)(q - target) : strlen(target)) == 0);
  if (q) CHECK(ecs_encode_query_parse(&params, q + 1, strlen(q + 1), 0) == 0);
  ctype = ecs_params_geti(&headers, "content-type");
  if (ctype && strncmp(ctype, "application/x-www-form-urlencoded", 33) == 0)
    CHECK(ecs_encode_query_parse(&params, body, strlen(body), 1) == 0);
  auth = ecs_params_geti(&headers, "authorization");

  if (auth && strncmp(auth, "ACS3-HMAC-SHA256 Credential=", 28) == 0) {
    ecs_sign_v3_out out;
    const char *ak = auth + 28, *comma = strchr(ak, ',');
    char akid[128];
    const char *secret;
    snprintf(akid, sizeof akid, "%.*s", comma ? (int)(comma - ak) : 0, ak);
    secret = strcmp(akid, jstr(creds, "access_key_id")) == 0 ? jstr(creds, "access_key_secret")
                                                             : jstr(creds, "sts_access_key_secret");
    if (ecs_sign_v3(method, ecs_buf_cstr(&path), &params, &headers, body, strlen(body), akid,
                    secret, &out) == 0) {
      ok = field_eq(id, "authorization", ecs_buf_cstr(&out.authorization), auth);
      ecs_sign_v3_out_free(&out);
    }
  } else {
    ecs_sign_v1_out out;
    const char *ak = ecs_params_get(&params, "AccessKeyId");
    const char *sig = ecs_params_get(&params, "Signature");
    const char *secret = ak && strcmp(ak, jstr(creds, "access_key_id")) == 0
                             ? jstr(creds, "access_key_secret")
                             : jstr(creds, "sts_access_key_secret");
    memset(&out, 0, sizeof out);
    if (sig && ecs_sign_v1(method, &params, secret, &out) == 0) {
      ok = ecs_sign_secure_equal(out.signature, sig);
      if (!ok) field_eq(id, "Signature", out.signature, sig);
      ecs_sign_v1_out_free(&out);
    }
  }
done:
  if (!ok) ecs_test_fail(__FILE__, __LINE__, "capture %s: not verified", id ? id : "?");
  ecs_buf_free(&path);
  ecs_params_free(&params);
  ecs_params_free(&headers);
  return ok;
}

/* Every request the official SDKs put on the wire (raw '*', '!', '(', ')',
 * '~' in the query, form bodies) verifies after decode + strict re-encode. */
static void sdk_wire_captures_verify_after_decoding(void) {
  static const char *const sections[] = {"calls", "errors", NULL};
  cJSON *root = load_json("sdk-wire-captures.json");
  const cJSON *creds = cJSON_GetObjectItemCaseSensitive(root, "credentials");
  int seen = 0, verified = 0, i;
  for (i = 0; sections[i]; i++) {
    const cJSON *call, *req;
    cJSON_ArrayForEach(call, cJSON_GetObjectItemCaseSensitive(root, sections[i])) {
      cJSON_ArrayForEach(req, cJSON_GetObjectItemCaseSensitive(call, "requests")) {
        if (!cJSON_GetObjectItemCaseSensitive(req, "raw_headers")) continue;
        seen++;
        verified += verify_capture(creds, jstr(call, "id"), req);
      }
    }
  }
  printf("# wire captures: %d requests, %d verified\n", seen, verified);
  CHECK(seen > 0);
  CHECK_INT(verified, seen);
  cJSON_Delete(root);
}

static void sha256_hex_matches_known_digests(void) {
  char hex[65];
  CHECK(ecs_sign_sha256_hex(NULL, 0, hex) == 0);
  CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(ecs_sign_sha256_hex("abc", 3, hex) == 0);
  CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void random_hex_is_fresh_each_call(void) {
  char a[65], b[65], big[2 * 1000 + 1];
  size_t i;
  CHECK(ecs_sign_random_hex(a, 32) == 0);
  CHECK(ecs_sign_random_hex(b, 32) == 0);
  CHECK_INT(strlen(a), 64);
  CHECK(strspn(a, "0123456789abcdef") == 64);
  CHECK(strcmp(a, b) != 0);
  CHECK(ecs_sign_random_hex(big, 1000) == 0); /* more than one getrandom chunk */
  CHECK_INT(strlen(big), 2000);
  for (i = 0; i < 2000; i++) CHECK(strchr("0123456789abcdef", big[i]) != NULL);
  CHECK(ecs_sign_random_hex(a, 0) == 0);
  CHECK_STR(a, "");
}

static void timestamp_has_iso8601_shape(void) {
  char ts[21];
  const char *shape = "dddd-dd-ddTdd:dd:ddZ";
  int i;
  memset(ts, 'x', sizeof ts);
  ecs_sign_timestamp(ts);
  CHECK_INT(strlen(ts), 20);
  for (i = 0; i < 20; i++) {
    if (shape[i] == 'd') CHECK(ts[i] >= '0' && ts[i] <= '9');
    else CHECK(ts[i] == shape[i]);
  }
  CHECK(strncmp(ts, "2020", 4) > 0); /* a real clock, in UTC */
}

static void secure_equal_compares_whole_strings(void) {
  CHECK(ecs_sign_secure_equal("abc", "abc"));
  CHECK(ecs_sign_secure_equal("", ""));
  CHECK(!ecs_sign_secure_equal("abc", "abd"));
  CHECK(!ecs_sign_secure_equal("abc", "ab"));
  CHECK(!ecs_sign_secure_equal("ab", "abc"));
  CHECK(!ecs_sign_secure_equal("", "a"));
  CHECK(!ecs_sign_secure_equal(NULL, "a"));
  CHECK(!ecs_sign_secure_equal(NULL, NULL));
}

int main(int argc, char **argv) {
  static const ecs_test_case cases[] = {
      {"sign_v1_matches_official_vectors", sign_v1_matches_official_vectors},
      {"sign_v1_documented_examples_match", sign_v1_documented_examples_match},
      {"sign_v1_ignores_an_existing_signature_param", sign_v1_ignores_an_existing_signature_param},
      {"sign_v1_secret_and_params_are_not_changed_by_signing",
       sign_v1_secret_and_params_are_not_changed_by_signing},
      {"sign_v3_matches_official_vectors", sign_v3_matches_official_vectors},
      {"sign_v3_documented_example_matches", sign_v3_documented_example_matches},
      {"sign_v3_canonicalizes_header_names_and_values",
       sign_v3_canonicalizes_header_names_and_values},
      {"sign_v3_canonical_uri_follows_openapi_core", sign_v3_canonical_uri_follows_openapi_core},
      {"sdk_wire_captures_verify_after_decoding", sdk_wire_captures_verify_after_decoding},
      {"sha256_hex_matches_known_digests", sha256_hex_matches_known_digests},
      {"random_hex_is_fresh_each_call", random_hex_is_fresh_each_call},
      {"timestamp_has_iso8601_shape", timestamp_has_iso8601_shape},
      {"secure_equal_compares_whole_strings", secure_equal_compares_whole_strings},
      {NULL, NULL}};
  return ecs_test_main(argc, argv, cases);
}
