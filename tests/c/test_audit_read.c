/* test_audit_read.c - reading an audit file back (runtime/audit_read.c):
 * pairing outcomes with intents, old files, orphans, damaged lines, and
 * the file errors. The writer's own lines are read back too.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "audit_read.h"
#include "testlib.h"

#define RA "\"action\":\"ReActivateInstances\""

/* A fresh path in the temporary directory holding n bytes of text (no file
 * when text is NULL). */
static const char *tmp_file(const char *text, size_t n) {
  static char path[256];
  static int k;
  const char *dir = getenv("TMPDIR");
  FILE *f;
  snprintf(path, sizeof path, "%s/ecs_test_audit_read_%ld_%d", dir && *dir ? dir : "/tmp", (long)getpid(), ++k);
  unlink(path);
  if (text && (f = fopen(path, "wb")) != NULL) {
    CHECK_INT(fwrite(text, 1, n, f), n);
    fclose(f);
  }
  return path;
}

/* Reads text (as a file) into log; 0 or -1. */
static int read_text(ecs_audit_log *log, const char *text) {
  const char *path = tmp_file(text, strlen(text));
  ecs_error e;
  int rc;
  ecs_error_init(&e);
  ecs_audit_read_init(log);
  rc = ecs_audit_read_file(path, log, &e);
  CHECK(e.message == NULL);
  ecs_error_free(&e);
  unlink(path);
  return rc;
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Entry i holds an intent for instance intent_for (NULL: none) and an
 * outcome for outcome_for (NULL: none). */
static void check_entry(const ecs_audit_log *log, size_t i, const char *intent_for, const char *outcome_for) {
  const ecs_audit_entry *e;
  CHECK(i < log->n);
  if (i >= log->n) return;
  e = &log->v[i];
  if (intent_for) CHECK_STR(str(e->intent, "instance_id"), intent_for);
  else CHECK(e->intent == NULL);
  if (outcome_for) CHECK_STR(str(e->outcome, "instance_id"), outcome_for);
  else CHECK(e->outcome == NULL);
}

/* records_spec's case: the run bbbb was killed after its intent, aaaa had
 * an outcome under the same id; cccc's outcome matches no intent. */
static void pairs_by_run_id_action_and_instance(void) {
  ecs_audit_log log;
  CHECK_INT(read_text(&log,
                      "{\"run\":\"aaaa\",\"event\":\"intent\",\"id\":\"4242-1\"," RA ",\"instance_id\":\"i-1\"}\n"
                      "{\"run\":\"bbbb\",\"event\":\"intent\",\"id\":\"4242-1\"," RA ",\"instance_id\":\"i-2\"}\n"
                      "{\"run\":\"aaaa\",\"event\":\"outcome\",\"id\":\"4242-1\"," RA ",\"instance_id\":\"i-1\",\"ok\":true}\n"
                      "{\"run\":\"cccc\",\"event\":\"outcome\",\"id\":\"4242-1\"," RA ",\"instance_id\":\"i-2\",\"ok\":true}\n"
                      /* the same run and id, another action: no pair */
                      "{\"run\":\"dddd\",\"event\":\"intent\",\"id\":\"d-1\"," RA ",\"instance_id\":\"i-3\"}\n"
                      "{\"run\":\"dddd\",\"event\":\"outcome\",\"id\":\"d-1\",\"action\":\"StopInstance\","
                      "\"instance_id\":\"i-3\",\"ok\":true}\n"),
            0);
  CHECK_INT(log.n, 5);
  CHECK_INT(log.skipped, 0);
  check_entry(&log, 0, "i-1", "i-1");
  CHECK_STR(str(log.v[0].outcome, "run"), "aaaa");
  check_entry(&log, 1, "i-2", NULL);
  check_entry(&log, 2, NULL, "i-2"); /* orphan: run cccc had no intent */
  CHECK_STR(log.v[2].run, "cccc");
  check_entry(&log, 3, "i-3", NULL);
  check_entry(&log, 4, NULL, "i-3");
  ecs_audit_read_free(&log);
  CHECK_INT(log.n, 0);
}

/* Old files (no run, ids <pid>-<n> reused across runs): an outcome goes to
 * the latest intent of its id, in file order. */
static void old_files_pair_by_id_in_file_order(void) {
  ecs_audit_log log;
  CHECK_INT(read_text(&log, "{\"event\":\"intent\",\"id\":\"777-1\"," RA ",\"instance_id\":\"i-1\"}\n"
                            "{\"event\":\"outcome\",\"id\":\"777-1\"," RA ",\"instance_id\":\"i-1\",\"ok\":true}\n"
                            "{\"event\":\"intent\",\"id\":\"777-1\"," RA ",\"instance_id\":\"i-2\"}\n"
                            "{\"event\":\"intent\",\"id\":\"777-2\"," RA ",\"instance_id\":\"i-4\"}\n"
                            "{\"event\":\"intent\",\"id\":\"777-2\"," RA ",\"instance_id\":\"i-5\"}\n"
                            "{\"event\":\"outcome\",\"id\":\"777-2\"," RA ",\"instance_id\":\"i-5\",\"ok\":true}\n"
                            "{\"event\":\"outcome\",\"id\":\"777-2\"," RA ",\"instance_id\":\"i-5\",\"ok\":true}\n"),
            0);
  CHECK_INT(log.n, 5);
  check_entry(&log, 0, "i-1", "i-1");
  check_entry(&log, 1, "i-2", NULL);
  check_entry(&log, 2, "i-4", NULL); /* replaced under its id before any outcome */
  check_entry(&log, 3, "i-5", "i-5");
  check_entry(&log, 4, NULL, "i-5"); /* a second outcome: the intent has one */
  CHECK_STR(log.v[1].run, "");
  ecs_audit_read_free(&log);
  /* an outcome for another instance under a reused id decides nothing */
  CHECK_INT(read_text(&log, "{\"event\":\"intent\",\"id\":\"777-1\"," RA ",\"instance_id\":\"i-2\"}\n"
                            "{\"event\":\"outcome\",\"id\":\"777-1\"," RA ",\"instance_id\":\"i-1\",\"ok\":true}\n"),
            0);
  CHECK_INT(log.n, 2);
  check_entry(&log, 0, "i-2", NULL);
  check_entry(&log, 1, NULL, "i-1");
  ecs_audit_read_free(&log);
}

/* An outcome before its intent, or with no intent at all, is an orphan
 * entry and never pairs later; the intent stays open. */
static void orphan_outcomes_decide_nothing(void) {
  ecs_audit_log log;
  CHECK_INT(read_text(&log, "{\"run\":\"r\",\"event\":\"outcome\",\"id\":\"r-1\"," RA ",\"instance_id\":\"i-1\",\"ok\":true}\n"
                            "{\"run\":\"r\",\"event\":\"intent\",\"id\":\"r-1\"," RA ",\"instance_id\":\"i-1\"}\n"
                            "{\"run\":\"r\",\"event\":\"outcome\",\"id\":\"r-9\"," RA ",\"instance_id\":\"i-9\",\"ok\":true}\n"
                            /* ignored: not an intent or outcome, no string id, not an object */
                            "{\"run\":\"r\",\"event\":\"note\",\"id\":\"r-1\"}\n"
                            "{\"run\":\"r\",\"event\":\"outcome\",\"id\":1," RA ",\"instance_id\":\"i-1\"}\n"
                            "[\"outcome\",\"r-1\"]\n"),
            0);
  CHECK_INT(log.n, 3);
  CHECK_INT(log.skipped, 0);
  check_entry(&log, 0, NULL, "i-1");
  check_entry(&log, 1, "i-1", NULL);
  check_entry(&log, 2, NULL, "i-9");
  ecs_audit_read_free(&log);
}

/* action and instance_id compare as the decoded Lua values would: numbers
 * by value, null only with null, absent only with absent, tables never; a
 * member named twice by its last value; a run that is not a string is "". */
static void members_compare_as_decoded_values(void) {
  ecs_audit_log log;
  CHECK_INT(read_text(&log, "{\"event\":\"intent\",\"id\":\"a\",\"action\":1,\"instance_id\":null}\n"
                            "{\"event\":\"outcome\",\"id\":\"a\",\"action\":1.0,\"instance_id\":null}\n"
                            "{\"event\":\"intent\",\"id\":\"b\"}\n"
                            "{\"event\":\"outcome\",\"id\":\"b\",\"instance_id\":null}\n"
                            "{\"event\":\"intent\",\"id\":\"c\",\"action\":{}}\n"
                            "{\"event\":\"outcome\",\"id\":\"c\",\"action\":{}}\n"
                            "{\"run\":7,\"event\":\"intent\",\"id\":\"d\",\"instance_id\":\"i-x\",\"instance_id\":\"i-d\"}\n"
                            "{\"event\":\"outcome\",\"id\":\"d\",\"instance_id\":\"i-d\"}\n"),
            0);
  CHECK_INT(log.n, 6);
  CHECK(log.v[0].intent && log.v[0].outcome);  /* 1 == 1.0, null == null */
  CHECK(log.v[1].intent && !log.v[1].outcome); /* nil ~= null */
  CHECK(!log.v[2].intent);
  CHECK(log.v[3].intent && !log.v[3].outcome); /* {} ~= {} */
  CHECK(!log.v[4].intent);
  CHECK(log.v[5].intent && log.v[5].outcome); /* the last instance_id; run 7 is "" */
  ecs_audit_read_free(&log);
}

/* A crash mid-write leaves a line cut short: not JSON, skipped and counted,
 * wherever it is (the writer's lone newline after it, or the file's end). */
static void line_cut_short_is_skipped_and_counted(void) {
  ecs_audit_log log;
  CHECK_INT(read_text(&log, "{\"run\":\"r\",\"event\":\"intent\",\"id\":\"r-1\"," RA ",\"instance_id\":\"i-1\"}\n"
                            "{\"run\":\"r\",\"event\":\"outcome\",\"id\":\"r-1\"," RA ",\"instance_id\":\"i-1\",\"o\n"
                            "{\"run\":\"r\",\"event\":\"intent\",\"id\":\"r-2\"," RA ",\"instance_id\":\"i-2\"}\n"
                            "{\"run\":\"r\",\"event\":\"outcome\",\"id\":\"r-2\"," RA ",\"instance"),
            0);
  CHECK_INT(log.skipped, 2);
  CHECK_INT(log.n, 2);
  check_entry(&log, 0, "i-1", NULL);
  check_entry(&log, 1, "i-2", NULL);
  ecs_audit_read_free(&log);
  /* a complete last line without its newline still counts (as Lua's
   * file:lines() gave it); an empty line does not parse */
  CHECK_INT(read_text(&log, "{\"run\":\"r\",\"event\":\"intent\",\"id\":\"r-1\"," RA ",\"instance_id\":\"i-1\"}\n\n"
                            "{\"run\":\"r\",\"event\":\"outcome\",\"id\":\"r-1\"," RA ",\"instance_id\":\"i-1\"}"),
            0);
  CHECK_INT(log.skipped, 1);
  CHECK_INT(log.n, 1);
  check_entry(&log, 0, "i-1", "i-1");
  ecs_audit_read_free(&log);
}

/* Invalid UTF-8 inside strings is kept byte for byte (as ecs.json.decode
 * keeps it) and pairs; outside a string the line is not JSON. */
static void invalid_utf8_is_kept_in_strings_and_skipped_outside(void) {
  ecs_audit_log log;
  CHECK_INT(read_text(&log, "{\"run\":\"r\xff\",\"event\":\"intent\",\"id\":\"r-\xc0\x80\"," RA ",\"instance_id\":\"i-\xed\xa0\x80\"}\n"
                            "{\"run\":\"r\xff\",\"event\":\"outcome\",\"id\":\"r-\xc0\x80\"," RA ",\"instance_id\":\"i-\xed\xa0\x80\"}\n"
                            "{\"run\":\"r\",\"event\":\"intent\",\"id\":\"r-2\"," RA ",\"instance_id\":\"i-2\"}\xff\xfe\n"
                            "\xff{\"run\":\"r\",\"event\":\"intent\",\"id\":\"r-3\"," RA ",\"instance_id\":\"i-3\"}\n"),
            0);
  CHECK_INT(log.n, 2); /* text after a complete value is ignored, as decode does */
  CHECK_INT(log.skipped, 1);
  check_entry(&log, 0, "i-\xed\xa0\x80", "i-\xed\xa0\x80");
  CHECK_STR(log.v[0].run, "r\xff");
  check_entry(&log, 1, "i-2", NULL);
  ecs_audit_read_free(&log);
}

/* A line of several MiB is read whole (no line limit, as before), and a
 * huge line of junk costs one skipped line. */
static void huge_line_is_read_whole(void) {
  size_t big = (size_t)6 << 20, off;
  const char *head = "{\"run\":\"r\",\"event\":\"intent\",\"id\":\"r-1\"," RA ",\"instance_id\":\"i-1\",\"params\":{\"D\":\"";
  const char *tail = "\"}}\n{\"run\":\"r\",\"event\":\"outcome\",\"id\":\"r-1\"," RA ",\"instance_id\":\"i-1\"}\n";
  char *text = malloc(strlen(head) + 2 * big + strlen(tail) + 2);
  ecs_audit_log log;
  const cJSON *d;
  if (!text) return;
  off = strlen(head);
  memcpy(text, head, off);
  memset(text + off, 'x', big);
  off += big;
  memcpy(text + off, tail, strlen(tail));
  off += strlen(tail);
  memset(text + off, '{', big); /* junk */
  off += big;
  text[off++] = '\n';
  text[off] = '\0';
  CHECK_INT(read_text(&log, text), 0);
  free(text);
  CHECK_INT(log.n, 1);
  CHECK_INT(log.skipped, 1);
  check_entry(&log, 0, "i-1", "i-1");
  d = log.n ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(log.v[0].intent, "params"), "D") : NULL;
  CHECK(cJSON_IsString(d) && strlen(d->valuestring) == big);
  ecs_audit_read_free(&log);
}

