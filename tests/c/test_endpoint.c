/* test_endpoint.c - region -> host exactly as the ECS SDK resolves it. */
#include <stdio.h>
#include <string.h>

#include "endpoint.h"
#include "product.h"
#include "testlib.h"

/* Resolves region/network and compares; want NULL means "must fail". */
static void check_host(const char *region, const char *network, const char *want) {
  char host[256];
  int rc = ecs_endpoint_resolve(region, network, host, sizeof host);
  if (!want) {
    if (rc != -1)
      ecs_test_fail(__FILE__, __LINE__, "region \"%s\" network \"%s\": accepted as %s",
                    region ? region : "(null)", network ? network : "(null)", host);
    CHECK_STR(host, "");
    return;
  }
  if (rc != 0 || strcmp(host, want) != 0)
    ecs_test_fail(__FILE__, __LINE__, "region %s network %s: got rc %d \"%s\", expected %s",
                  region, network ? network : "(null)", rc, host, want);
}

/* Every OBSERVED row of ecs-facts §3.3, and the "public"/"" network forms. */
static void endpoint_resolves_like_the_ecs_sdk(void) {
  check_host("cn-hangzhou", NULL, "ecs-cn-hangzhou.aliyuncs.com");
  check_host("cn-shanghai", NULL, "ecs.cn-shanghai.aliyuncs.com");
  check_host("ap-southeast-1", NULL, "ecs.ap-southeast-1.aliyuncs.com");
  check_host("us-west-1", NULL, "ecs.us-west-1.aliyuncs.com");
  check_host("cn-wuhan", NULL, "ecs.aliyuncs.com");
  check_host("eu-central-1", "vpc", "ecs-vpc.eu-central-1.aliyuncs.com");
  check_host("cn-hangzhou", "vpc", "ecs-cn-hangzhou.aliyuncs.com");
  check_host("cn-shanghai", "", "ecs.cn-shanghai.aliyuncs.com");
  check_host("cn-shanghai", "public", "ecs.cn-shanghai.aliyuncs.com");
  check_host("cn-shanghai", "vpc", "ecs-vpc.cn-shanghai.aliyuncs.com");
}

/* Map rows, the compact groups of the facts sheet expanded included; the
 * map wins over any network. */
