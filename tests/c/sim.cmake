# The ECS simulator's tests: every case starts an in-process ecs-sim on
# 127.0.0.1:0 and speaks real HTTP to it with libcurl.
ecs_c_test(test_sim test_sim.c test_sim_util.c)
target_link_libraries(test_sim PRIVATE ecs_sim PkgConfig::CURL PkgConfig::CJSON Threads::Threads)
target_include_directories(test_sim PRIVATE ${PROJECT_SOURCE_DIR}/runtime/sim)
ecs_c_cases(test_sim test_sim.c PREFIX sim_ PROPERTIES TIMEOUT 60
  ENVIRONMENT "ECS_VECTORS_DIR=${ECS_VECTORS_DIR}")
