/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/security/tls_context.h - the broker's TLS server context (OpenSSL)
 * built from the ssl_* keys, and the mTLS principal of a connection.
 *
 * One SSL_CTX serves every SSL and SASL_SSL listener. It is created on the
 * main thread before the server starts and freed after it stopped; the
 * reactors only create SSL objects from it (OpenSSL makes that safe).
 */
#ifndef SAMSA_SECURITY_TLS_CONTEXT_H
#define SAMSA_SECURITY_TLS_CONTEXT_H

#include <stddef.h>

#include <openssl/ssl.h>
#include <samsa/errors.h>

#include "config/security.h"

/**
 * Load the certificate chain, private key and (when ssl_client_auth is not
 * none) the trusted CAs of @p sc into a new server context: TLS 1.2 and
 * 1.3, no renegotiation, non-blocking-friendly write modes.
 * @return SAMSA_OK; SAMSA_ERR_CONFIG with the file and OpenSSL's reason in
 *         errbuf; SAMSA_ERR_NOMEM.
 */
samsa_err_t samsa_tls_context_create(const samsa_security_config_t *sc,
                                     SSL_CTX **out, char *errbuf,
                                     size_t errbuf_size);

/** SSL_CTX_free; NULL is ignored. */
void samsa_tls_context_free(SSL_CTX *ctx);

/* OpenSSL's pem_password_cb giving @p userdata (a NUL-terminated password,
 * or NULL: none) for an encrypted key; the broker's contexts and its own
 * client's use it. */
int samsa_tls_password_cb(char *buf, int size, int rwflag, void *userdata);

/**
 * The verified client certificate's subject in RFC 2253 form
 * ("CN=alice,OU=eng,O=Example"), as Java's X500Principal.getName() gives
 * it to Kafka's ssl.principal.mapping.rules.
 * @return SAMSA_OK; SAMSA_ERR_NOT_FOUND without a verified certificate;
 *         SAMSA_ERR_TOO_LARGE when @p len is too small; SAMSA_ERR_NOMEM.
 */
samsa_err_t samsa_tls_peer_dn(SSL *ssl, char *buf, size_t len);

#endif /* SAMSA_SECURITY_TLS_CONTEXT_H */
