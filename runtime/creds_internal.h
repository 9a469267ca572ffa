/* creds_internal.h - shared by the credentials files (not public): the
 * credential sources the chain is made of, the blocking HTTP helper, STS,
 * the metadata service, the aliyun CLI and INI files.
 *
 * The files form a chain: creds_util.c (helpers, sources) <- creds_files.c
 * and creds_net.c <- creds.c (the provider chain).
 *
 * Every "why" buffer receives a short human reason for a failure. Reasons
 * name files, variables, roles and HTTP statuses, never a secret and never
 * a server's HTML.
 *
 * Fetchers return 0, -1 (failed, why set), or ECS_CREDS_REFUSED: the URL
 * policy of http.c refused the endpoint before any connection (plain http
 * to a host that is not loopback without insecure_http); why then holds
 * that ECONFIG message and the chain stops there.
 */
#ifndef ECS_CREDS_INTERNAL_H
#define ECS_CREDS_INTERNAL_H

#include "buf.h"
#include "creds.h"

typedef enum {
  SRC_STATIC,   /* fixed key pair (+ token) */
  SRC_ROLE_ARN, /* STS AssumeRole with the credentials of `source` */
  SRC_ECS_ROLE, /* the ECS metadata service */
  SRC_URI,      /* GET a credentials URI */
  SRC_OIDC,     /* STS AssumeRoleWithOIDC (unsigned) */
  SRC_EXTERNAL  /* run a program, read JSON from its stdout */
} ecs_src_kind;

/* One credential source. Owns every string and `source`. */
typedef struct ecs_src {
  ecs_src_kind kind;
  char *name;             /* SDK provider name without "default/" */
  ecs_creds fixed;        /* SRC_STATIC */
  struct ecs_src *source; /* SRC_ROLE_ARN */
  char *role_arn, *session, *policy, *external_id, *sts_endpoint;
  long duration;          /* DurationSeconds */
  char *role_name;        /* SRC_ECS_ROLE: NULL = discover */
  char *url;              /* SRC_URI */
  char *oidc_provider_arn, *oidc_token_file;
  char *command;          /* SRC_EXTERNAL */
  ecs_creds cache;        /* the last temporary credentials */
  int have;
  double obtained;        /* wall time they were obtained */
} ecs_src;

#define ECS_CREDS_REFUSED (-2)

/* How credential endpoints are reached: the same options as ECS calls. */
typedef struct ecs_creds_net {
  const char *ca_file; /* NULL: the system store */
  int insecure_http;   /* allow plain http:// to hosts that are not loopback */
} ecs_creds_net;

/* ---- helpers and sources (creds_util.c) ---- */
ecs_src *ecs_creds_src_new(ecs_src_kind kind, const char *name);
void ecs_creds_src_free(ecs_src *s);
double ecs_creds_now(void);
/* "YYYY-MM-DDThh:mm:ssZ" or with ".sss" (isotime.c), 1970 or later -> epoch
 * seconds; -1 if malformed. */
double ecs_creds_parse_time(const char *s);
/* Environment variable that is set and non-empty, else NULL. */
const char *ecs_creds_env(const char *name);
/* 1 when the variable is "true" (any case) or "1". */
int ecs_creds_env_true(const char *name);
/* The STS base URL for a region (NULL: global) unless
 * ALIBABA_CLOUD_STS_ENDPOINT or `configured` (host or URL) says otherwise.
 * Heap string or NULL. */
char *ecs_creds_sts_endpoint(const char *configured, const char *region);
/* Warns on stderr (once per path per process run) when path is readable by
 * group or others. */
void ecs_creds_check_mode(const char *path);
/* $HOME (else the password database) + "/" + rel, heap, or NULL. */
char *ecs_creds_home_path(const char *rel);
/* Sets out to a key a source handed over (provider left NULL) that expires
 * at expiration (epoch seconds, 0: never). 0, or -1 with "out of memory"
 * in why. */
