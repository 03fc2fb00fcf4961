/* SPDX-License-Identifier: Apache-2.0 */
/* jwt.c - see jwt.h. */
#include "jwt.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>

#include "b64url.h"

#define MAX_TOKEN (64u << 10)

typedef struct alg {
    const char *name;
    int type;       /* EVP_PKEY_RSA or EVP_PKEY_EC */
    const char *md; /* digest name */
    size_t half;    /* EC: size of r and of s */
} alg_t;

static const alg_t algs[] = {
    {"RS256", EVP_PKEY_RSA, "SHA256", 0}, {"RS384", EVP_PKEY_RSA, "SHA384", 0},
    {"RS512", EVP_PKEY_RSA, "SHA512", 0}, {"ES256", EVP_PKEY_EC, "SHA256", 32},
    {"ES384", EVP_PKEY_EC, "SHA384", 48}, {"ES512", EVP_PKEY_EC, "SHA512", 66},
};

typedef struct parsed {
    const alg_t *alg;
    json_t *header, *claims;
    const char *signing_input; /* header.payload */
    size_t signing_len;
    uint8_t *sig;
    size_t sig_len;
} parsed_t;

static int refuse(jwt_result_t *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int refuse(jwt_result_t *res, const char *fmt, ...)
{
    int n = snprintf(res->error, sizeof(res->error), "Authentication failed: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->error + n, sizeof(res->error) - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static void parsed_free(parsed_t *p)
{
    json_decref(p->header);
    json_decref(p->claims);
    free(p->sig);
    memset(p, 0, sizeof(*p));
}

static json_t *json_part(const char *s, size_t n)
{
    uint8_t *buf = malloc(n * 3 / 4 + 4);
    size_t len = 0;
    json_t *j = NULL;
    if (buf && b64url_decode(s, n, buf, &len)) {
        j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
        if (j && !json_is_object(j)) {
            json_decref(j);
            j = NULL;
        }
    }
    free(buf);
    return j;
}

static int parse(const char *token, size_t len, parsed_t *p, jwt_result_t *res)
{
    memset(p, 0, sizeof(*p));
    const char *d1 = len <= MAX_TOKEN ? memchr(token, '.', len) : NULL;
    const char *d2 =
        d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token))) {
        return refuse(res, "malformed token (not a signed JWT of three "
                           "base64url parts)");
    }
    const char *sig = d2 + 1;
    size_t sig_n = len - (size_t)(sig - token);
    p->header = json_part(token, (size_t)(d1 - token));
    p->claims = json_part(d1 + 1, (size_t)(d2 - d1 - 1));
    p->sig = malloc(sig_n * 3 / 4 + 4);
    if (!p->header || !p->claims || !p->sig ||
        !b64url_decode(sig, sig_n, p->sig, &p->sig_len)) {
        parsed_free(p);
        return refuse(res, "malformed token (a part is not base64url JSON)");
    }
    const char *alg = json_string_value(json_object_get(p->header, "alg"));
    for (size_t i = 0; alg && i < sizeof(algs) / sizeof(algs[0]); i++) {
        if (strcmp(alg, algs[i].name) == 0) {
            p->alg = &algs[i];
        }
    }
    if (!p->alg) {
        refuse(res,
               "the token's alg '%.40s' is not accepted (RS256, RS384, "
               "RS512, ES256, ES384, ES512)",
               alg ? alg : "(none)");
        parsed_free(p);
        return -1;
    }
    p->signing_input = token;
    p->signing_len = (size_t)(d2 - token);
    return 0;
}

int jwt_parse_only(const char *token, size_t len, jwt_result_t *res)
{
    parsed_t p;
    if (parse(token, len, &p, res) != 0) {
        return -1;
    }
    parsed_free(&p);
    return 0;
}

/* JWS's raw R||S into the DER ECDSA-Sig-Value OpenSSL verifies. */
static uint8_t *ec_der(const parsed_t *p, size_t *der_len)
{
    size_t h = p->alg->half;
    if (p->sig_len != 2 * h) {
        return NULL;
    }
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(p->sig, (int)h, NULL);
    BIGNUM *s = BN_bin2bn(p->sig + h, (int)h, NULL);
    uint8_t *der = NULL;
    if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es */
        int n = i2d_ECDSA_SIG(es, &der);
        *der_len = n > 0 ? (size_t)n : 0;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return der;
}

