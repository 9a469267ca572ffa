/* http.c - the libcurl multi engine (see http.h).
 *
 * One CURLM per engine drives every transfer; its connection pool gives
 * keep-alive reuse across requests. Each transfer in flight has an xfer
 * record (hung on req->easy) holding what curl needs to outlive the submit
 * call: the header list, the error buffer, byte counters. Finished easy
 * handles go to a free list (up to HTTP_FREE_EASY_MAX, more than the
 * largest useful concurrency) and are reset before reuse.
 *
 * Cost per request matters (issue 3: client CPU per call), so the engine
 * uses curl's socket interface on an epoll set rather than
 * curl_multi_perform: perform walks every transfer in flight and polls each
 * one's socket on every pass, while curl_multi_socket_action only runs the
 * transfers whose socket is ready or whose timer expired. The header list
 * is one allocation per request, and URLs whose scheme://authority was
 * checked before skip the URL parse.
 *
 * Security: error messages name the host at most. The URL query (V1 puts
 * SecurityToken there) and the headers (V3 x-acs-security-token) never go
 * into r->err; curl's own error text is checked for them before use.
 */
#include "http.h"
#include "version.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define HTTP_MAX_HEADER_BYTES ((size_t)256 << 10)
#define HTTP_FREE_EASY_MAX 512
#define HTTP_EVENTS 256             /* epoll events taken per wait */
#define HTTP_URL_CACHE_MAX 65536    /* longer URLs are always parsed in full */

typedef struct xfer {
  struct xfer *prev, *next; /* the engine's in-flight list */
  ecs_http_req *r;
  CURL *easy;
  struct curl_slist *hdrs;  /* one block of hdrs_size bytes (build_headers) */
  size_t hdrs_size;
  size_t max_response;
  size_t header_bytes;
  int too_big;              /* 1: body over the cap, 2: headers over the cap,
                               3: one header line over curl's limit */
  char host[256];           /* for messages */
  char errbuf[CURL_ERROR_SIZE];
} xfer;

struct ecs_http {
  CURLM *multi;
  int epfd;                 /* the sockets curl asked to watch */
  int timer_set;            /* curl's timer (CURLMOPT_TIMERFUNCTION) */
  double timer_at;          /* its deadline, now_mono() seconds */
  xfer *inflight;
  int active;
  CURL *free_easy[HTTP_FREE_EASY_MAX];
  int nfree;
  /* the last URL that passed check_url, up to the end of its authority
   * ("https://host:port"), with what the check found */
  char *ok_prefix;
  size_t ok_prefix_len;
  char ok_host[256];
  int ok_loopback, ok_insecure;
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

/* CURLMOPT_SOCKETFUNCTION: keeps the epoll set in step with what curl
 * wants to hear about. sockp is non-NULL once fd is in the set (curl
 * forgets it, and so the mark, when the socket goes away). */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp) {
  ecs_http *h = userp;
  struct epoll_event ev;
  (void)easy;
  if (what == CURL_POLL_REMOVE) {
    (void)epoll_ctl(h->epfd, EPOLL_CTL_DEL, fd, NULL); /* may be closed already */
    return 0;
  }
  memset(&ev, 0, sizeof ev);
  ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
  ev.data.fd = fd;
  if (sockp && epoll_ctl(h->epfd, EPOLL_CTL_MOD, fd, &ev) == 0) return 0;
  if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
      (errno != EEXIST || epoll_ctl(h->epfd, EPOLL_CTL_MOD, fd, &ev) != 0))
    return -1;
  curl_multi_assign(h->multi, fd, h);
  return 0;
}

/* CURLMOPT_TIMERFUNCTION: remembers when curl wants to run its timers. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
  ecs_http *h = userp;
  (void)multi;
  h->timer_set = timeout_ms >= 0;
  if (h->timer_set) h->timer_at = now_mono() + (double)timeout_ms / 1000.0;
  return 0;
}

/* Creates an engine with its own multi handle; NULL when curl cannot be
 * initialised or memory runs out. */
ecs_http *ecs_http_new(void) {
  ecs_http *h;
  if (pthread_once(&http_once, http_global_init) != 0) return NULL;
  if (http_global_rc != CURLE_OK) return NULL;
  h = calloc(1, sizeof *h);
  if (!h) return NULL;
  h->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (h->epfd < 0) {
    free(h);
    return NULL;
  }
  h->multi = curl_multi_init();
  if (!h->multi || curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
      curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, (void *)h) != CURLM_OK ||
      curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer) != CURLM_OK ||
      curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, (void *)h) != CURLM_OK) {
    if (h->multi) curl_multi_cleanup(h->multi);
    close(h->epfd);
    free(h);
    return NULL;
  }
  return h;
}

