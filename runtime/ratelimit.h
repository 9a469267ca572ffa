/* ratelimit.h - client-side rate limits, one per key (the call engine uses
 * product, access key, region and action): for each key the send times of
 * its last `cap` reservations, so that no window of 1 second (1/qps seconds
 * below 1 qps, plus a 2% margin) ever holds more than qps of them.
 * Lua-free; the caller gives the clock (monotonic seconds).
 */
#ifndef ECS_RATELIMIT_H
#define ECS_RATELIMIT_H

typedef struct ecs_ratelimit ecs_ratelimit;

/* A set of limits with no key yet. NULL when out of memory. */
ecs_ratelimit *ecs_ratelimit_new(void);

/* Reserves a send slot for key at qps (> 0) at time now; returns how many
 * seconds to wait before sending (0: now), or -1 when out of memory (then
 * nothing was reserved). The reservation counts at once, so concurrent
 * callers queue up behind each other. A changed qps starts the key over. */
double ecs_ratelimit_reserve(ecs_ratelimit *r, const char *key, double qps, double now);

/* Frees r and every key's ring. NULL is a no-op. */
void ecs_ratelimit_free(ecs_ratelimit *r);

#endif
