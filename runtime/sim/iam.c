/* iam.c - the simulator's STS (AssumeRole, AssumeRoleWithOIDC) and ECS
 * instance metadata service (IMDSv2 tokens, RAM role credentials), served
 * when the fleet configures `roles` (and optionally `metadata`).
 *
 * Fleet schema (validated in fleet.c):
 *   "roles": [ { "name": "EcsRole", "arn": "acs:ram::123:role/ecsrole",
 *                "account": "sim-ak",      whose instances the keys act on
 *                                          (default: the first account)
 *                "trusted": ["sim-ak", "acs:ram::123:role/other"],
 *                                          callers allowed to AssumeRole: access
 *                                          key ids, or role ARNs (keys issued for
 *                                          that role); absent = any caller
 *                "duration_s": 3600,       lifetime of issued keys, 1..43200; caps
 *                                          the request's DurationSeconds
 *                "metadata": true,         the instance's role on the metadata
 *                                          service (at most one role)
 *                "oidc_provider_arn": "...", "oidc_token": "..." } ],
 *                                          AssumeRoleWithOIDC with exactly this
 *                                          provider and token
 *   "metadata": { "require_token": false,  reads need an IMDSv2 token
 *                 "token_api": true }      false: PUT /latest/api/token is 404
 *                                          (an IMDS without v2: clients fall back)
 *
 * Issued keys ("STS." + hex id, a secret, a SecurityToken, an Expiration)
 * are accepted by the ECS API (verify.c asks sim_key_find) until they
 * expire, then InvalidSecurityToken.Expired. Secrets and tokens are never
 * logged or put in /_sim documents.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "sign.h"
#include "sim_internal.h"

#define STS_VERSION "2015-04-01"
#define MAX_ISSUED 200000
#define MAX_MDTOKENS 10000

static const char html404[] =
    "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
    "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n"
    "\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
    "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n"
    " <head>\n  <title>404 - Not Found</title>\n </head>\n <body>\n  <h1>404 - Not Found</h1>\n"
    " </body>\n</html>\n";

/* ---------------------------------------------------------------- keys */

int sim_key_find(ecs_sim *s, const char *ak, sim_key *k) {
  size_t i, j;
  memset(k, 0, sizeof *k);
  if (!ak) return -1;
  for (i = 0; i < s->f.naccounts; i++) {
    const sim_account *a = &s->f.accounts[i];
    if (strcmp(a->access_key_id, ak) == 0) {
      k->account = i;
      k->secret = a->secret;
      k->token = a->security_token;
      k->expiration = a->expiration;
      return 0;
    }
    for (j = 0; j < a->nkeys; j++) /* the account's other permanent keys */
      if (strcmp(a->keys[j].access_key_id, ak) == 0) {
        k->account = i;
        k->secret = a->keys[j].secret;
        return 0;
      }
  }
  if (strncmp(ak, "STS.", 4) != 0 || pthread_mutex_lock(&s->mu) != 0) return -1;
  for (i = 0; i < s->nissued; i++) {
    const sim_issued *e = &s->issued[i];
    if (strcmp(e->id, ak) != 0) continue;
    k->own_secret = strdup(e->secret);
    k->own_token = strdup(e->token);
    k->account = e->account;
    k->expiration = e->expiration;
    k->issued = 1;
    break;
  }
  pthread_mutex_unlock(&s->mu);
  if (!k->issued) return -1;
  if (!k->own_secret || !k->own_token) {
    sim_key_free(k);
    return -1;
  }
  k->secret = k->own_secret;
  k->token = k->own_token;
  return 0;
}

void sim_key_free(sim_key *k) {
  ecs_free_secret(k->own_secret);
  ecs_free_secret(k->own_token);
  memset(k, 0, sizeof *k);
}

void sim_iam_free(ecs_sim *s) {
  size_t i;
  for (i = 0; i < s->nissued; i++) {
    ecs_free_secret(s->issued[i].secret);
    ecs_free_secret(s->issued[i].token);
  }
  free(s->issued);
  free(s->mdtokens);
  s->issued = NULL;
  s->mdtokens = NULL;
  s->nissued = s->issued_cap = s->nmdtokens = 0;
}

/* Issues a key for role ri valid `seconds` from now into body (an
 * object with AccessKeyId, AccessKeySecret, SecurityToken, Expiration).
 * Takes s->mu. 0 or -1 (OOM). */
