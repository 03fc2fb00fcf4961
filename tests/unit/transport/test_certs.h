/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/unit/transport/test_certs.h - certificates for the TLS unit tests
 * (transport-tls, the client's shared context), made with OpenSSL: EC
 * P-256, self-signed, valid for an hour, IP:127.0.0.1 as their name.
 */
#ifndef SAMSA_TEST_CERTS_H
#define SAMSA_TEST_CERTS_H

/* @dir/@name.pem: the certificate for CN=@name, then its key. */
void test_cert_make(const char *dir, const char *name);
/* Copy @dir/@from.pem over @dir/@to.pem (a renewal in place). */
void test_cert_copy(const char *dir, const char *from, const char *to);

#endif /* SAMSA_TEST_CERTS_H */
