/* server.c - the simulator's HTTP side on libmicrohttpd, and its lifecycle.
 *
 * Threading: MHD runs thread-per-connection (MHD_USE_THREAD_PER_CONNECTION
 * with its internal accept thread, poll() based so there is no FD_SETSIZE
 * cap). A handler may therefore block its own connection - latency_ms, a
 * "hang" fault - without touching any other connection. Every such wait is a
 * condvar wait on stop_cv (CLOCK_MONOTONIC), so ecs_sim_stop sets `stopping`,
 * broadcasts, and MHD_stop_daemon finds every connection thread already
 * returning: stop is prompt even with hung clients. A hung handler also
 * polls its socket every 100 ms and gives up as soon as the client has gone,
 * so abandoned hangs do not pile up threads. No globals, no signals, no
 * exit(): several simulators can live in one process.
 *
 * The raw request-target comes from MHD's URI log callback (which also
 * allocates the per-request state), because MHD's own query parsing would
 * decode before we can see the bytes; handle.c decodes the query and a form
 * body exactly once and runs the request (the fuzzers run the same code
 * without a socket, through fuzz_entry.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "file.h"
#include "json.h"
#include "sign.h"
#include "sim_internal.h"

#define MAX_BODY (1024 * 1024)

typedef struct conn_req {
  char *uri;
  ecs_buf body;
  int started, too_large;
} conn_req;

/* ---- waiting without blocking anyone else ---- */

/* 1 when the peer has closed (or reset) the connection on fd. */
static int peer_gone(int fd) {
  char b;
  ssize_t n;
  if (fd < 0) return 0;
  n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return 1;
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return 1;
  return 0;
}

/* Sleeps ms milliseconds (ms < 0: until stop), waking early on stop or, with
 * fd >= 0, when the client goes away. Returns 0 after a full sleep, 1 when
 * the simulator is stopping, 2 when the peer left. */
static int sim_wait(ecs_sim *s, long long ms, int fd) {
  struct timespec now, until;
  int rc = 0;
  if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) return 1;
  until = now;
  if (ms >= 0) {
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
  }
  if (pthread_mutex_lock(&s->stop_mu) != 0) return 1;
  for (;;) {
    struct timespec slice;
    if (s->stopping) { rc = 1; break; }
    if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) { rc = 1; break; }
    if (ms >= 0 && (now.tv_sec > until.tv_sec ||
                    (now.tv_sec == until.tv_sec && now.tv_nsec >= until.tv_nsec)))
      break;
    if (peer_gone(fd)) { rc = 2; break; }
    slice = now;
    slice.tv_nsec += 100000000L; /* re-check the peer every 100 ms */
    if (slice.tv_nsec >= 1000000000L) { slice.tv_sec++; slice.tv_nsec -= 1000000000L; }
    if (ms >= 0 && (slice.tv_sec > until.tv_sec ||
                    (slice.tv_sec == until.tv_sec && slice.tv_nsec > until.tv_nsec)))
      slice = until;
    (void)pthread_cond_timedwait(&s->stop_cv, &s->stop_mu, &slice); /* timeouts are expected */
  }
  pthread_mutex_unlock(&s->stop_mu);
  return rc;
}

/* ---- rendering ---- */

static int xml_escape(ecs_buf *b, const char *s) {
  int rc = 0;
  for (; *s && rc == 0; s++) {
    if (*s == '&') rc = ecs_buf_adds(b, "&amp;");
    else if (*s == '<') rc = ecs_buf_adds(b, "&lt;");
    else if (*s == '>') rc = ecs_buf_adds(b, "&gt;");
    else if (*s == '"') rc = ecs_buf_adds(b, "&quot;");
    else rc = ecs_buf_addc(b, *s);
  }
  return rc;
}

/* JSON -> the service's XML: an object is an element per member, an array
 * repeats its element name (so {"Instances":{"Instance":[a,b]}} becomes
 * <Instances><Instance>a</Instance><Instance>b</Instance></Instances>). */
