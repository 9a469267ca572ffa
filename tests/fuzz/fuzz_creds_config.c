/* fuzz_creds_config.c - libFuzzer target for the aliyun CLI config parser
 * (~/.aliyun/config.json: ecs_creds_cli_load, ecs_creds_cli_region in
 * runtime/creds_files.c) and the metadata/URI credentials document parser
 * (ecs_creds_from_json_doc in runtime/creds_net.c).
 *
 * The input is the file / document. Nothing is fetched: loading a profile
 * only builds the credential source. Invariants: the file exists, so the
 * answer is 0 (with a source) or -1 (with a reason); a reason never holds a
 * secret the input gave (access_key_secret, sts_token, AccessKeySecret,
 * SecurityToken) that looks like a key (12+ bytes, mixed case and digits,
 * no blank) unless that text also appears as something else.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "creds_internal.h"
#include "fuzz_util.h"

static int is_secret_key(const char *k) {
  return k && (strcmp(k, "access_key_secret") == 0 || strcmp(k, "sts_token") == 0 ||
               strcmp(k, "AccessKeySecret") == 0 || strcmp(k, "SecurityToken") == 0);
}

/* Appends every string and key of v, secrets to sec, the rest to pub. */
static void collect(const cJSON *v, ecs_params *sec, ecs_params *pub) {
  const cJSON *c;
  if (cJSON_IsString(v))
    ecs_params_add(is_secret_key(v->string) ? sec : pub, "", v->valuestring);
  if (v->string) ecs_params_add(pub, "", v->string);
  for (c = v->child; c; c = c->next) collect(c, sec, pub);
}

/* 1 when s looks like a key, not like words of a message: 12+ bytes, no
 * blank, upper and lower case letters and digits. */
static int secret_like(const char *s) {
  int up = 0, lo = 0, dg = 0;
  if (strlen(s) < 12 || strchr(s, ' ')) return 0;
  for (; *s; s++) {
    up |= *s >= 'A' && *s <= 'Z';
    lo |= *s >= 'a' && *s <= 'z';
    dg |= *s >= '0' && *s <= '9';
  }
  return up && lo && dg;
}

/* Fails when why shows a secret that is nothing else in the input. */
static void check_why(const char *why, const uint8_t *d, size_t n) {
  cJSON *j = cJSON_ParseWithLength((const char *)d, n);
  ecs_params sec, pub;
  size_t i, k;
  if (!j) return;
  ecs_params_init(&sec);
  ecs_params_init(&pub);
  collect(j, &sec, &pub);
  for (i = 0; i < sec.n; i++) {
    const char *s = sec.v[i].value;
    int elsewhere = !secret_like(s);
    for (k = 0; !elsewhere && k < pub.n; k++) elsewhere = strstr(pub.v[k].value, s) != NULL;
    FZ_ASSERT(elsewhere || !strstr(why, s), "secret %s in reason: %s", s, why);
  }
  ecs_params_free(&sec);
  ecs_params_free(&pub);
  cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const profiles[] = {NULL, "default", "prod"};
  const char *path = fz_file(data, size);
  ecs_buf why;
  ecs_creds c;
  size_t i;
  int rc;
  ecs_buf_init(&why);
  for (i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
    ecs_src *src = (ecs_src *)1;
    char *region = (char *)1;
    ecs_buf_reset(&why);
    rc = ecs_creds_cli_load(path, profiles[i], &src, &region, &why);
    /* 2: no such profile (why names it), as -1 a failure with a reason */
    FZ_ASSERT(rc == 0 || rc == -1 || rc == 2, "rc %d", rc);
    FZ_ASSERT((rc == 0) == (src != NULL), "rc %d with source %p", rc, (void *)src);
    if (rc < 0 || rc == 2) {
      FZ_ASSERT(why.len > 0, "failure without a reason");
      FZ_ASSERT(region == NULL, "region on failure");
      check_why(ecs_buf_cstr(&why), data, size);
    }
    ecs_creds_src_free(src);
    free(region);
    free(ecs_creds_cli_region(path, profiles[i]));
  }
  for (i = 0; i < 2; i++) {
    ecs_creds_init(&c);
    ecs_buf_reset(&why);
    rc = ecs_creds_from_json_doc((const char *)data, size, (int)i, "fuzz", &c, &why);
    FZ_ASSERT(rc == 0 || rc == -1, "rc %d", rc);
    if (rc == 0) {
      FZ_ASSERT(c.access_key_id && *c.access_key_id && c.access_key_secret &&
                    *c.access_key_secret, "success without a key pair");
      FZ_ASSERT(!i || (c.security_token && *c.security_token), "token required");
    } else {
      FZ_ASSERT(why.len > 0, "failure without a reason");
      check_why(ecs_buf_cstr(&why), data, size);
    }
    ecs_creds_free(&c);
  }
  ecs_buf_free(&why);
  return 0;
}
