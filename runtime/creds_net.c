/* creds_net.c - the credential providers that talk HTTP: STS AssumeRole
 * (RPC V1, ecs-facts 6.6) and AssumeRoleWithOIDC, the ECS metadata service
 * (IMDSv2 with v1 fallback, 6.5) and credentials URIs (6.3).
 *
 * One blocking exchange at a time with curl's easy interface: the chain is
 * consulted synchronously, so a refresh happens once however many callers
 * are waiting behind it. Answers are parsed with cJSON; an answer that is
 * not JSON is described ("HTTP 404, text/html, 120 bytes"), never quoted,
 * and STS messages are cut before the string to sign the service echoes.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "creds_internal.h"
#include "encode.h"
#include "file.h"
#include "http.h"
#include "json.h"
#include "sign.h"

#define MAX_ANSWER (1024 * 1024)
#define IMDS_DEFAULT "http://100.100.100.200"
#define IMDS_TOKEN_TTL "21600"
#define STS_VERSION "2015-04-01"

/* "scheme://host[:port]" of url for messages (never a path or query). */
static void url_origin(const char *url, char *out, size_t n) {
  const char *p = strstr(url, "://"), *e, *at, *h;
  p = p ? p + 3 : url;
  e = p + strcspn(p, "/?#");
  at = memchr(p, '@', (size_t)(e - p)); /* user info may hold a password */
  h = at ? at + 1 : p;
  snprintf(out, n, "%.*s%.*s", (int)(p - url), url, (int)(e - h) > 200 ? 200 : (int)(e - h), h);
}

static void on_done(ecs_http_req *r, void *ud) {
  (void)r;
  *(int *)ud = 1;
}

/* Fills r for one exchange. 0 or -1 (out of memory). */
static int fill_req(ecs_http_req *r, const ecs_creds_net *net, const char *method,
                    const char *url, const ecs_params *headers, const char *body) {
  if (!(r->method = strdup(method)) || !(r->url = strdup(url)) ||
      (headers && ecs_params_copy(&r->headers, headers) < 0) ||
      ecs_params_add(&r->headers, "User-Agent", "ecsrun-credentials") < 0 ||
      (body && ecs_buf_adds(&r->body, body) < 0) ||
      (net && ecs_str_dup(&r->ca_file, net->ca_file) < 0))
    return -1;
  return 0;
}

int ecs_creds_http(const ecs_creds_net *net, const char *method, const char *url,
                   const ecs_params *headers, const char *body, long connect_ms,
                   long timeout_ms, int metadata, long *status, ecs_buf *resp, ecs_buf *why) {
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  int done = 0, rc = -1;
  *status = 0;
  ecs_http_req_init(&r);
  if (!h) return ecs_buf_adds(why, "cannot initialise libcurl"), -1;
  if (fill_req(&r, net, method, url, headers, body) < 0) {
    ecs_buf_adds(why, "out of memory");
    goto out;
  }
  r.connect_timeout_ms = connect_ms;
  r.timeout_ms = timeout_ms;
  r.max_response = MAX_ANSWER;
  /* the fixed metadata address is plain http by design; nothing else is */
  r.insecure_http = metadata == ECS_IMDS_FIXED || (net && net->insecure_http);
  r.no_proxy = metadata != 0;
  r.done = on_done;
  r.ud = &done;
  if (ecs_http_submit(h, &r) < 0) {
    ecs_buf_adds(why, r.err.message ? r.err.message : "request refused");
    rc = r.err.kind == ECS_KIND_CONFIG ? ECS_CREDS_REFUSED : -1;
    goto out;
  }
  while (!done && ecs_http_run(h, 1000) >= 0) {}
  if (!done || r.failed) {
    ecs_buf_adds(why, done && r.err.message ? r.err.message : "transfer failed");
    goto out;
  }
  *status = r.status;
  if (ecs_buf_add(resp, r.resp_body.data ? r.resp_body.data : "", r.resp_body.len) < 0) {
    ecs_buf_adds(why, "out of memory");
    goto out;
  }
  rc = 0;
out:
  ecs_http_free(h); /* first: it aborts a transfer still in flight */
  ecs_buf_wipe(&r.resp_body); /* keys and tokens */
  ecs_http_req_free(&r);
  return rc;
}

/* Describes an answer without quoting it. */
static void describe_answer(ecs_buf *why, long status, const ecs_buf *body) {
  ecs_buf_addf(why, "HTTP %ld, %zu bytes that are not a JSON object", status, body->len);
}

