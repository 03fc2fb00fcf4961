/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keys.h - the public keys tokens are verified with: a JWKS document
 * (RFC 7517: RSA keys n/e, EC keys P-256/P-384/P-521 x/y, "use": "enc"
 * keys skipped) or a PEM file of public keys (no kid), read from a file://
 * or https:// URL with libcurl at start. A key set is immutable once
 * loaded and shared by every reactor (OpenSSL allows concurrent verifies
 * with one EVP_PKEY).
 */
#ifndef SASL_OAUTHBEARER_KEYS_H
#define SASL_OAUTHBEARER_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

typedef struct oauth_key {
    char kid[128]; /**< "" without one (PEM keys) */
    EVP_PKEY *pkey;
    int type; /**< EVP_PKEY_RSA or EVP_PKEY_EC */
} oauth_key_t;

typedef struct oauth_keys {
    oauth_key_t *keys;
    size_t count;
} oauth_keys_t;

/** Parse a JWKS document or PEM public keys (told apart by "-----BEGIN")
 *  from @p len bytes at @p text. 0, or -1 with the reason in errbuf. */
int oauth_keys_parse(const char *text, size_t len, oauth_keys_t *out,
                     char *errbuf, size_t errbuf_size);

/** Fetch @p url (file:// or https://, 10 s at most, 4 MiB at most) and
 *  parse it. Blocks: call from init(). 0, or -1 with the reason. */
int oauth_keys_load(const char *url, oauth_keys_t *out, char *errbuf,
                    size_t errbuf_size);

void oauth_keys_free(oauth_keys_t *keys);

#endif /* SASL_OAUTHBEARER_KEYS_H */
