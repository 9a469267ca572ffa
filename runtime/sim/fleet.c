/* fleet.c - loads and validates a fleet file (DESIGN.md "ecs-sim").
 *
 * Every problem is reported as one line naming the field by its JSON path
 * ("instances[2].Status: must be one of ..."). Unknown fields are errors at
 * every level, so a typo ("LockReason" for "LockReasons") is never silently
 * ignored.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sim_internal.h"

const char *const sim_status_names[SIM_NSTATUS] = {"Pending", "Running", "Starting",
                                                   "Stopping", "Stopped"};
const char *const sim_lock_names[SIM_NLOCKS] = {"financial", "security", "Recycling",
                                                "dedicatedhostfinancial", "refunded"};
const char *const sim_actions[] = {"ReActivateInstances", "DescribeInstances",
                                   "DescribeInstanceStatus", "DescribeRegions",
                                   "QueryAccountBalance" /* BSS: bss.c */, NULL};

/* ---- indexes ---- */

static uint64_t id_hash(const char *id) { return ecs_fnv1a(ECS_FNV_OFFSET, id); }
static uint64_t fault_hash(const char *action, const char *id) {
  uint64_t h = ecs_fnv1a(ECS_FNV_OFFSET, action);
  h = (h ^ (id ? 0x01 : 0x02)) * ECS_FNV_PRIME; /* "any" differs from every id */
  return id ? ecs_fnv1a(h, id) : h;
}

/* A table of at least 2 n slots (power of two); NULL on OOM. */
static size_t *tab_new(size_t n, size_t *mask) {
  size_t cap = 16;
  while (cap < 2 * n) cap *= 2;
  *mask = cap - 1;
  return calloc(cap, sizeof(size_t));
}

size_t sim_instance_index(const sim_fleet *f, const char *id) {
  size_t i;
  if (!f->inst_tab || !id) return (size_t)-1;
  for (i = (size_t)id_hash(id) & f->inst_mask; f->inst_tab[i]; i = (i + 1) & f->inst_mask)
    if (strcmp(f->instances[f->inst_tab[i] - 1].id, id) == 0) return f->inst_tab[i] - 1;
  return (size_t)-1;
}

sim_instance *sim_instance_find(const sim_fleet *f, const char *id) {
  size_t i = sim_instance_index(f, id);
  return i == (size_t)-1 ? NULL : &f->instances[i];
}

static int same_id(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

static sim_fault_list *fault_list(const sim_fleet *f, const char *action, const char *id) {
  size_t i;
  if (!f->fault_tab) return NULL;
  for (i = (size_t)fault_hash(action, id) & f->fault_mask; f->fault_tab[i];
       i = (i + 1) & f->fault_mask) {
    sim_fault_list *l = &f->fault_lists[f->fault_tab[i] - 1];
    if (strcmp(l->action, action) == 0 && same_id(l->instance_id, id)) return l;
  }
  return NULL;
}

/* The first fault of l with times left (NULL if none); skips spent ones for good. */
static sim_fault *fault_list_first(sim_fleet *f, sim_fault_list *l) {
  if (!l) return NULL;
  while (l->head < l->n && f->faults[l->idx[l->head]].times == 0) l->head++;
  return l->head < l->n ? &f->faults[l->idx[l->head]] : NULL;
}

sim_fault *sim_fault_first(sim_fleet *f, const char *action, const char *id) {
  sim_fault *any, *mine;
  if (!action || !f->fault_tab) return NULL;
  any = fault_list_first(f, fault_list(f, action, NULL));
  mine = id ? fault_list_first(f, fault_list(f, action, id)) : NULL;
  if (!any) return mine;
  if (!mine) return any;
  return mine < any ? mine : any; /* the earlier in file order */
}

/* Groups the loaded faults by (action, instance_id). 0 or -1 (OOM). */
static int index_faults(sim_fleet *f) {
  size_t i, j;
  if (!f->nfaults) return 0;
  if (!(f->fault_lists = calloc(f->nfaults, sizeof *f->fault_lists)) ||
      !(f->fault_tab = tab_new(f->nfaults, &f->fault_mask)))
    return -1;
  for (i = 0; i < f->nfaults; i++) {
    const sim_fault *ft = &f->faults[i];
    sim_fault_list *l = fault_list(f, ft->action, ft->instance_id);
    size_t *nidx;
    if (!l) {
      l = &f->fault_lists[f->nfault_lists++];
      l->action = ft->action;
      l->instance_id = ft->instance_id;
      for (j = (size_t)fault_hash(ft->action, ft->instance_id) & f->fault_mask; f->fault_tab[j];
           j = (j + 1) & f->fault_mask) {}
      f->fault_tab[j] = f->nfault_lists;
    }
    if (!(nidx = realloc(l->idx, (l->n + 1) * sizeof *nidx))) return -1;
    l->idx = nidx;
    l->idx[l->n++] = i;
  }
  return 0;
}

int sim_action_known(const char *action) {
  int i;
  for (i = 0; action && sim_actions[i]; i++)
    if (strcmp(action, sim_actions[i]) == 0) return 1;
  return 0;
}

/* Writes "path: problem" into err. Returns -1. */
static int bad(char *err, size_t errlen, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int bad(char *err, size_t errlen, const char *path, const char *fmt, ...) {
  va_list ap;
  int k;
  if (!err || errlen == 0) return -1;
  k = snprintf(err, errlen, "%s: ", path);
  if (k >= 0 && (size_t)k < errlen) {
    va_start(ap, fmt);
    vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
    va_end(ap);
  }
  for (; *err; err++) /* one line: names and values from the file may hold controls */
    if ((unsigned char)*err < 0x20 || *err == 0x7f) *err = '?';
  return -1;
}

/* Rejects members of obj not in allowed (NULL-terminated). */
static int only_fields(const cJSON *obj, const char *const *allowed, const char *path,
                       char *err, size_t errlen) {
  const cJSON *c;
  char p[160];
  for (c = obj->child; c; c = c->next) {
    int i, ok = 0;
    for (i = 0; allowed[i]; i++)
      if (strcmp(c->string, allowed[i]) == 0) ok = 1;
    if (!ok) {
      snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", c->string);
      return bad(err, errlen, p, "unknown field");
    }
  }
  return 0;
}

/* Optional string member: *out = copy (or NULL when absent). dflt is copied
 * when absent and non-NULL. Empty strings are rejected when nonempty. */
static int get_str(const cJSON *obj, const char *key, const char *path, const char *dflt,
                   int nonempty, char **out, char *err, size_t errlen) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  char p[160];
  *out = NULL;
  snprintf(p, sizeof p, "%s.%s", path, key);
  if (!v) {
    if (!dflt) return 0;
    if (!(*out = strdup(dflt))) return bad(err, errlen, p, "out of memory");
    return 0;
  }
  if (!cJSON_IsString(v)) return bad(err, errlen, p, "must be a string");
  if (nonempty && !*v->valuestring) return bad(err, errlen, p, "must not be empty");
  if (strpbrk(v->valuestring, "\r\n")) return bad(err, errlen, p, "must not contain a newline");
  if (!(*out = strdup(v->valuestring))) return bad(err, errlen, p, "out of memory");
  return 0;
}

/* Optional integer member in [lo, hi]; *out keeps its default when absent. */
static int get_int(const cJSON *obj, const char *key, const char *path, long lo, long hi,
                   int *out, char *err, size_t errlen) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  char p[160];
  if (!v) return 0;
  snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
  if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
    return bad(err, errlen, p, "must be an integer");
  if (v->valuedouble < (double)lo || v->valuedouble > (double)hi)
    return bad(err, errlen, p, "must be between %ld and %ld", lo, hi);
  *out = (int)v->valuedouble;
  return 0;
}