int ecs_creds_from_json_doc(const char *body, size_t n, int need_token, const char *what,
                            ecs_creds *out, ecs_buf *why) {
  cJSON *j = ecs_json_parse(body, n);
  const char *code, *id, *sec, *tok, *exp;
  double e = 0;
  int rc = -1;
  if (!cJSON_IsObject(j)) {
    ecs_buf_addf(why, "%s: answer is not a JSON object", what);
    goto done;
  }
  code = ecs_json_str(j, "Code");
  id = ecs_json_str(j, "AccessKeyId");
  sec = ecs_json_str(j, "AccessKeySecret");
  tok = ecs_json_str(j, "SecurityToken");
  exp = ecs_json_str(j, "Expiration");
  if (code && strcmp(code, "Success") != 0) {
    ecs_buf_addf(why, "%s: Code is \"%.60s\", not \"Success\"", what, code);
    goto done;
  }
  if (!id || !*id || !sec || !*sec || (need_token && (!tok || !*tok))) {
    ecs_buf_addf(why, "%s: answer lacks AccessKeyId, AccessKeySecret%s", what,
                 need_token ? " or SecurityToken" : "");
    goto done;
  }
  if (exp && (e = ecs_creds_parse_time(exp)) < 0) {
    ecs_buf_addf(why, "%s: invalid Expiration \"%.40s\"", what, exp);
    goto done;
  }
  rc = ecs_creds_take(out, id, sec, tok, e, why);
done:
  cJSON_Delete(j);
  return rc;
}

/* ----------------------------------------------------------------- STS */

/* Appends msg to why without the "server string to sign" echo (it quotes
 * the request, token included), cut at 200 characters, printable only. */
static void add_message(ecs_buf *why, const char *msg) {
  const char *cut = strstr(msg, " server string to sign");
  size_t n = cut ? (size_t)(cut - msg) : strlen(msg), i;
  if (n > 200) n = 200;
  for (i = 0; i < n; i++) ecs_buf_addc(why, isprint((unsigned char)msg[i]) ? msg[i] : '?');
}

/* Reads the OIDC token file (at most 64 KiB, trailing whitespace dropped).
 * Heap or NULL with why. */
static char *read_token(const char *path, ecs_buf *why) {
  ecs_buf b;
  int rc;
  ecs_buf_init(&b);
  if ((rc = ecs_file_read(path, 64 * 1024, &b)) != 0) {
    if (rc == ECS_FILE_TOO_LARGE) ecs_buf_addf(why, "the OIDC token file %s is larger than 64 KiB", path);
    else ecs_buf_addf(why, "cannot read the OIDC token file %s", path);
    return NULL;
  }
  while (b.len && isspace((unsigned char)b.data[b.len - 1])) b.data[--b.len] = '\0';
  if (!b.len) {
    ecs_buf_addf(why, "the OIDC token file %s is empty", path);
    ecs_buf_wipe(&b);
    return NULL;
  }
  return ecs_buf_steal(&b);
}

/* Builds query and form body for the STS call. 0 or -1 (why set). */
static int sts_params(const ecs_src *s, const ecs_creds *src, ecs_params *q, ecs_params *f,
                      ecs_buf *why) {
  char date[21], nonce[33], dur[24];
  char *tok = NULL;
  int rc = 0;
  ecs_sign_timestamp(date);
  snprintf(dur, sizeof dur, "%ld", s->duration);
  if (ecs_sign_random_hex(nonce, 16) < 0) return ecs_buf_adds(why, "no randomness"), -1;
  rc |= ecs_params_add(q, "Action", src ? "AssumeRole" : "AssumeRoleWithOIDC");
  rc |= ecs_params_add(q, "Format", "JSON");
  rc |= ecs_params_add(q, "Version", STS_VERSION);
  rc |= ecs_params_add(q, "Timestamp", date);
  if (src) {
    rc |= ecs_params_add(q, "SignatureMethod", "HMAC-SHA1");
    rc |= ecs_params_add(q, "SignatureVersion", "1.0");
    rc |= ecs_params_add(q, "SignatureNonce", nonce);
    rc |= ecs_params_add(q, "AccessKeyId", src->access_key_id);
    if (src->security_token) rc |= ecs_params_add(q, "SecurityToken", src->security_token);
  } else {
    if (!(tok = read_token(s->oidc_token_file, why))) return -1;
    rc |= ecs_params_add(f, "OIDCProviderArn", s->oidc_provider_arn);
    rc |= ecs_params_add(f, "OIDCToken", tok);
    ecs_free_secret(tok);
  }
  rc |= ecs_params_add(f, "RoleArn", s->role_arn);
  if (s->policy) rc |= ecs_params_add(f, "Policy", s->policy);
  if (s->external_id && src) rc |= ecs_params_add(f, "ExternalId", s->external_id);
  rc |= ecs_params_add(f, "RoleSessionName", s->session);
  rc |= ecs_params_add(f, "DurationSeconds", dur);
  if (rc) ecs_buf_adds(why, "out of memory");
  return rc ? -1 : 0;
}


