/* bss.c - the simulator's BssOpenApi (2017-12-14) actions. A request reaches
 * them through the same listener, signature verification, throttling and
 * faults as ECS; what selects BSS is the Version the request was signed
 * with (x-acs-version or Version), as on the real gateway where a product
 * is one API version: a BSS action with the ECS version (or the reverse) is
 * an unknown API (InvalidApi.NotFound 404).
 *
 * QueryAccountBalance answers from the caller's fleet account: balance (the
 * same figure ReActivateInstances checks against min_balance) and currency
 * (default CNY), amounts as strings with two decimals, as the API does.
 */
#include <stdio.h>
#include <string.h>

#include "sim_internal.h"

#define BSS_VERSION "2017-12-14"

/* Adds name: value to o; 0 or -1. */
static int add_str(cJSON *o, const char *name, const char *value) {
  return cJSON_AddStringToObject(o, name, value) ? 0 : -1;
}

/* amount with two decimals, as the API's strings ("1000.00"). */
static void money(double v, char *out, size_t n) {
  if (v > -0.005 && v < 0.005) v = 0; /* no "-0.00" */
  snprintf(out, n, "%.2f", v);
}

static int act_query_balance(ecs_sim *s, sim_req *req, sim_resp *r, int commit) {
  const sim_account *a = &s->f.accounts[req->account];
  cJSON *data;
  char amount[64];
  (void)commit;
  money(a->balance, amount, sizeof amount);
  if (!(r->body = cJSON_CreateObject()) || add_str(r->body, "Code", "200") < 0 ||
      add_str(r->body, "Message", "success") < 0 ||
      !cJSON_AddBoolToObject(r->body, "Success", 1) ||
      !(data = cJSON_AddObjectToObject(r->body, "Data")) ||
      add_str(data, "AvailableAmount", amount) < 0 ||
      add_str(data, "AvailableCashAmount", amount) < 0 ||
      add_str(data, "CreditAmount", "0.00") < 0 ||
      add_str(data, "MybankCreditAmount", "0.00") < 0 ||
      add_str(data, "Currency", a->currency ? a->currency : "CNY") < 0)
    return sim_oom(r);
  return 0;
}

int sim_bss_version(const char *version) {
  return version && strcmp(version, BSS_VERSION) == 0;
}

sim_action_fn sim_bss_action(const char *action) {
  if (action && strcmp(action, "QueryAccountBalance") == 0) return act_query_balance;
  return NULL;
}
