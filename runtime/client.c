/* client.c - ECS API calls: action + parameters -> signed request, response
 * -> result or error (see client.h). No I/O: the http engine transfers.
 *
 * The request is built exactly as @alicloud/ecs20140526 sends it
 * (ecs-facts 3.2, OBSERVED): V3 by default, every operation parameter in the
 * query of a POST with an empty body.
 */
#include "client.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "encode.h"
#include "endpoint.h"
#include "json.h"
#include "product.h"
#include "sign.h"
#include "version.h"


#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

void ecs_client_config_init(ecs_client_config *c) {
  memset(c, 0, sizeof *c);
  c->signature = 3;
  c->connect_timeout_ms = ECS_DEFAULT_CONNECT_MS;
  c->timeout_ms = ECS_DEFAULT_TIMEOUT_MS;
  c->max_response = ECS_DEFAULT_MAX_RESPONSE;
}

void ecs_client_config_free(ecs_client_config *c) {
  free(c->region);
  free(c->endpoint);
  free(c->network);
  free(c->user_agent);
  free(c->ca_file);
  free(c->product);
  free(c->version);
  ecs_client_config_init(c);
}

int ecs_client_config_copy(ecs_client_config *dst, const ecs_client_config *src) {
  *dst = *src;
  if (ecs_str_dup(&dst->region, src->region) < 0 || ecs_str_dup(&dst->endpoint, src->endpoint) < 0 ||
      ecs_str_dup(&dst->network, src->network) < 0 ||
      ecs_str_dup(&dst->user_agent, src->user_agent) < 0 ||
      ecs_str_dup(&dst->ca_file, src->ca_file) < 0 || ecs_str_dup(&dst->product, src->product) < 0 ||
      ecs_str_dup(&dst->version, src->version) < 0) {
    ecs_client_config_free(dst);
    return -1;
  }
  return 0;
}

/* Normalises a configured endpoint "http(s)://host[:port][/]" into out as
 * "scheme://host[:port]" and the host header value into host (the port kept
 * only when it is not the scheme's default, as curl sends it). Returns 0, or
 * -1 when it is not of that form (a path, query, user info or bad port). */
static int parse_endpoint(const char *ep, ecs_buf *out, ecs_buf *host) {
  const char *rest, *hend, *port = NULL;
  size_t len;
  int https;
  if (strncmp(ep, "https://", 8) == 0) { https = 1; rest = ep + 8; }
  else if (strncmp(ep, "http://", 7) == 0) { https = 0; rest = ep + 7; }
  else return -1;
  len = strlen(rest);
  if (len && rest[len - 1] == '/') len--;
  if (len == 0 || memchr(rest, '/', len) || memchr(rest, '?', len) ||
      memchr(rest, '#', len) || memchr(rest, '@', len) || memchr(rest, ' ', len))
    return -1;
  if (rest[0] == '[') {
    hend = memchr(rest, ']', len);
    if (!hend) return -1;
    hend++;
  } else {
    hend = memchr(rest, ':', len);
    if (!hend) hend = rest + len;
  }
  if (hend == rest || (rest[0] == '[' && hend - rest < 3)) return -1;
  if (hend < rest + len) {
    const char *p;
    long v = 0;
    if (*hend != ':' || hend + 1 == rest + len) return -1;
    port = hend + 1;
    for (p = port; p < rest + len; p++) {
      if (!isdigit((unsigned char)*p)) return -1;
      v = v * 10 + (*p - '0');
      if (v > 65535) return -1;
    }
    if (v == 0) return -1;
    if ((https && v == 443) || (!https && v == 80)) port = NULL;
  }
  if (ecs_buf_add(host, rest, (size_t)(hend - rest)) < 0 ||
      (port && ecs_buf_addc(host, ':') < 0) ||
      (port && ecs_buf_add(host, port, (size_t)(rest + len - port)) < 0) ||
      ecs_buf_adds(out, https ? "https://" : "http://") < 0 ||
      ecs_buf_add(out, host->data, host->len) < 0)
    return -1;
  return 0;
}

