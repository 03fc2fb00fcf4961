/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/sasl-plain/users.h - the user table of one instance: read once
 * from users_file at init, then only read (any reactor, no lock).
 */
#ifndef SASL_PLAIN_USERS_H
#define SASL_PLAIN_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include <samsa/plugin.h>

typedef struct plain_users plain_users_t;

/** Read @p path: one `name:password` per line; blank lines and lines
 *  starting with # are skipped. Errors name the file and line. */
samsa_err_t plain_users_load(const samsa_services_t *svc, const char *path,
                             plain_users_t **out, char *errbuf,
                             size_t errbuf_size);
void plain_users_free(plain_users_t *users);

/** Does @p name exist with @p password? Constant time in the password. */
bool plain_users_check(const plain_users_t *users, const char *name,
                       size_t name_len, const char *password,
                       size_t password_len);

#endif /* SASL_PLAIN_USERS_H */
