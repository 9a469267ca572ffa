# Unit tests of runtime/encode.c, runtime/sign.c and runtime/endpoint.c.
# One executable per module; one ctest per case, named as a sentence.
ecs_c_test(test_encode test_encode.c)
ecs_c_cases(test_encode test_encode.c)

ecs_c_test(test_sign test_sign.c)
ecs_c_cases(test_sign test_sign.c)

ecs_c_test(test_endpoint test_endpoint.c)
ecs_c_cases(test_endpoint test_endpoint.c)
