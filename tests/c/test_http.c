/* test_http.c - the curl multi engine against a scripted TCP server on
 * 127.0.0.1. The server runs in a thread on raw sockets (scripted_server.c),
 * so each case controls exactly which bytes go back (or none), and counts
 * connections.
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "client.h"
#include "http.h"
#include "json.h"
#include "scripted_server.h"
#include "testlib.h"

/* ---------- the scripted server ---------- */

enum srv_mode {
  SRV_OK,      /* 200 with a small JSON body, keep-alive */
  SRV_HANG,    /* reads the request, never answers */
  SRV_CLOSE,   /* reads the request, closes the connection */
  SRV_ENDLESS, /* 200 without a length, then bytes until the client leaves */
  SRV_BIGLEN,  /* 200 announcing a body far over any cap */
  SRV_PLAIN    /* answers plain HTTP to the first bytes, whatever they are */
};

#define SRV_MAXCONN 64

typedef struct srv {
  scripted_server base; /* listener, thread, mu (guards the counters and last) */
  enum srv_mode mode;
  int accepted;     /* connections accepted */
  int requests;     /* complete requests read */
  char last[8192];  /* head of the last request */
  int fds[SRV_MAXCONN];
  char *bufs[SRV_MAXCONN];
  size_t lens[SRV_MAXCONN];
} srv;

static void srv_drop(srv *s, int i) {
  close(s->fds[i]);
  s->fds[i] = -1;
  free(s->bufs[i]);
  s->bufs[i] = NULL;
  s->lens[i] = 0;
}

static void send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

/* Answers one complete request on connection i according to the mode.
 * Returns 0 to keep the connection, -1 to drop it. */
static int srv_answer(srv *s, int i) {
  int fd = s->fds[i];
  char resp[512];
  int n;
  switch (s->mode) {
    case SRV_OK:
      n = scripted_server_get(&s->base, &s->requests);
      {
        char body[64];
        int bl = snprintf(body, sizeof body, "{\"RequestId\":\"R-%d\"}", n);
        int rl = snprintf(resp, sizeof resp,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "X-Acs-Retry-After: 1500\r\nContent-Length: %d\r\n\r\n%s",
                          bl, body);
        send_all(fd, resp, (size_t)rl);
      }
      return 0;
    case SRV_HANG:
    case SRV_PLAIN: /* answered on arrival, in srv_main */
      return 0;
    case SRV_CLOSE:
      return -1;
    case SRV_ENDLESS: {
      static char chunk[65536];
      const char *h = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      "Connection: close\r\n\r\n";
      memset(chunk, 'x', sizeof chunk);
      send_all(fd, h, strlen(h));
      for (;;) {
        if (send(fd, chunk, sizeof chunk, MSG_NOSIGNAL) <= 0) break;
        if (scripted_server_stopping(&s->base)) break;
      }
      return -1;
    }
    case SRV_BIGLEN: {
      const char *h = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      "Content-Length: 1000000000\r\n\r\n{\"a\":\"";
      send_all(fd, h, strlen(h));
      return 0;
    }
  }
  return 0;
}

/* Consumes every complete request (head + Content-Length body) buffered on
 * connection i. Returns -1 when the connection should be dropped. */
static int srv_process(srv *s, int i) {
  for (;;) {
    char *b = s->bufs[i], *end, *cl;
    size_t head, total, clen = 0;
    if (!b) return 0;
    end = strstr(b, "\r\n\r\n");
    if (!end) return 0;
    head = (size_t)(end - b) + 4;
    *end = '\0';
    for (cl = b; (cl = strchr(cl, '\n')) != NULL; cl++)
      if (strncasecmp(cl + 1, "content-length:", 15) == 0) clen = strtoul(cl + 16, NULL, 10);
    total = head + clen;
    if (s->lens[i] < total) {
      *end = '\r';
      return 0;
    }
    pthread_mutex_lock(&s->base.mu);
    snprintf(s->last, sizeof s->last, "%s", b);
    s->requests++;
    pthread_mutex_unlock(&s->base.mu);
    memmove(b, b + total, s->lens[i] - total + 1);
    s->lens[i] -= total;
    if (srv_answer(s, i) < 0) return -1;
  }
}

