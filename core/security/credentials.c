/* SPDX-License-Identifier: Apache-2.0 */
/* core/security/credentials.c - see credentials.h. */
#include "security/credentials.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "durable_file.h"
#include "metadata/image_security.h"

typedef struct entry {
    char *user;
    int8_t mechanism;
    samsa_scram_credential_t cred;
} entry_t;

struct samsa_credentials {
    pthread_rwlock_t lock;
    char path[4096];
    entry_t *entries;
    size_t count;
};

static _Atomic(samsa_credentials_t *) published;

const char *samsa_scram_mechanism_name(int8_t mechanism)
{
    return mechanism == SAMSA_SCRAM_SHA_256   ? "SCRAM-SHA-256"
           : mechanism == SAMSA_SCRAM_SHA_512 ? "SCRAM-SHA-512"
                                              : NULL;
}

static int8_t mechanism_id(const char *name)
{
    for (int8_t m = 1; m <= 2; m++) {
        if (strcmp(name, samsa_scram_mechanism_name(m)) == 0) {
            return m;
        }
    }
    return 0;
}

static const EVP_MD *digest_of(int8_t mechanism)
{
    return mechanism == SAMSA_SCRAM_SHA_256 ? EVP_sha256() : EVP_sha512();
}

/* ---- text form: MECH ITER USER_HEX SALT_HEX STORED_HEX SERVER_HEX ---- */

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Decode hex @p s into @p out (at most @p cap bytes); -1 on bad input. */
static long unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s);
    if (n % 2 || n / 2 > cap) {
        return -1;
    }
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1) {
            return -1;
        }
        out[i] = (uint8_t)v;
    }
    return (long)(n / 2);
}

static samsa_err_t parse_line(char *line, entry_t *e)
{
    char *f[6];
    char *save = NULL;
    for (int i = 0; i < 6; i++) {
        f[i] = strtok_r(i ? NULL : line, " \n", &save);
        if (!f[i]) {
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
    }
    uint8_t user[256];
    long ulen = unhex(f[2], user, sizeof(user) - 1);
    memset(e, 0, sizeof(*e));
    e->mechanism = (int8_t)atoi(f[0]);
    e->cred.hdr =
        (samsa_abi_header_t)SAMSA_ABI_HEADER(samsa_scram_credential_t);
    e->cred.iterations = (uint32_t)strtoul(f[1], NULL, 10);
    e->cred.key_len = e->mechanism == SAMSA_SCRAM_SHA_256 ? 32 : 64;
    long salt = unhex(f[3], e->cred.salt, sizeof(e->cred.salt));
    long k1 = unhex(f[4], e->cred.stored_key, sizeof(e->cred.stored_key));
    long k2 = unhex(f[5], e->cred.server_key, sizeof(e->cred.server_key));
    if (!samsa_scram_mechanism_name(e->mechanism) || ulen <= 0 || salt <= 0 ||
        k1 != (long)e->cred.key_len || k2 != k1) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    e->cred.salt_len = (uint32_t)salt;
    user[ulen] = '\0';
    e->user = strdup((char *)user);
    return e->user ? SAMSA_OK : SAMSA_ERR_NOMEM;
}

/* Write the whole store (caller holds the write lock). */
static samsa_err_t save(const samsa_credentials_t *c)
{
    if (!c->path[0]) {
        return SAMSA_OK; /* in memory: the metadata log keeps them */
    }
    size_t cap = 64 + c->count * 1024, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        return SAMSA_ERR_NOMEM;
    }
    len += (size_t)snprintf(buf, cap,
                            "# samsad SCRAM credentials (salted): mechanism "
                            "iterations user salt stored_key server_key\n");
    for (size_t i = 0; i < c->count; i++) {
        const entry_t *e = &c->entries[i];
        char user[2 * 255 + 1], salt[129], k1[129], k2[129];
        hex((const uint8_t *)e->user, strlen(e->user), user);
        hex(e->cred.salt, e->cred.salt_len, salt);
        hex(e->cred.stored_key, e->cred.key_len, k1);
        hex(e->cred.server_key, e->cred.key_len, k2);
        len += (size_t)snprintf(buf + len, cap - len, "%d %u %s %s %s %s\n",
                                e->mechanism, e->cred.iterations, user, salt,
                                k1, k2);
    }
    int rc = samsa_file_replace(c->path, NULL, buf, len, true);
    OPENSSL_cleanse(buf, len);
    free(buf);
    return rc == 0 ? SAMSA_OK : SAMSA_ERR_KAFKA_STORAGE_ERROR;
}

