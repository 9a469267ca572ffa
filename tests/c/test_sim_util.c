/* test_sim_util.c - see test_sim_util.h. */
#include "test_sim_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "encode.h"
#include "json.h"
#include "sign.h"

void http_resp_free(http_resp *r) {
  ecs_buf_free(&r->body);
  ecs_params_free(&r->headers);
  cJSON_Delete(r->json);
  memset(r, 0, sizeof *r);
}

const char *resp_code(const http_resp *r) {
  const char *c;
  if (r->status >= 200 && r->status < 300) return "OK";
  c = r->json ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->json, "Code")) : NULL;
  return c ? c : "";
}

const char *resp_str(const http_resp *r, const char *key) {
  const char *c = r->json ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->json, key)) : NULL;
  return c ? c : "";
}

ecs_sim *sim_up(const char *fleet) {
  ecs_sim_opts o = {.latency_ms = -1, .quiet = 1};
  char err[512];
  ecs_sim *s = ecs_sim_start(fleet, strlen(fleet), &o, err, sizeof err);
  if (!s) {
    fprintf(stderr, "sim_up: %s\n", err);
    abort();
  }
  return s;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud) {
  return ecs_buf_add(ud, p, sz * n) == 0 ? sz * n : 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud) {
  size_t len = sz * n, i;
  char *colon = memchr(p, ':', len), name[128];
  const char *v, *e;
  if (!colon || (size_t)(colon - p) >= sizeof name) return len;
  for (i = 0; i < (size_t)(colon - p); i++)
    name[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
  name[i] = '\0';
  v = colon + 1;
  e = p + len;
  while (v < e && *v == ' ') v++;
  while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' ')) e--;
  if (ecs_params_addn(ud, name, strlen(name), v, (size_t)(e - v)) < 0) return 0;
  return len;
}

void http_do(CURL *curl, const char *method, const char *url, struct curl_slist *headers,
             const char *body, long timeout_ms, http_resp *out) {
  CURL *c = curl ? curl : curl_easy_init();
  memset(out, 0, sizeof *out);
  if (!c) {
    out->rc = CURLE_FAILED_INIT;
    return;
  }
  if (curl) curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : 10000L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
  } else if (strcmp(method, "GET") != 0) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  }
  out->rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
  if (out->body.len) out->json = ecs_json_parse(out->body.data, out->body.len);
  if (!curl) curl_easy_cleanup(c);
}

void v1_sign(const char *method, ecs_params *params, const char *ak, const char *secret,
             ecs_buf *q) {
  static const char *const common[][2] = {{"Format", "JSON"}, {"Version", "2014-05-26"},
                                          {"SignatureMethod", "HMAC-SHA1"},
                                          {"SignatureVersion", "1.0"}};
  char ts[21], nonce[33];
  ecs_sign_v1_out out;
  size_t i;
  for (i = 0; i < 4; i++)
    if (!ecs_params_get(params, common[i][0])) ecs_params_add(params, common[i][0], common[i][1]);
  if (!ecs_params_get(params, "AccessKeyId")) ecs_params_add(params, "AccessKeyId", ak);
  if (!ecs_params_get(params, "Timestamp")) {
    ecs_sign_timestamp(ts);
    ecs_params_add(params, "Timestamp", ts);
  }
  if (!ecs_params_get(params, "SignatureNonce")) {
    ecs_sign_random_hex(nonce, 16);
    ecs_params_add(params, "SignatureNonce", nonce);
  }
  for (i = 0; i < params->n; i++)
    if (strcmp(params->v[i].value, "-") == 0) {
      char *name = strdup(params->v[i].name); /* del frees the pair's own copy */
      if (!name) abort();
      ecs_params_del(params, name);
      free(name);
      i = (size_t)-1;
    }
  memset(&out, 0, sizeof out);
  if (ecs_sign_v1(method, params, secret, &out) < 0) abort();
  ecs_buf_add(q, out.final_query.data, out.final_query.len);
  ecs_sign_v1_out_free(&out);
}