static void endpoint_map_entries_win_over_network(void) {
  static const char *const rows[][2] = {
      {"cn-shanghai-finance-1", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-shenzhen-finance-1", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-north-2-gov-1", "ecs.aliyuncs.com"},
      {"ap-northeast-2-pop", "ecs.aliyuncs.com"},
      {"cn-beijing-finance-pop", "ecs.aliyuncs.com"},
      {"cn-beijing-gov-1", "ecs.aliyuncs.com"},
      {"cn-beijing-nu16-b01", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-edge-1", "ecs.cn-qingdao-nebula.aliyuncs.com"},
      {"cn-fujian", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-haidian-cm12-c01", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-hangzhou-bj-b01", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-hangzhou-finance", "ecs.aliyuncs.com"},
      {"cn-hangzhou-internal-prod-1", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-hangzhou-internal-test-1", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-hangzhou-internal-test-2", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-hangzhou-internal-test-3", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-hangzhou-test-306", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-hongkong-finance-pop", "ecs.aliyuncs.com"},
      {"cn-huhehaote-nebula-1", "ecs.cn-qingdao-nebula.aliyuncs.com"},
      {"cn-shanghai-et15-b01", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-shanghai-et2-b01", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-shanghai-internal-test-1", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-shanghai-inner", "ecs.aliyuncs.com"},
      {"cn-shenzhen-inner", "ecs.aliyuncs.com"},
      {"cn-shenzhen-st4-d01", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-shenzhen-su18-b01", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-zhangbei-na61-b01", "ecs-cn-hangzhou.aliyuncs.com"},
      {"cn-yushanfang", "ecs.aliyuncs.com"},
      {"cn-zhangbei", "ecs.aliyuncs.com"},
      {"cn-zhangjiakou-na62-a01", "ecs.cn-zhangjiakou.aliyuncs.com"},
      {"cn-zhengzhou-nebula-1", "ecs.cn-qingdao-nebula.aliyuncs.com"},
      {"eu-west-1-oxs", "ecs.cn-shenzhen-cloudstone.aliyuncs.com"},
      {"rus-west-1-pop", "ecs.aliyuncs.com"},
  };
  size_t i;
  for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    check_host(rows[i][0], NULL, rows[i][1]);
    check_host(rows[i][0], "vpc", rows[i][1]);
  }
  /* near misses of map keys take the regional rule */
  check_host("cn-hangzhou-internal-test-4", NULL, "ecs.cn-hangzhou-internal-test-4.aliyuncs.com");
  check_host("cn-zhangjiakou", NULL, "ecs.cn-zhangjiakou.aliyuncs.com");
}

static void endpoint_rejects_bad_regions(void) {
  char long_region[80];
  memset(long_region, 'a', sizeof long_region - 1);
  long_region[sizeof long_region - 1] = '\0';
  check_host(NULL, NULL, NULL);
  check_host("", NULL, NULL);
  check_host("CN-HANGZHOU", NULL, NULL);
  check_host("cn hangzhou", NULL, NULL);
  check_host("cn-hangzhou.evil.com", NULL, NULL);
  check_host("cn-hangzhou/", NULL, NULL);
  check_host("evil.com#", NULL, NULL);
  check_host("-cn-hangzhou", NULL, NULL);
  check_host("cn-hangzhou-", NULL, NULL);
  check_host("cn_hangzhou", NULL, NULL);
  check_host("\xe4\xb8\xad", NULL, NULL);
  check_host(long_region, NULL, NULL);
  /* the network becomes part of the host name too */
  check_host("eu-central-1", "vpc.evil.com", NULL);
  check_host("eu-central-1", "VPC", NULL);
}

static void endpoint_fails_when_output_is_too_small(void) {
  char host[32];
  memset(host, 'x', sizeof host);
  CHECK_INT(ecs_endpoint_resolve("ap-southeast-1", "vpc", host, 20), -1);
  CHECK_STR(host, "");
  CHECK_INT(ecs_endpoint_resolve("cn-wuhan", NULL, host, 0), -1);
  CHECK_INT(ecs_endpoint_resolve("cn-wuhan", NULL, NULL, 10), -1);
  /* exactly enough room: 16 characters plus NUL */
  CHECK_INT(ecs_endpoint_resolve("cn-wuhan", NULL, host, 17), 0);
  CHECK_STR(host, "ecs.aliyuncs.com");
  CHECK_INT(ecs_endpoint_resolve("cn-wuhan", NULL, host, 16), -1);
}

/* product.c: BSS as the BssOpenApi SDK resolves it, ECS unchanged, other
 * products unknown (-2), and the code/version checks. */
static void products_resolve_like_their_sdks(void) {
  char host[256];
  CHECK_INT(ecs_product_endpoint("bss", "cn-hangzhou", NULL, host, sizeof host), 0);
  CHECK_STR(host, "business.aliyuncs.com");
  CHECK_INT(ecs_product_endpoint("bss", "cn-hongkong", NULL, host, sizeof host), 0);
  CHECK_STR(host, "business.aliyuncs.com");
  CHECK_INT(ecs_product_endpoint("bss", "eu-central-1", NULL, host, sizeof host), 0);
  CHECK_STR(host, "business.ap-southeast-1.aliyuncs.com");
  CHECK_INT(ecs_product_endpoint("bss", NULL, NULL, host, sizeof host), 0);
  CHECK_STR(host, "business.aliyuncs.com");
  CHECK_INT(ecs_product_endpoint("bssopenapi", "ap-southeast-7", NULL, host, sizeof host), 0);
  CHECK_STR(host, "bssopenapi.ap-southeast-7.aliyuncs.com");
  CHECK_INT(ecs_product_endpoint("bss", "ap-southeast-7", "vpc", host, sizeof host), 0);
  CHECK_STR(host, "bssopenapi-vpc.ap-southeast-7.aliyuncs.com");
  CHECK_INT(ecs_product_endpoint("bss", "ap-southeast-7", "vpc.evil.com", host, sizeof host), -1);
  CHECK_INT(ecs_product_endpoint("bss", "cn_hangzhou", NULL, host, sizeof host), -1);
  CHECK_INT(ecs_product_endpoint("bss", NULL, NULL, host, 10), -1);
  CHECK_STR(host, "");
  CHECK_INT(ecs_product_endpoint("ecs", "cn-hangzhou", NULL, host, sizeof host), 0);
  CHECK_STR(host, "ecs-cn-hangzhou.aliyuncs.com");
  CHECK_INT(ecs_product_endpoint(NULL, "cn-shanghai", NULL, host, sizeof host), 0);
  CHECK_STR(host, "ecs.cn-shanghai.aliyuncs.com");
  CHECK_INT(ecs_product_endpoint("ecs", NULL, NULL, host, sizeof host), -1);
  CHECK_INT(ecs_product_endpoint("vpc", "cn-hangzhou", NULL, host, sizeof host), -2);
  CHECK_INT(ecs_product_valid("bss"), 1);
  CHECK_INT(ecs_product_valid("Bss"), 0);
  CHECK_INT(ecs_product_valid("1bss"), 0);
  CHECK_INT(ecs_product_valid(""), 0);
  CHECK_INT(ecs_product_valid("abcdefghijklmnopqrstuvwxyz0123456"), 0); /* 33 */
  CHECK_INT(ecs_product_version_valid("2017-12-14"), 1);
  CHECK_INT(ecs_product_version_valid("2017-12-1"), 0);
  CHECK_INT(ecs_product_version_valid("2017/12/14"), 0);
  CHECK_INT(ecs_product_version_valid(NULL), 0);
  CHECK_STR(ecs_product_default_version("ecs"), "2014-05-26");
  CHECK(ecs_product_default_version("bss") == NULL);
}

int main(int argc, char **argv) {
  static const ecs_test_case cases[] = {
      {"endpoint_resolves_like_the_ecs_sdk", endpoint_resolves_like_the_ecs_sdk},
      {"endpoint_map_entries_win_over_network", endpoint_map_entries_win_over_network},
      {"endpoint_rejects_bad_regions", endpoint_rejects_bad_regions},
      {"endpoint_fails_when_output_is_too_small", endpoint_fails_when_output_is_too_small},
      {"products_resolve_like_their_sdks", products_resolve_like_their_sdks},
      {NULL, NULL}};
  return ecs_test_main(argc, argv, cases);
}
