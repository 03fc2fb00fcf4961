/* SPDX-License-Identifier: Apache-2.0 */
/*
 * include/samsa/sasl_plain_verify.h - the callback of the sasl-plain
 * plugin, Samsa's counterpart of Kafka's sasl.server.callback.handler.class
 * for PLAIN: a user's shared library that decides whether a name and
 * password are valid (e.g. against LDAP or PAM).
 *
 * Configure it with sasl-plain's `verify_library: /path/libx.so`. The
 * plugin dlopen()s the library once at init (RTLD_NOW | RTLD_LOCAL) and
 * looks up SAMSA_PLAIN_VERIFY_SYMBOL; a library that does not load or lacks
 * the symbol makes init fail, so samsad refuses to start. The library stays
 * loaded until the plugin instance is finalized.
 *
 * Ownership: user and password point into the client's request buffer,
 * owned by the broker and valid only during the call. They are NOT
 * NUL-terminated (use the lengths) and may contain any byte but NUL. The
 * function must not keep the pointers, log the password, or free anything.
 *
 * Threads: it is called on the reactor thread that serves the
 * connection, from any of the broker's reactors, possibly at the same time
 * on several of them. It must therefore be thread-safe, and it must not
 * block for long: every other client of that reactor waits while it runs.
 * A slow back end (LDAP over the network) should be answered from a cache
 * or with a short timeout.
 */
#ifndef SAMSA_SASL_PLAIN_VERIFY_H
#define SAMSA_SASL_PLAIN_VERIFY_H

#include <stddef.h>

#define SAMSA_PLAIN_VERIFY_SYMBOL "samsa_plain_verify"

/**
 * Return 0 to accept @p user with @p password; any other value refuses the
 * login (the client gets SASL_AUTHENTICATION_FAILED, the principal would
 * have been "User:<user>").
 */
int samsa_plain_verify(const char *user, size_t user_len, const char *password,
                       size_t password_len);

typedef int (*samsa_plain_verify_fn)(const char *user, size_t user_len,
                                     const char *password, size_t password_len);

#endif /* SAMSA_SASL_PLAIN_VERIFY_H */
