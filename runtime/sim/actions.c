/* actions.c - what happens after a request authenticated: Action/Version,
 * throttling, scripted faults, the ECS actions and their state machine, the
 * request log and the /_sim documents.
 *
 * Every action handler runs under s->mu with a commit flag: it always checks
 * everything (the documented error order) and changes state only when
 * commit is set. That is what lets faults be evaluated in the documented
 * place (an injected API error comes after every state check) and lets
 * "apply": true faults change state and then lose the answer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "sim_internal.h"

#define NOT_FOUND_MSG "The specified InstanceId does not exist."

/* ---- small helpers ---- */

static const char *param(const sim_req *req, const char *name) {
  const char *v = ecs_params_get(&req->params, name);
  return (v && *v) ? v : NULL;
}

/* Strict decimal integer ("-5" allowed, nothing else). 0 or -1. */
static int parse_int(const char *s, long *out) {
  char *end;
  long v;
  if (!s || !*s) return -1;
  v = strtol(s, &end, 10);
  if (*end || end == s) return -1;
  *out = v;
  return 0;
}

/* cJSON builders that report failure (out of memory) as -1. */
static int put_str(cJSON *o, const char *k, const char *v) {
  return cJSON_AddStringToObject(o, k, v ? v : "") ? 0 : -1;
}
static int put_num(cJSON *o, const char *k, double v) {
  return cJSON_AddNumberToObject(o, k, v) ? 0 : -1;
}
static int put_bool(cJSON *o, const char *k, int v) {
  return cJSON_AddBoolToObject(o, k, v) ? 0 : -1;
}
/* Adds {"<wrap>": {"<item>": []}} and returns the inner array (NULL: OOM). */
static cJSON *put_list(cJSON *o, const char *wrap, const char *item) {
  cJSON *w = cJSON_AddObjectToObject(o, wrap);
  return w ? cJSON_AddArrayToObject(w, item) : NULL;
}

/* '*' matches any run of characters; everything else literally. */
static int glob_match(const char *pat, const char *s) {
  const char *star = NULL, *mark = NULL;
  while (*s) {
    if (*pat == '*') { star = pat++; mark = s; }
    else if (*pat == *s) { pat++; s++; }
    else if (star) { pat = star + 1; s = ++mark; }
    else return 0;
  }
  while (*pat == '*') pat++;
  return *pat == '\0';
}

static uint64_t fnv1a(uint64_t h, const char *s) {
  return (ecs_fnv1a(h, s ? s : "") ^ 0xff) * ECS_FNV_PRIME; /* separator */
}

/* Starting -> Running once start_delay_ms has passed since ReActivate. */
static void refresh(const ecs_sim *s, sim_instance *in, long long now_ms) {
  if (in->status == SIM_STARTING && in->starting_since_ms > 0 &&
      now_ms >= in->starting_since_ms + s->f.start_delay_ms) {
    in->status = SIM_RUNNING;
    in->starting_since_ms = 0;
  }
}

static const char *lock_msg(int k) {
  if (k == 0) return "The specified instance is locked due to financial reason.";
  if (k == 1) return "The specified instance is locked due to security reason.";
  return "";
}

/* VpcAttributes as DescribeInstances shows them (0, or -1 on OOM). */
static int vpc_json(cJSON *o, const sim_instance *in) {
  cJSON *v = cJSON_AddObjectToObject(o, "VpcAttributes"), *ip;
  if (!v || put_str(v, "VpcId", in->vpc) || put_str(v, "VSwitchId", "") ||
      put_str(v, "NatIpAddress", "") || !(ip = cJSON_AddObjectToObject(v, "PrivateIpAddress")) ||
      !cJSON_AddArrayToObject(ip, "IpAddress"))
    return -1;
  return 0;
}

/* An instance as DescribeInstances shows it (and, with internal, plus
 * LockReasons and the owning access key for /_sim/state). NULL on OOM. */
static cJSON *instance_json(const ecs_sim *s, const sim_instance *in, int internal) {
  cJSON *o = cJSON_CreateObject(), *locks, *tags, *lr = NULL;
  size_t i;
  int k;
  if (!o) return NULL;
  if (put_str(o, "InstanceId", in->id) || put_str(o, "InstanceName", in->name) ||
      put_str(o, "HostName", in->host_name) || put_str(o, "Description", "") ||
      put_str(o, "RegionId", in->region) || put_str(o, "ZoneId", in->zone) ||
      put_str(o, "Status", sim_status_names[in->status]) ||
      put_str(o, "InstanceChargeType", in->prepaid ? "PrePaid" : "PostPaid") ||
      put_str(o, "InstanceType", in->type) || put_str(o, "ExpiredTime", in->expired_time) ||
      put_str(o, "ResourceGroupId", in->resource_group) || put_str(o, "ImageId", in->image) ||
      vpc_json(o, in) < 0 ||
      put_str(o, "CreationTime", in->creation_time) ||
      put_str(o, "StoppedMode", in->status == SIM_STOPPED ? "KeepCharging" : "Not-applicable") ||
      put_str(o, "SpotStrategy", "NoSpot") || put_bool(o, "DeletionProtection", 0) ||
      !(locks = put_list(o, "OperationLocks", "LockReason")) ||
      !(tags = put_list(o, "Tags", "Tag")))
    goto oom;
  if (internal && !(lr = cJSON_AddArrayToObject(o, "LockReasons"))) goto oom;
  for (k = 0; k < SIM_NLOCKS; k++) {
    cJSON *l;
    if (!(in->locks & (1u << k))) continue;
    if (!(l = cJSON_CreateObject()) || !cJSON_AddItemToArray(locks, l) ||
        put_str(l, "LockReason", sim_lock_names[k]) || put_str(l, "LockMsg", lock_msg(k)))
      goto oom;
    if (lr && !cJSON_AddItemToArray(lr, cJSON_CreateString(sim_lock_names[k]))) goto oom;
  }
  for (i = 0; i < in->tags.n; i++) {
    cJSON *t = cJSON_CreateObject();
    if (!t || !cJSON_AddItemToArray(tags, t) || put_str(t, "TagKey", in->tags.v[i].name) ||
        put_str(t, "TagValue", in->tags.v[i].value))
      goto oom;
  }
  if (internal && put_str(o, "account", s->f.accounts[in->account].access_key_id)) goto oom;
  return o;
oom:
  cJSON_Delete(o);
  return NULL;
}

