# Unit tests of runtime/ratelimit.c, the client-side rate limits (qps=).
ecs_c_test(test_ratelimit test_ratelimit.c)
target_link_libraries(test_ratelimit PRIVATE m)
foreach(t
    no_window_ever_holds_more_than_qps
    waits_are_the_time_until_a_slot_frees
    separate_keys_are_independent
    out_of_memory_reserves_nothing_and_recovers)
  add_test(NAME ${t} COMMAND test_ratelimit ${t})
endforeach()