static bool verify_with(const parsed_t *p, EVP_PKEY *pkey)
{
    const uint8_t *sig = p->sig;
    size_t sig_len = p->sig_len;
    uint8_t *der = NULL;
    if (p->alg->type == EVP_PKEY_EC) {
        if (!(der = ec_der(p, &sig_len))) {
            return false;
        }
        sig = der;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok =
        ctx &&
        EVP_DigestVerifyInit_ex(ctx, NULL, p->alg->md, NULL, NULL, pkey,
                                NULL) == 1 &&
        EVP_DigestVerify(ctx, sig, sig_len, (const uint8_t *)p->signing_input,
                         p->signing_len) == 1;
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    return ok;
}

static int check_signature(const parsed_t *p, const oauth_keys_t *keys,
                           jwt_result_t *res)
{
    const char *kid = json_string_value(json_object_get(p->header, "kid"));
    bool candidate = false;
    for (size_t i = 0; i < keys->count; i++) {
        const oauth_key_t *k = &keys->keys[i];
        /* A kid names its key; a key without a kid (PEM) may sign any. */
        if (k->type != p->alg->type ||
            (kid && k->kid[0] && strcmp(kid, k->kid) != 0)) {
            continue;
        }
        candidate = true;
        if (verify_with(p, k->pkey)) {
            return 0;
        }
    }
    if (!candidate) {
        res->unknown_kid = kid != NULL;
        return refuse(res,
                      "no configured %s key%s%.80s%s to verify the token's "
                      "signature",
                      p->alg->type == EVP_PKEY_RSA ? "RSA" : "EC",
                      kid ? " with kid '" : "", kid ? kid : "", kid ? "'" : "");
    }
    return refuse(res,
                  "the token's %s signature does not verify with the "
                  "configured keys",
                  p->alg->name);
}

static void iso8601(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A NumericDate claim in ms; -1 when absent, -2 when not a number. */
static int64_t date_claim(json_t *claims, const char *name)
{
    json_t *v = json_object_get(claims, name);
    if (!v) {
        return -1;
    }
    return json_is_number(v) ? (int64_t)(json_number_value(v) * 1000.0) : -2;
}

static bool audience_ok(json_t *aud, const jwt_policy_t *pol)
{
    for (size_t i = 0; i < pol->audience_count; i++) {
        const char *want = pol->audience[i];
        if (json_is_string(aud) && strcmp(json_string_value(aud), want) == 0) {
            return true;
        }
        size_t j;
        json_t *v;
        json_array_foreach(aud, j, v)
        {
            if (json_is_string(v) && strcmp(json_string_value(v), want) == 0) {
                return true;
            }
        }
    }
    return pol->audience_count == 0;
}

/* @p want among the scopes of @p claim: a space-separated string (RFC
 * 8693's scope) or an array of strings, as Kafka's validator reads it. */
static bool has_scope(json_t *claim, const char *want)
{
    size_t wl = strlen(want);
    const char *s = json_string_value(claim);
    while (s && *s) {
        size_t n = strcspn(s, " ");
        if (n == wl && strncmp(s, want, n) == 0) {
            return true;
        }
        s += n + (s[n] == ' ');
    }
    size_t j;
    json_t *v;
    json_array_foreach(claim, j, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), want) == 0) {
            return true;
        }
    }
    return false;
}

static int check_scope(json_t *c, const jwt_policy_t *pol, jwt_result_t *res)
{
    json_t *claim = json_object_get(c, pol->scope_claim);
    for (size_t i = 0; i < pol->scope_count; i++) {
        if (!has_scope(claim, pol->scope[i])) {
            char *text = claim
                             ? json_dumps(claim, JSON_COMPACT | JSON_ENCODE_ANY)
                             : NULL;
            refuse(res,
                   "the token's '%.40s' claim %.100s lacks the scope "
                   "'%.60s' (sasl_oauthbearer_expected_scope)",
                   pol->scope_claim, text ? text : "(none)", pol->scope[i]);
            free(text);
            return -1;
        }
    }
    return 0;
}

static int check_claims(json_t *c, const jwt_policy_t *pol, int64_t now,
                        jwt_result_t *res)
{
    char when[40], at[40];
    int64_t exp = date_claim(c, "exp"), nbf = date_claim(c, "nbf"),
            iat = date_claim(c, "iat");
    if (exp < 0 || nbf == -2 || iat == -2) {
        return refuse(res, exp == -1 ? "the token has no exp claim"
                                     : "the token's exp, nbf or iat claim is "
                                       "not a number");
    }
    iso8601(now, at, sizeof(at));
    if (now - pol->clock_skew_ms >= exp) {
        iso8601(exp, when, sizeof(when));
        return refuse(res,
                      "the token expired at %s (now %s, clock skew %lld s)",
                      when, at, (long long)(pol->clock_skew_ms / 1000));
    }
    if (nbf >= 0 && nbf > now + pol->clock_skew_ms) {
        iso8601(nbf, when, sizeof(when));
        return refuse(res, "the token is not valid before %s (now %s)", when,
                      at);
    }
    if (iat >= 0 && iat > now + pol->clock_skew_ms) {
        iso8601(iat, when, sizeof(when));
        return refuse(res, "the token was issued in the future, at %s (now %s)",
                      when, at);
    }
    const char *sub = json_string_value(json_object_get(c, pol->sub_claim));
    if (!sub || !sub[0] || strlen(sub) >= sizeof(res->principal)) {
        return refuse(res,
                      "the token has no usable '%.60s' claim (the "
                      "principal)",
                      pol->sub_claim);
    }
    json_t *aud = json_object_get(c, "aud");
    if (!audience_ok(aud, pol)) {
        char *text =
            aud ? json_dumps(aud, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        refuse(res,
               "the token's audience %.100s is not one of the expected "
               "(sasl_oauthbearer_expected_audience)",
               text ? text : "(none)");
        free(text);
        return -1;
    }
    const char *iss = json_string_value(json_object_get(c, "iss"));
    if (pol->issuer && (!iss || strcmp(iss, pol->issuer) != 0)) {
        return refuse(res,
                      "the token's issuer '%.100s' is not the expected "
                      "'%.100s'",
                      iss ? iss : "(none)", pol->issuer);
    }
    if (check_scope(c, pol, res) != 0) {
        return -1;
    }
    snprintf(res->principal, sizeof(res->principal), "%s", sub);
    res->expiry_ms = exp;
    return 0;
}

int jwt_verify(const char *token, size_t len, const jwt_policy_t *policy,
               int64_t now_ms, jwt_result_t *res)
{
    memset(res, 0, sizeof(*res));
    parsed_t p;
    if (parse(token, len, &p, res) != 0) {
        return -1;
    }
    /* The signature first: claims of an unverified token say nothing. */
    int rc = check_signature(&p, policy->keys, res);
    if (rc == 0) {
        rc = check_claims(p.claims, policy, now_ms, res);
    }
    parsed_free(&p);
    return rc;
}