/* ---- ReActivateInstances ---- */

/* The answer to a balance below the minimum: the account's balance_error,
 * with the status and message of the API pages. */
static int balance_fail(const sim_account *acct, sim_resp *r) {
  const char *code = acct->balance_error ? acct->balance_error : "InsufficientBalance";
  if (strcmp(code, "ReopenInstance.InstanceNotEnoughBalance") == 0)
    return sim_fail(r, 400, code, "Reopen instance must have enough account balance.");
  if (strcmp(code, "ReopenInstance.ImageNotEnoughBalance") == 0)
    return sim_fail(r, 400, code, "Reopen instance must have enough cash balance.");
  return sim_fail(r, 403, "InsufficientBalance", "Your account does not have enough balance.");
}

/* The reference page's errors, in DESIGN.md's order, then the transition
 * Stopped+financial -> Starting (lock removed) when commit. */
static int act_reactivate(ecs_sim *s, sim_req *req, sim_resp *r, int commit) {
  const char *id = param(req, "InstanceId"), *region = param(req, "RegionId");
  const sim_account *acct = &s->f.accounts[req->account];
  sim_instance *in;
  if (!id) return sim_missing(r, "InstanceId");
  in = sim_instance_find(&s->f, id);
  if (!in || in->account != req->account || (region && strcmp(region, in->region) != 0))
    return sim_fail(r, 404, "InvalidInstanceId.NotFound", NOT_FOUND_MSG);
  refresh(s, in, req->now_ms);
  if (in->prepaid)
    return sim_fail(r, 404, "InvalidPayType.NotSupport", "The specified pre pay instance not support.");
  if (in->locks & SIM_LOCK_SECURITY)
    return sim_fail(r, 403, "InstanceLockedForSecurity",
                    "The specified operation is denied as your instance is locked for security "
                    "reasons.");
  if (in->status != SIM_STOPPED)
    return sim_fail(r, 403, "IncorrectInstanceStatus",
                    "The current status of the resource does not support this operation.");
  if (!(in->locks & SIM_LOCK_FINANCIAL))
    return sim_fail(r, 400, "ReopenInstance.InstanceStatusNotValid",
                    "Instance status is not Expired, ImageExpired or EcsAndImageExpired.");
  if (acct->balance < acct->min_balance) return balance_fail(acct, r);
  if (!(r->body = cJSON_CreateObject())) return sim_oom(r);
  if (commit) {
    in->status = SIM_STARTING;
    in->locks &= ~(unsigned)SIM_LOCK_FINANCIAL;
    in->starting_since_ms = req->now_ms > 0 ? req->now_ms : 1;
  }
  return 0;
}

/* ---- DescribeInstances ---- */

typedef struct di_filter {
  cJSON *ids; /* parsed InstanceIds or NULL */
  int status, charge, lock;
  const char *zone, *name;
  const char *resource_group, *vpc, *type, *image; /* exact matches */
  const char *tag_key[21], *tag_val[21];
} di_filter;

/* The DescribeInstances parameters the simulator applies (besides Tag.N.*),
 * and the common ones that do not filter. Any other parameter with a value
 * is refused (InvalidParameter naming it) rather than silently ignored: a
 * filter the simulator would drop returns more than the service would. */
static const char *const di_known[] = {
    "Action", "Version", "Format", "AccessKeyId", "Signature", "SignatureMethod",
    "SignatureVersion", "SignatureNonce", "SignatureType", "Timestamp", "SecurityToken",
    "OwnerId", "OwnerAccount", "ResourceOwnerId", "ResourceOwnerAccount", "RegionId",
    "InstanceIds", "Status", "InstanceChargeType", "LockReason", "ZoneId", "InstanceName",
    "ResourceGroupId", "VpcId", "InstanceType", "ImageId", "NextToken", "MaxResults",
    "PageNumber", "PageSize", NULL};

static int di_check_known(const sim_req *req, sim_resp *r) {
  size_t i, k;
  for (i = 0; i < req->params.n; i++) {
    const char *name = req->params.v[i].name;
    if (!*req->params.v[i].value || strncmp(name, "Tag.", 4) == 0) continue;
    for (k = 0; di_known[k] && strcmp(di_known[k], name) != 0; k++) {}
    if (!di_known[k]) return sim_invalid(r, name);
  }
  return 0;
}

