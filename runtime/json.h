/* json.h - small cJSON helpers shared by the client and the simulator. */
#ifndef ECS_JSON_H
#define ECS_JSON_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Limits on what is decoded, so that the memory a document costs is bounded
 * by its size cap and not by its shape: 8 MiB of "[]," is 2.8 million nodes
 * (some 450 MB once turned into Lua tables). */
#define ECS_JSON_MAX_DEPTH 64       /* nesting of arrays and objects */
#define ECS_JSON_BYTES_PER_VALUE 32 /* values allowed: (size cap) / this */
#define ECS_JSON_MIN_VALUES 4096    /* ... but never fewer than this */

/* Scans n bytes without building anything: 0 when arrays/objects nest at
 * most max_depth deep and the text holds at most max_values values; else -1
 * with *why (static text) saying which limit was hit. Malformed text is
 * left for the parser to refuse. */
int ecs_json_check(const char *s, size_t n, int max_depth, size_t max_values, const char **why);
/* The value limit for documents capped at cap bytes (see above). */
size_t ecs_json_max_values(size_t cap);

#define ECS_JSON_DEFAULT_CAP ((size_t)8 << 20)

/* Parses exactly n bytes (need not be NUL-terminated) of a document whose
 * size is capped at cap bytes. NULL on bad JSON (*why = NULL) or when
 * ecs_json_check refuses it (ECS_JSON_MAX_DEPTH, ecs_json_max_values(cap);
 * *why says which). */
cJSON *ecs_json_parse_capped(const char *s, size_t n, size_t cap, const char **why);
/* ecs_json_parse_capped with a cap of max(n, ECS_JSON_DEFAULT_CAP). */
cJSON *ecs_json_parse(const char *s, size_t n);
/* String member of obj, or NULL when absent or not a string. */
const char *ecs_json_str(const cJSON *obj, const char *key);
/* Number member, or dflt. */
double ecs_json_num(const cJSON *obj, const char *key, double dflt);
/* Unformatted serialisation; caller frees with free(). */
char *ecs_json_print(const cJSON *v);

#endif