static int get_num(const cJSON *obj, const char *key, const char *path, double *out,
                   char *err, size_t errlen) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  char p[160];
  if (!v) return 0;
  snprintf(p, sizeof p, "%s.%s", path, key);
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return bad(err, errlen, p, "must be a number");
  *out = v->valuedouble;
  return 0;
}

/* Index of s in names[0..n), or -1. */
static int find_name(const char *const *names, int n, const char *s) {
  int i;
  for (i = 0; i < n; i++)
    if (strcmp(names[i], s) == 0) return i;
  return -1;
}

static void free_account(sim_account *a) {
  size_t i;
  for (i = 0; i < a->nkeys; i++) {
    free(a->keys[i].access_key_id);
    ecs_free_secret(a->keys[i].secret);
  }
  free(a->keys);
  free(a->currency);
  free(a->access_key_id);
  ecs_free_secret(a->secret);
  ecs_free_secret(a->security_token);
}

static void free_instance(sim_instance *in) {
  free(in->id);
  free(in->region);
  free(in->zone);
  free(in->name);
  free(in->type);
  free(in->host_name);
  free(in->resource_group);
  free(in->vpc);
  free(in->image);
  free(in->creation_time);
  free(in->expired_time);
  ecs_params_free(&in->tags);
}

void sim_fleet_free(sim_fleet *f) {
  size_t i;
  for (i = 0; i < f->naccounts; i++) free_account(&f->accounts[i]);
  for (i = 0; i < f->ninstances; i++) free_instance(&f->instances[i]);
  for (i = 0; i < f->nthrottle; i++) free(f->throttle[i].action);
  for (i = 0; i < f->nfaults; i++) {
    free(f->faults[i].action);
    free(f->faults[i].instance_id);
    free(f->faults[i].code);
    free(f->faults[i].message);
  }
  for (i = 0; i < f->nroles; i++) {
    size_t j;
    free(f->roles[i].name);
    free(f->roles[i].arn);
    for (j = 0; j < f->roles[i].ntrusted; j++) free(f->roles[i].trusted[j]);
    free(f->roles[i].trusted);
    free(f->roles[i].oidc_provider_arn);
    ecs_free_secret(f->roles[i].oidc_token);
  }
  free(f->roles);
  free(f->accounts);
  free(f->instances);
  free(f->throttle);
  free(f->faults);
  for (i = 0; i < f->nfault_lists; i++) free(f->fault_lists[i].idx);
  free(f->fault_lists);
  free(f->fault_tab);
  free(f->inst_tab);
  memset(f, 0, sizeof *f);
}

/* 1 when id is already a key (first or from "keys") of accounts[0..n]. */
static int key_taken(const sim_fleet *f, size_t n, const char *id) {
  size_t i, j;
  for (i = 0; i < n; i++) {
    if (f->accounts[i].access_key_id && strcmp(f->accounts[i].access_key_id, id) == 0) return 1;
    for (j = 0; j < f->accounts[i].nkeys; j++)
      if (strcmp(f->accounts[i].keys[j].access_key_id, id) == 0) return 1;
  }
  return 0;
}