static void *srv_main(void *arg) {
  srv *s = arg;
  for (;;) {
    struct pollfd pf[SRV_MAXCONN + 1];
    int map[SRV_MAXCONN + 1], np = 0, i;
    if (scripted_server_stopping(&s->base)) break;
    pf[np].fd = s->base.lfd;
    pf[np].events = POLLIN;
    map[np++] = -1;
    for (i = 0; i < SRV_MAXCONN; i++)
      if (s->fds[i] >= 0) {
        pf[np].fd = s->fds[i];
        pf[np].events = POLLIN;
        map[np++] = i;
      }
    if (poll(pf, (nfds_t)np, 20) <= 0) continue;
    if (pf[0].revents & POLLIN) {
      int fd = accept(s->base.lfd, NULL, NULL);
      if (fd >= 0) {
        struct timeval tv = {2, 0};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        for (i = 0; i < SRV_MAXCONN && s->fds[i] >= 0; i++) {}
        if (i == SRV_MAXCONN) {
          close(fd);
        } else {
          s->fds[i] = fd;
          scripted_server_bump(&s->base, &s->accepted);
        }
      }
    }
    for (i = 1; i < np; i++) {
      int c = map[i];
      char tmp[4096];
      ssize_t r;
      char *nb;
      if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      r = recv(s->fds[c], tmp, sizeof tmp, 0);
      if (r <= 0) {
        srv_drop(s, c);
        continue;
      }
      nb = realloc(s->bufs[c], s->lens[c] + (size_t)r + 1);
      if (!nb) {
        srv_drop(s, c);
        continue;
      }
      if (s->mode == SRV_PLAIN) { /* a TLS ClientHello gets plain text back */
        const char *a = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        send_all(s->fds[c], a, strlen(a));
      }
      memcpy(nb + s->lens[c], tmp, (size_t)r);
      s->lens[c] += (size_t)r;
      nb[s->lens[c]] = '\0';
      s->bufs[c] = nb;
      if (srv_process(s, c) < 0) srv_drop(s, c);
    }
  }
  return NULL;
}

static srv *srv_start(enum srv_mode mode) {
  srv *s = calloc(1, sizeof *s);
  int i;
  for (i = 0; i < SRV_MAXCONN; i++) s->fds[i] = -1;
  s->mode = mode;
  scripted_server_start(&s->base, 128, srv_main, s);
  return s;
}

static int srv_get(srv *s, int *field) { return scripted_server_get(&s->base, field); }

static void srv_stop(srv *s) {
  int i;
  scripted_server_stop(&s->base);
  for (i = 0; i < SRV_MAXCONN; i++)
    if (s->fds[i] >= 0) srv_drop(s, i);
  free(s);
}

/* ---------- helpers ---------- */

/* A POST to url carrying a fake STS token in the query and a header. */
static void make_req(ecs_http_req *r, const char *url, int *done_counter) {
  ecs_http_req_init(r);
  r->method = strdup("POST");
  r->url = strdup(url);
  ecs_params_add(&r->headers, "x-acs-security-token", "SECRETTOKENHEADER42");
  ecs_params_add(&r->headers, "x-test", "yes");
  r->done = count_done;
  r->ud = done_counter;
}

static char *url_for(const srv *s, const char *query) {
  static char u[256];
  snprintf(u, sizeof u, "http://127.0.0.1:%d/?%s", s->base.port, query);
  return u;
}

#define SECRET_QUERY "SecurityToken=SECRETTOKENQUERY42&RegionId=cn-hangzhou"

