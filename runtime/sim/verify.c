/* verify.c - authenticates a request as the service does: RPC V1
 * (HMAC-SHA1, parameters in the query and/or a form body) and V3
 * (ACS3-HMAC-SHA256 in Authorization), timestamps within +-15 minutes, nonces
 * unique per access key for 31 minutes, STS tokens.
 *
 * Parameters arrive already percent-DECODED (server.c); canonical strings are
 * rebuilt from the decoded values with the strict encoder, never from the
 * raw bytes, so `*'()!` sent raw by the SDKs verify like their %XX forms.
 *
 * Order of checks: signature pieces present and well-formed (Incomplete-
 * Signature), timestamp (MissingParameter / InvalidTimeStamp.*), nonce present,
 * access key known, signature, STS token, then the nonce is spent - only for
 * requests that authenticated, so junk cannot burn a client's nonces.
 */
#include <mbedtls/md.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "encode.h"
#include "sign.h"
#include "sim_internal.h"

#define INCOMPLETE_MSG "The request signature does not conform to Alibaba Cloud standards."

/* ---- nonce store: chained hash + insertion-ordered list for eviction ---- */

struct sim_nonce {
  sim_nonce *hnext, *qnext;
  long long t_ms;
  uint64_t h;
  char key[]; /* "ak\nnonce" */
};


/* Unlinks e from its hash chain (e is the oldest: caller fixes the list). */
static void nonce_unhash(sim_nonces *ns, sim_nonce *e) {
  sim_nonce **pp = &ns->tab[e->h & (ns->nbuckets - 1)];
  while (*pp && *pp != e) pp = &(*pp)->hnext;
  if (*pp) *pp = e->hnext;
}

/* Drops entries older than the TTL, and the oldest beyond SIM_NONCE_MAX. */
static void nonce_evict(sim_nonces *ns, long long now_ms) {
  while (ns->oldest &&
         (ns->oldest->t_ms + SIM_NONCE_TTL_MS <= now_ms || ns->n >= SIM_NONCE_MAX)) {
    sim_nonce *e = ns->oldest;
    nonce_unhash(ns, e);
    ns->oldest = e->qnext;
    if (!ns->oldest) ns->newest = NULL;
    ns->n--;
    free(e);
  }
}

static int nonce_grow(sim_nonces *ns) {
  size_t nb = ns->nbuckets ? ns->nbuckets * 2 : 1024, i;
  sim_nonce **tab = calloc(nb, sizeof *tab);
  if (!tab) return -1;
  for (i = 0; i < ns->nbuckets; i++) {
    sim_nonce *e = ns->tab[i], *next;
    for (; e; e = next) {
      next = e->hnext;
      e->hnext = tab[e->h & (nb - 1)];
      tab[e->h & (nb - 1)] = e;
    }
  }
  free(ns->tab);
  ns->tab = tab;
  ns->nbuckets = nb;
  return 0;
}

/* Records (ak, nonce). Returns 1 if it was already used within the TTL,
 * 0 if recorded now, -1 when out of memory. Caller holds s->mu. */
static int nonce_use(sim_nonces *ns, const char *ak, const char *nonce, long long now_ms) {
  size_t la = strlen(ak), ln = strlen(nonce);
  sim_nonce *e;
  uint64_t h;
  nonce_evict(ns, now_ms);
  if ((ns->n + 1) * 2 > ns->nbuckets && nonce_grow(ns) < 0) return -1;
  if (!(e = malloc(sizeof *e + la + ln + 2))) return -1;
  memcpy(e->key, ak, la);
  e->key[la] = '\n';
  memcpy(e->key + la + 1, nonce, ln + 1);
  h = ecs_fnv1a(ECS_FNV_OFFSET, e->key);
  {
    sim_nonce *x;
    for (x = ns->tab[h & (ns->nbuckets - 1)]; x; x = x->hnext)
      if (x->h == h && strcmp(x->key, e->key) == 0) {
        free(e);
        return 1;
      }
  }
  e->h = h;
  e->t_ms = now_ms;
  e->qnext = NULL;
  e->hnext = ns->tab[h & (ns->nbuckets - 1)];
  ns->tab[h & (ns->nbuckets - 1)] = e;
  if (ns->newest) ns->newest->qnext = e;
  else ns->oldest = e;
  ns->newest = e;
  ns->n++;
  return 0;
}

