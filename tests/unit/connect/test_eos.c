/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tests/unit/connect/test_eos.c - the exactly-once keys (core/connect/
 * eos.h): the worker's exactly.once.source.support, a connector's
 * exactly.once.support, transaction.boundary, its interval and
 * offsets.storage.topic, with Kafka's defaults and messages, and a task's
 * transactional id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "connect/eos.h"

static void worker_key(void **state)
{
    (void)state;
    samsa_connect_eos_mode_t m = SAMSA_CONNECT_EOS_DISABLED;
    char err[256] = "";
    assert_int_equal(samsa_connect_eos_worker_set(&m,
                                                  "exactly.once.source.support",
                                                  "enabled", err, sizeof(err)),
                     SAMSA_OK);
    assert_int_equal(m, SAMSA_CONNECT_EOS_ENABLED);
    assert_int_equal(
        samsa_connect_eos_worker_set(&m, "exactly.once.source.support",
                                     "preparing", err, sizeof(err)),
        SAMSA_OK);
    assert_int_equal(m, SAMSA_CONNECT_EOS_PREPARING);
    /* Other worker keys are not its business. */
    assert_int_equal(
        samsa_connect_eos_worker_set(&m, "group.id", "x", err, sizeof(err)),
        SAMSA_OK);
    assert_int_equal(m, SAMSA_CONNECT_EOS_PREPARING);
    assert_int_equal(samsa_connect_eos_worker_set(&m,
                                                  "exactly.once.source.support",
                                                  "on", err, sizeof(err)),
                     SAMSA_ERR_CONFIG);
    assert_non_null(strstr(err, "String must be one of: disabled, enabled, "
                                "preparing"));
}

static void connector_keys(void **state)
{
    (void)state;
    char err[256] = "";
    samsa_connect_eos_conf_t c;
    json_t *cfg = json_object();
    assert_int_equal(samsa_connect_eos_from_config(cfg, &c, err, sizeof(err)),
                     SAMSA_OK);
    assert_false(c.required); /* requested */
    assert_int_equal(c.boundary, SAMSA_CONNECT_BOUNDARY_POLL);
    assert_int_equal(c.interval_ms, 60000); /* offset.flush.interval.ms */
    assert_null(c.offsets_topic);

    json_object_set_new(cfg, "exactly.once.support", json_string("required"));
    json_object_set_new(cfg, "transaction.boundary", json_string("interval"));
    json_object_set_new(cfg, "transaction.boundary.interval.ms",
                        json_string("250"));
    json_object_set_new(cfg, "offsets.storage.topic", json_string("my-offs"));
    assert_int_equal(samsa_connect_eos_from_config(cfg, &c, err, sizeof(err)),
                     SAMSA_OK);
    assert_true(c.required);
    assert_int_equal(c.boundary, SAMSA_CONNECT_BOUNDARY_INTERVAL);
    assert_int_equal(c.interval_ms, 250);
    assert_string_equal(c.offsets_topic, "my-offs");

    json_object_set_new(cfg, "transaction.boundary.interval.ms",
                        json_string("-1"));
    assert_int_equal(samsa_connect_eos_from_config(cfg, &c, err, sizeof(err)),
                     SAMSA_ERR_CONFIG);
    assert_int_equal(strncmp(err, "transaction.boundary.interval.ms:", 33), 0);
    json_object_del(cfg, "transaction.boundary.interval.ms");
    json_object_set_new(cfg, "exactly.once.support", json_string("always"));
    assert_int_equal(samsa_connect_eos_from_config(cfg, &c, err, sizeof(err)),
                     SAMSA_ERR_CONFIG);
    assert_non_null(strstr(err, "String must be one of: requested, required"));
    json_decref(cfg);
}

static void transactional_id(void **state)
{
    (void)state;
    char id[64];
    samsa_connect_eos_txn_id("connect-cluster", "src", 3, id, sizeof(id));
    assert_string_equal(id, "connect-cluster-src-3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(worker_key),
        cmocka_unit_test(connector_keys),
        cmocka_unit_test(transactional_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
