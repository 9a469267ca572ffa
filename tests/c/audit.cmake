# Unit tests of runtime/audit.c (the audit file writer), runtime/utf8.c and
# runtime/redact.c (what keeps records valid and secret-free).
ecs_c_test(test_audit test_audit.c)
target_link_libraries(test_audit PRIVATE PkgConfig::CJSON)
foreach(t
    utf8_sanitize_replaces_each_invalid_byte
    text_escape_gives_one_printable_line
    secret_names_match_case_and_separators_and_spare_cursors
    audit_lines_carry_the_run_id_and_sequence
    audit_lines_are_valid_utf8_json_without_secrets
    failed_write_is_eaudit_naming_the_file_and_errno)
  add_test(NAME ${t} COMMAND test_audit ${t})
endforeach()
