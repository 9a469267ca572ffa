/* test_ratelimit.c - the client-side rate limits (runtime/ratelimit.c).
 *
 * ratelimit.c is compiled into this file with calloc and strdup routed
 * through counters, so that the out-of-memory paths can be reached.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static int alloc_left = -1; /* allocations that succeed before failing; -1: all */

static int alloc_ok(void) {
  if (alloc_left == 0) return 0;
  if (alloc_left > 0) alloc_left--;
  return 1;
}
static void *t_calloc(size_t n, size_t s) { return alloc_ok() ? calloc(n, s) : NULL; }
static char *t_strdup(const char *s) { return alloc_ok() ? strdup(s) : NULL; }

#define calloc t_calloc
#define strdup t_strdup
#include "ratelimit.c"
#undef calloc
#undef strdup

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

/* Most sends found in any window [s, s + len) that starts at a send. */
static int busiest_window(const double *sends, int n, double len) {
  int i, j, most = 0;
  for (i = 0; i < n; i++) {
    int k = 0;
    for (j = 0; j < n; j++)
      if (sends[j] >= sends[i] && sends[j] < sends[i] + len) k++;
    if (k > most) most = k;
  }
  return most;
}

/* Bursts and trickles at several rates: whatever the arrivals, no window
 * of 1 second (1/qps below 1 qps) holds more than qps sends. */
static void no_window_ever_holds_more_than_qps(void) {
  static const double rates[] = {1, 3, 10, 0.5};
  size_t q;
  for (q = 0; q < sizeof rates / sizeof *rates; q++) {
    ecs_ratelimit *r = ecs_ratelimit_new();
    double sends[300], now = 100, qps = rates[q];
    int i;
    for (i = 0; i < 300; i++) {
      double w;
      now += (i % 7 == 0) ? 0.37 : (i % 5 == 0 ? 1.3 : 0.01); /* bursts with gaps */
      w = ecs_ratelimit_reserve(r, "k", qps, now);
      CHECK(w >= 0);
      sends[i] = now + w;
    }
    if (qps >= 1) CHECK(busiest_window(sends, 300, 1.0) <= (int)qps);
    else CHECK(busiest_window(sends, 300, 1.0 / qps) <= 1);
    CHECK(busiest_window(sends, 300, 1.0) >= (qps >= 1 ? (int)qps : 1)); /* not over-strict */
    ecs_ratelimit_free(r);
  }
}

/* The waits: qps free slots at once, then the oldest send plus the window
 * (1 s + 2%), queued behind earlier reservations; below 1 qps one send per
 * 1/qps s (+ 2%). */
static void waits_are_the_time_until_a_slot_frees(void) {
  ecs_ratelimit *r = ecs_ratelimit_new();
  CHECK(NEAR(ecs_ratelimit_reserve(r, "k", 2, 10.0), 0));
  CHECK(NEAR(ecs_ratelimit_reserve(r, "k", 2, 10.0), 0));
  CHECK(NEAR(ecs_ratelimit_reserve(r, "k", 2, 10.0), 1.02));
  CHECK(NEAR(ecs_ratelimit_reserve(r, "k", 2, 10.5), 0.52));
  CHECK(NEAR(ecs_ratelimit_reserve(r, "k", 2, 10.5), 1.54));
  CHECK(NEAR(ecs_ratelimit_reserve(r, "k", 2, 20.0), 0)); /* long idle: free again */
  CHECK(NEAR(ecs_ratelimit_reserve(r, "slow", 0.5, 0), 0));
  CHECK(NEAR(ecs_ratelimit_reserve(r, "slow", 0.5, 1), 1.04));
  CHECK(NEAR(ecs_ratelimit_reserve(r, "slow", 0.5, 1), 3.08));
  ecs_ratelimit_free(r);
}

/* A key at its limit holds back no other key. */
static void separate_keys_are_independent(void) {
  ecs_ratelimit *r = ecs_ratelimit_new();
  int i;
  for (i = 0; i < 5; i++) ecs_ratelimit_reserve(r, "ecs\nak\ncn-hangzhou\nStartInstance", 1, 0);
  CHECK(ecs_ratelimit_reserve(r, "ecs\nak\ncn-hangzhou\nStartInstance", 1, 0) > 4);
  CHECK(NEAR(ecs_ratelimit_reserve(r, "ecs\nak\ncn-beijing\nStartInstance", 1, 0), 0));
  CHECK(NEAR(ecs_ratelimit_reserve(r, "ecs\nak2\ncn-hangzhou\nStartInstance", 1, 0), 0));
  CHECK(NEAR(ecs_ratelimit_reserve(r, "bss\nak\ncn-hangzhou\nStartInstance", 1, 0), 0));
  ecs_ratelimit_free(r);
}

/* Out of memory: -1 and nothing reserved; the limits work on afterwards,
 * including a key whose qps change could not be applied. */
static void out_of_memory_reserves_nothing_and_recovers(void) {
  ecs_ratelimit *r;
  int k;
  alloc_left = 0;
  CHECK(ecs_ratelimit_new() == NULL);
  alloc_left = -1;
  r = ecs_ratelimit_new();
  for (k = 0; k < 3; k++) { /* the limit, its key, its ring */
    alloc_left = k;
    CHECK(ecs_ratelimit_reserve(r, "a", 1, 0) == -1);
  }
  alloc_left = -1;
  CHECK(NEAR(ecs_ratelimit_reserve(r, "a", 1, 0), 0)); /* the failures reserved nothing */
  CHECK(NEAR(ecs_ratelimit_reserve(r, "a", 1, 0), 1.02));
  alloc_left = 0; /* qps 1 -> 3 needs a new ring */
  CHECK(ecs_ratelimit_reserve(r, "a", 3, 0.5) == -1);
  alloc_left = -1;
  CHECK(NEAR(ecs_ratelimit_reserve(r, "a", 1, 0.5), 1.54)); /* the old limit stands */
  CHECK(NEAR(ecs_ratelimit_reserve(r, "a", 3, 0.5), 0));   /* a new qps starts over */
  ecs_ratelimit_free(r);
  ecs_ratelimit_free(NULL);
}

int main(int argc, char **argv) {
  static const ecs_test_case cases[] = {
      {"no_window_ever_holds_more_than_qps", no_window_ever_holds_more_than_qps},
      {"waits_are_the_time_until_a_slot_frees", waits_are_the_time_until_a_slot_frees},
      {"separate_keys_are_independent", separate_keys_are_independent},
      {"out_of_memory_reserves_nothing_and_recovers", out_of_memory_reserves_nothing_and_recovers},
      {NULL, NULL}};
  return ecs_test_main(argc, argv, cases);
}
