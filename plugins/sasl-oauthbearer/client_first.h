/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client_first.h - the OAUTHBEARER client first message (RFC 7628 3.1) as
 * Kafka's OAuthBearerClientInitialResponse reads it:
 *
 *     n,[a=authzid],^Aauth=Bearer <token>^A[key=value^A]...^A
 *
 * Keys are letters, values printable ASCII, space, tab, CR, LF; the token
 * is JWS compact characters ([-_.A-Za-z0-9]). Extensions other than auth
 * are accepted and ignored (Kafka passes them to a callback Samsa does not
 * have). Pure parsing: no allocation, results point into the input.
 */
#ifndef SASL_OAUTHBEARER_CLIENT_FIRST_H
#define SASL_OAUTHBEARER_CLIENT_FIRST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct oauth_client_first {
    const char *authzid; /**< NULL when absent */
    size_t authzid_len;
    const char *token; /**< the bearer token */
    size_t token_len;
} oauth_client_first_t;

/** Parse @p len bytes at @p msg. Returns false when malformed. */
bool oauth_client_first_parse(const char *msg, size_t len,
                              oauth_client_first_t *out);

#endif /* SASL_OAUTHBEARER_CLIENT_FIRST_H */