/* "ecsrun/<ver> (<os>; <arch>) libcurl/<ver>": the same for the whole
 * process, so built once (uname and curl_version_info cost more than the
 * rest of a request's headers). Empty if it did not fit. */
static char ua_base[512];
static pthread_once_t ua_once = PTHREAD_ONCE_INIT;

static void ua_init(void) {
  struct utsname u;
  const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
  char os[65];
  size_t i;
  const char *arch = "unknown";
  int n;
  snprintf(os, sizeof os, "linux");
  if (uname(&u) == 0) {
    for (i = 0; u.sysname[i] && i < sizeof os - 1; i++)
      os[i] = (char)tolower((unsigned char)u.sysname[i]);
    os[i] = '\0';
    arch = u.machine;
  }
  n = snprintf(ua_base, sizeof ua_base, "ecsrun/%s (%s; %s) libcurl/%s", ECS_VERSION, os, arch,
               cv && cv->version ? cv->version : "unknown");
  if (n < 0 || (size_t)n >= sizeof ua_base) ua_base[0] = '\0';
}

/* "ecsrun/<ver> (<os>; <arch>) libcurl/<ver>[ <extra>]" into ua. 0 or -1. */
static int user_agent(ecs_buf *ua, const char *extra) {
  if (pthread_once(&ua_once, ua_init) != 0 || !ua_base[0]) return -1;
  if (ecs_buf_adds(ua, ua_base) < 0) return -1;
  if (extra && *extra && (ecs_buf_addc(ua, ' ') < 0 || ecs_buf_adds(ua, extra) < 0)) return -1;
  return 0;
}

/* Copies the transfer settings of cfg into req. 0 or -1. */
static int copy_settings(const ecs_client_config *cfg, ecs_http_req *req) {
  req->connect_timeout_ms = cfg->connect_timeout_ms;
  req->timeout_ms = cfg->timeout_ms;
  req->max_response = cfg->max_response;
  req->insecure_http = cfg->insecure_http;
  free(req->ca_file);
  return ecs_str_dup(&req->ca_file, cfg->ca_file);
}

/* The x-acs-credentials-provider value for creds, as the SDK names it. */
static const char *provider_name(const ecs_creds *creds) {
  return creds->provider ? creds->provider : creds->security_token ? "static_sts" : "static_ak";
}

/* x-acs-retry-attempts (the retry's number: 1 on the first retry) and
 * x-acs-retry-delay (ms waited before it), as openapi-core's
 * applyRetryHeaders adds them to every retried request; nothing on a first
 * attempt. 0 or -1. */
static int retry_headers(ecs_params *h, const ecs_retry_info *retry) {
  char num[24];
  if (!retry || retry->attempt < 2) return 0;
  snprintf(num, sizeof num, "%d", retry->attempt - 1);
  if (ecs_params_add(h, "x-acs-retry-attempts", num) < 0) return -1;
  if (retry->delay_ms < 0) return 0;
  snprintf(num, sizeof num, "%lld", retry->delay_ms);
  return ecs_params_add(h, "x-acs-retry-delay", num);
}

/* Fills req for signature V3: POST <base>/?<canonical query>, empty body,
 * the SDK's headers and Authorization. Returns 0 or -1 (out of memory or
 * signer failure). */
