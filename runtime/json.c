/* json.c - cJSON helpers (see json.h). */
#include "json.h"

cJSON *ecs_json_parse(const char *s, size_t n) {
  if (!s) return NULL;
  return cJSON_ParseWithLength(s, n);
}

const char *ecs_json_str(const cJSON *obj, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

double ecs_json_num(const cJSON *obj, const char *key, double dflt) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

char *ecs_json_print(const cJSON *v) { return cJSON_PrintUnformatted(v); }
