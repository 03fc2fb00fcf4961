/* SPDX-License-Identifier: Apache-2.0 */
/* keys.c - see keys.h. */
#define _GNU_SOURCE /* memmem */
#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "b64url.h"

#define MAX_DOC  (4u << 20)
#define MAX_KEYS 64

void oauth_keys_free(oauth_keys_t *keys)
{
    for (size_t i = 0; keys && i < keys->count; i++) {
        EVP_PKEY_free(keys->keys[i].pkey);
    }
    if (keys) {
        free(keys->keys);
        keys->keys = NULL;
        keys->count = 0;
    }
}

/* A base64url member of @p jwk, decoded into a new buffer. */
static uint8_t *member(json_t *jwk, const char *name, size_t *len)
{
    const char *s = json_string_value(json_object_get(jwk, name));
    size_t n = s ? strlen(s) : 0;
    uint8_t *out = n ? malloc(n * 3 / 4 + 4) : NULL;
    if (out && !b64url_decode(s, n, out, len)) {
        free(out);
        out = NULL;
    }
    return out;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = bld ? OSSL_PARAM_BLD_to_param(bld) : NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static EVP_PKEY *rsa_jwk(json_t *jwk)
{
    size_t nl = 0, el = 0;
    uint8_t *n = member(jwk, "n", &nl), *e = member(jwk, "e", &el);
    BIGNUM *bn = n ? BN_bin2bn(n, (int)nl, NULL) : NULL;
    BIGNUM *be = e ? BN_bin2bn(e, (int)el, NULL) : NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY *pkey = NULL;
    if (bn && be && bld &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be)) {
        pkey = from_params("RSA", bld);
    }
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    free(n);
    free(e);
    return pkey;
}

static EVP_PKEY *ec_jwk(json_t *jwk)
{
    static const struct {
        const char *crv, *group;
        size_t size;
    } curves[] = {{"P-256", "prime256v1", 32},
                  {"P-384", "secp384r1", 48},
                  {"P-521", "secp521r1", 66}};
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    size_t c = 0;
    while (c < 3 && !(crv && strcmp(crv, curves[c].crv) == 0)) {
        c++;
    }
    if (c == 3) {
        return NULL;
    }
    size_t xl = 0, yl = 0, sz = curves[c].size;
    uint8_t *x = member(jwk, "x", &xl), *y = member(jwk, "y", &yl);
    uint8_t point[1 + 2 * 66];
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    if (x && y && xl == sz && yl == sz && (bld = OSSL_PARAM_BLD_new())) {
        point[0] = 0x04; /* uncompressed */
        memcpy(point + 1, x, sz);
        memcpy(point + 1 + sz, y, sz);
        if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                            curves[c].group, 0) &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                             point, 1 + 2 * sz)) {
            pkey = from_params("EC", bld);
        }
    }
    OSSL_PARAM_BLD_free(bld);
    free(x);
    free(y);
    return pkey;
}

static int parse_jwks(const char *text, size_t len, oauth_keys_t *out,
                      char *errbuf, size_t errbuf_size)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    json_t *keys = doc ? json_object_get(doc, "keys") : NULL;
    if (!json_is_array(keys)) {
        snprintf(
            errbuf, errbuf_size,
            "not a JWKS document (a JSON object with a \"keys\" array)%s%s",
            doc ? "" : ": ", doc ? "" : jerr.text);
        json_decref(doc);
        return -1;
    }
    size_t i;
    json_t *jwk;
    json_array_foreach(keys, i, jwk)
    {
        const char *kty = json_string_value(json_object_get(jwk, "kty"));
        const char *use = json_string_value(json_object_get(jwk, "use"));
        const char *kid = json_string_value(json_object_get(jwk, "kid"));
        if (!kty || (use && strcmp(use, "sig") != 0) ||
            out->count == MAX_KEYS) {
            continue;
        }
        bool rsa = strcmp(kty, "RSA") == 0, ec = strcmp(kty, "EC") == 0;
        if (!rsa && !ec) {
            continue; /* "oct" and OKP keys: not verifiable here */
        }
        EVP_PKEY *pkey = rsa ? rsa_jwk(jwk) : ec_jwk(jwk);
        if (!pkey) {
            snprintf(errbuf, errbuf_size,
                     "JWKS key %zu (kid '%s') is not a valid %s public key", i,
                     kid ? kid : "", kty);
            json_decref(doc);
            return -1;
        }
        oauth_key_t *k = &out->keys[out->count++];
        snprintf(k->kid, sizeof(k->kid), "%s", kid ? kid : "");
        k->pkey = pkey;
        k->type = rsa ? EVP_PKEY_RSA : EVP_PKEY_EC;
    }
    json_decref(doc);
    return 0;
}

