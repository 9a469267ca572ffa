# tools/renames.sed - issue 11's renames of runtime functions to ecs_<module>_<verb>.
# Safe on any file: whole identifiers only (GNU sed \b), no new name is an old one.
# Usage: sed -i -f tools/renames.sed FILE...
s/\becs_creds_dup\b/ecs_str_dup/g
s/\becs_action_is_mutating\b/ecs_client_action_mutating/g
s/\becs_cli_profile_load\b/ecs_creds_cli_load/g
s/\becs_cli_profile_region\b/ecs_creds_cli_region/g
s/\becs_ini_profile_load\b/ecs_creds_ini_load/g
s/\becs_external_fetch\b/ecs_creds_external_fetch/g
s/\becs_imds_fetch\b/ecs_creds_imds_fetch/g
s/\becs_uri_fetch\b/ecs_creds_uri_fetch/g
s/\becs_sts_assume\b/ecs_creds_sts_assume/g
s/\becs_src_new\b/ecs_creds_src_new/g
s/\becs_src_free\b/ecs_creds_src_free/g
s/\becs_src_get\b/ecs_creds_src_get/g
s/\becs_pct_encode\b/ecs_encode_pct/g
s/\becs_pct_decode\b/ecs_encode_pct_decode/g
s/\becs_parse_query\b/ecs_encode_query_parse/g
s/\becs_canonical_query\b/ecs_encode_canonical_query/g
s/\becs_flatten\b/ecs_encode_flatten/g
s/\becs_region_from_env\b/ecs_endpoint_region_from_env/g
s/\becs_err_kind_name\b/ecs_error_kind_name/g
s/\becs_is_secret_name\b/ecs_redact_is_secret_name/g
s/\becs_random_hex\b/ecs_sign_random_hex/g
s/\becs_secure_equal\b/ecs_sign_secure_equal/g
s/\becs_sha256_hex\b/ecs_sign_sha256_hex/g
s/\becs_timestamp\b/ecs_sign_timestamp/g
s/\becs_text_escape\b/ecs_utf8_escape/g
