# http_hostile: the transport engine against a hostile or broken server (a
# scripted raw-socket thread on 127.0.0.1): time limits, size caps, redirect
# refusal, garbage, connection storms, fd leaks; and insecure_http checked
# through a loopback proxy. One add_test per case; each bounded in time.
ecs_c_test(test_http_hostile test_http_hostile.c scripted_server.c)
target_link_libraries(test_http_hostile PRIVATE Threads::Threads)
foreach(t
    hostile_server_dripping_the_head_times_out_within_the_timeout
    hostile_server_dripping_the_body_times_out_within_the_timeout
    hostile_server_stalling_the_tls_handshake_hits_the_connect_timeout
    hostile_server_with_endless_header_lines_is_cut_at_the_header_cap
    hostile_server_with_one_endless_header_line_fails_without_hoarding
    hostile_server_with_endless_chunked_body_is_cut_at_the_cap
    hostile_server_redirect_is_not_followed
    hostile_server_sending_garbage_is_a_transport_error
    hostile_server_closing_before_the_promised_length_is_a_reset
    hostile_server_connection_storm_fails_every_request_and_leaks_no_fd
    insecure_http_lifts_the_refusal_and_honours_a_loopback_proxy)
  add_test(NAME ${t} COMMAND test_http_hostile ${t})
  set_tests_properties(${t} PROPERTIES TIMEOUT 60)
endforeach()
