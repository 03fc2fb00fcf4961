/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jwt.h - a signed JWT (JWS compact serialization, RFC 7515/7519) checked
 * as Kafka's OAuthBearerValidatorCallbackHandler checks it: an RS256/384/
 * 512 or ES256/384/512 signature by a configured key (by kid when the
 * header names one), exp present and not passed, nbf and iat not in the
 * future (both with the clock skew), the subject claim present, and the
 * audience, issuer and required scopes when configured. "none" and HMAC
 * algorithms are refused. JSON through jansson, signatures through OpenSSL.
 */
#ifndef SASL_OAUTHBEARER_JWT_H
#define SASL_OAUTHBEARER_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keys.h"

typedef struct jwt_policy {
    const oauth_keys_t *keys;
    const char *const *audience; /**< accepted audiences; none: any */
    size_t audience_count;
    const char *issuer;       /**< NULL: any */
    const char *sub_claim;    /**< "sub" */
    const char *scope_claim;  /**< "scope": a space-separated string or an
                                   array of strings */
    const char *const *scope; /**< scopes the token must all carry */
    size_t scope_count;
    int64_t clock_skew_ms;
} jwt_policy_t;

typedef struct jwt_result {
    char principal[256]; /**< the subject claim */
    int64_t expiry_ms;   /**< exp, ms since the epoch */
    char error[400];     /**< why it was refused, for the client */
    bool unknown_kid;    /**< refused: no key has the header's kid */
} jwt_result_t;

/** Check @p token (@p len bytes) at wall-clock @p now_ms. 0 when valid;
 *  -1 with res->error set. */
int jwt_verify(const char *token, size_t len, const jwt_policy_t *policy,
               int64_t now_ms, jwt_result_t *res);

/** The structure only (three parts, base64url, JSON objects, alg): what
 *  the fuzz target drives. 0 or -1 with res->error. */
int jwt_parse_only(const char *token, size_t len, jwt_result_t *res);

#endif /* SASL_OAUTHBEARER_JWT_H */