/* Tag.N.Key / Tag.N.Value (N 1-20). 0 or -1 with r set. */
static int parse_tags(const sim_req *req, di_filter *f, sim_resp *r) {
  size_t i;
  for (i = 0; i < req->params.n; i++) {
    const char *name = req->params.v[i].name, *rest;
    char *end;
    long n;
    if (strncmp(name, "Tag.", 4) != 0) continue;
    n = strtol(name + 4, &end, 10);
    rest = end;
    if (end == name + 4 || n < 1 || n > 20 || (strcmp(rest, ".Key") && strcmp(rest, ".Value")))
      return sim_invalid(r, name);
    if (strcmp(rest, ".Key") == 0) f->tag_key[n] = req->params.v[i].value;
    else f->tag_val[n] = req->params.v[i].value;
  }
  for (i = 1; i <= 20; i++)
    if (f->tag_val[i] && !f->tag_key[i]) return sim_missing(r, "Tag.N.Key");
  return 0;
}

static int parse_filter(const sim_req *req, di_filter *f, sim_resp *r) {
  const char *v;
  int k;
  memset(f, 0, sizeof *f);
  f->status = f->charge = f->lock = -1;
  if (di_check_known(req, r) < 0) return -1;
  if ((v = param(req, "InstanceIds"))) {
    const cJSON *e;
    f->ids = ecs_json_parse(v, strlen(v)); /* with the decoding limits of json.h */
    if (!cJSON_IsArray(f->ids) || cJSON_GetArraySize(f->ids) > 100) return sim_invalid(r, "InstanceIds");
    cJSON_ArrayForEach(e, f->ids) if (!cJSON_IsString(e)) return sim_invalid(r, "InstanceIds");
  }
  if ((v = param(req, "Status"))) {
    for (k = 0; k < SIM_NSTATUS && strcmp(v, sim_status_names[k]); k++) {}
    if (k == SIM_NSTATUS)
      return sim_fail(r, 404, "InvalidStatus.NotFound", "The specified Status is not found");
    f->status = k;
  }
  if ((v = param(req, "InstanceChargeType"))) {
    if (strcmp(v, "PostPaid") && strcmp(v, "PrePaid"))
      return sim_fail(r, 404, "InvalidInstanceChargeType.NotFound",
                      "The InstanceChargeType does not exist in our records");
    f->charge = strcmp(v, "PrePaid") == 0;
  }
  if ((v = param(req, "LockReason"))) {
    for (k = 0; k < SIM_NLOCKS && strcasecmp(v, sim_lock_names[k]); k++) {}
    if (k == SIM_NLOCKS)
      return sim_fail(r, 404, "InvalidLockReason.NotFound", "The specified LockReason is not found");
    f->lock = k;
  }
  f->zone = param(req, "ZoneId");
  f->name = param(req, "InstanceName");
  f->resource_group = param(req, "ResourceGroupId");
  f->vpc = param(req, "VpcId");
  f->type = param(req, "InstanceType");
  f->image = param(req, "ImageId");
  return parse_tags(req, f, r);
}

static int tag_has(const sim_instance *in, const char *k, const char *v) {
  size_t i;
  for (i = 0; i < in->tags.n; i++)
    if (strcmp(in->tags.v[i].name, k) == 0 && (!v || strcmp(in->tags.v[i].value, v) == 0))
      return 1;
  return 0;
}

static int filter_match(const di_filter *f, const sim_instance *in) {
  int i;
  if (f->ids) {
    const cJSON *e;
    int hit = 0;
    cJSON_ArrayForEach(e, f->ids) if (strcmp(e->valuestring, in->id) == 0) hit = 1;
    if (!hit) return 0;
  }
  if (f->status >= 0 && in->status != f->status) return 0;
  if (f->charge >= 0 && in->prepaid != f->charge) return 0;
  if (f->lock >= 0 && !(in->locks & (1u << f->lock))) return 0;
  if (f->zone && strcmp(f->zone, in->zone) != 0) return 0;
  if (f->name && !glob_match(f->name, in->name)) return 0;
  if (f->resource_group && strcmp(f->resource_group, in->resource_group) != 0) return 0;
  if (f->vpc && strcmp(f->vpc, in->vpc) != 0) return 0;
  if (f->type && strcmp(f->type, in->type) != 0) return 0;
  if (f->image && strcmp(f->image, in->image) != 0) return 0;
  for (i = 1; i <= 20; i++)
    if (f->tag_key[i] && !tag_has(in, f->tag_key[i], f->tag_val[i])) return 0;
  return 1;
}

/* The NextToken: 32 hex characters binding an offset to this query (the
 * account, region and filters) and to this simulator run. */
static uint64_t token_mac(const ecs_sim *s, const sim_req *req, unsigned offset) {
  static const char *const keys[] = {"RegionId", "InstanceIds", "Status", "InstanceChargeType",
                                     "LockReason", "ZoneId", "InstanceName", "ResourceGroupId",
                                     "VpcId", "InstanceType", "ImageId", NULL};
  uint64_t h = ECS_FNV_OFFSET ^ s->token_salt;
  char num[32];
  size_t i;
  snprintf(num, sizeof num, "%u/%zu", offset, req->account);
  h = fnv1a(h, num);
  for (i = 0; keys[i]; i++) h = fnv1a(h, ecs_params_get(&req->params, keys[i]));
  for (i = 0; i < req->params.n; i++)
    if (strncmp(req->params.v[i].name, "Tag.", 4) == 0)
      h = fnv1a(fnv1a(h, req->params.v[i].name), req->params.v[i].value);
  return h;
}

static void token_make(const ecs_sim *s, const sim_req *req, unsigned offset, char out[33]) {
  uint64_t mac = token_mac(s, req, offset);
  snprintf(out, 33, "%08x%016" PRIx64 "%08x", offset ^ 0x5a5a5a5au, mac,
           (unsigned)(mac >> 7) ^ s->token_salt);
}

