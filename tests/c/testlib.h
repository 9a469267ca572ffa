/* testlib.h - a minimal harness for the C unit tests.
 *
 * Each test executable lists its cases; `exe NAME` runs one case (that is how
 * ctest calls them, one add_test per case), `exe` alone runs all of them,
 * `exe --list` prints the case names, one a line (tests/c/check_cases.cmake
 * compares them with the ctests CMake registered from the source).
 * A failed CHECK prints file:line and the expression, and the case fails.
 */
#ifndef ECS_TESTLIB_H
#define ECS_TESTLIB_H

#include <stddef.h>
#include <string.h>

typedef void (*ecs_test_fn)(void);
typedef struct ecs_test_case {
  const char *name;
  ecs_test_fn fn;
} ecs_test_case;

extern int ecs_test_failures;

void ecs_test_fail(const char *file, int line, const char *fmt, ...);

#define CHECK(c) \
  do { if (!(c)) ecs_test_fail(__FILE__, __LINE__, "CHECK(%s)", #c); } while (0)
#define CHECK_STR(a, b) \
  do { const char *a_ = (a), *b_ = (b); \
       if (!a_ || !b_ || strcmp(a_, b_) != 0) \
         ecs_test_fail(__FILE__, __LINE__, "%s == %s\n  got:      %s\n  expected: %s", \
                       #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
#define CHECK_INT(a, b) \
  do { long long a_ = (long long)(a), b_ = (long long)(b); \
       if (a_ != b_) ecs_test_fail(__FILE__, __LINE__, "%s == %s (got %lld, expected %lld)", \
                                   #a, #b, a_, b_); } while (0)

/* Runs the case named argv[1], or all; lists them for --list. Returns the process exit status. */
int ecs_test_main(int argc, char **argv, const ecs_test_case *cases);
/* Reads a whole file (NUL-terminated); NULL on failure. Caller frees. */
char *ecs_test_read_file(const char *path, size_t *n);
/* Path of a test data file: $ECS_VECTORS_DIR/name, else tests/vectors/name
 * relative to the source tree (compiled in as ECS_SOURCE_DIR). Static buffer. */
const char *ecs_test_vector_path(const char *name);

#endif