static int xml_value(ecs_buf *b, const char *name, const cJSON *v) {
  const cJSON *c;
  int rc = 0;
  if (cJSON_IsArray(v)) {
    cJSON_ArrayForEach(c, v) if ((rc = xml_value(b, name, c)) < 0) return rc;
    return 0;
  }
  if (ecs_buf_addf(b, "<%s>", name) < 0) return -1;
  if (cJSON_IsObject(v)) {
    cJSON_ArrayForEach(c, v) if ((rc = xml_value(b, c->string, c)) < 0) return rc;
  } else if (cJSON_IsString(v)) {
    rc = xml_escape(b, v->valuestring);
  } else if (cJSON_IsBool(v)) {
    rc = ecs_buf_adds(b, cJSON_IsTrue(v) ? "true" : "false");
  } else if (cJSON_IsNumber(v)) {
    char *num = cJSON_PrintUnformatted(v);
    rc = num ? ecs_buf_adds(b, num) : -1;
    free(num);
  }
  if (rc == 0) rc = ecs_buf_addf(b, "</%s>", name);
  return rc;
}

/* The host the client addressed (Host header without the port). */
static void host_id(const sim_req *req, char *out, size_t n) {
  const char *colon;
  sim_copy(out, n, req->host);
  if (out[0] != '[' && (colon = strrchr(out, ':'))) *(char *)colon = '\0';
  if (!out[0]) sim_copy(out, n, "ecs.aliyuncs.com");
}

/* Permission errors (Forbidden.*) carry AccessDeniedDetail, as the
 * service's do: who was denied which action, and why. 0 or -1 (OOM). */
static int access_denied_detail(const sim_req *req, const sim_resp *r, cJSON *doc) {
  cJSON *d;
  char act[128];
  if (strncmp(r->code, "Forbidden.", 10) != 0) return 0;
  snprintf(act, sizeof act, "ecs:%s", req->action ? req->action : "");
  if (!(d = cJSON_AddObjectToObject(doc, "AccessDeniedDetail")) ||
      !cJSON_AddStringToObject(d, "AuthAction", act) ||
      !cJSON_AddStringToObject(d, "AuthPrincipalDisplayName", req->access_key_id) ||
      !cJSON_AddStringToObject(d, "AuthPrincipalType", "SubUser") ||
      !cJSON_AddStringToObject(d, "NoPermissionType", "ImplicitDeny") ||
      !cJSON_AddStringToObject(d, "PolicyType", "AccountLevelIdentityBasedPolicy"))
    return -1;
  return 0;
}

/* Builds the body of r for req into out (JSON or XML); sets *ctype.
 * Success bodies get RequestId; errors get RequestId, HostId, Code, Message,
 * Recommend (and AccessDeniedDetail when denied). 0 or -1 (OOM). */
static int render(const sim_req *req, sim_resp *r, ecs_buf *out, const char **ctype) {
  cJSON *doc = r->body, *own = NULL;
  char host[256], rec[300];
  int rc = -1;
  if (!r->message && !doc && !(doc = own = cJSON_CreateObject())) return -1;
  if (r->message) {
    host_id(req, host, sizeof host);
    snprintf(rec, sizeof rec, "https://api.aliyun.com/troubleshoot?q=%s&product=Ecs&requestId=%s",
             r->code, req->request_id);
    if (!(doc = own = cJSON_CreateObject()) || !cJSON_AddStringToObject(doc, "RequestId", req->request_id) ||
        !cJSON_AddStringToObject(doc, "HostId", host) ||
        !cJSON_AddStringToObject(doc, "Code", r->code) ||
        !cJSON_AddStringToObject(doc, "Message", r->message) ||
        !cJSON_AddStringToObject(doc, "Recommend", rec) ||
        access_denied_detail(req, r, doc) < 0)
      goto done;
  } else if (!cJSON_AddStringToObject(doc, "RequestId", req->request_id)) {
    goto done;
  }
  if (req->xml) {
    const cJSON *c;
    *ctype = "text/xml;charset=utf-8";
    if (ecs_buf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") < 0 ||
        ecs_buf_addf(out, "<%s%s>", r->message ? "Error" : req->action,
                     r->message ? "" : "Response") < 0)
      goto done;
    cJSON_ArrayForEach(c, doc) if (xml_value(out, c->string, c) < 0) goto done;
    if (ecs_buf_addf(out, "</%s%s>", r->message ? "Error" : req->action,
                     r->message ? "" : "Response") < 0)
      goto done;
  } else {
    char *txt = ecs_json_print(doc);
    *ctype = "application/json;charset=utf-8";
    if (!txt) goto done;
    rc = ecs_buf_adds(out, txt);
    free(txt);
    if (rc < 0) goto done;
  }
  rc = 0;
done:
  cJSON_Delete(own);
  return rc;
}

