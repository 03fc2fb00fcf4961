/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/security/auth.h - the connection's authentication state machine and
 * its principal.
 *
 * A samsa_security_t (one per broker) knows the loaded `sasl` plugin
 * instances, one per mechanism. Each connection gets a samsa_auth_t on its
 * first request, from the security protocol of its listener:
 *
 *   PLAINTEXT, SSL   authenticated at once: User:ANONYMOUS, or on SSL the
 *                    verified client certificate's subject through
 *                    ssl_principal_mapping_rules (none applying: FAILED);
 *   SASL_*           AWAIT_HANDSHAKE -> (SaslHandshake) AWAIT_TOKEN ->
 *                    (SaslAuthenticate, or raw tokens after a v0
 *                    handshake) ... -> AUTHENTICATED, or FAILED (the
 *                    connection is closed). With connections_max_reauth_ms
 *                    (or a credential that expires) the session has a
 *                    lifetime (KIP-368): a v1 SaslHandshake for the same
 *                    mechanism re-authenticates (AUTHENTICATED ->
 *                    AWAIT_TOKEN -> AUTHENTICATED, same principal), and
 *                    once it has passed any other request closes.
 *
 * Until AUTHENTICATED only ApiVersions, SaslHandshake and SaslAuthenticate
 * are served (samsa_auth_may_serve); anything else closes the connection
 * before it is decoded. Everything here runs on the connection's reactor.
 */
#ifndef SAMSA_SECURITY_AUTH_H
#define SAMSA_SECURITY_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

#include "config/security.h"
#include "net/server.h"
#include "registry/registry.h"

typedef struct samsa_security samsa_security_t;
typedef struct samsa_auth samsa_auth_t;

typedef enum samsa_auth_state {
    SAMSA_AUTH_AWAIT_HANDSHAKE = 0,
    SAMSA_AUTH_AWAIT_TOKEN = 1,
    SAMSA_AUTH_AUTHENTICATED = 2,
    SAMSA_AUTH_FAILED = 3,
} samsa_auth_state_t;

/** Collect the sasl instances of @p reg. @p reg and @p sc (may be NULL)
 *  are borrowed and outlive the result. Two instances with one mechanism,
 *  or a mechanism in sasl_enabled_mechanisms or a listener's override
 *  without an instance, are an error. Main thread. */
samsa_err_t samsa_security_create(const samsa_registry_t *reg,
                                  const samsa_security_config_t *sc,
                                  samsa_security_t **out, char *errbuf,
                                  size_t errbuf_size);
void samsa_security_destroy(samsa_security_t *sec);

/** The loaded mechanisms, in manifest order (a listener offers those
 *  samsa_auth_offers() says). */
size_t samsa_security_mechanism_count(const samsa_security_t *sec);
const char *samsa_security_mechanism(const samsa_security_t *sec, size_t i);

/** The connection's state, created on first use for a connection of a
 *  listener with @p proto offering @p mechanisms (comma-separated, the
 *  listener's sasl_enabled_mechanisms; NULL: every loaded one; borrowed,
 *  lives as long as the broker config). NULL only when out of memory. */
samsa_auth_t *samsa_auth_of(samsa_security_t *sec, samsa_conn_t *conn,
                            samsa_security_protocol_t proto,
                            const char *mechanisms);
/** Does the connection's listener offer @p mechanism? */
bool samsa_auth_offers(const samsa_auth_t *auth, const char *mechanism);
/** Release the connection's state (on close); safe without one. */
void samsa_auth_release(samsa_conn_t *conn);

samsa_auth_state_t samsa_auth_state(const samsa_auth_t *auth);
/** May a request of @p api_key be served now? */
bool samsa_auth_may_serve(const samsa_auth_t *auth, int16_t api_key);
/** After a v0 SaslHandshake, tokens come as bare size-prefixed frames. */
bool samsa_auth_expects_raw_token(const samsa_auth_t *auth);

