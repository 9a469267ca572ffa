/* fuzz_sim_request.c - libFuzzer target for the simulator's request side:
 * request-target and form-body decoding, V1 and V3 verification (headers,
 * Authorization, timestamps, nonces, STS), then the actions behind them.
 *
 * Input (see fuzz_util.h): first line "METHOD TARGET" (an optional trailing
 * " HTTP/1.1" is dropped), the request headers as an HTTP server delivers
 * them, a blank line, the body.
 *
 * Each input runs twice, each time on a fresh simulator (fleet below, clock
 * fixed at the captures' time 2026-11-26T02:58:43Z):
 *  1. as it is - almost always an authentication error, which exercises the
 *     parsers and every rejection path;
 *  2. re-signed with the client's own signers (sign.c) for the account the
 *     request names (else the first): V3 gets a fresh Authorization and a
 *     true x-acs-content-sha256, V1 a fresh Signature in the query. This
 *     reaches the actions (DescribeInstances filters and paging, throttling,
 *     faults, ReActivateInstances, STS AssumeRole) and checks that what the
 *     client signs the simulator accepts: SignatureDoesNotMatch here is a
 *     finding.
 * The fleet has roles, so /latest/ (the metadata service) and STS calls
 * (Version 2015-04-01, AssumeRoleWithOIDC unsigned) are served too.
 * Afterwards /_sim/state and /_sim/requests are rendered.
 */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "encode.h"
#include "fuzz_util.h"
#include "sign.h"
#include "sim_internal.h"

static const char fleet[] =
    "{\"accounts\":["
    "{\"access_key_id\":\"LTAI5tFakeAccessKeyId01\",\"access_key_secret\":"
    "\"FakeAccessKeySecret0123456789ab\",\"balance\":500},"
    "{\"access_key_id\":\"STS.NUgYrLnoC37mZZCNnAbez2xxx\",\"access_key_secret\":\"FakeStsSecret9xQ2\","
    "\"security_token\":\"CAIS8gF1q6Ft5B2yfSjIr5bSEsKMr+Zq1aeMRkLcgTMxfNZ9i4PalDz2IHxMf3NtAO0Zs/"
    "0xmGpW7P0dlrYqFsEbHBDJNJMgtc4Nq1z5JpfZgv3wE6Lg+5vaV6ghiP/Nxd6Y0dFmM=\","
    "\"expiration\":\"2030-01-01T00:00:00Z\"},"
    "{\"access_key_id\":\"sim-ak\",\"access_key_secret\":\"sim-secret\",\"balance\":10}],"
    "\"start_delay_ms\":1000,"
    "\"throttle\":{\"DescribeInstanceStatus\":{\"limit\":1,\"window_s\":60,\"status\":429}},"
    "\"instances\":["
    "{\"InstanceId\":\"i-bp1gbz20g229bvx5xxxx\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\","
    "\"LockReasons\":[\"financial\"],\"InstanceName\":\"web-1\",\"Tags\":{\"env\":\"prod\"},"
    "\"account\":\"LTAI5tFakeAccessKeyId01\"},"
    "{\"InstanceId\":\"i-bp1gbz20g229bvx5yyyy\",\"RegionId\":\"cn-hangzhou\",\"ZoneId\":\"cn-hangzhou-h\","
    "\"Status\":\"Stopped\",\"LockReasons\":[\"financial\",\"security\"],\"InstanceName\":\"db-1\","
    "\"account\":\"LTAI5tFakeAccessKeyId01\"},"
    "{\"InstanceId\":\"i-prepaid\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\","
    "\"InstanceChargeType\":\"PrePaid\",\"LockReasons\":[\"financial\"],"
    "\"account\":\"LTAI5tFakeAccessKeyId01\"},"
    "{\"InstanceId\":\"i-running\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Running\","
    "\"account\":\"LTAI5tFakeAccessKeyId01\"},"
    "{\"InstanceId\":\"i-fault\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\","
    "\"LockReasons\":[\"financial\"],\"account\":\"LTAI5tFakeAccessKeyId01\"},"
    "{\"InstanceId\":\"i-sts0001\",\"RegionId\":\"cn-shanghai\",\"Status\":\"Stopped\","
    "\"LockReasons\":[\"financial\"],\"account\":\"STS.NUgYrLnoC37mZZCNnAbez2xxx\"},"
    "{\"InstanceId\":\"i-poor0001\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\","
    "\"LockReasons\":[\"financial\"],\"account\":\"sim-ak\"}],"
    "\"faults\":["
    "{\"action\":\"ReActivateInstances\",\"instance_id\":\"i-fault\",\"error\":\"InternalError\"},"
    "{\"action\":\"ReActivateInstances\",\"instance_id\":\"i-fault\",\"reset\":true,\"apply\":true},"
    "{\"action\":\"DescribeRegions\",\"error\":\"Throttling.User\",\"times\":1}],"
    "\"roles\":["
    "{\"name\":\"EcsRole\",\"arn\":\"acs:ram::123:role/ecs\",\"account\":\"LTAI5tFakeAccessKeyId01\","
    "\"trusted\":[\"LTAI5tFakeAccessKeyId01\"],\"duration_s\":3600,\"metadata\":true},"
    "{\"name\":\"OidcRole\",\"arn\":\"acs:ram::123:role/oidc\","
    "\"oidc_provider_arn\":\"acs:ram::123:oidc-provider/p\",\"oidc_token\":\"eyJhbGciOi.fake.tok\"}],"
    "\"metadata\":{\"require_token\":false,\"token_api\":true}}";