/* The URL (query signed when src) and form body of the STS request. */
static int sts_request(const ecs_src *s, const ecs_creds *src, ecs_buf *url, ecs_buf *body,
                       ecs_buf *why) {
  ecs_params q, f, all;
  ecs_sign_v1_out so;
  size_t i;
  int rc = -1;
  ecs_params_init(&q);
  ecs_params_init(&f);
  ecs_params_init(&all);
  memset(&so, 0, sizeof so);
  if (sts_params(s, src, &q, &f, why) < 0) goto done;
  if (ecs_buf_addf(url, "%s/?", s->sts_endpoint) < 0 || ecs_encode_canonical_query(url, &q) < 0 ||
      ecs_encode_canonical_query(body, &f) < 0)
    goto oom;
  if (src) {
    if (ecs_params_copy(&all, &q) < 0) goto oom;
    for (i = 0; i < f.n; i++)
      if (ecs_params_add(&all, f.v[i].name, f.v[i].value) < 0) goto oom;
    if (ecs_sign_v1("POST", &all, src->access_key_secret, &so) < 0) goto oom;
    if (ecs_buf_adds(url, "&Signature=") < 0 ||
        ecs_encode_pct(url, so.signature, strlen(so.signature)) < 0)
      goto oom;
  }
  rc = 0;
  goto done;
oom:
  ecs_buf_adds(why, "out of memory");
done:
  ecs_sign_v1_out_free(&so);
  ecs_params_wipe(&q);
  ecs_params_wipe(&f);
  ecs_params_wipe(&all);
  return rc;
}

int ecs_creds_sts_assume(const ecs_creds_net *net, const ecs_src *s, const ecs_creds *src,
                   ecs_creds *out, ecs_buf *why) {
  const char *action = src ? "AssumeRole" : "AssumeRoleWithOIDC";
  ecs_buf url, body, resp;
  ecs_params h;
  long status = 0;
  cJSON *j = NULL;
  int rc = -1;
  ecs_buf_init(&url);
  ecs_buf_init(&body);
  ecs_buf_init(&resp);
  ecs_params_init(&h);
  if (sts_request(s, src, &url, &body, why) < 0) goto done;
  if (ecs_params_add(&h, "Content-Type", "application/x-www-form-urlencoded") < 0 ||
      ecs_params_add(&h, "Accept", "application/json") < 0 ||
      ecs_params_add(&h, "x-acs-credentials-provider", s->name) < 0) {
    ecs_buf_adds(why, "out of memory");
    goto done;
  }
  if ((rc = ecs_creds_http(net, "POST", ecs_buf_cstr(&url), &h, ecs_buf_cstr(&body), 5000,
                           10000, 0, &status, &resp, why)) < 0) {
    ecs_buf_addf(why, " (STS %s for %s)", action, s->role_arn);
    goto done;
  }
  rc = -1;
  j = ecs_json_parse(resp.data, resp.len);
  if (!cJSON_IsObject(j)) {
    ecs_buf_addf(why, "STS %s for %s: ", action, s->role_arn);
    describe_answer(why, status, &resp);
    goto done;
  }
  if (status != 200) {
    const char *code = ecs_json_str(j, "Code"), *msg = ecs_json_str(j, "Message");
    ecs_buf_addf(why, "STS %s for %s failed: %.80s (HTTP %ld)%s", action, s->role_arn,
                 code ? code : "no error code", status, msg ? ": " : "");
    if (msg) add_message(why, msg);
    goto done;
  }
  {
    const cJSON *cr = cJSON_GetObjectItemCaseSensitive(j, "Credentials");
    char *txt = cr ? cJSON_PrintUnformatted(cr) : NULL;
    ecs_buf what;
    ecs_buf_init(&what);
    ecs_buf_addf(&what, "STS %s for %s", action, s->role_arn);
    if (!txt) ecs_buf_addf(why, "%s: answer has no Credentials", ecs_buf_cstr(&what));
    else rc = ecs_creds_from_json_doc(txt, strlen(txt), 1, ecs_buf_cstr(&what), out, why);
    ecs_free_secret(txt);
    ecs_buf_free(&what);
  }
done:
  cJSON_Delete(j);
  ecs_buf_wipe(&url);
  ecs_buf_wipe(&body);
  ecs_buf_wipe(&resp);
  ecs_params_free(&h);
  return rc;
}

