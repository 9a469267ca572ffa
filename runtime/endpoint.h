/* endpoint.h - region -> ECS host name, as the official ECS SDK resolves it. */
#ifndef ECS_ENDPOINT_H
#define ECS_ENDPOINT_H

#include <stddef.h>

/* Writes the host for region into out (no scheme):
 *  1. the SDK's endpoint map (cn-hangzhou -> ecs-cn-hangzhou.aliyuncs.com, ...);
 *  2. else "ecs[-network].<region>.aliyuncs.com" (network NULL/""/"public"
 *     adds nothing, "vpc" gives ecs-vpc.<region>...).
 * Returns 0, or -1 when region is empty or not a plausible region id
 * (only [a-z0-9-]), or when out is too small. */
int ecs_endpoint_resolve(const char *region, const char *network, char *out,
                         size_t outlen);

/* The default region from the environment, as the aliyun CLI reads it
 * (ecs-facts 6.2): ALIBABA_CLOUD_REGION_ID, else ALIBABACLOUD_REGION_ID,
 * else ALICLOUD_REGION_ID; the first non-empty one, or NULL. The CLI's bare
 * REGION_ID and REGION are not read: names that generic are often set for
 * other tools. */
const char *ecs_endpoint_region_from_env(void);


#endif