static int token_read(const ecs_sim *s, const sim_req *req, const char *tok, unsigned *offset) {
  char want[33], head[9];
  unsigned long off;
  if (strlen(tok) != 32 || strspn(tok, "0123456789abcdef") != 32) return -1;
  memcpy(head, tok, 8);
  head[8] = '\0';
  off = strtoul(head, NULL, 16) ^ 0x5a5a5a5aul;
  if (off > 0xffffffUL) return -1;
  token_make(s, req, (unsigned)off, want);
  if (strcmp(want, tok) != 0) return -1;
  *offset = (unsigned)off;
  return 0;
}

static int cmp_size(const void *a, const void *b) {
  size_t x = *(const size_t *)a, y = *(const size_t *)b;
  return x < y ? -1 : x > y;
}

/* Sorts and de-duplicates idx[0..n) (instance indices) in place; the new n. */
static size_t sort_unique(size_t *idx, size_t n) {
  size_t i, k = 0;
  qsort(idx, n, sizeof *idx, cmp_size);
  for (i = 0; i < n; i++)
    if (k == 0 || idx[k - 1] != idx[i]) idx[k++] = idx[i];
  return k;
}

/* DescribeInstances' page: with NextToken/MaxResults (MaxResults clamped to
 * 10..100, the token's offset) or PageNumber/PageSize. Sets *size, *page and
 * *offset (left at their defaults when absent). 0, or -1 when it answered r
 * with InvalidParameter. */
static int di_paging(ecs_sim *s, sim_req *req, sim_resp *r, long *size, long *page,
                     unsigned *offset) {
  const char *tok = param(req, "NextToken"), *mr = param(req, "MaxResults");
  if (tok || mr) {
    if (mr && parse_int(mr, size) < 0) return sim_invalid(r, "MaxResults"), -1;
    if (*size < 10) *size = 10;
    if (*size > 100) *size = 100;
    if (tok && token_read(s, req, tok, offset) < 0) return sim_invalid(r, "NextToken"), -1;
    *page = (long)(*offset / (unsigned)*size) + 1;
    return 0;
  }
  if (param(req, "PageNumber") && (parse_int(param(req, "PageNumber"), page) < 0 || *page < 1))
    return sim_invalid(r, "PageNumber"), -1;
  if (param(req, "PageSize") &&
      (parse_int(param(req, "PageSize"), size) < 0 || *size < 1 || *size > 100))
    return sim_invalid(r, "PageSize"), -1;
  /* compare before multiplying: a huge PageNumber must not overflow */
  if ((unsigned long)(*page - 1) > 0xffffffUL / (unsigned long)*size) *offset = 0xffffff;
  else *offset = (unsigned)((*page - 1) * *size);
  return 0;
}

static int act_describe_instances(ecs_sim *s, sim_req *req, sim_resp *r, int commit) {
  const char *region = param(req, "RegionId");
  di_filter f;
  cJSON *list;
  size_t i, total = 0, shown = 0, ncand = 0, cand[100], n;
  unsigned offset = 0;
  long size = 10, page = 1;
  int token_mode = param(req, "NextToken") || param(req, "MaxResults"), rc = -1;
  char next[33] = "";
  (void)commit;
  if (!region) return sim_missing(r, "RegionId");
  if (parse_filter(req, &f, r) < 0) goto done;
  if (di_paging(s, req, r, &size, &page, &offset) < 0) goto done;
  if (!(r->body = cJSON_CreateObject()) || !(list = put_list(r->body, "Instances", "Instance"))) {
    sim_oom(r);
    goto done;
  }
  if (f.ids) {
    /* InstanceIds (at most 100): only those instances, in fleet order, as
     * the scan over the whole fleet would meet them */
    const cJSON *e;
    cJSON_ArrayForEach(e, f.ids) {
      size_t k = sim_instance_index(&s->f, e->valuestring);
      if (k != (size_t)-1 && ncand < sizeof cand / sizeof cand[0]) cand[ncand++] = k;
    }
    ncand = sort_unique(cand, ncand);
  }
  n = f.ids ? ncand : s->f.ninstances;
  for (i = 0; i < n; i++) {
    sim_instance *in = &s->f.instances[f.ids ? cand[i] : i];
    cJSON *o;
    if (in->account != req->account || strcmp(in->region, region) != 0) continue;
    refresh(s, in, req->now_ms);
    if (!filter_match(&f, in)) continue;
    if (total++ < offset || shown >= (size_t)size) continue;
    shown++;
    if (!(o = instance_json(s, in, 0)) || !cJSON_AddItemToArray(list, o)) {
      cJSON_Delete(o);
      sim_oom(r);
      goto done;
    }
  }
  if (offset + shown < total) token_make(s, req, offset + (unsigned)shown, next);
  /* With NextToken/MaxResults the service documents TotalCount as
   * meaningless: 0 here, so no client can come to rely on it. */
  if (put_num(r->body, "TotalCount", token_mode ? 0.0 : (double)total) ||
      put_num(r->body, "PageNumber", (double)page) ||
      put_num(r->body, "PageSize", (double)size) || put_str(r->body, "NextToken", next)) {
    sim_oom(r);
    goto done;
  }
  rc = 0;
done:
  cJSON_Delete(f.ids);
  return rc;
}

/* ---- DescribeInstanceStatus ---- */

