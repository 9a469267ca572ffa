/* http.c - the libcurl multi engine (see http.h).
 *
 * One CURLM per engine drives every transfer; its connection pool gives
 * keep-alive reuse across requests. Each transfer in flight has an xfer
 * record (hung on req->easy) holding what curl needs to outlive the submit
 * call: the header list, the error buffer, byte counters. Finished easy
 * handles go to a small free list and are reset before reuse.
 *
 * Security: error messages name the host at most. The URL query (V1 puts
 * SecurityToken there) and the headers (V3 x-acs-security-token) never go
 * into r->err; curl's own error text is checked for them before use.
 */
#include "http.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#define HTTP_DEFAULT_CONNECT_MS 5000L
#define HTTP_DEFAULT_TIMEOUT_MS 10000L
#define HTTP_DEFAULT_MAX_RESPONSE ((size_t)8 << 20)
#define HTTP_MAX_HEADER_BYTES ((size_t)256 << 10)
#define HTTP_FREE_EASY_MAX 16

typedef struct xfer {
  struct xfer *prev, *next; /* the engine's in-flight list */
  ecs_http_req *r;
  CURL *easy;
  struct curl_slist *hdrs;
  size_t max_response;
  size_t header_bytes;
  int too_big;              /* 1: body over the cap, 2: headers over the cap,
                               3: one header line over curl's limit */
  char host[256];           /* for messages */
  char errbuf[CURL_ERROR_SIZE];
} xfer;

struct ecs_http {
  CURLM *multi;
  xfer *inflight;
  int active;
  CURL *free_easy[HTTP_FREE_EASY_MAX];
  int nfree;
};

static pthread_once_t http_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_rc = CURLE_FAILED_INIT;

