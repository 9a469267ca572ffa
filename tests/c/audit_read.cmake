# Unit tests of runtime/audit_read.c (reading an audit file back: pairing
# outcomes with intents, damaged lines, file errors).
ecs_c_test(test_audit_read test_audit_read.c)
target_link_libraries(test_audit_read PRIVATE PkgConfig::CJSON)
ecs_c_cases(test_audit_read test_audit_read.c)
