/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/replica/sasl_login.c: a follower's SASL login as a state machine.
 * PLAIN: SaslHandshake v1, one SaslAuthenticate v1 with NUL user NUL
 * password, done with the server's SessionLifetimeMs. SCRAM-SHA-256: the
 * client-first, a server-first made here (RFC 5802, OpenSSL PBKDF2/HMAC),
 * a client-final whose proof verifies, and the server's signature checked:
 * a wrong one fails. Refusals carry the server's message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "protocol/api.h"
#include "protocol/generated/messages.h"
#include "replica/sasl_login.h"

typedef struct step {
    int16_t api, version;
    char bytes[1024]; /* SaslAuthenticate's AuthBytes, NUL-terminated */
    size_t len;
} step_t;

static void next_request(samsa_sasl_login_t *s, step_t *out)
{
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    void *body = NULL;
    assert_int_equal(
        samsa_sasl_login_request(s, &arena, &out->api, &out->version, &body),
        SAMSA_OK);
    out->len = 0;
    if (out->api == SAMSA_API_SASL_HANDSHAKE) {
        const samsa_SaslHandshakeRequest_t *hs = body;
        memcpy(out->bytes, hs->Mechanism.ptr, (size_t)hs->Mechanism.len);
        out->len = (size_t)hs->Mechanism.len;
    } else {
        const samsa_SaslAuthenticateRequest_t *ar = body;
        memcpy(out->bytes, ar->AuthBytes.ptr, (size_t)ar->AuthBytes.len);
        out->len = (size_t)ar->AuthBytes.len;
    }
    out->bytes[out->len] = '\0';
    samsa_arena_destroy(&arena);
}

static samsa_err_t handshake_ok(samsa_sasl_login_t *s)
{
    samsa_SaslHandshakeResponse_t hr;
    samsa_SaslHandshakeResponse_init(&hr);
    char why[256];
    return samsa_sasl_login_answer(s, &hr, why, sizeof(why));
}

static samsa_err_t auth_answer(samsa_sasl_login_t *s, int16_t code,
                               const char *msg, const char *bytes,
                               int64_t lifetime, char *why, size_t why_len)
{
    samsa_SaslAuthenticateResponse_t ar;
    samsa_SaslAuthenticateResponse_init(&ar);
    ar.ErrorCode = code;
    if (msg) {
        ar.ErrorMessage = samsa_str_from_cstr(msg);
    }
    if (bytes) {
        ar.AuthBytes =
            (samsa_bytes_t){(const uint8_t *)bytes, (int32_t)strlen(bytes)};
    }
    ar.SessionLifetimeMs = lifetime;
    return samsa_sasl_login_answer(s, &ar, why, why_len);
}

static void plain_logs_in_with_one_token(void **state)
{
    (void)state;
    samsa_sasl_login_t s;
    step_t st;
    char why[256] = "";
    samsa_sasl_login_start(&s, "PLAIN", "broker", "secret");
    next_request(&s, &st);
    assert_int_equal(st.api, SAMSA_API_SASL_HANDSHAKE);
    assert_int_equal(st.version, 1);
    assert_string_equal(st.bytes, "PLAIN");
    assert_int_equal(handshake_ok(&s), SAMSA_OK);
    assert_false(samsa_sasl_login_done(&s));
    next_request(&s, &st);
    assert_int_equal(st.api, SAMSA_API_SASL_AUTHENTICATE);
    assert_int_equal(st.len, 14);
    assert_memory_equal(st.bytes, "\0broker\0secret", 14);
    assert_int_equal(auth_answer(&s, 0, NULL, "", 60000, why, sizeof(why)),
                     SAMSA_OK);
    assert_true(samsa_sasl_login_done(&s));
    assert_int_equal(s.session_lifetime_ms, 60000);
}

