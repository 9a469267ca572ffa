/* test_engine.c - the call engine (runtime/engine.c) without Lua: calls
 * driven against an in-process simulator on 127.0.0.1 (its /_sim/requests
 * log says what reached it), a loopback listener that never answers (a
 * transfer that stays in flight), audit files in a temporary directory and
 * on /dev/full.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine.h"
#include "json.h"
#include "sim.h"
#include "test_sim_util.h"
#include "testlib.h"

#define FLEET                                                                           \
  "{\"instances\":[{\"InstanceId\":\"i-1\",\"RegionId\":\"cn-hangzhou\","              \
  "\"Status\":\"Stopped\",\"InstanceChargeType\":\"PostPaid\",\"LockReasons\":[\"financial\"]}]}"

static ecs_engine *engine_up(void) {
  ecs_error e;
  ecs_engine *g;
  ecs_error_init(&e);
  g = ecs_engine_new(&e);
  if (!g) {
    fprintf(stderr, "ecs_engine_new: %s\n", e.message ? e.message : "?");
    abort();
  }
  return g;
}

/* An API call of action on instance i-1 of sim s (credentials: the sim's). */
static ecs_call *api_call(ecs_engine *g, ecs_sim *s, const char *action, int dry_run) {
  ecs_call *c = ecs_call_new(g);
  CHECK(c != NULL);
  c->cfg.endpoint = strdup(ecs_sim_url(s));
  ecs_params_add(&c->params, "InstanceId", "i-1");
  CHECK_INT(ecs_call_set_action(c, action, "cn-hangzhou", dry_run), 0);
  if (!c->dry_run)
    ecs_creds_set(&c->creds, ecs_sim_access_key_id(s), ecs_sim_access_key_secret(s), NULL, NULL);
  return c;
}

/* Runs g until c is done (at most 10 s); c must then be the call handed back. */
static void run_until_done(ecs_engine *g, ecs_call *c) {
  double t0 = ecs_engine_now();
  while (!ecs_call_done(c) && ecs_engine_now() - t0 < 10) CHECK_INT(ecs_engine_run(g, 0.05), 0);
  CHECK(ecs_call_done(c));
  CHECK(ecs_engine_next_done(g) == c);
  CHECK(ecs_engine_next_done(g) == NULL);
}

/* How many requests reached the simulator. */
static int sim_requests(ecs_sim *s) {
  cJSON *log = sim_get(s, "/_sim/requests");
  int n = cJSON_GetArraySize(log);
  cJSON_Delete(log);
  return n;
}

/* The lines of the file at path (at most 8), parsed; returns their number. */
static int audit_lines(const char *path, cJSON *out[8]) {
  char *text = ecs_test_read_file(path, NULL), *p, *nl;
  int n = 0;
  for (p = text; p && *p && n < 8; p = nl + 1) {
    if (!(nl = strchr(p, '\n'))) break;
    *nl = '\0';
    out[n++] = cJSON_Parse(p);
  }
  free(text);
  return n;
}

/* Finishes c expecting the error code; discards it. */
static void finish_fails_with(ecs_call *c, const char *code) {
  cJSON *body = (cJSON *)1;
  ecs_error err;
  ecs_error_init(&err);
  CHECK_INT(ecs_call_finish(c, &body, &err), -1);
  CHECK(body == NULL);
  CHECK_STR(err.code, code);
  CHECK_STR(err.action, "ReActivateInstances");
  CHECK_STR(err.instance_id, "i-1");
  ecs_error_free(&err);
  ecs_call_discard(c);
}

/* ---------------------------------------------------------------- cases */

