/* test_creds.c - static credentials, the environment provider, the file
 * parsers (config.json, INI), the External process, and the network
 * providers (STS, metadata, URI) against an in-process ecs-sim. Each case
 * clears every variable the chain reads, then sets what it needs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "creds.h"
#include "creds_internal.h"
#include "sim_internal.h"
#include "test_sim_util.h"
#include "testlib.h"

static const char *const ALL_VARS[] = {
  "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABACLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY_ID",
  "ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABACLOUD_ACCESS_KEY_SECRET",
  "ALICLOUD_ACCESS_KEY_SECRET", "ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
  "ALIBABACLOUD_SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN", "SECURITY_TOKEN", NULL};

static const char *const CHAIN_VARS[] = {
  "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
  "ALIBABACLOUD_ROLE_ARN", "ALIBABACLOUD_OIDC_PROVIDER_ARN", "ALIBABACLOUD_OIDC_TOKEN_FILE",
  "ALIBABA_CLOUD_PROFILE", "ALIBABACLOUD_PROFILE", "ALICLOUD_PROFILE",
  "ALIBABA_CLOUD_CREDENTIALS_FILE", "ALIBABA_CLOUD_IGNORE_PROFILE",
  "ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "ALIBABA_CLOUD_ECS_METADATA",
  "ALIBABA_CLOUD_ECS_METADATA_DISABLED", "ALIBABA_CLOUD_IMDSV1_DISABLED",
  "ALIBABA_CLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_STS_ENDPOINT", "ALIBABA_CLOUD_STS_REGION",
  "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "ALIBABA_CLOUD_ROLE_SESSION_NAME",
  "ECSRUN_METADATA_ENDPOINT", "ECSRUN_CREDENTIALS_PROCESS_TIMEOUT",
  "ALIBABA_CLOUD_DISABLE_EXTERNAL_PROCESS", NULL};

/* A private temporary HOME for the chain (no real files are read). */
static char g_home[256];