static void http_global_init(void) {
  http_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static double now_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Creates an engine with its own multi handle; NULL when curl cannot be
 * initialised or memory runs out. */
ecs_http *ecs_http_new(void) {
  ecs_http *h;
  if (pthread_once(&http_once, http_global_init) != 0) return NULL;
  if (http_global_rc != CURLE_OK) return NULL;
  h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->multi = curl_multi_init();
  if (!h->multi) {
    free(h);
    return NULL;
  }
  return h;
}

/* Detaches x from the engine and frees it. The easy handle goes back to the
 * free list (or is cleaned up); the request loses its back-pointer. */
static void xfer_release(ecs_http *h, xfer *x) {
  CURLMcode mc = curl_multi_remove_handle(h->multi, x->easy);
  if (x->prev) x->prev->next = x->next;
  else h->inflight = x->next;
  if (x->next) x->next->prev = x->prev;
  h->active--;
  if (mc == CURLM_OK && h->nfree < HTTP_FREE_EASY_MAX) {
    curl_easy_reset(x->easy);
    h->free_easy[h->nfree++] = x->easy;
  } else {
    curl_easy_cleanup(x->easy);
  }
  curl_slist_free_all(x->hdrs);
  if (x->r) x->r->easy = NULL;
  free(x);
}

void ecs_http_free(ecs_http *h) {
  int i;
  if (!h) return;
  while (h->inflight) xfer_release(h, h->inflight);
  for (i = 0; i < h->nfree; i++) curl_easy_cleanup(h->free_easy[i]);
  curl_multi_cleanup(h->multi);
  free(h);
}

void ecs_http_req_init(ecs_http_req *r) {
  memset(r, 0, sizeof *r);
  ecs_params_init(&r->headers);
  ecs_buf_init(&r->body);
  ecs_params_init(&r->resp_headers);
  ecs_buf_init(&r->resp_body);
  ecs_error_init(&r->err);
}

void ecs_http_req_reset_output(ecs_http_req *r) {
  r->status = 0;
  ecs_params_free(&r->resp_headers);
  ecs_buf_free(&r->resp_body);
  ecs_error_free(&r->err);
  r->failed = 0;
  r->elapsed = 0;
}

/* Frees a request. The URL, header values and body may carry secrets (V1
 * SecurityToken in the query, V3 x-acs-security-token), so they are wiped. */
void ecs_http_req_free(ecs_http_req *r) {
  size_t i;
  free(r->method);
  ecs_free_secret(r->url);
  for (i = 0; i < r->headers.n; i++) {
    ecs_free_secret(r->headers.v[i].value);
    r->headers.v[i].value = NULL;
  }
  ecs_params_free(&r->headers);
  ecs_buf_wipe(&r->body);
  free(r->ca_file);
  ecs_http_req_reset_output(r);
  ecs_http_req_init(r);
}

int ecs_http_active(const ecs_http *h) { return h ? h->active : 0; }

/* 1 when host (as CURLU returns it: IPv6 in brackets) is a loopback name or
 * address: localhost, 127.0.0.0/8, ::1. */
static int host_is_loopback(const char *host) {
  char tmp[64];
  size_t n = strlen(host);
  struct in_addr a4;
  struct in6_addr a6;
  if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0)
    return 1;
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof tmp) {
    memcpy(tmp, host + 1, n - 2);
    tmp[n - 2] = '\0';
    return inet_pton(AF_INET6, tmp, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
  }
  if (inet_pton(AF_INET, host, &a4) == 1)
    return (ntohl(a4.s_addr) >> 24) == 127;
  if (inet_pton(AF_INET6, host, &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
  return 0;
}

/* Checks r->url before any network activity: http or https only, and plain
 * http only to loopback unless r->insecure_http. Copies the host name into
 * host for messages and sets *loopback. Returns 0, or -1 with r->err set
 * (ECONFIG). The message never contains the URL itself. */
static int check_url(ecs_http_req *r, char *host, size_t hostlen, int *loopback) {
  CURLU *u;
  char *scheme = NULL, *uhost = NULL;
  int rc = -1;
  host[0] = '\0';
  if (!r->url) {
    ecs_error_set(&r->err, ECS_KIND_CONFIG, "ECONFIG", "request has no URL");
    return -1;
  }
  u = curl_url();
  if (!u) {
    ecs_error_set(&r->err, ECS_KIND_CONFIG, "ECONFIG", "out of memory parsing URL");
    return -1;
  }
  if (curl_url_set(u, CURLUPART_URL, r->url, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &uhost, 0) != CURLUE_OK) {
    ecs_error_set(&r->err, ECS_KIND_CONFIG, "ECONFIG", "malformed request URL");
    goto out;
  }
  snprintf(host, hostlen, "%s", uhost);
  *loopback = host_is_loopback(uhost);
  if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
    ecs_error_set(&r->err, ECS_KIND_CONFIG, "ECONFIG",
                  "unsupported URL scheme for %s (http or https only)", host);
    goto out;
  }
  if (strcmp(scheme, "http") == 0 && !*loopback && !r->insecure_http) {
    ecs_error_set(&r->err, ECS_KIND_CONFIG, "ECONFIG",
                  "refusing plain http:// to %s: credentials would travel "
                  "unencrypted (use https, or allow insecure http explicitly)", host);
    goto out;
  }
  rc = 0;
out:
  curl_free(scheme);
  curl_free(uhost);
  curl_url_cleanup(u);
  return rc;
}

/* Header callback: collects "name: value" lines lower-cased into
 * resp_headers; a new status line (after 1xx or an auth round) starts
 * afresh. Enforces the total header byte cap. */
static size_t on_header(char *p, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  ecs_http_req *r = x->r;
  size_t n = size * nmemb, nl, vs, ve, i;
  char name[128];
  x->header_bytes += n;
  if (x->header_bytes > HTTP_MAX_HEADER_BYTES) {
    x->too_big = 2;
    return 0;
  }
  if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
    ecs_params_free(&r->resp_headers);
    return n;
  }
  for (nl = 0; nl < n && p[nl] != ':'; nl++) {}
  if (nl == 0 || nl == n || nl >= sizeof name) return n; /* blank line, folding */
  for (i = 0; i < nl; i++)
    name[i] = (p[i] >= 'A' && p[i] <= 'Z') ? (char)(p[i] + 32) : p[i];
  name[nl] = '\0';
  for (vs = nl + 1; vs < n && (p[vs] == ' ' || p[vs] == '\t'); vs++) {}
  for (ve = n; ve > vs && (p[ve - 1] == '\r' || p[ve - 1] == '\n' ||
                           p[ve - 1] == ' ' || p[ve - 1] == '\t'); ve--) {}
  if (ecs_params_addn(&r->resp_headers, name, nl, p + vs, ve - vs) < 0) return 0;
  return n;
}