static int prepare_v3(const ecs_creds *creds, const char *action, const char *version,
                      const ecs_params *p, const char *base, const char *host, const char *ua,
                      const char *date, const char *nonce, const ecs_retry_info *retry,
                      ecs_http_req *req) {
  ecs_buf url;
  ecs_sign_v3_out so;
  ecs_params *h = &req->headers;
  const char *prov = provider_name(creds);
  int rc = -1;
  ecs_buf_init(&url);
  memset(&so, 0, sizeof so);
  if (ecs_params_add(h, "host", host) < 0 ||
      ecs_params_add(h, "x-acs-version", version) < 0 ||
      ecs_params_add(h, "x-acs-action", action) < 0 ||
      ecs_params_add(h, "user-agent", ua) < 0 ||
      ecs_params_add(h, "x-acs-date", date) < 0 ||
      ecs_params_add(h, "x-acs-signature-nonce", nonce) < 0 ||
      ecs_params_add(h, "accept", "application/json") < 0 ||
      ecs_params_add(h, "x-acs-content-sha256", EMPTY_SHA256) < 0 ||
      ecs_params_add(h, "x-acs-credentials-provider", prov) < 0)
    goto out;
  if (creds->security_token &&
      (ecs_params_add(h, "x-acs-accesskey-id", creds->access_key_id) < 0 ||
       ecs_params_add(h, "x-acs-security-token", creds->security_token) < 0))
    goto out;
  if (retry_headers(h, retry) < 0) goto out; /* x-acs-*: signed, as the SDK signs them */
  if (ecs_sign_v3("POST", "/", p, h, NULL, 0, creds->access_key_id,
                  creds->access_key_secret, &so) < 0 ||
      ecs_params_add(h, "authorization", ecs_buf_cstr(&so.authorization)) < 0)
    goto out;
  /* the URL's query is the canonical query the signer just built from p */
  if (ecs_buf_adds(&url, base) < 0 || ecs_buf_addc(&url, '/') < 0) goto out;
  if (p->n && (ecs_buf_addc(&url, '?') < 0 ||
               ecs_buf_add(&url, so.canonical_query.data, so.canonical_query.len) < 0))
    goto out;
  if (!(req->url = ecs_buf_steal(&url))) goto out;
  rc = 0;
out:
  ecs_buf_free(&url);
  ecs_sign_v3_out_free(&so);
  return rc;
}


/* Fills req for signature V1: every parameter (common ones included) in the
 * query of a POST with an empty body, Signature last. Returns 0 or -1. */
static int prepare_v1(const ecs_creds *creds, const char *action, const char *version,
                      const ecs_params *op, const char *base, const char *ua, const char *date,
                      const char *nonce, const ecs_retry_info *retry, ecs_http_req *req) {
  ecs_params p;
  ecs_buf url;
  ecs_sign_v1_out so;
  ecs_params *h = &req->headers;
  const char *prov = provider_name(creds);
  int rc = -1;
  ecs_buf_init(&url);
  memset(&so, 0, sizeof so);
  if (ecs_params_copy(&p, op) < 0) return -1;
  ecs_params_del(&p, "Signature");
  if (ecs_params_set(&p, "Action", action) < 0 || ecs_params_set(&p, "Format", "json") < 0 ||
      ecs_params_set(&p, "Version", version) < 0 ||
      ecs_params_set(&p, "Timestamp", date) < 0 ||
      ecs_params_set(&p, "SignatureNonce", nonce) < 0 ||
      ecs_params_set(&p, "SignatureMethod", "HMAC-SHA1") < 0 ||
      ecs_params_set(&p, "SignatureVersion", "1.0") < 0 ||
      ecs_params_set(&p, "AccessKeyId", creds->access_key_id) < 0)
    goto out;
  if (creds->security_token) {
    if (ecs_params_set(&p, "SecurityToken", creds->security_token) < 0) goto out;
  } else {
    ecs_params_del(&p, "SecurityToken");
  }
  if (ecs_sign_v1("POST", &p, creds->access_key_secret, &so) < 0) goto out;
  if (ecs_buf_adds(&url, base) < 0 || ecs_buf_adds(&url, "/?") < 0 ||
      ecs_buf_add(&url, so.final_query.data, so.final_query.len) < 0)
    goto out;
  if (ecs_params_add(h, "x-acs-version", version) < 0 ||
      ecs_params_add(h, "x-acs-action", action) < 0 ||
      ecs_params_add(h, "user-agent", ua) < 0 ||
      ecs_params_add(h, "accept", "application/json") < 0 ||
      ecs_params_add(h, "x-acs-credentials-provider", prov) < 0 ||
      retry_headers(h, retry) < 0) /* V1 signs the query only, as the CLI sends them */
    goto out;
  if (!(req->url = ecs_buf_steal(&url))) goto out;
  rc = 0;
out:
  ecs_buf_wipe(&url); /* may hold SecurityToken */
  ecs_sign_v1_out_free(&so);
  ecs_params_wipe(&p); /* held SecurityToken */
  return rc;
}