/* Queues status + body (taking the heap string). MHD_NO on failure. */
static enum MHD_Result send_body(struct MHD_Connection *c, int status, char *body, size_t len,
                                 const char *ctype, const char *request_id, long long retry_ms) {
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
  enum MHD_Result ok;
  char num[32];
  if (!resp) {
    free(body);
    return MHD_NO;
  }
  ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  if (ok == MHD_YES && request_id) ok = MHD_add_response_header(resp, "x-acs-request-id", request_id);
  if (ok == MHD_YES && retry_ms >= 0) {
    snprintf(num, sizeof num, "%lld", retry_ms);
    ok = MHD_add_response_header(resp, "x-acs-retry-after", num);
  }
  if (ok == MHD_YES) ok = MHD_queue_response(c, (unsigned)status, resp);
  MHD_destroy_response(resp);
  return ok;
}

static enum MHD_Result send_text(struct MHD_Connection *c, int status, const char *text,
                                 const char *ctype, const char *request_id) {
  char *copy = strdup(text);
  if (!copy) return MHD_NO;
  return send_body(c, status, copy, strlen(copy), ctype, request_id, -1);
}

static int connection_fd(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  return ci ? ci->connect_fd : -1;
}

/* Delivers r: an answer, or a wire fault. */
static enum MHD_Result deliver(ecs_sim *s, struct MHD_Connection *c, const sim_req *req,
                               sim_resp *r) {
  static const char html503[] =
      "<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
      "<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n<hr><center>Tengine"
      "</center>\r\n</body>\r\n</html>\r\n";
  ecs_buf out;
  const char *ctype = "application/json;charset=utf-8";
  char malformed[80];
  switch (r->fault) {
  case SIM_FAULT_RESET: {
    /* SO_LINGER 0: close() sends RST instead of FIN - a real reset */
    struct linger lg = {1, 0};
    int fd = connection_fd(c);
    if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0) {
      /* fall back to a plain close: still no answer */
    }
    return MHD_NO;
  }
  case SIM_FAULT_HANG:
    (void)sim_wait(s, -1, connection_fd(c));
    return MHD_NO;
  case SIM_FAULT_MALFORMED:
    snprintf(malformed, sizeof malformed, "{\"RequestId\": \"%.8s", req->request_id);
    return send_text(c, 200, malformed, ctype, req->request_id);
  case SIM_FAULT_HTML503:
    return send_text(c, 503, html503, "text/html", NULL);
  default:
    break;
  }
  ecs_buf_init(&out);
  if (render(req, r, &out, &ctype) < 0) {
    ecs_buf_free(&out);
    return MHD_NO;
  }
  {
    size_t len = out.len;
    char *body = ecs_buf_steal(&out);
    if (!body) return MHD_NO;
    return send_body(c, r->status, body, len, ctype, req->request_id, r->retry_after_ms);
  }
}

/* ---- request assembly ---- */

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
  (void)kind;
  return ecs_params_add(cls, key, value ? value : "") == 0 ? MHD_YES : MHD_NO;
}