/* The message must name nothing from the query or the headers. */
static void check_no_leak(const ecs_http_req *r) {
  CHECK(r->err.message != NULL);
  if (!r->err.message) return;
  if (getenv("ECS_TEST_VERBOSE")) fprintf(stderr, "  [%s] %s\n", r->err.code, r->err.message);
  CHECK(strstr(r->err.message, "SECRETTOKEN") == NULL);
  CHECK(strstr(r->err.message, "SecurityToken") == NULL);
  CHECK(strstr(r->err.message, "RegionId") == NULL);
  CHECK(strchr(r->err.message, '?') == NULL);
}

/* ---------- cases ---------- */

static void many_concurrent_transfers_complete_through_one_engine(void) {
  enum { N = 50 };
  srv *s = srv_start(SRV_OK);
  ecs_http *h = ecs_http_new();
  ecs_http_req r[N];
  int done = 0, i, ok = 0;
  CHECK(h != NULL);
  for (i = 0; i < N; i++) {
    make_req(&r[i], url_for(s, "a=1"), &done);
    CHECK_INT(ecs_http_submit(h, &r[i]), 0);
  }
  CHECK_INT(ecs_http_active(h), N);
  run_all(h, 10);
  CHECK_INT(done, N);
  CHECK_INT(ecs_http_active(h), 0);
  for (i = 0; i < N; i++) {
    if (r[i].status == 200 && !r[i].failed &&
        strncmp(ecs_buf_cstr(&r[i].resp_body), "{\"RequestId\":\"R-", 16) == 0)
      ok++;
    CHECK(r[i].elapsed > 0 && r[i].elapsed < 10);
    ecs_http_req_free(&r[i]);
  }
  CHECK_INT(ok, N);
  CHECK_INT(srv_get(s, &s->requests), N);
  if (getenv("ECS_TEST_VERBOSE"))
    fprintf(stderr, "  %d connections for %d transfers\n", srv_get(s, &s->accepted), N);
  ecs_http_free(h);
  srv_stop(s);
}

static void sequential_requests_reuse_one_keepalive_connection(void) {
  srv *s = srv_start(SRV_OK);
  ecs_http *h = ecs_http_new();
  int i, done = 0;
  for (i = 0; i < 20; i++) {
    ecs_http_req r;
    make_req(&r, url_for(s, "n=1"), &done);
    CHECK_INT(ecs_http_submit(h, &r), 0);
    run_all(h, 5);
    CHECK_INT(r.status, 200);
    ecs_http_req_free(&r);
  }
  CHECK_INT(done, 20);
  CHECK_INT(srv_get(s, &s->requests), 20);
  CHECK_INT(srv_get(s, &s->accepted), 1);
  ecs_http_free(h);
  srv_stop(s);
}

static void response_headers_are_collected_lower_cased(void) {
  srv *s = srv_start(SRV_OK);
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  int done = 0;
  make_req(&r, url_for(s, "x=1"), &done);
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 5);
  CHECK_STR(ecs_params_get(&r.resp_headers, "x-acs-retry-after"), "1500");
  CHECK_STR(ecs_params_get(&r.resp_headers, "content-type"), "application/json");
  CHECK(ecs_params_get(&r.resp_headers, "X-Acs-Retry-After") == NULL);
  ecs_http_req_free(&r);
  ecs_http_free(h);
  srv_stop(s);
}

static void request_is_sent_without_content_type_or_expect(void) {
  srv *s = srv_start(SRV_OK);
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  int done = 0;
  char last[8192];
  make_req(&r, url_for(s, "x=1"), &done);
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 5);
  pthread_mutex_lock(&s->base.mu);
  memcpy(last, s->last, sizeof last);
  pthread_mutex_unlock(&s->base.mu);
  CHECK(strncmp(last, "POST /?x=1 HTTP/1.1\r\n", 21) == 0);
  CHECK(strcasestr(last, "\r\ncontent-type:") == NULL);
  CHECK(strcasestr(last, "\r\nexpect:") == NULL);
  CHECK(strcasestr(last, "\r\ncontent-length: 0") != NULL);
  CHECK(strstr(last, "\r\nx-test: yes") != NULL);
  ecs_http_req_free(&r);
  ecs_http_free(h);
  srv_stop(s);
}