static void clear_env(void) {
  int i;
  for (i = 0; ALL_VARS[i]; i++) unsetenv(ALL_VARS[i]);
  for (i = 0; CHAIN_VARS[i]; i++) unsetenv(CHAIN_VARS[i]);
  if (!g_home[0]) {
    snprintf(g_home, sizeof g_home, "/tmp/ecs_test_creds_XXXXXX");
    if (!mkdtemp(g_home)) abort();
  }
  setenv("HOME", g_home, 1);
  setenv("ECSRUN_METADATA_ENDPOINT", "http://127.0.0.1:1", 1); /* refuses at once */
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
  CHECK_STR(c.provider, "default/env"); /* the SDK's name from the default chain */
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

/* ---- helpers for the provider cases ---- */

static const char ROLES_FLEET[] =
    "{\"accounts\":[{\"access_key_id\":\"sim-ak\",\"access_key_secret\":\"sim-secret\"},"
    "{\"access_key_id\":\"ram-user\",\"access_key_secret\":\"ram-user-secret\"}],"
    "\"roles\":[{\"name\":\"EcsRole\",\"arn\":\"acs:ram::1:role/ecs\",\"metadata\":true},"
    "{\"name\":\"Op\",\"arn\":\"acs:ram::1:role/op\",\"trusted\":[\"ram-user\"],\"duration_s\":4}],"
    "\"instances\":[{\"InstanceId\":\"i-1\",\"RegionId\":\"cn-hangzhou\",\"Status\":\"Stopped\","
    "\"LockReasons\":[\"financial\"]},{\"InstanceId\":\"i-2\",\"RegionId\":\"cn-hangzhou\","
    "\"Status\":\"Stopped\",\"LockReasons\":[\"financial\"]}]}";

/* Writes text to $HOME/rel (directories made), mode 0600. Returns the path
 * in a static buffer. */
static const char *put_file(const char *rel, const char *text) {
  static char path[512];
  char dir[512], *slash;
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", g_home, rel);
  snprintf(dir, sizeof dir, "%s", path);
  if ((slash = strrchr(dir, '/'))) {
    *slash = '\0';
    mkdir(dir, 0700);
  }
  f = fopen(path, "w");
  if (!f) abort();
  fputs(text, f);
  fclose(f);
  chmod(path, 0600);
  return path;
}

static void drop_files(void) {
  char p[512];
  snprintf(p, sizeof p, "%s/.aliyun/config.json", g_home);
  unlink(p);
  snprintf(p, sizeof p, "%s/.alibabacloud/credentials", g_home);
  unlink(p);
}

/* Loads profile of config.json text; returns the source or NULL (why). */
static ecs_src *cli_load(const char *json, const char *profile, char **region, ecs_buf *why) {
  ecs_src *s = NULL;
  const char *path = put_file(".aliyun/config.json", json);
  *region = NULL;
  ecs_buf_reset(why);
  if (ecs_creds_cli_load(path, profile, &s, region, why) != 0) return NULL;
  return s;
}

/* A credentials file others can read gets one warning per process, however
 * often it is read (a refresh re-reads it), and a private one gets none. */
static void readable_credentials_file_is_warned_about_once(void) {
  char out[512], pub[512];
  int saved = dup(2), fd;
  FILE *f;
  size_t n;
  char text[4096];
  snprintf(out, sizeof out, "%s/stderr.txt", g_home);
  snprintf(pub, sizeof pub, "%s/readable-credentials", g_home);
  f = fopen(pub, "w");
  CHECK(f != NULL);
  if (!f) return;
  fputs("[default]\n", f);
  fclose(f);
  chmod(pub, 0644);
  fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  CHECK(fd >= 0);
  fflush(stderr);
  dup2(fd, 2);
  ecs_creds_check_mode(pub);
  ecs_creds_check_mode(pub);
  ecs_creds_check_mode(put_file(".alibabacloud/credentials", "[default]\n")); /* 0600 */
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  f = fopen(out, "r");
  n = f ? fread(text, 1, sizeof text - 1, f) : 0;
  if (f) fclose(f);
  text[n] = '\0';
  CHECK(strstr(text, "readable by group or others") != NULL);
  {
    const char *first = strstr(text, "warning:");
    CHECK(first && !strstr(first + 1, "warning:")); /* exactly one */
  }
  unlink(pub);
  unlink(out);
}

static void expiration_times_parse_in_the_sdk_formats_only(void) {
  CHECK(ecs_creds_parse_time("2017-11-01T05:20:01Z") == 1509513601.0);
  CHECK(ecs_creds_parse_time("2017-11-01T05:20:01.500Z") == 1509513601.5);
  CHECK(ecs_creds_parse_time("2017-11-01 05:20:01Z") < 0);
  CHECK(ecs_creds_parse_time("2017-11-01T05:20Z") < 0);
  CHECK(ecs_creds_parse_time("2017-13-01T05:20:01Z") < 0);
  CHECK(ecs_creds_parse_time("") < 0);
}

static void sts_endpoint_follows_region_env_and_override(void) {
  char *e;
  clear_env();
  CHECK_STR(e = ecs_creds_sts_endpoint(NULL, NULL), "https://sts.aliyuncs.com");
  free(e);
  CHECK_STR(e = ecs_creds_sts_endpoint(NULL, "cn-beijing"), "https://sts.cn-beijing.aliyuncs.com");
  free(e);
  setenv("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", "true", 1);
  CHECK_STR(e = ecs_creds_sts_endpoint(NULL, "cn-beijing"), "https://sts-vpc.cn-beijing.aliyuncs.com");
  free(e);
  CHECK_STR(e = ecs_creds_sts_endpoint("sts.example.com", "cn-beijing"), "https://sts.example.com");
  free(e);
  setenv("ALIBABA_CLOUD_STS_ENDPOINT", "http://127.0.0.1:9/", 1);
  CHECK_STR(e = ecs_creds_sts_endpoint("sts.example.com", NULL), "http://127.0.0.1:9");
  free(e);
  clear_env();
}

static void cli_config_modes_build_their_providers(void) {
  static const struct { const char *profile; const char *name; int kind; } want[] = {
    {"ak", "cli_profile/static_ak", SRC_STATIC},
    {"auto", "cli_profile/static_ak", SRC_STATIC},
    {"sts", "cli_profile/static_sts", SRC_STATIC},
    {"role", "cli_profile/ram_role_arn/static_ak", SRC_ROLE_ARN},
    {"chain", "cli_profile/ram_role_arn/ram_role_arn/static_ak", SRC_ROLE_ARN},
    {"ecs", "cli_profile/ecs_ram_role", SRC_ECS_ROLE},
    {"uri", "cli_profile/credential_uri", SRC_URI},
    {"ext", "cli_profile/external", SRC_EXTERNAL},
    {"oidc", "cli_profile/oidc_role_arn", SRC_OIDC},
  };
  const char *cfg =
      "{\"current\":\"ak\",\"profiles\":["
      "{\"name\":\"ak\",\"mode\":\"AK\",\"access_key_id\":\"a\",\"access_key_secret\":\"s\",\"region_id\":\"cn-shanghai\"},"
      "{\"name\":\"auto\",\"access_key_id\":\"a\",\"access_key_secret\":\"s\"},"
      "{\"name\":\"sts\",\"mode\":\"StsToken\",\"access_key_id\":\"a\",\"access_key_secret\":\"s\",\"sts_token\":\"t\"},"
      "{\"name\":\"role\",\"mode\":\"RamRoleArn\",\"access_key_id\":\"a\",\"access_key_secret\":\"s\","
      "\"ram_role_arn\":\"acs:ram::1:role/r\",\"ram_session_name\":\"sess\",\"expired_seconds\":1200,\"sts_region\":\"cn-beijing\"},"
      "{\"name\":\"chain\",\"mode\":\"ChainableRamRoleArn\",\"ram_role_arn\":\"acs:ram::1:role/c\",\"source_profile\":\"role\"},"
      "{\"name\":\"ecs\",\"mode\":\"EcsRamRole\",\"ram_role_name\":\"R\"},"
      "{\"name\":\"uri\",\"mode\":\"CredentialsURI\",\"credentials_uri\":\"http://127.0.0.1:1/c\"},"
      "{\"name\":\"ext\",\"mode\":\"External\",\"process_command\":\"/bin/echo {}\"},"
      "{\"name\":\"oidc\",\"mode\":\"OIDC\",\"ram_role_arn\":\"acs:ram::1:role/o\",\"oidc_provider_arn\":\"p\",\"oidc_token_file\":\"/f\"}]}";
  ecs_buf why;
  char *region;
  size_t i;
  ecs_src *s;
  clear_env();
  ecs_buf_init(&why);
  for (i = 0; i < sizeof want / sizeof want[0]; i++) {
    s = cli_load(cfg, want[i].profile, &region, &why);
    CHECK(s != NULL);
    if (!s) continue;
    CHECK_STR(s->name, want[i].name);
    CHECK_INT(s->kind, want[i].kind);
    if (strcmp(want[i].profile, "role") == 0) {
      CHECK_STR(s->role_arn, "acs:ram::1:role/r");
      CHECK_STR(s->session, "sess");
      CHECK_INT(s->duration, 1200);
      CHECK_STR(s->sts_endpoint, "https://sts.cn-beijing.aliyuncs.com");
      CHECK_STR(s->source->fixed.access_key_id, "a");
    }
    if (strcmp(want[i].profile, "ecs") == 0) CHECK_STR(s->role_name, "R");
    ecs_creds_src_free(s);
    free(region);
  }
  s = cli_load(cfg, NULL, &region, &why); /* current */
  CHECK(s && strcmp(s->name, "cli_profile/static_ak") == 0);
  CHECK_STR(region, "cn-shanghai");
  ecs_creds_src_free(s);
  free(region);
  region = ecs_creds_cli_region(put_file(".aliyun/config.json", cfg), NULL);
  CHECK_STR(region, "cn-shanghai");
  free(region);
  setenv("ALIBABA_CLOUD_PROFILE", "sts", 1); /* the chain's profile comes from here */
  CHECK(ecs_creds_cli_region(put_file(".aliyun/config.json", cfg), NULL) == NULL);
  ecs_buf_free(&why);
  drop_files();
  clear_env();
}

static void cli_config_failures_name_the_profile_and_mode(void) {
  ecs_buf why;
  char *region;
  ecs_src *s;
  ecs_src *out = NULL;
  clear_env();
  ecs_buf_init(&why);
  s = cli_load("{\"profiles\":[{\"name\":\"default\",\"mode\":\"RsaKeyPair\"}]}", NULL, &region, &why);
  CHECK(s == NULL);
  CHECK(strstr(ecs_buf_cstr(&why), "mode \"RsaKeyPair\" is not supported") != NULL);
  s = cli_load("{\"profiles\":[]}", "nope", &region, &why);
  CHECK(s == NULL);
  CHECK(strstr(ecs_buf_cstr(&why), "profile \"nope\" not found") != NULL);
  s = cli_load("{\"profiles\":[{\"name\":\"c\",\"mode\":\"ChainableRamRoleArn\",\"ram_role_arn\":\"x\","
               "\"source_profile\":\"c\"}]}", "c", &region, &why);
  CHECK(s == NULL);
  CHECK(strstr(ecs_buf_cstr(&why), "chain too long") != NULL);
  s = cli_load("{\"profiles\":[{\"name\":\"a\",\"mode\":\"AK\",\"access_key_id\":\"x\"}]}", "a", &region, &why);
  CHECK(s == NULL);
  CHECK(strstr(ecs_buf_cstr(&why), "lacks access_key_id, access_key_secret") != NULL);
  s = cli_load("not json", NULL, &region, &why);
  CHECK(s == NULL);
  CHECK(strstr(ecs_buf_cstr(&why), "not a valid JSON object") != NULL);
  drop_files();
  ecs_buf_reset(&why);
  CHECK_INT(ecs_creds_cli_load("/nonexistent/config.json", NULL, &out, &region, &why), 1);
  ecs_buf_free(&why);
  clear_env();
}

static void ini_types_build_their_providers_and_reject_others(void) {
  const char *ini = "; comment\n[default]\ntype = access_key\naccess_key_id = foo\n"
                    "access_key_secret = bar\n\n[ecs]\ntype = ecs_ram_role\nrole_name = R\n\n"
                    "[role]\ntype = ram_role_arn\naccess_key_id = a\naccess_key_secret = b\n"
                    "role_arn = acs:ram::1:role/x\nrole_session_name = s\npolicy = {}\n\n"
                    "[bad]\ntype = bearer\n";
  const char *path;
  ecs_src *s = NULL;
  ecs_buf why;
  clear_env();
  ecs_buf_init(&why);
  path = put_file(".alibabacloud/credentials", ini);
  CHECK_INT(ecs_creds_ini_load(path, NULL, &s, &why), 0);
  CHECK(s && strcmp(s->name, "profile/static_ak") == 0 && strcmp(s->fixed.access_key_id, "foo") == 0);
  ecs_creds_src_free(s);
  CHECK_INT(ecs_creds_ini_load(path, "ecs", &s, &why), 0);
  CHECK(s && s->kind == SRC_ECS_ROLE && strcmp(s->role_name, "R") == 0);
  ecs_creds_src_free(s);
  CHECK_INT(ecs_creds_ini_load(path, "role", &s, &why), 0);
  CHECK(s && s->kind == SRC_ROLE_ARN && strcmp(s->name, "profile/ram_role_arn/static_ak") == 0);
  CHECK(s && strcmp(s->policy, "{}") == 0 && strcmp(s->session, "s") == 0);
  ecs_creds_src_free(s);
  CHECK_INT(ecs_creds_ini_load(path, "bad", &s, &why), -1);
  CHECK(strstr(ecs_buf_cstr(&why), "invalid type \"bearer\"") != NULL);
  ecs_buf_reset(&why);
  CHECK_INT(ecs_creds_ini_load(path, "none", &s, &why), 2);
  CHECK(strstr(ecs_buf_cstr(&why), "profile \"none\" not found") != NULL);
  ecs_buf_reset(&why);
  CHECK_INT(ecs_creds_ini_load("/nonexistent/credentials", NULL, &s, &why), 1);
  ecs_buf_free(&why);
  drop_files();
  clear_env();
}

static void external_process_runs_without_shell_with_timeout(void) {
  ecs_creds c;
  ecs_buf why;
  const char *prog;
  clear_env();
  ecs_creds_init(&c);
  ecs_buf_init(&why);
  prog = put_file("ext.sh", "#!/bin/sh\n[ \"$1\" = 'a b' ] || exit 7\n"
                            "echo '{\"mode\":\"StsToken\",\"access_key_id\":\"i\","
                            "\"access_key_secret\":\"s\",\"sts_token\":\"t\"}'\n");
  chmod(prog, 0700);
  {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s 'a b' ;rm", prog); /* ';' is just an argument: no shell */
    CHECK_INT(ecs_creds_external_fetch(cmd, &c, &why), 0);
    CHECK_STR(c.access_key_id, "i");
    CHECK_STR(c.security_token, "t");
    snprintf(cmd, sizeof cmd, "%s other", prog);
    CHECK_INT(ecs_creds_external_fetch(cmd, &c, &why), -1);
    CHECK(strstr(ecs_buf_cstr(&why), "exit status 7") != NULL);
  }
  ecs_buf_reset(&why);
  setenv("ECSRUN_CREDENTIALS_PROCESS_TIMEOUT", "0.3", 1);
  CHECK_INT(ecs_creds_external_fetch("sleep 5", &c, &why), -1);
  CHECK(strstr(ecs_buf_cstr(&why), "did not finish") != NULL);
  ecs_buf_reset(&why);
  CHECK_INT(ecs_creds_external_fetch("/nonexistent/prog", &c, &why), -1);
  CHECK(strstr(ecs_buf_cstr(&why), "cannot run") != NULL);
  ecs_creds_free(&c);
  ecs_buf_free(&why);
  clear_env();
}

/* An AssumeRole source for role arn with ram-user's keys, STS at the sim. */
static ecs_src *role_source(ecs_sim *s, const char *arn, const char *id, const char *secret) {
  ecs_src *r = ecs_creds_src_new(SRC_ROLE_ARN, "ram_role_arn/static_ak");
  r->source = ecs_creds_src_new(SRC_STATIC, "static_ak");
  ecs_creds_set(&r->source->fixed, id, secret, NULL, NULL);
  r->role_arn = strdup(arn);
  r->session = strdup("test");
  r->sts_endpoint = strdup(ecs_sim_url(s));
  return r;
}

static size_t issued(ecs_sim *s) {
  size_t n;
  pthread_mutex_lock(&s->mu);
  n = s->nissued;
  pthread_mutex_unlock(&s->mu);
  return n;
}

static void sts_assume_role_keys_are_accepted_until_they_expire(void) {
  ecs_sim *s = sim_up(ROLES_FLEET);
  ecs_src *r = role_source(s, "acs:ram::1:role/op", "ram-user", "ram-user-secret");
  ecs_creds c;
  ecs_buf why;
  ecs_params q;
  http_resp out;
  clear_env();
  ecs_creds_init(&c);
  ecs_buf_init(&why);
  ecs_params_init(&q);
  CHECK_INT(ecs_creds_src_get(r, NULL, &c, &why), 0);
  CHECK(strncmp(c.access_key_id, "STS.", 4) == 0);
  CHECK(c.security_token != NULL);
  CHECK(c.expiration > ecs_creds_now() + 2 && c.expiration <= ecs_creds_now() + 5);
  CHECK_STR(c.provider, "ram_role_arn/static_ak");
  ecs_params_add(&q, "InstanceId", "i-1");
  ecs_params_add(&q, "RegionId", "cn-hangzhou");
  v3_call(s, "ReActivateInstances", &q, c.access_key_id, c.access_key_secret, c.security_token, &out);
  CHECK_STR(resp_code(&out), "OK");
  http_resp_free(&out);
  ecs_sim_set_clock_offset(s, 5000); /* the key's 4 s are over */
  ecs_params_set(&q, "InstanceId", "i-2");
  v3_call(s, "ReActivateInstances", &q, c.access_key_id, c.access_key_secret, c.security_token, &out);
  CHECK_STR(resp_code(&out), "InvalidSecurityToken.Expired");
  http_resp_free(&out);
  v3_call(s, "ReActivateInstances", &q, c.access_key_id, c.access_key_secret, "CAISwrong", &out);
  CHECK_STR(resp_code(&out), "InvalidSecurityToken.Malformed");
  http_resp_free(&out);
  ecs_params_free(&q);
  ecs_creds_free(&c);
  ecs_buf_free(&why);
  ecs_creds_src_free(r);
  ecs_sim_stop(s);
}

static void sts_refusals_are_reported_without_secrets(void) {
  ecs_sim *s = sim_up(ROLES_FLEET);
  ecs_src *r = role_source(s, "acs:ram::1:role/op", "sim-ak", "sim-secret");
  ecs_creds c;
  ecs_buf why;
  clear_env();
  ecs_creds_init(&c);
  ecs_buf_init(&why);
  CHECK_INT(ecs_creds_src_get(r, NULL, &c, &why), -1);
  CHECK(strstr(ecs_buf_cstr(&why), "failed: NoPermission (HTTP 403)") != NULL);
  ecs_creds_src_free(r);
  ecs_buf_reset(&why);
  r = role_source(s, "acs:ram::1:role/op", "ram-user", "not-the-ram-user-secret");
  CHECK_INT(ecs_creds_src_get(r, NULL, &c, &why), -1);
  CHECK(strstr(ecs_buf_cstr(&why), "SignatureDoesNotMatch") != NULL);
  CHECK(strstr(ecs_buf_cstr(&why), "string to sign") == NULL);
  CHECK(strstr(ecs_buf_cstr(&why), "not-the-ram-user-secret") == NULL);
  ecs_creds_src_free(r);
  ecs_buf_reset(&why);
  r = role_source(s, "acs:ram::1:role/none", "ram-user", "ram-user-secret");
  CHECK_INT(ecs_creds_src_get(r, NULL, &c, &why), -1);
  CHECK(strstr(ecs_buf_cstr(&why), "EntityNotExist.Role") != NULL);
  ecs_creds_src_free(r);
  ecs_buf_free(&why);
  ecs_sim_stop(s);
}

static void imds_v2_v1_fallback_and_unknown_role(void) {
  ecs_sim *s = sim_up(ROLES_FLEET);
  ecs_sim *old = sim_up("{\"metadata\":{\"token_api\":false},\"roles\":[{\"name\":\"R\","
                        "\"arn\":\"acs:ram::1:role/r\",\"metadata\":true}]}");
  ecs_creds c;
  ecs_buf why;
  clear_env();
  ecs_creds_init(&c);
  ecs_buf_init(&why);
  setenv("ECSRUN_METADATA_ENDPOINT", ecs_sim_url(s), 1);
  CHECK_INT(ecs_creds_imds_fetch(NULL, NULL, &c, &why), 0);
  CHECK(strncmp(c.access_key_id, "STS.", 4) == 0 && c.security_token && c.expiration > 0);
  CHECK_INT(ecs_creds_imds_fetch(NULL, "Nope", &c, &why), -1);
  CHECK(strstr(ecs_buf_cstr(&why), "metadata 404 for role \"Nope\"") != NULL);
  CHECK(strstr(ecs_buf_cstr(&why), "<") == NULL);
  ecs_buf_reset(&why);
  setenv("ECSRUN_METADATA_ENDPOINT", ecs_sim_url(old), 1);
  CHECK_INT(ecs_creds_imds_fetch(NULL, NULL, &c, &why), 0); /* v1 */
  setenv("ALIBABA_CLOUD_IMDSV1_DISABLED", "true", 1);
  CHECK_INT(ecs_creds_imds_fetch(NULL, NULL, &c, &why), -1);
  CHECK(strstr(ecs_buf_cstr(&why), "IMDSv1 fallback is disabled") != NULL);
  ecs_buf_reset(&why);
  setenv("ECSRUN_METADATA_ENDPOINT", "http://127.0.0.1:1", 1);
  CHECK_INT(ecs_creds_imds_fetch(NULL, NULL, &c, &why), -1);
  CHECK(strstr(ecs_buf_cstr(&why), "metadata service unreachable") != NULL);
  ecs_creds_free(&c);
  ecs_buf_free(&why);
  ecs_sim_stop(s);
  ecs_sim_stop(old);
  clear_env();
}

static void chain_is_sticky_and_refreshes_once_when_stale(void) {
  ecs_sim *s = sim_up(ROLES_FLEET);
  ecs_creds_chain *ch;
  ecs_creds c;
  ecs_error err;
  char *first;
  int i;
  clear_env();
  ecs_creds_init(&c);
  ecs_error_init(&err);
  setenv("ALIBABA_CLOUD_STS_ENDPOINT", ecs_sim_url(s), 1);
  put_file(".aliyun/config.json",
           "{\"current\":\"r\",\"profiles\":[{\"name\":\"r\",\"mode\":\"RamRoleArn\","
           "\"access_key_id\":\"ram-user\",\"access_key_secret\":\"ram-user-secret\","
           "\"ram_role_arn\":\"acs:ram::1:role/op\",\"region_id\":\"cn-hangzhou\"}]}");
  ch = ecs_creds_chain_new(NULL);
  CHECK_STR(ecs_creds_chain_region(ch), "cn-hangzhou");
  CHECK(ecs_creds_chain_last(ch) == NULL);
  CHECK_INT(ecs_creds_chain_get(ch, &c, &err), 0);
  CHECK_STR(c.provider, "default/cli_profile/ram_role_arn/static_ak");
  first = strdup(c.access_key_id);
  for (i = 0; i < 20; i++) CHECK_INT(ecs_creds_chain_get(ch, &c, &err), 0);
  CHECK_STR(c.access_key_id, first);
  CHECK_INT(issued(s), 1);
  drop_files(); /* sticky: the file is not read again */
  sleep_ms(2100); /* past half of the 4 s lifetime: stale */
  for (i = 0; i < 20; i++) CHECK_INT(ecs_creds_chain_get(ch, &c, &err), 0);
  CHECK(strcmp(c.access_key_id, first) != 0);
  CHECK_INT(issued(s), 2);
  CHECK_STR(ecs_creds_chain_last(ch)->access_key_id, c.access_key_id);
  ecs_sim_stop(s); /* a failed refresh keeps credentials that are still valid */
  sleep_ms(2100);
  CHECK_INT(ecs_creds_chain_get(ch, &c, &err), 0);
  free(first);
  ecs_creds_free(&c);
  ecs_error_free(&err);
  ecs_creds_chain_free(ch);
  clear_env();
}

static void chain_failure_lists_each_provider_and_is_remembered(void) {
  ecs_creds_chain *ch;
  ecs_creds c;
  ecs_error err;
  clear_env();
  drop_files();
  ecs_creds_init(&c);
  ecs_error_init(&err);
  setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", "/nonexistent/creds.ini", 1);
  ch = ecs_creds_chain_new("ops");
  CHECK_STR(ecs_creds_chain_profile(ch), "ops");
  ecs_creds_chain_free(ch);
  ch = ecs_creds_chain_new(NULL);
  CHECK_INT(ecs_creds_chain_get(ch, &c, &err), -1);
  CHECK_STR(err.code, "ECREDS");
  CHECK(strstr(err.message, "environment: ALIBABA_CLOUD_ACCESS_KEY_ID") != NULL);
  CHECK(strstr(err.message, "OIDC: ALIBABA_CLOUD_ROLE_ARN") != NULL);
  CHECK(strstr(err.message, "config.json: file missing") != NULL);
  CHECK(strstr(err.message, "/nonexistent/creds.ini: file missing (named by "
                            "ALIBABA_CLOUD_CREDENTIALS_FILE)") != NULL);
  CHECK(strstr(err.message, "ECS metadata: metadata service unreachable") != NULL);
  CHECK(strstr(err.message, "ALIBABA_CLOUD_CREDENTIALS_URI not set") != NULL);
  setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "late", 1); /* within 5 s: the failure is remembered */
  setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "late-secret", 1);
  CHECK_INT(ecs_creds_chain_get(ch, &c, &err), -1);
  ecs_creds_chain_free(ch);
  ch = ecs_creds_chain_new(NULL);
  CHECK_INT(ecs_creds_chain_get(ch, &c, &err), 0);
  CHECK_STR(c.provider, "default/env");
  ecs_creds_chain_free(ch);
  ecs_creds_free(&c);
  ecs_error_free(&err);
  clear_env();
}