static void refusals_carry_the_servers_reason(void **state)
{
    (void)state;
    samsa_sasl_login_t s;
    step_t st;
    char why[256] = "";
    samsa_sasl_login_start(&s, "PLAIN", "broker", "wrong");
    next_request(&s, &st);
    assert_int_equal(handshake_ok(&s), SAMSA_OK);
    next_request(&s, &st);
    assert_int_equal(auth_answer(&s, SAMSA_ERR_SASL_AUTHENTICATION_FAILED,
                                 "invalid credentials", NULL, 0, why,
                                 sizeof(why)),
                     SAMSA_ERR_SASL_AUTHENTICATION_FAILED);
    assert_non_null(strstr(why, "invalid credentials"));
    assert_false(samsa_sasl_login_done(&s));

    samsa_SaslHandshakeResponse_t hr;
    samsa_SaslHandshakeResponse_init(&hr);
    hr.ErrorCode = SAMSA_ERR_UNSUPPORTED_SASL_MECHANISM;
    samsa_sasl_login_start(&s, "SCRAM-SHA-512", "broker", "x");
    next_request(&s, &st);
    assert_int_equal(samsa_sasl_login_answer(&s, &hr, why, sizeof(why)),
                     SAMSA_ERR_UNSUPPORTED_SASL_MECHANISM);
    assert_non_null(strstr(why, "SaslHandshake SCRAM-SHA-512"));
}

static void b64(const unsigned char *in, size_t len, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

static void hmac(const unsigned char *key, size_t key_len, const char *msg,
                 unsigned char out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg,
         strlen(msg), out, &n);
}

static void scram_sha256_checks_both_sides(void **state)
{
    (void)state;
    samsa_sasl_login_t s;
    step_t st;
    char why[256] = "";
    samsa_sasl_login_start(&s, "SCRAM-SHA-256", "broker", "pencil");
    next_request(&s, &st);
    assert_string_equal(st.bytes, "SCRAM-SHA-256");
    assert_int_equal(handshake_ok(&s), SAMSA_OK);
    next_request(&s, &st);
    assert_int_equal(strncmp(st.bytes, "n,,n=broker,r=", 14), 0);
    char bare[512], cnonce[128];
    snprintf(bare, sizeof(bare), "%.400s", st.bytes + 3);
    snprintf(cnonce, sizeof(cnonce), "%.100s", st.bytes + 14);

    /* The server's side, as RFC 5802 section 3 computes it. */
    const unsigned char salt[] = "samsa-salt-16byt";
    char salt64[64], server_first[512];
    assert_true(strlen(st.bytes + 14) < sizeof(cnonce));
    b64(salt, 16, salt64);
    snprintf(server_first, sizeof(server_first),
             "r=%.100sSERVERNONCE,s=%.60s,i=4096", cnonce, salt64);
    assert_int_equal(
        auth_answer(&s, 0, NULL, server_first, 0, why, sizeof(why)), SAMSA_OK);
    next_request(&s, &st);
    char expect_prefix[256];
    snprintf(expect_prefix, sizeof(expect_prefix),
             "c=biws,r=%.100sSERVERNONCE,p=", cnonce);
    assert_int_equal(strncmp(st.bytes, expect_prefix, strlen(expect_prefix)),
                     0);
    unsigned char salted[32], client_key[32], stored[32], sig[32],
        server_key[32];
    PKCS5_PBKDF2_HMAC("pencil", 6, salt, 16, 4096, EVP_sha256(), 32, salted);
    hmac(salted, 32, "Client Key", client_key);
    EVP_Digest(client_key, 32, stored, NULL, EVP_sha256(), NULL);
    char auth_msg[1536];
    snprintf(auth_msg, sizeof(auth_msg), "%.500s,%.500s,%.*s", bare,
             server_first, (int)(strlen(expect_prefix) - 3), st.bytes);
    hmac(stored, 32, auth_msg, sig);
    unsigned char proof[32];
    for (int i = 0; i < 32; i++) {
        proof[i] = client_key[i] ^ sig[i];
    }
    char proof64[64];
    b64(proof, 32, proof64);
    assert_string_equal(st.bytes + strlen(expect_prefix), proof64);

    /* A server signature that does not verify fails the login... */
    samsa_sasl_login_t copy = s;
    assert_int_equal(
        auth_answer(&copy, 0, NULL,
                    "v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 0, why,
                    sizeof(why)),
        SAMSA_ERR_SASL_AUTHENTICATION_FAILED);
    assert_non_null(strstr(why, "signature does not verify"));
    /* ...the right one completes it. */
    hmac(salted, 32, "Server Key", server_key);
    unsigned char server_sig[32];
    hmac(server_key, 32, auth_msg, server_sig);
    char server_final[128] = "v=";
    b64(server_sig, 32, server_final + 2);
    assert_int_equal(
        auth_answer(&s, 0, NULL, server_final, 0, why, sizeof(why)), SAMSA_OK);
    assert_true(samsa_sasl_login_done(&s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_logs_in_with_one_token),
        cmocka_unit_test(refusals_carry_the_servers_reason),
        cmocka_unit_test(scram_sha256_checks_both_sides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
