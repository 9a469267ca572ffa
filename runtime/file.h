/* file.h - reading a whole file: the one reader the credential files, the
 * OIDC token, the simulator's fleet and its TLS PEM files go through. */
#ifndef ECS_FILE_H
#define ECS_FILE_H

#include <stddef.h>

#include "buf.h"

/* Appends the whole file at path to out (NUL-terminated), reading at most
 * max bytes. Files may hold secrets: the read buffer is wiped, and on any
 * failure out is wiped and left empty. Returns 0; ECS_FILE_TOO_LARGE when
 * the file holds more than max bytes (it is not read further: /dev/zero is
 * safe); or -1 with errno set (ENOENT for a missing file, EIO when a read
 * failed without errno). */
#define ECS_FILE_TOO_LARGE (-2)
int ecs_file_read(const char *path, size_t max, ecs_buf *out);

#endif
