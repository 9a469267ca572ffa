/* file.c - reading a whole file (see file.h). */
#include "file.h"

#include <errno.h>
#include <stdio.h>

int ecs_file_read(const char *path, size_t max, ecs_buf *out) {
  FILE *f = fopen(path, "rb");
  char chunk[8192];
  size_t got, start = out->len;
  int rc = 0, err = 0;
  if (!f) return -1;
  errno = 0;
  while (rc == 0 && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (out->len - start + got > max) rc = ECS_FILE_TOO_LARGE;
    else if (ecs_buf_add(out, chunk, got) < 0) rc = -1, err = ENOMEM;
  }
  if (rc == 0 && ferror(f)) rc = -1, err = errno ? errno : EIO;
  ecs_zeroize(chunk, sizeof chunk); /* may have held key bytes */
  fclose(f);
  if (rc != 0) {
    ecs_buf_wipe(out);
    if (rc == -1) errno = err;
  } else if (!out->data && ecs_buf_add(out, "", 0) < 0) {
    return -1; /* an empty file still gives a NUL-terminated "" */
  }
  return rc;
}