static void dry_run_call_is_never_sent_and_records_nothing(void) {
  ecs_sim *s = sim_up(FLEET);
  ecs_engine *g = engine_up();
  ecs_call *c = api_call(g, s, "ReActivateInstances", 1), *q;
  const char *last = "x", *run = "x";
  CHECK_INT(c->dry_run, 1);
  CHECK_INT(ecs_call_submit(c), 0);
  CHECK(ecs_call_done(c));
  CHECK_INT(ecs_engine_inflight(g), 0);
  CHECK_INT(ecs_engine_run(g, 0), 0);
  CHECK(ecs_engine_next_done(g) == NULL); /* never went to the transfer engine */
  finish_fails_with(c, "EDRYRUN");
  CHECK_INT(ecs_engine_audit_status(g, &last, &run), 0); /* no file: no record, no failure */
  CHECK(last == NULL && run == NULL);
  /* the engine's dry run covers every mutating call; a read is still sent */
  ecs_engine_set_dry_run(g);
  c = api_call(g, s, "ReActivateInstances", 0);
  CHECK_INT(c->dry_run, 1);
  CHECK_INT(ecs_call_submit(c), 0);
  finish_fails_with(c, "EDRYRUN");
  CHECK_INT(sim_requests(s), 0);
  q = api_call(g, s, "DescribeInstances", 0);
  CHECK_INT(q->dry_run, 0);
  CHECK_INT(ecs_call_submit(q), 1);
  run_until_done(g, q);
  ecs_call_discard(q);
  CHECK_INT(sim_requests(s), 1);
  CHECK_INT((long long)ecs_engine_live(g), 0);
  ecs_engine_free(g);
  ecs_sim_stop(s);
}

/* With an audit file, a dry run of a mutating call is on the record as
 * such (intent with dry_run, outcome EDRYRUN), and still not sent. */
static void dry_run_with_an_audit_file_is_recorded_as_a_dry_run(void) {
  ecs_sim *s = sim_up(FLEET);
  ecs_engine *g = engine_up();
  char dir[] = "/tmp/ecs-engine-XXXXXX", path[64];
  cJSON *lines[8] = {0};
  ecs_error e;
  ecs_call *c;
  int n, i;
  ecs_error_init(&e);
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/audit.jsonl", dir);
  CHECK_INT(ecs_engine_audit_open(g, path, &e), 0);
  c = api_call(g, s, "ReActivateInstances", 1);
  CHECK_INT(ecs_call_submit(c), 0);
  finish_fails_with(c, "EDRYRUN");
  n = audit_lines(path, lines);
  CHECK_INT(n, 2);
  if (n == 2) {
    CHECK_STR(ecs_json_str(lines[0], "event"), "intent");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(lines[0], "dry_run")));
    CHECK_STR(ecs_json_str(lines[1], "event"), "outcome");
    CHECK_STR(ecs_json_str(lines[1], "code"), "EDRYRUN");
  }
  for (i = 0; i < n; i++) cJSON_Delete(lines[i]);
  CHECK_INT(sim_requests(s), 0);
  ecs_engine_free(g);
  unlink(path);
  rmdir(dir);
  ecs_sim_stop(s);
}

static void audit_write_failure_refuses_the_call_unsent(void) {
  ecs_sim *s = sim_up(FLEET);
  ecs_engine *g = engine_up();
  ecs_error e;
  ecs_call *c;
  const char *last = NULL, *run = NULL;
  ecs_error_init(&e);
  CHECK_INT(ecs_engine_audit_open(g, "/dev/full", &e), 0); /* a failure, never a skip */
  c = api_call(g, s, "ReActivateInstances", 0);
  CHECK_INT(ecs_call_submit(c), 0);
  CHECK(ecs_call_done(c));
  CHECK_INT(ecs_engine_inflight(g), 0);
  finish_fails_with(c, "EAUDIT");
  CHECK_INT(ecs_engine_audit_status(g, &last, &run), 1);
  CHECK(last && strstr(last, "/dev/full") && strstr(last, "ReActivateInstances"));
  CHECK(run != NULL);
  CHECK_INT(sim_requests(s), 0);
  /* a read is not audited: it goes out */
  c = api_call(g, s, "DescribeInstances", 0);
  CHECK_INT(ecs_call_submit(c), 1);
  run_until_done(g, c);
  ecs_call_discard(c);
  CHECK_INT(sim_requests(s), 1);
  CHECK_INT(ecs_engine_audit_status(g, NULL, NULL), 1);
  ecs_engine_free(g);
  ecs_sim_stop(s);
}

