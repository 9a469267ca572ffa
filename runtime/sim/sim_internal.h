/* sim_internal.h - shared between the simulator's source files (not public).
 *
 * Layout: fleet.c parses and validates a fleet into sim_fleet; verify.c
 * authenticates a parsed request (V1/V3 signatures, timestamps, nonces, STS);
 * actions.c runs the ECS actions against the state, applies throttling and
 * faults and serialises the /_sim documents; handle.c runs one request
 * (parse, metadata service, checks, verify, dispatch, log) for any transport;
 * server.c owns the HTTP side (libmicrohttpd), rendering (JSON/XML), latency,
 * hangs and resets, and the simulator's lifecycle; util.c holds time and id
 * helpers.
 *
 * Locking: ecs_sim.mu guards everything that changes after start (instances,
 * balances, faults, throttle windows, the nonce store, the request log and
 * counters). Secrets and the rest of the fleet are immutable once loaded and
 * are read without the lock.
 */
#ifndef ECS_SIM_INTERNAL_H
#define ECS_SIM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "sim.h"

/* ---- fleet ---- */

enum { SIM_PENDING, SIM_RUNNING, SIM_STARTING, SIM_STOPPING, SIM_STOPPED, SIM_NSTATUS };
extern const char *const sim_status_names[SIM_NSTATUS];

/* OperationLocks as bits, in the order they are listed. */
enum { SIM_LOCK_FINANCIAL = 1, SIM_LOCK_SECURITY = 2, SIM_LOCK_RECYCLING = 4,
       SIM_LOCK_DHFINANCIAL = 8, SIM_LOCK_REFUNDED = 16 };
#define SIM_NLOCKS 5
extern const char *const sim_lock_names[SIM_NLOCKS];

typedef struct sim_account {
  char *access_key_id;
  char *secret;         /* never printed, logged or serialised */
  char *security_token; /* NULL: a permanent key; never printed either */
  long long expiration; /* epoch seconds; 0 = none */
  double balance, min_balance;
  const char *balance_error; /* the code a balance below min_balance answers (static) */
  char *currency;       /* BSS QueryAccountBalance's Currency; NULL: CNY */
  struct sim_key_pair *keys; /* more access keys of this account ("keys") */
  size_t nkeys;
} sim_account;

/* An extra permanent access key of an account (fleet "keys"). */
typedef struct sim_key_pair {
  char *access_key_id;
  char *secret; /* never printed, logged or serialised */
} sim_key_pair;

typedef struct sim_instance {
  char *id, *region, *zone, *name, *type, *host_name;
  char *resource_group, *vpc, *image; /* ResourceGroupId, VpcId, ImageId ("" when none) */
  char *creation_time, *expired_time; /* "YYYY-MM-DDThh:mmZ" */
  int status;
  int prepaid;
  unsigned locks;
  ecs_params tags;
  size_t account;             /* index into sim_fleet.accounts */
  long long starting_since_ms; /* when it went Starting (lazy -> Running) */
} sim_instance;

typedef struct sim_throttle_rule {
  char *action;
  int limit, window_s, status;
  int retry_after; /* 0: the answer carries no x-acs-retry-after */
} sim_throttle_rule;

enum { SIM_FAULT_NONE, SIM_FAULT_ERROR, SIM_FAULT_RESET, SIM_FAULT_HANG,
       SIM_FAULT_MALFORMED, SIM_FAULT_HTML503 };

typedef struct sim_fault {
  char *action;
  char *instance_id; /* NULL: any */
  int times;         /* remaining; -1 forever */
  int kind;
  char *code, *message; /* SIM_FAULT_ERROR */
  int status;
  int apply;
} sim_fault;

/* The faults of one (action, instance_id) pair, as indices into
 * sim_fleet.faults in file order; faults before `head` have no times left
 * (times only ever count down to 0, so they never match again). */
typedef struct sim_fault_list {
  const char *action, *instance_id; /* point into the faults; instance_id NULL: any */
  size_t *idx;
  size_t n, head;
} sim_fault_list;

/* A RAM role the simulated STS and metadata service hand out keys for
 * (iam.c). Issued keys act on `account`'s instances. */