static void fleet_roles_and_metadata_are_validated(void) {
  static const struct { const char *fleet, *msg; } bad[] = {
    {"{\"roles\":[{\"arn\":\"a\"}]}", "roles[0].name: is required"},
    {"{\"roles\":[{\"name\":\"r\"}]}", "roles[0].arn: is required"},
    {"{\"roles\":[{\"name\":\"r\",\"arn\":\"a\",\"trust\":[]}]}", "roles[0].trust: unknown field"},
    {"{\"roles\":[{\"name\":\"r\",\"arn\":\"a\",\"account\":\"x\"}]}", "roles[0].account: no account"},
    {"{\"roles\":[{\"name\":\"r\",\"arn\":\"a\",\"metadata\":true},"
     "{\"name\":\"q\",\"arn\":\"b\",\"metadata\":true}]}", "roles[1].metadata: only one role"},
    {"{\"roles\":[{\"name\":\"r\",\"arn\":\"a\"},{\"name\":\"r\",\"arn\":\"b\"}]}", "roles[1].name: duplicate"},
    {"{\"roles\":[{\"name\":\"r\",\"arn\":\"a\",\"duration_s\":0}]}", "roles[0].duration_s: must be between 1 and 43200"},
    {"{\"roles\":[{\"name\":\"r\",\"arn\":\"a\",\"oidc_token\":\"t\"}]}", "roles[0].oidc_provider_arn: is required"},
    {"{\"metadata\":{\"require_token\":true,\"token_api\":false}}", "metadata.require_token: cannot be true"},
    {"{\"metadata\":{\"v2\":true}}", "metadata.v2: unknown field"},
  };
  char err[400];
  size_t i;
  CHECK_INT(ecs_sim_check_fleet(ROLES_FLEET, strlen(ROLES_FLEET), err, sizeof err), 0);
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = '\0';
    CHECK_INT(ecs_sim_check_fleet(bad[i].fleet, strlen(bad[i].fleet), err, sizeof err), -1);
    if (!strstr(err, bad[i].msg)) ecs_test_fail(__FILE__, __LINE__, "%s\n  got: %s", bad[i].msg, err);
  }
}


