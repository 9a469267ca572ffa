# Regression tests for what the fuzzers (tests/fuzz) found: one case per bug,
# reproducing the failing input. Simulator cases run requests through
# runtime/sim/fuzz_entry.c (no socket), so they link ecs_sim and that file.
ecs_c_test(test_regressions test_regressions.c ${PROJECT_SOURCE_DIR}/runtime/sim/fuzz_entry.c)
target_link_libraries(test_regressions PRIVATE ecs_sim PkgConfig::CJSON)
target_include_directories(test_regressions PRIVATE ${PROJECT_SOURCE_DIR}/runtime/sim)
ecs_c_cases(test_regressions test_regressions.c)
