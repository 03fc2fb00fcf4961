/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: what the sasl-oauthbearer plugin reads from a client
 * before any key is involved (plugins/sasl-oauthbearer): the RFC 7628
 * client first message, the JWT inside it (three base64url parts, JSON
 * header and claims, alg) and, for inputs that are not a client message,
 * the JWS structure directly. Anything may be refused; nothing may crash,
 * leak or read out of bounds, and an accepted token must lie inside the
 * input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "client_first.h"
#include "jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *msg = (const char *)data;
    oauth_client_first_t cf;
    jwt_result_t res;
    if (oauth_client_first_parse(msg, size, &cf)) {
        if (cf.token < msg || cf.token + cf.token_len > msg + size ||
            cf.token_len == 0 ||
            (cf.authzid && cf.authzid + cf.authzid_len > msg + size)) {
            __builtin_trap();
        }
        jwt_parse_only(cf.token, cf.token_len, &res);
    } else {
        jwt_parse_only(msg, size, &res);
    }
    return 0;
}