/* Many open intents at once (the table of open intents grows), paired in
 * reverse order. */
static void thousands_of_open_intents_pair(void) {
  ecs_audit_log log;
  char line[160];
  int i, n = 3000;
  ecs_audit_read_init(&log);
  for (i = 0; i < n; i++) {
    snprintf(line, sizeof line, "{\"run\":\"r\",\"event\":\"intent\",\"id\":\"r-%d\"," RA ",\"instance_id\":\"i-%d\"}", i, i);
    CHECK_INT(ecs_audit_read_line(&log, line, strlen(line)), 0);
  }
  for (i = n - 1; i >= 0; i--) {
    snprintf(line, sizeof line, "{\"run\":\"r\",\"event\":\"outcome\",\"id\":\"r-%d\"," RA ",\"instance_id\":\"i-%d\"}", i, i);
    CHECK_INT(ecs_audit_read_line(&log, line, strlen(line)), 0);
  }
  CHECK_INT(log.n, n);
  for (i = 0; i < n; i++) {
    snprintf(line, sizeof line, "i-%d", i);
    check_entry(&log, (size_t)i, line, line);
  }
  ecs_audit_read_free(&log);
}

/* What the writer writes reads back paired, run by run. */
static void writer_lines_read_back_paired(void) {
  const char *path = tmp_file(NULL, 0);
  ecs_error e;
  ecs_audit *a;
  ecs_audit_call c;
  ecs_audit_result r;
  ecs_audit_log log;
  unsigned long s1, s2;
  ecs_error_init(&e);
  memset(&c, 0, sizeof c);
  memset(&r, 0, sizeof r);
  c.action = "ReActivateInstances";
  r.ok = 1;
  a = ecs_audit_open(path, &e);
  CHECK(a != NULL);
  if (!a) return;
  c.instance_id = "i-1";
  s1 = ecs_audit_intent(a, &c, &e);
  c.instance_id = "i-2";
  s2 = ecs_audit_intent(a, &c, &e);
  CHECK_INT(ecs_audit_outcome(a, s2, &c, &r, &e), 0);
  ecs_audit_close(a);
  CHECK(s1 == 1 && s2 == 2);
  ecs_audit_read_init(&log);
  CHECK_INT(ecs_audit_read_file(path, &log, &e), 0);
  CHECK_INT(log.n, 2);
  check_entry(&log, 0, "i-1", NULL);
  check_entry(&log, 1, "i-2", "i-2");
  CHECK_INT(strlen(log.n ? log.v[0].run : ""), 16);
  ecs_audit_read_free(&log);
  unlink(path);
}

