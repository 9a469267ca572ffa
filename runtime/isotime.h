/* isotime.h - the one ISO 8601 UTC parser: credential expirations (STS,
 * the aliyun CLI, the metadata service), request Timestamps and the
 * simulator's fleet times all go through it. */
#ifndef ECS_ISOTIME_H
#define ECS_ISOTIME_H

/* What ecs_isotime_parse accepts besides "YYYY-MM-DDThh:mm:ssZ". */
#define ECS_ISOTIME_MILLIS 1u  /* "YYYY-MM-DDThh:mm:ss.sssZ" (the SDK's expirations) */
#define ECS_ISOTIME_MINUTES 2u /* "YYYY-MM-DDThh:mmZ" (the service's ExpiredTime) */

/* Parses s strictly: ASCII digits in every field, only real dates (the day
 * checked against the month, leap years included) and times. Stores the
 * seconds since the epoch (negative before 1970) in *out. Returns 0, or -1
 * for anything else (NULL included; *out untouched). */
int ecs_isotime_parse(const char *s, unsigned flags, double *out);

#endif