typedef struct sim_role {
  char *name, *arn;
  size_t account;      /* index into sim_fleet.accounts */
  char **trusted;      /* access key ids / role ARNs allowed to AssumeRole */
  size_t ntrusted;
  int trust_all;       /* no "trusted" given: any authenticated caller */
  int duration_s;      /* lifetime of issued keys (caps DurationSeconds) */
  int metadata;        /* the instance's role on the metadata service */
  char *oidc_provider_arn, *oidc_token; /* AssumeRoleWithOIDC, when set */
} sim_role;

typedef struct sim_fleet {
  sim_account *accounts;
  size_t naccounts;
  sim_instance *instances;
  size_t ninstances;
  sim_throttle_rule *throttle;
  size_t nthrottle;
  sim_fault *faults;
  size_t nfaults;
  int latency_ms, start_delay_ms;
  sim_role *roles;
  size_t nroles;
  int md_require_token; /* metadata: reads need an IMDSv2 token */
  int md_token_api;     /* metadata: PUT /latest/api/token exists (default 1) */
  /* indexes built by sim_fleet_load (open addressing, mask + 1 slots, a
   * slot holds index + 1, 0 is empty): InstanceId -> instances[], and
   * (action, instance_id) -> fault_lists[] */
  size_t *inst_tab, inst_mask;
  sim_fault_list *fault_lists;
  size_t nfault_lists;
  size_t *fault_tab, fault_mask;
} sim_fleet;

/* Parses and validates a fleet. 0, or -1 with err = "path.to.field: problem". */
int sim_fleet_load(sim_fleet *f, const char *json, size_t n, char *err, size_t errlen);
void sim_fleet_free(sim_fleet *f);
/* The instance with this InstanceId, or NULL (O(1): the fleet's index). */
sim_instance *sim_instance_find(const sim_fleet *f, const char *id);
/* The index of that instance in f->instances, or (size_t)-1. */
size_t sim_instance_index(const sim_fleet *f, const char *id);
/* The first fault, in file order, for action that has times left and names
 * no instance or instance_id id (id NULL: only the former). NULL if none.
 * Under ecs_sim.mu (it moves the lists' heads past spent faults). */
sim_fault *sim_fault_first(sim_fleet *f, const char *action, const char *id);
/* The actions the simulator implements (NULL-terminated). */
extern const char *const sim_actions[];
int sim_action_known(const char *action);

/* ---- mutable runtime state ---- */

typedef struct sim_nonce sim_nonce;
typedef struct sim_nonces {
  sim_nonce **tab;
  size_t nbuckets, n;
  sim_nonce *oldest, *newest; /* insertion order, for eviction */
} sim_nonces;

typedef struct sim_window {
  char *key; /* "#account\nregion\naction" */
  long long start_ms;
  int count;
} sim_window;

typedef struct sim_logent {
  unsigned long long seq;
  long long time_ms;
  char action[64], instance_id[80], region[40], access_key_id[80], code[72];
  char params[160]; /* names of the operation parameters sent, comma-joined */
  int status;
  long retry_attempts, retry_delay; /* x-acs-retry-attempts / -delay; -1 if none or not a number */
} sim_logent;

/* iam.c: STS keys issued by AssumeRole* and the metadata service, and
 * IMDSv2 tokens. Guarded by ecs_sim.mu. */
typedef struct sim_issued {
  char id[40];
  char *secret, *token; /* never printed, logged or serialised */
  long long expiration; /* epoch seconds */
  size_t account, role;
} sim_issued;

typedef struct sim_mdtoken {
  char token[48];
  long long expires_ms;
} sim_mdtoken;

struct ecs_sim {
  struct MHD_Daemon *daemon;
  int port;
  char url[48];
  int quiet;
  int latency_ms;
  uint32_t token_salt;
  _Atomic long long clock_offset_ms;

  pthread_mutex_t mu; /* the state below */
  sim_fleet f;
  sim_nonces nonces;
  sim_window *windows;
  size_t nwindows;
  sim_logent *log;
  size_t log_n, log_cap, log_head; /* ring once log_n == SIM_LOG_MAX */
  unsigned long long seq;
  unsigned long long n_requests, n_ok, n_errors, n_throttled, n_faults;
  sim_issued *issued; /* iam.c */
  size_t nissued, issued_cap;
  sim_mdtoken *mdtokens;
  size_t nmdtokens;
  struct sim_hook *hooks; /* webhook.c: what /_sim/webhook received */
  size_t nhooks;
  unsigned long long nhooks_total;

  pthread_mutex_t stop_mu; /* stop flag + condvar for latency/hang waits */
  pthread_cond_t stop_cv;
  int stopping;
};