static void silent_server_times_out_as_ambiguous(void) {
  srv *s = srv_start(SRV_HANG);
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  int done = 0;
  double t0 = mono(), took;
  make_req(&r, url_for(s, SECRET_QUERY), &done);
  r.timeout_ms = 500;
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 5);
  took = mono() - t0;
  CHECK_INT(done, 1);
  CHECK_INT(r.failed, 1);
  CHECK_STR(r.err.code, "ETIMEDOUT");
  CHECK_INT(r.err.kind, ECS_KIND_TRANSPORT);
  CHECK_INT(r.err.retryable, 1);
  CHECK_INT(r.err.ambiguous, 1);
  CHECK(took >= 0.45 && took < 2.0);
  CHECK(r.elapsed >= 0.45 && r.elapsed < 2.0);
  CHECK(strstr(r.err.message, "127.0.0.1") != NULL);
  check_no_leak(&r);
  ecs_http_req_free(&r);
  ecs_http_free(h);
  srv_stop(s);
}

static void server_closing_after_request_is_an_ambiguous_reset(void) {
  srv *s = srv_start(SRV_CLOSE);
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  int done = 0;
  make_req(&r, url_for(s, SECRET_QUERY), &done);
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 5);
  CHECK_INT(done, 1);
  CHECK_STR(r.err.code, "ERESET");
  CHECK_INT(r.err.kind, ECS_KIND_TRANSPORT);
  CHECK_INT(r.err.retryable, 1);
  CHECK_INT(r.err.ambiguous, 1);
  CHECK_INT(r.status, 0);
  check_no_leak(&r);
  ecs_http_req_free(&r);
  ecs_http_free(h);
  srv_stop(s);
}

static void refused_connection_is_econnect_and_not_ambiguous(void) {
  struct sockaddr_in a;
  socklen_t al = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0), done = 0;
  char url[128];
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
  CHECK(getsockname(fd, (struct sockaddr *)&a, &al) == 0);
  close(fd); /* nobody listens on that port now */
  snprintf(url, sizeof url, "http://127.0.0.1:%d/?%s", ntohs(a.sin_port), SECRET_QUERY);
  make_req(&r, url, &done);
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 5);
  CHECK_INT(done, 1);
  CHECK_STR(r.err.code, "ECONNECT");
  CHECK_INT(r.err.retryable, 1);
  CHECK_INT(r.err.ambiguous, 0);
  check_no_leak(&r);
  ecs_http_req_free(&r);
  ecs_http_free(h);
}

static void endless_body_is_cut_at_the_cap_with_etoobig(void) {
  srv *s = srv_start(SRV_ENDLESS);
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  int done = 0;
  make_req(&r, url_for(s, SECRET_QUERY), &done);
  r.max_response = 256 * 1024;
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 5);
  CHECK_INT(done, 1);
  CHECK_STR(r.err.code, "ETOOBIG");
  CHECK_INT(r.err.kind, ECS_KIND_TRANSPORT);
  CHECK(r.resp_body.len <= 256 * 1024);
  check_no_leak(&r);
  ecs_http_req_free(&r);
  ecs_http_free(h);
  srv_stop(s);
}

static void announced_oversized_body_is_etoobig(void) {
  srv *s = srv_start(SRV_BIGLEN);
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  int done = 0;
  make_req(&r, url_for(s, "a=1"), &done);
  CHECK_INT(ecs_http_submit(h, &r), 0); /* default cap: 8 MiB */
  run_all(h, 5);
  CHECK_INT(done, 1);
  CHECK_STR(r.err.code, "ETOOBIG");
  ecs_http_req_free(&r);
  ecs_http_free(h);
  srv_stop(s);
}