/* accounts[i].keys: [{access_key_id, access_key_secret}]: more permanent
 * keys of the same account (same instances, balance and throttle bucket). */
static int load_keys(sim_fleet *f, sim_account *ac, const cJSON *arr, const char *path,
                     char *err, size_t errlen) {
  static const char *const fields[] = {"access_key_id", "access_key_secret", NULL};
  const cJSON *k;
  char p[96];
  if (!arr) return 0;
  if (!cJSON_IsArray(arr)) return bad(err, errlen, path, "keys must be an array");
  if (!(ac->keys = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *ac->keys)))
    return bad(err, errlen, path, "out of memory");
  cJSON_ArrayForEach(k, arr) {
    sim_key_pair *kp = &ac->keys[ac->nkeys];
    snprintf(p, sizeof p, "%s.keys[%zu]", path, ac->nkeys);
    if (!cJSON_IsObject(k)) return bad(err, errlen, p, "must be an object");
    if (only_fields(k, fields, p, err, errlen) < 0 ||
        get_str(k, "access_key_id", p, NULL, 1, &kp->access_key_id, err, errlen) < 0 ||
        get_str(k, "access_key_secret", p, NULL, 1, &kp->secret, err, errlen) < 0) {
      free(kp->access_key_id);
      return -1;
    }
    if (!kp->access_key_id || !kp->secret) {
      free(kp->access_key_id);
      ecs_free_secret(kp->secret);
      kp->access_key_id = kp->secret = NULL;
      return bad(err, errlen, p, "access_key_id and access_key_secret are required");
    }
    if (key_taken(f, f->naccounts, kp->access_key_id)) { /* this account's too */
      bad(err, errlen, p, "duplicate access key %s", kp->access_key_id);
      free(kp->access_key_id);
      ecs_free_secret(kp->secret);
      kp->access_key_id = kp->secret = NULL;
      return -1;
    }
    ac->nkeys++;
  }
  return 0;
}

/* accounts: [...]; with none, the single default account sim-ak/sim-secret. */
static int load_accounts(sim_fleet *f, const cJSON *arr, char *err, size_t errlen) {
  static const char *const fields[] = {"access_key_id", "access_key_secret", "balance",
                                       "min_balance", "security_token", "expiration",
                                       "balance_error", "currency", "keys", NULL};
  static const char *const balance_errors[] = {"InsufficientBalance",
                                               "ReopenInstance.InstanceNotEnoughBalance",
                                               "ReopenInstance.ImageNotEnoughBalance"};
  const cJSON *a;
  size_t n = arr ? (size_t)cJSON_GetArraySize(arr) : 0, i = 0;
  char p[64];
  if (arr && !cJSON_IsArray(arr)) return bad(err, errlen, "accounts", "must be an array");
  if (!(f->accounts = calloc(n ? n : 1, sizeof *f->accounts)))
    return bad(err, errlen, "accounts", "out of memory");
  if (n == 0) {
    f->naccounts = 1;
    f->accounts[0].balance = 1000;
    f->accounts[0].min_balance = 100;
    f->accounts[0].balance_error = "InsufficientBalance";
    if (!(f->accounts[0].access_key_id = strdup("sim-ak")) ||
        !(f->accounts[0].secret = strdup("sim-secret")))
      return bad(err, errlen, "accounts", "out of memory");
    return 0;
  }
  cJSON_ArrayForEach(a, arr) {
    sim_account *ac = &f->accounts[i];
    char *exp = NULL, *berr = NULL;
    int bk;
    snprintf(p, sizeof p, "accounts[%zu]", i);
    f->naccounts = ++i;
    ac->balance = 1000;
    ac->min_balance = 100;
    if (!cJSON_IsObject(a)) return bad(err, errlen, p, "must be an object");
    if (only_fields(a, fields, p, err, errlen) < 0 ||
        get_str(a, "access_key_id", p, NULL, 1, &ac->access_key_id, err, errlen) < 0 ||
        get_str(a, "access_key_secret", p, NULL, 1, &ac->secret, err, errlen) < 0 ||
        get_str(a, "security_token", p, NULL, 1, &ac->security_token, err, errlen) < 0 ||
        get_num(a, "balance", p, &ac->balance, err, errlen) < 0 ||
        get_num(a, "min_balance", p, &ac->min_balance, err, errlen) < 0 ||
        get_str(a, "expiration", p, NULL, 1, &exp, err, errlen) < 0 ||
        get_str(a, "balance_error", p, "InsufficientBalance", 1, &berr, err, errlen) < 0 ||
        get_str(a, "currency", p, NULL, 1, &ac->currency, err, errlen) < 0) {
      free(exp);
      free(berr);
      return -1;
    }
    bk = find_name(balance_errors, 3, berr);
    free(berr);
    if (bk < 0) {
      free(exp);
      strncat(p, ".balance_error", sizeof p - strlen(p) - 1);
      return bad(err, errlen, p, "must be one of InsufficientBalance, "
                 "ReopenInstance.InstanceNotEnoughBalance, ReopenInstance.ImageNotEnoughBalance");
    }
    ac->balance_error = balance_errors[bk];
    if (ac->currency && !(strlen(ac->currency) == 3 && isupper((unsigned char)ac->currency[0]) &&
                          isupper((unsigned char)ac->currency[1]) &&
                          isupper((unsigned char)ac->currency[2]))) {
      free(exp);
      strncat(p, ".currency", sizeof p - strlen(p) - 1);
      return bad(err, errlen, p, "must be a currency code like CNY or USD");
    }
    if (!ac->access_key_id || !ac->secret) {
      free(exp);
      return bad(err, errlen, p, "%s is required",
                 ac->access_key_id ? "access_key_secret" : "access_key_id");
    }
    if (exp) {
      int rc = sim_parse_time(exp, 0, &ac->expiration);
      free(exp);
      if (rc < 0) {
        strncat(p, ".expiration", sizeof p - strlen(p) - 1);
        return bad(err, errlen, p, "must be an ISO 8601 UTC time like 2030-01-01T00:00:00Z");
      }
      if (!ac->security_token) {
        strncat(p, ".expiration", sizeof p - strlen(p) - 1);
        return bad(err, errlen, p, "only makes sense with security_token");
      }
    }
    if (key_taken(f, i - 1, ac->access_key_id)) {
      strncat(p, ".access_key_id", sizeof p - strlen(p) - 1);
      return bad(err, errlen, p, "duplicate access key %s", ac->access_key_id);
    }
    if (load_keys(f, ac, cJSON_GetObjectItemCaseSensitive(a, "keys"), p, err, errlen) < 0)
      return -1;
  }
  return 0;
}

