/* json.h - small cJSON helpers shared by the client and the simulator. */
#ifndef ECS_JSON_H
#define ECS_JSON_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Parses exactly n bytes (need not be NUL-terminated). NULL on bad JSON. */
cJSON *ecs_json_parse(const char *s, size_t n);
/* String member of obj, or NULL when absent or not a string. */
const char *ecs_json_str(const cJSON *obj, const char *key);
/* Number member, or dflt. */
double ecs_json_num(const cJSON *obj, const char *key, double dflt);
/* Unformatted serialisation; caller frees with free(). */
char *ecs_json_print(const cJSON *v);

#endif
