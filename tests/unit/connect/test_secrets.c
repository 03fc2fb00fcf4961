/* SPDX-License-Identifier: Apache-2.0 */
/* Config providers and secret hiding (core/connect/secrets.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "connect/secrets.h"

static char dir[64];
static char props[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/samsa-secrets-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(props, sizeof(props), "%s/db.properties", dir);
    FILE *f = fopen(props, "w");
    fputs("# a comment\n! another\nuser = app\npassword: s3cr3t-pw\r\n", f);
    fclose(f);
    char path[160];
    snprintf(path, sizeof(path), "%s/token", dir);
    f = fopen(path, "w");
    fputs("tok-123", f);
    fclose(f);
    setenv("SAMSA_TEST_TOPIC", "from-env", 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char path[160];
    snprintf(path, sizeof(path), "%s/token", dir);
    unlink(path);
    unlink(props);
    rmdir(dir);
    return 0;
}

static json_t *resolve(const samsa_connect_providers_t *p, json_t *config,
                       json_t **secrets, samsa_err_t want)
{
    json_t *out = NULL;
    char errbuf[200] = "";
    assert_int_equal(
        samsa_connect_resolve(p, config, &out, secrets, errbuf, sizeof(errbuf)),
        want);
    json_decref(config);
    return out;
}

static void providers_resolve_references(void **state)
{
    (void)state;
    samsa_connect_providers_t p = {0};
    char errbuf[200];
    assert_int_equal(samsa_connect_provider_enable(&p, "file", errbuf, 200),
                     SAMSA_OK);
    assert_int_equal(samsa_connect_provider_enable(&p, "env", errbuf, 200),
                     SAMSA_OK);
    assert_int_equal(samsa_connect_provider_enable(&p, "dir", errbuf, 200),
                     SAMSA_OK);
    assert_int_equal(samsa_connect_provider_enable(&p, "vault", errbuf, 200),
                     SAMSA_ERR_CONFIG);
    assert_non_null(strstr(errbuf, "vault"));

    char ref[400];
    snprintf(ref, sizeof(ref), "jdbc://${file:%s:user}:${file:%s:password}@h",
             props, props);
    char tok[200];
    snprintf(tok, sizeof(tok), "${dir:%s:token}", dir);
    json_t *secrets = NULL;
    json_t *out =
        resolve(&p,
                json_pack("{s:s,s:s,s:s,s:s,s:s}", "url", ref, "topic",
                          "${env:SAMSA_TEST_TOPIC}", "token", tok, "missing",
                          "${env:SAMSA_NO_SUCH_VAR}", "plain", "x"),
                &secrets, SAMSA_OK);
    assert_string_equal(json_string_value(json_object_get(out, "url")),
                        "jdbc://app:s3cr3t-pw@h");
    assert_string_equal(json_string_value(json_object_get(out, "topic")),
                        "from-env");
    assert_string_equal(json_string_value(json_object_get(out, "token")),
                        "tok-123");
    /* Kafka leaves a reference it cannot resolve as written. */
    assert_string_equal(json_string_value(json_object_get(out, "missing")),
                        "${env:SAMSA_NO_SUCH_VAR}");
    assert_string_equal(json_string_value(json_object_get(out, "plain")), "x");
    assert_int_equal(json_array_size(secrets), 4);

    /* The trace of a failure keeps none of them. */
    char trace[200] = "cannot connect to jdbc://app:s3cr3t-pw@h (tok-123)";
    samsa_connect_scrub(trace, sizeof(trace), secrets);
    assert_string_equal(trace, "cannot connect to jdbc://app:[hidden]@h "
                               "([hidden])");
    json_decref(out);
    json_decref(secrets);

    /* A provider not enabled resolves nothing; a bad file fails. */
    samsa_connect_providers_t none = {0};
    out = resolve(&none, json_pack("{s:s}", "t", "${env:SAMSA_TEST_TOPIC}"),
                  NULL, SAMSA_OK);
    assert_string_equal(json_string_value(json_object_get(out, "t")),
                        "${env:SAMSA_TEST_TOPIC}");
    json_decref(out);
    out = resolve(&p, json_pack("{s:s}", "t", "${file:/no/such/file:k}"), NULL,
                  SAMSA_ERR_CONFIG);
    assert_null(out);
    snprintf(tok, sizeof(tok), "${dir:%s:../etc}", dir);
    out = resolve(&p, json_pack("{s:s}", "t", tok), NULL, SAMSA_ERR_CONFIG);
    assert_null(out);
}

static void sensitive_values_are_hidden(void **state)
{
    (void)state;
    json_t *c = json_pack("{s:s,s:s,s:s,s:s}", "connection.password", "pw1",
                          "api.secret.key", "k", "db.password",
                          "${file:/p:password}", "topic", "t");
    json_t *r = samsa_connect_redact(c);
    assert_string_equal(
        json_string_value(json_object_get(r, "connection.password")),
        "[hidden]");
    assert_string_equal(json_string_value(json_object_get(r, "api.secret.key")),
                        "[hidden]");
    /* A reference is not the secret: shown as written. */
    assert_string_equal(json_string_value(json_object_get(r, "db.password")),
                        "${file:/p:password}");
    assert_string_equal(json_string_value(json_object_get(r, "topic")), "t");
    /* PUT back as GET showed it: the stored secret stays. */
    json_object_set_new(r, "topic", json_string("t2"));
    samsa_connect_unredact(r, c);
    assert_string_equal(
        json_string_value(json_object_get(r, "connection.password")), "pw1");
    assert_string_equal(json_string_value(json_object_get(r, "topic")), "t2");
    json_decref(r);
    json_decref(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(providers_resolve_references),
        cmocka_unit_test(sensitive_values_are_hidden),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
