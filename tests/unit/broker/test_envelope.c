/* SPDX-License-Identifier: Apache-2.0 */
/* The principal an Envelope carries (core/broker/envelope.c), in Kafka's
 * DefaultKafkaPrincipalBuilder form: the bytes Kafka writes for
 * User:ANONYMOUS, a round trip, and what does not decode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "broker/envelope.h"

/* int16 version 0; DefaultPrincipalData v0: compact "User", compact
 * "ANONYMOUS", TokenAuthenticated false, no tagged fields. */
static const uint8_t ANONYMOUS[] = {0,   0,   5,   'U', 's', 'e', 'r',
                                    10,  'A', 'N', 'O', 'N', 'Y', 'M',
                                    'O', 'U', 'S', 0,   0};

static void principal_as_kafka_writes_it(void **state)
{
    (void)state;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_bytes_t b;
    assert_int_equal(
        samsa_envelope_principal_write("User:ANONYMOUS", &arena, &b), SAMSA_OK);
    assert_int_equal(b.len, sizeof(ANONYMOUS));
    assert_memory_equal(b.ptr, ANONYMOUS, sizeof(ANONYMOUS));
    char name[64];
    assert_int_equal(samsa_envelope_principal_read(b, name, sizeof(name)),
                     SAMSA_OK);
    assert_string_equal(name, "User:ANONYMOUS");
    assert_int_equal(
        samsa_envelope_principal_write("User:CN=broker1,O=Samsa", &arena, &b),
        SAMSA_OK);
    assert_int_equal(samsa_envelope_principal_read(b, name, sizeof(name)),
                     SAMSA_OK);
    assert_string_equal(name, "User:CN=broker1,O=Samsa");
    samsa_arena_destroy(&arena);
}

static void bad_principals_are_refused(void **state)
{
    (void)state;
    char name[64];
    samsa_bytes_t null = {NULL, -1};
    assert_int_equal(samsa_envelope_principal_read(null, name, sizeof(name)),
                     SAMSA_ERR_CORRUPT);
    samsa_bytes_t cut = {ANONYMOUS, 9};
    assert_int_equal(samsa_envelope_principal_read(cut, name, sizeof(name)),
                     SAMSA_ERR_CORRUPT);
    uint8_t v1[sizeof(ANONYMOUS)];
    memcpy(v1, ANONYMOUS, sizeof(v1));
    v1[1] = 1; /* a version this broker does not know */
    samsa_bytes_t newer = {v1, sizeof(v1)};
    assert_int_equal(samsa_envelope_principal_read(newer, name, sizeof(name)),
                     SAMSA_ERR_CORRUPT);
    samsa_bytes_t whole = {ANONYMOUS, sizeof(ANONYMOUS)};
    assert_int_equal(samsa_envelope_principal_read(whole, name, 8),
                     SAMSA_ERR_CORRUPT); /* too long for the buffer */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(principal_as_kafka_writes_it),
        cmocka_unit_test(bad_principals_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