/* ------------------------------------------------------- metadata (IMDS) */

/* Where the metadata service is and how it may be reached. */
typedef struct imds_at {
  char base[512];            /* without a trailing slash */
  int kind;                  /* ECS_IMDS_FIXED or ECS_IMDS_OVERRIDDEN */
  const ecs_creds_net *net;
} imds_at;

/* The metadata base URL: ECSRUN_METADATA_ENDPOINT (which follows the URL
 * policy), else the fixed address (plain http allowed). */
static void imds_base(imds_at *at, const ecs_creds_net *net) {
  const char *e = ecs_creds_env("ECSRUN_METADATA_ENDPOINT");
  size_t len;
  snprintf(at->base, sizeof at->base, "%s", e ? e : IMDS_DEFAULT);
  len = strlen(at->base);
  while (len && at->base[len - 1] == '/') at->base[--len] = '\0';
  at->kind = e ? ECS_IMDS_OVERRIDDEN : ECS_IMDS_FIXED;
  at->net = net;
}

/* GET base+path with the token header when token. 0 with status/resp. */
static int imds_get(const imds_at *at, const char *path, const char *token, long *status,
                    ecs_buf *resp, ecs_buf *why) {
  ecs_params h;
  ecs_buf url;
  int rc;
  ecs_params_init(&h);
  ecs_buf_init(&url);
  if (ecs_buf_addf(&url, "%s%s", at->base, path) < 0 ||
      (token && ecs_params_add(&h, "X-aliyun-ecs-metadata-token", token) < 0)) {
    ecs_buf_free(&url);
    ecs_params_free(&h);
    return ecs_buf_adds(why, "out of memory"), -1;
  }
  rc = ecs_creds_http(at->net, "GET", ecs_buf_cstr(&url), &h, NULL, 1000, 2000, at->kind, status,
                      resp, why);
  ecs_buf_free(&url);
  ecs_params_wipe(&h);
  return rc;
}

/* IMDSv2 token into *token (heap). 0 ok; 1 the service answered but gave
 * no token (v1 may be tried); -1 unreachable, ECS_CREDS_REFUSED (why set). */
static int imds_token(const imds_at *at, char **token, ecs_buf *why) {
  ecs_params h;
  ecs_buf url, resp;
  long status = 0;
  int rc;
  *token = NULL;
  ecs_params_init(&h);
  ecs_buf_init(&url);
  ecs_buf_init(&resp);
  if (ecs_buf_addf(&url, "%s/latest/api/token", at->base) < 0 ||
      ecs_params_add(&h, "X-aliyun-ecs-metadata-token-ttl-seconds", IMDS_TOKEN_TTL) < 0) {
    rc = -1;
    ecs_buf_adds(why, "out of memory");
  } else if ((rc = ecs_creds_http(at->net, "PUT", ecs_buf_cstr(&url), &h, "", 1000, 2000,
                                  at->kind, &status, &resp, why)) < 0) {
    /* rc: -1 or ECS_CREDS_REFUSED */
  } else if (status != 200 || resp.len == 0 || resp.len > 1024) {
    ecs_buf_addf(why, "metadata token (IMDSv2) refused: HTTP %ld", status);
    rc = 1;
  } else {
    while (resp.len && isspace((unsigned char)resp.data[resp.len - 1]))
      resp.data[--resp.len] = '\0';
    *token = ecs_buf_steal(&resp);
    rc = *token ? 0 : -1;
  }
  ecs_buf_free(&url);
  ecs_buf_wipe(&resp);
  ecs_params_free(&h);
  return rc;
}

