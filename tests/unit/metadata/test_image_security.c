/* SPDX-License-Identifier: Apache-2.0 */
/* The security part of the metadata image (records 32..47): ACLs, SCRAM
 * credentials, client quotas and broker configs applied, deleted, shared
 * between images until changed, and carried by snapshots. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metadata/image.h"
#include "metadata/image_security.h"

static samsa_err_t apply(samsa_meta_image_t *img, samsa_err_t rc,
                         samsa_meta_rec_t rec)
{
    samsa_err_t outcome = SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    assert_int_equal(rc, SAMSA_OK);
    assert_int_equal(samsa_meta_image_apply(img, rec.p, rec.len, &outcome),
                     SAMSA_OK);
    free(rec.p);
    return outcome;
}

static samsa_meta_acl_t acl(const char *topic, const char *principal)
{
    return (samsa_meta_acl_t){.resource_type = 2, /* TOPIC */
                              .pattern_type = 3,  /* LITERAL */
                              .operation = 4,     /* WRITE */
                              .permission = 3,    /* ALLOW */
                              .resource_name = (char *)topic,
                              .principal = (char *)principal,
                              .host = "*"};
}

static samsa_err_t add_acl(samsa_meta_image_t *img, samsa_meta_acl_t a,
                           bool add)
{
    samsa_meta_rec_t rec;
    samsa_err_t rc = samsa_mdrec_acl(&a, add, &rec);
    return apply(img, rc, rec);
}

static samsa_meta_scram_t scram(const char *user, int8_t mech, uint8_t fill)
{
    samsa_meta_scram_t s = {.user = (char *)user, .mechanism = mech};
    s.cred.iterations = 4096;
    s.cred.salt_len = 16;
    s.cred.key_len = mech == 1 ? 32 : 64;
    memset(s.cred.salt, fill, 16);
    memset(s.cred.stored_key, fill + 1, s.cred.key_len);
    memset(s.cred.server_key, fill + 2, s.cred.key_len);
    return s;
}

static samsa_err_t set_quota(samsa_meta_image_t *img, const char *user,
                             const char *client, const char *key, double v,
                             bool remove)
{
    samsa_meta_quota_t q = {.has_user = user != NULL,
                            .user = user && *user ? (char *)user : NULL,
                            .has_client = client != NULL,
                            .client = (char *)client,
                            .key = (char *)key,
                            .value = v};
    samsa_meta_rec_t rec;
    samsa_err_t rc = samsa_mdrec_client_quota(&q, remove, &rec);
    return apply(img, rc, rec);
}

static samsa_err_t set_config(samsa_meta_image_t *img, const char *resource,
                              const char *key, const char *value)
{
    samsa_meta_rec_t rec;
    samsa_err_t rc = samsa_mdrec_broker_config(resource, key, value, &rec);
    return apply(img, rc, rec);
}

static void acls_added_once_and_removed(void **state)
{
    (void)state;
    samsa_meta_image_t *img = samsa_meta_image_new();
    assert_null(img->security);
    assert_int_equal(add_acl(img, acl("orders", "User:alice"), true), SAMSA_OK);
    assert_int_equal(add_acl(img, acl("orders", "User:alice"), true),
                     SAMSA_OK); /* the same ACL again: no second one */
    assert_int_equal(add_acl(img, acl("orders", "User:bob"), true), SAMSA_OK);
    assert_int_equal(img->security->acl_count, 2);
    assert_int_equal(add_acl(img, acl("orders", "User:alice"), false),
                     SAMSA_OK);
    assert_int_equal(add_acl(img, acl("nothing", "User:alice"), false),
                     SAMSA_OK); /* absent: no change, no error */
    assert_int_equal(img->security->acl_count, 1);
    assert_string_equal(img->security->acls[0].principal, "User:bob");
    assert_string_equal(img->security->acls[0].host, "*");
    assert_int_equal(img->security->acls[0].operation, 4);
    samsa_meta_image_put(img);
}

static void scram_upserted_and_deleted(void **state)
{
    (void)state;
    samsa_meta_image_t *img = samsa_meta_image_new();
    samsa_meta_rec_t rec;
    samsa_meta_scram_t s = scram("alice", 1, 7);
    assert_int_equal(apply(img, samsa_mdrec_scram_upsert(&s, &rec), rec),
                     SAMSA_OK);
    s = scram("alice", 2, 9);
    assert_int_equal(apply(img, samsa_mdrec_scram_upsert(&s, &rec), rec),
                     SAMSA_OK);
    s = scram("alice", 1, 11); /* a new password */
    s.cred.iterations = 8192;
    assert_int_equal(apply(img, samsa_mdrec_scram_upsert(&s, &rec), rec),
                     SAMSA_OK);
    const samsa_meta_security_t *sec = img->security;
    assert_int_equal(sec->scram_count, 2);
    for (size_t i = 0; i < 2; i++) {
        const samsa_meta_scram_t *e = &sec->scram[i];
        assert_string_equal(e->user, "alice");
        assert_int_equal(e->cred.key_len, e->mechanism == 1 ? 32 : 64);
        assert_int_equal(e->cred.salt[0], e->mechanism == 1 ? 11 : 9);
        assert_int_equal(e->cred.server_key[e->cred.key_len - 1],
                         e->mechanism == 1 ? 13 : 11);
        assert_int_equal(e->cred.iterations, e->mechanism == 1 ? 8192 : 4096);
    }
    assert_int_equal(
        apply(img, samsa_mdrec_scram_delete("alice", 2, &rec), rec), SAMSA_OK);
    assert_int_equal(
        apply(img, samsa_mdrec_scram_delete("alice", 2, &rec), rec),
        SAMSA_ERR_RESOURCE_NOT_FOUND);
    assert_int_equal(img->security->scram_count, 1);
    assert_int_equal(img->security->scram[0].mechanism, 1);
    samsa_meta_image_put(img);
}

