/* sign.h - Alibaba Cloud request signatures: RPC V1 (HMAC-SHA1) and V3
 * (ACS3-HMAC-SHA256), with mbedTLS. The signers are pure functions (no
 * clock, no randomness: the caller passes the date and nonce in params or
 * headers); the helpers below them are not: ecs_sign_random_hex reads
 * getrandom(2) and ecs_sign_timestamp the clock.
 */
#ifndef ECS_SIGN_H
#define ECS_SIGN_H

#include <stddef.h>
#include "buf.h"

typedef struct ecs_sign_v1_out {
  ecs_buf canonicalized_query; /* k=v&... over every param except Signature */
  ecs_buf string_to_sign;      /* METHOD&%2F&enc(canonicalized_query) */
  char signature[32];          /* base64 HMAC-SHA1, NUL-terminated */
  ecs_buf final_query;         /* canonicalized_query&Signature=enc(signature) */
} ecs_sign_v1_out;

/* Signs params (every parameter, Signature excluded if present) with key
 * secret + "&". method is "GET" or "POST" (any upper-case token).
 * out must be zeroed or freed; on success the caller frees it with
 * ecs_sign_v1_out_free. Returns 0, or -1 (out of memory / mbedTLS failure). */
int ecs_sign_v1(const char *method, const ecs_params *params,
                const char *secret, ecs_sign_v1_out *out);
void ecs_sign_v1_out_free(ecs_sign_v1_out *out);

typedef struct ecs_sign_v3_out {
  ecs_buf canonical_query;     /* sorted, encoded; "" for none */
  ecs_buf canonical_headers;   /* "name:value\n" for host, content-type, x-acs-* */
  ecs_buf signed_headers;      /* "host;x-acs-action;..." */
  char hashed_payload[65];     /* hex sha256(body) */
  ecs_buf canonical_request;
  char hashed_canonical_request[65];
  ecs_buf string_to_sign;      /* "ACS3-HMAC-SHA256\n" + hashed_canonical_request */
  char signature[65];          /* hex HMAC-SHA256 keyed with the raw secret */
  ecs_buf authorization;       /* "ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=.." */
} ecs_sign_v3_out;

/* Signs a V3 request. headers: names in any case; the signed set is host,
 * content-type and every x-acs-* header, names lower-cased, values trimmed,
 * repeated headers joined with ",". pathname NULL means "/". body may be NULL
 * when body_len is 0. Returns 0 or -1. Free out with ecs_sign_v3_out_free. */
int ecs_sign_v3(const char *method, const char *pathname,
                const ecs_params *query, const ecs_params *headers,
                const void *body, size_t body_len,
                const char *access_key_id, const char *secret,
                ecs_sign_v3_out *out);
void ecs_sign_v3_out_free(ecs_sign_v3_out *out);

/* Lower-case hex SHA-256 of data into hex[65]. Returns 0 or -1. */
int ecs_sign_sha256_hex(const void *data, size_t n, char hex[65]);

/* Fills out with n random bytes as 2n lower-case hex characters plus NUL
 * (out must hold 2n+1). Uses getrandom(2). Returns 0 or -1. */
int ecs_sign_random_hex(char *out, size_t n);

/* Current UTC time as "YYYY-MM-DDThh:mm:ssZ" into out[21]. */
void ecs_sign_timestamp(char out[21]);

/* Constant-time comparison of two NUL-terminated strings: 1 if equal. */
int ecs_sign_secure_equal(const char *a, const char *b);


#endif