static int act_describe_status(ecs_sim *s, sim_req *req, sim_resp *r, int commit) {
  const char *region = param(req, "RegionId"), *zone = param(req, "ZoneId");
  cJSON *list;
  size_t i, j, total = 0, shown = 0, nids = 0, skip, ncand = 0, cand[100], n;
  long page = 1, size = 10;
  (void)commit;
  if (!region) return sim_missing(r, "RegionId");
  if (param(req, "PageNumber") && (parse_int(param(req, "PageNumber"), &page) < 0 || page < 1))
    return sim_invalid(r, "PageNumber");
  if (param(req, "PageSize") &&
      (parse_int(param(req, "PageSize"), &size) < 0 || size < 1 || size > 50))
    return sim_invalid(r, "PageSize");
  /* compare before multiplying: a huge PageNumber must not overflow */
  skip = (unsigned long)(page - 1) > SIZE_MAX / (size_t)size ? SIZE_MAX
                                                             : (size_t)(page - 1) * (size_t)size;
  for (i = 0; i < req->params.n; i++)
    if (strncmp(req->params.v[i].name, "InstanceId.", 11) == 0) nids++;
  if (nids > 100) return sim_invalid(r, "InstanceId");
  if (!(r->body = cJSON_CreateObject()) ||
      !(list = put_list(r->body, "InstanceStatuses", "InstanceStatus")))
    return sim_oom(r);
  if (nids) {
    /* InstanceId.N (at most 100): only those instances, in fleet order */
    for (j = 0; j < req->params.n; j++)
      if (strncmp(req->params.v[j].name, "InstanceId.", 11) == 0) {
        size_t k = sim_instance_index(&s->f, req->params.v[j].value);
        if (k != (size_t)-1 && ncand < sizeof cand / sizeof cand[0]) cand[ncand++] = k;
      }
    ncand = sort_unique(cand, ncand);
  }
  n = nids ? ncand : s->f.ninstances;
  for (i = 0; i < n; i++) {
    sim_instance *in = &s->f.instances[nids ? cand[i] : i];
    cJSON *o;
    if (in->account != req->account || strcmp(in->region, region) != 0) continue;
    if (zone && strcmp(zone, in->zone) != 0) continue;
    refresh(s, in, req->now_ms);
    if (total++ < skip || shown >= (size_t)size) continue;
    shown++;
    if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(list, o) ||
        put_str(o, "InstanceId", in->id) || put_str(o, "Status", sim_status_names[in->status]))
      return sim_oom(r);
  }
  if (put_num(r->body, "TotalCount", (double)total) || put_num(r->body, "PageNumber", (double)page) ||
      put_num(r->body, "PageSize", (double)size))
    return sim_oom(r);
  return 0;
}

/* ---- DescribeRegions ---- */

static const char *const common_regions[][2] = {
    {"cn-hangzhou", "华东1（杭州）"}, {"cn-shanghai", "华东2（上海）"},
    {"cn-beijing", "华北2（北京）"},  {"cn-shenzhen", "华南1（深圳）"},
    {"cn-hongkong", "中国香港"},      {"ap-southeast-1", "新加坡"},
    {"us-west-1", "美国（硅谷）"},    {"eu-central-1", "德国（法兰克福）"}};
#define NCOMMON (sizeof common_regions / sizeof common_regions[0])

static int add_region(cJSON *list, const char *id) {
  cJSON *o, *e;
  const char *local = id;
  char endpoint[160];
  size_t i;
  cJSON_ArrayForEach(e, list) if (strcmp(ecs_json_str(e, "RegionId"), id) == 0) return 0;
  for (i = 0; i < NCOMMON; i++)
    if (strcmp(common_regions[i][0], id) == 0) local = common_regions[i][1];
  snprintf(endpoint, sizeof endpoint, "ecs.%s.aliyuncs.com", id);
  if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(list, o) || put_str(o, "RegionId", id) ||
      put_str(o, "RegionEndpoint", endpoint) || put_str(o, "LocalName", local) ||
      put_str(o, "Status", "available"))
    return -1;
  return 0;
}

static int act_describe_regions(ecs_sim *s, sim_req *req, sim_resp *r, int commit) {
  cJSON *list;
  size_t i;
  (void)req;
  (void)commit;
  if (!(r->body = cJSON_CreateObject()) || !(list = put_list(r->body, "Regions", "Region")))
    return sim_oom(r);
  for (i = 0; i < s->f.ninstances; i++)
    if (add_region(list, s->f.instances[i].region) < 0) return sim_oom(r);
  for (i = 0; i < NCOMMON; i++)
    if (add_region(list, common_regions[i][0]) < 0) return sim_oom(r);
  return 0;
}

/* ---- dispatch ---- */

typedef sim_action_fn action_fn;

static action_fn find_action(const char *name) {
  if (strcmp(name, "ReActivateInstances") == 0) return act_reactivate;
  if (strcmp(name, "DescribeInstances") == 0) return act_describe_instances;
  if (strcmp(name, "DescribeInstanceStatus") == 0) return act_describe_status;
  if (strcmp(name, "DescribeRegions") == 0) return act_describe_regions;
  return NULL;
}

/* Fixed windows per (account, region, action), aligned to multiples of
 * window_s ("throttled in minute T, callable again in minute T+1"). Returns
 * 1 when this request is over the limit (r filled), 0 otherwise, -1 OOM. */
