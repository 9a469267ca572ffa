# Unit tests of runtime/buf.c: the growable buffer and the string-pair list.
ecs_c_test(test_buf test_buf.c)
ecs_c_cases(test_buf test_buf.c)
