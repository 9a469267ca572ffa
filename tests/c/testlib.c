/* testlib.c - see testlib.h. */
#include "testlib.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int ecs_test_failures;

void ecs_test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "%s:%d: FAILED ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  ecs_test_failures++;
}

int ecs_test_main(int argc, char **argv, const ecs_test_case *cases) {
  const ecs_test_case *c;
  int ran = 0, failed = 0;
  if (argc > 1 && strcmp(argv[1], "--list") == 0) {
    for (c = cases; c->name; c++) printf("%s\n", c->name);
    return 0;
  }
  for (c = cases; c->name; c++) {
    int before = ecs_test_failures;
    if (argc > 1 && strcmp(argv[1], c->name) != 0) continue;
    c->fn();
    ran++;
    if (ecs_test_failures != before) failed++;
    printf("%s %s\n", ecs_test_failures != before ? "not ok" : "ok", c->name);
  }
  if (ran == 0) {
    fprintf(stderr, "no test case named %s\n", argc > 1 ? argv[1] : "(any)");
    return 2;
  }
  return failed ? 1 : 0;
}

char *ecs_test_read_file(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  char *buf = NULL;
  long len;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
      (buf = malloc((size_t)len + 1)) != NULL) {
    if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
      free(buf);
      buf = NULL;
    } else {
      buf[len] = '\0';
      if (n) *n = (size_t)len;
    }
  }
  fclose(f);
  return buf;
}

const char *ecs_test_vector_path(const char *name) {
  static char path[4096];
  const char *dir = getenv("ECS_VECTORS_DIR");
#ifdef ECS_SOURCE_DIR
  if (!dir) dir = ECS_SOURCE_DIR "/tests/vectors";
#endif
  if (!dir) dir = "tests/vectors";
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return path;
}