/* LockReasons: ["financial", ...] -> bits. */
static int load_locks(sim_instance *in, const cJSON *v, const char *path, char *err,
                      size_t errlen) {
  const cJSON *l;
  char p[96];
  int i = 0;
  snprintf(p, sizeof p, "%s.LockReasons", path);
  if (!v) return 0;
  if (!cJSON_IsArray(v)) return bad(err, errlen, p, "must be an array");
  cJSON_ArrayForEach(l, v) {
    int k = cJSON_IsString(l) ? find_name(sim_lock_names, SIM_NLOCKS, l->valuestring) : -1;
    if (k < 0) {
      snprintf(p, sizeof p, "%s.LockReasons[%d]", path, i);
      return bad(err, errlen, p,
                 "must be one of financial, security, Recycling, dedicatedhostfinancial, "
                 "refunded");
    }
    in->locks |= 1u << k;
    i++;
  }
  return 0;
}

static int load_tags(sim_instance *in, const cJSON *v, const char *path, char *err,
                     size_t errlen) {
  const cJSON *t;
  char p[160];
  snprintf(p, sizeof p, "%s.Tags", path);
  if (!v) return 0;
  if (!cJSON_IsObject(v)) return bad(err, errlen, p, "must be an object of strings");
  cJSON_ArrayForEach(t, v) {
    if (!cJSON_IsString(t)) {
      snprintf(p, sizeof p, "%s.Tags.%s", path, t->string);
      return bad(err, errlen, p, "must be a string");
    }
    if (ecs_params_add(&in->tags, t->string, t->valuestring) < 0)
      return bad(err, errlen, p, "out of memory");
  }
  return 0;
}

/* Normalises a fleet time ("...T..:..Z" or with seconds) to minutes. */
static int load_time(char **field, const char *path, const char *key, char *err,
                     size_t errlen) {
  long long t;
  char p[96], out[32];
  if (!*field) return 0;
  snprintf(p, sizeof p, "%s.%s", path, key);
  if (sim_parse_time(*field, 1, &t) < 0)
    return bad(err, errlen, p, "must be a UTC time like 2024-01-01T00:00Z");
  sim_format_minutes(t, out, sizeof out);
  free(*field);
  if (!(*field = strdup(out))) return bad(err, errlen, p, "out of memory");
  return 0;
}

