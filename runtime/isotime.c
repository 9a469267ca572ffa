/* isotime.c - the ISO 8601 UTC parser (see isotime.h). A parser: it reads
 * one fixed layout field by field. */
#include "isotime.h"

#include <string.h>
#include <time.h>

/* n ASCII digits at s as a number, or -1 (no blanks, no signs). */
static int digits(const char *s, int n) {
  int v = 0, i;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

static int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : d[m - 1];
}

int ecs_isotime_parse(const char *s, unsigned flags, double *out) {
  struct tm tm;
  size_t n = s ? strlen(s) : 0;
  int y, mo, d, h, mi, se = 0, ms = 0;
  int full = n == 20 || (n == 24 && (flags & ECS_ISOTIME_MILLIS));
  if (!full && !(n == 17 && (flags & ECS_ISOTIME_MINUTES))) return -1;
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[n - 1] != 'Z' ||
      (full && s[16] != ':') || (n == 24 && s[19] != '.'))
    return -1;
  y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
  h = digits(s + 11, 2), mi = digits(s + 14, 2);
  if (full && (se = digits(s + 17, 2)) < 0) return -1;
  if (n == 24 && (ms = digits(s + 20, 3)) < 0) return -1;
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h < 0 || h > 23 ||
      mi < 0 || mi > 59 || se > 59)
    return -1;
  memset(&tm, 0, sizeof tm);
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  *out = (double)timegm(&tm) + ms / 1000.0;
  return 0;
}