static long long now_ms;
static ecs_sim *accounts; /* the fleet, loaded once, to look secrets up */

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  long long t;
  (void)argc;
  (void)argv;
  if (sim_parse_time("2026-11-26T02:58:43Z", 0, &t) < 0) abort();
  now_ms = t * 1000 + 250;
  if (!(accounts = sim_offline_new(fleet, sizeof fleet - 1, NULL, 0))) abort();
  return 0;
}

/* The fleet account named id, else the first. */
static const sim_account *account(const ecs_sim *s, const char *id, size_t idlen) {
  size_t i;
  for (i = 0; id && i < s->f.naccounts; i++)
    if (strlen(s->f.accounts[i].access_key_id) == idlen &&
        strncmp(s->f.accounts[i].access_key_id, id, idlen) == 0)
      return &s->f.accounts[i];
  return &s->f.accounts[0];
}

/* V3: fresh Authorization (and a true content hash) for the account named
 * in Credential=. Replaces h. 0 or -1. */
static int resign_v3(const ecs_sim *s, const char *method, const char *target, ecs_params *h,
                     const ecs_buf *body) {
  const char *authz = ecs_params_geti(h, "Authorization"), *cred, *q = strchr(target, '?');
  const sim_account *a;
  ecs_params nh, query;
  ecs_sign_v3_out out;
  char hash[65];
  size_t i;
  int rc = -1;
  cred = authz ? strstr(authz, "Credential=") : NULL;
  if (cred) cred += 11;
  a = account(s, cred, cred ? strcspn(cred, ",") : 0);
  ecs_params_init(&nh);
  ecs_params_init(&query);
  memset(&out, 0, sizeof out);
  if (ecs_sign_sha256_hex(body->data, body->len, hash) < 0) return -1;
  for (i = 0; i < h->n; i++) {
    const char *n = h->v[i].name, *v = h->v[i].value;
    if (strcasecmp(n, "Authorization") == 0) continue;
    if (strcasecmp(n, "x-acs-content-sha256") == 0) v = hash;
    if (ecs_params_add(&nh, n, v) < 0) goto done;
  }
  if (q && ecs_encode_query_parse(&query, q + 1, strlen(q + 1), 1) < 0) goto done;
  if (ecs_sign_v3(method, "/", &query, &nh, body->data, body->len, a->access_key_id, a->secret,
                  &out) < 0 ||
      ecs_params_add(&nh, "Authorization", ecs_buf_cstr(&out.authorization)) < 0)
    goto done;
  ecs_params_free(h);
  *h = nh;
  ecs_params_init(&nh);
  rc = 0;
done:
  ecs_sign_v3_out_free(&out);
  ecs_params_free(&nh);
  ecs_params_free(&query);
  return rc;
}

/* V1: drops every Signature from the raw query, signs query + form body with
 * the secret of AccessKeyId's account and appends &Signature=. Returns the
 * new target (heap) or NULL. */