static void successful_call_writes_intent_then_outcome(void) {
  ecs_sim *s = sim_up(FLEET);
  ecs_engine *g = engine_up();
  char dir[] = "/tmp/ecs-engine-XXXXXX", path[64];
  cJSON *lines[8] = {0}, *body = NULL;
  ecs_error e;
  ecs_call *c;
  const char *run = NULL;
  int n, i;
  ecs_error_init(&e);
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/audit.jsonl", dir);
  CHECK_INT(ecs_engine_audit_open(g, path, &e), 0);
  c = api_call(g, s, "ReActivateInstances", 0);
  ecs_call_set_retry(c, 2, 0.25);
  CHECK_INT(ecs_call_submit(c), 1);
  CHECK_INT(audit_lines(path, lines), 1); /* the intent is on disk before the answer */
  cJSON_Delete(lines[0]);
  run_until_done(g, c);
  CHECK_INT(ecs_call_finish(c, &body, &e), 0);
  CHECK(body && ecs_json_str(body, "RequestId"));
  ecs_call_discard(c);
  ecs_engine_audit_status(g, NULL, &run);
  n = audit_lines(path, lines);
  CHECK_INT(n, 2);
  if (n == 2) {
    CHECK_STR(ecs_json_str(lines[0], "event"), "intent");
    CHECK_STR(ecs_json_str(lines[0], "access_key_id"), ecs_sim_access_key_id(s));
    CHECK_STR(ecs_json_str(lines[0], "region"), "cn-hangzhou");
    CHECK_INT(ecs_json_num(lines[0], "attempt", 0), 2);
    CHECK_STR(ecs_json_str(lines[1], "event"), "outcome");
    CHECK_STR(ecs_json_str(lines[1], "id"), ecs_json_str(lines[0], "id"));
    CHECK_STR(ecs_json_str(lines[1], "run"), run);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(lines[1], "ok")));
    CHECK_STR(ecs_json_str(lines[1], "request_id"), ecs_json_str(body, "RequestId"));
    CHECK_INT(ecs_json_num(lines[1], "status", 0), 200);
  }
  for (i = 0; i < n; i++) cJSON_Delete(lines[i]);
  CHECK_INT(ecs_engine_audit_status(g, NULL, NULL), 0);
  CHECK_INT(sim_requests(s), 1);
  cJSON_Delete(body);
  ecs_engine_free(g);
  unlink(path);
  rmdir(dir);
  ecs_sim_stop(s);
}

static void rate_limit_reserve_returns_the_waits_per_key(void) {
  ecs_sim *s = sim_up(FLEET);
  ecs_engine *g = engine_up();
  ecs_call *a = api_call(g, s, "DescribeInstances", 0), *b = api_call(g, s, "DescribeInstances", 0);
  ecs_call *other = api_call(g, s, "DescribeRegions", 0);
  double wa = ecs_call_reserve(a, 1), wb = ecs_call_reserve(b, 1), wo = ecs_call_reserve(other, 1);
  CHECK(wa == 0);
  CHECK(wb > 0.9 && wb < 1.1); /* same product, key, region, action: queued */
  CHECK(wo == 0);              /* another action: its own limit */
  CHECK_INT((long long)ecs_engine_live(g), 3);
  ecs_call_discard(a);
  ecs_call_discard(b);
  ecs_call_discard(other);
  CHECK_INT((long long)ecs_engine_live(g), 0);
  ecs_engine_free(g);
  ecs_sim_stop(s);
}

/* A loopback listener that accepts into its backlog and never answers. */
static int silent_listener(int *port) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 8) < 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) < 0)
    abort();
  *port = ntohs(a.sin_port);
  return fd;
}

static ecs_call *raw_get(ecs_engine *g, const char *url, int tag) {
  ecs_call *c = ecs_call_new(g);
  ecs_http_req r;
  ecs_http_req_init(&r);
  r.method = strdup("GET");
  r.url = strdup(url);
  r.timeout_ms = 10000;
  CHECK_INT(ecs_call_set_raw(c, tag, &r), 0);
  CHECK(r.url == NULL); /* moved into the call */
  return c;
}