/* Drops what a previous prepare put into req (wiping what may be secret)
 * and its output, so that a retry can reuse the struct. done/ud are kept. */
static void req_clear(ecs_http_req *req) {
  size_t i;
  ecs_free_secret(req->url);
  req->url = NULL;
  for (i = 0; i < req->headers.n; i++) {
    ecs_free_secret(req->headers.v[i].value);
    req->headers.v[i].value = NULL;
  }
  ecs_params_free(&req->headers);
  ecs_buf_wipe(&req->body);
  ecs_http_req_reset_output(req);
}

/* The base URL and host header for cfg's product in region rid (NULL:
 * none): the configured endpoint, else the product's resolved host over
 * https. 0; -1 with err set (ECONFIG); -2 out of memory. */
static int endpoint_base(const ecs_client_config *cfg, const char *rid, ecs_buf *base,
                         ecs_buf *host, ecs_error *err) {
  char hostname[256];
  int r;
  if (cfg->endpoint && *cfg->endpoint) {
    if (parse_endpoint(cfg->endpoint, base, host) == 0) return 0;
    ecs_error_set(err, ECS_KIND_CONFIG, "ECONFIG", "bad endpoint: expected http(s)://host[:port]");
    return -1;
  }
  if (!rid && ecs_product_is_ecs(cfg->product)) {
    ecs_error_set(err, ECS_KIND_CONFIG, "ECONFIG",
                  "no region: set ecs.client{region=...}, --region or "
                  "ALIBABA_CLOUD_REGION_ID");
    return -1;
  }
  r = ecs_product_endpoint(cfg->product, rid, cfg->network, hostname, sizeof hostname);
  if (r == -2) {
    ecs_error_set(err, ECS_KIND_CONFIG, "ECONFIG",
                  "no known endpoint for product '%.32s': set ecs.client{endpoint=...}",
                  cfg->product);
    return -1;
  }
  if (r < 0) {
    ecs_error_set(err, ECS_KIND_CONFIG, "ECONFIG", "invalid region id '%.64s'", rid ? rid : "");
    return -1;
  }
  if (ecs_buf_adds(host, hostname) < 0 || ecs_buf_adds(base, "https://") < 0 ||
      ecs_buf_adds(base, hostname) < 0)
    return -2;
  return 0;
}

/* The API version the request carries: cfg's, else the product's default.
 * NULL with err set (ECONFIG) for a bad product code or version. */
static const char *api_version(const ecs_client_config *cfg, ecs_error *err) {
  const char *version;
  if (cfg->product && !ecs_product_valid(cfg->product)) {
    ecs_error_set(err, ECS_KIND_CONFIG, "ECONFIG", "invalid product code");
    return NULL;
  }
  if (!(version = cfg->version ? cfg->version : ecs_product_default_version(cfg->product))) {
    ecs_error_set(err, ECS_KIND_CONFIG, "ECONFIG", "product '%.32s' needs an API version",
                  cfg->product);
    return NULL;
  }
  if (!ecs_product_version_valid(version)) { /* it becomes a header: no CR/LF */
    ecs_error_set(err, ECS_KIND_CONFIG, "ECONFIG", "invalid API version (expected YYYY-MM-DD)");
    return NULL;
  }
  return version;
}

/* Builds the signed request (see client.h). The steps: credentials check,
 * region and endpoint, then the V3 or V1 layout. On failure req may hold
 * partial output; the caller frees it as usual. */
int ecs_client_prepare(const ecs_client_config *cfg, const ecs_creds *creds,
                       const char *action, const ecs_params *params,
                       const char *region, ecs_http_req *req, ecs_error *err) {
  return ecs_client_prepare_retry(cfg, creds, action, params, region, NULL, req, err);
}