/* Write callback: appends to resp_body, refusing to grow past max_response. */
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud) {
  xfer *x = ud;
  size_t n = size * nmemb;
  if (n > x->max_response || x->r->resp_body.len > x->max_response - n) {
    x->too_big = 1;
    return 0;
  }
  if (ecs_buf_add(&x->r->resp_body, p, n) < 0) return 0;
  return n;
}

/* Builds the curl header list from r->headers. Suppresses the headers curl
 * would add on its own (Content-Type for POST bodies, Expect: 100-continue)
 * unless the request sets them. Returns 0 or -1 (out of memory). */
static int build_headers(xfer *x, const ecs_http_req *r) {
  ecs_buf line;
  size_t i;
  int rc = 0;
  ecs_buf_init(&line);
  for (i = 0; i < r->headers.n && rc == 0; i++) {
    const ecs_pair *hp = &r->headers.v[i];
    struct curl_slist *s;
    ecs_buf_reset(&line);
    /* "name;" is curl's way to send a header with an empty value */
    if (ecs_buf_addf(&line, hp->value[0] ? "%s: %s" : "%s;", hp->name,
                     hp->value) < 0 ||
        !(s = curl_slist_append(x->hdrs, ecs_buf_cstr(&line))))
      rc = -1;
    else
      x->hdrs = s;
  }
  ecs_buf_wipe(&line); /* held a header value, possibly a token */
  if (rc == 0 && !ecs_params_geti(&r->headers, "content-type")) {
    struct curl_slist *s = curl_slist_append(x->hdrs, "Content-Type:");
    if (!s) return -1;
    x->hdrs = s;
  }
  if (rc == 0 && !ecs_params_geti(&r->headers, "expect")) {
    struct curl_slist *s = curl_slist_append(x->hdrs, "Expect:");
    if (!s) return -1;
    x->hdrs = s;
  }
  return rc;
}

/* Sets every option of one transfer. Returns CURLE_OK or the first failing
 * code. */
static CURLcode setup_easy(xfer *x, ecs_http_req *r, int loopback) {
  CURL *e = x->easy;
  CURLcode c = CURLE_OK;
  long cto = r->connect_timeout_ms > 0 ? r->connect_timeout_ms : HTTP_DEFAULT_CONNECT_MS;
  long to = r->timeout_ms > 0 ? r->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
  const char *method = r->method ? r->method : "GET";
#define SET(opt, val) if (c == CURLE_OK) c = curl_easy_setopt(e, opt, val)
  SET(CURLOPT_URL, r->url);
  SET(CURLOPT_PRIVATE, (void *)x);
  SET(CURLOPT_NOSIGNAL, 1L);
  SET(CURLOPT_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  SET(CURLOPT_FOLLOWLOCATION, 0L);
  SET(CURLOPT_CONNECTTIMEOUT_MS, cto);
  SET(CURLOPT_TIMEOUT_MS, to);
  SET(CURLOPT_SSL_VERIFYPEER, 1L);
  SET(CURLOPT_SSL_VERIFYHOST, 2L);
  if (r->ca_file) SET(CURLOPT_CAINFO, r->ca_file);
  if (loopback) SET(CURLOPT_PROXY, ""); /* loopback never goes through a proxy */
  SET(CURLOPT_ERRORBUFFER, x->errbuf);
  SET(CURLOPT_WRITEFUNCTION, on_body);
  SET(CURLOPT_WRITEDATA, (void *)x);
  SET(CURLOPT_HEADERFUNCTION, on_header);
  SET(CURLOPT_HEADERDATA, (void *)x);
  SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max_response);
  SET(CURLOPT_TCP_KEEPALIVE, 1L);
  SET(CURLOPT_HTTPHEADER, x->hdrs);
  if (strcmp(method, "GET") == 0) {
    SET(CURLOPT_HTTPGET, 1L);
  } else {
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
    SET(CURLOPT_POSTFIELDS, r->body.len ? r->body.data : "");
    if (strcmp(method, "POST") != 0) SET(CURLOPT_CUSTOMREQUEST, method);
  }
#undef SET
  return c;
}

