/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/sasl-plain/users.c - see users.h. */
#include "users.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

typedef struct plain_user {
    char *name;
    /* SHA-256 of the password: compared in constant time whatever the
     * lengths, and no password stays in memory after loading. */
    unsigned char digest[32];
} plain_user_t;

struct plain_users {
    const samsa_services_t *svc;
    plain_user_t *users;
    size_t count;
};

static void sha256(const void *p, size_t n, unsigned char out[32])
{
    unsigned int len = 32;
    EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

static samsa_err_t add_user(plain_users_t *u, const char *name, size_t n,
                            const char *password)
{
    plain_user_t *grown =
        u->svc->realloc(u->users, (u->count + 1) * sizeof(*u->users));
    char *copy = u->svc->alloc(n + 1);
    if (!grown || !copy) {
        if (grown) {
            u->users = grown;
        }
        u->svc->free(copy);
        return SAMSA_ERR_NOMEM;
    }
    u->users = grown;
    memcpy(copy, name, n);
    copy[n] = '\0';
    u->users[u->count].name = copy;
    sha256(password, strlen(password), u->users[u->count].digest);
    u->count++;
    return SAMSA_OK;
}

samsa_err_t plain_users_load(const samsa_services_t *svc, const char *path,
                             plain_users_t **out, char *errbuf,
                             size_t errbuf_size)
{
    plain_users_t *u = svc->alloc(sizeof(*u));
    if (!u) {
        return SAMSA_ERR_NOMEM;
    }
    memset(u, 0, sizeof(*u));
    u->svc = svc;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errbuf, errbuf_size, "users_file '%s': %s", path,
                 strerror(errno));
        plain_users_free(u);
        return SAMSA_ERR_CONFIG;
    }
    char line[1024];
    unsigned lineno = 0;
    samsa_err_t rc = SAMSA_OK;
    while (rc == SAMSA_OK && fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#') {
            continue;
        }
        char *colon = strchr(line, ':');
        if (!colon || colon == line) {
            snprintf(errbuf, errbuf_size, "%s:%u: expected name:password", path,
                     lineno);
            rc = SAMSA_ERR_CONFIG;
            break;
        }
        rc = add_user(u, line, (size_t)(colon - line), colon + 1);
    }
    OPENSSL_cleanse(line, sizeof(line));
    fclose(f);
    if (rc != SAMSA_OK) {
        plain_users_free(u);
        return rc;
    }
    *out = u;
    return SAMSA_OK;
}

void plain_users_free(plain_users_t *u)
{
    if (!u) {
        return;
    }
    for (size_t i = 0; i < u->count; i++) {
        u->svc->free(u->users[i].name);
    }
    u->svc->free(u->users);
    u->svc->free(u);
}

bool plain_users_check(const plain_users_t *u, const char *name,
                       size_t name_len, const char *password,
                       size_t password_len)
{
    unsigned char digest[32];
    sha256(password, password_len, digest);
    bool ok = false;
    for (size_t i = 0; i < u->count; i++) {
        const plain_user_t *p = &u->users[i];
        if (strlen(p->name) == name_len &&
            memcmp(p->name, name, name_len) == 0) {
            ok = CRYPTO_memcmp(p->digest, digest, sizeof(digest)) == 0;
        }
    }
    return ok;
}