int ecs_client_prepare_retry(const ecs_client_config *cfg, const ecs_creds *creds,
                             const char *action, const ecs_params *params,
                             const char *region, const ecs_retry_info *retry,
                             ecs_http_req *req, ecs_error *err) {
  ecs_params p;
  ecs_buf base, host, ua;
  char date[21], nonce[65];
  const char *rid, *version;
  int rc = -1, erc;
  if (!creds || !creds->access_key_id || !*creds->access_key_id ||
      !creds->access_key_secret || !*creds->access_key_secret)
    return ecs_error_set(err, ECS_KIND_CREDENTIALS, "ECREDS",
                         "no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and "
                         "ALIBABA_CLOUD_ACCESS_KEY_SECRET, or pass credentials to ecs.client");
  if (!action || !*action)
    return ecs_error_set(err, ECS_KIND_CONFIG, "ECONFIG", "no action given");
  ecs_params_init(&p);
  ecs_buf_init(&base);
  ecs_buf_init(&host);
  ecs_buf_init(&ua);
  if (params && ecs_params_copy(&p, params) < 0) goto oom;
  rid = (region && *region) ? region : ecs_params_get(&p, "RegionId");
  if (!rid || !*rid) rid = (cfg->region && *cfg->region) ? cfg->region : NULL;
  if (!(version = api_version(cfg, err))) goto out;
  if (rid && ecs_product_is_ecs(cfg->product) && !ecs_params_get(&p, "RegionId") &&
      ecs_params_add(&p, "RegionId", rid) < 0)
    goto oom;
  if ((erc = endpoint_base(cfg, rid, &base, &host, err)) == -2) goto oom;
  if (erc < 0) goto out;
  ecs_sign_timestamp(date);
  if (ecs_sign_random_hex(nonce, 32) < 0) {
    ecs_error_set(err, ECS_KIND_CONFIG, "ECONFIG", "no randomness for the nonce");
    goto out;
  }
  req_clear(req);
  if (user_agent(&ua, cfg->user_agent) < 0 || copy_settings(cfg, req) < 0) goto oom;
  free(req->method);
  if (!(req->method = strdup("POST"))) goto oom;
  if ((cfg->signature == 1
           ? prepare_v1(creds, action, version, &p, ecs_buf_cstr(&base), ecs_buf_cstr(&ua), date,
                        nonce, retry, req)
           : prepare_v3(creds, action, version, &p, ecs_buf_cstr(&base), ecs_buf_cstr(&host),
                        ecs_buf_cstr(&ua), date, nonce, retry, req)) < 0)
    goto oom;
  rc = 0;
  goto out;
oom:
  ecs_error_set(err, ECS_KIND_CONFIG, "ECONFIG", "cannot build the request (out of memory)");
out:
  ecs_params_free(&p);
  ecs_buf_free(&base);
  ecs_buf_free(&host);
  ecs_buf_free(&ua);
  return rc;
}

/* Deep copy of an error; best effort on out of memory. */
static void error_copy(ecs_error *dst, const ecs_error *src) {
  ecs_error_free(dst);
  dst->kind = src->kind;
  ecs_error_field(&dst->code, src->code);
  ecs_error_field(&dst->message, src->message);
  ecs_error_field(&dst->request_id, src->request_id);
  ecs_error_field(&dst->host_id, src->host_id);
  ecs_error_field(&dst->recommend, src->recommend);
  ecs_error_field(&dst->access_denied_detail, src->access_denied_detail);
  ecs_error_field(&dst->action, src->action);
  ecs_error_field(&dst->instance_id, src->instance_id);
  dst->status = src->status;
  dst->retryable = src->retryable;
  dst->ambiguous = src->ambiguous;
  dst->retry_after = src->retry_after;
}