static int issue(ecs_sim *s, size_t ri, long long now_ms, long seconds, cJSON *body) {
  char id[25], sec[31], tok[97], exp[32];
  sim_issued e;
  int rc = -1;
  memset(&e, 0, sizeof e);
  if (ecs_sign_random_hex(id, 12) < 0 || ecs_sign_random_hex(sec, 15) < 0 || ecs_sign_random_hex(tok, 48) < 0)
    return -1;
  snprintf(e.id, sizeof e.id, "STS.%s", id);
  e.expiration = now_ms / 1000 + seconds;
  e.account = s->f.roles[ri].account;
  e.role = ri;
  if (!(e.secret = strdup(sec)) || !(e.token = malloc(strlen(tok) + 5))) goto out;
  memcpy(e.token, "CAIS", 4);
  memcpy(e.token + 4, tok, strlen(tok) + 1);
  sim_format_seconds(e.expiration, exp, sizeof exp);
  if (!cJSON_AddStringToObject(body, "AccessKeyId", e.id) ||
      !cJSON_AddStringToObject(body, "AccessKeySecret", e.secret) ||
      !cJSON_AddStringToObject(body, "SecurityToken", e.token) ||
      !cJSON_AddStringToObject(body, "Expiration", exp))
    goto out;
  if (pthread_mutex_lock(&s->mu) != 0) goto out;
  if (s->nissued == MAX_ISSUED) { /* forget the oldest */
    ecs_free_secret(s->issued[0].secret);
    ecs_free_secret(s->issued[0].token);
    memmove(s->issued, s->issued + 1, (s->nissued - 1) * sizeof *s->issued);
    s->nissued--;
  }
  if (s->nissued == s->issued_cap) {
    size_t cap = s->issued_cap ? s->issued_cap * 2 : 64;
    sim_issued *n = realloc(s->issued, cap * sizeof *n);
    if (!n) {
      pthread_mutex_unlock(&s->mu);
      goto out;
    }
    s->issued = n;
    s->issued_cap = cap;
  }
  s->issued[s->nissued++] = e;
  pthread_mutex_unlock(&s->mu);
  return 0;
out:
  ecs_free_secret(e.secret);
  ecs_free_secret(e.token);
  return rc;
}

/* ----------------------------------------------------------------- STS */

static const char *sts_version(const sim_req *req) {
  const char *v = ecs_params_geti(&req->headers, "x-acs-version");
  const char *a = ecs_params_geti(&req->headers, "Authorization");
  if (!(a && strncmp(a, "ACS3-", 5) == 0) || !v) v = ecs_params_get(&req->params, "Version");
  return v;
}

int sim_is_sts(const ecs_sim *s, const sim_req *req) {
  const char *v = sts_version(req);
  return s->f.nroles > 0 && v && strcmp(v, STS_VERSION) == 0;
}

int sim_sts_unsigned(const sim_req *req) {
  const char *a = ecs_params_get(&req->params, "Action");
  return a && strcmp(a, "AssumeRoleWithOIDC") == 0;
}

static long find_role_arn(const ecs_sim *s, const char *arn) {
  size_t i;
  for (i = 0; arn && i < s->f.nroles; i++)
    if (strcmp(s->f.roles[i].arn, arn) == 0) return (long)i;
  return -1;
}

/* The role a caller's issued key belongs to, or -1 for a fleet key. */
static long caller_role(ecs_sim *s, const char *ak) {
  long r = -1;
  size_t i;
  if (strncmp(ak, "STS.", 4) != 0 || pthread_mutex_lock(&s->mu) != 0) return -1;
  for (i = 0; i < s->nissued; i++)
    if (strcmp(s->issued[i].id, ak) == 0) {
      r = (long)s->issued[i].role;
      break;
    }
  pthread_mutex_unlock(&s->mu);
  return r;
}

static int trusted(ecs_sim *s, const sim_role *ro, const char *ak) {
  long cr;
  size_t i;
  if (ro->trust_all) return 1;
  cr = caller_role(s, ak);
  for (i = 0; i < ro->ntrusted; i++)
    if (strcmp(ro->trusted[i], ak) == 0 ||
        (cr >= 0 && strcmp(ro->trusted[i], s->f.roles[cr].arn) == 0))
      return 1;
  return 0;
}

/* AssumeRoleWithOIDC's own checks: the provider ARN and the token the role
 * expects. 1 when it answered r with the error, else 0. */
static int oidc_refused(const sim_role *ro, const ecs_params *p, sim_resp *r) {
  const char *pa = ecs_params_get(p, "OIDCProviderArn"), *tok = ecs_params_get(p, "OIDCToken");
  if (!pa || !*pa) { sim_missing(r, "OIDCProviderArn"); return 1; }
  if (!tok || !*tok) { sim_missing(r, "OIDCToken"); return 1; }
  if (!ro->oidc_provider_arn || strcmp(pa, ro->oidc_provider_arn) != 0) {
    sim_fail(r, 404, "EntityNotExist.OIDCProvider", "The specified OIDC provider does not exist.");
    return 1;
  }
  if (!ecs_sign_secure_equal(tok, ro->oidc_token)) {
    sim_fail(r, 400, "AuthenticationFail.OIDCToken.Invalid", "The OIDC token is invalid.");
    return 1;
  }
  return 0;
}