static int throttle(ecs_sim *s, const sim_req *req, sim_resp *r) {
  const sim_throttle_rule *rule = NULL;
  const char *region = param(req, "RegionId");
  long long win, start;
  sim_window *w = NULL;
  size_t i, klen;
  char key[400];
  for (i = 0; i < s->f.nthrottle; i++)
    if (strcmp(s->f.throttle[i].action, req->action) == 0) rule = &s->f.throttle[i];
  if (!rule) return 0;
  /* the account, not the key the caller used: every key of an account
   * (its "keys", STS keys issued for its roles) shares one bucket */
  klen = (size_t)snprintf(key, sizeof key, "#%zu\n%s\n%s", req->account,
                          region ? region : "", req->action);
  if (klen >= sizeof key) klen = sizeof key - 1;
  for (i = 0; i < s->nwindows; i++)
    if (strcmp(s->windows[i].key, key) == 0) w = &s->windows[i];
  if (!w) {
    sim_window *nw = realloc(s->windows, (s->nwindows + 1) * sizeof *nw);
    if (!nw) return -1;
    s->windows = nw;
    w = &s->windows[s->nwindows];
    if (!(w->key = strdup(key))) return -1;
    w->start_ms = -1;
    w->count = 0;
    s->nwindows++;
  }
  win = (long long)rule->window_s * 1000;
  start = req->now_ms - ((req->now_ms % win) + win) % win;
  if (w->start_ms != start) {
    w->start_ms = start;
    w->count = 0;
  }
  if (++w->count <= rule->limit) return 0;
  sim_fail(r, rule->status, "Throttling.User", "Request was denied due to user flow control.");
  if (rule->retry_after) r->retry_after_ms = start + win - req->now_ms;
  return 1;
}

void sim_windows_free(ecs_sim *s) {
  size_t i;
  for (i = 0; i < s->nwindows; i++) free(s->windows[i].key);
  free(s->windows);
  s->windows = NULL;
  s->nwindows = 0;
}

/* The first fault for this action (and InstanceId, when it names one) that
 * has times left. */
static sim_fault *match_fault(ecs_sim *s, const sim_req *req) {
  return sim_fault_first(&s->f, req->action, param(req, "InstanceId"));
}

/* Status and message for an injected error code. */
static void fault_error(const sim_fault *ft, sim_resp *r) {
  static const struct { const char *code; int status; const char *msg; } known[] = {
      {"InternalError", 500, "The request processing has failed due to some unknown error."},
      {"ServiceUnavailable", 503, "The request has failed due to a temporary failure of the server."},
      {"Throttling", 400, "Request was denied due to request throttling."},
      {"Throttling.User", 400, "Request was denied due to user flow control."},
      {"Throttling.Api", 400, "Request was denied due to api flow control."},
      {"OperationConflict", 409, "Request was denied due to conflict with a previous request."},
      {"IncorrectInstanceStatus", 403, "The current status of the resource does not support this operation."},
      {"InvalidInstanceId.NotFound", 404, NOT_FOUND_MSG},
      {"InsufficientBalance", 403, "Your account does not have enough balance."},
      {"ReopenInstance.InstanceNotEnoughBalance", 400, "Reopen instance must have enough account balance."},
      {"ReopenInstance.ImageNotEnoughBalance", 400, "Reopen instance must have enough cash balance."},
      {"ReopenInstance.InstanceStatusNotValid", 400, "Instance status is not Expired, ImageExpired or EcsAndImageExpired."},
      {"InstanceLockedForSecurity", 403, "The specified operation is denied as your instance is locked for security reasons."},
      {"Forbidden.RAM", 403, "User not authorized to operate on the specified resource, or this API doesn't support RAM."},
      {"ServiceUnavailable.RegionMaintaining", 503, "System maintenance is in progress on the selected region, please wait a few minutes before trying again."},
  };
  size_t i;
  int status = 400;
  const char *msg = "The request processing has failed due to an injected fault.";
  for (i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(known[i].code, ft->code) == 0) {
      status = known[i].status;
      msg = known[i].msg;
    }
  if (ft->status) status = ft->status;
  if (ft->message) msg = ft->message;
  sim_fail(r, status, ft->code, "%s", msg);
  if (strncmp(ft->code, "Throttling", 10) == 0) r->retry_after_ms = 1000;
}

/* Runs fn under the fault (if any). See the top of the file for the model:
 * an "error" fault is the last check (the action's own errors win and do not
 * consume it); wire faults (reset/hang/malformed/html503) replace the answer
 * before the action runs, unless apply, when the action runs first and its
 * answer is lost. */
static void run_with_faults(ecs_sim *s, sim_req *req, sim_resp *r, action_fn fn) {
  sim_fault *ft = match_fault(s, req);
  static const char *const names[] = {"", "", "reset", "hang", "malformed", "html503"};
  if (!ft) {
    (void)fn(s, req, r, 1);
    return;
  }
  if (ft->kind == SIM_FAULT_ERROR) {
    if (fn(s, req, r, ft->apply) < 0) return;
    sim_resp_free(r);
    fault_error(ft, r);
  } else {
    if (ft->apply) (void)fn(s, req, r, 1);
    sim_resp_free(r);
    r->retry_after_ms = -1;
    r->fault = ft->kind;
    r->status = ft->kind == SIM_FAULT_MALFORMED ? 200 : ft->kind == SIM_FAULT_HTML503 ? 503 : 0;
    sim_copy(r->code, sizeof r->code, names[ft->kind]);
  }
  if (ft->times > 0) ft->times--;
  s->n_faults++;
}