/* Starts a transfer: checks the URL (no network before that), prepares an
 * easy handle and adds it to the multi handle. Returns 0, or -1 with r->err
 * set and no callback to come. */
int ecs_http_submit(ecs_http *h, ecs_http_req *r) {
  xfer *x;
  int loopback = 0;
  CURLcode c;
  CURLMcode mc;
  ecs_http_req_reset_output(r);
  r->easy = NULL;
  r->t_start = now_mono();
  x = calloc(1, sizeof *x);
  if (!x) {
    r->failed = 1;
    return ecs_error_set(&r->err, ECS_KIND_TRANSPORT, "EHTTP", "out of memory");
  }
  x->r = r;
  x->max_response = r->max_response ? r->max_response : HTTP_DEFAULT_MAX_RESPONSE;
  if (check_url(r, x->host, sizeof x->host, &loopback) < 0) goto fail;
  x->easy = h->nfree ? h->free_easy[--h->nfree] : curl_easy_init();
  if (!x->easy) {
    ecs_error_set(&r->err, ECS_KIND_TRANSPORT, "EHTTP", "curl_easy_init failed");
    goto fail;
  }
  if (build_headers(x, r) < 0) {
    ecs_error_set(&r->err, ECS_KIND_TRANSPORT, "EHTTP", "out of memory");
    goto fail;
  }
  if ((c = setup_easy(x, r, loopback)) != CURLE_OK) {
    ecs_error_set(&r->err, ECS_KIND_CONFIG, "ECONFIG",
                  "cannot configure request to %s: %s", x->host, curl_easy_strerror(c));
    goto fail;
  }
  if ((mc = curl_multi_add_handle(h->multi, x->easy)) != CURLM_OK) {
    ecs_error_set(&r->err, ECS_KIND_TRANSPORT, "EHTTP",
                  "cannot start request to %s: %s", x->host, curl_multi_strerror(mc));
    goto fail;
  }
  x->next = h->inflight;
  if (h->inflight) h->inflight->prev = x;
  h->inflight = x;
  h->active++;
  r->easy = x;
  return 0;
fail:
  if (x->easy) {
    curl_easy_reset(x->easy);
    if (h->nfree < HTTP_FREE_EASY_MAX) h->free_easy[h->nfree++] = x->easy;
    else curl_easy_cleanup(x->easy);
  }
  curl_slist_free_all(x->hdrs);
  free(x);
  r->failed = 1;
  return -1;
}

/* 1 when s contains any secret-bearing part of the request: a query
 * parameter value or a header value of 6+ characters, or the whole query. */
static int leaks_request(const char *s, const ecs_http_req *r) {
  const char *q = r->url ? strchr(r->url, '?') : NULL;
  size_t i;
  if (q) {
    const char *seg = q + 1;
    if (*seg && strstr(s, seg)) return 1;
    while (*seg) {
      const char *end = strchr(seg, '&'), *eq;
      size_t len = end ? (size_t)(end - seg) : strlen(seg);
      eq = memchr(seg, '=', len);
      if (eq) {
        size_t vl = len - (size_t)(eq + 1 - seg);
        if (vl >= 6) {
          char tmp[4096];
          if (vl >= sizeof tmp) return 1; /* cannot check: be safe */
          memcpy(tmp, eq + 1, vl);
          tmp[vl] = '\0';
          if (strstr(s, tmp)) return 1;
        }
      }
      seg += len;
      if (*seg == '&') seg++;
    }
  }
  for (i = 0; i < r->headers.n; i++)
    if (strlen(r->headers.v[i].value) >= 6 && strstr(s, r->headers.v[i].value))
      return 1;
  return 0;
}

/* Fills r->err for a failed transfer from curl's result code. sent: bytes of
 * request already issued, which makes timeouts and resets ambiguous. */
