/* fuzz_fleet.c - libFuzzer target for the fleet file parser
 * (ecs_sim_check_fleet / sim_fleet_load in runtime/sim/fleet.c).
 *
 * The input is a fleet file. Invariants: the answer is 0 or -1; on -1 the
 * message is one NUL-terminated line starting "fleet: " that names a field
 * (it has ": " after the path); a short error buffer is never overrun; a
 * fleet that loads renders a /_sim/state that parses back, lists every
 * account and instance, and shows no account field but the public ones.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "sim.h"
#include "sim_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *json = (const char *)data;
  char err[512], tiny[8];
  int rc = ecs_sim_check_fleet(json, size, err, sizeof err);
  FZ_ASSERT(rc == 0 || rc == -1, "rc %d", rc);
  if (rc < 0) {
    FZ_ASSERT(memchr(err, '\0', sizeof err) != NULL, "unterminated message");
    FZ_ASSERT(strncmp(err, "fleet: ", 7) == 0, "message without prefix: %s", err);
    FZ_ASSERT(strstr(err + 7, ": ") != NULL, "message names no field: %s", err);
    FZ_ASSERT(!strpbrk(err, "\n"), "message is not one line: %s", err);
  }
  memset(tiny, 'x', sizeof tiny);
  FZ_ASSERT(ecs_sim_check_fleet(json, size, tiny, sizeof tiny) == rc, "answer depends on errlen");
  FZ_ASSERT(rc == 0 || memchr(tiny, '\0', sizeof tiny), "short buffer unterminated");
  FZ_ASSERT(ecs_sim_check_fleet(json, size, NULL, 0) == rc, "answer depends on err");
  if (rc == 0) {
    ecs_sim *s = sim_offline_new(json, size, err, sizeof err);
    char *doc;
    FZ_ASSERT(s != NULL, "checked fleet does not load: %s", err);
    doc = sim_state_json(s);
    if (doc) {
      cJSON *j = cJSON_Parse(doc), *acc, *a, *k;
      FZ_ASSERT(j != NULL, "state is not JSON");
      acc = cJSON_GetObjectItemCaseSensitive(j, "accounts");
      FZ_ASSERT(cJSON_GetArraySize(acc) == (int)s->f.naccounts, "accounts missing in state");
      cJSON_ArrayForEach(a, acc) cJSON_ArrayForEach(k, a) {
        FZ_ASSERT(strcmp(k->string, "access_key_id") == 0 || strcmp(k->string, "balance") == 0 ||
                      strcmp(k->string, "min_balance") == 0 || strcmp(k->string, "sts") == 0 ||
                      strcmp(k->string, "expiration") == 0 || strcmp(k->string, "currency") == 0 ||
                      strcmp(k->string, "keys") == 0,
                  "account field %s in /_sim/state", k->string);
        if (strcmp(k->string, "keys") == 0) { /* ids only, never a secret */
          cJSON *e;
          cJSON_ArrayForEach(e, k) FZ_ASSERT(cJSON_IsString(e), "keys lists more than ids");
        }
      }
      FZ_ASSERT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "instances")) ==
                    (int)s->f.ninstances, "instances missing in state");
      cJSON_Delete(j);
      free(doc);
    }
    sim_offline_free(s);
  }
  return 0;
}
