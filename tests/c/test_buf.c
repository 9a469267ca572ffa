/* test_buf.c - runtime/buf.c: the growable buffer (growth, append, printf,
 * huge sizes, the empty view, reset/free/steal/wipe) and the string-pair
 * list every request is built from. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "testlib.h"

static void empty_buffer_reads_as_empty_string_never_null(void) {
  ecs_buf z = {0}, b;
  char *s;
  CHECK_STR(ecs_buf_cstr(&z), "");
  ecs_buf_init(&b);
  CHECK_STR(ecs_buf_cstr(&b), "");
  CHECK_INT(b.len, 0);
  ecs_buf_reset(&b); /* reset of a never-allocated buffer is harmless */
  CHECK_STR(ecs_buf_cstr(&b), "");
  CHECK(ecs_buf_add(&b, "", 0) == 0);
  CHECK_STR(ecs_buf_cstr(&b), "");
  CHECK_INT(b.len, 0);
  ecs_buf_free(&b);
  CHECK_STR(ecs_buf_cstr(&b), "");
  s = ecs_buf_steal(&b); /* stealing an empty buffer still gives a heap "" */
  CHECK(s != NULL);
  CHECK_STR(s, "");
  free(s);
}

static void appends_grow_the_buffer_and_keep_it_nul_terminated(void) {
  ecs_buf b;
  size_t i, last_cap = 0;
  int grew = 0;
  ecs_buf_init(&b);
  for (i = 0; i < 10000; i++) {
    CHECK(ecs_buf_addc(&b, (char)('a' + i % 26)) == 0);
    CHECK(b.cap > b.len);
    CHECK(b.data[b.len] == '\0');
    if (b.cap != last_cap) grew++, last_cap = b.cap;
  }
  CHECK_INT(b.len, 10000);
  CHECK(grew > 1 && grew < 16); /* doubling, not one realloc per byte */
  CHECK(b.data[0] == 'a' && b.data[25] == 'z' && b.data[26] == 'a');
  CHECK(b.data[9999] == (char)('a' + 9999 % 26));
  CHECK(ecs_buf_adds(&b, "XYZ") == 0);
  CHECK(ecs_buf_add(&b, "12\0" "34", 5) == 0); /* embedded NUL is data */
  CHECK_INT(b.len, 10008);
  CHECK(memcmp(b.data + 10000, "XYZ12\0" "34", 8) == 0);
  ecs_buf_free(&b);
  CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
}

