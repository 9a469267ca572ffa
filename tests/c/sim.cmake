# The ECS simulator's tests: every case starts an in-process ecs-sim on
# 127.0.0.1:0 and speaks real HTTP to it with libcurl.
ecs_c_test(test_sim test_sim.c test_sim_util.c)
target_link_libraries(test_sim PRIVATE ecs_sim PkgConfig::CURL PkgConfig::CJSON Threads::Threads)
target_include_directories(test_sim PRIVATE ${PROJECT_SOURCE_DIR}/runtime/sim)
foreach(case
    v1_get_query_is_accepted v1_post_form_body_is_accepted v3_post_is_accepted
    sdk_wire_capture_v3_is_accepted tampered_signature_is_rejected replayed_nonce_is_rejected
    stale_timestamp_is_rejected unknown_key_is_rejected sts_token_rules
    reactivate_errors_have_documented_codes reactivate_moves_stopped_to_starting_then_running
    describe_instances_filters_and_pages describe_instance_status_and_regions_answer
    throttling_answers_with_retry_after throttling_without_retry_after_when_told
    request_log_records_retry_attempts faults_error_n_times_then_success
    fault_reset_closes_without_answer fault_apply_changes_state_before_reset
    fault_malformed_and_html503 sim_state_has_no_secrets bad_fleets_name_the_field
    duplicate_keys_are_refused_at_any_depth fleets_over_the_size_cap_are_refused
    stop_is_prompt_with_hung_connection latency_does_not_block_other_connections
    throughput_over_keep_alive_is_reported)
  add_test(NAME sim_${case} COMMAND test_sim ${case})
  set_tests_properties(sim_${case} PROPERTIES TIMEOUT 60
    ENVIRONMENT "ECS_VECTORS_DIR=${ECS_VECTORS_DIR}")
endforeach()
