/* test_audit.c - the audit writer (runtime/audit.c) and what it relies on:
 * UTF-8 sanitising and one-line escaping (runtime/utf8.c) and the secret-name
 * predicate (runtime/redact.c).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "redact.h"
#include "testlib.h"
#include "utf8.h"

#define FFFD "\xEF\xBF\xBD"

static void check_sanitize(const char *in, size_t n, const char *want) {
  ecs_buf b;
  ecs_buf_init(&b);
  CHECK(ecs_utf8_sanitize(&b, in, n) == 0);
  CHECK_STR(ecs_buf_cstr(&b), want);
  ecs_buf_free(&b);
}

/* Valid text is kept byte for byte; each invalid byte becomes U+FFFD. */
static void utf8_sanitize_replaces_each_invalid_byte(void) {
  check_sanitize("plain ascii", 11, "plain ascii");
  check_sanitize("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 14, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  check_sanitize("a\xFF" "b", 3, "a" FFFD "b");
  check_sanitize("\x80", 1, FFFD);                     /* stray continuation */
  check_sanitize("\xC0\x80", 2, FFFD FFFD);            /* overlong NUL */
  check_sanitize("\xE0\x80\xAF", 3, FFFD FFFD FFFD);   /* overlong '/' */
  check_sanitize("\xED\xA0\x80", 3, FFFD FFFD FFFD);   /* a surrogate */
  check_sanitize("\xF4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD); /* > U+10FFFF */
  check_sanitize("\xE2\x82", 2, FFFD FFFD);            /* cut short */
  check_sanitize("x\0y", 3, "x" FFFD "y");             /* NUL */
  {
    char *d = ecs_utf8_dup("\xFE ok");
    CHECK_STR(d, FFFD " ok");
    free(d);
    CHECK(ecs_utf8_dup(NULL) == NULL);
  }
}

static void check_escape(const char *in, size_t n, const char *want) {
  ecs_buf b;
  ecs_buf_init(&b);
  CHECK(ecs_utf8_escape(&b, in, n) == 0);
  CHECK_STR(ecs_buf_cstr(&b), want);
  ecs_buf_free(&b);
}

/* Nothing below 0x20 survives, C1 controls neither; quotes and backslashes
 * are escaped so that a quoted value cannot be closed early. */
static void text_escape_gives_one_printable_line(void) {
  check_escape("a\nb\rc\td", 7, "a\\nb\\rc\\td");
  check_escape("\x1b[31mred", 8, "\\x1b[31mred");
  check_escape("q\"b\\", 4, "q\\\"b\\\\");
  check_escape("z\0\x7f", 3, "z\\x00\\x7f");
  check_escape("\xC2\x9B" "2K", 4, "\\u009b2K");
  check_escape("\xFF\xC3\xA9", 3, FFFD "\xC3\xA9");
}

static void secret_names_match_case_and_separators_and_spare_cursors(void) {
  static const char *const secret[] = {
      "Password", "password", "VncPassword", "LoginPasswd", "AccessKeySecret", "access_key_secret",
      "SecurityToken", "security-token", "ApiToken", "PrivateKey", "private_key", "PrivateKeyBody",
      "Passphrase", "KeyPassphrase", "Credentials", "Authorization", "Signature", "Spec.Options.1.ApiToken",
      "x.Pass_Word", "Cookie", NULL};
  static const char *const plain[] = {"InstanceId", "RegionId", "NextToken", "ClientToken", "nexttoken",
                                      "Page.NextToken", "KeyPairName", "PublicKeyBody", "Description",
                                      "", NULL};
  int i;
  for (i = 0; secret[i]; i++)
    if (!ecs_redact_is_secret_name(secret[i])) ecs_test_fail(__FILE__, __LINE__, "%s should be secret", secret[i]);
  for (i = 0; plain[i]; i++)
    if (ecs_redact_is_secret_name(plain[i])) ecs_test_fail(__FILE__, __LINE__, "%s should not be secret", plain[i]);
  CHECK(!ecs_redact_is_secret_name(NULL));
  {
    char longname[2000];
    memset(longname, 'a', sizeof longname);
    memcpy(longname + 1000, "Token", 5); /* in the middle of a long name */
    longname[sizeof longname - 1] = '\0';
    CHECK(ecs_redact_is_secret_name(longname));
  }
}

/* A fresh audit path in the temporary directory. */
static const char *tmp_audit(void) {
  static char path[256];
  const char *dir = getenv("TMPDIR");
  static int n;
  snprintf(path, sizeof path, "%s/ecs_test_audit_%ld_%d", dir && *dir ? dir : "/tmp", (long)getpid(), ++n);
  unlink(path);
  return path;
}

/* The lines of path as parsed JSON objects (NULL for a line that is not);
 * returns the count. */
static int read_lines(const char *path, cJSON **out, int max) {
  size_t n;
  char *text = ecs_test_read_file(path, &n), *p, *nl;
  int k = 0;
  if (!text) return -1;
  for (p = text; k < max && (nl = strchr(p, '\n')); p = nl + 1) {
    *nl = '\0';
    out[k++] = cJSON_ParseWithOpts(p, NULL, 1);
  }
  CHECK(*p == '\0'); /* every line complete */
  free(text);
  return k;
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void audit_lines_carry_the_run_id_and_sequence(void) {
  const char *path = tmp_audit();
  ecs_error e;
  ecs_audit *a, *b;
  ecs_audit_call c;
  ecs_audit_result r;
  ecs_params p;
  cJSON *l[4] = {0};
  char want[64], run_a[32];
  struct stat st;
  ecs_error_init(&e);
  ecs_params_init(&p);
  ecs_params_add(&p, "InstanceId", "i-1");
  memset(&c, 0, sizeof c);
  c.action = "ReActivateInstances";
  c.instance_id = "i-1";
  c.region = "cn-hangzhou";
  c.access_key_id = "ak";
  c.params = &p;
  c.attempt = 2;
  memset(&r, 0, sizeof r);
  r.ok = 1;
  r.request_id = "RID";
  r.status = 200;
  a = ecs_audit_open(path, &e);
  CHECK(a != NULL);
  if (!a) return;
  CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
  CHECK_INT(strlen(ecs_audit_run_id(a)), 16);
  CHECK(strspn(ecs_audit_run_id(a), "0123456789abcdef") == 16);
  snprintf(run_a, sizeof run_a, "%s", ecs_audit_run_id(a));
  CHECK_INT(ecs_audit_intent(a, &c, &e), 1);
  CHECK_INT(ecs_audit_outcome(a, 1, &c, &r, &e), 0);
  CHECK_INT(ecs_audit_intent(a, &c, &e), 2);
  ecs_audit_close(a);
  b = ecs_audit_open(path, &e); /* a second run appends under its own id */
  CHECK(b && strcmp(ecs_audit_run_id(b), run_a) != 0);
  if (b) CHECK_INT(ecs_audit_intent(b, &c, &e), 1);
  CHECK_INT(read_lines(path, l, 4), 4);
  snprintf(want, sizeof want, "%s-1", run_a);
  CHECK_STR(str(l[0], "run"), run_a);
  CHECK_STR(str(l[0], "event"), "intent");
  CHECK_STR(str(l[0], "id"), want);
  CHECK_STR(str(l[0], "region"), "cn-hangzhou");
  CHECK_INT(cJSON_GetObjectItem(l[0], "attempt")->valueint, 2);
  CHECK_STR(str(cJSON_GetObjectItem(l[0], "params"), "InstanceId"), "i-1");
  CHECK_STR(str(l[1], "event"), "outcome");
  CHECK_STR(str(l[1], "id"), want);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(l[1], "ok")));
  CHECK_STR(str(l[1], "request_id"), "RID");
  snprintf(want, sizeof want, "%s-2", run_a);
  CHECK_STR(str(l[2], "id"), want);
  if (b) {
    snprintf(want, sizeof want, "%s-1", ecs_audit_run_id(b));
    CHECK_STR(str(l[3], "id"), want);
    CHECK_STR(str(l[3], "run"), ecs_audit_run_id(b));
  }
  for (int i = 0; i < 4; i++) cJSON_Delete(l[i]);
  ecs_audit_close(b);
  ecs_params_free(&p);
  ecs_error_free(&e);
  unlink(path);
}

/* Server text and parameters with any bytes: every line still parses and
 * every string is valid UTF-8; secret-named parameters are "[redacted]". */
static void audit_lines_are_valid_utf8_json_without_secrets(void) {
  const char *path = tmp_audit();
  ecs_error e;
  ecs_audit *a;
  ecs_audit_call c;
  ecs_audit_result r;
  ecs_params p;
  cJSON *l[2] = {0}, *params;
  ecs_error_init(&e);
  ecs_params_init(&p);
  ecs_params_add(&p, "Description", "caf\xE9\xFF");
  ecs_params_add(&p, "Bad\xC0Name", "v");
  ecs_params_add(&p, "Password", "Hunter2Pass!");
  ecs_params_add(&p, "Spec.1.ApiToken", "tok-1");
  ecs_params_add(&p, "NextToken", "page-2");
  memset(&c, 0, sizeof c);
  c.action = "Modify\xFF";
  c.instance_id = "i-\xED\xA0\x80";
  c.params = &p;
  memset(&r, 0, sizeof r);
  r.code = "Bad\xFF" "Code";
  r.request_id = "R\x80";
  r.status = 400;
  a = ecs_audit_open(path, &e);
  CHECK(a != NULL);
  if (!a) return;
  CHECK(ecs_audit_intent(a, &c, &e) == 1);
  CHECK(ecs_audit_outcome(a, 1, &c, &r, &e) == 0);
  ecs_audit_close(a);
  {
    char *text = ecs_test_read_file(path, NULL);
    CHECK(text && !strstr(text, "Hunter2Pass!") && !strstr(text, "tok-1"));
    free(text);
  }
  CHECK_INT(read_lines(path, l, 2), 2);
  CHECK(l[0] && l[1]);
  if (l[0] && l[1]) {
    params = cJSON_GetObjectItem(l[0], "params");
    CHECK_STR(str(l[0], "action"), "Modify" FFFD);
    CHECK_STR(str(l[0], "instance_id"), "i-" FFFD FFFD FFFD);
    CHECK_STR(str(params, "Description"), "caf" FFFD FFFD);
    CHECK_STR(str(params, "Bad" FFFD "Name"), "v");
    CHECK_STR(str(params, "Password"), ECS_REDACTED);
    CHECK_STR(str(params, "Spec.1.ApiToken"), ECS_REDACTED);
    CHECK_STR(str(params, "NextToken"), "page-2");
    CHECK_STR(str(l[1], "code"), "Bad" FFFD "Code");
    CHECK_STR(str(l[1], "request_id"), "R" FFFD);
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(l[1], "ok")));
  }
  cJSON_Delete(l[0]);
  cJSON_Delete(l[1]);
  ecs_params_free(&p);
  ecs_error_free(&e);
  unlink(path);
}

