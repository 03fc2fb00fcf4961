/* SPDX-License-Identifier: Apache-2.0 */
/* core/client/scram.c - see scram.h. */
#include "client/scram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

bool samsa_scram_client_init(samsa_scram_client_t *s, const char *mechanism)
{
    memset(s, 0, sizeof(*s));
    if (strcasecmp(mechanism, "SCRAM-SHA-256") == 0) {
        s->md_name = "SHA256";
    } else if (strcasecmp(mechanism, "SCRAM-SHA-512") == 0) {
        s->md_name = "SHA512";
    }
    return s->md_name != NULL;
}

/* saslname: ',' and '=' escaped as =2C and =3D. */
static bool escape_name(const char *user, char *out, size_t len)
{
    size_t n = 0;
    for (const char *p = user; *p; p++) {
        const char *rep = *p == ',' ? "=2C" : *p == '=' ? "=3D" : NULL;
        size_t k = rep ? 3 : 1;
        if (n + k >= len) {
            return false;
        }
        memcpy(out + n, rep ? rep : p, k);
        n += k;
    }
    out[n] = '\0';
    return true;
}

samsa_err_t samsa_scram_client_first(samsa_scram_client_t *s, const char *user,
                                     char *out, size_t len)
{
    unsigned char raw[24];
    char name[512];
    if (RAND_bytes(raw, sizeof(raw)) != 1) {
        return SAMSA_ERR_IO;
    }
    EVP_EncodeBlock((unsigned char *)s->nonce, raw, sizeof(raw));
    if (!escape_name(user, name, sizeof(name))) {
        return SAMSA_ERR_TOO_LARGE;
    }
    int n = snprintf(s->client_first_bare, sizeof(s->client_first_bare),
                     "n=%s,r=%s", name, s->nonce);
    if (n < 0 || (size_t)n >= sizeof(s->client_first_bare)) {
        return SAMSA_ERR_TOO_LARGE;
    }
    n = snprintf(out, len, "n,,%s", s->client_first_bare);
    return n >= 0 && (size_t)n < len ? SAMSA_OK : SAMSA_ERR_TOO_LARGE;
}

/* The value of attribute @p a ("r", "s", "i") in a server message, into
 * @p out. */
static bool attr(const char *msg, char a, char *out, size_t len)
{
    for (const char *p = msg; p && *p;
         p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (p[0] == a && p[1] == '=') {
            size_t n = strcspn(p + 2, ",");
            if (n >= len) {
                return false;
            }
            memcpy(out, p + 2, n);
            out[n] = '\0';
            return true;
        }
    }
    return false;
}

static bool hmac(const char *md, const void *key, size_t key_len,
                 const void *msg, size_t msg_len, unsigned char *out,
                 size_t *out_len)
{
    unsigned int n = 0;
    bool ok = HMAC(EVP_get_digestbyname(md), key, (int)key_len, msg, msg_len,
                   out, &n) != NULL;
    *out_len = n;
    return ok;
}

samsa_err_t samsa_scram_client_final(samsa_scram_client_t *s,
                                     const char *password, const void *in,
                                     size_t in_len, char *out, size_t len,
                                     const char **why)
{
    char server_first[SAMSA_SCRAM_MSG_MAX], nonce[256], salt64[256], iters[16];
    unsigned char salt[192];
    *why = "malformed server-first message";
    if (in_len >= sizeof(server_first)) {
        return SAMSA_ERR_PROTOCOL;
    }
    memcpy(server_first, in, in_len);
    server_first[in_len] = '\0';
    if (!attr(server_first, 'r', nonce, sizeof(nonce)) ||
        !attr(server_first, 's', salt64, sizeof(salt64)) ||
        !attr(server_first, 'i', iters, sizeof(iters))) {
        return SAMSA_ERR_PROTOCOL;
    }
    if (strncmp(nonce, s->nonce, strlen(s->nonce)) != 0 ||
        strlen(nonce) <= strlen(s->nonce)) {
        *why = "the server's nonce does not extend ours";
        return SAMSA_ERR_PROTOCOL;
    }
    long iterations = strtol(iters, NULL, 10);
    size_t s64 = strlen(salt64);
    int salt_len =
        s64 % 4 == 0 ? EVP_DecodeBlock(salt, (unsigned char *)salt64, (int)s64)
                     : -1;
    if (salt_len <= 0 || iterations < 4096 || iterations > 1000000) {
        *why = "bad salt or iteration count (Kafka's minimum is 4096)";
        return SAMSA_ERR_PROTOCOL;
    }
    salt_len -=
        (s64 && salt64[s64 - 1] == '=') + (s64 > 1 && salt64[s64 - 2] == '=');
    const EVP_MD *md = EVP_get_digestbyname(s->md_name);
    size_t hl = (size_t)EVP_MD_get_size(md), kl = 0, sl = 0;
    unsigned char salted[64], client_key[64], stored[64], sig[64],
        server_key[64], proof[64];
    char final_bare[SAMSA_SCRAM_MSG_MAX + 64],
        auth_msg[3 * SAMSA_SCRAM_MSG_MAX];
    int fb = snprintf(final_bare, sizeof(final_bare), "c=biws,r=%s", nonce);
    int am = snprintf(auth_msg, sizeof(auth_msg), "%s,%s,%s",
                      s->client_first_bare, server_first, final_bare);
    *why = "cannot compute the proof";
    if (fb < 0 || (size_t)fb >= sizeof(final_bare) || am < 0 ||
        (size_t)am >= sizeof(auth_msg) ||
        PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, salt_len,
                          (int)iterations, md, (int)hl, salted) != 1 ||
        !hmac(s->md_name, salted, hl, "Client Key", 10, client_key, &kl) ||
        EVP_Digest(client_key, hl, stored, NULL, md, NULL) != 1 ||
        !hmac(s->md_name, stored, hl, auth_msg, (size_t)am, sig, &sl) ||
        !hmac(s->md_name, salted, hl, "Server Key", 10, server_key, &kl) ||
        !hmac(s->md_name, server_key, hl, auth_msg, (size_t)am,
              s->server_signature, &s->sig_len)) {
        OPENSSL_cleanse(salted, sizeof(salted));
        return SAMSA_ERR_IO;
    }
    for (size_t i = 0; i < hl; i++) {
        proof[i] = client_key[i] ^ sig[i];
    }
    OPENSSL_cleanse(salted, sizeof(salted));
    OPENSSL_cleanse(client_key, sizeof(client_key));
    char proof64[100];
    EVP_EncodeBlock((unsigned char *)proof64, proof, (int)hl);
    int n = snprintf(out, len, "%s,p=%s", final_bare, proof64);
    return n >= 0 && (size_t)n < len ? SAMSA_OK : SAMSA_ERR_TOO_LARGE;
}

bool samsa_scram_client_verify(const samsa_scram_client_t *s, const void *in,
                               size_t in_len)
{
    char msg[256], v64[128];
    unsigned char v[100];
    if (in_len >= sizeof(msg)) {
        return false;
    }
    memcpy(msg, in, in_len);
    msg[in_len] = '\0';
    if (!attr(msg, 'v', v64, sizeof(v64)) || strlen(v64) % 4 != 0) {
        return false;
    }
    int n = EVP_DecodeBlock(v, (unsigned char *)v64, (int)strlen(v64));
    return n >= (int)s->sig_len && s->sig_len > 0 &&
           CRYPTO_memcmp(v, s->server_signature, s->sig_len) == 0;
}
