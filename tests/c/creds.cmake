# creds: static and environment credentials, the aliyun CLI and INI file
# parsers, the External process, and the network providers (STS, metadata
# service, URI) and the default chain against an in-process ecs-sim.
ecs_c_test(test_creds test_creds.c test_sim_util.c)
target_link_libraries(test_creds PRIVATE ecs_sim PkgConfig::CURL PkgConfig::CJSON Threads::Threads)
target_include_directories(test_creds PRIVATE ${PROJECT_SOURCE_DIR}/runtime/sim)
ecs_c_cases(test_creds test_creds.c PROPERTIES TIMEOUT 60)