static void addf_formats_like_printf_on_both_paths(void) {
  ecs_buf b;
  char big[300];
  ecs_buf_init(&b);
  /* The fast path: text, %s and %% only. */
  CHECK(ecs_buf_addf(&b, "%s=%s 100%%;", "Name", "value") == 0);
  CHECK_STR(ecs_buf_cstr(&b), "Name=value 100%;");
  /* More than 8 strings, a number, a NULL string: vsnprintf does them. */
  ecs_buf_reset(&b);
  CHECK(ecs_buf_addf(&b, "%s%s%s%s%s%s%s%s%s", "1", "2", "3", "4", "5", "6", "7", "8", "9") == 0);
  CHECK_STR(ecs_buf_cstr(&b), "123456789");
  ecs_buf_reset(&b);
  CHECK(ecs_buf_addf(&b, "n=%d x=%04x %.2s", -42, 255, "abc") == 0);
  CHECK_STR(ecs_buf_cstr(&b), "n=-42 x=00ff ab");
  /* Output longer than the first allocation, appended after what is there. */
  memset(big, 'q', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  CHECK(ecs_buf_addf(&b, "[%s]", big) == 0);
  CHECK_INT(b.len, strlen("n=-42 x=00ff ab") + 2 + 299);
  CHECK(b.data[b.len - 1] == ']' && b.data[b.len] == '\0');
  CHECK(ecs_buf_addf(&b, "%d", 7) == 0);
  CHECK(b.data[b.len - 1] == '7');
  ecs_buf_free(&b);
}

static void huge_sizes_fail_and_leave_the_buffer_usable(void) {
  ecs_buf b;
  ecs_buf_init(&b);
  CHECK(ecs_buf_adds(&b, "keep") == 0);
  /* Sizes that would overflow len + n + 1 are refused before any realloc. */
  CHECK_INT(ecs_buf_add(&b, "x", SIZE_MAX), -1);
  CHECK_INT(ecs_buf_add(&b, "x", SIZE_MAX - 2), -1);
  CHECK_INT(ecs_buf_add(&b, "x", SIZE_MAX / 2), -1);
  CHECK_STR(ecs_buf_cstr(&b), "keep");
  CHECK_INT(b.len, 4);
  CHECK(ecs_buf_adds(&b, "!") == 0);
  CHECK_STR(ecs_buf_cstr(&b), "keep!");
  ecs_buf_free(&b);
}

static void reset_keeps_the_allocation_and_steal_hands_it_over(void) {
  ecs_buf b;
  char *data, *s;
  size_t cap;
  ecs_buf_init(&b);
  CHECK(ecs_buf_adds(&b, "some text") == 0);
  data = b.data;
  cap = b.cap;
  ecs_buf_reset(&b);
  CHECK_INT(b.len, 0);
  CHECK(b.data == data && b.cap == cap);
  CHECK_STR(ecs_buf_cstr(&b), "");
  CHECK(ecs_buf_adds(&b, "again") == 0);
  s = ecs_buf_steal(&b);
  CHECK_STR(s, "again");
  CHECK(b.data == NULL && b.len == 0 && b.cap == 0);
  free(s);
  /* wipe zeroes then frees; the buffer is empty and valid again. */
  CHECK(ecs_buf_adds(&b, "secret") == 0);
  ecs_buf_wipe(&b);
  CHECK(b.data == NULL && b.len == 0);
  CHECK(ecs_buf_adds(&b, "reuse") == 0);
  CHECK_STR(ecs_buf_cstr(&b), "reuse");
  ecs_buf_wipe(&b);
  ecs_buf_wipe(&b); /* twice, and on an empty buffer, is fine */
}

static void zeroize_clears_every_byte(void) {
  char s[16] = "0123456789abcde";
  size_t i;
  int zero = 1;
  ecs_zeroize(s, sizeof s);
  for (i = 0; i < sizeof s; i++) zero &= s[i] == 0;
  CHECK(zero);
  ecs_zeroize(NULL, 4); /* NULL and 0 are no-ops */
  ecs_zeroize(s, 0);
  ecs_free_secret(NULL);
  {
    char *h = malloc(8);
    CHECK(h != NULL);
    if (h) {
      memcpy(h, "secret", 7);
      ecs_free_secret(h);
    }
  }
}

static void params_keep_order_set_replace_and_sort_stably(void) {
  ecs_params p, c;
  ecs_params_init(&p);
  CHECK(ecs_params_add(&p, "B", "1") == 0);
  CHECK(ecs_params_add(&p, "A", NULL) == 0); /* NULL value is stored as "" */
  CHECK(ecs_params_add(&p, "B", "2") == 0);
  CHECK(ecs_params_addn(&p, "Cxx", 1, "3yy", 1) == 0);
  CHECK_INT(p.n, 4);
  CHECK_STR(ecs_params_get(&p, "A"), "");
  CHECK_STR(ecs_params_get(&p, "B"), "1"); /* the first of its name */
  CHECK_STR(ecs_params_get(&p, "C"), "3");
  CHECK(ecs_params_get(&p, "b") == NULL);
  CHECK_STR(ecs_params_geti(&p, "b"), "1");
  CHECK(ecs_params_set(&p, "B", "one") == 0);
  CHECK(ecs_params_set(&p, "D", "4") == 0);
  CHECK_STR(ecs_params_get(&p, "B"), "one");
  CHECK_INT(p.n, 5);
  ecs_params_sort(&p);
  CHECK_STR(p.v[0].name, "A");
  CHECK_STR(p.v[1].value, "one"); /* the two B stay in their order */
  CHECK_STR(p.v[2].value, "2");
  CHECK_STR(p.v[4].name, "D");
  CHECK(ecs_params_copy(&c, &p) == 0);
  ecs_params_del(&p, "B");
  CHECK_INT(p.n, 3);
  CHECK(ecs_params_get(&p, "B") == NULL);
  CHECK_INT(c.n, 5); /* the copy is deep */
  CHECK_STR(ecs_params_get(&c, "B"), "one");
  ecs_params_wipe(&c);
  CHECK(c.n == 0 && c.v == NULL);
  ecs_params_free(&p);
  CHECK(p.n == 0 && p.v == NULL);
  for (int i = 0; i < 100; i++) CHECK(ecs_params_add(&p, "k", "v") == 0); /* grows */
  CHECK_INT(p.n, 100);
  ecs_params_free(&p);
}

int main(int argc, char **argv) {
  static const ecs_test_case cases[] = {
      {"empty_buffer_reads_as_empty_string_never_null",
       empty_buffer_reads_as_empty_string_never_null},
      {"appends_grow_the_buffer_and_keep_it_nul_terminated",
       appends_grow_the_buffer_and_keep_it_nul_terminated},
      {"addf_formats_like_printf_on_both_paths", addf_formats_like_printf_on_both_paths},
      {"huge_sizes_fail_and_leave_the_buffer_usable", huge_sizes_fail_and_leave_the_buffer_usable},
      {"reset_keeps_the_allocation_and_steal_hands_it_over",
       reset_keeps_the_allocation_and_steal_hands_it_over},
      {"zeroize_clears_every_byte", zeroize_clears_every_byte},
      {"params_keep_order_set_replace_and_sort_stably",
       params_keep_order_set_replace_and_sort_stably},
      {NULL, NULL}};
  return ecs_test_main(argc, argv, cases);
}
