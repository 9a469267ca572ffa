# Unit tests of runtime/audit.c (the audit file writer), runtime/utf8.c and
# runtime/redact.c (what keeps records valid and secret-free).
ecs_c_test(test_audit test_audit.c)
target_link_libraries(test_audit PRIVATE PkgConfig::CJSON)
ecs_c_cases(test_audit test_audit.c)