/* x-acs-retry-after (milliseconds, digits only) in seconds, or -1. */
static double retry_after(const ecs_http_req *req) {
  const char *v = ecs_params_geti(&req->resp_headers, "x-acs-retry-after");
  char *end;
  long long ms;
  if (!v) return -1;
  while (*v == ' ' || *v == '\t') v++;
  if (!isdigit((unsigned char)*v)) return -1;
  errno = 0;
  ms = strtoll(v, &end, 10);
  while (*end == ' ' || *end == '\t') end++;
  if (errno || *end || ms < 0 || ms > 86400000LL) return -1;
  return (double)ms / 1000.0;
}

/* The STS token the request carries (V3 header, or V1 query decoded) into
 * tok; empty when none. */
static void request_token(const ecs_http_req *req, ecs_buf *tok) {
  const char *h = ecs_params_geti(&req->headers, "x-acs-security-token");
  const char *q = req->url ? strchr(req->url, '?') : NULL;
  if (h) {
    ecs_buf_adds(tok, h);
    return;
  }
  while (q) {
    q++;
    if (strncmp(q, "SecurityToken=", 14) == 0) {
      const char *end = strchr(q, '&');
      ecs_encode_pct_decode(tok, q + 14, end ? (size_t)(end - q - 14) : strlen(q + 14), 0);
      return;
    }
    q = strchr(q, '&');
  }
}

/* Replaces every occurrence of needle in *s with "[redacted]". */
static void redact(char **s, const char *needle, size_t nlen) {
  ecs_buf out;
  const char *p, *hit;
  if (!*s || nlen < 4 || !strstr(*s, needle)) return;
  ecs_buf_init(&out);
  for (p = *s; (hit = strstr(p, needle)) != NULL; p = hit + nlen) {
    ecs_buf_add(&out, p, (size_t)(hit - p));
    ecs_buf_adds(&out, "[redacted]");
  }
  ecs_buf_adds(&out, p);
  ecs_free_secret(*s);
  *s = ecs_buf_steal(&out);
}

/* The request's STS token in the forms an answer may quote it: f[0] raw,
 * f[1] and f[2] percent-encoded once and twice (a SignatureDoesNotMatch
 * message quotes the string to sign, which holds the encoded query). All
 * empty when the request carries none; token_forms_wipe releases them. */
static void token_forms(const ecs_http_req *req, ecs_buf f[3]) {
  ecs_buf_init(&f[0]);
  ecs_buf_init(&f[1]);
  ecs_buf_init(&f[2]);
  request_token(req, &f[0]);
  if (f[0].len) {
    ecs_encode_pct(&f[1], f[0].data, f[0].len);
    ecs_encode_pct(&f[2], ecs_buf_cstr(&f[1]), f[1].len);
  }
}

static void token_forms_wipe(ecs_buf f[3]) {
  ecs_buf_wipe(&f[0]);
  ecs_buf_wipe(&f[1]);
  ecs_buf_wipe(&f[2]);
}

/* Removes the request's STS token (every form, whole or in pieces) from
 * every text field of the error: message, code, ids and recommendation. */
static void scrub_message(const ecs_http_req *req, ecs_error *err) {
  ecs_buf f[3];
  int k;
  char **fields[] = {&err->message, &err->code, &err->request_id, &err->host_id,
                     &err->recommend, &err->access_denied_detail};
  size_t i;
  token_forms(req, f);
  if (f[0].len) {
    for (i = 0; i < sizeof fields / sizeof fields[0]; i++) {
      for (k = 2; k >= 0; k--) redact(fields[i], ecs_buf_cstr(&f[k]), f[k].len);
    }
    for (k = 2; k >= 0; k--) ecs_error_mask_secret(err, f[k].data, f[k].len);
  }
  token_forms_wipe(f);
}

/* Copies s[0..n) into out with every occurrence of each token form replaced
 * by "[redacted]" (binary-safe: bodies may hold NULs). Best effort on out of
 * memory: out may then be short, never holds a token. */