/* ?since=SEQ of /_sim/requests: a decimal number (absent: 0, everything).
 * 0 or -1 when malformed. */
static int parse_since(const ecs_params *query, unsigned long long *since) {
  const char *v = ecs_params_get(query, "since");
  char *end;
  *since = 0;
  if (!v) return 0;
  if (*v < '0' || *v > '9') return -1;
  errno = 0;
  *since = strtoull(v, &end, 10);
  return (*end || errno == ERANGE) ? -1 : 0;
}

/* POST /_sim/webhook (webhook.c): record, wait if asked, answer. */
static enum MHD_Result serve_webhook(ecs_sim *s, struct MHD_Connection *c, const sim_req *req) {
  char *doc;
  long delay_ms;
  int status = sim_webhook_post(s, req, &doc, &delay_ms);
  if (delay_ms > 0 && sim_wait(s, delay_ms, connection_fd(c)) != 0) {
    free(doc);
    return MHD_NO; /* stopping, or the caller gave up */
  }
  if (!doc) return send_text(c, 500, "{\"Code\":\"InternalError\"}", "application/json", NULL);
  return send_body(c, status, doc, strlen(doc), "application/json", NULL, -1);
}

static enum MHD_Result serve_sim_endpoint(ecs_sim *s, struct MHD_Connection *c,
                                          const sim_req *req, const char *method,
                                          int too_large) {
  const char *path = req->path;
  const ecs_params *query = &req->query;
  char *doc = NULL;
  unsigned long long since;
  if (strcmp(method, "POST") == 0 && strcmp(path, "/_sim/webhook") == 0)
    return too_large ? send_text(c, 413, "{\"Code\":\"InvalidParameter\",\"Message\":\"The "
                                         "request body is too large.\"}", "application/json", NULL)
                     : serve_webhook(s, c, req);
  if (strcmp(method, "GET") == 0 && strcmp(path, "/_sim/webhooks") == 0) doc = sim_webhooks_json(s);
  else if (strcmp(method, "GET") == 0 && strcmp(path, "/_sim/state") == 0) doc = sim_state_json(s);
  else if (strcmp(method, "GET") == 0 && strcmp(path, "/_sim/requests") == 0) {
    if (parse_since(query, &since) < 0)
      return send_text(c, 400,
                       "{\"Code\":\"InvalidParameter\",\"Message\":\"since must be a "
                       "sequence number (a non-negative integer)\"}",
                       "application/json", NULL);
    doc = sim_requests_json_since(s, since);
  } else
    return send_text(c, 404, "{\"Code\":\"NotFound\",\"Message\":\"unknown simulator endpoint\"}",
                     "application/json", NULL);
  if (!doc) return send_text(c, 500, "{\"Code\":\"InternalError\"}", "application/json", NULL);
  return send_body(c, 200, doc, strlen(doc), "application/json", NULL, -1);
}

/* One complete request: read the headers, run it (handle.c), wait, deliver. */
static enum MHD_Result serve(ecs_sim *s, struct MHD_Connection *c, conn_req *cr,
                             const char *method) {
  sim_raw_req in;
  sim_exchange x;
  ecs_params headers;
  enum MHD_Result ret;
  ecs_params_init(&headers);
  if (MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &headers) < 0) {
    ecs_params_free(&headers);
    return MHD_NO;
  }
  memset(&in, 0, sizeof in);
  in.method = method;
  in.target = cr->uri;
  in.headers = &headers;
  in.body = cr->body.data;
  in.body_len = cr->body.len;
  in.now_ms = sim_now_ms(s);
  in.too_large = cr->too_large;
  in.sim_docs = 1;
  if (sim_handle(s, &in, &x) < 0) {
    ret = MHD_NO;
  } else if (x.kind == SIM_X_SIM_DOC) {
    ret = serve_sim_endpoint(s, c, &x.req, method, cr->too_large);
  } else if (x.kind == SIM_X_IMDS) {
    char *body = x.imds_body;
    x.imds_body = NULL; /* send_body takes it */
    ret = body ? send_body(c, x.resp.status, body, strlen(body), x.imds_ctype, NULL, -1) : MHD_NO;
  } else if (s->latency_ms > 0 && sim_wait(s, s->latency_ms, -1) != 0) {
    ret = MHD_NO; /* stopping */
  } else {
    ret = deliver(s, c, &x.req, &x.resp);
  }
  sim_exchange_free(&x);
  ecs_params_free(&headers);
  return ret;
}