/* The header list: one block holding the nodes and their text (see
 * build_headers); wiped, as it may hold a token. */
static void free_headers(xfer *x) {
  if (!x->hdrs) return;
  ecs_zeroize(x->hdrs, x->hdrs_size);
  free(x->hdrs);
  x->hdrs = NULL;
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
  free_headers(x);
  if (x->r) x->r->easy = NULL;
  free(x);
}

void ecs_http_free(ecs_http *h) {
  int i;
  if (!h) return;
  while (h->inflight) xfer_release(h, h->inflight);
  for (i = 0; i < h->nfree; i++) curl_easy_cleanup(h->free_easy[i]);
  curl_multi_cleanup(h->multi);
  close(h->epfd);
  free(h->ok_prefix);
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

void ecs_http_cancel(ecs_http *h, ecs_http_req *r) {
  if (h && r && r->easy) xfer_release(h, r->easy);
}

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

/* Length of url's "scheme://authority" when the rest of it is plain
 * printable ASCII (which curl's URL parser never rejects) and the whole is
 * short; 0 otherwise: such a URL is always parsed in full. */
static size_t url_prefix_len(const char *url) {
  const char *p = url, *q;
  while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
         *p == '+' || *p == '-' || *p == '.')
    p++;
  if (p == url || strncmp(p, "://", 3) != 0) return 0;
  p += 3;
  p += strcspn(p, "/?#");
  for (q = p; *q; q++)
    if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f || q - url >= HTTP_URL_CACHE_MAX)
      return 0;
  return (size_t)(p - url);
}

/* check_url, skipping curl's URL parse when the URL starts with the
 * scheme://authority of the last URL that passed (host and loopback depend
 * on nothing else; the rest was checked by url_prefix_len). */
