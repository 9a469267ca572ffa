/* redact.h - which names hold secrets: the one predicate the audit writer
 * and the logs (through the Lua binding) use to keep values out of records.
 */
#ifndef ECS_REDACT_H
#define ECS_REDACT_H

/* What a secret-named value is recorded as. */
#define ECS_REDACTED "[redacted]"

/* Is a parameter or field called name secret? Case-insensitive, ignoring
 * '_', '-', '.' and spaces, the name contains one of: password, passwd,
 * secret, token, privatekey, passphrase, credential, authorization,
 * signature, apikey, cookie. Exception: when the last dot-separated part
 * of name is NextToken or ClientToken (a page cursor and an idempotency
 * key, needed to read a record). NULL is not secret; out of memory is. */
int ecs_redact_is_secret_name(const char *name);


#endif
