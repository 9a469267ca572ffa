/* utf8.c - UTF-8 validation, U+FFFD replacement and one-line escaping. */
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

static int cont(unsigned char c) { return (c & 0xC0) == 0x80; }

size_t ecs_utf8_char_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c >= 0x01 && c <= 0x7F) return 1;
  if (c >= 0xC2 && c <= 0xDF) return n >= 2 && cont(s[1]) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF; /* overlong, surrogates */
    return n >= 3 && s[1] >= lo && s[1] <= hi && cont(s[2]) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF; /* overlong, > U+10FFFF */
    return n >= 4 && s[1] >= lo && s[1] <= hi && cont(s[2]) && cont(s[3]) ? 4 : 0;
  }
  return 0;
}

int ecs_utf8_sanitize(ecs_buf *out, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    size_t k = ecs_utf8_char_len(p + i, n - i);
    if (k == 0) {
      if (ecs_buf_add(out, REPLACEMENT, 3) < 0) return -1;
      i++;
    } else {
      if (ecs_buf_add(out, p + i, k) < 0) return -1;
      i += k;
    }
  }
  return 0;
}

char *ecs_utf8_dup(const char *s) {
  ecs_buf b;
  if (!s) return NULL;
  ecs_buf_init(&b);
  if (ecs_utf8_sanitize(&b, s, strlen(s)) < 0) {
    ecs_buf_free(&b);
    return NULL;
  }
  if (b.len == 0) {
    ecs_buf_free(&b);
    return strdup("");
  }
  return ecs_buf_steal(&b);
}

/* The escape for ASCII byte c, or NULL when it is printed as is. */
static const char *ascii_escape(unsigned char c, char tmp[5]) {
  switch (c) {
  case '\\': return "\\\\";
  case '"': return "\\\"";
  case '\n': return "\\n";
  case '\r': return "\\r";
  case '\t': return "\\t";
  default: break;
  }
  if (c < 0x20 || c == 0x7F) {
    static const char hex[] = "0123456789abcdef";
    tmp[0] = '\\';
    tmp[1] = 'x';
    tmp[2] = hex[c >> 4];
    tmp[3] = hex[c & 15];
    tmp[4] = '\0';
    return tmp;
  }
  return NULL;
}

int ecs_utf8_escape(ecs_buf *out, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  char tmp[8];
  while (i < n) {
    size_t k = p[i] == 0 ? 1 : ecs_utf8_char_len(p + i, n - i);
    const char *esc = NULL;
    int rc;
    if (k == 1) {
      esc = ascii_escape(p[i], tmp);
      rc = esc ? ecs_buf_adds(out, esc) : ecs_buf_add(out, p + i, 1);
    } else if (k == 0) {
      k = 1;
      rc = ecs_buf_add(out, REPLACEMENT, 3);
    } else if (k == 2 && p[i] == 0xC2 && p[i + 1] <= 0x9F) { /* C1 control */
      rc = ecs_buf_addf(out, "\\u00%02x", p[i + 1]);
    } else {
      rc = ecs_buf_add(out, p + i, k);
    }
    if (rc < 0) return -1;
    i += k;
  }
  return 0;
}
