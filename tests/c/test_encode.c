/* test_encode.c - percent-encoding, decoding, query parsing, canonical
 * queries and RepeatList flattening.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "testlib.h"

/* Checks ecs_encode_pct / ecs_encode_pct_decode on one NUL-terminated input. */
static void check_encode(const char *in, const char *want) {
  ecs_buf b;
  ecs_buf_init(&b);
  CHECK(ecs_encode_pct(&b, in, strlen(in)) == 0);
  CHECK_STR(ecs_buf_cstr(&b), want);
  ecs_buf_free(&b);
}

static void check_decode(const char *in, int plus, const char *want) {
  ecs_buf b;
  ecs_buf_init(&b);
  CHECK(ecs_encode_pct_decode(&b, in, strlen(in), plus) == 0);
  CHECK_STR(ecs_buf_cstr(&b), want);
  ecs_buf_free(&b);
}

/* The verified outputs of ecs-facts §1.2, and every byte value 0..255:
 * exactly the unreserved set stays literal, all else is upper-case %XY. */
static void encode_is_strict_rfc3986(void) {
  ecs_buf b;
  int c;
  check_encode("a b*c~d!'()+/:=&", "a%20b%2Ac~d%21%27%28%29%2B%2F%3A%3D%26");
  check_encode("[\"i-1\",\"i-2\"]", "%5B%22i-1%22%2C%22i-2%22%5D");
  check_encode("\xe4\xb8\xad", "%E4%B8%AD"); /* 中 */
  check_encode("\xf0\x9f\x98\x80", "%F0%9F%98%80");
  check_encode("", "");
  check_encode("AZaz09-_.~", "AZaz09-_.~");
  check_encode("%", "%25");
  ecs_buf_init(&b);
  for (c = 0; c < 256; c++) {
    char in = (char)c, want[4];
    int unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    ecs_buf_reset(&b);
    CHECK(ecs_encode_pct(&b, &in, 1) == 0);
    if (unreserved) snprintf(want, sizeof want, "%c", c);
    else snprintf(want, sizeof want, "%%%02X", c);
    if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
      ecs_test_fail(__FILE__, __LINE__, "byte 0x%02X encoded wrong", c);
  }
  /* appends, does not overwrite; embedded NUL is a byte like any other */
  ecs_buf_reset(&b);
  CHECK(ecs_buf_adds(&b, "x=") == 0);
  CHECK(ecs_encode_pct(&b, "a\0b", 3) == 0);
  CHECK_STR(ecs_buf_cstr(&b), "x=a%00b");
  ecs_buf_free(&b);
}

/* What SDKs put on the wire decodes to what they signed: Node's
 * querystring leaves ! ' ( ) * ~ raw, forms may use '+' for space. */
static void decode_reverses_sdk_wire_encoding(void) {
  ecs_buf enc, dec;
  int c;
  check_decode("x%20y!'()~", 0, "x y!'()~");
  check_decode("i-bp****", 0, "i-bp****");
  check_decode("web-*%20(%E6%B5%8B%E8%AF%95)%20a%2Bb!%27~", 0,
               "web-* (\xe6\xb5\x8b\xe8\xaf\x95) a+b!'~");
  check_decode("a+b", 0, "a+b");
  check_decode("a+b", 1, "a b");
  check_decode("a%2Bb", 1, "a+b");
  check_decode("%e4%b8%ad", 0, "\xe4\xb8\xad"); /* lower-case hex too */
  /* malformed escapes stay literal */
  check_decode("%", 0, "%");
  check_decode("%4", 0, "%4");
  check_decode("100%", 0, "100%");
  check_decode("%zz%4g%G4", 0, "%zz%4g%G4");
  check_decode("%%41", 0, "%A");
  /* decode(encode(x)) == x over every byte */
  ecs_buf_init(&enc);
  ecs_buf_init(&dec);
  for (c = 0; c < 256; c++) {
    char in = (char)c;
    CHECK(ecs_encode_pct(&enc, &in, 1) == 0);
  }
  CHECK(ecs_encode_pct_decode(&dec, enc.data, enc.len, 1) == 0);
  CHECK_INT(dec.len, 256);
  for (c = 0; c < 256 && dec.len == 256; c++) CHECK_INT((unsigned char)dec.data[c], c);
  ecs_buf_free(&enc);
  ecs_buf_free(&dec);
}