/* One strict parser: digits only, real calendar dates (leap years), no
 * hour 24 or second 60; sscanf's blanks and signs are gone. */
static void iso_times_reject_impossible_dates(void) {
  CHECK(ecs_creds_parse_time("2016-02-29T00:00:00Z") == 1456704000.0);
  CHECK(ecs_creds_parse_time("2000-02-29T00:00:00Z") > 0);
  CHECK(ecs_creds_parse_time("2017-02-29T00:00:00Z") < 0);
  CHECK(ecs_creds_parse_time("1900-02-29T00:00:00Z") < 0);
  CHECK(ecs_creds_parse_time("2017-02-31T05:20:01Z") < 0);
  CHECK(ecs_creds_parse_time("2017-04-31T05:20:01Z") < 0);
  CHECK(ecs_creds_parse_time("2017-11-00T05:20:01Z") < 0);
  CHECK(ecs_creds_parse_time("2017-11-01T24:00:00Z") < 0);
  CHECK(ecs_creds_parse_time("2017-11-01T05:60:01Z") < 0);
  CHECK(ecs_creds_parse_time("2017-11-01T05:20:60Z") < 0);
  CHECK(ecs_creds_parse_time("2017-11-01T05:20: 1Z") < 0);
  CHECK(ecs_creds_parse_time("2017-11-01T05:20:+1Z") < 0);
  CHECK(ecs_creds_parse_time("2017-11-01T05:20:01.5 Z") < 0);
  CHECK(ecs_creds_parse_time("2017-11-01T05:20:01.-50Z") < 0);
  CHECK(ecs_creds_parse_time("2017-11-01T05:20:01z") < 0);
  CHECK(ecs_creds_parse_time(NULL) < 0);
}

