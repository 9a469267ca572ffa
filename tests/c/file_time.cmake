# Unit tests of runtime/file.c (the whole-file reader) and runtime/isotime.c
# (the ISO 8601 parser).
ecs_c_test(test_file test_file.c)
ecs_c_cases(test_file test_file.c)
ecs_c_test(test_isotime test_isotime.c)
ecs_c_cases(test_isotime test_isotime.c)