samsa_err_t samsa_credentials_open(const char *data_dir,
                                   samsa_credentials_t **out, char *errbuf,
                                   size_t errbuf_size)
{
    if (!data_dir) {
        samsa_credentials_t *c = calloc(1, sizeof(*c));
        if (!c) {
            return SAMSA_ERR_NOMEM;
        }
        pthread_rwlock_init(&c->lock, NULL);
        *out = c;
        return SAMSA_OK;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/__samsa_meta", data_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/__samsa_meta/scram_credentials", data_dir);
    return samsa_credentials_open_file(path, out, errbuf, errbuf_size);
}

samsa_err_t samsa_credentials_open_file(const char *path,
                                        samsa_credentials_t **out, char *errbuf,
                                        size_t errbuf_size)
{
    samsa_credentials_t *c = calloc(1, sizeof(*c));
    if (!c) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_rwlock_init(&c->lock, NULL);
    snprintf(c->path, sizeof(c->path), "%s", path);
    FILE *f = fopen(c->path, "r");
    if (!f) {
        if (errno == ENOENT) {
            *out = c;
            return SAMSA_OK;
        }
        snprintf(errbuf, errbuf_size, "%s: %s", c->path, strerror(errno));
        samsa_credentials_close(c);
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    char line[1024];
    unsigned lineno = 0;
    samsa_err_t rc = SAMSA_OK;
    while (rc == SAMSA_OK && fgets(line, sizeof(line), f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') {
            continue;
        }
        entry_t *grown = realloc(c->entries, (c->count + 1) * sizeof(*grown));
        if (!grown) {
            rc = SAMSA_ERR_NOMEM;
            break;
        }
        c->entries = grown;
        rc = parse_line(line, &c->entries[c->count]);
        if (rc == SAMSA_OK) {
            c->count++;
        } else {
            snprintf(errbuf, errbuf_size,
                     "%s:%u: damaged SCRAM credential line; restore the file "
                     "from a backup or remove the line and set the user's "
                     "credential again",
                     c->path, lineno);
        }
    }
    fclose(f);
    OPENSSL_cleanse(line, sizeof(line));
    if (rc != SAMSA_OK) {
        samsa_credentials_close(c);
        return rc == SAMSA_ERR_NOMEM ? rc : SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    *out = c;
    return SAMSA_OK;
}

void samsa_credentials_close(samsa_credentials_t *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; i < c->count; i++) {
        free(c->entries[i].user);
    }
    OPENSSL_cleanse(c->entries, c->count * sizeof(*c->entries));
    free(c->entries);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

void samsa_credentials_publish(samsa_credentials_t *creds)
{
    atomic_store(&published, creds);
}

static entry_t *find(const samsa_credentials_t *c, const char *user,
                     int8_t mechanism)
{
    for (size_t i = 0; i < c->count; i++) {
        if (c->entries[i].mechanism == mechanism &&
            strcmp(c->entries[i].user, user) == 0) {
            return &c->entries[i];
        }
    }
    return NULL;
}

samsa_err_t samsa_credentials_lookup(const char *mechanism, const char *user,
                                     samsa_scram_credential_t *out)
{
    samsa_credentials_t *c = atomic_load(&published);
    int8_t m = mechanism ? mechanism_id(mechanism) : 0;
    if (!c || !m || !user) {
        return SAMSA_ERR_NOT_FOUND;
    }
    pthread_rwlock_rdlock(&c->lock);
    const entry_t *e = find(c, user, m);
    if (e) {
        *out = e->cred;
    }
    pthread_rwlock_unlock(&c->lock);
    return e ? SAMSA_OK : SAMSA_ERR_NOT_FOUND;
}

/* StoredKey and ServerKey from SaltedPassword (RFC 5802 section 3). */
static bool derive(int8_t mechanism, const uint8_t *salted, size_t len,
                   samsa_scram_credential_t *cred)
{
    const EVP_MD *md = digest_of(mechanism);
    uint8_t client_key[64];
    unsigned n = 0, m = 0, k = 0;
    bool ok = HMAC(md, salted, (int)len, (const uint8_t *)"Client Key", 10,
                   client_key, &n) &&
              EVP_Digest(client_key, n, cred->stored_key, &m, md, NULL) &&
              HMAC(md, salted, (int)len, (const uint8_t *)"Server Key", 10,
                   cred->server_key, &k);
    OPENSSL_cleanse(client_key, sizeof(client_key));
    return ok && m == len && k == len;
}

samsa_err_t samsa_credentials_make(const char *user, int8_t mechanism,
                                   int32_t iterations, const uint8_t *salt,
                                   size_t salt_len,
                                   const uint8_t *salted_password,
                                   size_t salted_len,
                                   samsa_scram_credential_t *out)
{
    if (!samsa_scram_mechanism_name(mechanism)) {
        return SAMSA_ERR_UNSUPPORTED_SASL_MECHANISM;
    }
    size_t key_len = mechanism == SAMSA_SCRAM_SHA_256 ? 32 : 64;
    samsa_scram_credential_t cred = {
        .hdr = SAMSA_ABI_HEADER(samsa_scram_credential_t),
        .iterations = (uint32_t)iterations,
        .salt_len = (uint32_t)salt_len,
        .key_len = (uint32_t)key_len,
    };
    if (!user[0] || strlen(user) > 255 ||
        iterations < SAMSA_SCRAM_MIN_ITERATIONS ||
        iterations > SAMSA_SCRAM_MAX_ITERATIONS || salt_len == 0 ||
        salt_len > sizeof(cred.salt) || salted_len != key_len ||
        !derive(mechanism, salted_password, salted_len, &cred)) {
        OPENSSL_cleanse(&cred, sizeof(cred));
        return SAMSA_ERR_UNACCEPTABLE_CREDENTIAL;
    }
    memcpy(cred.salt, salt, salt_len);
    *out = cred;
    OPENSSL_cleanse(&cred, sizeof(cred));
    return SAMSA_OK;
}

samsa_err_t samsa_scram_salt_password(int8_t mechanism, const char *password,
                                      int32_t iterations, uint8_t salt[16],
                                      uint8_t salted[64], size_t *salted_len)
{
    if (!samsa_scram_mechanism_name(mechanism)) {
        return SAMSA_ERR_UNSUPPORTED_SASL_MECHANISM;
    }
    if (iterations < SAMSA_SCRAM_MIN_ITERATIONS ||
        iterations > SAMSA_SCRAM_MAX_ITERATIONS) {
        return SAMSA_ERR_UNACCEPTABLE_CREDENTIAL;
    }
    const EVP_MD *md = digest_of(mechanism);
    int len = EVP_MD_get_size(md);
    if (RAND_bytes(salt, 16) != 1 ||
        PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, 16, iterations,
                          md, len, salted) != 1) {
        return SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
    *salted_len = (size_t)len;
    return SAMSA_OK;
}

samsa_err_t samsa_credentials_records(samsa_credentials_t *c,
                                      samsa_meta_rec_t **recs, size_t *count)
{
    pthread_rwlock_rdlock(&c->lock);
    samsa_meta_rec_t *out = calloc(c->count + 1, sizeof(*out));
    samsa_err_t err = out ? SAMSA_OK : SAMSA_ERR_NOMEM;
    size_t n = 0;
    for (; err == SAMSA_OK && n < c->count; n++) {
        const entry_t *e = &c->entries[n];
        samsa_meta_scram_t s = {
            .user = e->user, .mechanism = e->mechanism, .cred = e->cred};
        err = samsa_mdrec_scram_upsert(&s, &out[n]);
        OPENSSL_cleanse(&s.cred, sizeof(s.cred));
    }
    pthread_rwlock_unlock(&c->lock);
    if (err != SAMSA_OK) {
        for (size_t i = 0; out && i < n; i++) {
            free(out[i].p);
        }
        free(out);
        return err;
    }
    *recs = out;
    *count = n;
    return SAMSA_OK;
}

samsa_err_t samsa_credentials_upsert(samsa_credentials_t *c, const char *user,
                                     int8_t mechanism, int32_t iterations,
                                     const uint8_t *salt, size_t salt_len,
                                     const uint8_t *salted_password,
                                     size_t salted_len)
{
    samsa_scram_credential_t cred;
    samsa_err_t made =
        samsa_credentials_make(user, mechanism, iterations, salt, salt_len,
                               salted_password, salted_len, &cred);
    if (made != SAMSA_OK) {
        return made;
    }
    char *copy = strdup(user);
    if (!copy) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_rwlock_wrlock(&c->lock);
    samsa_err_t rc = SAMSA_OK;
    entry_t *e = find(c, user, mechanism);
    entry_t saved = {0};
    if (e) {
        saved = *e;
        free(copy);
        e->cred = cred;
    } else {
        entry_t *grown = realloc(c->entries, (c->count + 1) * sizeof(*grown));
        if (!grown) {
            rc = SAMSA_ERR_NOMEM;
            free(copy);
        } else {
            c->entries = grown;
            c->entries[c->count++] = (entry_t){copy, mechanism, cred};
        }
    }
    if (rc == SAMSA_OK && (rc = save(c)) != SAMSA_OK) {
        if (e) {
            *e = saved; /* not persisted: keep the old one */
        } else {
            free(c->entries[--c->count].user);
        }
    }
    pthread_rwlock_unlock(&c->lock);
    OPENSSL_cleanse(&cred, sizeof(cred));
    return rc;
}

samsa_err_t samsa_credentials_delete(samsa_credentials_t *c, const char *user,
                                     int8_t mechanism)
{
    pthread_rwlock_wrlock(&c->lock);
    entry_t *e = find(c, user, mechanism);
    samsa_err_t rc = SAMSA_ERR_RESOURCE_NOT_FOUND;
    if (e) {
        entry_t gone = *e;
        *e = c->entries[--c->count];
        rc = save(c);
        if (rc == SAMSA_OK) {
            free(gone.user);
        } else {
            c->entries[c->count++] = *e; /* put both back */
            *e = gone;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

size_t samsa_credentials_describe(samsa_credentials_t *c, const char *user,
                                  int8_t mechanisms[2], int32_t iterations[2])
{
    size_t n = 0;
    pthread_rwlock_rdlock(&c->lock);
    for (int8_t m = 1; m <= 2; m++) {
        const entry_t *e = find(c, user, m);
        if (e) {
            mechanisms[n] = m;
            iterations[n] = (int32_t)e->cred.iterations;
            n++;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    return n;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

samsa_err_t samsa_credentials_users(samsa_credentials_t *c, char ***names,
                                    size_t *count)
{
    pthread_rwlock_rdlock(&c->lock);
    char **v = calloc(c->count ? c->count : 1, sizeof(*v));
    size_t n = 0;
    samsa_err_t rc = v ? SAMSA_OK : SAMSA_ERR_NOMEM;
    for (size_t i = 0; rc == SAMSA_OK && i < c->count; i++) {
        bool seen = false;
        for (size_t j = 0; j < n; j++) {
            seen = seen || strcmp(v[j], c->entries[i].user) == 0;
        }
        if (!seen && !(v[n++] = strdup(c->entries[i].user))) {
            rc = SAMSA_ERR_NOMEM;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    if (rc != SAMSA_OK) {
        for (size_t j = 0; v && j < n; j++) {
            free(v[j]);
        }
        free(v);
        return rc;
    }
    qsort(v, n, sizeof(*v), by_name);
    *names = v;
    *count = n;
    return SAMSA_OK;
}

samsa_err_t samsa_credentials_replace(samsa_credentials_t *c,
                                      const samsa_meta_scram_t *entries,
                                      size_t count)
{
    entry_t *next = calloc(count ? count : 1, sizeof(*next));
    size_t n = 0;
    bool ok = next != NULL;
    for (; ok && n < count; n++) {
        next[n] = (entry_t){strdup(entries[n].user), entries[n].mechanism,
                            entries[n].cred};
        ok = next[n].user != NULL;
    }
    if (!ok) {
        for (size_t i = 0; next && i < n; i++) {
            free(next[i].user);
        }
        OPENSSL_cleanse(next, n * sizeof(*next));
        free(next);
        return SAMSA_ERR_NOMEM;
    }
    pthread_rwlock_wrlock(&c->lock);
    entry_t *old = c->entries;
    size_t old_count = c->count;
    c->entries = next;
    c->count = n;
    pthread_rwlock_unlock(&c->lock);
    for (size_t i = 0; i < old_count; i++) {
        free(old[i].user);
    }
    OPENSSL_cleanse(old, old_count * sizeof(*old));
    free(old);
    return SAMSA_OK;
}
