/* test_creds.c - static credentials and the environment provider. Each case
 * clears every variable the provider reads, then sets what it needs.
 */
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "testlib.h"

static const char *const ALL_VARS[] = {
  "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABACLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY_ID",
  "ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABACLOUD_ACCESS_KEY_SECRET",
  "ALICLOUD_ACCESS_KEY_SECRET", "ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
  "ALIBABACLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN", "SECURITY_TOKEN", NULL};

static void clear_env(void) {
  int i;
  for (i = 0; ALL_VARS[i]; i++) unsetenv(ALL_VARS[i]);
}

static void env_with_key_pair_gives_env_credentials(void) {
  ecs_creds c;
  ecs_error err;
  ecs_creds_init(&c);
  ecs_error_init(&err);
  clear_env();
  setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "envid", 1);
  setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "envsecret", 1);
  CHECK_INT(ecs_creds_from_env(&c, &err), 0);
  CHECK_STR(c.access_key_id, "envid");
  CHECK_STR(c.access_key_secret, "envsecret");
  CHECK(c.security_token == NULL);
  CHECK_STR(c.provider, "env");
  ecs_creds_free(&c);
  setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "envtoken", 1);
  CHECK_INT(ecs_creds_default(&c, &err), 0);
  CHECK_STR(c.security_token, "envtoken");
  CHECK_STR(c.provider, "env");
  ecs_creds_free(&c);
  CHECK(c.access_key_id == NULL && c.access_key_secret == NULL);
  clear_env();
}

static void env_aliases_of_the_aliyun_cli_are_honoured_in_order(void) {
  ecs_creds c;
  ecs_error err;
  ecs_creds_init(&c);
  ecs_error_init(&err);
  clear_env();
  setenv("ALICLOUD_ACCESS_KEY_ID", "cliid", 1);
  setenv("ALICLOUD_ACCESS_KEY_SECRET", "clisecret", 1);
  setenv("ALICLOUD_SECURITY_TOKEN", "clitoken", 1);
  CHECK_INT(ecs_creds_from_env(&c, &err), 0);
  CHECK_STR(c.access_key_id, "cliid");
  CHECK_STR(c.security_token, "clitoken");
  ecs_creds_free(&c);
  setenv("ALIBABACLOUD_ACCESS_KEY_ID", "abcid", 1); /* earlier in the list */
  CHECK_INT(ecs_creds_from_env(&c, &err), 0);
  CHECK_STR(c.access_key_id, "abcid");
  CHECK_STR(c.access_key_secret, "clisecret");
  ecs_creds_free(&c);
  clear_env();
}

static void absent_env_returns_one_and_default_fails_with_ecreds(void) {
  ecs_creds c;
  ecs_error err;
  ecs_creds_init(&c);
  ecs_error_init(&err);
  clear_env();
  setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "", 1); /* empty counts as absent */
  CHECK_INT(ecs_creds_from_env(&c, &err), 1);
  CHECK(err.code == NULL);
  CHECK_INT(ecs_creds_default(&c, &err), -1);
  CHECK_STR(err.code, "ECREDS");
  CHECK_INT(err.kind, ECS_KIND_CREDENTIALS);
  CHECK(strstr(err.message, "ALIBABA_CLOUD_ACCESS_KEY_ID") != NULL);
  CHECK(strstr(err.message, "ALIBABA_CLOUD_ACCESS_KEY_SECRET") != NULL);
  CHECK(c.access_key_id == NULL);
  ecs_error_free(&err);
  clear_env();
}

static void half_set_env_is_ecreds_without_the_value(void) {
  ecs_creds c;
  ecs_error err;
  ecs_creds_init(&c);
  ecs_error_init(&err);
  clear_env();
  setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "TOPSECRETVALUE", 1);
  CHECK_INT(ecs_creds_from_env(&c, &err), -1);
  CHECK_STR(err.code, "ECREDS");
  CHECK(strstr(err.message, "ALIBABA_CLOUD_ACCESS_KEY_SECRET") != NULL);
  CHECK(strstr(err.message, "TOPSECRETVALUE") == NULL);
  CHECK(c.access_key_id == NULL);
  CHECK_INT(ecs_creds_default(&c, &err), -1);
  CHECK_STR(err.code, "ECREDS");
  clear_env();
  setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "onlyid", 1);
  CHECK_INT(ecs_creds_from_env(&c, &err), -1);
  CHECK_STR(err.code, "ECREDS");
  CHECK(strstr(err.message, "ALIBABA_CLOUD_ACCESS_KEY_ID") != NULL);
  ecs_error_free(&err);
  clear_env();
}

static void set_copy_and_free_handle_static_credentials(void) {
  ecs_creds a, b;
  ecs_creds_init(&a);
  CHECK_INT(ecs_creds_set(&a, "id", "secret", NULL, NULL), 0);
  CHECK_STR(a.provider, "static_ak");
  CHECK(a.security_token == NULL);
  CHECK_INT(ecs_creds_set(&a, "sid", "ssecret", "tok", NULL), 0);
  CHECK_STR(a.provider, "static_sts");
  CHECK_STR(a.access_key_id, "sid");
  a.expiration = 1234.5;
  CHECK_INT(ecs_creds_copy(&b, &a), 0);
  CHECK_STR(b.access_key_secret, "ssecret");
  CHECK_STR(b.security_token, "tok");
  CHECK(b.expiration == 1234.5);
  CHECK(b.access_key_secret != a.access_key_secret);
  CHECK_INT(ecs_creds_set(&b, "x", NULL, NULL, NULL), -1); /* left unchanged */
  CHECK_STR(b.access_key_id, "sid");
  CHECK_INT(ecs_creds_set(&b, "x", "y", "", "custom"), 0);
  CHECK(b.security_token == NULL);
  CHECK_STR(b.provider, "custom");
  ecs_creds_free(&a);
  ecs_creds_free(&b);
  ecs_creds_free(&b); /* idempotent */
}

static const ecs_test_case cases[] = {
  {"env_with_key_pair_gives_env_credentials", env_with_key_pair_gives_env_credentials},
  {"env_aliases_of_the_aliyun_cli_are_honoured_in_order",
   env_aliases_of_the_aliyun_cli_are_honoured_in_order},
  {"absent_env_returns_one_and_default_fails_with_ecreds",
   absent_env_returns_one_and_default_fails_with_ecreds},
  {"half_set_env_is_ecreds_without_the_value", half_set_env_is_ecreds_without_the_value},
  {"set_copy_and_free_handle_static_credentials", set_copy_and_free_handle_static_credentials},
  {NULL, NULL}};

int main(int argc, char **argv) { return ecs_test_main(argc, argv, cases); }