/* A missing file (or a directory) is ECONFIG naming the path and the
 * reason, nothing else; the log is left empty. */
static void missing_file_is_an_error_naming_the_path(void) {
  const char *path = tmp_file(NULL, 0);
  char want[400];
  ecs_audit_log log;
  ecs_error e;
  ecs_error_init(&e);
  ecs_audit_read_init(&log);
  CHECK_INT(ecs_audit_read_file(path, &log, &e), -1);
  CHECK_STR(e.code, "ECONFIG");
  CHECK(e.kind == ECS_KIND_CONFIG);
  snprintf(want, sizeof want, "cannot read the audit file: %s: No such file or directory", path);
  CHECK_STR(e.message, want);
  CHECK(!e.retryable && !e.ambiguous && !e.request_id && !e.action);
  CHECK_INT(log.n, 0);
  ecs_error_free(&e);
  CHECK_INT(ecs_audit_read_file("/", &log, &e), -1);
  CHECK_STR(e.message, "cannot read the audit file: /: Is a directory");
  ecs_error_free(&e);
  ecs_audit_read_free(&log);
}

static void empty_file_has_no_calls(void) {
  ecs_audit_log log;
  CHECK_INT(read_text(&log, ""), 0);
  CHECK_INT(log.n, 0);
  CHECK_INT(log.skipped, 0);
  ecs_audit_read_free(&log);
}