static char *resign_v1(const ecs_sim *s, const char *method, const char *target,
                       const ecs_params *h, const ecs_buf *body) {
  const char *q = strchr(target, '?'), *ct = ecs_params_geti(h, "Content-Type"), *ak;
  ecs_buf t, name;
  ecs_params p;
  ecs_sign_v1_out out;
  char *res = NULL;
  int first = 1;
  ecs_buf_init(&t);
  ecs_buf_init(&name);
  ecs_params_init(&p);
  memset(&out, 0, sizeof out);
  if (ecs_buf_add(&t, target, q ? (size_t)(q - target) : strlen(target)) < 0 ||
      ecs_buf_addc(&t, '?') < 0)
    goto done;
  if (q) {
    const char *seg = q + 1;
    while (*seg) {
      size_t len = strcspn(seg, "&"), nl = strcspn(seg, "=");
      if (nl > len) nl = len;
      ecs_buf_reset(&name);
      if (ecs_encode_pct_decode(&name, seg, nl, 1) < 0) goto done;
      if (len && strcmp(ecs_buf_cstr(&name), "Signature") != 0) {
        if ((!first && ecs_buf_addc(&t, '&') < 0) || ecs_buf_add(&t, seg, len) < 0) goto done;
        first = 0;
      }
      seg += len;
      if (*seg == '&') seg++;
    }
  }
  {
    const char *nq = strchr(ecs_buf_cstr(&t), '?') + 1;
    if (ecs_encode_query_parse(&p, nq, strlen(nq), 1) < 0) goto done;
  }
  if (ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 && body->len &&
      ecs_encode_query_parse(&p, body->data, body->len, 1) < 0)
    goto done;
  ak = ecs_params_get(&p, "AccessKeyId");
  if (ecs_sign_v1(method, &p, account(s, ak, ak ? strlen(ak) : 0)->secret, &out) < 0) goto done;
  if ((!first && ecs_buf_addc(&t, '&') < 0) || ecs_buf_adds(&t, "Signature=") < 0 ||
      ecs_encode_pct(&t, out.signature, strlen(out.signature)) < 0)
    goto done;
  res = ecs_buf_steal(&t);
done:
  ecs_sign_v1_out_free(&out);
  ecs_params_free(&p);
  ecs_buf_free(&t);
  ecs_buf_free(&name);
  return res;
}

/* One run on a fresh simulator. */
static void run(const char *method, const char *target, const ecs_params *h, const ecs_buf *body,
                int resigned, int secret_sent) {
  char err[400];
  ecs_sim *s = sim_offline_new(fleet, sizeof fleet - 1, err, sizeof err);
  sim_resp r;
  char *doc;
  FZ_ASSERT(s != NULL, "fleet: %s", err);
  if (sim_handle_raw(s, method, target, h, body->data, body->len, now_ms, &r) == 0) {
    FZ_ASSERT(r.code[0] != '\0', "no code");
    FZ_ASSERT(r.fault || (r.status >= 200 && r.status <= 599), "status %d", r.status);
    FZ_ASSERT(!resigned || strcmp(r.code, "SignatureDoesNotMatch") != 0,
              "the simulator rejects what the client signed: %s", r.message ? r.message : "");
    /* a message may quote the request (string to sign), never a secret it did not hold */
    FZ_ASSERT(secret_sent || !r.message || !strstr(r.message, "FakeAccessKeySecret"),
              "secret in message");
    sim_resp_free(&r);
  }
  doc = sim_state_json(s);
  FZ_ASSERT(secret_sent || !doc || !strstr(doc, "FakeAccessKeySecret"), "secret in state");
  free(doc);
  doc = sim_requests_json(s);
  free(doc);
  sim_offline_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_msg m;
  char *sp, *target, *method, *t2 = NULL;
  const char *authz;
  size_t tl;
  int secret_sent = memmem(data, size, "FakeAccessKeySecret", 19) != NULL;
  if (fz_split(data, size, FZ_AS_MHD, &m) < 0) return 0;
  method = m.first;
  sp = strchr(method, ' ');
  target = sp ? sp + 1 : (char *)"/";
  if (sp) *sp = '\0';
  tl = strlen(target);
  if (tl > 9 && strncmp(target + tl - 9, " HTTP/1.", 8) == 0) target[tl - 9] = '\0';
  if (!*method || strpbrk(method, "\t") || strpbrk(target, " \t\r") || target[0] != '/') {
    fz_msg_free(&m); /* not a request line a server would accept */
    return 0;
  }
  run(method, target, &m.headers, &m.body, 0, secret_sent);
  authz = ecs_params_geti(&m.headers, "Authorization");
  if (authz && strncmp(authz, "ACS3-", 5) == 0) {
    if (resign_v3(accounts, method, target, &m.headers, &m.body) == 0)
      run(method, target, &m.headers, &m.body, 1, secret_sent);
  } else if ((t2 = resign_v1(accounts, method, target, &m.headers, &m.body)) != NULL) {
    run(method, t2, &m.headers, &m.body, 1, secret_sent);
  }
  free(t2);
  fz_msg_free(&m);
  return 0;
}