static void discarding_an_inflight_call_leaves_nothing_live(void) {
  ecs_engine *g = engine_up();
  int port, fd = silent_listener(&port), i;
  char url[64];
  ecs_call *c, *slot;
  snprintf(url, sizeof url, "http://127.0.0.1:%d/hang", port);
  c = raw_get(g, url, 7);
  slot = c;
  c->owner = &slot;
  CHECK_INT(ecs_call_submit(c), 1);
  CHECK_INT(ecs_call_submit(c), 1); /* submitted once only */
  for (i = 0; i < 4; i++) CHECK_INT(ecs_engine_run(g, 0.05), 0);
  CHECK(!ecs_call_done(c));
  CHECK_INT(ecs_engine_inflight(g), 1);
  CHECK_INT((long long)ecs_engine_live(g), 1);
  ecs_call_discard(c);
  CHECK(slot == NULL); /* the owner's pointer is cleared */
  CHECK_INT(ecs_engine_inflight(g), 0);
  CHECK_INT((long long)ecs_engine_live(g), 0);
  CHECK_INT(ecs_engine_run(g, 0.05), 0);
  CHECK(ecs_engine_next_done(g) == NULL);
  /* freeing the engine frees what is still live, clearing the owners */
  c = raw_get(g, url, 7);
  slot = c;
  c->owner = &slot;
  CHECK_INT(ecs_call_submit(c), 1);
  ecs_engine_free(g);
  CHECK(slot == NULL);
  close(fd);
}

static void raw_call_answer_comes_back_through_accessors(void) {
  ecs_sim *s = sim_up(FLEET);
  ecs_engine *g = engine_up();
  char url[128];
  const char *b;
  size_t len = 0, i;
  cJSON *body = (cJSON *)1, *j;
  ecs_error e;
  ecs_call *c;
  const ecs_params *h;
  int has_ct = 0;
  ecs_error_init(&e);
  snprintf(url, sizeof url, "%s/_sim/state", ecs_sim_url(s));
  c = raw_get(g, url, 2);
  CHECK_STR(c->action, "GET");
  CHECK_INT(c->raw, 2);
  CHECK_INT(ecs_call_submit(c), 1);
  run_until_done(g, c);
  CHECK_INT(ecs_call_finish(c, &body, &e), 0);
  CHECK(body == NULL);
  CHECK_INT(ecs_call_status(c), 200);
  h = ecs_call_headers(c);
  for (i = 0; i < h->n; i++)
    if (strcmp(h->v[i].name, "content-type") == 0) has_ct = 1;
  CHECK(has_ct);
  b = ecs_call_body(c, &len);
  CHECK(len > 0 && strlen(b) == len);
  j = cJSON_Parse(b);
  CHECK(j && state_instance(j, "i-1"));
  cJSON_Delete(j);
  ecs_call_discard(c);
  /* a raw transfer that fails: the error names the method */
  c = raw_get(g, "http://127.0.0.1:1/", 1);
  if (ecs_call_submit(c)) run_until_done(g, c);
  CHECK_INT(ecs_call_finish(c, &body, &e), -1);
  CHECK_STR(e.code, "ECONNECT");
  CHECK_STR(e.action, "GET");
  ecs_error_free(&e);
  ecs_call_discard(c);
  CHECK_INT((long long)ecs_engine_live(g), 0);
  ecs_engine_free(g);
  ecs_sim_stop(s);
}

static const ecs_test_case cases[] = {
  {"dry_run_call_is_never_sent_and_records_nothing", dry_run_call_is_never_sent_and_records_nothing},
  {"dry_run_with_an_audit_file_is_recorded_as_a_dry_run",
   dry_run_with_an_audit_file_is_recorded_as_a_dry_run},
  {"audit_write_failure_refuses_the_call_unsent", audit_write_failure_refuses_the_call_unsent},
  {"successful_call_writes_intent_then_outcome", successful_call_writes_intent_then_outcome},
  {"rate_limit_reserve_returns_the_waits_per_key", rate_limit_reserve_returns_the_waits_per_key},
  {"discarding_an_inflight_call_leaves_nothing_live",
   discarding_an_inflight_call_leaves_nothing_live},
  {"raw_call_answer_comes_back_through_accessors", raw_call_answer_comes_back_through_accessors},
  {NULL, NULL}};

int main(int argc, char **argv) { return ecs_test_main(argc, argv, cases); }