static int load_instance(sim_fleet *f, sim_instance *in, const cJSON *o, const char *p,
                         char *err, size_t errlen) {
  static const char *const fields[] = {
      "InstanceId", "RegionId", "ZoneId", "Status", "InstanceChargeType", "LockReasons",
      "InstanceName", "Tags", "InstanceType", "CreationTime", "ExpiredTime", "HostName",
      "account", "ResourceGroupId", "VpcId", "ImageId", NULL};
  char *status = NULL, *charge = NULL, *acct = NULL, q[96];
  int k, rc = -1;
  if (!cJSON_IsObject(o)) return bad(err, errlen, p, "must be an object");
  if (only_fields(o, fields, p, err, errlen) < 0 ||
      get_str(o, "InstanceId", p, NULL, 1, &in->id, err, errlen) < 0 ||
      get_str(o, "RegionId", p, NULL, 1, &in->region, err, errlen) < 0 ||
      get_str(o, "ZoneId", p, NULL, 1, &in->zone, err, errlen) < 0 ||
      get_str(o, "Status", p, NULL, 1, &status, err, errlen) < 0 ||
      get_str(o, "InstanceChargeType", p, "PostPaid", 1, &charge, err, errlen) < 0 ||
      get_str(o, "InstanceName", p, NULL, 0, &in->name, err, errlen) < 0 ||
      get_str(o, "InstanceType", p, "ecs.g7.large", 1, &in->type, err, errlen) < 0 ||
      get_str(o, "CreationTime", p, "2024-01-01T00:00Z", 1, &in->creation_time, err, errlen) < 0 ||
      get_str(o, "ExpiredTime", p, NULL, 1, &in->expired_time, err, errlen) < 0 ||
      get_str(o, "HostName", p, NULL, 1, &in->host_name, err, errlen) < 0 ||
      get_str(o, "ResourceGroupId", p, "", 0, &in->resource_group, err, errlen) < 0 ||
      get_str(o, "VpcId", p, "", 0, &in->vpc, err, errlen) < 0 ||
      get_str(o, "ImageId", p, "aliyun_3_x64_20G_alibase_20240819.vhd", 1, &in->image, err,
              errlen) < 0 ||
      get_str(o, "account", p, NULL, 1, &acct, err, errlen) < 0 ||
      load_locks(in, cJSON_GetObjectItemCaseSensitive(o, "LockReasons"), p, err, errlen) < 0 ||
      load_tags(in, cJSON_GetObjectItemCaseSensitive(o, "Tags"), p, err, errlen) < 0 ||
      load_time(&in->creation_time, p, "CreationTime", err, errlen) < 0 ||
      load_time(&in->expired_time, p, "ExpiredTime", err, errlen) < 0)
    goto done;
  snprintf(q, sizeof q, "%s.InstanceId", p);
  if (!in->id) { bad(err, errlen, q, "is required"); goto done; }
  snprintf(q, sizeof q, "%s.RegionId", p);
  if (!in->region) { bad(err, errlen, q, "is required"); goto done; }
  snprintf(q, sizeof q, "%s.Status", p);
  if (!status || (k = find_name(sim_status_names, SIM_NSTATUS, status)) < 0) {
    bad(err, errlen, q, "must be one of Pending, Running, Starting, Stopping, Stopped");
    goto done;
  }
  in->status = k;
  snprintf(q, sizeof q, "%s.InstanceChargeType", p);
  if (strcmp(charge, "PostPaid") != 0 && strcmp(charge, "PrePaid") != 0) {
    bad(err, errlen, q, "must be one of PostPaid, PrePaid");
    goto done;
  }
  in->prepaid = strcmp(charge, "PrePaid") == 0;
  in->account = 0;
  if (acct) {
    size_t i;
    for (i = 0; i < f->naccounts; i++)
      if (strcmp(f->accounts[i].access_key_id, acct) == 0) break;
    snprintf(q, sizeof q, "%s.account", p);
    if (i == f->naccounts) { bad(err, errlen, q, "no account has access_key_id %s", acct); goto done; }
    in->account = i;
  }
  if (!in->zone) {
    size_t l = strlen(in->region);
    if (!(in->zone = malloc(l + 3))) { bad(err, errlen, p, "out of memory"); goto done; }
    memcpy(in->zone, in->region, l);
    memcpy(in->zone + l, "-a", 3);
  }
  if ((!in->name && !(in->name = strdup(in->id))) ||
      (!in->host_name && !(in->host_name = strdup(in->id))) ||
      (!in->expired_time && !(in->expired_time = strdup(in->prepaid ? "2024-12-31T16:00Z"
                                                                    : "2099-12-31T15:59Z")))) {
    bad(err, errlen, p, "out of memory");
    goto done;
  }
  rc = 0;
done:
  free(status);
  free(charge);
  free(acct);
  return rc;
}

static int load_instances(sim_fleet *f, const cJSON *arr, char *err, size_t errlen) {
  const cJSON *o;
  size_t n, i = 0, j;
  char p[64];
  if (!arr) return 0;
  if (!cJSON_IsArray(arr)) return bad(err, errlen, "instances", "must be an array");
  n = (size_t)cJSON_GetArraySize(arr);
  if (n && !(f->instances = calloc(n, sizeof *f->instances)))
    return bad(err, errlen, "instances", "out of memory");
  if (!(f->inst_tab = tab_new(n, &f->inst_mask)))
    return bad(err, errlen, "instances", "out of memory");
  cJSON_ArrayForEach(o, arr) {
    sim_instance *in = &f->instances[i];
    snprintf(p, sizeof p, "instances[%zu]", i);
    f->ninstances = ++i;
    if (load_instance(f, in, o, p, err, errlen) < 0) return -1;
    if ((j = sim_instance_index(f, in->id)) != (size_t)-1) {
      strncat(p, ".InstanceId", sizeof p - strlen(p) - 1);
      return bad(err, errlen, p, "duplicate InstanceId %s (also instances[%zu])", in->id, j);
    }
    for (j = (size_t)id_hash(in->id) & f->inst_mask; f->inst_tab[j]; j = (j + 1) & f->inst_mask) {}
    f->inst_tab[j] = i; /* index + 1 */
  }
  return 0;
}

