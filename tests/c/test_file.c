/* test_file.c - runtime/file.c: the whole-file reader. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "testlib.h"

static void file_read_gives_the_whole_file_nul_terminated(void) {
  char path[] = "/tmp/ecs_test_fileXXXXXX";
  int fd = mkstemp(path);
  ecs_buf b = {0};
  static char big[20000];
  CHECK(fd >= 0);
  memset(big, 'k', sizeof big);
  CHECK(write(fd, big, sizeof big) == (ssize_t)sizeof big);
  close(fd);
  CHECK_INT(ecs_file_read(path, sizeof big, &b), 0);
  CHECK_INT(b.len, sizeof big);
  CHECK(b.data[b.len] == '\0' && b.data[19999] == 'k');
  ecs_buf_wipe(&b);
  CHECK_INT(ecs_file_read(path, sizeof big - 1, &b), ECS_FILE_TOO_LARGE);
  CHECK(b.data == NULL && b.len == 0);
  CHECK_INT(ecs_file_read("/dev/zero", 1 << 20, &b), ECS_FILE_TOO_LARGE); /* never read whole */
  fd = open(path, O_TRUNC | O_WRONLY);
  close(fd);
  CHECK_INT(ecs_file_read(path, 10, &b), 0); /* empty: "" */
  CHECK(b.data != NULL && b.len == 0);
  ecs_buf_free(&b);
  unlink(path);
}

static void file_read_failures_set_errno(void) {
  ecs_buf b = {0};
  CHECK_INT(ecs_file_read("/nonexistent/ecs/file", 10, &b), -1);
  CHECK_INT(errno, ENOENT);
  CHECK_INT(ecs_file_read("/tmp", 10, &b), -1); /* a directory opens, then fails to read */
  CHECK(errno != 0 && errno != ENOENT);
  CHECK(b.data == NULL);
}

int main(int argc, char **argv) {
  static const ecs_test_case cases[] = {
      {"file_read_gives_the_whole_file_nul_terminated",
       file_read_gives_the_whole_file_nul_terminated},
      {"file_read_failures_set_errno", file_read_failures_set_errno},
      {NULL, NULL}};
  return ecs_test_main(argc, argv, cases);
}