/* STS (environment or profile sts_endpoint), credentials URIs and an
 * overridden metadata host follow the ECS endpoint's rule: plain http to a
 * host that is not loopback is ECONFIG before any connection. 0.0.0.0 is
 * not loopback by the rule, yet a connection to it stays on this machine
 * (and fails at once): had the chain tried, the error would be ECREDS. */
static void plain_http_credential_endpoints_are_econfig_before_connecting(void) {
  static const char *const roles =
    "{\"current\":\"r\",\"profiles\":[{\"name\":\"r\",\"mode\":\"RamRoleArn\","
    "\"access_key_id\":\"ram-user\",\"access_key_secret\":\"ram-user-secret\","
    "\"ram_role_arn\":\"acs:ram::1:role/op\"%s}]}";
  char cfg[512];
  ecs_creds_chain *ch;
  ecs_creds c;
  ecs_error err;
  int i;
  ecs_creds_init(&c);
  ecs_error_init(&err);
  for (i = 0; i < 5; i++) {
    clear_env();
    drop_files();
    snprintf(cfg, sizeof cfg, roles, i == 1 ? ",\"sts_endpoint\":\"http://0.0.0.0:1\"" : "");
    if (i <= 1) put_file(".aliyun/config.json", cfg);
    if (i == 0) setenv("ALIBABA_CLOUD_STS_ENDPOINT", "http://0.0.0.0:1", 1);
    if (i == 2) setenv("ALIBABA_CLOUD_CREDENTIALS_URI", "http://0.0.0.0:1/creds", 1);
    if (i == 3) setenv("ECSRUN_METADATA_ENDPOINT", "http://0.0.0.0:1", 1);
    if (i == 4) {
      put_file(".aliyun/config.json",
               "{\"current\":\"u\",\"profiles\":[{\"name\":\"u\",\"mode\":\"CredentialsURI\","
               "\"credentials_uri\":\"http://0.0.0.0:1/c?x=1\"}]}");
    }
    ch = ecs_creds_chain_new(NULL);
    CHECK_INT(ecs_creds_chain_get(ch, &c, &err), -1);
    CHECK_STR(err.code, "ECONFIG");
    CHECK_INT(err.kind, ECS_KIND_CONFIG);
    CHECK(err.message && strstr(err.message, "refusing plain http:// to 0.0.0.0"));
    CHECK(err.message && !strstr(err.message, "/creds") && !strstr(err.message, "x=1"));
    ecs_creds_chain_free(ch);
  }
  ecs_creds_free(&c);
  ecs_error_free(&err);
  drop_files();
  clear_env();
}