static void https_to_a_plain_server_is_etls_and_not_retryable(void) {
  srv *s = srv_start(SRV_PLAIN);
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  int done = 0;
  char url[128];
  snprintf(url, sizeof url, "https://127.0.0.1:%d/?%s", s->base.port, SECRET_QUERY);
  make_req(&r, url, &done);
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 5);
  CHECK_INT(done, 1);
  CHECK_STR(r.err.code, "ETLS");
  CHECK_INT(r.err.kind, ECS_KIND_TRANSPORT);
  CHECK_INT(r.err.retryable, 0);
  CHECK_INT(r.err.ambiguous, 0); /* nothing of the request went out */
  CHECK(strstr(r.err.message, "TLS error with 127.0.0.1: ") != NULL);
  check_no_leak(&r);
  ecs_http_req_free(&r);
  ecs_http_free(h);
  srv_stop(s);
}

static void plain_http_to_remote_host_is_refused_before_connecting(void) {
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  int done = 0;
  double t0 = mono();
  /* 192.0.2.1 is TEST-NET-1: a connection attempt would hang, not fail */
  make_req(&r, "http://192.0.2.1/?" SECRET_QUERY, &done);
  CHECK_INT(ecs_http_submit(h, &r), -1);
  CHECK(mono() - t0 < 0.5);
  CHECK_INT(ecs_http_active(h), 0);
  CHECK_INT(r.failed, 1);
  CHECK_STR(r.err.code, "ECONFIG");
  CHECK_INT(r.err.kind, ECS_KIND_CONFIG);
  CHECK(strstr(r.err.message, "192.0.2.1") != NULL);
  check_no_leak(&r);
  CHECK_INT(ecs_http_run(h, 0), 0);
  CHECK_INT(done, 0); /* no callback for a refused submit */
  ecs_http_req_free(&r);
  /* the other schemes are refused too, remote or not */
  make_req(&r, "ftp://127.0.0.1/x", &done);
  CHECK_INT(ecs_http_submit(h, &r), -1);
  CHECK_STR(r.err.code, "ECONFIG");
  ecs_http_req_free(&r);
  make_req(&r, "http://example.com:8080/", &done);
  CHECK_INT(ecs_http_submit(h, &r), -1);
  CHECK_STR(r.err.code, "ECONFIG");
  ecs_http_req_free(&r);
  CHECK_INT(done, 0);
  ecs_http_free(h);
}

static void plain_http_to_loopback_names_is_allowed(void) {
  srv *s = srv_start(SRV_OK);
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  int done = 0;
  char url[128];
  snprintf(url, sizeof url, "http://localhost:%d/", s->base.port);
  make_req(&r, url, &done);
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 5);
  /* localhost may resolve to ::1 first; the server is IPv4 only, curl
   * falls back. What matters: the URL was accepted and answered. */
  CHECK_INT(r.status, 200);
  ecs_http_req_free(&r);
  snprintf(url, sizeof url, "http://127.1.2.3:%d/", s->base.port);
  make_req(&r, url, &done);
  r.connect_timeout_ms = 1000;
  /* 127/8 is loopback: accepted (nobody listens there: refused later) */
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 5);
  CHECK_INT(done, 2);
  ecs_http_req_free(&r);
  ecs_http_free(h);
  srv_stop(s);
}

static void freeing_the_engine_aborts_transfers_without_callbacks(void) {
  srv *s = srv_start(SRV_HANG);
  ecs_http *h = ecs_http_new();
  ecs_http_req r[3];
  int done = 0, i;
  for (i = 0; i < 3; i++) {
    make_req(&r[i], url_for(s, "a=1"), &done);
    CHECK_INT(ecs_http_submit(h, &r[i]), 0);
  }
  ecs_http_run(h, 50);
  ecs_http_run(h, 50);
  ecs_http_free(h);
  CHECK_INT(done, 0);
  for (i = 0; i < 3; i++) {
    CHECK(r[i].easy == NULL);
    ecs_http_req_free(&r[i]);
  }
  srv_stop(s);
}

/* The client builds a V3 request whose host header matches what goes on
 * the wire, and finish() turns the answer into a body. */
