/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/replica/sasl_login.h - a broker's SASL login on a non-blocking
 * connection (the follower fetchers' links to leaders on a SASL_PLAINTEXT
 * or SASL_SSL inter-broker listener): the same exchange as the blocking
 * client's (core/client/conn.c), SaslHandshake v1 then SaslAuthenticate v1
 * rounds, as a state machine that hands out the next request and takes
 * its decoded answer, so the caller keeps its own I/O loop.
 *
 * PLAIN: one round (RFC 4616). SCRAM-SHA-256/512: client-first,
 * client-final, and the server's signature is checked (RFC 5802, with
 * core/client/scram.h).
 *
 * Threads: a login belongs to one connection and its thread.
 */
#ifndef SAMSA_REPLICA_SASL_LOGIN_H
#define SAMSA_REPLICA_SASL_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/scram.h"
#include "protocol/arena.h"

typedef struct samsa_sasl_login {
    const char *mechanism; /* borrowed: the broker config's */
    const char *username;
    const char *password;
    int step;
    samsa_scram_client_t scram;
    char msg[2 * SAMSA_SCRAM_MSG_MAX];
    /* Once done: the server's SessionLifetimeMs (0: unlimited). */
    int64_t session_lifetime_ms;
} samsa_sasl_login_t;

/* Start a login with @p mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512;
 * strings borrowed for the login's life). */
void samsa_sasl_login_start(samsa_sasl_login_t *s, const char *mechanism,
                            const char *username, const char *password);

/* The request to send next: its API key, version and body (allocated in
 * @p arena, which must outlive the encoding). SAMSA_ERR_NOMEM. */
samsa_err_t samsa_sasl_login_request(samsa_sasl_login_t *s,
                                     samsa_arena_t *arena, int16_t *api,
                                     int16_t *version, void **body);

/* The decoded answer to that request. SAMSA_OK: send the next request,
 * or, when samsa_sasl_login_done(), logged in. An error (the server's
 * code, or SASL_AUTHENTICATION_FAILED for a bad server signature) puts
 * the reason in @p why. */
samsa_err_t samsa_sasl_login_answer(samsa_sasl_login_t *s, const void *resp,
                                    char *why, size_t why_len);

bool samsa_sasl_login_done(const samsa_sasl_login_t *s);

#endif /* SAMSA_REPLICA_SASL_LOGIN_H */
