/* SPDX-License-Identifier: Apache-2.0 */
/* core/security/tls_context.c - see tls_context.h. */
#include "security/tls_context.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

/* OpenSSL's most recent error, for a message naming the file. */
static samsa_err_t tls_fail(char *errbuf, size_t errbuf_size, const char *key,
                            const char *path, const char *what)
{
    char reason[256] = "unknown error";
    unsigned long e = ERR_peek_last_error();
    if (e) {
        ERR_error_string_n(e, reason, sizeof(reason));
    }
    ERR_clear_error();
    snprintf(errbuf, errbuf_size, "broker config: %s '%s': %s (%s)", key,
             path ? path : "", what, reason);
    return SAMSA_ERR_CONFIG;
}

int samsa_tls_password_cb(char *buf, int size, int rwflag, void *userdata)
{
    (void)rwflag;
    const char *pw = userdata;
    size_t n = pw ? strlen(pw) : 0;
    if (n > (size_t)size) {
        return 0;
    }
    memcpy(buf, pw, n);
    return (int)n;
}

samsa_err_t samsa_tls_context_create(const samsa_security_config_t *sc,
                                     SSL_CTX **out, char *errbuf,
                                     size_t errbuf_size)
{
    const char *key =
        sc->ssl_key_location ? sc->ssl_key_location : sc->ssl_keystore_location;
    samsa_err_t rc = SAMSA_OK;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        return SAMSA_ERR_NOMEM;
    }
    /* ssl.enabled.protocols' default: TLSv1.2,TLSv1.3. */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    /* Reactors retry a write that would block with the iobuf rebuilt in
     * place (same bytes, maybe another address) and count partial writes;
     * idle connections give their buffers back. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                              SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_default_passwd_cb(ctx, samsa_tls_password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, (void *)sc->ssl_key_password);
    if (SSL_CTX_use_certificate_chain_file(ctx, sc->ssl_keystore_location) !=
        1) {
        rc = tls_fail(errbuf, errbuf_size, "ssl_keystore_location",
                      sc->ssl_keystore_location,
                      "cannot load a PEM certificate chain");
    } else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        rc = tls_fail(errbuf, errbuf_size,
                      sc->ssl_key_location ? "ssl_key_location"
                                           : "ssl_keystore_location",
                      key, "cannot load the PEM private key");
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        rc = tls_fail(errbuf, errbuf_size, "ssl_key_location", key,
                      "the private key does not match the certificate");
    }
    if (rc == SAMSA_OK && sc->ssl_client_auth != SAMSA_SSL_CLIENT_AUTH_NONE) {
        STACK_OF(X509_NAME) *names = NULL;
        if (SSL_CTX_load_verify_locations(ctx, sc->ssl_truststore_location,
                                          NULL) != 1 ||
            !(names = SSL_load_client_CA_file(sc->ssl_truststore_location))) {
            rc = tls_fail(errbuf, errbuf_size, "ssl_truststore_location",
                          sc->ssl_truststore_location,
                          "cannot load PEM CA certificates");
        } else {
            SSL_CTX_set_client_CA_list(ctx, names);
            /* requested: a certificate sent must verify; required: one
             * must be sent. */
            SSL_CTX_set_verify(
                ctx,
                SSL_VERIFY_PEER |
                    (sc->ssl_client_auth == SAMSA_SSL_CLIENT_AUTH_REQUIRED
                         ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                         : 0),
                NULL);
        }
    }
    if (rc != SAMSA_OK) {
        SSL_CTX_free(ctx);
        return rc;
    }
    *out = ctx;
    return SAMSA_OK;
}

void samsa_tls_context_free(SSL_CTX *ctx)
{
    SSL_CTX_free(ctx);
}

samsa_err_t samsa_tls_peer_dn(SSL *ssl, char *buf, size_t len)
{
    X509 *cert = ssl ? SSL_get0_peer_certificate(ssl) : NULL;
    if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) {
        return SAMSA_ERR_NOT_FOUND;
    }
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio) {
        return SAMSA_ERR_NOMEM;
    }
    /* RFC 2253 order and escaping, UTF-8 kept: X500Principal.getName(). */
    X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0,
                       XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char *dn = NULL;
    long dn_len = BIO_get_mem_data(bio, &dn);
    int n = snprintf(buf, len, "%.*s", (int)dn_len, dn ? dn : "");
    BIO_free(bio);
    return n >= 0 && (size_t)n < len ? SAMSA_OK : SAMSA_ERR_TOO_LARGE;
}
