/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/scram.h - the client side of SCRAM-SHA-256/512 (RFC 5802,
 * RFC 7677) for the in-tree client: the messages it sends and the checks
 * of the server's, with OpenSSL's PBKDF2, HMAC and digests. No channel
 * binding ("n,,", c=biws), as Kafka.
 */
#ifndef SAMSA_CLIENT_SCRAM_H
#define SAMSA_CLIENT_SCRAM_H

#include <stdbool.h>
#include <stddef.h>

#include <samsa/errors.h>

#define SAMSA_SCRAM_MSG_MAX 1024

typedef struct samsa_scram_client {
    const char *md_name; /* "SHA256" / "SHA512" */
    char client_first_bare[SAMSA_SCRAM_MSG_MAX];
    char nonce[64];
    unsigned char server_signature[64];
    size_t sig_len;
} samsa_scram_client_t;

/** Set up for @p mechanism ("SCRAM-SHA-256" or "-512"). False: not one. */
bool samsa_scram_client_init(samsa_scram_client_t *s, const char *mechanism);

/** The client-first message for @p user into @p out (NUL-terminated). */
samsa_err_t samsa_scram_client_first(samsa_scram_client_t *s, const char *user,
                                     char *out, size_t len);

/**
 * From the server-first message (@p in, @p in_len bytes) and @p password,
 * the client-final message into @p out. SAMSA_ERR_PROTOCOL for a server
 * message that is malformed, drops our nonce or asks fewer than 4096
 * iterations; *why says which.
 */
samsa_err_t samsa_scram_client_final(samsa_scram_client_t *s,
                                     const char *password, const void *in,
                                     size_t in_len, char *out, size_t len,
                                     const char **why);

/** The server-final message proves the server knew the credentials. */
bool samsa_scram_client_verify(const samsa_scram_client_t *s, const void *in,
                               size_t in_len);

#endif /* SAMSA_CLIENT_SCRAM_H */
