/* product.h - which Alibaba Cloud RPC product a client talks to: its short
 * code, API version and endpoint, resolved as the official SDKs do.
 */
#ifndef ECS_PRODUCT_H
#define ECS_PRODUCT_H

#include <stddef.h>

/* 1 when code is a plausible product code: 1..32 of [a-z0-9-], starting
 * with a letter ("ecs", "bss", "vpc"). */
int ecs_product_valid(const char *code);

/* 1 when v is an RPC API version "YYYY-MM-DD" (digits). */
int ecs_product_version_valid(const char *v);

/* The version a product uses when none is given: "2014-05-26" for ECS (and
 * NULL/"" as ECS), NULL for any other product (it needs an explicit one). */
const char *ecs_product_default_version(const char *code);

/* 1 for ECS (NULL or "" or "ecs"): the product whose calls get the client's
 * region as RegionId and whose host needs a region. */
int ecs_product_is_ecs(const char *code);

/* Writes the host (no scheme) for product code in region into out:
 *  ecs: ecs_endpoint_resolve (a region is required);
 *  bss (alias bssopenapi, BssOpenApi 2017-12-14): the SDK's endpoint map
 *    (Chinese mainland and Hong Kong regions -> business.aliyuncs.com,
 *    international ones -> business.ap-southeast-1.aliyuncs.com), another
 *    region -> the SDK's regional rule bssopenapi[-network].<region>.aliyuncs.com,
 *    no region -> business.aliyuncs.com (the China site's endpoint).
 * Returns 0; -1 for a bad region/network or out too small; -2 when the
 * product's endpoint is not known (the caller must give one). */
int ecs_product_endpoint(const char *code, const char *region, const char *network,
                         char *out, size_t outlen);

#endif