static void quotas_and_configs_set_and_removed(void **state)
{
    (void)state;
    samsa_meta_image_t *img = samsa_meta_image_new();
    assert_int_equal(
        set_quota(img, "alice", NULL, "producer_byte_rate", 1000, false), 0);
    assert_int_equal(
        set_quota(img, "alice", NULL, "producer_byte_rate", 2000, false), 0);
    assert_int_equal(
        set_quota(img, "", "app", "consumer_byte_rate", 500, false), 0);
    const samsa_meta_security_t *sec = img->security;
    assert_int_equal(sec->quota_count, 2);
    assert_string_equal(sec->quotas[0].user, "alice");
    assert_false(sec->quotas[0].has_client);
    assert_true(sec->quotas[0].value == 2000);
    /* The default user (has_user, no name) with a named client. */
    assert_true(sec->quotas[1].has_user);
    assert_null(sec->quotas[1].user);
    assert_string_equal(sec->quotas[1].client, "app");
    assert_int_equal(
        set_quota(img, "alice", NULL, "producer_byte_rate", 0, true), 0);
    assert_int_equal(img->security->quota_count, 1);

    assert_int_equal(set_config(img, "", "log.retention.ms", "1000"), 0);
    assert_int_equal(set_config(img, "2", "log.retention.ms", "2000"), 0);
    assert_int_equal(set_config(img, "2", "log.retention.ms", "3000"), 0);
    assert_string_equal(samsa_meta_broker_config(img, "", "log.retention.ms"),
                        "1000");
    assert_string_equal(samsa_meta_broker_config(img, "2", "log.retention.ms"),
                        "3000");
    assert_int_equal(set_config(img, "2", "log.retention.ms", NULL), 0);
    assert_null(samsa_meta_broker_config(img, "2", "log.retention.ms"));
    assert_int_equal(img->security->config_count, 1);
    samsa_meta_image_put(img);
}

static void shared_until_changed_and_snapshotted(void **state)
{
    (void)state;
    samsa_meta_image_t *img = samsa_meta_image_new();
    samsa_meta_rec_t rec;
    samsa_meta_scram_t s = scram("bob", 2, 3);
    assert_int_equal(add_acl(img, acl("orders", "User:alice"), true), 0);
    assert_int_equal(apply(img, samsa_mdrec_scram_upsert(&s, &rec), rec),
                     SAMSA_OK);
    assert_int_equal(
        set_quota(img, NULL, "app", "request_percentage", 12.5, false), 0);
    assert_int_equal(set_config(img, "1", "log.cleaner.threads", "2"), 0);

    /* A clone shares the part; a topic record leaves it shared; a
     * security record gives the clone its own copy. */
    samsa_meta_image_t *next = samsa_meta_image_clone(img);
    assert_ptr_equal(next->security, img->security);
    assert_int_equal(add_acl(next, acl("orders", "User:carol"), true), 0);
    assert_ptr_not_equal(next->security, img->security);
    assert_int_equal(img->security->acl_count, 1);
    assert_int_equal(next->security->acl_count, 2);

    uint8_t *p = NULL;
    size_t len = 0;
    samsa_meta_image_t *back = NULL;
    assert_int_equal(samsa_meta_image_encode(next, &p, &len), SAMSA_OK);
    assert_int_equal(samsa_meta_image_decode(p, len, &back), SAMSA_OK);
    const samsa_meta_security_t *b = back->security;
    assert_int_equal(b->acl_count, 2);
    assert_string_equal(b->acls[1].principal, "User:carol");
    assert_int_equal(b->scram_count, 1);
    assert_memory_equal(&b->scram[0].cred, &next->security->scram[0].cred,
                        sizeof(b->scram[0].cred));
    assert_int_equal(b->quota_count, 1);
    assert_false(b->quotas[0].has_user);
    assert_true(b->quotas[0].value == 12.5);
    assert_string_equal(
        samsa_meta_broker_config(back, "1", "log.cleaner.threads"), "2");
    free(p);
    samsa_meta_image_put(back);
    samsa_meta_image_put(next);
    samsa_meta_image_put(img);
}

/* The bootstrap marker (samsa storage format --add-scram): the first one
 * applied names the log's start, a later one changes nothing, a snapshot
 * carries it; "started unformatted" (no users) is kept as such. */