static int load_throttle(sim_fleet *f, const cJSON *obj, char *err, size_t errlen) {
  static const char *const fields[] = {"limit", "window_s", "status", "retry_after", NULL};
  const cJSON *r, *ra;
  size_t i = 0;
  char p[128];
  if (!obj) return 0;
  if (!cJSON_IsObject(obj)) return bad(err, errlen, "throttle", "must be an object");
  if (!(f->throttle = calloc((size_t)cJSON_GetArraySize(obj) + 1, sizeof *f->throttle)))
    return bad(err, errlen, "throttle", "out of memory");
  cJSON_ArrayForEach(r, obj) {
    sim_throttle_rule *t = &f->throttle[i];
    snprintf(p, sizeof p, "throttle.%s", r->string);
    f->nthrottle = ++i;
    if (!sim_action_known(r->string))
      return bad(err, errlen, p,
                 "unknown action (the simulator has ReActivateInstances, DescribeInstances, "
                 "DescribeInstanceStatus, DescribeRegions, QueryAccountBalance)");
    if (!cJSON_IsObject(r)) return bad(err, errlen, p, "must be an object");
    t->limit = -1;
    t->window_s = 60;
    t->status = 400;
    if (!(t->action = strdup(r->string))) return bad(err, errlen, p, "out of memory");
    if (only_fields(r, fields, p, err, errlen) < 0 ||
        get_int(r, "limit", p, 0, 1000000000L, &t->limit, err, errlen) < 0 ||
        get_int(r, "window_s", p, 1, 86400, &t->window_s, err, errlen) < 0 ||
        get_int(r, "status", p, 400, 599, &t->status, err, errlen) < 0)
      return -1;
    if (t->limit < 0) {
      strncat(p, ".limit", sizeof p - strlen(p) - 1);
      return bad(err, errlen, p, "is required");
    }
    t->retry_after = 1;
    if ((ra = cJSON_GetObjectItemCaseSensitive(r, "retry_after"))) {
      strncat(p, ".retry_after", sizeof p - strlen(p) - 1);
      if (!cJSON_IsBool(ra)) return bad(err, errlen, p, "must be true or false");
      t->retry_after = cJSON_IsTrue(ra);
    }
  }
  return 0;
}

/* One fault: {action, instance_id?, times?, apply?, and exactly one of
 * error (+status?, message?), transport ("reset"|"hang"|"malformed"|
 * "html503"), or the shorthands "reset"/"hang"/"malformed"/"html503": true}. */
static int load_fault(sim_fault *ft, const cJSON *o, const char *p, char *err, size_t errlen) {
  static const char *const fields[] = {"action", "instance_id", "times", "apply", "error",
                                       "status", "message", "transport", "reset", "hang",
                                       "malformed", "html503", NULL};
  static const char *const kinds[] = {"reset", "hang", "malformed", "html503"};
  const cJSON *v;
  char *transport = NULL, q[128];
  int nkinds = 0, i;
  if (!cJSON_IsObject(o)) return bad(err, errlen, p, "must be an object");
  ft->times = 1;
  ft->status = 0;
  if (only_fields(o, fields, p, err, errlen) < 0 ||
      get_str(o, "action", p, NULL, 1, &ft->action, err, errlen) < 0 ||
      get_str(o, "instance_id", p, NULL, 1, &ft->instance_id, err, errlen) < 0 ||
      get_str(o, "error", p, NULL, 1, &ft->code, err, errlen) < 0 ||
      get_str(o, "message", p, NULL, 1, &ft->message, err, errlen) < 0 ||
      get_int(o, "times", p, -1, 1000000000L, &ft->times, err, errlen) < 0 ||
      get_int(o, "status", p, 400, 599, &ft->status, err, errlen) < 0 ||
      get_str(o, "transport", p, NULL, 1, &transport, err, errlen) < 0)
    goto fail;
  snprintf(q, sizeof q, "%s.action", p);
  if (!ft->action) { bad(err, errlen, q, "is required"); goto fail; }
  if (!sim_action_known(ft->action)) {
    bad(err, errlen, q, "unknown action %s", ft->action);
    goto fail;
  }
  snprintf(q, sizeof q, "%s.times", p);
  if (ft->times == 0) { bad(err, errlen, q, "must be >= 1, or -1 for forever"); goto fail; }
  if ((v = cJSON_GetObjectItemCaseSensitive(o, "apply"))) {
    snprintf(q, sizeof q, "%s.apply", p);
    if (!cJSON_IsBool(v)) { bad(err, errlen, q, "must be true or false"); goto fail; }
    ft->apply = cJSON_IsTrue(v);
  }
  if (ft->code) { ft->kind = SIM_FAULT_ERROR; nkinds++; }
  if (transport) {
    snprintf(q, sizeof q, "%s.transport", p);
    for (i = 0; i < 4 && strcmp(transport, kinds[i]) != 0; i++) {}
    if (i == 4) { bad(err, errlen, q, "must be one of reset, hang, malformed, html503"); goto fail; }
    ft->kind = SIM_FAULT_RESET + i;
    nkinds++;
  }
  for (i = 0; i < 4; i++) {
    if (!(v = cJSON_GetObjectItemCaseSensitive(o, kinds[i]))) continue;
    snprintf(q, sizeof q, "%s.%s", p, kinds[i]);
    if (!cJSON_IsTrue(v)) { bad(err, errlen, q, "must be true (or leave it out)"); goto fail; }
    ft->kind = SIM_FAULT_RESET + i;
    nkinds++;
  }
  if (nkinds != 1) {
    bad(err, errlen, p, "needs exactly one of error, transport, reset, hang, malformed, html503");
    goto fail;
  }
  if (ft->kind != SIM_FAULT_ERROR && (ft->status || ft->message)) {
    snprintf(q, sizeof q, "%s.%s", p, ft->status ? "status" : "message");
    bad(err, errlen, q, "only goes with error");
    goto fail;
  }
  free(transport);
  return 0;
fail:
  free(transport);
  return -1;
}