/* /dev/full: the intent cannot be written, so the call gets no number and
 * the error says EAUDIT, naming the file and the errno text. */
static void failed_write_is_eaudit_naming_the_file_and_errno(void) {
  ecs_error e;
  ecs_audit *a;
  ecs_audit_call c;
  ecs_audit_result r;
  char want[128];
  ecs_error_init(&e);
  memset(&c, 0, sizeof c);
  memset(&r, 0, sizeof r);
  c.action = "ReActivateInstances";
  a = ecs_audit_open("/dev/full", &e);
  CHECK(a != NULL);
  if (!a) return;
  CHECK_INT(ecs_audit_intent(a, &c, &e), 0);
  CHECK_STR(e.code, "EAUDIT");
  CHECK(e.kind == ECS_KIND_CONFIG && !e.retryable && !e.ambiguous);
  snprintf(want, sizeof want, "cannot write the audit file /dev/full: %s (intent of ReActivateInstances)",
           strerror(ENOSPC));
  CHECK_STR(e.message, want);
  ecs_error_free(&e);
  CHECK_INT(ecs_audit_outcome(a, 1, &c, &r, &e), -1);
  CHECK_STR(e.code, "EAUDIT");
  ecs_error_free(&e);
  ecs_audit_close(a);
  CHECK(ecs_audit_open("/nonexistent/dir/x.audit", &e) == NULL);
  CHECK_STR(e.code, "ECONFIG");
  CHECK(e.message && strstr(e.message, "cannot open the audit file /nonexistent/dir/x.audit"));
  ecs_error_free(&e);
}

int main(int argc, char **argv) {
  static const ecs_test_case cases[] = {
      {"utf8_sanitize_replaces_each_invalid_byte", utf8_sanitize_replaces_each_invalid_byte},
      {"text_escape_gives_one_printable_line", text_escape_gives_one_printable_line},
      {"secret_names_match_case_and_separators_and_spare_cursors",
       secret_names_match_case_and_separators_and_spare_cursors},
      {"audit_lines_carry_the_run_id_and_sequence", audit_lines_carry_the_run_id_and_sequence},
      {"audit_lines_are_valid_utf8_json_without_secrets", audit_lines_are_valid_utf8_json_without_secrets},
      {"failed_write_is_eaudit_naming_the_file_and_errno", failed_write_is_eaudit_naming_the_file_and_errno},
      {NULL, NULL}};
  return ecs_test_main(argc, argv, cases);
}
