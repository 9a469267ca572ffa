/* errors.h - the error struct every runtime call fills on failure.
 *
 * Mirrors the Lua `err` table of DESIGN.md. All strings are heap-owned by the
 * struct (NULL when absent); ecs_error_free releases them. Never put a secret
 * (AccessKeySecret, SecurityToken) in any field.
 */
#ifndef ECS_ERRORS_H
#define ECS_ERRORS_H

#include <stddef.h>

typedef enum ecs_err_kind {
  ECS_KIND_NONE = 0,
  ECS_KIND_API,         /* the service answered 4xx/5xx with an error body */
  ECS_KIND_THROTTLE,    /* Throttling* codes */
  ECS_KIND_TRANSPORT,   /* network, TLS, timeouts, unparsable responses */
  ECS_KIND_CREDENTIALS, /* ECREDS */
  ECS_KIND_CONFIG       /* ECONFIG, EDRYRUN, EAUDIT */
} ecs_err_kind;

typedef struct ecs_error {
  ecs_err_kind kind;
  char *code;        /* service code ("IncorrectInstanceStatus") or local E* code */
  char *message;
  char *request_id;
  char *host_id;
  char *recommend;
  char *access_denied_detail; /* AccessDeniedDetail of a permission error, as JSON text */
  char *action;      /* filled by the binding from the call */
  char *instance_id; /* filled by the binding when the call names one */
  int status;        /* HTTP status, 0 when there was no HTTP answer */
  int retryable;
  int ambiguous;     /* the request may have reached the server */
  double retry_after; /* seconds; < 0 when the server gave none */
} ecs_error;

void ecs_error_init(ecs_error *e);
void ecs_error_free(ecs_error *e); /* frees the strings, re-inits */
/* Replaces e's contents: kind, code and a printf-formatted message; other
 * fields reset. Returns -1 always, so callers can `return ecs_error_set(...)`. */
int ecs_error_set(ecs_error *e, ecs_err_kind kind, const char *code,
                  const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Sets one string field (copying s; NULL clears). Returns 0 or -1. */
int ecs_error_field(char **field, const char *s);
/* "api", "throttle", "transport", "credentials", "config" (or "none"). */
const char *ecs_error_kind_name(ecs_err_kind k);
/* Masks with '*', in every text field of e, each piece of secret[0..n)
 * that is ECS_MASK_MIN (8) bytes or longer wherever it is, and a shorter one
 * of 4 bytes or more where a field starts with the secret's end or ends with
 * its start: a lying server may echo a token cut, spliced or truncated, so
 * whole-secret replacement is not enough. Secrets under 4 bytes are left
 * alone. A field longer than ECS_MASK_MAX_FIELD bytes is first cut to that
 * length (the work is field length x secret length). */
#define ECS_MASK_MIN 8
#define ECS_MASK_MAX_FIELD 4096
void ecs_error_mask_secret(ecs_error *e, const char *secret, size_t n);
/* Moves src into dst (dst freed first); src is left empty. */
void ecs_error_move(ecs_error *dst, ecs_error *src);


#endif
