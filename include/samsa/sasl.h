/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa/sasl.h - SASL mechanism plugins (kind SAMSA_KIND_SASL).
 *
 * One plugin instance implements exactly one mechanism (PLAIN,
 * SCRAM-SHA-256, OAUTHBEARER, ...). The broker advertises the mechanisms of
 * all loaded sasl instances in SaslHandshake, picks the instance whose
 * `mechanism` matches the client's choice, and drives one session per
 * connection through SaslAuthenticate round trips:
 *
 *     session_new -> step (client token -> server token, done?) ... ->
 *     principal -> session_free
 *
 * A session belongs to one connection and is never used by two threads at
 * once; different sessions of one instance run concurrently on different
 * reactors, so shared instance state (credential stores) is locked by the
 * plugin.
 *
 * Threads: every op runs on the connection's reactor and must not block.
 * A mechanism that needs slow work (LDAP, a token endpoint) is not
 * supported by ABI 1.0; a later minor may add an asynchronous step.
 */
#ifndef SAMSA_SASL_H
#define SAMSA_SASL_H

#include <samsa/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One authentication exchange on one connection; owned by the plugin
 *  between session_new() and session_free(). */
typedef struct samsa_sasl_session samsa_sasl_session_t;

/** Read-only facts about the connection being authenticated; borrowed for
 *  the session_new() call (copy what you keep). */
typedef struct samsa_sasl_conn_info {
    samsa_abi_header_t hdr;  /**< SAMSA_ABI_HEADER(samsa_sasl_conn_info_t) */
    const char *client_host; /**< peer address as text ("127.0.0.1") */
    const char *listener;    /**< listener name the client connected to */
    const char *client_id;   /**< client.id from the request header; may
                                  be NULL */
    int32_t client_port;     /**< peer TCP port */
    uint32_t tls;            /**< 1 if the connection is TLS, else 0 */
} samsa_sasl_conn_info_t;

/** Ops table of a SASL mechanism. Every op is mandatory unless marked. */
typedef struct samsa_sasl_ops {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_sasl_ops_t) */

    /** Mechanism name as sent in SaslHandshake, e.g. "PLAIN" or
     *  "SCRAM-SHA-256". Constant string in the plugin. Mandatory. */
    const char *mechanism;

    /**
     * Start one exchange for a new connection.
     * @param state  the instance state from init()
     * @param info   connection facts (borrowed for the call)
     * @param sess   out: the new session, owned by the plugin until
     *               session_free()
     * @return SAMSA_OK, SAMSA_ERR_NOMEM. Reactor thread.
     */
    samsa_err_t (*session_new)(void *state, const samsa_sasl_conn_info_t *info,
                               samsa_sasl_session_t **sess);

    /**
     * Consume one client token and produce the server's reply.
     * @param in, in_len   the client's auth_bytes (borrowed; may be empty)
     * @param out, out_len out: the server token to send back, allocated with
     *                     services->alloc; the host frees it with
     *                     services->free. *out may be NULL with *out_len 0
     *                     when there is nothing to send.
     * @param done         out: true when authentication has succeeded and
     *                     principal() may be called; false when another
     *                     client token is expected.
     * @return SAMSA_OK (more steps or done),
     *         SAMSA_ERR_SASL_AUTHENTICATION_FAILED for bad credentials (the
     *         host sends that error and closes the connection; *out may
     *         still carry a server error message to send),
     *         SAMSA_ERR_ILLEGAL_SASL_STATE for a malformed or unexpected
     *         token. Reactor thread; never blocks.
     */
    samsa_err_t (*step)(samsa_sasl_session_t *sess, const void *in,
                        size_t in_len, void **out, size_t *out_len, bool *done);

    /**
     * The authenticated principal, e.g. "User:alice". Only valid after a
     * step() returned done == true. The string is owned by the session and
     * valid until session_free(); the host copies it. Reactor thread.
     */
    const char *(*principal)(const samsa_sasl_session_t *sess);

    /** Release the session (connection closed, or exchange finished and the
     *  principal copied). Reactor thread. */
    void (*session_free)(samsa_sasl_session_t *sess);

    /**
     * Optional, added in ABI minor 3: the mechanism of the instance
     * @p state, for a plugin whose instances each serve one of several
     * mechanisms (sasl-scram: SCRAM-SHA-256 or SCRAM-SHA-512 by option).
     * A constant string, or one owned by the instance until fini(). NULL
     * (or a minor 2 plugin): every instance serves `mechanism`. Main
     * thread, after init().
     */
    const char *(*instance_mechanism)(void *state);

    /**
     * Optional, added in ABI minor 4: why the last step() failed, in words
     * for the client (SaslAuthenticateResponse's ErrorMessage, e.g. "the
     * token expired at ..."), never a secret. Owned by the session. NULL
     * (or an older plugin): Kafka's generic message. Reactor thread.
     */
    const char *(*failure_reason)(const samsa_sasl_session_t *sess);

    /**
     * Optional, added in ABI minor 4: when the credential just verified
     * stops being valid, in wall-clock ms since the epoch (a token's exp),
     * or -1 for never. The host ends the session then at the latest
     * (KIP-368: SessionLifetimeMs, re-authentication). Only after a step()
     * returned done. Reactor thread.
     */
    int64_t (*credential_expiry_ms)(const samsa_sasl_session_t *sess);
} samsa_sasl_ops_t;

#ifdef __cplusplus
}
#endif

#endif /* SAMSA_SASL_H */
