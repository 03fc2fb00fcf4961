/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sasl-scram: SCRAM-SHA-256 or SCRAM-SHA-512 (RFC 5802, RFC 7677), one
 * mechanism per instance, like Kafka's ScramSaslServer. Credentials are
 * the broker's salted ones (services->scram_credential, set with
 * AlterUserScramCredentials); the exchange needs only OpenSSL's HMAC and
 * digests. No password, salted password or proof is ever logged.
 *
 *   client-first  n,,n=alice,r=<cnonce>
 *   server-first  r=<cnonce><snonce>,s=<salt>,i=<iterations>
 *   client-final  c=biws,r=<cnonce><snonce>,p=<proof>
 *   server-final  v=<server signature>      (done: principal User:alice)
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <samsa/sasl.h>

#include "scram_messages.h"

typedef struct scram_state {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    const char *mechanism; /* "SCRAM-SHA-256" / "SCRAM-SHA-512" */
    const EVP_MD *md;
} scram_state_t;

enum { AWAIT_FIRST, AWAIT_FINAL, DONE };

struct samsa_sasl_session {
    scram_state_t *st;
    int stage;
    samsa_scram_credential_t cred;
    char gs2[SCRAM_USER_MAX + 8];
    char client_first_bare[SCRAM_MSG_MAX];
    char server_first[SCRAM_MSG_MAX];
    char nonce[2 * SCRAM_NONCE_MAX];
    char principal[SCRAM_USER_MAX + 8];
};

/* ---- the two steps ------------------------------------------------------ */

static samsa_err_t reply(scram_state_t *st, const char *text, void **out,
                         size_t *out_len)
{
    size_t n = strlen(text);
    *out = st->svc->alloc(n ? n : 1);
    if (!*out) {
        return SAMSA_ERR_NOMEM;
    }
    memcpy(*out, text, n);
    *out_len = n;
    return SAMSA_OK;
}