void sim_dispatch(ecs_sim *s, sim_req *req, sim_resp *r) {
  action_fn fn;
  int t;
  if (req->v3) {
    req->action = ecs_params_geti(&req->headers, "x-acs-action");
    req->version = ecs_params_geti(&req->headers, "x-acs-version");
  } else {
    req->action = ecs_params_get(&req->params, "Action");
    req->version = ecs_params_get(&req->params, "Version");
  }
  if (!req->action || !*req->action) {
    sim_missing(r, "Action");
    return;
  }
  if (!req->version || !*req->version) {
    sim_missing(r, "Version");
    return;
  }
  if (strcmp(req->version, "2014-05-26") == 0) {
    fn = find_action(req->action);
  } else if (sim_bss_version(req->version)) {
    fn = sim_bss_action(req->action); /* bss.c: the product is the version */
  } else {
    sim_fail(r, 400, "InvalidParameter", "The specified parameter Action or Version is not valid.");
    return;
  }
  if (!fn) {
    sim_fail(r, 404, "InvalidApi.NotFound", "Specified api is not found,please check your url and method.");
    return;
  }
  if (pthread_mutex_lock(&s->mu) != 0) {
    sim_oom(r);
    return;
  }
  t = throttle(s, req, r);
  if (t < 0) sim_oom(r);
  else if (t == 0) run_with_faults(s, req, r, fn);
  else s->n_throttled++;
  pthread_mutex_unlock(&s->mu);
}

/* ---- request log and /_sim documents ---- */

/* Header name (x-acs-retry-attempts, x-acs-retry-delay) as a number (1-9
 * digits), else -1. */
static long retry_header(const sim_req *req, const char *name) {
  const char *v = req ? ecs_params_geti(&req->headers, name) : NULL;
  long n = 0;
  size_t i;
  if (!v || !*v || strlen(v) > 9) return -1;
  for (i = 0; v[i]; i++) {
    if (v[i] < '0' || v[i] > '9') return -1;
    n = n * 10 + (v[i] - '0');
  }
  return n;
}

/* The names of req's operation parameters (not the common or signature
 * ones), comma-joined into out (cut at n - 1): what the log shows of the
 * parameters, never their values. */
static void param_names(const sim_req *req, char *out, size_t n) {
  static const char *const common[] = {"Action", "Version", "Format", "Timestamp",
                                       "SignatureNonce", "SignatureMethod", "SignatureVersion",
                                       "SignatureType", "AccessKeyId", "Signature",
                                       "SecurityToken", NULL};
  size_t i, len = 0;
  out[0] = '\0';
  for (i = 0; req && i < req->params.n; i++) {
    const char *name = req->params.v[i].name;
    int k, skip = 0;
    for (k = 0; common[k]; k++)
      if (strcmp(common[k], name) == 0) skip = 1;
    if (skip) continue;
    len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", len ? "," : "", name);
    if (len >= n) {
      out[n - 1] = '\0';
      return;
    }
  }
}

void sim_log_request(ecs_sim *s, const sim_req *req, const sim_resp *r) {
  sim_logent *e;
  const char *id = req ? ecs_params_get(&req->params, "InstanceId") : NULL;
  const char *region = req ? ecs_params_get(&req->params, "RegionId") : NULL;
  unsigned long long seq;
  if (pthread_mutex_lock(&s->mu) != 0) return;
  seq = ++s->seq;
  s->n_requests++;
  if (strcmp(r->code, "OK") == 0) s->n_ok++;
  else s->n_errors++;
  if (s->log_n < SIM_LOG_MAX) {
    if (s->log_n == s->log_cap) {
      size_t cap = s->log_cap ? s->log_cap * 2 : 256;
      sim_logent *nl;
      if (cap > SIM_LOG_MAX) cap = SIM_LOG_MAX;
      if (!(nl = realloc(s->log, cap * sizeof *nl))) {
        pthread_mutex_unlock(&s->mu);
        return;
      }
      s->log = nl;
      s->log_cap = cap;
    }
    e = &s->log[s->log_n++];
  } else {
    e = &s->log[s->log_head];
    s->log_head = (s->log_head + 1) % SIM_LOG_MAX;
  }
  e->seq = seq;
  e->time_ms = req ? req->now_ms : sim_now_ms(s);
  sim_copy(e->action, sizeof e->action, req ? req->action : NULL);
  sim_copy(e->instance_id, sizeof e->instance_id, id);
  sim_copy(e->region, sizeof e->region, region);
  sim_copy(e->access_key_id, sizeof e->access_key_id, req ? req->access_key_id : NULL);
  sim_copy(e->code, sizeof e->code, r->code);
  param_names(req, e->params, sizeof e->params);
  e->status = r->status;
  e->retry_attempts = retry_header(req, "x-acs-retry-attempts");
  e->retry_delay = retry_header(req, "x-acs-retry-delay");
  pthread_mutex_unlock(&s->mu);
  if (!s->quiet)
    fprintf(stderr, "ecs-sim: #%llu %s %s %s -> %d %s\n", seq,
            req && req->action && *req->action ? req->action : "-", id && *id ? id : "-",
            req && req->access_key_id[0] ? req->access_key_id : "-", r->status, r->code);
}