static int load_faults(sim_fleet *f, const cJSON *arr, char *err, size_t errlen) {
  const cJSON *o;
  size_t i = 0;
  char p[64];
  if (!arr) return 0;
  if (!cJSON_IsArray(arr)) return bad(err, errlen, "faults", "must be an array");
  if (!(f->faults = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *f->faults)))
    return bad(err, errlen, "faults", "out of memory");
  cJSON_ArrayForEach(o, arr) {
    snprintf(p, sizeof p, "faults[%zu]", i);
    f->nfaults = ++i;
    if (load_fault(&f->faults[i - 1], o, p, err, errlen) < 0) return -1;
  }
  return 0;
}

/* One role: {name, arn, account?, trusted?, duration_s?, metadata?,
 * oidc_provider_arn?, oidc_token?} (see iam.c). */
static int load_role(sim_fleet *f, sim_role *ro, const cJSON *o, const char *p, char *err,
                     size_t errlen) {
  static const char *const fields[] = {"name", "arn", "account", "trusted", "duration_s",
                                       "metadata", "oidc_provider_arn", "oidc_token", NULL};
  const cJSON *v;
  char *acct = NULL, q[128];
  size_t i;
  if (!cJSON_IsObject(o)) return bad(err, errlen, p, "must be an object");
  ro->duration_s = 3600;
  ro->trust_all = 1;
  if (only_fields(o, fields, p, err, errlen) < 0 ||
      get_str(o, "name", p, NULL, 1, &ro->name, err, errlen) < 0 ||
      get_str(o, "arn", p, NULL, 1, &ro->arn, err, errlen) < 0 ||
      get_str(o, "account", p, NULL, 1, &acct, err, errlen) < 0 ||
      get_str(o, "oidc_provider_arn", p, NULL, 1, &ro->oidc_provider_arn, err, errlen) < 0 ||
      get_str(o, "oidc_token", p, NULL, 1, &ro->oidc_token, err, errlen) < 0 ||
      get_int(o, "duration_s", p, 1, 43200, &ro->duration_s, err, errlen) < 0)
    goto fail;
  snprintf(q, sizeof q, "%s.name", p);
  if (!ro->name || strchr(ro->name, '/')) {
    bad(err, errlen, q, ro->name ? "must not contain '/'" : "is required");
    goto fail;
  }
  snprintf(q, sizeof q, "%s.arn", p);
  if (!ro->arn) { bad(err, errlen, q, "is required"); goto fail; }
  if (!ro->oidc_provider_arn != !ro->oidc_token) {
    snprintf(q, sizeof q, "%s.%s", p, ro->oidc_token ? "oidc_provider_arn" : "oidc_token");
    bad(err, errlen, q, "is required with %s", ro->oidc_token ? "oidc_token" : "oidc_provider_arn");
    goto fail;
  }
  if (acct) {
    for (i = 0; i < f->naccounts; i++)
      if (strcmp(f->accounts[i].access_key_id, acct) == 0) break;
    snprintf(q, sizeof q, "%s.account", p);
    if (i == f->naccounts) { bad(err, errlen, q, "no account has access_key_id %s", acct); goto fail; }
    ro->account = i;
  }
  if ((v = cJSON_GetObjectItemCaseSensitive(o, "metadata"))) {
    snprintf(q, sizeof q, "%s.metadata", p);
    if (!cJSON_IsBool(v)) { bad(err, errlen, q, "must be true or false"); goto fail; }
    ro->metadata = cJSON_IsTrue(v);
  }
  if ((v = cJSON_GetObjectItemCaseSensitive(o, "trusted"))) {
    const cJSON *t;
    snprintf(q, sizeof q, "%s.trusted", p);
    if (!cJSON_IsArray(v)) { bad(err, errlen, q, "must be an array of access key ids or role ARNs"); goto fail; }
    ro->trust_all = 0;
    if (!(ro->trusted = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof *ro->trusted))) {
      bad(err, errlen, q, "out of memory");
      goto fail;
    }
    cJSON_ArrayForEach(t, v) {
      if (!cJSON_IsString(t) || !*t->valuestring) {
        snprintf(q, sizeof q, "%s.trusted[%zu]", p, ro->ntrusted);
        bad(err, errlen, q, "must be a non-empty string");
        goto fail;
      }
      if (!(ro->trusted[ro->ntrusted++] = strdup(t->valuestring))) {
        bad(err, errlen, q, "out of memory");
        goto fail;
      }
    }
  }
  free(acct);
  return 0;
fail:
  free(acct);
  return -1;
}

/* roles: [...] (names and ARNs unique, at most one metadata role) and
 * metadata: {require_token?, token_api?}. */