static int parse_pem(const char *text, size_t len, oauth_keys_t *out,
                     char *errbuf, size_t errbuf_size)
{
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *pkey;
    while (bio && out->count < MAX_KEYS &&
           (pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL))) {
        int type = EVP_PKEY_get_base_id(pkey);
        if (type != EVP_PKEY_RSA && type != EVP_PKEY_EC) {
            EVP_PKEY_free(pkey);
            snprintf(errbuf, errbuf_size, "PEM key %zu is neither RSA nor EC",
                     out->count);
            BIO_free(bio);
            return -1;
        }
        out->keys[out->count++] = (oauth_key_t){"", pkey, type};
    }
    BIO_free(bio);
    if (out->count == 0) {
        snprintf(errbuf, errbuf_size,
                 "no PEM public key (-----BEGIN PUBLIC KEY-----) in it");
        return -1;
    }
    return 0;
}

int oauth_keys_parse(const char *text, size_t len, oauth_keys_t *out,
                     char *errbuf, size_t errbuf_size)
{
    memset(out, 0, sizeof(*out));
    if (!(out->keys = calloc(MAX_KEYS, sizeof(*out->keys)))) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return -1;
    }
    bool pem = memmem(text, len, "-----BEGIN", 10) != NULL;
    int rc = pem ? parse_pem(text, len, out, errbuf, errbuf_size)
                 : parse_jwks(text, len, out, errbuf, errbuf_size);
    if (rc == 0 && out->count == 0) {
        snprintf(errbuf, errbuf_size, "no RSA or EC signing key in it");
        rc = -1;
    }
    if (rc != 0) {
        oauth_keys_free(out);
    }
    return rc;
}

typedef struct doc {
    char *buf;
    size_t len;
    bool too_big;
} doc_t;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
    doc_t *d = arg;
    size_t n = size * nmemb;
    char *grown =
        d->len + n <= MAX_DOC ? realloc(d->buf, d->len + n + 1) : NULL;
    if (!grown) {
        d->too_big = d->len + n > MAX_DOC;
        return 0; /* makes curl fail the transfer */
    }
    memcpy(grown + d->len, ptr, n);
    d->buf = grown;
    d->len += n;
    return n;
}

int oauth_keys_load(const char *url, oauth_keys_t *out, char *errbuf,
                    size_t errbuf_size)
{
    doc_t d = {0};
    char cerr[CURL_ERROR_SIZE] = "";
    CURL *c = curl_easy_init();
    CURLcode rc = CURLE_OUT_OF_MEMORY;
    if (c) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        /* Keys come from a file or over verified TLS, nothing else. */
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "file,https");
        curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
        rc = curl_easy_perform(c);
        curl_easy_cleanup(c);
    }
    if (rc != CURLE_OK) {
        snprintf(errbuf, errbuf_size, "cannot read %s: %s", url,
                 d.too_big ? "larger than 4 MiB"
                 : cerr[0] ? cerr
                           : curl_easy_strerror(rc));
        free(d.buf);
        return -1;
    }
    char why[300];
    int prc =
        oauth_keys_parse(d.buf ? d.buf : "", d.len, out, why, sizeof(why));
    if (prc != 0) {
        snprintf(errbuf, errbuf_size, "%s: %s", url, why);
    }
    free(d.buf);
    return prc;
}