/* ---- MHD callbacks ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  conn_req *cr = calloc(1, sizeof *cr);
  (void)cls;
  (void)c;
  if (cr && !(cr->uri = strdup(uri ? uri : "/"))) {
    free(cr);
    cr = NULL;
  }
  return cr;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe) {
  conn_req *cr = *req_cls;
  (void)cls;
  (void)c;
  (void)toe;
  if (!cr) return;
  free(cr->uri);
  ecs_buf_free(&cr->body);
  free(cr);
  *req_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls) {
  conn_req *cr = *req_cls;
  (void)url;
  (void)version;
  if (!cr) return MHD_NO; /* the URI callback ran out of memory */
  if (!cr->started) {
    cr->started = 1;
    return MHD_YES;
  }
  if (*upload_data_size) {
    if (cr->body.len + *upload_data_size > MAX_BODY) cr->too_large = 1;
    else if (ecs_buf_add(&cr->body, upload_data, *upload_data_size) < 0) return MHD_NO;
    *upload_data_size = 0;
    return MHD_YES;
  }
  return serve(cls, c, cr, method);
}

/* ---- lifecycle ---- */

/* "127.0.0.1:PORT" / "localhost:PORT" -> sockaddr. 0 or -1. */
static int parse_listen(const char *listen, struct sockaddr_in *sa) {
  const char *colon = strrchr(listen, ':');
  char host[64], *end;
  long port;
  if (!colon || (size_t)(colon - listen) >= sizeof host) return -1;
  memcpy(host, listen, (size_t)(colon - listen));
  host[colon - listen] = '\0';
  port = strtol(colon + 1, &end, 10);
  if (*end || end == colon + 1 || port < 0 || port > 65535) return -1;
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)port);
  if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
  return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

void sim_destroy(ecs_sim *s) {
  if (!s) return;
  sim_fleet_free(&s->f);
  sim_nonces_free(&s->nonces);
  sim_windows_free(s);
  sim_webhooks_free(s);
  sim_iam_free(s);
  free(s->log);
  pthread_mutex_destroy(&s->mu);
  pthread_mutex_destroy(&s->stop_mu);
  pthread_cond_destroy(&s->stop_cv);
  free(s);
}

/* Allocates the simulator with its locks; NULL on failure. */
ecs_sim *sim_new(void) {
  ecs_sim *s = calloc(1, sizeof *s);
  pthread_condattr_t ca;
  char salt[9];
  if (!s) return NULL;
  if (pthread_mutex_init(&s->mu, NULL) != 0) { free(s); return NULL; }
  if (pthread_mutex_init(&s->stop_mu, NULL) != 0) {
    pthread_mutex_destroy(&s->mu);
    free(s);
    return NULL;
  }
  if (pthread_condattr_init(&ca) != 0 || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
      pthread_cond_init(&s->stop_cv, &ca) != 0) {
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->stop_mu);
    free(s);
    return NULL;
  }
  pthread_condattr_destroy(&ca);
  atomic_init(&s->clock_offset_ms, 0);
  if (ecs_sign_random_hex(salt, 4) == 0) s->token_salt = (uint32_t)strtoul(salt, NULL, 16);
  else s->token_salt = (uint32_t)time(NULL);
  return s;
}

/* Reads a whole PEM file into a NUL-terminated string (MHD's HTTPS_MEM_*
 * options take PEM text). Returns it (caller frees; a key with
 * ecs_free_secret), or NULL with "tls: <what> PATH: <reason>" in err. */