static int load_roles(sim_fleet *f, const cJSON *arr, const cJSON *md, char *err,
                      size_t errlen) {
  static const char *const mdfields[] = {"require_token", "token_api", NULL};
  const cJSON *o;
  size_t i = 0, j, nmd = 0;
  char p[64];
  f->md_token_api = 1;
  if (md) {
    const cJSON *v;
    if (!cJSON_IsObject(md)) return bad(err, errlen, "metadata", "must be an object");
    if (only_fields(md, mdfields, "metadata", err, errlen) < 0) return -1;
    if ((v = cJSON_GetObjectItemCaseSensitive(md, "require_token"))) {
      if (!cJSON_IsBool(v)) return bad(err, errlen, "metadata.require_token", "must be true or false");
      f->md_require_token = cJSON_IsTrue(v);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(md, "token_api"))) {
      if (!cJSON_IsBool(v)) return bad(err, errlen, "metadata.token_api", "must be true or false");
      f->md_token_api = cJSON_IsTrue(v);
    }
    if (f->md_require_token && !f->md_token_api)
      return bad(err, errlen, "metadata.require_token", "cannot be true when token_api is false");
  }
  if (!arr) return 0;
  if (!cJSON_IsArray(arr)) return bad(err, errlen, "roles", "must be an array");
  if (!(f->roles = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *f->roles)))
    return bad(err, errlen, "roles", "out of memory");
  cJSON_ArrayForEach(o, arr) {
    sim_role *ro = &f->roles[i];
    snprintf(p, sizeof p, "roles[%zu]", i);
    f->nroles = ++i;
    if (load_role(f, ro, o, p, err, errlen) < 0) return -1;
    nmd += ro->metadata;
    if (nmd > 1) {
      strncat(p, ".metadata", sizeof p - strlen(p) - 1);
      return bad(err, errlen, p, "only one role can be the instance's metadata role");
    }
    for (j = 0; j + 1 < i; j++)
      if (strcmp(f->roles[j].name, ro->name) == 0 || strcmp(f->roles[j].arn, ro->arn) == 0) {
        strncat(p, strcmp(f->roles[j].name, ro->name) == 0 ? ".name" : ".arn",
                sizeof p - strlen(p) - 1);
        return bad(err, errlen, p, "duplicate (also roles[%zu])", j);
      }
  }
  return 0;
}

static int cmp_keys(const void *a, const void *b) {
  return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Refuses a key that appears twice in one object, at any depth (cJSON keeps
 * both and lookups see only the first, so a typo'd second copy would be
 * silently ignored). path names v ("" at the top). Sorting the members
 * keeps an object of many keys O(n log n). */
static int no_duplicates(const cJSON *v, const char *path, char *err, size_t errlen) {
  const cJSON *c;
  char p[200];
  size_t n = 0, i;
  if (cJSON_IsObject(v)) {
    const cJSON **m;
    for (c = v->child; c; c = c->next) n++;
    if (n > 1) {
      if (!(m = malloc(n * sizeof *m))) return bad(err, errlen, *path ? path : "(top level)", "out of memory");
      for (i = 0, c = v->child; c; c = c->next) m[i++] = c;
      qsort(m, n, sizeof *m, cmp_keys);
      for (i = 1; i < n && strcmp(m[i - 1]->string, m[i]->string) != 0; i++) {}
      if (i < n) {
        snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", m[i]->string);
        free(m);
        return bad(err, errlen, p, "duplicate key (each key may appear once)");
      }
      free(m);
    }
    for (c = v->child; c; c = c->next) {
      snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", c->string);
      if (no_duplicates(c, p, err, errlen) < 0) return -1;
    }
  } else if (cJSON_IsArray(v)) {
    for (i = 0, c = v->child; c; c = c->next, i++) {
      snprintf(p, sizeof p, "%s[%zu]", path, i);
      if (no_duplicates(c, p, err, errlen) < 0) return -1;
    }
  }
  return 0;
}

/* Parses the fleet text into f (zeroed first). On failure f is freed. */
int sim_fleet_load(sim_fleet *f, const char *json, size_t n, char *err, size_t errlen) {
  static const char *const fields[] = {"accounts", "latency_ms", "start_delay_ms", "throttle",
                                       "instances", "faults", "roles", "metadata", NULL};
  cJSON *root;
  int rc = -1;
  memset(f, 0, sizeof *f);
  f->start_delay_ms = 1000;
  if (n > ECS_SIM_FLEET_MAX_BYTES)
    return bad(err, errlen, "(top level)", "larger than %zu MiB (%zu bytes)",
               ECS_SIM_FLEET_MAX_BYTES >> 20, n);
  if (!(root = ecs_json_parse(json, n))) {
    const char *at = cJSON_GetErrorPtr();
    if (at && at >= json && at <= json + n)
      return bad(err, errlen, "(top level)", "not valid JSON (near byte %zu)", (size_t)(at - json));
    return bad(err, errlen, "(top level)", "not valid JSON");
  }
  if (!cJSON_IsObject(root)) {
    bad(err, errlen, "(top level)", "must be a JSON object");
    goto done;
  }
  if (no_duplicates(root, "", err, errlen) < 0 || only_fields(root, fields, "", err, errlen) < 0 ||
      load_accounts(f, cJSON_GetObjectItemCaseSensitive(root, "accounts"), err, errlen) < 0 ||
      get_int(root, "latency_ms", "", 0, 3600000, &f->latency_ms, err, errlen) < 0 ||
      get_int(root, "start_delay_ms", "", 0, 86400000, &f->start_delay_ms, err, errlen) < 0 ||
      load_throttle(f, cJSON_GetObjectItemCaseSensitive(root, "throttle"), err, errlen) < 0 ||
      load_instances(f, cJSON_GetObjectItemCaseSensitive(root, "instances"), err, errlen) < 0 ||
      load_faults(f, cJSON_GetObjectItemCaseSensitive(root, "faults"), err, errlen) < 0 ||
      (index_faults(f) < 0 && bad(err, errlen, "faults", "out of memory") < 0) ||
      load_roles(f, cJSON_GetObjectItemCaseSensitive(root, "roles"),
                 cJSON_GetObjectItemCaseSensitive(root, "metadata"), err, errlen) < 0)
    goto done;
  rc = 0;
done:
  cJSON_Delete(root);
  if (rc < 0) sim_fleet_free(f);
  return rc;
}
