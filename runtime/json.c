/* json.c - cJSON helpers (see json.h). */
#include "json.h"

int ecs_json_check(const char *s, size_t n, int max_depth, size_t max_values, const char **why) {
  size_t i, values = 1; /* every value but the first follows '[', '{' or ',' */
  int depth = 0, in_str = 0;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (in_str) {
      if (c == '\\') i++;
      else if (c == '"') in_str = 0;
      continue;
    }
    switch (c) {
      case '"': in_str = 1; break;
      case '[':
      case '{':
        if (++depth > max_depth) {
          *why = "nested too deep";
          return -1;
        }
        /* fallthrough */
      case ',':
        if (++values > max_values) {
          *why = "too many values";
          return -1;
        }
        break;
      case ']':
      case '}':
        if (depth > 0) depth--;
        break;
      default: break;
    }
  }
  return 0;
}

size_t ecs_json_max_values(size_t cap) {
  size_t v = cap / ECS_JSON_BYTES_PER_VALUE;
  return v < ECS_JSON_MIN_VALUES ? ECS_JSON_MIN_VALUES : v;
}

cJSON *ecs_json_parse_capped(const char *s, size_t n, size_t cap, const char **why) {
  *why = NULL;
  if (!s) return NULL;
  if (ecs_json_check(s, n, ECS_JSON_MAX_DEPTH, ecs_json_max_values(cap), why) < 0) return NULL;
  return cJSON_ParseWithLength(s, n);
}

cJSON *ecs_json_parse(const char *s, size_t n) {
  const char *why;
  return ecs_json_parse_capped(s, n, n > ECS_JSON_DEFAULT_CAP ? n : ECS_JSON_DEFAULT_CAP, &why);
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