void sim_sts_dispatch(ecs_sim *s, sim_req *req, sim_resp *r) {
  const ecs_params *p = &req->params;
  const char *arn = ecs_params_get(p, "RoleArn"), *sess = ecs_params_get(p, "RoleSessionName");
  const char *dur = ecs_params_get(p, "DurationSeconds");
  long seconds = 3600, ri;
  int oidc;
  char *end;
  cJSON *body, *user, *cred;
  char buf[600];
  req->action = ecs_params_get(p, "Action");
  req->version = sts_version(req);
  if (!req->action || !*req->action) {
    sim_missing(r, "Action");
    return;
  }
  oidc = strcmp(req->action, "AssumeRoleWithOIDC") == 0;
  if (!oidc && strcmp(req->action, "AssumeRole") != 0) {
    sim_fail(r, 404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.");
    return;
  }
  if (!arn || !*arn) { sim_missing(r, "RoleArn"); return; }
  if (!sess || !*sess) { sim_missing(r, "RoleSessionName"); return; }
  if (dur) {
    seconds = strtol(dur, &end, 10);
    if (*end || end == dur || seconds < 900 || seconds > 43200) {
      sim_fail(r, 400, "InvalidParameter.DurationSeconds",
               "The Min/Max value of DurationSeconds is 15min/12hr.");
      return;
    }
  }
  if ((ri = find_role_arn(s, arn)) < 0) {
    sim_fail(r, 404, "EntityNotExist.Role", "The role not exists: %.200s.", arn);
    return;
  }
  if (oidc) {
    if (oidc_refused(&s->f.roles[ri], p, r)) return;
  } else if (!trusted(s, &s->f.roles[ri], req->access_key_id)) {
    sim_fail(r, 403, "NoPermission",
             "You are not authorized to do this action. You should be authorized by RAM.");
    return;
  }
  if (seconds > s->f.roles[ri].duration_s) seconds = s->f.roles[ri].duration_s;
  if (!(body = cJSON_CreateObject())) { sim_oom(r); return; }
  r->body = body;
  if (!(user = cJSON_AddObjectToObject(body, "AssumedRoleUser")) ||
      !(cred = cJSON_AddObjectToObject(body, "Credentials")))
    goto oom;
  snprintf(buf, sizeof buf, "%s/%s", arn, sess);
  if (!cJSON_AddStringToObject(user, "Arn", buf)) goto oom;
  snprintf(buf, sizeof buf, "3%017zu:%s", (size_t)ri + 1, sess);
  if (!cJSON_AddStringToObject(user, "AssumedRoleId", buf)) goto oom;
  if (issue(s, (size_t)ri, req->now_ms, seconds, cred) < 0) goto oom;
  return;
oom:
  cJSON_Delete(r->body);
  r->body = NULL;
  sim_oom(r);
}

/* ------------------------------------------------------------ metadata */

int sim_imds_enabled(const ecs_sim *s) { return s->f.nroles > 0 || !s->f.md_token_api || s->f.md_require_token; }

/* Fills a plain answer (body copied). Returns 0 for `return text(...)`. */
static int text(sim_resp *r, int status, const char *code, const char **ctype, char **body,
                const char *ct, const char *txt) {
  r->status = status;
  sim_copy(r->code, sizeof r->code, code);
  *ctype = ct;
  *body = strdup(txt);
  return 0;
}

static int not_found(sim_resp *r, const char **ctype, char **body) {
  return text(r, 404, "NotFound", ctype, body, "text/html", html404);
}

/* Issues an IMDSv2 token. */
static int md_token(ecs_sim *s, sim_req *req, sim_resp *r, const char **ctype, char **body) {
  const char *ttl = ecs_params_geti(&req->headers, "X-aliyun-ecs-metadata-token-ttl-seconds");
  char tok[33], *end;
  long secs;
  req->action = "MetadataToken";
  if (!s->f.md_token_api) return not_found(r, ctype, body);
  if (ecs_params_geti(&req->headers, "X-Forwarded-For"))
    return text(r, 403, "Forbidden", ctype, body, "text/plain", "Forbidden");
  if (!ttl) return text(r, 400, "MissingTTL", ctype, body, "text/plain",
                        "X-aliyun-ecs-metadata-token-ttl-seconds is required");
  secs = strtol(ttl, &end, 10);
  if (*end || end == ttl || secs < 1 || secs > 21600)
    return text(r, 400, "InvalidTTL", ctype, body, "text/plain",
                "X-aliyun-ecs-metadata-token-ttl-seconds must be 1..21600");
  if (ecs_sign_random_hex(tok, 16) < 0 || pthread_mutex_lock(&s->mu) != 0)
    return text(r, 500, "InternalError", ctype, body, "text/plain", "Internal Error");
  if (!s->mdtokens && !(s->mdtokens = calloc(MAX_MDTOKENS, sizeof *s->mdtokens))) {
    pthread_mutex_unlock(&s->mu);
    return text(r, 500, "InternalError", ctype, body, "text/plain", "Internal Error");
  }
  if (s->nmdtokens == MAX_MDTOKENS) {
    memmove(s->mdtokens, s->mdtokens + 1, (MAX_MDTOKENS - 1) * sizeof *s->mdtokens);
    s->nmdtokens--;
  }
  snprintf(s->mdtokens[s->nmdtokens].token, sizeof s->mdtokens[0].token, "AQ%s", tok);
  s->mdtokens[s->nmdtokens++].expires_ms = req->now_ms + secs * 1000;
  text(r, 200, "OK", ctype, body, "text/plain", s->mdtokens[s->nmdtokens - 1].token);
  pthread_mutex_unlock(&s->mu);
  return 0;
}

/* 0 when the read may proceed; otherwise fills r (401). */
static int md_auth(ecs_sim *s, sim_req *req, sim_resp *r, const char **ctype, char **body) {
  const char *tok = ecs_params_geti(&req->headers, "X-aliyun-ecs-metadata-token");
  size_t i;
  int ok = 0;
  if (!tok) {
    if (!s->f.md_require_token) return 0;
    text(r, 401, "Unauthorized", ctype, body, "text/plain", "Unauthorized");
    return -1;
  }
  if (pthread_mutex_lock(&s->mu) == 0) {
    for (i = 0; i < s->nmdtokens; i++)
      if (ecs_sign_secure_equal(s->mdtokens[i].token, tok) && s->mdtokens[i].expires_ms > req->now_ms)
        ok = 1;
    pthread_mutex_unlock(&s->mu);
  }
  if (ok) return 0;
  text(r, 401, "Unauthorized", ctype, body, "text/plain", "Unauthorized");
  return -1;
}

static int imds(ecs_sim *s, sim_req *req, sim_resp *r, const char **ctype, char **body) {
  static const char prefix[] = "/latest/meta-data/ram/security-credentials";
  const char *rest;
  size_t i;
  *body = NULL;
  if (strcmp(req->path, "/latest/api/token") == 0) {
    if (strcmp(req->method, "PUT") != 0) {
      req->action = "MetadataToken";
      return text(r, 405, "MethodNotAllowed", ctype, body, "text/plain", "Method Not Allowed");
    }
    return md_token(s, req, r, ctype, body);
  }
  req->action = "Metadata";
  if (strcmp(req->method, "GET") != 0)
    return text(r, 405, "MethodNotAllowed", ctype, body, "text/plain", "Method Not Allowed");
  if (strncmp(req->path, prefix, sizeof prefix - 1) != 0) {
    if (md_auth(s, req, r, ctype, body) < 0) return 0;
    return not_found(r, ctype, body);
  }
  rest = req->path + sizeof prefix - 1;
  if (*rest == '/') rest++;
  req->action = *rest ? "MetadataCredentials" : "MetadataRoles";
  if (md_auth(s, req, r, ctype, body) < 0) return 0;
  for (i = 0; i < s->f.nroles; i++) {
    const sim_role *ro = &s->f.roles[i];
    cJSON *doc;
    char now[32];
    if (!ro->metadata) continue;
    if (!*rest) return text(r, 200, "OK", ctype, body, "text/plain", ro->name);
    if (strcmp(rest, ro->name) != 0) break;
    sim_format_seconds(req->now_ms / 1000, now, sizeof now);
    if (!(doc = cJSON_CreateObject()) || issue(s, i, req->now_ms, ro->duration_s, doc) < 0 ||
        !cJSON_AddStringToObject(doc, "LastUpdated", now) ||
        !cJSON_AddStringToObject(doc, "Code", "Success")) {
      cJSON_Delete(doc);
      return text(r, 500, "InternalError", ctype, body, "text/plain", "Internal Error");
    }
    r->status = 200;
    sim_copy(r->code, sizeof r->code, "OK");
    *ctype = "text/plain";
    *body = cJSON_Print(doc);
    cJSON_Delete(doc);
    return 0;
  }
  return not_found(r, ctype, body);
}

void sim_imds(ecs_sim *s, sim_req *req, sim_resp *r, const char **ctype, char **body) {
  (void)imds(s, req, r, ctype, body);
}
