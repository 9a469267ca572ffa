/* engine_internal.h - what engine.c (calls, transfers) and engine_audit.c
 * (the audit records) share; nobody else includes it. */
#ifndef ECS_ENGINE_INTERNAL_H
#define ECS_ENGINE_INTERNAL_H

#include "engine.h"

struct ecs_audit;
struct ecs_ratelimit;

struct ecs_engine {
  ecs_http *http;
  struct ecs_ratelimit *limits;
  struct ecs_audit *audit;      /* NULL when there is no audit file */
  unsigned long audit_failures; /* lines that could not be written */
  char *audit_error;            /* the last failure's message */
  int dry_run;
  ecs_call *calls;     /* every live call */
  ecs_call *done_head; /* completed, not yet handed back */
};

/* Records the intent of c (a mutating API call) before it is sent. 0, or
 * -1 with c->err set to EAUDIT: then it must not be sent. No file: 0. */
int ecs_engine_audit_intent(ecs_engine *g, ecs_call *c);
/* Records how an audited call ended (body, or e); a failed write is
 * counted in g, not returned. */
void ecs_engine_audit_outcome(ecs_engine *g, const ecs_call *c, const struct cJSON *body,
                              const ecs_error *e);
/* Closes the audit file and forgets its failures' message. */
void ecs_engine_audit_close(ecs_engine *g);

#endif