static char *read_pem(const char *path, const char *what, char *err, size_t errlen) {
  ecs_buf b = {0};
  int rc = ecs_file_read(path, ECS_SIM_FLEET_MAX_BYTES, &b);
  if (rc == -1) {
    if (err) snprintf(err, errlen, "tls: %s %s: %s", what, path, strerror(errno));
    return NULL;
  }
  if (rc != 0 || b.len == 0 || memchr(b.data, '\0', b.len)) {
    if (err) snprintf(err, errlen, "tls: %s %s: cannot read (empty, binary or unreadable)",
                      what, path);
    ecs_buf_wipe(&b);
    return NULL;
  }
  return ecs_buf_steal(&b);
}

/* Loads the TLS pair named in o into *cert and *key (both NULL for plain
 * http). Returns 0, or -1 with err set and nothing allocated. */
static int load_tls(const ecs_sim_opts *o, char **cert, char **key, char *err, size_t errlen) {
  *cert = *key = NULL;
  if (!o->tls_cert_file && !o->tls_key_file) return 0;
  if (!o->tls_cert_file || !o->tls_key_file) {
    if (err) snprintf(err, errlen, "tls: both a certificate and a private key are needed");
    return -1;
  }
  if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
    if (err) snprintf(err, errlen, "tls: this libmicrohttpd was built without TLS support");
    return -1;
  }
  if (!(*cert = read_pem(o->tls_cert_file, "certificate", err, errlen))) return -1;
  if (!(*key = read_pem(o->tls_key_file, "private key", err, errlen))) {
    free(*cert);
    *cert = NULL;
    return -1;
  }
  return 0;
}

/* Starts the daemon on sa; with cert/key (PEM text) it serves HTTPS through
 * MHD's GnuTLS, which copies the pair while starting. NULL on failure. */
static struct MHD_Daemon *start_daemon(ecs_sim *s, struct sockaddr_in *sa, const char *cert,
                                       const char *key) {
  unsigned int flags =
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
  struct MHD_OptionItem tls[3] = {{MHD_OPTION_END, 0, NULL},
                                  {MHD_OPTION_END, 0, NULL},
                                  {MHD_OPTION_END, 0, NULL}};
  if (cert && key) {
    flags |= MHD_USE_TLS;
    tls[0].option = MHD_OPTION_HTTPS_MEM_CERT;
    tls[0].ptr_value = (void *)(uintptr_t)cert; /* MHD takes const char * here */
    tls[1].option = MHD_OPTION_HTTPS_MEM_KEY;
    tls[1].ptr_value = (void *)(uintptr_t)key;
  }
  return MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)sa,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
      MHD_OPTION_CONNECTION_TIMEOUT, 600u, MHD_OPTION_CONNECTION_LIMIT, 4000u,
      MHD_OPTION_THREAD_STACK_SIZE, (size_t)(512 * 1024), MHD_OPTION_ARRAY, tls,
      MHD_OPTION_END);
}

