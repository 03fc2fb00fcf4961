/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sasl-oauthbearer: the OAUTHBEARER mechanism (RFC 7628) with Kafka's
 * KIP-255/KIP-768 semantics: the client's first message carries a signed
 * JWT, checked against the configured public keys (jwt.c, keys.c); the
 * principal is "User:" + its subject claim, and the session lasts until
 * the token's exp (the host ends it then, KIP-368). The keys are fetched
 * again every sasl_oauthbearer_jwks_endpoint_refresh_ms on the host's
 * timer thread (a key rotation needs no restart), and soon after a token
 * names a kid no key has (Kafka's refreshing JWKS does the same; at most
 * every 2 s here, so bogus kids cannot make it hammer the endpoint; that
 * login is refused, the client's retry finds the key).
 * Reactors verify under a read lock, the refresh swaps the set under the
 * write lock.
 *
 * A refused token fails the SaslAuthenticate at once with
 * SASL_AUTHENTICATION_FAILED and the reason (expired, bad signature,
 * wrong audience...) as its error message. Kafka first sends RFC 7628's
 * {"status":"invalid_token"} challenge and waits for the client's 0x01;
 * librdkafka and the Java client answer it, but kafkajs and franz-go do
 * not (they report a closed connection or "unexpected data"), while all
 * of them show SaslAuthenticate's error message.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <samsa/sasl.h>

#include "client_first.h"
#include "jwt.h"
#include "keys.h"

typedef struct oauth_state {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
    const char *url;
    pthread_rwlock_t lock; /* guards keys: read to verify, write to swap */
    oauth_keys_t keys;
    jwt_policy_t policy;
    samsa_timer_t *refresh;
    int64_t refresh_ms;
    int64_t last_refresh_ms; /* monotonic; the timer thread's */
    atomic_bool unknown_kid; /* a reactor saw a kid no key has */
} oauth_state_t;

/* Unknown kids refresh at most this often. */
#define KID_REFRESH_MIN_MS 2000

enum { AWAIT_FIRST, DONE };

struct samsa_sasl_session {
    oauth_state_t *st;
    int stage;
    jwt_result_t res;
    char principal[sizeof(((jwt_result_t *)0)->principal) + 8];
};

static bool same_keys(const oauth_keys_t *a, const oauth_keys_t *b)
{
    if (a->count != b->count) {
        return false;
    }
    for (size_t i = 0; i < a->count; i++) {
        if (strcmp(a->keys[i].kid, b->keys[i].kid) != 0 ||
            EVP_PKEY_eq(a->keys[i].pkey, b->keys[i].pkey) != 1) {
            return false;
        }
    }
    return true;
}

/* The timer thread, every tick: fetch the keys again when the refresh
 * interval passed or a kid was missing; on failure keep the old ones. */
static void refresh_keys(void *arg)
{
    oauth_state_t *st = arg;
    int64_t now = st->svc->monotonic_ms(), since = now - st->last_refresh_ms;
    if (since < st->refresh_ms &&
        !(since >= KID_REFRESH_MIN_MS && atomic_load(&st->unknown_kid))) {
        return;
    }
    st->last_refresh_ms = now;
    atomic_store(&st->unknown_kid, false);
    oauth_keys_t fresh;
    char why[600];
    if (oauth_keys_load(st->url, &fresh, why, sizeof(why)) != 0) {
        st->svc->log(st->inst, SAMSA_LOG_WARN,
                     "refreshing the public keys: %s; keeping the %zu "
                     "current ones",
                     why, st->keys.count);
        return;
    }
    pthread_rwlock_wrlock(&st->lock);
    bool same = same_keys(&st->keys, &fresh);
    oauth_keys_t old = st->keys;
    st->keys = fresh;
    pthread_rwlock_unlock(&st->lock);
    oauth_keys_free(&old);
    if (!same) {
        st->svc->log(st->inst, SAMSA_LOG_INFO,
                     "public keys reloaded: %zu key(s) from %s", fresh.count,
                     st->url);
    }
}

static void oauth_fini(void *state)
{
    oauth_state_t *st = state;
    if (st) {
        if (st->refresh) {
            st->svc->timer_stop(st->refresh);
        }
        pthread_rwlock_destroy(&st->lock);
        oauth_keys_free(&st->keys);
        curl_global_cleanup();
        st->svc->free(st);
    }
}

static samsa_err_t oauth_init(const samsa_services_t *svc,
                              const samsa_instance_t *inst, void **state,
                              char *errbuf, size_t errbuf_size)
{
    const char *url = NULL, *issuer = NULL, *sub = NULL, *scope_claim = NULL;
    const char *const *aud = NULL;
    const char *const *scope = NULL;
    size_t aud_count = 0, scope_count = 0;
    int64_t skew = 30, refresh_ms = 3600000;
    svc->config_string(inst->config, "sasl_oauthbearer_jwks_endpoint_url",
                       &url);
    svc->config_string(inst->config, "sasl_oauthbearer_expected_issuer",
                       &issuer);
    svc->config_string(inst->config, "sasl_oauthbearer_sub_claim_name", &sub);
    svc->config_list(inst->config, "sasl_oauthbearer_expected_audience", &aud,
                     &aud_count);
    svc->config_string(inst->config, "sasl_oauthbearer_scope_claim_name",
                       &scope_claim);
    svc->config_list(inst->config, "sasl_oauthbearer_expected_scope", &scope,
                     &scope_count);
    svc->config_int(inst->config, "sasl_oauthbearer_clock_skew_seconds", &skew);
    svc->config_int(inst->config, "sasl_oauthbearer_jwks_endpoint_refresh_ms",
                    &refresh_ms);
    oauth_state_t *st = svc->alloc(sizeof(*st));
    if (!st) {
        return SAMSA_ERR_NOMEM;
    }
    memset(st, 0, sizeof(*st));
    st->svc = svc;
    st->inst = inst;
    st->url = url ? url : "";
    pthread_rwlock_init(&st->lock, NULL);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        pthread_rwlock_destroy(&st->lock);
        svc->free(st);
        return SAMSA_ERR_NOMEM;
    }
    char why[600];
    if (oauth_keys_load(st->url, &st->keys, why, sizeof(why)) != 0) {
        snprintf(errbuf, errbuf_size, "sasl_oauthbearer_jwks_endpoint_url: %s",
                 why);
        oauth_fini(st);
        return SAMSA_ERR_CONFIG;
    }
    st->policy = (jwt_policy_t){
        .keys = &st->keys,
        .audience = aud,
        .audience_count = aud_count,
        .issuer = issuer && issuer[0] ? issuer : NULL,
        .sub_claim = sub && sub[0] ? sub : "sub",
        .scope_claim = scope_claim && scope_claim[0] ? scope_claim : "scope",
        .scope = scope,
        .scope_count = scope_count,
        .clock_skew_ms = skew * 1000,
    };
    st->refresh_ms = refresh_ms;
    st->last_refresh_ms = svc->monotonic_ms();
    /* A tick of at most 1 s, so a missing kid is looked up soon. */
    if (refresh_ms > 0 &&
        !(st->refresh = svc->timer_start(
              inst, (uint64_t)(refresh_ms < 1000 ? refresh_ms : 1000), true,
              refresh_keys, st))) {
        oauth_fini(st);
        return SAMSA_ERR_NOMEM;
    }
    svc->log(inst, SAMSA_LOG_INFO, "%zu public key(s) from %s", st->keys.count,
             st->url);
    *state = st;
    return SAMSA_OK;
}

