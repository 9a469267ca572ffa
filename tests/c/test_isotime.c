/* test_isotime.c - runtime/isotime.c: the one ISO 8601 UTC parser. */
#include "isotime.h"
#include "testlib.h"

static double parse(const char *s, unsigned flags) {
  double t = -12345;
  return ecs_isotime_parse(s, flags, &t) == 0 ? t : -12345;
}

static void isotime_parses_the_three_layouts_by_flag(void) {
  CHECK(parse("2017-11-01T05:20:01Z", 0) == 1509513601.0);
  CHECK(parse("2017-11-01T05:20:01.500Z", ECS_ISOTIME_MILLIS) == 1509513601.5);
  CHECK(parse("2017-11-01T05:20:01.500Z", 0) == -12345);
  CHECK(parse("2017-11-01T05:20Z", ECS_ISOTIME_MINUTES) == 1509513600.0);
  CHECK(parse("2017-11-01T05:20Z", ECS_ISOTIME_MILLIS) == -12345);
  CHECK(parse("1969-12-31T23:59:00Z", 0) == -60.0);
}

static void isotime_rejects_impossible_dates_and_bad_shapes(void) {
  const char *bad[] = {"", "2017-11-01 05:20:01Z", "2017-13-01T05:20:01Z", "2017-02-29T00:00:00Z",
                       "2100-02-29T00:00:00Z", "2017-04-31T00:00:00Z", "2017-11-01T24:00:00Z",
                       "2017-11-01T05:60:00Z", "2017-11-01T05:20:60Z", "2017-11-01T05:20:01",
                       "+017-11-01T05:20:01Z", "2017-11-01T05:2 :01Z", "2017-11-01T05:20:01.5xZ",
                       "2017-11-01T05:20:01+08", NULL};
  double t = 7;
  int i;
  for (i = 0; bad[i]; i++) {
    if (ecs_isotime_parse(bad[i], ECS_ISOTIME_MILLIS | ECS_ISOTIME_MINUTES, &t) == 0)
      ecs_test_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
  }
  CHECK(ecs_isotime_parse(NULL, 0, &t) < 0);
  CHECK(t == 7); /* untouched on failure */
  CHECK(parse("2016-02-29T00:00:00Z", 0) == 1456704000.0); /* leap day */
  CHECK(parse("2000-02-29T00:00:00Z", 0) == 951782400.0);
}

int main(int argc, char **argv) {
  static const ecs_test_case cases[] = {
      {"isotime_parses_the_three_layouts_by_flag", isotime_parses_the_three_layouts_by_flag},
      {"isotime_rejects_impossible_dates_and_bad_shapes",
       isotime_rejects_impossible_dates_and_bad_shapes},
      {NULL, NULL}};
  return ecs_test_main(argc, argv, cases);
}