static void copy_redacted(ecs_buf *out, const char *s, size_t n, ecs_buf f[3]) {
  ecs_buf tmp;
  int k;
  ecs_buf_add(out, s, n);
  for (k = 2; k >= 0; k--) {
    const char *needle = f[k].data, *p;
    size_t nl = f[k].len, i = 0;
    if (nl < 4 || out->len < nl) continue;
    ecs_buf_init(&tmp);
    p = out->data;
    while (i + nl <= out->len) {
      const char *hit = memchr(p + i, needle[0], out->len - nl + 1 - i);
      size_t at;
      if (!hit) break;
      at = (size_t)(hit - p);
      if (memcmp(hit, needle, nl) == 0) {
        ecs_buf_add(&tmp, p + i, at - i);
        ecs_buf_adds(&tmp, "[redacted]");
        i = at + nl;
      } else {
        ecs_buf_add(&tmp, p + i, at + 1 - i);
        i = at + 1;
      }
    }
    ecs_buf_add(&tmp, p + i, out->len - i);
    ecs_buf_wipe(out);
    *out = tmp;
  }
}

/* An answer that is not a JSON object: EJSON with the status, the
 * content-type and a short printable excerpt. The token is redacted from the
 * body and the content-type before they are cut short, so that no piece of
 * it survives in the excerpt. */
static int bad_body(const ecs_http_req *req, ecs_error *err) {
  const char *ct = ecs_params_geti(&req->resp_headers, "content-type");
  ecs_buf f[3], body, ctb;
  char excerpt[81];
  size_t i, n = 0;
  int sp = 0;
  ecs_buf_init(&body);
  ecs_buf_init(&ctb);
  token_forms(req, f);
  copy_redacted(&body, req->resp_body.data, req->resp_body.len, f);
  if (ct) copy_redacted(&ctb, ct, strlen(ct), f);
  for (i = 0; i < body.len && n < sizeof excerpt - 1; i++) {
    unsigned char c = (unsigned char)body.data[i];
    if (isspace(c)) {
      if (n && !sp) excerpt[n++] = ' ';
      sp = 1;
      continue;
    }
    excerpt[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    sp = 0;
  }
  excerpt[n] = '\0';
  ecs_error_set(err, ECS_KIND_TRANSPORT, "EJSON",
                "HTTP %ld answer is not a JSON object (content-type %.60s, %zu bytes)%s%s%s",
                req->status, ct ? ecs_buf_cstr(&ctb) : "none", req->resp_body.len,
                n ? ": \"" : "", excerpt, n ? (i < body.len ? "...\"" : "\"") : "");
  err->status = (int)req->status;
  err->retryable = req->status >= 500;
  err->ambiguous = 1; /* the server saw the request; its outcome is unknown */
  err->retry_after = retry_after(req);
  scrub_message(req, err);
  token_forms_wipe(f);
  ecs_buf_wipe(&body);
  ecs_buf_wipe(&ctb);
  return -1;
}

/* An answer over the decoding limits (json.h): EJSON, not decoded at all,
 * so that its memory stays bounded by the size cap. Ambiguous like any
 * answer that cannot be read. Retryable only as a 5xx is (the service
 * failed; a retry may fare better); any other status would get the same. */
static int too_complex(const ecs_http_req *req, const char *why, ecs_error *err) {
  size_t cap = req->max_response ? req->max_response : ECS_DEFAULT_MAX_RESPONSE;
  ecs_error_set(err, ECS_KIND_TRANSPORT, "EJSON",
                "HTTP %ld answer not decoded: %s (limits: %d levels, %zu values; %zu bytes)",
                req->status, why, ECS_JSON_MAX_DEPTH, ecs_json_max_values(cap),
                req->resp_body.len);
  err->status = (int)req->status;
  err->retryable = req->status >= 500;
  err->ambiguous = 1; /* the server saw the request; its outcome is unknown */
  return -1;
}

/* String member under either spelling (RequestId / requestId). */
static const char *member(const cJSON *o, const char *a, const char *b) {
  const char *v = ecs_json_str(o, a);
  return v ? v : ecs_json_str(o, b);
}

/* Keeps AccessDeniedDetail (an object) as compact JSON text; anything else
 * under that name is ignored. Best effort on out of memory. */
static void access_denied_detail(const cJSON *j, ecs_error *err) {
  const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "AccessDeniedDetail");
  char *txt;
  if (!d) d = cJSON_GetObjectItemCaseSensitive(j, "accessDeniedDetail");
  if (!cJSON_IsObject(d) || !(txt = cJSON_PrintUnformatted(d))) return;
  free(err->access_denied_detail);
  err->access_denied_detail = txt;
}

