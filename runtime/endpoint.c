/* endpoint.c - region -> ECS host, as @alicloud/ecs20140526 7.11.6 resolves
 * it (see endpoint.h and ecs-facts §3.3).
 */
#include "endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The ECS client's _endpointMap (ecs20140526/src/client.ts L12-52), verbatim,
 * with the grouped rows of the facts sheet written out one per region. */
static const struct {
  const char *region;
  const char *host;
} endpoint_map[] = {
    {"cn-hangzhou", "ecs-cn-hangzhou.aliyuncs.com"},
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
    {"cn-wuhan", "ecs.aliyuncs.com"},
    {"cn-yushanfang", "ecs.aliyuncs.com"},
    {"cn-zhangbei", "ecs.aliyuncs.com"},
    {"cn-zhangjiakou-na62-a01", "ecs.cn-zhangjiakou.aliyuncs.com"},
    {"cn-zhengzhou-nebula-1", "ecs.cn-qingdao-nebula.aliyuncs.com"},
    {"eu-west-1-oxs", "ecs.cn-shenzhen-cloudstone.aliyuncs.com"},
    {"rus-west-1-pop", "ecs.aliyuncs.com"},
};

/* Longest region or network label accepted; real region ids are < 30. */
#define ECS_LABEL_MAX 63

/* 1 if s is a plausible DNS label for a region or network: 1..63 of
 * [a-z0-9-], not starting or ending with '-'. */
static int plausible_label(const char *s) {
  size_t i, n = strlen(s);
  if (n == 0 || n > ECS_LABEL_MAX || s[0] == '-' || s[n - 1] == '-') return 0;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return 0;
  }
  return 1;
}

/* Map first, then the "regional" rule. The network is only checked when the
 * rule uses it (the map wins over network, as in the SDK), and it must be a
 * plausible label too, since it becomes part of the host name. */
int ecs_endpoint_resolve(const char *region, const char *network, char *out, size_t outlen) {
  size_t i;
  int n;
  if (!out || outlen == 0) return -1;
  out[0] = '\0';
  if (!region || !plausible_label(region)) return -1;
  for (i = 0; i < sizeof endpoint_map / sizeof endpoint_map[0]; i++) {
    if (strcmp(endpoint_map[i].region, region) == 0) {
      n = snprintf(out, outlen, "%s", endpoint_map[i].host);
      goto check;
    }
  }
  if (!network || !*network || strcmp(network, "public") == 0) {
    n = snprintf(out, outlen, "ecs.%s.aliyuncs.com", region);
  } else {
    if (!plausible_label(network)) return -1;
    n = snprintf(out, outlen, "ecs-%s.%s.aliyuncs.com", network, region);
  }
check:
  if (n < 0 || (size_t)n >= outlen) {
    out[0] = '\0';
    return -1;
  }
  return 0;
}

const char *ecs_endpoint_region_from_env(void) {
  static const char *const names[] = {"ALIBABA_CLOUD_REGION_ID", "ALIBABACLOUD_REGION_ID",
                                      "ALICLOUD_REGION_ID", NULL};
  int i;
  for (i = 0; names[i]; i++) {
    const char *v = getenv(names[i]);
    if (v && *v) return v;
  }
  return NULL;
}