static void client_request_round_trips_through_loopback_server(void) {
  srv *s = srv_start(SRV_OK);
  ecs_http *h = ecs_http_new();
  ecs_client_config cfg;
  ecs_creds cr;
  ecs_params p;
  ecs_http_req r;
  ecs_error err;
  cJSON *body = NULL;
  char ep[64], hosthdr[96], last[8192];
  int done = 0;
  ecs_client_config_init(&cfg);
  ecs_creds_init(&cr);
  ecs_params_init(&p);
  ecs_error_init(&err);
  ecs_http_req_init(&r);
  snprintf(ep, sizeof ep, "http://127.0.0.1:%d/", s->base.port);
  cfg.endpoint = strdup(ep);
  ecs_creds_set(&cr, "testid", "testsecret", NULL, NULL);
  ecs_params_add(&p, "InstanceId", "i-abc");
  CHECK_INT(ecs_client_prepare(&cfg, &cr, "ReActivateInstances", &p, "cn-hangzhou", &r, &err), 0);
  r.done = count_done;
  r.ud = &done;
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 5);
  CHECK_INT(ecs_client_finish(&r, &body, &err), 0);
  CHECK(body != NULL);
  CHECK(body && ecs_json_str(body, "RequestId") &&
        strncmp(ecs_json_str(body, "RequestId"), "R-", 2) == 0);
  pthread_mutex_lock(&s->base.mu);
  memcpy(last, s->last, sizeof last);
  pthread_mutex_unlock(&s->base.mu);
  snprintf(hosthdr, sizeof hosthdr, "\r\nhost: 127.0.0.1:%d\r\n", s->base.port);
  CHECK(strcasestr(last, hosthdr) != NULL);
  CHECK(strncmp(last, "POST /?InstanceId=i-abc&RegionId=cn-hangzhou HTTP/1.1", 53) == 0);
  cJSON_Delete(body);
  ecs_error_free(&err);
  ecs_http_req_free(&r);
  ecs_params_free(&p);
  ecs_creds_free(&cr);
  ecs_client_config_free(&cfg);
  ecs_http_free(h);
  srv_stop(s);
}

static const ecs_test_case cases[] = {
  {"many_concurrent_transfers_complete_through_one_engine",
   many_concurrent_transfers_complete_through_one_engine},
  {"sequential_requests_reuse_one_keepalive_connection",
   sequential_requests_reuse_one_keepalive_connection},
  {"response_headers_are_collected_lower_cased", response_headers_are_collected_lower_cased},
  {"request_is_sent_without_content_type_or_expect",
   request_is_sent_without_content_type_or_expect},
  {"silent_server_times_out_as_ambiguous", silent_server_times_out_as_ambiguous},
  {"server_closing_after_request_is_an_ambiguous_reset",
   server_closing_after_request_is_an_ambiguous_reset},
  {"refused_connection_is_econnect_and_not_ambiguous",
   refused_connection_is_econnect_and_not_ambiguous},
  {"endless_body_is_cut_at_the_cap_with_etoobig", endless_body_is_cut_at_the_cap_with_etoobig},
  {"announced_oversized_body_is_etoobig", announced_oversized_body_is_etoobig},
  {"https_to_a_plain_server_is_etls_and_not_retryable",
   https_to_a_plain_server_is_etls_and_not_retryable},
  {"plain_http_to_remote_host_is_refused_before_connecting",
   plain_http_to_remote_host_is_refused_before_connecting},
  {"plain_http_to_loopback_names_is_allowed", plain_http_to_loopback_names_is_allowed},
  {"freeing_the_engine_aborts_transfers_without_callbacks",
   freeing_the_engine_aborts_transfers_without_callbacks},
  {"client_request_round_trips_through_loopback_server",
   client_request_round_trips_through_loopback_server},
  {NULL, NULL}};

int main(int argc, char **argv) { return ecs_test_main(argc, argv, cases); }