static samsa_err_t first(samsa_sasl_session_t *s, const char *msg, void **out,
                         size_t *out_len)
{
    scram_client_first_t cf;
    if (!scram_parse_client_first(msg, &cf)) {
        return SAMSA_ERR_ILLEGAL_SASL_STATE;
    }
    scram_state_t *st = s->st;
    if (st->svc->scram_credential(st->mechanism, cf.user, &s->cred) !=
        SAMSA_OK) {
        return SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    unsigned char rnd[18];
    char snonce[32], salt[128];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1 ||
        s->cred.salt_len > sizeof(s->cred.salt)) {
        return SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    scram_b64_encode(rnd, sizeof(rnd), snonce);
    scram_b64_encode(s->cred.salt, s->cred.salt_len, salt);
    snprintf(s->gs2, sizeof(s->gs2), "%.*s", (int)cf.gs2_len, msg);
    snprintf(s->client_first_bare, sizeof(s->client_first_bare), "%s", cf.bare);
    snprintf(s->nonce, sizeof(s->nonce), "%s%s", cf.nonce, snonce);
    snprintf(s->server_first, sizeof(s->server_first), "r=%s,s=%s,i=%u",
             s->nonce, salt, s->cred.iterations);
    snprintf(s->principal, sizeof(s->principal), "User:%s", cf.user);
    s->stage = AWAIT_FINAL;
    return reply(st, s->server_first, out, out_len);
}

/* RFC 5802 wants r= to be our nonce exactly. librdkafka (up to at least
 * 2.3) sends its own nonce in front of it again, and Kafka's
 * ScramSaslServer accepts any nonce that ends with the server's, so we do
 * too: the proof still binds the message as the client sent it. */
static bool nonce_matches(const char *got, const samsa_sasl_session_t *s)
{
    size_t n = strlen(got), want = strlen(s->nonce);
    return n >= want && strcmp(got + n - want, s->nonce) == 0;
}

static samsa_err_t final(samsa_sasl_session_t *s, const char *msg, void **out,
                         size_t *out_len)
{
    scram_client_final_t cf;
    char channel[sizeof(s->gs2) * 2];
    scram_b64_encode((const unsigned char *)s->gs2, strlen(s->gs2), channel);
    if (!scram_parse_client_final(msg, &cf) ||
        strcmp(cf.channel, channel) != 0 || !nonce_matches(cf.nonce, s) ||
        cf.proof_len != s->cred.key_len) {
        return SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    char auth_message[3 * SCRAM_MSG_MAX];
    int n = snprintf(auth_message, sizeof(auth_message), "%s,%s,%.*s",
                     s->client_first_bare, s->server_first,
                     (int)cf.without_proof_len, msg);
    if (n < 0 || (size_t)n >= sizeof(auth_message)) {
        return SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    const EVP_MD *md = s->st->md;
    unsigned char sig[64], client_key[64], stored[64], server_sig[64];
    unsigned len = 0, slen = 0, vlen = 0;
    bool ok = HMAC(md, s->cred.stored_key, (int)s->cred.key_len,
                   (const unsigned char *)auth_message, (size_t)n, sig,
                   &len) != NULL &&
              len == s->cred.key_len;
    for (unsigned i = 0; ok && i < len; i++) {
        client_key[i] = cf.proof[i] ^ sig[i];
    }
    ok = ok && EVP_Digest(client_key, len, stored, &slen, md, NULL) &&
         slen == len && CRYPTO_memcmp(stored, s->cred.stored_key, len) == 0;
    ok = ok && HMAC(md, s->cred.server_key, (int)s->cred.key_len,
                    (const unsigned char *)auth_message, (size_t)n, server_sig,
                    &vlen) != NULL;
    OPENSSL_cleanse(client_key, sizeof(client_key));
    if (!ok) {
        return SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    char text[2 + 2 * 64 + 4] = "v=";
    scram_b64_encode(server_sig, vlen, text + 2);
    s->stage = DONE;
    return reply(s->st, text, out, out_len);
}

/* ---- ops ------------------------------------------------------------------
 */

static samsa_err_t scram_session_new(void *state,
                                     const samsa_sasl_conn_info_t *info,
                                     samsa_sasl_session_t **sess)
{
    (void)info;
    scram_state_t *st = state;
    samsa_sasl_session_t *s = st->svc->alloc(sizeof(*s));
    if (!s) {
        return SAMSA_ERR_NOMEM;
    }
    memset(s, 0, sizeof(*s));
    s->st = st;
    *sess = s;
    return SAMSA_OK;
}

static samsa_err_t scram_step(samsa_sasl_session_t *s, const void *in,
                              size_t in_len, void **out, size_t *out_len,
                              bool *done)
{
    char msg[SCRAM_MSG_MAX];
    *out = NULL;
    *out_len = 0;
    *done = false;
    if (in_len == 0 || in_len >= sizeof(msg) || memchr(in, '\0', in_len)) {
        return SAMSA_ERR_ILLEGAL_SASL_STATE;
    }
    memcpy(msg, in, in_len);
    msg[in_len] = '\0';
    samsa_err_t err = SAMSA_ERR_ILLEGAL_SASL_STATE;
    if (s->stage == AWAIT_FIRST) {
        err = first(s, msg, out, out_len);
    } else if (s->stage == AWAIT_FINAL) {
        err = final(s, msg, out, out_len);
        *done = err == SAMSA_OK;
    }
    OPENSSL_cleanse(msg, sizeof(msg));
    return err;
}

static const char *scram_principal(const samsa_sasl_session_t *s)
{
    return s->principal;
}

static void scram_session_free(samsa_sasl_session_t *s)
{
    const samsa_services_t *svc = s->st->svc;
    OPENSSL_cleanse(s, sizeof(*s));
    svc->free(s);
}

/* ---- instance -------------------------------------------------------------
 */

static samsa_err_t scram_init(const samsa_services_t *svc,
                              const samsa_instance_t *inst, void **state,
                              char *errbuf, size_t errbuf_size);

static void scram_fini(void *state)
{
    scram_state_t *st = state;
    if (st) {
        st->svc->free(st);
    }
}

static const samsa_option_t scram_options[] = {
    SAMSA_OPTION_STRING("mechanism", "SCRAM-SHA-256",
                        "SCRAM-SHA-256 or SCRAM-SHA-512: one instance per "
                        "mechanism (a manifest entry each)."),
    SAMSA_OPTION_END,
};

static const char *scram_instance_mechanism(void *state)
{
    return ((const scram_state_t *)state)->mechanism;
}

static const samsa_sasl_ops_t scram_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_sasl_ops_t),
    .mechanism = "SCRAM-SHA-256",
    .instance_mechanism = scram_instance_mechanism,
    .session_new = scram_session_new,
    .step = scram_step,
    .principal = scram_principal,
    .session_free = scram_session_free,
};

static const samsa_plugin_t scram_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SASL,
    .name = "sasl-scram",
    .version = "1.0.0",
    .summary = "SASL SCRAM-SHA-256/512 against the broker's salted "
               "credentials",
    .options = scram_options,
    .init = scram_init,
    .fini = scram_fini,
    .ops = &scram_ops,
};

static samsa_err_t scram_init(const samsa_services_t *svc,
                              const samsa_instance_t *inst, void **state,
                              char *errbuf, size_t errbuf_size)
{
    const char *mech = NULL;
    svc->config_string(inst->config, "mechanism", &mech);
    const EVP_MD *md = NULL;
    if (mech && strcasecmp(mech, "SCRAM-SHA-256") == 0) {
        md = EVP_sha256();
    } else if (mech && strcasecmp(mech, "SCRAM-SHA-512") == 0) {
        md = EVP_sha512();
    }
    if (!md) {
        snprintf(errbuf, errbuf_size,
                 "mechanism '%s': expected SCRAM-SHA-256 or SCRAM-SHA-512",
                 mech ? mech : "");
        return SAMSA_ERR_CONFIG;
    }
    if (!SAMSA_ABI_HAS(samsa_services_t, svc, scram_credential)) {
        snprintf(errbuf, errbuf_size,
                 "the broker's services lack scram_credential (ABI minor 3)");
        return SAMSA_ERR_ABI;
    }
    scram_state_t *st = svc->alloc(sizeof(*st));
    if (!st) {
        return SAMSA_ERR_NOMEM;
    }
    st->svc = svc;
    st->inst = inst;
    st->md = md;
    st->mechanism = md == EVP_sha256() ? "SCRAM-SHA-256" : "SCRAM-SHA-512";
    *state = st;
    return SAMSA_OK;
}

SAMSA_PLUGIN_DECLARE(scram_plugin)
