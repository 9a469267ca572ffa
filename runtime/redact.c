/* redact.c - the secret-name predicate. */
#include "redact.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const secret_words[] = {
    "password", "passwd", "secret", "token", "privatekey", "passphrase", "credential",
    "authorization", "signature", "apikey", "cookie", NULL};

/* Names that contain a secret word but hold none. */
static const char *const harmless[] = {"NextToken", "ClientToken", NULL};

/* A heap copy of name lower-cased without separators; NULL when out of
 * memory. */
static char *fold(const char *name) {
  char *out = malloc(strlen(name) + 1), *o = out;
  if (!out) return NULL;
  for (; *name; name++) {
    unsigned char c = (unsigned char)*name;
    if (c == '_' || c == '-' || c == '.' || c == ' ') continue;
    *o++ = (char)tolower(c);
  }
  *o = '\0';
  return out;
}

int ecs_redact_is_secret_name(const char *name) {
  char *f;
  const char *last;
  size_t i;
  int secret = 0;
  if (!name) return 0;
  last = strrchr(name, '.');
  last = last ? last + 1 : name;
  for (i = 0; harmless[i]; i++)
    if (strcasecmp(last, harmless[i]) == 0) return 0;
  if (!(f = fold(name))) return 1; /* out of memory: fail closed */
  for (i = 0; secret_words[i] && !secret; i++) secret = strstr(f, secret_words[i]) != NULL;
  free(f);
  return secret;
}
