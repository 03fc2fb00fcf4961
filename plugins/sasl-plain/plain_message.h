/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/sasl-plain/plain_message.h - parsing the client's PLAIN token
 * (RFC 4616: [authzid] NUL authcid NUL passwd), kept apart from the
 * exchange so the fuzz target (tests/fuzz/fuzz_plain.c) drives exactly
 * this code.
 */
#ifndef SASL_PLAIN_MESSAGE_H
#define SASL_PLAIN_MESSAGE_H

#include <stddef.h>

#include <samsa/plugin.h>

/** The token's fields, pointing into the caller's input (not terminated). */
typedef struct plain_message {
    const char *user; /**< authcid: 1..user_max-1 bytes, no NUL */
    size_t user_len;
    const char *password; /**< the rest of the token (may be empty) */
    size_t password_len;
} plain_message_t;

/** Split @p in (@p in_len bytes) into @p m.
 *  @return SAMSA_OK; SAMSA_ERR_ILLEGAL_SASL_STATE without two NULs;
 *          SAMSA_ERR_SASL_AUTHENTICATION_FAILED for an empty authcid, one
 *          of @p user_max bytes or more, or an authzid other than the
 *          authcid (Kafka refuses those too). */
samsa_err_t plain_parse_message(const void *in, size_t in_len, size_t user_max,
                                plain_message_t *m);

#endif /* SASL_PLAIN_MESSAGE_H */