static void map_error(xfer *x, CURLcode res, int sent) {
  ecs_http_req *r = x->r;
  const char *why = x->errbuf[0] && !leaks_request(x->errbuf, r) ? x->errbuf
                                                               : curl_easy_strerror(res);
  const char *code = "EHTTP";
  int retryable = 1, ambiguous = sent;
  switch (res) {
    case CURLE_OPERATION_TIMEDOUT:
      code = "ETIMEDOUT";
      break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      code = "ECONNECT";
      ambiguous = 0;
      break;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
      code = "ERESET";
      break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      code = "ETLS";
      retryable = 0;
      break;
    case CURLE_FILESIZE_EXCEEDED:
      code = "ETOOBIG";
      break;
    case CURLE_WRITE_ERROR:
      if (x->too_big) code = "ETOOBIG";
      break;
    case CURLE_OUT_OF_MEMORY:
      /* libcurl < 8.6 says this when one header line (or the status line)
       * passes CURL_MAX_HTTP_HEADER: an answer is arriving, no body yet */
      if (sent && r->resp_body.len == 0) {
        code = "ETOOBIG";
        x->too_big = 3;
      }
      break;
#if LIBCURL_VERSION_NUM >= 0x080600
    case CURLE_TOO_LARGE:
      code = "ETOOBIG";
      x->too_big = 3;
      break;
#endif
    default:
      break;
  }
  if (strcmp(code, "ETOOBIG") == 0) {
    if (x->too_big == 3)
      ecs_error_set(&r->err, ECS_KIND_TRANSPORT, code,
                    "a response header line from %s exceeds %d bytes", x->host,
                    CURL_MAX_HTTP_HEADER);
    else
      ecs_error_set(&r->err, ECS_KIND_TRANSPORT, code,
                    x->too_big == 2 ? "response headers from %s exceed %zu bytes"
                                    : "response from %s exceeds %zu bytes",
                    x->host, x->too_big == 2 ? HTTP_MAX_HEADER_BYTES : x->max_response);
    retryable = 0; /* the same answer would come again */
    ambiguous = 1; /* the server answered */
  } else if (strcmp(code, "ETLS") == 0) {
    ecs_error_set(&r->err, ECS_KIND_TRANSPORT, code, "TLS error with %s: %s", x->host, why);
  } else {
    ecs_error_set(&r->err, ECS_KIND_TRANSPORT, code, "%s: %s", x->host, why);
  }
  r->err.status = (int)r->status;
  r->err.retryable = retryable;
  r->err.ambiguous = ambiguous;
  r->failed = 1;
}

/* Handles one finished transfer: reads the result and info from curl while
 * the handle is still attached, releases it, then calls done (after which
 * the request must not be touched: the callback may free it). */
static void complete(ecs_http *h, CURL *easy, CURLcode res) {
  xfer *x = NULL;
  ecs_http_req *r;
  long status = 0;
  curl_off_t reqsize = 0;
  ecs_http_done_fn done;
  void *ud;
  if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x) != CURLE_OK || !x) {
    curl_multi_remove_handle(h->multi, easy); /* not ours: cannot happen */
    return;
  }
  r = x->r;
  if (curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) status = 0;
  if (curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &reqsize) != CURLE_OK) reqsize = 0;
  r->status = status;
  r->elapsed = now_mono() - r->t_start;
  if (res != CURLE_OK) map_error(x, res, reqsize > 0 || status > 0);
  done = r->done;
  ud = r->ud;
  xfer_release(h, x);
  if (done) done(r, ud);
}

/* Collects finished transfers from curl and completes each. */
static int drain(ecs_http *h) {
  CURLMsg *m;
  int left, n = 0;
  while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
    if (m->msg != CURLMSG_DONE) continue;
    complete(h, m->easy_handle, m->data.result); /* fields read before removal */
    n++;
  }
  return n;
}

/* Drives transfers: one pass, and if nothing finished, a wait of up to
 * timeout_ms for activity and another pass. Done callbacks run from here. */
int ecs_http_run(ecs_http *h, long timeout_ms) {
  int running;
  CURLMcode mc;
  if ((mc = curl_multi_perform(h->multi, &running)) != CURLM_OK) return -1;
  if (drain(h) > 0) return h->active;
  if (timeout_ms > 0) {
    if ((mc = curl_multi_poll(h->multi, NULL, 0, (int)timeout_ms, NULL)) != CURLM_OK)
      return -1;
    if ((mc = curl_multi_perform(h->multi, &running)) != CURLM_OK) return -1;
    drain(h);
  }
  return h->active;
}