static void parse_query_splits_and_decodes(void) {
  ecs_params p;
  const char *q = "a=1&b=x%20y&&c&d=&=v&e=a=b&f=1+2&a=2&";
  ecs_params_init(&p);
  CHECK(ecs_encode_query_parse(&p, q, strlen(q), 0) == 0);
  CHECK_INT(p.n, 8);
  if (p.n == 8) {
    CHECK_STR(p.v[0].name, "a"); CHECK_STR(p.v[0].value, "1");
    CHECK_STR(p.v[1].name, "b"); CHECK_STR(p.v[1].value, "x y");
    CHECK_STR(p.v[2].name, "c"); CHECK_STR(p.v[2].value, "");
    CHECK_STR(p.v[3].name, "d"); CHECK_STR(p.v[3].value, "");
    CHECK_STR(p.v[4].name, ""); CHECK_STR(p.v[4].value, "v");
    CHECK_STR(p.v[5].name, "e"); CHECK_STR(p.v[5].value, "a=b");
    CHECK_STR(p.v[6].name, "f"); CHECK_STR(p.v[6].value, "1+2");
    CHECK_STR(p.v[7].name, "a"); CHECK_STR(p.v[7].value, "2");
  }
  ecs_params_free(&p);
  /* form body: '+' is a space, names are decoded too */
  q = "Tag.1.Key=%E7%8E%AF%E5%A2%83&Instance%4eame=a+b";
  CHECK(ecs_encode_query_parse(&p, q, strlen(q), 1) == 0);
  CHECK_INT(p.n, 2);
  CHECK_STR(ecs_params_get(&p, "Tag.1.Key"), "\xe7\x8e\xaf\xe5\xa2\x83");
  CHECK_STR(ecs_params_get(&p, "InstanceName"), "a b");
  /* only n bytes are read; an empty input adds nothing */
  CHECK(ecs_encode_query_parse(&p, "x=1&y=2", 3, 0) == 0);
  CHECK(ecs_encode_query_parse(&p, "", 0, 0) == 0);
  CHECK_INT(p.n, 3);
  CHECK_STR(ecs_params_get(&p, "x"), "1");
  CHECK(ecs_params_get(&p, "y") == NULL);
  ecs_params_free(&p);
}

static void canonical_query_sorts_a_copy_and_encodes(void) {
  ecs_params p;
  ecs_buf out;
  ecs_params_init(&p);
  ecs_buf_init(&out);
  CHECK(ecs_encode_canonical_query(&out, &p) == 0);
  CHECK_STR(ecs_buf_cstr(&out), "");
  CHECK(ecs_params_add(&p, "zeta", "1") == 0);
  CHECK(ecs_params_add(&p, "Name", "a b*") == 0);
  CHECK(ecs_params_add(&p, "Empty", NULL) == 0);
  CHECK(ecs_params_add(&p, "Tag.1.Key", "\xe4\xb8\xad") == 0);
  CHECK(ecs_params_add(&p, "Alpha", "~") == 0);
  CHECK(ecs_encode_canonical_query(&out, &p) == 0);
  CHECK_STR(ecs_buf_cstr(&out), "Alpha=~&Empty=&Name=a%20b%2A&Tag.1.Key=%E4%B8%AD&zeta=1");
  CHECK_STR(p.v[0].name, "zeta"); /* input order kept */
  CHECK_STR(p.v[4].name, "Alpha");
  ecs_params_free(&p);
  ecs_buf_free(&out);
}

/* 1 when the flat pairs in p equal the JSON map want (order aside). */
static int same_flat(const char *what, const ecs_params *p, const cJSON *want) {
  const cJSON *it;
  int ok = 1;
  if ((size_t)cJSON_GetArraySize(want) != p->n) {
    ecs_test_fail(__FILE__, __LINE__, "%s: %zu pairs, expected %d", what, p->n,
                  cJSON_GetArraySize(want));
    ok = 0;
  }
  cJSON_ArrayForEach(it, want) {
    const char *got = ecs_params_get(p, it->string);
    if (!got || !it->valuestring || strcmp(got, it->valuestring) != 0) {
      ecs_test_fail(__FILE__, __LINE__, "%s: %s got %s, expected %s", what, it->string,
                    got ? got : "(missing)", it->valuestring ? it->valuestring : "?");
      ok = 0;
    }
  }
  return ok;
}

/* Every flat_params_examples entry: ecs_encode_flatten gives openapi-core's
 * OpenApiUtil.query() result (what the ECS client signs) and, wherever
 * pop-core's flatParams agrees with it, pop-core's canonicalized string. */