static ecs_sim *start(const char *json, size_t n, const ecs_sim_opts *o, const char *label,
                      char *err, size_t errlen) {
  static const ecs_sim_opts dflt = {.latency_ms = -1};
  const char *listen;
  struct sockaddr_in sa;
  const union MHD_DaemonInfo *di;
  char msg[400], *cert = NULL, *key = NULL;
  ecs_sim *s;
  if (!o) o = &dflt;
  listen = o->listen ? o->listen : "127.0.0.1:0";
  if (err && errlen) err[0] = '\0';
  if (parse_listen(listen, &sa) < 0) {
    if (err) snprintf(err, errlen, "listen %s: expected 127.0.0.1:PORT", listen);
    return NULL;
  }
  if (load_tls(o, &cert, &key, err, errlen) < 0) return NULL;
  if (!(s = sim_new())) {
    if (err) snprintf(err, errlen, "out of memory");
    free(cert);
    ecs_free_secret(key);
    return NULL;
  }
  if (sim_fleet_load(&s->f, json, n, msg, sizeof msg) < 0) {
    if (err) snprintf(err, errlen, "%s: %s", label, msg);
    free(cert);
    ecs_free_secret(key);
    sim_destroy(s);
    return NULL;
  }
  s->quiet = o->quiet;
  s->latency_ms = o->latency_ms >= 0 ? o->latency_ms : s->f.latency_ms;
  errno = 0;
  s->daemon = start_daemon(s, &sa, cert, key);
  free(cert);
  ecs_free_secret(key); /* GnuTLS holds its own copy now */
  if (!s->daemon || !(di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT))) {
    /* MHD does not say which: a port in use or a pair GnuTLS rejected */
    if (err && o->tls_cert_file)
      snprintf(err, errlen, "listen %s: cannot serve HTTPS (%s; or %s and %s are not a "
               "matching PEM certificate and key)", listen,
               errno ? strerror(errno) : "address in use?", o->tls_cert_file, o->tls_key_file);
    else if (err)
      snprintf(err, errlen, "listen %s: cannot listen (%s)", listen,
               errno ? strerror(errno) : "address in use?");
    if (s->daemon) MHD_stop_daemon(s->daemon);
    sim_destroy(s);
    return NULL;
  }
  s->port = di->port;
  snprintf(s->url, sizeof s->url, "%s://%s:%d", o->tls_cert_file ? "https" : "http",
           inet_ntoa(sa.sin_addr), s->port);
  return s;
}

ecs_sim *ecs_sim_start(const char *fleet_json, size_t n, const ecs_sim_opts *o, char *err,
                       size_t errlen) {
  return start(fleet_json, n, o, "fleet", err, errlen);
}

ecs_sim *ecs_sim_start_file(const char *path, const ecs_sim_opts *o, char *err, size_t errlen) {
  ecs_buf b = {0};
  ecs_sim *s;
  int rc = ecs_file_read(path, ECS_SIM_FLEET_MAX_BYTES, &b);
  if (rc != 0) { /* too large: /dev/zero or a mistake, never read whole */
    if (err && rc == ECS_FILE_TOO_LARGE)
      snprintf(err, errlen, "%s: (top level): larger than %zu MiB", path, ECS_SIM_FLEET_MAX_BYTES >> 20);
    else if (err)
      snprintf(err, errlen, "%s: %s", path, errno == EIO ? "cannot read" : strerror(errno));
    return NULL;
  }
  s = start(ecs_buf_cstr(&b), b.len, o, path, err, errlen);
  ecs_buf_wipe(&b); /* a fleet holds key secrets */
  return s;
}

int ecs_sim_check_fleet(const char *fleet_json, size_t n, char *err, size_t errlen) {
  sim_fleet f;
  char msg[400];
  if (sim_fleet_load(&f, fleet_json, n, msg, sizeof msg) < 0) {
    if (err) snprintf(err, errlen, "fleet: %s", msg);
    return -1;
  }
  sim_fleet_free(&f);
  return 0;
}

int ecs_sim_port(const ecs_sim *s) { return s ? s->port : -1; }
const char *ecs_sim_url(const ecs_sim *s) { return s ? s->url : NULL; }
const char *ecs_sim_access_key_id(const ecs_sim *s) {
  return s ? s->f.accounts[0].access_key_id : NULL;
}
const char *ecs_sim_access_key_secret(const ecs_sim *s) { return s ? s->f.accounts[0].secret : NULL; }

/* Wakes every waiting handler, then stops MHD (which joins the connection
 * threads; none is blocked by us any more) and frees everything. */
void ecs_sim_stop(ecs_sim *s) {
  if (!s) return;
  if (pthread_mutex_lock(&s->stop_mu) == 0) {
    s->stopping = 1;
    pthread_cond_broadcast(&s->stop_cv);
    pthread_mutex_unlock(&s->stop_mu);
  }
  if (s->daemon) MHD_stop_daemon(s->daemon);
  sim_destroy(s);
}
