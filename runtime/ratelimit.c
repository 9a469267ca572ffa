/* ratelimit.c - per-key send-time rings (see ratelimit.h). */
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

/* One key's limit: the times of its last `cap` reservations, a ring whose
 * newest entry is at head-1, kept in ascending order. */
typedef struct limit {
  struct limit *next;
  char *key;
  double *ring;
  int cap, head, count;
} limit;

struct ecs_ratelimit {
  limit *limits;
};

ecs_ratelimit *ecs_ratelimit_new(void) { return calloc(1, sizeof(ecs_ratelimit)); }

void ecs_ratelimit_free(ecs_ratelimit *r) {
  if (!r) return;
  while (r->limits) {
    limit *l = r->limits;
    r->limits = l->next;
    free(l->key);
    free(l->ring);
    free(l);
  }
  free(r);
}

/* The limit of key with room for cap sends, made (or started over when its
 * cap changed) as needed. NULL when out of memory. */
static limit *find_limit(ecs_ratelimit *r, const char *key, int cap) {
  limit *l;
  for (l = r->limits; l; l = l->next)
    if (strcmp(l->key, key) == 0) break;
  if (l && l->cap != cap) { /* qps changed: start over */
    double *ring = calloc((size_t)cap, sizeof *ring);
    if (!ring) return NULL;
    free(l->ring);
    l->ring = ring;
    l->cap = cap;
    l->head = l->count = 0;
  }
  if (!l) {
    l = calloc(1, sizeof *l);
    if (!l || !(l->key = strdup(key)) || !(l->ring = calloc((size_t)cap, sizeof *l->ring))) {
      if (l) free(l->key);
      free(l);
      return NULL;
    }
    l->cap = cap;
    l->next = r->limits;
    r->limits = l;
  }
  return l;
}

double ecs_ratelimit_reserve(ecs_ratelimit *r, const char *key, double qps, double now) {
  limit *l;
  int cap = (int)qps;
  double window = 1.0, t = now;
  if (cap < 1) { /* below 1 qps: one request per 1/qps seconds */
    cap = 1;
    window = 1.0 / qps;
  }
  /* Margin for arrival jitter at the server, whose windows are fixed: a
   * request delayed by up to 2% of the window (20 ms at 1 s) on its way
   * still lands in a window with no more than qps others. Costs 2% of the
   * allowance. */
  window *= 1.02;
  if (!(l = find_limit(r, key, cap))) return -1;
  if (l->count == l->cap) {
    double oldest = l->ring[l->head]; /* the cap-th most recent send */
    if (oldest + window > t) t = oldest + window;
  } else {
    l->count++;
  }
  if (l->count > 1) { /* keep the ring ordered: never before the newest */
    double newest = l->ring[(l->head + l->cap - 1) % l->cap];
    if (newest > t) t = newest;
  }
  l->ring[l->head] = t;
  l->head = (l->head + 1) % l->cap;
  return t - now;
}