static void first_bootstrap_marker_counts(void **state)
{
    (void)state;
    samsa_meta_image_t *img = samsa_meta_image_new();
    samsa_meta_rec_t rec;
    assert_int_equal(
        apply(img, samsa_mdrec_scram_bootstrap(2, "broker/SCRAM-SHA-512", &rec),
              rec),
        SAMSA_OK);
    assert_int_equal(
        apply(img, samsa_mdrec_scram_bootstrap(3, NULL, &rec), rec), SAMSA_OK);
    assert_true(img->security->bootstrapped);
    assert_int_equal(img->security->bootstrap_node, 2);
    assert_string_equal(img->security->bootstrap_users, "broker/SCRAM-SHA-512");
    uint8_t *p = NULL;
    size_t len = 0;
    samsa_meta_image_t *back = NULL;
    assert_int_equal(samsa_meta_image_encode(img, &p, &len), SAMSA_OK);
    assert_int_equal(samsa_meta_image_decode(p, len, &back), SAMSA_OK);
    assert_true(back->security->bootstrapped);
    assert_int_equal(back->security->bootstrap_node, 2);
    assert_string_equal(back->security->bootstrap_users,
                        "broker/SCRAM-SHA-512");
    free(p);
    samsa_meta_image_put(back);
    samsa_meta_image_put(img);

    img = samsa_meta_image_new();
    assert_int_equal(
        apply(img, samsa_mdrec_scram_bootstrap(1, NULL, &rec), rec), SAMSA_OK);
    assert_true(img->security->bootstrapped);
    assert_null(img->security->bootstrap_users);
    samsa_meta_image_put(img);
}

static void damaged_records_are_refused(void **state)
{
    (void)state;
    samsa_meta_image_t *img = samsa_meta_image_new();
    samsa_meta_rec_t rec;
    samsa_meta_scram_t s = scram("bob", 2, 3);
    assert_int_equal(samsa_mdrec_scram_upsert(&s, &rec), SAMSA_OK);
    samsa_err_t outcome;
    for (size_t cut = 2; cut < rec.len; cut += 7) {
        assert_int_not_equal(samsa_meta_image_apply(img, rec.p, cut, &outcome),
                             SAMSA_OK);
    }
    assert_null(img->security ? img->security->scram : NULL);
    free(rec.p);
    samsa_meta_image_put(img);
}

/* Not a security record, but what lets a secured cluster's clients stay
 * on the listener they chose: a broker's registration keeps every
 * listener; a record from before (no listener list) still applies. */
static void broker_listeners_are_kept(void **state)
{
    (void)state;
    samsa_meta_listener_t ls[2] = {{"PLAINTEXT", "127.0.0.1", 9092},
                                   {"SASL_PLAINTEXT", "10.0.0.1", 9095}};
    samsa_meta_broker_t b = {.id = 1,
                             .epoch = -1,
                             .host = "127.0.0.1",
                             .port = 9092,
                             .listener_count = 2,
                             .listeners = ls};
    samsa_meta_image_t *img = samsa_meta_image_new();
    samsa_meta_rec_t rec;
    assert_int_equal(samsa_mdrec_broker(&b, &rec), SAMSA_OK);
    assert_int_equal(apply(img, SAMSA_OK, rec), SAMSA_OK);
    b.id = 2;
    b.listener_count = 0;
    assert_int_equal(samsa_mdrec_broker(&b, &rec), SAMSA_OK);
    rec.len -= 4; /* an older record: no listener count at all */
    assert_int_equal(apply(img, SAMSA_OK, rec), SAMSA_OK);

    uint8_t *p = NULL;
    size_t len = 0;
    samsa_meta_image_t *back = NULL;
    assert_int_equal(samsa_meta_image_encode(img, &p, &len), SAMSA_OK);
    assert_int_equal(samsa_meta_image_decode(p, len, &back), SAMSA_OK);
    samsa_meta_image_t *clone = samsa_meta_image_clone(back);
    const char *host;
    int32_t port;
    samsa_meta_broker_endpoint(samsa_meta_broker(clone, 1), "SASL_PLAINTEXT",
                               &host, &port);
    assert_string_equal(host, "10.0.0.1");
    assert_int_equal(port, 9095);
    samsa_meta_broker_endpoint(samsa_meta_broker(clone, 1), "OTHER", &host,
                               &port);
    assert_int_equal(port, 9092);
    samsa_meta_broker_endpoint(samsa_meta_broker(clone, 2), "SASL_PLAINTEXT",
                               &host, &port);
    assert_int_equal(port, 9092);
    assert_int_equal(samsa_meta_broker(clone, 2)->listener_count, 0);
    free(p);
    samsa_meta_image_put(clone);
    samsa_meta_image_put(back);
    samsa_meta_image_put(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(acls_added_once_and_removed),
        cmocka_unit_test(scram_upserted_and_deleted),
        cmocka_unit_test(quotas_and_configs_set_and_removed),
        cmocka_unit_test(shared_until_changed_and_snapshotted),
        cmocka_unit_test(first_bootstrap_marker_counts),
        cmocka_unit_test(damaged_records_are_refused),
        cmocka_unit_test(broker_listeners_are_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
