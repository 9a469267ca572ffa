/* product.c - product code -> default version and endpoint host (see
 * product.h). Only products whose endpoint rules were read from the official
 * SDK are resolved; any other needs an explicit endpoint.
 */
#include "product.h"

#include <stdio.h>
#include <string.h>

#include "endpoint.h"

#define ECS_API_VERSION_DEFAULT "2014-05-26"

/* BssOpenApi 2017-12-14 _endpointMap (alibabacloud_bssopenapi20171214
 * client.py): every region below maps to the international endpoint; the
 * map's other rows (cn-*, cn-hongkong...) all map to business.aliyuncs.com. */
static const char *const bss_intl[] = {
    "ap-northeast-1", "ap-northeast-2-pop", "ap-south-1", "ap-southeast-1",
    "ap-southeast-2", "ap-southeast-3", "ap-southeast-5", "eu-central-1",
    "eu-west-1", "eu-west-1-oxs", "me-east-1", "rus-west-1-pop",
    "us-east-1", "us-west-1", NULL};
static const char *const bss_china[] = {
    "cn-beijing", "cn-beijing-finance-1", "cn-beijing-finance-pop", "cn-beijing-gov-1",
    "cn-beijing-nu16-b01", "cn-chengdu", "cn-edge-1", "cn-fujian", "cn-haidian-cm12-c01",
    "cn-hangzhou", "cn-hangzhou-bj-b01", "cn-hangzhou-finance", "cn-hangzhou-internal-prod-1",
    "cn-hangzhou-internal-test-1", "cn-hangzhou-internal-test-2",
    "cn-hangzhou-internal-test-3", "cn-hangzhou-test-306", "cn-hongkong",
    "cn-hongkong-finance-pop", "cn-huhehaote", "cn-north-2-gov-1", "cn-qingdao",
    "cn-qingdao-nebula", "cn-shanghai", "cn-shanghai-et15-b01", "cn-shanghai-et2-b01",
    "cn-shanghai-finance-1", "cn-shanghai-inner", "cn-shanghai-internal-test-1",
    "cn-shenzhen", "cn-shenzhen-finance-1", "cn-shenzhen-inner", "cn-shenzhen-st4-d01",
    "cn-shenzhen-su18-b01", "cn-wuhan", "cn-yushanfang", "cn-zhangbei-na61-b01",
    "cn-zhangjiakou", "cn-zhangjiakou-na62-a01", "cn-zhengzhou-nebula-1", NULL};

static int in_list(const char *const *l, const char *s) {
  for (; *l; l++)
    if (strcmp(*l, s) == 0) return 1;
  return 0;
}

/* 1..max of [a-z0-9-], first a letter (lead) or any (region), not ending in '-'. */
static int label_ok(const char *s, size_t max, int lead_letter) {
  size_t i, n = s ? strlen(s) : 0;
  if (n == 0 || n > max || s[0] == '-' || s[n - 1] == '-') return 0;
  if (lead_letter && !(s[0] >= 'a' && s[0] <= 'z')) return 0;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return 0;
  }
  return 1;
}

int ecs_product_valid(const char *code) { return label_ok(code, 32, 1); }

int ecs_product_version_valid(const char *v) {
  static const char shape[] = "dddd-dd-dd";
  size_t i;
  if (!v || strlen(v) != sizeof shape - 1) return 0;
  for (i = 0; shape[i]; i++)
    if (shape[i] == 'd' ? !(v[i] >= '0' && v[i] <= '9') : v[i] != '-') return 0;
  return 1;
}

int ecs_product_is_ecs(const char *code) { return !code || !*code || strcmp(code, "ecs") == 0; }

const char *ecs_product_default_version(const char *code) {
  return ecs_product_is_ecs(code) ? ECS_API_VERSION_DEFAULT : NULL;
}

static int put(char *out, size_t outlen, const char *fmt, const char *a, const char *b) {
  int n = snprintf(out, outlen, fmt, a, b);
  if (n < 0 || (size_t)n >= outlen) {
    out[0] = '\0';
    return -1;
  }
  return 0;
}

/* BssOpenApi: map, else the regional rule, else (no region) the China site. */
static int bss_endpoint(const char *region, const char *network, char *out, size_t outlen) {
  if (!region || !*region) return put(out, outlen, "%sbusiness.aliyuncs.com", "", "");
  if (!label_ok(region, 63, 0)) return -1;
  if (in_list(bss_intl, region)) return put(out, outlen, "%sbusiness.ap-southeast-1.aliyuncs.com", "", "");
  if (in_list(bss_china, region)) return put(out, outlen, "%sbusiness.aliyuncs.com", "", "");
  if (!network || !*network || strcmp(network, "public") == 0)
    return put(out, outlen, "bssopenapi.%s.aliyuncs.com%s", region, "");
  if (!label_ok(network, 63, 0)) return -1;
  return put(out, outlen, "bssopenapi-%s.%s.aliyuncs.com", network, region);
}

int ecs_product_endpoint(const char *code, const char *region, const char *network,
                         char *out, size_t outlen) {
  if (!out || outlen == 0) return -1;
  out[0] = '\0';
  if (ecs_product_is_ecs(code)) return ecs_endpoint_resolve(region, network, out, outlen);
  if (strcmp(code, "bss") == 0 || strcmp(code, "bssopenapi") == 0)
    return bss_endpoint(region, network, out, outlen);
  return -2;
}