void sim_nonces_free(sim_nonces *ns) {
  sim_nonce *e = ns->oldest, *next;
  for (; e; e = next) {
    next = e->qnext;
    free(e);
  }
  free(ns->tab);
  memset(ns, 0, sizeof *ns);
}

/* ---- shared checks ---- */

/* Timestamp rules: missing -> MissingParameter name; malformed ->
 * InvalidTimeStamp.Format; more than 15 minutes off -> Expired. */
static int check_time(const sim_req *req, const char *value, const char *name, sim_resp *r) {
  long long t;
  if (!value || !*value) return sim_missing(r, name);
  if (sim_parse_time(value, 0, &t) < 0)
    return sim_fail(r, 400, "InvalidTimeStamp.Format",
                    "Specified time stamp or date value is not well formatted.");
  if (llabs(t * 1000 - req->now_ms) > SIM_SKEW_MS)
    return sim_fail(r, 400, "InvalidTimeStamp.Expired",
                    "Specified time stamp or date value is expired.");
  return 0;
}

/* The key the caller named: a fleet account or an issued STS key (iam.c). */
static int find_key(ecs_sim *s, const char *ak, sim_req *req, sim_key *k, sim_resp *r) {
  if (sim_key_find(s, ak, k) < 0)
    return sim_fail(r, 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
  req->account = k->account;
  return 0;
}

/* STS: a key with a token needs that token (absent or another key's token
 * -> MismatchWithAccessKey, anything else -> Malformed, past expiration ->
 * Expired); a permanent key must not carry one. token may be NULL. */
static int check_token(const ecs_sim *s, const sim_req *req, const sim_key *k, const char *token,
                       sim_resp *r) {
  size_t i;
  if (token && !*token) token = NULL;
  if (!k->token) {
    if (!token) return 0;
    return sim_fail(r, 400, "InvalidSecurityToken.MismatchWithAccessKey",
                    "Specified SecurityToken mismatch with the AccessKey.");
  }
  if (!token || !ecs_sign_secure_equal(token, k->token)) {
    int other = 0;
    for (i = 0; token && i < s->f.naccounts; i++)
      if ((k->issued || i != req->account) && s->f.accounts[i].security_token &&
          ecs_sign_secure_equal(token, s->f.accounts[i].security_token))
        other = 1;
    if (!token || other)
      return sim_fail(r, 400, "InvalidSecurityToken.MismatchWithAccessKey",
                      "Specified SecurityToken mismatch with the AccessKey.");
    return sim_fail(r, 400, "InvalidSecurityToken.Malformed",
                    "Specified SecurityToken is malformed.");
  }
  if (k->expiration && k->expiration * 1000 <= req->now_ms)
    return sim_fail(r, 400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.");
  return 0;
}

static int signature_mismatch(sim_resp *r, const ecs_buf *sts) {
  return sim_fail(r, 400, "SignatureDoesNotMatch",
                  "Specified signature is not matched with our calculation. server string to "
                  "sign is:%.*s", (int)sts->len, sts->data ? sts->data : "");
}

/* ---- V1 ---- */

static int verify_v1(ecs_sim *s, sim_req *req, sim_resp *r) {
  const ecs_params *p = &req->params;
  const char *ak = ecs_params_get(p, "AccessKeyId"), *sig = ecs_params_get(p, "Signature");
  const char *sm = ecs_params_get(p, "SignatureMethod");
  const char *sv = ecs_params_get(p, "SignatureVersion");
  const char *nonce = ecs_params_get(p, "SignatureNonce");
  ecs_sign_v1_out out;
  sim_key k;
  int rc;
  sim_copy(req->access_key_id, sizeof req->access_key_id, ak);
  if (!ak || !*ak || !sig || !*sig) return sim_fail(r, 400, "IncompleteSignature", INCOMPLETE_MSG);
  if (!sm || strcmp(sm, "HMAC-SHA1") != 0 || !sv || strcmp(sv, "1.0") != 0)
    return sim_fail(r, 400, "IncompleteSignature", INCOMPLETE_MSG);
  if (check_time(req, ecs_params_get(p, "Timestamp"), "Timestamp", r) < 0) return -1;
  if (!nonce || !*nonce) return sim_missing(r, "SignatureNonce");
  if (find_key(s, ak, req, &k, r) < 0) return -1;
  memset(&out, 0, sizeof out);
  if (ecs_sign_v1(req->method, p, k.secret, &out) < 0) {
    sim_key_free(&k);
    return sim_oom(r);
  }
  rc = ecs_sign_secure_equal(out.signature, sig) ? 0 : signature_mismatch(r, &out.string_to_sign);
  ecs_sign_v1_out_free(&out);
  if (rc == 0) rc = check_token(s, req, &k, ecs_params_get(p, "SecurityToken"), r);
  sim_key_free(&k);
  return rc;
}

/* ---- V3 ---- */

typedef struct v3_auth {
  char *credential, *signed_headers, *signature;
} v3_auth;

static void v3_auth_free(v3_auth *a) {
  free(a->credential);
  free(a->signed_headers);
  free(a->signature);
}

/* Parses "ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=.."
 * (spaces after the commas tolerated). 0, or -1 when malformed. */
static int parse_authorization(const char *h, v3_auth *a) {
  static const char alg[] = "ACS3-HMAC-SHA256 ";
  const char *p;
  memset(a, 0, sizeof *a);
  if (strncmp(h, alg, sizeof alg - 1) != 0) return -1;
  p = h + sizeof alg - 1;
  while (*p) {
    const char *end = strchr(p, ','), *eq;
    size_t len;
    char **dst = NULL;
    while (*p == ' ') p++;
    len = end ? (size_t)(end - p) : strlen(p);
    eq = memchr(p, '=', len);
    if (!eq) return -1;
    if ((size_t)(eq - p) == 10 && strncmp(p, "Credential", 10) == 0) dst = &a->credential;
    else if ((size_t)(eq - p) == 13 && strncmp(p, "SignedHeaders", 13) == 0) dst = &a->signed_headers;
    else if ((size_t)(eq - p) == 9 && strncmp(p, "Signature", 9) == 0) dst = &a->signature;
    if (dst) {
      free(*dst);
      if (!(*dst = strndup(eq + 1, len - (size_t)(eq + 1 - p)))) return -1;
    }
    p += len;
    if (*p == ',') p++;
  }
  if (!a->credential || !*a->credential || !a->signed_headers || !*a->signed_headers ||
      !a->signature || !*a->signature)
    return -1;
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_ws(char c) { return c == ' ' || c == '\t'; }

/* Appends "name:v1,v2\n" for one signed header: every received header of
 * that name (case-insensitive), values trimmed and sorted, joined by ','. */
static int add_canonical_header(ecs_buf *out, const ecs_params *h, const char *name) {
  ecs_params vals;
  size_t i;
  int rc = 0;
  ecs_params_init(&vals);
  for (i = 0; i < h->n && rc == 0; i++) {
    const char *v = h->v[i].value, *e;
    if (strcasecmp(h->v[i].name, name) != 0) continue;
    while (is_ws(*v)) v++;
    e = v + strlen(v);
    while (e > v && is_ws(e[-1])) e--;
    rc = ecs_params_addn(&vals, "", 0, v, (size_t)(e - v));
  }
  if (rc == 0) rc = ecs_buf_addf(out, "%s:", name);
  if (rc == 0 && vals.n > 1) {
    char **tmp = malloc(vals.n * sizeof *tmp);
    if (!tmp) rc = -1;
    for (i = 0; tmp && i < vals.n; i++) tmp[i] = vals.v[i].value;
    if (tmp) qsort(tmp, vals.n, sizeof *tmp, cmp_str);
    for (i = 0; tmp && i < vals.n && rc == 0; i++)
      rc = ecs_buf_addf(out, "%s%s", i ? "," : "", tmp[i]);
    free(tmp);
  } else if (rc == 0 && vals.n == 1) {
    rc = ecs_buf_adds(out, vals.v[0].value);
  }
  if (rc == 0) rc = ecs_buf_addc(out, '\n');
  ecs_params_free(&vals);
  return rc;
}

/* Splits SignedHeaders at ';', lower-cases, sorts and de-duplicates into a
 * NULL-terminated heap array (one allocation; free() it). NULL on OOM. */
static char **split_signed(const char *sh, size_t *n) {
  size_t cnt = 1, len = strlen(sh), i, k = 0;
  char **names, *buf;
  for (i = 0; i < len; i++) cnt += sh[i] == ';';
  if (!(names = malloc((cnt + 1) * sizeof *names + len + 1))) return NULL;
  buf = (char *)(names + cnt + 1);
  for (i = 0; i <= len; i++) buf[i] = (char)((sh[i] >= 'A' && sh[i] <= 'Z') ? sh[i] + 32 : sh[i]);
  for (i = 0; i <= len; i++) {
    char *start = buf + i;
    while (i < len && buf[i] != ';') i++;
    buf[i] = '\0';
    if (*start) names[k++] = start;
  }
  qsort(names, k, sizeof *names, cmp_str);
  for (i = 0, cnt = 0; i < k; i++)
    if (cnt == 0 || strcmp(names[cnt - 1], names[i]) != 0) names[cnt++] = names[i];
  names[cnt] = NULL;
  *n = cnt;
  return names;
}

static int in_list(char **names, const char *s) {
  for (; *names; names++)
    if (strcmp(*names, s) == 0) return 1;
  return 0;
}

/* The canonical request from what was received: method, "/", the decoded
 * query re-encoded, the signed headers (sorted, as the service sorts them)
 * and the SHA-256 of the body actually received. sts gets the string to
 * sign; sig the expected hex signature (sig[65]). 0 or -1 (OOM). */
static int v3_compute(const sim_req *req, char **names, const char *secret, ecs_buf *sts,
                      char sig[65]) {
  static const char hexd[] = "0123456789abcdef";
  ecs_buf cr;
  char body_hash[65], cr_hash[65];
  unsigned char mac[32];
  size_t i;
  int rc = -1;
  const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  ecs_buf_init(&cr);
  if (!md || ecs_sign_sha256_hex(req->body.data, req->body.len, body_hash) < 0) goto done;
  if (ecs_buf_addf(&cr, "%s\n/\n", req->method) < 0 || ecs_encode_canonical_query(&cr, &req->query) < 0 ||
      ecs_buf_addc(&cr, '\n') < 0)
    goto done;
  for (i = 0; names[i]; i++)
    if (add_canonical_header(&cr, &req->headers, names[i]) < 0) goto done;
  if (ecs_buf_addc(&cr, '\n') < 0) goto done;
  for (i = 0; names[i]; i++)
    if (ecs_buf_addf(&cr, "%s%s", i ? ";" : "", names[i]) < 0) goto done;
  if (ecs_buf_addf(&cr, "\n%s", body_hash) < 0) goto done;
  if (ecs_sign_sha256_hex(cr.data, cr.len, cr_hash) < 0) goto done;
  if (ecs_buf_addf(sts, "ACS3-HMAC-SHA256\n%s", cr_hash) < 0) goto done;
  if (mbedtls_md_hmac(md, (const unsigned char *)secret, strlen(secret),
                      (const unsigned char *)sts->data, sts->len, mac) != 0)
    goto done;
  for (i = 0; i < 32; i++) {
    sig[2 * i] = hexd[mac[i] >> 4];
    sig[2 * i + 1] = hexd[mac[i] & 15];
  }
  sig[64] = '\0';
  rc = 0;
done:
  ecs_zeroize(mac, sizeof mac);
  ecs_buf_free(&cr);
  return rc;
}

static int verify_v3(ecs_sim *s, sim_req *req, const char *authz, sim_resp *r) {
  static const char *const must_sign[] = {"host", "x-acs-action", "x-acs-version", "x-acs-date",
                                          "x-acs-signature-nonce", "x-acs-content-sha256", NULL};
  const ecs_params *h = &req->headers;
  const char *nonce = ecs_params_geti(h, "x-acs-signature-nonce");
  const char *csha = ecs_params_geti(h, "x-acs-content-sha256");
  const char *token = ecs_params_geti(h, "x-acs-security-token");
  v3_auth a;
  sim_key k;
  int have_key = 0;
  char **names = NULL, sig[65], body_hash[65];
  ecs_buf sts;
  size_t n, i;
  int rc = -1;
  ecs_buf_init(&sts);
  if (parse_authorization(authz, &a) < 0) {
    v3_auth_free(&a);
    return sim_fail(r, 400, "IncompleteSignature", INCOMPLETE_MSG);
  }
  sim_copy(req->access_key_id, sizeof req->access_key_id, a.credential);
  if (!(names = split_signed(a.signed_headers, &n))) { sim_oom(r); goto done; }
  for (i = 0; must_sign[i]; i++)
    if (!in_list(names, must_sign[i])) {
      sim_fail(r, 400, "IncompleteSignature", INCOMPLETE_MSG);
      goto done;
    }
  if (token && !in_list(names, "x-acs-security-token")) {
    sim_fail(r, 400, "IncompleteSignature", INCOMPLETE_MSG);
    goto done;
  }
  if (check_time(req, ecs_params_geti(h, "x-acs-date"), "x-acs-date", r) < 0) goto done;
  if (!nonce || !*nonce) { sim_missing(r, "x-acs-signature-nonce"); goto done; }
  if (!csha || !*csha) { sim_missing(r, "x-acs-content-sha256"); goto done; }
  if (find_key(s, a.credential, req, &k, r) < 0) goto done;
  have_key = 1;
  if (v3_compute(req, names, k.secret, &sts, sig) < 0 ||
      ecs_sign_sha256_hex(req->body.data, req->body.len, body_hash) < 0) {
    sim_oom(r);
    goto done;
  }
  /* the payload hash the client claims must be the body we received */
  if (!ecs_sign_secure_equal(sig, a.signature) || strcmp(csha, body_hash) != 0) {
    signature_mismatch(r, &sts);
    goto done;
  }
  rc = check_token(s, req, &k, token, r);
done:
  if (have_key) sim_key_free(&k);
  free(names);
  v3_auth_free(&a);
  ecs_buf_free(&sts);
  return rc;
}

/* Authenticates req; on success req->account is the caller and the nonce is
 * spent. Returns 0, or -1 with r filled. */
int sim_verify(ecs_sim *s, sim_req *req, sim_resp *r) {
  const char *authz = ecs_params_geti(&req->headers, "Authorization");
  const char *nonce;
  int used;
  if (authz && strncmp(authz, "ACS3-", 5) == 0) {
    req->v3 = 1;
    if (verify_v3(s, req, authz, r) < 0) return -1;
    nonce = ecs_params_geti(&req->headers, "x-acs-signature-nonce");
  } else {
    req->v3 = 0;
    if (verify_v1(s, req, r) < 0) return -1;
    nonce = ecs_params_get(&req->params, "SignatureNonce");
  }
  if (pthread_mutex_lock(&s->mu) != 0) return sim_oom(r);
  used = nonce_use(&s->nonces, req->access_key_id, nonce, req->now_ms);
  pthread_mutex_unlock(&s->mu);
  if (used < 0) return sim_oom(r);
  if (used)
    return sim_fail(r, 400, "SignatureNonceUsed", "Specified signature nonce was used already.");
  return 0;
}