void v1_call(ecs_sim *s, const char *method, int form, ecs_params *params, const char *ak,
             const char *secret, http_resp *out) {
  ecs_buf q, url;
  struct curl_slist *h = NULL;
  ecs_buf_init(&q);
  ecs_buf_init(&url);
  v1_sign(method, params, ak, secret, &q);
  if (form) {
    h = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
    ecs_buf_addf(&url, "%s/", ecs_sim_url(s));
    http_do(NULL, "POST", ecs_buf_cstr(&url), h, ecs_buf_cstr(&q), 0, out);
  } else {
    h = curl_slist_append(NULL, "Content-Type:");
    ecs_buf_addf(&url, "%s/?%s", ecs_sim_url(s), ecs_buf_cstr(&q));
    http_do(NULL, method, ecs_buf_cstr(&url), h, NULL, 0, out);
  }
  curl_slist_free_all(h);
  ecs_buf_free(&q);
  ecs_buf_free(&url);
}

void v1(ecs_sim *s, http_resp *out, ...) {
  ecs_params p;
  va_list ap;
  const char *k, *v;
  ecs_params_init(&p);
  va_start(ap, out);
  while ((k = va_arg(ap, const char *)) != NULL) {
    v = va_arg(ap, const char *);
    ecs_params_add(&p, k, v);
  }
  va_end(ap);
  v1_call(s, "GET", 0, &p, ecs_sim_access_key_id(s), ecs_sim_access_key_secret(s), out);
  ecs_params_free(&p);
}

void v3_call(ecs_sim *s, const char *action, ecs_params *query, const char *ak,
             const char *secret, const char *token, http_resp *out) {
  ecs_params h;
  ecs_sign_v3_out o;
  ecs_buf url, line;
  struct curl_slist *sl = NULL;
  char ts[21], nonce[33], hash[65], host[64];
  size_t i;
  ecs_params_init(&h);
  ecs_buf_init(&url);
  ecs_buf_init(&line);
  ecs_sign_timestamp(ts);
  ecs_sign_random_hex(nonce, 16);
  ecs_sign_sha256_hex("", 0, hash);
  snprintf(host, sizeof host, "127.0.0.1:%d", ecs_sim_port(s));
  ecs_params_add(&h, "host", host);
  ecs_params_add(&h, "x-acs-action", action);
  ecs_params_add(&h, "x-acs-version", "2014-05-26");
  ecs_params_add(&h, "x-acs-date", ts);
  ecs_params_add(&h, "x-acs-signature-nonce", nonce);
  ecs_params_add(&h, "x-acs-content-sha256", hash);
  if (token) ecs_params_add(&h, "x-acs-security-token", token);
  memset(&o, 0, sizeof o);
  if (ecs_sign_v3("POST", "/", query, &h, NULL, 0, ak, secret, &o) < 0) abort();
  for (i = 0; i < h.n; i++) {
    ecs_buf_reset(&line);
    ecs_buf_addf(&line, "%s: %s", h.v[i].name, h.v[i].value);
    sl = curl_slist_append(sl, ecs_buf_cstr(&line));
  }
  ecs_buf_reset(&line);
  ecs_buf_addf(&line, "Authorization: %s", ecs_buf_cstr(&o.authorization));
  sl = curl_slist_append(sl, ecs_buf_cstr(&line));
  sl = curl_slist_append(sl, "Content-Type:");
  ecs_buf_addf(&url, "%s/?%s", ecs_sim_url(s), ecs_buf_cstr(&o.canonical_query));
  http_do(NULL, "POST", ecs_buf_cstr(&url), sl, NULL, 0, out);
  curl_slist_free_all(sl);
  ecs_sign_v3_out_free(&o);
  ecs_params_free(&h);
  ecs_buf_free(&url);
  ecs_buf_free(&line);
}

void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {}
}

cJSON *sim_get(ecs_sim *s, const char *path) {
  http_resp r;
  cJSON *j;
  char url[128];
  snprintf(url, sizeof url, "%s%s", ecs_sim_url(s), path);
  http_do(NULL, "GET", url, NULL, NULL, 0, &r);
  j = r.json;
  r.json = NULL;
  http_resp_free(&r);
  return j;
}

cJSON *state_instance(cJSON *root, const char *id) {
  cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(root, "instances")) {
    const char *x = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "InstanceId"));
    if (x && strcmp(x, id) == 0) return e;
  }
  return NULL;
}