static int check_url_cached(ecs_http *h, ecs_http_req *r, char *host, size_t hostlen,
                            int *loopback) {
  size_t n = r->url ? url_prefix_len(r->url) : 0;
  if (n && h->ok_prefix && n == h->ok_prefix_len && memcmp(r->url, h->ok_prefix, n) == 0 &&
      (!h->ok_insecure || r->insecure_http)) {
    snprintf(host, hostlen, "%s", h->ok_host);
    *loopback = h->ok_loopback;
    return 0;
  }
  if (check_url(r, host, hostlen, loopback) < 0) return -1;
  if (n) {
    char *copy = malloc(n + 1);
    if (copy) {
      memcpy(copy, r->url, n);
      copy[n] = '\0';
      free(h->ok_prefix);
      h->ok_prefix = copy;
      h->ok_prefix_len = n;
      snprintf(h->ok_host, sizeof h->ok_host, "%s", host);
      h->ok_loopback = *loopback;
      /* plain http to elsewhere passed only because insecure_http was set */
      h->ok_insecure = !*loopback && strncasecmp(r->url, "https:", 6) != 0;
    }
  }
  return 0;
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

/* Builds the curl header list from r->headers as one block: the nodes
 * (struct curl_slist is public; curl only reads the list) followed by their
 * "name: value" texts, so a request costs one malloc, not two per header.
 * Suppresses the headers curl would add on its own (Content-Type for POST
 * bodies, Expect: 100-continue) unless the request sets them. Returns 0 or
 * -1 (out of memory). */
static int build_headers(xfer *x, const ecs_http_req *r) {
  static const char no_ctype[] = "Content-Type:", no_expect[] = "Expect:";
  int add_ctype = !ecs_params_geti(&r->headers, "content-type");
  int add_expect = !ecs_params_geti(&r->headers, "expect");
  size_t n = r->headers.n + (size_t)add_ctype + (size_t)add_expect, text = 0, i, k = 0;
  struct curl_slist *nodes;
  char *p;
  if (n == 0) return 0;
  for (i = 0; i < r->headers.n; i++)
    text += strlen(r->headers.v[i].name) + 2 + strlen(r->headers.v[i].value) + 1;
  text += (add_ctype ? sizeof no_ctype : 0) + (add_expect ? sizeof no_expect : 0);
  x->hdrs_size = n * sizeof *nodes + text;
  if (!(nodes = malloc(x->hdrs_size))) return -1;
  p = (char *)(nodes + n);
  for (i = 0; i < r->headers.n; i++) {
    const ecs_pair *hp = &r->headers.v[i];
    size_t nl = strlen(hp->name), vl = strlen(hp->value);
    nodes[k].data = p;
    memcpy(p, hp->name, nl);
    p += nl;
    if (vl) { /* "name;" is curl's way to send a header with an empty value */
      *p++ = ':';
      *p++ = ' ';
      memcpy(p, hp->value, vl);
      p += vl;
    } else {
      *p++ = ';';
    }
    *p++ = '\0';
    k++;
  }
  if (add_ctype) {
    nodes[k++].data = p;
    memcpy(p, no_ctype, sizeof no_ctype);
    p += sizeof no_ctype;
  }
  if (add_expect) {
    nodes[k++].data = p;
    memcpy(p, no_expect, sizeof no_expect);
  }
  for (i = 0; i < n; i++) nodes[i].next = i + 1 < n ? &nodes[i + 1] : NULL;
  x->hdrs = nodes;
  return 0;
}

/* Sets every option of one transfer. Returns CURLE_OK or the first failing
 * code. */
static CURLcode setup_easy(xfer *x, ecs_http_req *r, int loopback) {
  CURL *e = x->easy;
  CURLcode c = CURLE_OK;
  long cto = r->connect_timeout_ms > 0 ? r->connect_timeout_ms : ECS_DEFAULT_CONNECT_MS;
  long to = r->timeout_ms > 0 ? r->timeout_ms : ECS_DEFAULT_TIMEOUT_MS;
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
  if (loopback || r->no_proxy) SET(CURLOPT_PROXY, ""); /* loopback never goes through a proxy */
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
  x->max_response = r->max_response ? r->max_response : ECS_DEFAULT_MAX_RESPONSE;
  if (check_url_cached(h, r, x->host, sizeof x->host, &loopback) < 0) goto fail;
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
  free_headers(x);
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

/* The error code for curl's result (ETIMEDOUT, ECONNECT, ERESET, ETLS,
 * ETOOBIG or EHTTP); clears *retryable for TLS failures and *ambiguous for
 * failures to connect; sets x->too_big = 3 for a header line over curl's
 * limit. */
static const char *error_code(xfer *x, CURLcode res, int sent, int *retryable, int *ambiguous) {
  const char *code = "EHTTP";
  switch (res) {
    case CURLE_OPERATION_TIMEDOUT:
      code = "ETIMEDOUT";
      break;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      code = "ECONNECT";
      *ambiguous = 0;
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
      *retryable = 0;
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
      if (sent && x->r->resp_body.len == 0) {
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
  return code;
}

/* Fills r->err for a failed transfer from curl's result code. sent: bytes of
 * request already issued, which makes timeouts and resets ambiguous. */
static void map_error(xfer *x, CURLcode res, int sent) {
  ecs_http_req *r = x->r;
  const char *why = x->errbuf[0] && !leaks_request(x->errbuf, r) ? x->errbuf
                                                               : curl_easy_strerror(res);
  int retryable = 1, ambiguous = sent;
  const char *code = error_code(x, res, sent, &retryable, &ambiguous);
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

/* Runs curl's expired timers (this is also where new transfers start). */
static int run_timers(ecs_http *h) {
  int running; /* curl calls on_timer with its next deadline (or -1) */
  return curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running) == CURLM_OK ? 0 : -1;
}

static int timer_due(const ecs_http *h) { return h->timer_set && h->timer_at <= now_mono(); }

/* Drives transfers: curl's due timers, and if that finished nothing, a wait
 * of up to timeout_ms (less when curl's timer is due sooner) for socket
 * activity, handing each ready socket and then any due timer to curl. Done
 * callbacks run from here. */
int ecs_http_run(ecs_http *h, long timeout_ms) {
  struct epoll_event ev[HTTP_EVENTS];
  int n, i, running, wait_ms = timeout_ms > 0 ? (int)timeout_ms : 0;
  if (timer_due(h)) {
    if (run_timers(h) < 0) return -1;
    if (drain(h) > 0) return h->active;
  }
  if (h->timer_set && wait_ms > 0) {
    double left = ceil((h->timer_at - now_mono()) * 1000.0);
    if (left < (double)wait_ms) wait_ms = left > 0 ? (int)left : 0;
  }
  n = epoll_wait(h->epfd, ev, HTTP_EVENTS, wait_ms);
  if (n < 0) {
    if (errno != EINTR) return -1;
    n = 0;
  }
  for (i = 0; i < n; i++) {
    int flags = ((ev[i].events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                ((ev[i].events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                ((ev[i].events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
    if (curl_multi_socket_action(h->multi, ev[i].data.fd, flags, &running) != CURLM_OK) return -1;
  }
  if (timer_due(h) && run_timers(h) < 0) return -1;
  drain(h);
  return h->active;
}
