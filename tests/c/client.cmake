# http and client: the transport engine (its tests talk to a scripted TCP
# server on 127.0.0.1), request building and answer parsing. Credentials are
# in creds.cmake.
ecs_c_test(test_http test_http.c scripted_server.c)
target_link_libraries(test_http PRIVATE Threads::Threads)
ecs_c_cases(test_http test_http.c)
ecs_c_test(test_client test_client.c)
ecs_c_cases(test_client test_client.c)