int ecs_creds_take(ecs_creds *out, const char *id, const char *sec, const char *tok,
                   double expiration, ecs_buf *why);

/* ---- network (creds_net.c) ---- */
/* One blocking HTTP exchange through http.c's engine and URL policy (net:
 * ca_file, insecure_http; NULL: the defaults). headers: "Name: value"
 * pairs; body may be NULL. On an HTTP answer (any status) returns 0 with
 * *status and resp (capped at 1 MiB); on a transport failure -1 with why;
 * ECS_CREDS_REFUSED when the URL was refused before any connection.
 * metadata: 0, or ECS_IMDS_OVERRIDDEN (a metadata host of the user's: never
 * through a proxy) or ECS_IMDS_FIXED (the fixed metadata address, plain
 * http by design on the real service: allowed, never through a proxy). */
enum { ECS_IMDS_OVERRIDDEN = 1, ECS_IMDS_FIXED = 2 };
int ecs_creds_http(const ecs_creds_net *net, const char *method, const char *url,
                   const ecs_params *headers, const char *body, long connect_ms,
                   long timeout_ms, int metadata, long *status, ecs_buf *resp, ecs_buf *why);
/* STS AssumeRole signed (V1, POST) with src, or AssumeRoleWithOIDC
 * unsigned when src is NULL (s->oidc_* used). 0 with out filled
 * (provider left NULL, expiration set), -1 or ECS_CREDS_REFUSED with why. */
int ecs_creds_sts_assume(const ecs_creds_net *net, const ecs_src *s, const ecs_creds *src,
                   ecs_creds *out, ecs_buf *why);
/* The RAM role's credentials from the metadata service (IMDSv2, v1
 * fallback unless ALIBABA_CLOUD_IMDSV1_DISABLED). The fixed address
 * http://100.100.100.200 is plain http by design and allowed; a host set by
 * ECSRUN_METADATA_ENDPOINT follows the URL policy. 0, -1 or
 * ECS_CREDS_REFUSED with why. */
int ecs_creds_imds_fetch(const ecs_creds_net *net, const char *role_name, ecs_creds *out,
                   ecs_buf *why);
/* GET url -> {AccessKeyId, AccessKeySecret, SecurityToken, Expiration}. */
int ecs_creds_uri_fetch(const ecs_creds_net *net, const char *url, ecs_creds *out, ecs_buf *why);
/* Parses a metadata/URI style JSON document into out. 0 or -1 with why
 * (what names the source for messages). */
int ecs_creds_from_json_doc(const char *body, size_t n, int need_token, const char *what,
                            ecs_creds *out, ecs_buf *why);

/* ---- files and processes (creds_files.c) ---- */
/* The aliyun CLI config: loads path; selects profile (NULL: env, current,
 * "default"). 1 when the file does not exist, 2 when it has no such
 * profile (why says so), 0 with *src and *region (heap, may be NULL) set,
 * -1 with why. */
int ecs_creds_cli_load(const char *path, const char *profile, ecs_src **src, char **region,
                         ecs_buf *why);
/* region_id of the selected profile in path, or NULL (no network). */
char *ecs_creds_cli_region(const char *path, const char *profile);
/* The INI credentials file: 1 absent, 2 no such section (why), 0 with
 * *src, -1 with why. */
int ecs_creds_ini_load(const char *path, const char *profile, ecs_src **src, ecs_buf *why);
/* Runs command (split on blanks, no shell) with a timeout, parses the
 * aliyun CLI's External JSON from its stdout. 0 or -1 with why. */
int ecs_creds_external_fetch(const char *command, ecs_creds *out, ecs_buf *why);

/* ---- sources (creds.c) ---- */
/* Credentials of s, refreshed when stale (see creds.h), fetched over net
 * (NULL: the defaults). 0, or -1 / ECS_CREDS_REFUSED with why. */
int ecs_creds_src_get(ecs_src *s, const ecs_creds_net *net, ecs_creds *out, ecs_buf *why);

#endif