static cJSON *log_entry_json(const sim_logent *e) {
  cJSON *o = cJSON_CreateObject();
  char t[40];
  sim_format_seconds(e->time_ms / 1000, t, sizeof t);
  if (!o || put_num(o, "seq", (double)e->seq) || put_str(o, "time", t) ||
      put_str(o, "action", e->action) || put_str(o, "instance_id", e->instance_id) ||
      put_str(o, "region", e->region) || put_str(o, "access_key_id", e->access_key_id) ||
      put_str(o, "code", e->code) || put_num(o, "status", e->status) ||
      put_str(o, "params", e->params) ||
      (e->retry_attempts >= 0 && put_num(o, "retry_attempts", (double)e->retry_attempts)) ||
      (e->retry_delay >= 0 && put_num(o, "retry_delay_ms", (double)e->retry_delay))) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

char *sim_requests_json(ecs_sim *s) { return sim_requests_json_since(s, 0); }

char *sim_requests_json_since(ecs_sim *s, unsigned long long since) {
  cJSON *arr = cJSON_CreateArray();
  char *out = NULL;
  size_t i, lo, hi;
  if (!arr) return NULL;
  if (pthread_mutex_lock(&s->mu) != 0) {
    cJSON_Delete(arr);
    return NULL;
  }
  /* the log is in seq order: find the first entry with seq > since */
  lo = 0;
  hi = s->log_n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (s->log[(s->log_head + mid) % s->log_n].seq <= since) lo = mid + 1;
    else hi = mid;
  }
  for (i = lo; i < s->log_n; i++) {
    cJSON *o = log_entry_json(&s->log[(s->log_head + i) % (s->log_n ? s->log_n : 1)]);
    if (!o || !cJSON_AddItemToArray(arr, o)) {
      cJSON_Delete(o);
      goto done;
    }
  }
  out = ecs_json_print(arr);
done:
  pthread_mutex_unlock(&s->mu);
  cJSON_Delete(arr);
  return out;
}

/* "keys": the ids (never the secrets) of the account's other keys. */
static int state_keys(const sim_account *a, cJSON *o) {
  cJSON *arr;
  size_t i;
  if (!a->nkeys) return 0;
  if (!(arr = cJSON_AddArrayToObject(o, "keys"))) return -1;
  for (i = 0; i < a->nkeys; i++) {
    cJSON *id = cJSON_CreateString(a->keys[i].access_key_id);
    if (!id || !cJSON_AddItemToArray(arr, id)) {
      cJSON_Delete(id);
      return -1;
    }
  }
  return 0;
}

static int state_accounts(const ecs_sim *s, cJSON *root) {
  cJSON *arr = cJSON_AddArrayToObject(root, "accounts");
  size_t i;
  char t[40];
  if (!arr) return -1;
  for (i = 0; i < s->f.naccounts; i++) {
    const sim_account *a = &s->f.accounts[i];
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o) || put_str(o, "access_key_id", a->access_key_id) ||
        put_num(o, "balance", a->balance) || put_num(o, "min_balance", a->min_balance) ||
        put_bool(o, "sts", a->security_token != NULL) ||
        put_str(o, "currency", a->currency ? a->currency : "CNY") ||
        state_keys(a, o) < 0)
      return -1;
    if (a->expiration) {
      sim_format_seconds(a->expiration, t, sizeof t);
      if (put_str(o, "expiration", t)) return -1;
    }
  }
  return 0;
}

static int state_faults(const ecs_sim *s, cJSON *root) {
  static const char *const kinds[] = {"", "error", "reset", "hang", "malformed", "html503"};
  cJSON *arr = cJSON_AddArrayToObject(root, "faults");
  size_t i;
  if (!arr) return -1;
  for (i = 0; i < s->f.nfaults; i++) {
    const sim_fault *ft = &s->f.faults[i];
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToArray(arr, o) || put_str(o, "action", ft->action) ||
        (ft->instance_id && put_str(o, "instance_id", ft->instance_id)) ||
        put_str(o, "kind", kinds[ft->kind]) || (ft->code && put_str(o, "error", ft->code)) ||
        put_num(o, "remaining", ft->times) || put_bool(o, "apply", ft->apply))
      return -1;
  }
  return 0;
}

char *sim_state_json(ecs_sim *s) {
  cJSON *root = cJSON_CreateObject(), *arr, *c;
  long long now = sim_now_ms(s);
  char *out = NULL, t[40];
  size_t i;
  if (!root) return NULL;
  if (pthread_mutex_lock(&s->mu) != 0) {
    cJSON_Delete(root);
    return NULL;
  }
  sim_format_seconds(now / 1000, t, sizeof t);
  if (put_str(root, "now", t) || put_num(root, "start_delay_ms", s->f.start_delay_ms) ||
      put_num(root, "latency_ms", s->latency_ms) || state_accounts(s, root) < 0 ||
      !(arr = cJSON_AddArrayToObject(root, "instances")))
    goto done;
  for (i = 0; i < s->f.ninstances; i++) {
    cJSON *o;
    refresh(s, &s->f.instances[i], now);
    if (!(o = instance_json(s, &s->f.instances[i], 1)) || !cJSON_AddItemToArray(arr, o)) {
      cJSON_Delete(o);
      goto done;
    }
  }
  if (state_faults(s, root) < 0 || !(c = cJSON_AddObjectToObject(root, "counters")) ||
      put_num(c, "requests", (double)s->n_requests) || put_num(c, "ok", (double)s->n_ok) ||
      put_num(c, "errors", (double)s->n_errors) || put_num(c, "throttled", (double)s->n_throttled) ||
      put_num(c, "faults", (double)s->n_faults) || put_num(c, "nonces", (double)s->nonces.n))
    goto done;
  out = ecs_json_print(root);
done:
  pthread_mutex_unlock(&s->mu);
  cJSON_Delete(root);
  return out;
}
