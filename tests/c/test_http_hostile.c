/* test_http_hostile.c - what a hostile or broken server can do to the curl
 * multi engine: drip bytes, send endless headers or bodies, redirect, speak
 * garbage, lie about the length, stall a TLS handshake, slam connections
 * shut. Every case must end in an error within the client's time limits,
 * with bounded memory and no file descriptor left behind.
 *
 * The server is a thread on raw sockets on 127.0.0.1 (scripted_server.c)
 * that accepts one connection at a time and runs the case's script on it
 * (so a script may block for as long as it likes: it only ever serves that
 * one client). It
 * stops when asked, and every script checks the stop flag at least every
 * 200 ms. Besides counting connections and requests it counts the bytes it
 * managed to push, which bounds what the client can have buffered.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "client.h"
#include "http.h"
#include "scripted_server.h"
#include "testlib.h"

/* ---------- the hostile server ---------- */

typedef struct hsrv hsrv;
typedef void (*hsrv_script)(hsrv *s, int fd);

struct hsrv {
  scripted_server base;  /* listener, thread, mu (guards the fields below) */
  hsrv_script script;
  int accepted;          /* connections accepted */
  int requests;          /* request heads read */
  long long sent;        /* bytes pushed to clients */
  char first_line[512];  /* request line of the last request */
};

static int hsrv_stopping(hsrv *s) { return scripted_server_stopping(&s->base); }

static int hsrv_get(hsrv *s, const int *field) { return scripted_server_get(&s->base, field); }

static long long hsrv_sent(hsrv *s) {
  long long v;
  pthread_mutex_lock(&s->base.mu);
  v = s->sent;
  pthread_mutex_unlock(&s->base.mu);
  return v;
}

/* Sends all of p unless the client leaves or the server stops. Returns 0,
 * or -1 when the client is gone (or the stop flag is up). */
