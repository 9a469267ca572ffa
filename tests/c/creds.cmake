# creds: static and environment credentials, the aliyun CLI and INI file
# parsers, the External process, and the network providers (STS, metadata
# service, URI) and the default chain against an in-process ecs-sim.
ecs_c_test(test_creds test_creds.c test_sim_util.c)
target_link_libraries(test_creds PRIVATE ecs_sim PkgConfig::CURL PkgConfig::CJSON Threads::Threads)
target_include_directories(test_creds PRIVATE ${PROJECT_SOURCE_DIR}/runtime/sim)
foreach(t
    env_with_key_pair_gives_env_credentials
    env_aliases_of_the_aliyun_cli_are_honoured_in_order
    absent_env_returns_one_and_default_fails_with_ecreds
    half_set_env_is_ecreds_without_the_value
    set_copy_and_free_handle_static_credentials
    expiration_times_parse_in_the_sdk_formats_only
    sts_endpoint_follows_region_env_and_override
    cli_config_modes_build_their_providers
    cli_config_failures_name_the_profile_and_mode
    ini_types_build_their_providers_and_reject_others
    external_process_runs_without_shell_with_timeout
    sts_assume_role_keys_are_accepted_until_they_expire
    sts_refusals_are_reported_without_secrets
    imds_v2_v1_fallback_and_unknown_role
    chain_is_sticky_and_refreshes_once_when_stale
    chain_failure_lists_each_provider_and_is_remembered
    fleet_roles_and_metadata_are_validated
    readable_credentials_file_is_warned_about_once
    iso_times_reject_impossible_dates
    plain_http_credential_endpoints_are_econfig_before_connecting
    explicit_profile_wins_over_env_and_unknown_one_is_ecreds)
  add_test(NAME ${t} COMMAND test_creds ${t})
  set_tests_properties(${t} PROPERTIES TIMEOUT 60)
endforeach()