int main(int argc, char **argv) {
  static const ecs_test_case cases[] = {
      {"audit_read_pairs_by_run_id_action_and_instance", pairs_by_run_id_action_and_instance},
      {"audit_read_old_files_pair_by_id_in_file_order", old_files_pair_by_id_in_file_order},
      {"audit_read_orphan_outcomes_decide_nothing", orphan_outcomes_decide_nothing},
      {"audit_read_members_compare_as_decoded_values", members_compare_as_decoded_values},
      {"audit_read_line_cut_short_is_skipped_and_counted", line_cut_short_is_skipped_and_counted},
      {"audit_read_invalid_utf8_is_kept_in_strings_and_skipped_outside",
       invalid_utf8_is_kept_in_strings_and_skipped_outside},
      {"audit_read_huge_line_is_read_whole", huge_line_is_read_whole},
      {"audit_read_thousands_of_open_intents_pair", thousands_of_open_intents_pair},
      {"audit_read_writer_lines_read_back_paired", writer_lines_read_back_paired},
      {"audit_read_missing_file_is_an_error_naming_the_path", missing_file_is_an_error_naming_the_path},
      {"audit_read_empty_file_has_no_calls", empty_file_has_no_calls},
      {NULL, NULL}};
  return ecs_test_main(argc, argv, cases);
}