/* Interprets a completed request (see client.h). */
int ecs_client_finish(const ecs_http_req *req, cJSON **body, ecs_error *err) {
  cJSON *j;
  const char *code, *msg, *why;
  *body = NULL;
  if (req->failed) {
    error_copy(err, &req->err);
    return -1;
  }
  j = ecs_json_parse_capped(req->resp_body.data, req->resp_body.len,
                            req->max_response ? req->max_response : ECS_DEFAULT_MAX_RESPONSE, &why);
  if (!j && why) return too_complex(req, why, err);
  if (!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    return bad_body(req, err);
  }
  if (req->status >= 200 && req->status < 300) {
    *body = j;
    return 0;
  }
  code = member(j, "Code", "code");
  msg = member(j, "Message", "message");
  ecs_error_set(err, ECS_KIND_API, code ? code : "UnknownError", "%s",
                msg ? msg : "the service answered with an error and no message");
  if (ecs_error_field(&err->request_id, member(j, "RequestId", "requestId")) < 0 ||
      ecs_error_field(&err->host_id, member(j, "HostId", "hostId")) < 0 ||
      ecs_error_field(&err->recommend, member(j, "Recommend", "recommend")) < 0) {
    /* keep what we have: code and status matter most */
  }
  access_denied_detail(j, err);
  cJSON_Delete(j); /* code and msg point into j: not used below */
  err->status = (int)req->status;
  err->retry_after = retry_after(req);
  code = err->code ? err->code : "";
  if (strstr(code, "Throttling")) err->kind = ECS_KIND_THROTTLE;
  err->retryable = err->kind == ECS_KIND_THROTTLE || req->status >= 500 ||
                   strcmp(code, "InternalError") == 0 ||
                   strncmp(code, "ServiceUnavailable", 18) == 0 || err->retry_after >= 0;
  /* A 5xx (InternalError, ServiceUnavailable, a proxy's 502...) says the
   * service failed somewhere, possibly after the change was made: to a
   * mutating call the outcome is unknown. A Throttling answer (whatever its
   * status) was refused before any processing. */
  if (req->status >= 500 && err->kind != ECS_KIND_THROTTLE &&
      ecs_client_action_mutating(ecs_params_geti(&req->headers, "x-acs-action")))
    err->ambiguous = 1;
  /* Every request carries a fresh 256-bit nonce, so the service can only
   * have seen this one before if this very request reached it already: a
   * transport layer (libcurl re-sends a request once when a reused
   * keep-alive connection dies before any answer) sent it twice. The first
   * copy may have been processed, so the outcome is ambiguous; a retry with
   * a new nonce is fine once the state has been checked. */
  if (strcmp(code, "SignatureNonceUsed") == 0) {
    err->ambiguous = 1;
    err->retryable = 1;
  }
  scrub_message(req, err);
  return -1;
}

/* 1 unless the action only reads (Describe*, List*, Get*, Query*, Check*).
 * Unknown or missing names count as mutating: the safe side. */
int ecs_client_action_mutating(const char *action) {
  static const char *const ro[] = {"Describe", "List", "Get", "Query", "Check", NULL};
  size_t i;
  if (!action) return 1;
  for (i = 0; ro[i]; i++) {
    size_t n = strlen(ro[i]);
    unsigned char next;
    if (strncmp(action, ro[i], n) != 0) continue;
    next = (unsigned char)action[n]; /* in bounds: the prefix matched */
    if (next == '\0' || isupper(next) || isdigit(next)) return 0;
  }
  return 1;
}
