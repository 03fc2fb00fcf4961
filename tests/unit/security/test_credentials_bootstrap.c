/* SPDX-License-Identifier: Apache-2.0 */
/* The bootstrap credentials of `samsa storage format --add-scram`: a
 * password salted (PBKDF2) into a store file, read back and turned into
 * the metadata records a new log starts with; applied, they give the
 * image the very credential a server-side SCRAM login checks (StoredKey
 * from the same salted password). The file never holds the password. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "metadata/image.h"
#include "metadata/image_security.h"
#include "security/credentials.h"

static void salted_password_bounds(void **state)
{
    (void)state;
    uint8_t salt[16], salt2[16], salted[64];
    size_t len = 0;
    assert_int_equal(samsa_scram_salt_password(SAMSA_SCRAM_SHA_512, "pw", 4096,
                                               salt, salted, &len),
                     SAMSA_OK);
    assert_int_equal(len, 64);
    assert_int_equal(samsa_scram_salt_password(SAMSA_SCRAM_SHA_256, "pw", 4096,
                                               salt2, salted, &len),
                     SAMSA_OK);
    assert_int_equal(len, 32);
    assert_memory_not_equal(salt, salt2, sizeof(salt)); /* random salts */
    assert_int_equal(samsa_scram_salt_password(SAMSA_SCRAM_SHA_512, "pw", 100,
                                               salt, salted, &len),
                     SAMSA_ERR_UNACCEPTABLE_CREDENTIAL);
    assert_int_equal(
        samsa_scram_salt_password(3, "pw", 4096, salt, salted, &len),
        SAMSA_ERR_UNSUPPORTED_SASL_MECHANISM);
}

static void file_to_bootstrap_records(void **state)
{
    (void)state;
    char dir[] = "/tmp/samsa-bootstrap-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], errbuf[256] = "";
    snprintf(path, sizeof(path), "%s/bootstrap", dir);
    samsa_credentials_t *c = NULL;
    assert_int_equal(
        samsa_credentials_open_file(path, &c, errbuf, sizeof(errbuf)),
        SAMSA_OK);
    uint8_t salt[16], salted[64];
    size_t len = 0;
    assert_int_equal(samsa_scram_salt_password(SAMSA_SCRAM_SHA_512,
                                               "broker-secret", 4096, salt,
                                               salted, &len),
                     SAMSA_OK);
    assert_int_equal(samsa_credentials_upsert(c, "broker", SAMSA_SCRAM_SHA_512,
                                              4096, salt, sizeof(salt), salted,
                                              len),
                     SAMSA_OK);
    samsa_scram_credential_t want;
    assert_int_equal(samsa_credentials_make("broker", SAMSA_SCRAM_SHA_512, 4096,
                                            salt, sizeof(salt), salted, len,
                                            &want),
                     SAMSA_OK);
    samsa_credentials_close(c);

    FILE *f = fopen(path, "r");
    char text[4096];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_null(strstr(text, "broker-secret"));

    c = NULL;
    assert_int_equal(
        samsa_credentials_open_file(path, &c, errbuf, sizeof(errbuf)),
        SAMSA_OK);
    samsa_meta_rec_t *recs = NULL;
    size_t count = 0;
    assert_int_equal(samsa_credentials_records(c, &recs, &count), SAMSA_OK);
    samsa_credentials_close(c);
    assert_int_equal(count, 1);
    samsa_meta_image_t *img = samsa_meta_image_new();
    samsa_err_t outcome = SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    assert_int_equal(
        samsa_meta_image_apply(img, recs[0].p, recs[0].len, &outcome),
        SAMSA_OK);
    assert_int_equal(outcome, SAMSA_OK);
    free(recs[0].p);
    free(recs);
    const samsa_meta_security_t *sec = img->security;
    assert_non_null(sec);
    assert_int_equal(sec->scram_count, 1);
    assert_string_equal(sec->scram[0].user, "broker");
    assert_int_equal(sec->scram[0].mechanism, SAMSA_SCRAM_SHA_512);
    assert_int_equal(sec->scram[0].cred.iterations, 4096);
    assert_memory_equal(sec->scram[0].cred.stored_key, want.stored_key, 64);
    assert_memory_equal(sec->scram[0].cred.server_key, want.server_key, 64);
    samsa_meta_image_put(img);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(salted_password_bounds),
        cmocka_unit_test(file_to_bootstrap_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
