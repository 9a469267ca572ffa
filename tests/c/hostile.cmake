# http_hostile: the transport engine against a hostile or broken server (a
# scripted raw-socket thread on 127.0.0.1): time limits, size caps, redirect
# refusal, garbage, connection storms, fd leaks; and insecure_http checked
# through a loopback proxy. One add_test per case; each bounded in time.
ecs_c_test(test_http_hostile test_http_hostile.c scripted_server.c)
target_link_libraries(test_http_hostile PRIVATE Threads::Threads)
ecs_c_cases(test_http_hostile test_http_hostile.c PROPERTIES TIMEOUT 60)
