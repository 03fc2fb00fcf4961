/* SPDX-License-Identifier: Apache-2.0 */
/* Kafka's ssl.principal.mapping.rules on glibc's POSIX regex: the cases
 * of Kafka's SslPrincipalMapperTest that POSIX EREs can express. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "security/principal_mapper.h"

static void expect_map(const char *rules, const char *dn, const char *want)
{
    samsa_principal_mapper_t *m = NULL;
    char err[300] = "", out[256];
    assert_int_equal(samsa_principal_mapper_create(rules, &m, err, sizeof(err)),
                     SAMSA_OK);
    samsa_err_t rc = samsa_principal_mapper_apply(m, dn, out, sizeof(out));
    if (want) {
        assert_int_equal(rc, SAMSA_OK);
        assert_string_equal(out, want);
    } else {
        assert_int_equal(rc, SAMSA_ERR_NOT_FOUND);
    }
    samsa_principal_mapper_free(m);
}

static void test_default(void **state)
{
    (void)state;
    expect_map(NULL, "CN=alice,OU=eng", "CN=alice,OU=eng");
    expect_map("DEFAULT", "CN=alice,OU=eng", "CN=alice,OU=eng");
}

static void test_rules(void **state)
{
    (void)state;
    const char *rules = "RULE:^CN=(.*),OU=ServiceUsers.*$/$1/,"
                        "RULE:^CN=(.*),OU=(.*),O=(.*),L=(.*),ST=(.*),C=(.*)$/"
                        "$1@$2/L,\n"
                        "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U, DEFAULT";
    expect_map(rules, "CN=Duke,OU=ServiceUsers,O=Org,C=US", "Duke");
    expect_map(rules, "CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US", "duke@sme");
    expect_map(rules, "cn=duke,ou=JavaSoft,o=Sun Microsystems", "DUKE");
    expect_map(rules, "OU=JavaSoft,O=Sun Microsystems,C=US",
               "OU=JavaSoft,O=Sun Microsystems,C=US");
}

static void test_whole_dn_and_escapes(void **state)
{
    (void)state;
    /* The pattern must match all of the DN, as Java's matches(). */
    expect_map("RULE:CN=alice/a/", "CN=alice,OU=eng", NULL);
    expect_map("RULE:CN=([^,]*),.*/svc\\/$1\\$/", "CN=alice,OU=eng",
               "svc/alice$");
    expect_map("RULE:^O=Samsa,OU=eng,CN=(.*)$/$1/U", "O=Samsa,OU=eng,CN=alice",
               "ALICE");
}

static void expect_bad(const char *rules, const char *why)
{
    samsa_principal_mapper_t *m = NULL;
    char err[300] = "";
    assert_int_equal(samsa_principal_mapper_create(rules, &m, err, sizeof(err)),
                     SAMSA_ERR_CONFIG);
    assert_null(m);
    assert_non_null(strstr(err, why));
}

static void test_bad_rules(void **state)
{
    (void)state;
    expect_bad("RULE:^CN=(.*$/$1/", "bad pattern");
    expect_bad("RULE:^CN=x", "no '/' after the pattern");
    expect_bad("RULE:^CN=x/y", "no '/' after the replacement");
    expect_bad("RULE:a/b/X", "text after the rule's end");
    expect_bad("DEFAULTS", "text after the rule's end");
    expect_bad("NOPE", "unknown rule");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_whole_dn_and_escapes),
        cmocka_unit_test(test_bad_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