/**
 * SaslHandshake: choose @p mechanism (borrowed) and start its session.
 * @p client_id may be NULL.
 * @return SAMSA_OK; UNSUPPORTED_SASL_MECHANISM (the response lists the
 *         enabled ones); ILLEGAL_SASL_STATE (not a SASL listener, or a
 *         handshake already done); NOMEM.
 */
samsa_err_t samsa_auth_handshake(samsa_auth_t *auth, const char *mechanism,
                                 int16_t version, const char *client_id);

/**
 * One client token. On SAMSA_OK *out (*out_len bytes, may be NULL) is the
 * server's reply, to free with samsa_auth_token_free(), and the state is
 * AWAIT_TOKEN or AUTHENTICATED. On failure the state is FAILED, the error
 * is logged once here (peer, mechanism, never a secret) and *out may hold
 * a message for the client. Errors: SASL_AUTHENTICATION_FAILED,
 * ILLEGAL_SASL_STATE.
 */
samsa_err_t samsa_auth_step(samsa_auth_t *auth, const void *in, size_t in_len,
                            void **out, size_t *out_len);
void samsa_auth_token_free(void *token);

/**
 * Ask the authorizer chain whether @p conn's principal may do @p operation
 * (samsa_acl_operation_t) on the resource (samsa_resource_type_t,
 * @p name; "kafka-cluster" for the cluster). No authorizer loaded: allowed.
 * @p conn NULL (a request run in process, never from the network):
 * allowed. @p as (may be NULL) names another principal and host to ask
 * for than @p conn's: the client of a request a broker forwarded in an
 * Envelope. Returns SAMSA_OK or the resource's *_AUTHORIZATION_FAILED
 * code. Any thread (reactors, admin worker).
 */
typedef struct samsa_security_identity {
    const char *principal; /* "User:alice" */
    const char *host;      /* "10.0.0.7" */
} samsa_security_identity_t;
samsa_err_t samsa_security_authorize(const samsa_security_t *sec,
                                     samsa_conn_t *conn,
                                     const samsa_security_identity_t *as,
                                     int16_t api_key, int16_t api_version,
                                     uint32_t operation, uint32_t resource_type,
                                     const char *name);

/** The first authorizer with ACL management ops, or NULL (no authorizer
 *  manages ACLs: the ACL APIs answer SECURITY_DISABLED). */
const struct samsa_authorizer_ops *
samsa_security_acl_manager(const samsa_security_t *sec, void **state);

/** KIP-368: the lifetime of the session just authenticated, for
 *  SaslAuthenticateResponse.SessionLifetimeMs; 0 when it has none. */
int64_t samsa_auth_session_lifetime_ms(const samsa_auth_t *auth);
/** Authenticated, but its session lifetime has passed: only a SaslHandshake
 *  re-authenticating may follow (anything else closes, as in Kafka). */
bool samsa_auth_session_expired(const samsa_auth_t *auth);
/** After a failed samsa_auth_step(): the mechanism's reason in words for
 *  the client, or NULL for Kafka's generic message. */
const char *samsa_auth_failure_reason(const samsa_auth_t *auth);

/** True when the ACL manager takes its ACLs from the broker (set_acls, ABI
 *  minor 4): in a cluster the broker then keeps them in the metadata log
 *  (core/broker/cluster_security.c). */
bool samsa_security_acls_hosted(const samsa_security_t *sec);

/** Give the ACL manager its whole set of ACLs (when hosted; else
 *  SAMSA_ERR_DECLINED). Any thread but a reactor. */
struct samsa_acl_binding;
samsa_err_t samsa_security_set_acls(const samsa_security_t *sec,
                                    const struct samsa_acl_binding *acls,
                                    size_t count);

/** "User:alice"; "User:ANONYMOUS" until authenticated. */
const char *samsa_auth_principal(const samsa_auth_t *auth);

#endif /* SAMSA_SECURITY_AUTH_H */
