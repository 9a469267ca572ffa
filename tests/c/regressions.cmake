# Regression tests for what the fuzzers (tests/fuzz) found: one case per bug,
# reproducing the failing input. Simulator cases run requests through
# runtime/sim/fuzz_entry.c (no socket), so they link ecs_sim and that file.
ecs_c_test(test_regressions test_regressions.c ${PROJECT_SOURCE_DIR}/runtime/sim/fuzz_entry.c)
target_link_libraries(test_regressions PRIVATE ecs_sim PkgConfig::CJSON)
target_include_directories(test_regressions PRIVATE ${PROJECT_SOURCE_DIR}/runtime/sim)
foreach(t
    client_bad_body_excerpt_never_quotes_part_of_the_token
    client_bad_body_content_type_never_quotes_part_of_the_token
    client_api_error_never_quotes_pieces_of_the_token
    client_api_error_never_quotes_short_pieces_of_the_token
    sim_describe_instances_huge_page_number_is_empty
    sim_describe_instance_status_huge_page_number_is_empty
    sim_describe_paging_still_pages
    sim_fleet_error_is_one_line
    sim_fleet_account_without_secret_does_not_leak
    creds_cli_huge_expired_seconds_is_capped)
  add_test(NAME ${t} COMMAND test_regressions ${t})
endforeach()