/* An explicit profile selects that profile and nothing else: environment
 * keys do not win over it, and one that no file has is ECREDS naming it
 * and the files looked at, never another provider's credentials. */
static void explicit_profile_wins_over_env_and_unknown_one_is_ecreds(void) {
  ecs_creds_chain *ch;
  ecs_creds c;
  ecs_error err;
  clear_env();
  drop_files();
  ecs_creds_init(&c);
  ecs_error_init(&err);
  setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id", 1);
  setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret", 1);
  setenv("ALIBABA_CLOUD_CREDENTIALS_FILE", "/nonexistent/creds.ini", 1);
  put_file(".aliyun/config.json",
           "{\"current\":\"a\",\"profiles\":[{\"name\":\"a\",\"mode\":\"AK\","
           "\"access_key_id\":\"a-id\",\"access_key_secret\":\"a-secret\"},"
           "{\"name\":\"ops\",\"mode\":\"AK\",\"access_key_id\":\"ops-id\","
           "\"access_key_secret\":\"ops-secret\"},{\"name\":\"bad\",\"mode\":\"AK\","
           "\"access_key_id\":\"bad-id\"}]}");
  ch = ecs_creds_chain_new("bad"); /* there but unusable: that is the answer */
  CHECK_INT(ecs_creds_chain_get(ch, &c, &err), -1);
  CHECK_STR(err.code, "ECREDS");
  CHECK(err.message && strstr(err.message, "profile \"bad\" (mode AK) lacks access_key_id"));
  ecs_creds_chain_free(ch);
  ch = ecs_creds_chain_new("ops");
  CHECK_INT(ecs_creds_chain_get(ch, &c, &err), 0);
  CHECK_STR(c.access_key_id, "ops-id");
  CHECK_STR(c.provider, "default/cli_profile/static_ak");
  ecs_creds_chain_free(ch);
  ch = ecs_creds_chain_new("opz");
  CHECK_INT(ecs_creds_chain_get(ch, &c, &err), -1);
  CHECK_STR(err.code, "ECREDS");
  CHECK(err.message && strstr(err.message, "profile \"opz\""));
  CHECK(err.message && strstr(err.message, "config.json"));
  CHECK(err.message && strstr(err.message, "/nonexistent/creds.ini"));
  CHECK(err.message && !strstr(err.message, "environment"));
  CHECK(err.message && !strstr(err.message, "metadata"));
  ecs_creds_chain_free(ch);
  ch = ecs_creds_chain_new(NULL); /* without one, the environment comes first */
  CHECK_INT(ecs_creds_chain_get(ch, &c, &err), 0);
  CHECK_STR(c.access_key_id, "env-id");
  ecs_creds_chain_free(ch);
  ecs_creds_free(&c);
  ecs_error_free(&err);
  drop_files();
  clear_env();
}

