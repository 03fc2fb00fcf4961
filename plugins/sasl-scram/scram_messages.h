/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/sasl-scram/scram_messages.h - parsing the client's SCRAM
 * messages (RFC 5802 section 7) and base64, kept apart from the exchange
 * so the fuzz target drives exactly this code.
 */
#ifndef SASL_SCRAM_MESSAGES_H
#define SASL_SCRAM_MESSAGES_H

#include <stdbool.h>
#include <stddef.h>

#define SCRAM_MSG_MAX   2048 /* longest client message accepted */
#define SCRAM_USER_MAX  256
#define SCRAM_NONCE_MAX 256

/** client-first-message = gs2-header client-first-bare */
typedef struct scram_client_first {
    size_t gs2_len;              /**< bytes of the gs2 header ("n,,") */
    const char *bare;            /**< client-first-bare, in the input */
    char user[SCRAM_USER_MAX];   /**< n=, unescaped (=2C, =3D) */
    char nonce[SCRAM_NONCE_MAX]; /**< r= */
} scram_client_first_t;

/** client-final-message = without-proof ",p=" proof */
typedef struct scram_client_final {
    size_t without_proof_len;        /**< bytes before ",p=" */
    char channel[128];               /**< c= (base64) */
    char nonce[2 * SCRAM_NONCE_MAX]; /**< r= */
    unsigned char proof[64];         /**< p=, decoded */
    size_t proof_len;
} scram_client_final_t;

/** Parse a NUL-terminated client-first message; false if malformed or it
 *  asks for channel binding (not supported). */
bool scram_parse_client_first(const char *msg, scram_client_first_t *out);

/** Parse a NUL-terminated client-final message; false if malformed. */
bool scram_parse_client_final(const char *msg, scram_client_final_t *out);

/** Standard base64 of @p n bytes into @p out (4*ceil(n/3)+1 bytes). */
void scram_b64_encode(const unsigned char *in, size_t n, char *out);

/** Decode standard base64 @p in (length @p n) into @p out (capacity
 *  @p cap); returns the byte count or -1. */
long scram_b64_decode(const char *in, size_t n, unsigned char *out, size_t cap);

#endif /* SASL_SCRAM_MESSAGES_H */