#define SIM_LOG_MAX 50000
#define SIM_NONCE_MAX 1000000
#define SIM_NONCE_TTL_MS (31LL * 60 * 1000)
#define SIM_SKEW_MS (15LL * 60 * 1000)

/* ---- one request, one answer ---- */

typedef struct sim_req {
  const char *method;
  const char *path;    /* raw path (before '?') */
  const char *raw_query;
  ecs_buf body;
  ecs_params headers;  /* names as received */
  ecs_params query;    /* decoded URL query */
  ecs_params params;   /* decoded query + form body: the action's parameters */
  const char *host;    /* Host header as received ("" if none) */
  int v3, xml;
  const char *action, *version;
  char access_key_id[80]; /* as the caller named it (for the log) */
  size_t account;      /* valid after a successful sim_verify */
  long long now_ms;
  char request_id[37];
} sim_req;

typedef struct sim_resp {
  int status;
  char code[72];      /* "OK" or the error code (for the log) */
  char *message;      /* error message (heap) */
  cJSON *body;        /* success body (without RequestId; added on render) */
  int fault;          /* SIM_FAULT_* delivered instead of the answer */
  long long retry_after_ms; /* >= 0: x-acs-retry-after */
} sim_resp;

void sim_resp_free(sim_resp *r);
/* Fills r as an error; message printf-style. Returns -1 for `return`. */
int sim_fail(sim_resp *r, int status, const char *code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
int sim_oom(sim_resp *r);
/* Standard messages for the common codes. */
int sim_missing(sim_resp *r, const char *name);
int sim_invalid(sim_resp *r, const char *name);

/* ---- iam.c: STS and the metadata service ---- */

/* The key a request names: a fleet account or an issued STS key. secret
 * and token point into the fleet or into own_* (copies, wiped by
 * sim_key_free). */
typedef struct sim_key {
  size_t account;
  const char *secret, *token;
  long long expiration;
  char *own_secret, *own_token;
  int issued;
} sim_key;
/* Finds ak among the fleet's accounts, then the issued keys (takes s->mu
 * briefly). 0, or -1 when unknown. */
int sim_key_find(ecs_sim *s, const char *ak, sim_key *k);
void sim_key_free(sim_key *k);
/* 1 when the request is an STS call (Version 2015-04-01) and the fleet
 * has roles. */
int sim_is_sts(const ecs_sim *s, const sim_req *req);
/* 1 for AssumeRoleWithOIDC, which is not signed. */
int sim_sts_unsigned(const sim_req *req);
/* Runs an STS action (after sim_verify unless unsigned). */
void sim_sts_dispatch(ecs_sim *s, sim_req *req, sim_resp *r);
/* 1 when the fleet serves the metadata service (it has roles or a
 * "metadata" block). */
int sim_imds_enabled(const ecs_sim *s);
/* Answers a /latest/... request: *status, *ctype and a heap *body; sets
 * req->action and r->code/status for the log. */
void sim_imds(ecs_sim *s, sim_req *req, sim_resp *r, const char **ctype, char **body);
void sim_iam_free(ecs_sim *s);

/* verify.c: authenticates req (sets req->account). 0, or -1 with r set.
 * Takes s->mu briefly for the nonce store. */
int sim_verify(ecs_sim *s, sim_req *req, sim_resp *r);
void sim_nonces_free(sim_nonces *ns);

/* actions.c: everything after authentication: action/version, throttling,
 * faults, the action. r->fault tells the server what to deliver. */
void sim_dispatch(ecs_sim *s, sim_req *req, sim_resp *r);

/* webhook.c: POST /_sim/webhook records req and sets *doc (heap JSON, may
 * be NULL on OOM) and *delay_ms; returns the HTTP status to answer.
 * sim_webhooks_json: GET /_sim/webhooks. */
typedef struct sim_hook sim_hook;
int sim_webhook_post(ecs_sim *s, const sim_req *req, char **doc, long *delay_ms);
char *sim_webhooks_json(ecs_sim *s);
void sim_webhooks_free(ecs_sim *s);

/* An action: fills r for req (commit 0: check only, change nothing). */
typedef int (*sim_action_fn)(ecs_sim *, sim_req *, sim_resp *, int commit);
/* bss.c: 1 when version is BssOpenApi's (2017-12-14); its action or NULL. */
int sim_bss_version(const char *version);
sim_action_fn sim_bss_action(const char *action);
/* Appends to the request log (takes s->mu). */
void sim_log_request(ecs_sim *s, const sim_req *req, const sim_resp *r);
/* JSON text of /_sim/state and /_sim/requests (heap; NULL when out of memory). */
char *sim_state_json(ecs_sim *s);
char *sim_requests_json(ecs_sim *s);
/* Only the entries with seq > since (since 0: all of them). */
char *sim_requests_json_since(ecs_sim *s, unsigned long long since);
void sim_windows_free(ecs_sim *s);

/* util.c */
long long sim_now_ms(const ecs_sim *s);
/* "YYYY-MM-DDThh:mm:ssZ" (strict) -> epoch seconds. 0 or -1. With
 * allow_minutes, "YYYY-MM-DDThh:mmZ" is accepted too. */
int sim_parse_time(const char *s, int allow_minutes, long long *out);
/* epoch seconds -> "YYYY-MM-DDThh:mmZ" (out >= 18) or with seconds (>= 21). */
void sim_format_minutes(long long t, char *out, size_t n);
void sim_format_seconds(long long t, char *out, size_t n);
/* An upper-case UUID v4 into out[37]. */
void sim_request_id(char out[37]);
/* Copies src into a fixed buffer, truncating. */
void sim_copy(char *dst, size_t n, const char *src);
/* Test hook: shifts the simulator's clock (milliseconds, may be negative). */
void ecs_sim_set_clock_offset(ecs_sim *s, long long offset_ms);

/* ---- handle.c: one request, transport aside ---- */

/* A request as the transport received it. */
typedef struct sim_raw_req {
  const char *method;
  const char *target;     /* raw request-target: path?query */
  ecs_params *headers;    /* names as received; taken over (left empty) */
  const char *body;       /* borrowed until sim_exchange_free */
  size_t body_len;
  long long now_ms;
  const char *request_id; /* NULL: a fresh one (sim_request_id) */
  int too_large;          /* the transport dropped the body for its size: 413 */
  int sim_docs;           /* 1: /_sim/ paths are left to the caller (not logged) */
} sim_raw_req;

/* What became of a request (sim_exchange.kind). */
enum {
  SIM_X_API,     /* resp is the API answer (or resp.fault): render it with req */
  SIM_X_IMDS,    /* the metadata service: send imds_body as imds_ctype, resp.status */
  SIM_X_SIM_DOC  /* a /_sim/ path (only with sim_docs): the caller serves it */
};

typedef struct sim_exchange {
  sim_req req;             /* the parsed request (rendering needs it) */
  sim_resp resp;
  int kind;                /* SIM_X_* */
  const char *imds_ctype;  /* SIM_X_IMDS */
  char *imds_body;         /* SIM_X_IMDS: heap; NULL when out of memory */
  char *path;              /* owns req.path */
} sim_exchange;

/* Runs in through the simulator: the query and form body decoding, the
 * metadata service, the method, body-size and path checks, sim_verify, the
 * ECS or STS dispatch and the request log, with the clock at in->now_ms.
 * Fills x, which the caller frees with sim_exchange_free whatever the
 * result. 0, or -1 when out of memory before the request was routed. */
int sim_handle(ecs_sim *s, const sim_raw_req *in, sim_exchange *x);
void sim_exchange_free(sim_exchange *x);

/* server.c: allocates a simulator with its locks and a random NextToken salt
 * (NULL on failure); sim_destroy frees one that has no daemon running. */
ecs_sim *sim_new(void);
void sim_destroy(ecs_sim *s);

/* fuzz_entry.c: the simulator without a socket, for the fuzzers and the
 * regression tests (not part of the ecs_sim library; link the file).
 * sim_offline_new loads a fleet into a quiet simulator with no listener and
 * a fixed NextToken salt (NULL with err set on failure); sim_offline_free
 * frees it. sim_handle_raw runs one request - method, raw request-target
 * (path?query), headers as received, body - through sim_handle as the
 * server does (but /_sim/ paths are not served), with the clock at now_ms
 * and a fixed request id. Fills r (the caller sim_resp_free's it); 0, or
 * -1 when out of memory. */
ecs_sim *sim_offline_new(const char *fleet_json, size_t n, char *err, size_t errlen);
void sim_offline_free(ecs_sim *s);
int sim_handle_raw(ecs_sim *s, const char *method, const char *target,
                   const ecs_params *headers, const char *body, size_t body_len,
                   long long now_ms, sim_resp *r);

#endif