static const ecs_test_case cases[] = {
  {"env_with_key_pair_gives_env_credentials", env_with_key_pair_gives_env_credentials},
  {"readable_credentials_file_is_warned_about_once", readable_credentials_file_is_warned_about_once},
  {"env_aliases_of_the_aliyun_cli_are_honoured_in_order",
   env_aliases_of_the_aliyun_cli_are_honoured_in_order},
  {"absent_env_returns_one_and_default_fails_with_ecreds",
   absent_env_returns_one_and_default_fails_with_ecreds},
  {"half_set_env_is_ecreds_without_the_value", half_set_env_is_ecreds_without_the_value},
  {"set_copy_and_free_handle_static_credentials", set_copy_and_free_handle_static_credentials},
  {"expiration_times_parse_in_the_sdk_formats_only", expiration_times_parse_in_the_sdk_formats_only},
  {"sts_endpoint_follows_region_env_and_override", sts_endpoint_follows_region_env_and_override},
  {"cli_config_modes_build_their_providers", cli_config_modes_build_their_providers},
  {"cli_config_failures_name_the_profile_and_mode", cli_config_failures_name_the_profile_and_mode},
  {"ini_types_build_their_providers_and_reject_others",
   ini_types_build_their_providers_and_reject_others},
  {"external_process_runs_without_shell_with_timeout",
   external_process_runs_without_shell_with_timeout},
  {"sts_assume_role_keys_are_accepted_until_they_expire",
   sts_assume_role_keys_are_accepted_until_they_expire},
  {"sts_refusals_are_reported_without_secrets", sts_refusals_are_reported_without_secrets},
  {"imds_v2_v1_fallback_and_unknown_role", imds_v2_v1_fallback_and_unknown_role},
  {"chain_is_sticky_and_refreshes_once_when_stale", chain_is_sticky_and_refreshes_once_when_stale},
  {"chain_failure_lists_each_provider_and_is_remembered",
   chain_failure_lists_each_provider_and_is_remembered},
  {"fleet_roles_and_metadata_are_validated", fleet_roles_and_metadata_are_validated},
  {"iso_times_reject_impossible_dates", iso_times_reject_impossible_dates},
  {"plain_http_credential_endpoints_are_econfig_before_connecting",
   plain_http_credential_endpoints_are_econfig_before_connecting},
  {"explicit_profile_wins_over_env_and_unknown_one_is_ecreds",
   explicit_profile_wins_over_env_and_unknown_one_is_ecreds},
  {NULL, NULL}};

int main(int argc, char **argv) { return ecs_test_main(argc, argv, cases); }