static int hsend(hsrv *s, int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    struct pollfd pf = {fd, POLLOUT, 0};
    ssize_t w;
    if (hsrv_stopping(s)) return -1;
    if (poll(&pf, 1, 100) <= 0) continue; /* client not reading: check stop, wait */
    w = send(fd, c, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    if (w <= 0) return -1;
    pthread_mutex_lock(&s->base.mu);
    s->sent += w;
    pthread_mutex_unlock(&s->base.mu);
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static int hsend_str(hsrv *s, int fd, const char *str) { return hsend(s, fd, str, strlen(str)); }

/* Sleeps ms, waking every 20 ms to check the stop flag. -1 when stopping. */
static int hsleep(hsrv *s, int ms) {
  while (ms > 0) {
    struct timespec ts = {0, 20 * 1000000L};
    if (hsrv_stopping(s)) return -1;
    nanosleep(&ts, NULL);
    ms -= 20;
  }
  return hsrv_stopping(s) ? -1 : 0;
}

/* Reads up to the end of a request head (and ignores any body: requests
 * here are bodiless or tiny). Records the request line. 0, or -1 when the
 * client left or nothing came within 3 s. */
static int read_head(hsrv *s, int fd) {
  char buf[16384];
  size_t n = 0;
  int waited = 0;
  while (n < sizeof buf - 1 && waited < 3000) {
    struct pollfd pf = {fd, POLLIN, 0};
    ssize_t r;
    if (hsrv_stopping(s)) return -1;
    if (poll(&pf, 1, 50) <= 0) {
      waited += 50;
      continue;
    }
    r = recv(fd, buf + n, sizeof buf - 1 - n, 0);
    if (r <= 0) return -1;
    n += (size_t)r;
    buf[n] = '\0';
    if (strstr(buf, "\r\n\r\n")) {
      char *eol = strstr(buf, "\r\n");
      pthread_mutex_lock(&s->base.mu);
      s->requests++;
      snprintf(s->first_line, sizeof s->first_line, "%.*s", (int)(eol - buf), buf);
      pthread_mutex_unlock(&s->base.mu);
      return 0;
    }
  }
  return -1;
}

static void *hsrv_main(void *arg) {
  hsrv *s = arg;
  while (!hsrv_stopping(s)) {
    struct pollfd pf = {s->base.lfd, POLLIN, 0};
    int fd;
    if (poll(&pf, 1, 20) <= 0) continue;
    fd = accept(s->base.lfd, NULL, NULL);
    if (fd < 0) continue;
    scripted_server_bump(&s->base, &s->accepted);
    s->script(s, fd);
    if (fd >= 0) close(fd);
  }
  return NULL;
}

static hsrv *hsrv_start(hsrv_script script) {
  hsrv *s = calloc(1, sizeof *s);
  s->script = script;
  scripted_server_start(&s->base, 512, hsrv_main, s);
  return s;
}

static void hsrv_stop(hsrv *s) {
  scripted_server_stop(&s->base);
  free(s);
}

/* ---------- the scripts ---------- */

/* 1 byte every 200 ms, forever: a status line that never ends. */
static void drip_status(hsrv *s, int fd) {
  const char *line = "HTTP/1.1 200 OK\r\nX-Slow: ";
  size_t i = 0;
  if (read_head(s, fd) < 0) return;
  for (;;) {
    char c = i < strlen(line) ? line[i] : 'a';
    i++;
    if (hsend(s, fd, &c, 1) < 0 || hsleep(s, 200) < 0) return;
  }
}

/* A proper head promising a body, then 1 byte every 200 ms, forever. */
static void drip_body(hsrv *s, int fd) {
  if (read_head(s, fd) < 0) return;
  if (hsend_str(s, fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Content-Length: 100000\r\n\r\n") < 0)
    return;
  for (;;)
    if (hsend_str(s, fd, " ") < 0 || hsleep(s, 200) < 0) return;
}

/* Header lines as fast as the client takes them, forever. */
static void endless_header_lines(hsrv *s, int fd) {
  char line[128];
  unsigned long n = 0;
  if (read_head(s, fd) < 0) return;
  if (hsend_str(s, fd, "HTTP/1.1 200 OK\r\n") < 0) return;
  for (;;) {
    snprintf(line, sizeof line, "X-Junk-%lu: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", n++);
    if (hsend_str(s, fd, line) < 0) return;
  }
}

/* One header line that never ends. */
static void endless_header_line(hsrv *s, int fd) {
  static char chunk[16384];
  memset(chunk, 'b', sizeof chunk);
  if (read_head(s, fd) < 0) return;
  if (hsend_str(s, fd, "HTTP/1.1 200 OK\r\nX-Long: ") < 0) return;
  for (;;)
    if (hsend(s, fd, chunk, sizeof chunk) < 0) return;
}

/* A status line that never ends. */
static void endless_status_line(hsrv *s, int fd) {
  static char chunk[16384];
  memset(chunk, 'd', sizeof chunk);
  if (read_head(s, fd) < 0) return;
  if (hsend_str(s, fd, "HTTP/1.1 200 ") < 0) return;
  for (;;)
    if (hsend(s, fd, chunk, sizeof chunk) < 0) return;
}

/* A chunked body that never ends (no Content-Length for curl to check). */
static void endless_chunked_body(hsrv *s, int fd) {
  static char chunk[8192 + 16];
  int hl;
  if (read_head(s, fd) < 0) return;
  if (hsend_str(s, fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n") < 0)
    return;
  hl = snprintf(chunk, sizeof chunk, "2000\r\n");
  memset(chunk + hl, 'c', 8192);
  memcpy(chunk + hl + 8192, "\r\n", 2);
  for (;;)
    if (hsend(s, fd, chunk, (size_t)hl + 8192 + 2) < 0) return;
}

/* 302 to another path on the same server; keeps the connection open a
 * while in case the client came back on it. */
static void redirect(hsrv *s, int fd) {
  char resp[512];
  if (read_head(s, fd) < 0) return;
  snprintf(resp, sizeof resp,
           "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/elsewhere?again=1\r\n"
           "Content-Type: text/html\r\nContent-Length: 22\r\n\r\n<html>Moved</html>\r\n\r\n",
           s->base.port);
  if (hsend_str(s, fd, resp) < 0) return;
  while (read_head(s, fd) == 0) /* a follow-up on the same connection counts too */
    hsend_str(s, fd, resp);
}

/* Binary noise instead of an answer. */
static void garbage(hsrv *s, int fd) {
  unsigned char noise[4096];
  unsigned int x = 12345;
  size_t i;
  for (i = 0; i < sizeof noise; i++) {
    x = x * 1103515245u + 12345u;
    noise[i] = (unsigned char)(x >> 16);
  }
  if (read_head(s, fd) < 0) return;
  hsend(s, fd, noise, sizeof noise);
  hsleep(s, 100);
}

/* A status line curl cannot parse, then close. */
static void bad_status(hsrv *s, int fd) {
  if (read_head(s, fd) < 0) return;
  hsend_str(s, fd, "HTTP/1.1 99999999999999999999 What\r\nContent-Length: 2\r\n\r\n{}");
  hsleep(s, 100);
}

/* A chunked body whose chunk size is not hex. */
static void bad_chunk(hsrv *s, int fd) {
  if (read_head(s, fd) < 0) return;
  hsend_str(s, fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
  hsleep(s, 100);
}

/* Promises 1 MB (under any cap), sends 10 bytes, closes. */
static void short_body(hsrv *s, int fd) {
  if (read_head(s, fd) < 0) return;
  hsend_str(s, fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                   "Content-Length: 1000000\r\n\r\n{\"a\":\"bcd\"");
}

/* Accepts and says nothing: a TLS client waits for a ServerHello forever. */
static void silent(hsrv *s, int fd) {
  char b[4096];
  while (hsleep(s, 20) == 0) {
    ssize_t r = recv(fd, b, sizeof b, MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return;
  }
}

/* Connection storm: close at once, alternating a FIN and a reset (linger 0). */
static void slam(hsrv *s, int fd) {
  if (hsrv_get(s, &s->accepted) % 2) {
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
}

/* A plain proxy answer: 200 with a JSON body, for the insecure_http case. */
static void proxy_ok(hsrv *s, int fd) {
  const char *a = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                  "Content-Length: 17\r\nConnection: close\r\n\r\n{\"RequestId\":\"P\"}";
  if (read_head(s, fd) < 0) return;
  hsend_str(s, fd, a);
}

/* ---------- helpers ---------- */

static void make_get(ecs_http_req *r, const char *url, int *done) {
  ecs_http_req_init(r);
  r->method = strdup("GET");
  r->url = strdup(url);
  r->done = count_done;
  r->ud = done;
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;
  if (!d) return -1;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void verbose(const ecs_http_req *r, double took) {
  if (getenv("ECS_TEST_VERBOSE"))
    fprintf(stderr, "  [%s] %s (status %ld, %.2fs)\n", r->err.code ? r->err.code : "-",
            r->err.message ? r->err.message : "-", r->status, took);
}

/* One GET to the server running script, with the given total timeout.
 * Fills r (caller frees) and returns the seconds it took. */
static double one_get(hsrv *s, ecs_http_req *r, long timeout_ms, const char *scheme) {
  ecs_http *h = ecs_http_new();
  char url[128];
  int done = 0;
  double t0 = mono(), took;
  snprintf(url, sizeof url, "%s://127.0.0.1:%d/?Action=DescribeRegions", scheme, s->base.port);
  make_get(r, url, &done);
  r->timeout_ms = timeout_ms;
  CHECK_INT(ecs_http_submit(h, r), 0);
  run_all(h, (double)timeout_ms / 1000.0 + 5);
  took = mono() - t0;
  CHECK_INT(done, 1);
  CHECK_INT(ecs_http_active(h), 0);
  ecs_http_free(h);
  verbose(r, took);
  return took;
}

static int is(const ecs_http_req *r, const char *a, const char *b) {
  return r->err.code && (strcmp(r->err.code, a) == 0 || (b && strcmp(r->err.code, b) == 0));
}

/* ---------- cases ---------- */

static void hostile_server_dripping_the_head_times_out_within_the_timeout(void) {
  hsrv *s = hsrv_start(drip_status);
  ecs_http_req r;
  double took = one_get(s, &r, 1000, "http");
  CHECK_INT(r.failed, 1);
  CHECK_STR(r.err.code, "ETIMEDOUT");
  CHECK_INT(r.err.ambiguous, 1);
  CHECK(took >= 0.95 && took < 1.0 + 1.0);
  ecs_http_req_free(&r);
  hsrv_stop(s);
}

static void hostile_server_dripping_the_body_times_out_within_the_timeout(void) {
  hsrv *s = hsrv_start(drip_body);
  ecs_http_req r;
  double took = one_get(s, &r, 1000, "http");
  CHECK_INT(r.failed, 1);
  CHECK_STR(r.err.code, "ETIMEDOUT");
  CHECK_INT(r.status, 200);
  CHECK(took >= 0.95 && took < 1.0 + 1.0);
  ecs_http_req_free(&r);
  hsrv_stop(s);
}

static void hostile_server_stalling_the_tls_handshake_hits_the_connect_timeout(void) {
  hsrv *s = hsrv_start(silent);
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  char url[128];
  int done = 0;
  double t0 = mono(), took;
  snprintf(url, sizeof url, "https://127.0.0.1:%d/", s->base.port);
  make_get(&r, url, &done);
  r.connect_timeout_ms = 700; /* covers the TLS handshake */
  r.timeout_ms = 10000;
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 15);
  took = mono() - t0;
  verbose(&r, took);
  CHECK_INT(done, 1);
  CHECK_STR(r.err.code, "ETIMEDOUT");
  CHECK(took >= 0.65 && took < 0.7 + 1.0);
  ecs_http_req_free(&r);
  ecs_http_free(h);
  hsrv_stop(s);
}

/* One GET against script: it must fail with ETOOBIG (not retryable) within
 * 3 s, and the client must have accepted far less than an endless sender
 * would push: the cap plus socket buffers. */
static void expect_cut_without_hoarding(hsrv_script script) {
  hsrv *s = hsrv_start(script);
  ecs_http_req r;
  double took = one_get(s, &r, 10000, "http");
  CHECK_INT(r.failed, 1);
  CHECK_STR(r.err.code, "ETOOBIG");
  CHECK_INT(r.err.retryable, 0);
  CHECK(took < 3);
  CHECK(hsrv_sent(s) < 16 * 1024 * 1024);
  ecs_http_req_free(&r);
  hsrv_stop(s);
}

static void hostile_server_with_endless_header_lines_is_cut_at_the_header_cap(void) {
  expect_cut_without_hoarding(endless_header_lines);
}

static void hostile_server_with_one_endless_header_line_fails_without_hoarding(void) {
  expect_cut_without_hoarding(endless_header_line);
  expect_cut_without_hoarding(endless_status_line);
}

static void hostile_server_with_endless_chunked_body_is_cut_at_the_cap(void) {
  hsrv *s = hsrv_start(endless_chunked_body);
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  char url[128];
  int done = 0;
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", s->base.port);
  make_get(&r, url, &done);
  r.max_response = 1 << 20;
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 10);
  verbose(&r, 0);
  CHECK_INT(done, 1);
  CHECK_STR(r.err.code, "ETOOBIG");
  CHECK(r.resp_body.len <= (size_t)1 << 20);
  CHECK(hsrv_sent(s) < 16 * 1024 * 1024);
  ecs_http_req_free(&r);
  ecs_http_free(h);
  hsrv_stop(s);
}

static void hostile_server_redirect_is_not_followed(void) {
  hsrv *s = hsrv_start(redirect);
  ecs_http_req r;
  cJSON *body = NULL;
  ecs_error err;
  char want[128];
  one_get(s, &r, 5000, "http");
  CHECK_INT(r.failed, 0); /* the transport did its job: it got an answer */
  CHECK_INT(r.status, 302);
  snprintf(want, sizeof want, "http://127.0.0.1:%d/elsewhere?again=1", s->base.port);
  CHECK_STR(ecs_params_get(&r.resp_headers, "location"), want);
  /* what a caller sees: an error carrying the 302, not the redirect target */
  ecs_error_init(&err);
  CHECK_INT(ecs_client_finish(&r, &body, &err), -1);
  CHECK(body == NULL);
  CHECK_STR(err.code, "EJSON");
  CHECK_INT(err.status, 302);
  if (getenv("ECS_TEST_VERBOSE")) fprintf(stderr, "  [%s] %s\n", err.code, err.message);
  ecs_error_free(&err);
  {
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL); /* time for a follow-up that must not come */
  }
  CHECK_INT(hsrv_get(s, &s->requests), 1);
  pthread_mutex_lock(&s->base.mu);
  CHECK(strncmp(s->first_line, "GET /?Action=DescribeRegions ", 29) == 0);
  pthread_mutex_unlock(&s->base.mu);
  ecs_http_req_free(&r);
  hsrv_stop(s);
}

static void hostile_server_sending_garbage_is_a_transport_error(void) {
  static const hsrv_script scripts[] = {garbage, bad_status, bad_chunk};
  size_t i;
  for (i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
    hsrv *s = hsrv_start(scripts[i]);
    ecs_http_req r;
    double took = one_get(s, &r, 5000, "http");
    CHECK_INT(r.failed, 1);
    CHECK_INT(r.err.kind, ECS_KIND_TRANSPORT);
    CHECK(is(&r, "EHTTP", "ERESET"));
    CHECK(took < 3);
    ecs_http_req_free(&r);
    hsrv_stop(s);
  }
}

static void hostile_server_closing_before_the_promised_length_is_a_reset(void) {
  hsrv *s = hsrv_start(short_body);
  ecs_http_req r;
  double took = one_get(s, &r, 5000, "http");
  CHECK_INT(r.failed, 1);
  CHECK_STR(r.err.code, "ERESET");
  CHECK_INT(r.err.ambiguous, 1);
  CHECK(took < 3);
  ecs_http_req_free(&r);
  hsrv_stop(s);
}

static void hostile_server_connection_storm_fails_every_request_and_leaks_no_fd(void) {
  enum { N = 200 };
  hsrv *s = hsrv_start(slam);
  ecs_http *h;
  ecs_http_req *r = calloc(N, sizeof *r);
  char url[128];
  int done = 0, i, failed = 0, odd = 0, fds0, fds1, fds2;
  double t0, took;
  snprintf(url, sizeof url, "http://127.0.0.1:%d/?Action=DescribeRegions", s->base.port);
  fds0 = count_fds();
  h = ecs_http_new();
  t0 = mono();
  for (i = 0; i < N; i++) {
    make_get(&r[i], url, &done);
    r[i].timeout_ms = 5000;
    CHECK_INT(ecs_http_submit(h, &r[i]), 0);
  }
  run_all(h, 20);
  took = mono() - t0;
  CHECK_INT(done, N);
  CHECK_INT(ecs_http_active(h), 0);
  fds1 = count_fds();
  for (i = 0; i < N; i++) {
    if (r[i].failed) failed++;
    if (!is(&r[i], "ERESET", "EHTTP") && !is(&r[i], "ECONNECT", NULL)) {
      odd++;
      verbose(&r[i], took);
    }
    ecs_http_req_free(&r[i]);
  }
  ecs_http_free(h);
  fds2 = count_fds();
  if (getenv("ECS_TEST_VERBOSE"))
    fprintf(stderr, "  %d accepted, %.2fs, fds %d -> %d -> %d\n", hsrv_get(s, &s->accepted),
            took, fds0, fds1, fds2);
  CHECK_INT(failed, N);
  CHECK_INT(odd, 0);
  CHECK(took < 10);
  CHECK(hsrv_get(s, &s->accepted) >= N);
  CHECK(fds1 - fds0 <= 4); /* the engine's own wakeup pair at most */
  CHECK_INT(fds2, fds0);
  free(r);
  hsrv_stop(s);
}

/* insecure_http is checked without a packet leaving loopback: a proxy on
 * 127.0.0.1 (curl's http_proxy) stands in for the network, so a request to
 * a non-loopback name is accepted and sent - to the proxy only - while
 * without insecure_http it is refused before any connection. */
static void insecure_http_lifts_the_refusal_and_honours_a_loopback_proxy(void) {
  hsrv *s = hsrv_start(proxy_ok);
  ecs_http *h = ecs_http_new();
  ecs_http_req r;
  char proxy[64];
  int done = 0;
  const char *url = "http://ecs.example.invalid/?Action=DescribeRegions";
  snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", s->base.port);
  setenv("http_proxy", proxy, 1);
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  make_get(&r, url, &done);
  CHECK_INT(ecs_http_submit(h, &r), -1);
  CHECK_STR(r.err.code, "ECONFIG");
  CHECK(strstr(r.err.message, "ecs.example.invalid") != NULL);
  ecs_http_req_free(&r);
  make_get(&r, url, &done);
  r.insecure_http = 1;
  CHECK_INT(ecs_http_submit(h, &r), 0);
  run_all(h, 5);
  verbose(&r, 0);
  CHECK_INT(done, 1);
  CHECK_INT(r.failed, 0);
  CHECK_INT(r.status, 200);
  CHECK_INT(hsrv_get(s, &s->accepted), 1);
  pthread_mutex_lock(&s->base.mu);
  CHECK_STR(s->first_line, "GET http://ecs.example.invalid/?Action=DescribeRegions HTTP/1.1");
  pthread_mutex_unlock(&s->base.mu);
  ecs_http_req_free(&r);
  unsetenv("http_proxy");
  ecs_http_free(h);
  hsrv_stop(s);
}

static const ecs_test_case cases[] = {
  {"hostile_server_dripping_the_head_times_out_within_the_timeout",
   hostile_server_dripping_the_head_times_out_within_the_timeout},
  {"hostile_server_dripping_the_body_times_out_within_the_timeout",
   hostile_server_dripping_the_body_times_out_within_the_timeout},
  {"hostile_server_stalling_the_tls_handshake_hits_the_connect_timeout",
   hostile_server_stalling_the_tls_handshake_hits_the_connect_timeout},
  {"hostile_server_with_endless_header_lines_is_cut_at_the_header_cap",
   hostile_server_with_endless_header_lines_is_cut_at_the_header_cap},
  {"hostile_server_with_one_endless_header_line_fails_without_hoarding",
   hostile_server_with_one_endless_header_line_fails_without_hoarding},
  {"hostile_server_with_endless_chunked_body_is_cut_at_the_cap",
   hostile_server_with_endless_chunked_body_is_cut_at_the_cap},
  {"hostile_server_redirect_is_not_followed", hostile_server_redirect_is_not_followed},
  {"hostile_server_sending_garbage_is_a_transport_error",
   hostile_server_sending_garbage_is_a_transport_error},
  {"hostile_server_closing_before_the_promised_length_is_a_reset",
   hostile_server_closing_before_the_promised_length_is_a_reset},
  {"hostile_server_connection_storm_fails_every_request_and_leaks_no_fd",
   hostile_server_connection_storm_fails_every_request_and_leaks_no_fd},
  {"insecure_http_lifts_the_refusal_and_honours_a_loopback_proxy",
   insecure_http_lifts_the_refusal_and_honours_a_loopback_proxy},
  {NULL, NULL}};

int main(int argc, char **argv) { return ecs_test_main(argc, argv, cases); }
