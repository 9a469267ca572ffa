/* old_names.h - TEMPORARY: the pre-issue-11 names of renamed runtime
 * functions, for bindings/lecs*.c until tools/renames.sed has been run over
 * them (they are being rewritten on other branches). Delete this file and
 * its includes (client.h encode.h endpoint.h errors.h redact.h sign.h utf8.h)
 * then; nothing else may use these names. */
#ifndef ECS_OLD_NAMES_H
#define ECS_OLD_NAMES_H

#define ecs_action_is_mutating ecs_client_action_mutating
#define ecs_pct_encode ecs_encode_pct
#define ecs_pct_decode ecs_encode_pct_decode
#define ecs_parse_query ecs_encode_query_parse
#define ecs_canonical_query ecs_encode_canonical_query
#define ecs_flatten ecs_encode_flatten
#define ecs_region_from_env ecs_endpoint_region_from_env
#define ecs_err_kind_name ecs_error_kind_name
#define ecs_is_secret_name ecs_redact_is_secret_name
#define ecs_random_hex ecs_sign_random_hex
#define ecs_secure_equal ecs_sign_secure_equal
#define ecs_sha256_hex ecs_sign_sha256_hex
#define ecs_timestamp ecs_sign_timestamp
#define ecs_text_escape ecs_utf8_escape

#endif