static void flatten_matches_sdk_repeatlist_examples(void) {
  size_t n = 0;
  char *text = ecs_test_read_file(ecs_test_vector_path("signature-v1.json"), &n);
  cJSON *root = text ? cJSON_ParseWithLength(text, n) : NULL;
  const cJSON *ex, *examples = cJSON_GetObjectItemCaseSensitive(
                       cJSON_GetObjectItemCaseSensitive(root, "flat_params_examples"), "examples");
  int checked = 0, matched = 0, popcore_same = 0;
  free(text);
  CHECK(root != NULL);
  cJSON_ArrayForEach(ex, examples) {
    const char *desc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ex, "description"));
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(ex, "openapi_core_query_flat");
    const cJSON *pop = cJSON_GetObjectItemCaseSensitive(ex, "pop_core_flat");
    ecs_params p;
    ecs_buf canon;
    ecs_params_init(&p);
    ecs_buf_init(&canon);
    checked++;
    CHECK(ecs_encode_flatten(&p, NULL, cJSON_GetObjectItemCaseSensitive(ex, "input")) == 0);
    matched += same_flat(desc, &p, want);
    if (cJSON_Compare(want, pop, 1)) {
      popcore_same++;
      CHECK(ecs_encode_canonical_query(&canon, &p) == 0);
      CHECK_STR(ecs_buf_cstr(&canon), cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                                          ex, "pop_core_canonicalized")));
    }
    ecs_buf_free(&canon);
    ecs_params_free(&p);
  }
  printf("# flatten: %d examples checked, %d matched, pop-core agrees on %d\n", checked,
         matched, popcore_same);
  CHECK(checked > 0);
  CHECK_INT(checked, cJSON_GetArraySize(examples));
  CHECK_INT(matched, checked);
  CHECK(popcore_same > 0);
  cJSON_Delete(root);
}

/* Names, nesting and scalars: a name prefixes everything, numbers print as
 * JavaScript's String(n), top-level arrays without a name count from 1. */
static void flatten_handles_names_and_scalars(void) {
  static const struct { const char *json, *want; } nums[] = {
      {"40", "40"}, {"-3", "-3"}, {"1.5", "1.5"}, {"0.1", "0.1"}, {"100.0", "100"},
      {"1e21", "1e+21"}, {"123456789012345680000", "123456789012345680000"},
      {"1e-7", "1e-7"}, {"0.000001", "0.000001"}, {"-0.0", "0"}, {"2.5e-10", "2.5e-10"},
      {"9007199254740993", "9007199254740992"}, {NULL, NULL}};
  ecs_params p;
  cJSON *j;
  int i;
  ecs_params_init(&p);
  j = cJSON_Parse("{\"InstanceIds\":[\"i-1\",\"i-2\"],\"Filter\":{\"Key\":\"k\",\"On\":false},"
                  "\"Skip\":null,\"Empty\":{}}");
  CHECK(ecs_encode_flatten(&p, "Req", j) == 0);
  cJSON_Delete(j);
  CHECK_INT(p.n, 4);
  CHECK_STR(ecs_params_get(&p, "Req.InstanceIds.1"), "i-1");
  CHECK_STR(ecs_params_get(&p, "Req.InstanceIds.2"), "i-2");
  CHECK_STR(ecs_params_get(&p, "Req.Filter.Key"), "k");
  CHECK_STR(ecs_params_get(&p, "Req.Filter.On"), "false");
  ecs_params_free(&p);

  j = cJSON_Parse("[\"a\",[\"b\"]]");
  CHECK(ecs_encode_flatten(&p, "", j) == 0);
  cJSON_Delete(j);
  CHECK_STR(ecs_params_get(&p, "1"), "a");
  CHECK_STR(ecs_params_get(&p, "2.1"), "b");
  ecs_params_free(&p);

  j = cJSON_Parse("\"x y\"");
  CHECK(ecs_encode_flatten(&p, "InstanceName", j) == 0);
  CHECK(ecs_encode_flatten(&p, "Nothing", cJSON_GetObjectItem(j, "missing")) == 0); /* NULL value */
  cJSON_Delete(j);
  CHECK_INT(p.n, 1);
  CHECK_STR(ecs_params_get(&p, "InstanceName"), "x y");
  ecs_params_free(&p);

  for (i = 0; nums[i].json; i++) {
    j = cJSON_Parse(nums[i].json);
    CHECK(j != NULL);
    CHECK(ecs_encode_flatten(&p, "N", j) == 0);
    cJSON_Delete(j);
    CHECK_STR(ecs_params_get(&p, "N"), nums[i].want);
    ecs_params_free(&p);
  }
}

int main(int argc, char **argv) {
  static const ecs_test_case cases[] = {
      {"encode_is_strict_rfc3986", encode_is_strict_rfc3986},
      {"decode_reverses_sdk_wire_encoding", decode_reverses_sdk_wire_encoding},
      {"parse_query_splits_and_decodes", parse_query_splits_and_decodes},
      {"canonical_query_sorts_a_copy_and_encodes", canonical_query_sorts_a_copy_and_encodes},
      {"flatten_matches_sdk_repeatlist_examples", flatten_matches_sdk_repeatlist_examples},
      {"flatten_handles_names_and_scalars", flatten_handles_names_and_scalars},
      {NULL, NULL}};
  return ecs_test_main(argc, argv, cases);
}