static samsa_err_t oauth_session_new(void *state,
                                     const samsa_sasl_conn_info_t *info,
                                     samsa_sasl_session_t **sess)
{
    (void)info;
    oauth_state_t *st = state;
    samsa_sasl_session_t *s = st->svc->alloc(sizeof(*s));
    if (!s) {
        return SAMSA_ERR_NOMEM;
    }
    memset(s, 0, sizeof(*s));
    s->st = st;
    *sess = s;
    return SAMSA_OK;
}

static samsa_err_t oauth_step(samsa_sasl_session_t *sess, const void *in,
                              size_t in_len, void **out, size_t *out_len,
                              bool *done)
{
    oauth_state_t *st = sess->st;
    *out = NULL;
    *out_len = 0;
    *done = false;
    if (sess->stage != AWAIT_FIRST) {
        return SAMSA_ERR_ILLEGAL_SASL_STATE;
    }
    oauth_client_first_t cf;
    if (!oauth_client_first_parse(in, in_len, &cf)) {
        sess->stage = DONE;
        snprintf(sess->res.error, sizeof(sess->res.error),
                 "Authentication failed: malformed OAUTHBEARER client first "
                 "message (RFC 7628: n,,^Aauth=Bearer <token>^A^A)");
        return SAMSA_ERR_ILLEGAL_SASL_STATE;
    }
    pthread_rwlock_rdlock(&st->lock);
    int rc = jwt_verify(cf.token, cf.token_len, &st->policy, st->svc->now_ms(),
                        &sess->res);
    pthread_rwlock_unlock(&st->lock);
    if (rc != 0 && sess->res.unknown_kid) {
        atomic_store(&st->unknown_kid, true);
    }
    if (rc == 0 && cf.authzid &&
        (cf.authzid_len != strlen(sess->res.principal) ||
         memcmp(cf.authzid, sess->res.principal, cf.authzid_len) != 0)) {
        snprintf(sess->res.error, sizeof(sess->res.error),
                 "Authentication failed: the authorization id differs from "
                 "the token's principal");
        rc = -1;
    }
    if (rc != 0) {
        sess->stage = DONE;
        return SAMSA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    snprintf(sess->principal, sizeof(sess->principal), "User:%s",
             sess->res.principal);
    sess->stage = DONE;
    *done = true;
    return SAMSA_OK;
}

static const char *oauth_principal(const samsa_sasl_session_t *sess)
{
    return sess->principal;
}

static const char *oauth_failure_reason(const samsa_sasl_session_t *sess)
{
    return sess->res.error[0] ? sess->res.error : NULL;
}

static int64_t oauth_credential_expiry_ms(const samsa_sasl_session_t *sess)
{
    return sess->res.expiry_ms;
}

static void oauth_session_free(samsa_sasl_session_t *sess)
{
    sess->st->svc->free(sess);
}

static const samsa_option_t oauth_options[] = {
    {"sasl_oauthbearer_jwks_endpoint_url", SAMSA_OPT_STRING, SAMSA_OPT_REQUIRED,
     NULL, 0, 0,
     "Where the public keys are: file:///path or "
     "https://... (libcurl), holding a JWKS document or PEM public keys "
     "(sasl.oauthbearer.jwks.endpoint.url)."},
    SAMSA_OPTION_INT("sasl_oauthbearer_jwks_endpoint_refresh_ms", "3600000", 0,
                     86400000,
                     "How often the keys are fetched again, and sooner "
                     "(at most every 2 s) after a token names an unknown "
                     "kid; 0: only at start "
                     "(sasl.oauthbearer.jwks.endpoint.refresh.ms)."),
    SAMSA_OPTION_LIST("sasl_oauthbearer_expected_audience", "[]",
                      "Audiences a token's aud must include one of; [] "
                      "accepts any (sasl.oauthbearer.expected.audience)."),
    SAMSA_OPTION_STRING("sasl_oauthbearer_expected_issuer", "",
                        "The iss a token must carry; empty accepts any "
                        "(sasl.oauthbearer.expected.issuer)."),
    SAMSA_OPTION_STRING("sasl_oauthbearer_sub_claim_name", "sub",
                        "The claim naming the principal "
                        "(sasl.oauthbearer.sub.claim.name)."),
    SAMSA_OPTION_STRING("sasl_oauthbearer_scope_claim_name", "scope",
                        "The claim holding the token's scopes, a "
                        "space-separated string or an array of strings "
                        "(sasl.oauthbearer.scope.claim.name)."),
    SAMSA_OPTION_LIST("sasl_oauthbearer_expected_scope", "[]",
                      "Scopes a token must all carry in that claim; [] "
                      "checks none (Samsa's; Kafka's unsecured validator "
                      "has unsecuredValidatorRequiredScope)."),
    SAMSA_OPTION_INT("sasl_oauthbearer_clock_skew_seconds", "30", 0, 3600,
                     "Clock difference tolerated on exp, nbf and iat "
                     "(sasl.oauthbearer.clock.skew.seconds)."),
    SAMSA_OPTION_END,
};

static const samsa_sasl_ops_t oauth_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_sasl_ops_t),
    .mechanism = "OAUTHBEARER",
    .session_new = oauth_session_new,
    .step = oauth_step,
    .principal = oauth_principal,
    .session_free = oauth_session_free,
    .failure_reason = oauth_failure_reason,
    .credential_expiry_ms = oauth_credential_expiry_ms,
};

static const samsa_plugin_t oauth_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SASL,
    .name = "sasl-oauthbearer",
    .version = "1.0.0",
    .summary = "SASL OAUTHBEARER validating signed JWTs (RS256/ES256...)",
    .options = oauth_options,
    .init = oauth_init,
    .fini = oauth_fini,
    .ops = &oauth_ops,
};

SAMSA_PLUGIN_DECLARE(oauth_plugin)
