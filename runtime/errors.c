/* errors.c - the error struct (see errors.h). */
#include "errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ecs_error_init(ecs_error *e) {
  memset(e, 0, sizeof *e);
  e->retry_after = -1;
}

void ecs_error_free(ecs_error *e) {
  free(e->code);
  free(e->message);
  free(e->request_id);
  free(e->host_id);
  free(e->recommend);
  free(e->access_denied_detail);
  free(e->action);
  free(e->instance_id);
  ecs_error_init(e);
}

int ecs_error_field(char **field, const char *s) {
  char *d = NULL;
  if (s && !(d = strdup(s))) return -1;
  free(*field);
  *field = d;
  return 0;
}

int ecs_error_set(ecs_error *e, ecs_err_kind kind, const char *code,
                  const char *fmt, ...) {
  va_list ap;
  char msg[1024];
  ecs_error_free(e);
  e->kind = kind;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ecs_error_field(&e->code, code);
  ecs_error_field(&e->message, msg);
  return -1;
}

const char *ecs_err_kind_name(ecs_err_kind k) {
  switch (k) {
    case ECS_KIND_API: return "api";
    case ECS_KIND_THROTTLE: return "throttle";
    case ECS_KIND_TRANSPORT: return "transport";
    case ECS_KIND_CREDENTIALS: return "credentials";
    case ECS_KIND_CONFIG: return "config";
    default: return "none";
  }
}

void ecs_error_move(ecs_error *dst, ecs_error *src) {
  ecs_error_free(dst);
  *dst = *src;
  ecs_error_init(src);
}
