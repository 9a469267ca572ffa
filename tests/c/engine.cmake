# The call engine (runtime/engine.c) without Lua: dry run, the audit trail
# (and its refusal when a line cannot be written), rate-limit reservations,
# discarding calls in flight, raw transfers; against an in-process ecs-sim.
ecs_c_test(test_engine test_engine.c test_sim_util.c)
target_link_libraries(test_engine PRIVATE ecs_sim PkgConfig::CURL PkgConfig::CJSON Threads::Threads)
target_include_directories(test_engine PRIVATE ${PROJECT_SOURCE_DIR}/runtime/sim)
ecs_c_cases(test_engine test_engine.c PREFIX engine_ PROPERTIES TIMEOUT 60)
