/* SPDX-License-Identifier: Apache-2.0 */
/*
 * b64url.h - base64url without padding (RFC 4648 section 5, as JWS uses
 * it), decoded with OpenSSL's EVP_DecodeBlock after mapping the two
 * url-safe characters back and restoring the padding: OpenSSL has no
 * url-safe decoder of its own.
 */
#ifndef SASL_OAUTHBEARER_B64URL_H
#define SASL_OAUTHBEARER_B64URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Decode @p len characters at @p in into @p out (room for at least
 *  len * 3 / 4 + 3 bytes); *out_len gets the decoded size. False on a
 *  character outside the url-safe alphabet, '=' or a length of 4n+1. */
bool b64url_decode(const char *in, size_t len, uint8_t *out, size_t *out_len);

#endif /* SASL_OAUTHBEARER_B64URL_H */
