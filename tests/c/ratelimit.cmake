# Unit tests of runtime/ratelimit.c, the client-side rate limits (qps=).
ecs_c_test(test_ratelimit test_ratelimit.c)
target_link_libraries(test_ratelimit PRIVATE m)
ecs_c_cases(test_ratelimit test_ratelimit.c)
