/* SPDX-License-Identifier: Apache-2.0 */
/* The in-tree client's SCRAM-SHA-256 against RFC 7677's example exchange
 * (core/client/scram.c), and the checks of a bad server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client/scram.h"

#define NONCE "rOprNGfwEbeRWgbNEkqO"
#define SERVER_FIRST                                                           \
    "r=" NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"    \
    "i=4096"

/* RFC 7677's client nonce instead of a random one. */
static void rfc_client(samsa_scram_client_t *s)
{
    char first[256];
    assert_true(samsa_scram_client_init(s, "SCRAM-SHA-256"));
    assert_int_equal(samsa_scram_client_first(s, "user", first, sizeof(first)),
                     SAMSA_OK);
    assert_non_null(strstr(first, "n,,n=user,r="));
    snprintf(s->nonce, sizeof(s->nonce), NONCE);
    snprintf(s->client_first_bare, sizeof(s->client_first_bare),
             "n=user,r=" NONCE);
}

static void test_rfc7677_exchange(void **state)
{
    (void)state;
    samsa_scram_client_t s;
    rfc_client(&s);
    char final[512];
    const char *why = NULL;
    assert_int_equal(samsa_scram_client_final(&s, "pencil", SERVER_FIRST,
                                              strlen(SERVER_FIRST), final,
                                              sizeof(final), &why),
                     SAMSA_OK);
    assert_string_equal(final,
                        "c=biws,r=" NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                        "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
    const char *v = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    assert_true(samsa_scram_client_verify(&s, v, strlen(v)));
    const char *forged = "v=7rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    assert_false(samsa_scram_client_verify(&s, forged, strlen(forged)));
}

static void test_bad_server_first(void **state)
{
    (void)state;
    const char *bad[] = {
        "r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096", /* not our nonce */
        "r=" NONCE "x,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000",  /* < 4096 */
        "r=" NONCE "x,i=4096",                             /* no salt */
        "r=" NONCE "x,s=@@@,i=4096",                       /* bad base64 */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        samsa_scram_client_t s;
        rfc_client(&s);
        char final[512];
        const char *why = NULL;
        assert_int_equal(samsa_scram_client_final(&s, "pencil", bad[i],
                                                  strlen(bad[i]), final,
                                                  sizeof(final), &why),
                         SAMSA_ERR_PROTOCOL);
        assert_non_null(why);
    }
}

static void test_names_are_escaped(void **state)
{
    (void)state;
    samsa_scram_client_t s;
    char first[256];
    assert_true(samsa_scram_client_init(&s, "SCRAM-SHA-512"));
    assert_false(samsa_scram_client_init(&s, "PLAIN"));
    assert_true(samsa_scram_client_init(&s, "SCRAM-SHA-512"));
    assert_int_equal(
        samsa_scram_client_first(&s, "a,b=c", first, sizeof(first)), SAMSA_OK);
    assert_non_null(strstr(first, "n,,n=a=2Cb=3Dc,r="));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7677_exchange),
        cmocka_unit_test(test_bad_server_first),
        cmocka_unit_test(test_names_are_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