/* Discovers the instance's role name. Heap or NULL (why set). */
static char *imds_role(const imds_at *at, const char *token, ecs_buf *why) {
  ecs_buf resp;
  long status;
  char *role = NULL;
  size_t n;
  ecs_buf_init(&resp);
  if (imds_get(at, "/latest/meta-data/ram/security-credentials/", token, &status, &resp,
               why) < 0)
    goto done;
  if (status == 404) {
    ecs_buf_adds(why, "metadata 404 for the role list: no RAM role is attached to this instance");
    goto done;
  }
  if (status != 200) {
    ecs_buf_addf(why, "metadata role discovery answered HTTP %ld", status);
    goto done;
  }
  n = strcspn(ecs_buf_cstr(&resp), "\r\n");
  while (n && isspace((unsigned char)resp.data[n - 1])) n--;
  if (!n || n > 128 || memchr(resp.data, '<', n) || memchr(resp.data, '/', n)) {
    ecs_buf_adds(why, "metadata role discovery gave no usable role name");
    goto done;
  }
  role = strndup(resp.data, n);
done:
  ecs_buf_free(&resp);
  return role;
}

int ecs_creds_imds_fetch(const ecs_creds_net *net, const char *role_name, ecs_creds *out,
                   ecs_buf *why) {
  imds_at at;
  char *token = NULL, *role = NULL;
  ecs_buf resp, path, w2;
  long status;
  int rc = -1, t;
  imds_base(&at, net);
  ecs_buf_init(&resp);
  ecs_buf_init(&path);
  ecs_buf_init(&w2);
  t = imds_token(&at, &token, &w2);
  if (t == ECS_CREDS_REFUSED) {
    ecs_buf_adds(why, ecs_buf_cstr(&w2));
    rc = t;
    goto done;
  }
  if (t < 0) {
    ecs_buf_addf(why, "metadata service unreachable: %s", ecs_buf_cstr(&w2));
    goto done;
  }
  if (t > 0 && ecs_creds_env_true("ALIBABA_CLOUD_IMDSV1_DISABLED")) {
    ecs_buf_addf(why, "%s, and the IMDSv1 fallback is disabled by ALIBABA_CLOUD_IMDSV1_DISABLED",
                 ecs_buf_cstr(&w2));
    goto done;
  }
  if (role_name) role = strdup(role_name);
  else if (!(role = imds_role(&at, token, why))) goto done;
  if (!role || ecs_buf_adds(&path, "/latest/meta-data/ram/security-credentials/") < 0 ||
      ecs_encode_pct(&path, role, strlen(role)) < 0) {
    ecs_buf_adds(why, "out of memory");
    goto done;
  }
  if (imds_get(&at, ecs_buf_cstr(&path), token, &status, &resp, why) < 0) goto done;
  if (status == 404) {
    ecs_buf_addf(why, "metadata 404 for role \"%.128s\"", role);
    goto done;
  }
  if (status != 200) {
    ecs_buf_addf(why, "metadata HTTP %ld for role \"%.128s\"", status, role);
    goto done;
  }
  {
    char what[200]; /* the role is cut at 128 */
    snprintf(what, sizeof what, "metadata credentials for role \"%.128s\"", role);
    rc = ecs_creds_from_json_doc(resp.data, resp.len, 1, what, out, why);
  }
done:
  ecs_free_secret(token);
  free(role);
  ecs_buf_wipe(&resp);
  ecs_buf_free(&path);
  ecs_buf_free(&w2);
  return rc;
}

/* --------------------------------------------------------------- URI */

int ecs_creds_uri_fetch(const ecs_creds_net *net, const char *url, ecs_creds *out, ecs_buf *why) {
  ecs_buf resp;
  long status;
  char origin[256];
  int rc = -1;
  url_origin(url, origin, sizeof origin);
  ecs_buf_init(&resp);
  if ((rc = ecs_creds_http(net, "GET", url, NULL, NULL, 5000, 10000, 0, &status, &resp, why)) < 0)
    goto done;
  rc = -1;
  if (status != 200) {
    ecs_buf_addf(why, "credentials URI %s answered HTTP %ld", origin, status);
    goto done;
  }
  {
    char what[sizeof origin + 20];
    snprintf(what, sizeof what, "credentials URI %s", origin);
    rc = ecs_creds_from_json_doc(resp.data, resp.len, 1, what, out, why);
  }
done:
  ecs_buf_wipe(&resp);
  return rc;
}
