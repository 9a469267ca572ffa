# http and client: the transport engine (its tests talk to a scripted TCP
# server on 127.0.0.1), request building and answer parsing. Credentials are
# in creds.cmake.
# One add_test per case, named as the sentence the case checks.
ecs_c_test(test_http test_http.c scripted_server.c)
target_link_libraries(test_http PRIVATE Threads::Threads)
foreach(t
    many_concurrent_transfers_complete_through_one_engine
    sequential_requests_reuse_one_keepalive_connection
    response_headers_are_collected_lower_cased
    request_is_sent_without_content_type_or_expect
    silent_server_times_out_as_ambiguous
    server_closing_after_request_is_an_ambiguous_reset
    refused_connection_is_econnect_and_not_ambiguous
    endless_body_is_cut_at_the_cap_with_etoobig
    announced_oversized_body_is_etoobig
    https_to_a_plain_server_is_etls_and_not_retryable
    plain_http_to_remote_host_is_refused_before_connecting
    plain_http_to_loopback_names_is_allowed
    freeing_the_engine_aborts_transfers_without_callbacks
    client_request_round_trips_through_loopback_server)
  add_test(NAME ${t} COMMAND test_http ${t})
endforeach()
ecs_c_test(test_client test_client.c)
foreach(t
    v3_prepare_builds_the_sdk_request_and_signature_verifies
    v3_host_header_carries_non_default_port_only
    v3_sts_adds_accesskey_and_token_headers
    v1_prepare_query_carries_all_params_and_signature_verifies
    v1_sts_adds_security_token_param
    two_prepares_use_different_nonces
    region_comes_from_argument_then_params_then_config
    missing_region_and_endpoint_is_econfig
    bad_endpoint_or_region_is_econfig
    other_products_carry_their_version_and_endpoint
    missing_credentials_are_ecreds
    timeouts_and_transfer_settings_are_copied
    finish_returns_the_body_of_a_200
    finish_maps_a_403_api_error_with_all_fields
    finish_maps_throttling_with_retry_after
    finish_marks_500_internal_error_retryable
    finish_marks_a_reused_nonce_ambiguous
    finish_turns_an_html_503_into_ejson
    finish_turns_truncated_json_into_ejson
    finish_copies_transport_errors
    finish_never_echoes_the_security_token
    mutating_actions_are_told_apart_from_reads
    json_check_limits_nesting_and_values
    finish_refuses_8mib_of_empty_arrays_in_bounded_memory
    finish_refuses_8mib_of_nesting_in_bounded_memory
    finish_marks_a_5xx_to_a_mutating_call_ambiguous
    a_retry_carries_the_sdk_retry_headers
    finish_keeps_access_denied_detail_objects_only)
  add_test(NAME ${t} COMMAND test_client ${t})
endforeach()
