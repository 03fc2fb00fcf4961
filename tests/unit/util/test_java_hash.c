/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Java's String.hashCode and Kafka's internal-topic partition (Utils.abs
 * of it, modulo the partitions); expected values computed with Java's
 * rules (UTF-16 code units, 32-bit wrap).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "util/java_hash.h"

static void hashes_match_java(void **state)
{
    (void)state;
    assert_int_equal(samsa_java_string_hash(""), 0);
    assert_int_equal(samsa_java_string_hash("group"), 98629247);
    assert_int_equal(samsa_java_string_hash("\xc3\xa9"), 233); /* é */
    /* U+1F600: a surrogate pair */
    assert_int_equal(samsa_java_string_hash("\xf0\x9f\x98\x80"), 1772899);
    assert_int_equal(samsa_java_string_hash("connect-cluster-offsets-zz"),
                     -1507146397);
}

static void partitions_use_kafka_abs(void **state)
{
    (void)state;
    assert_int_equal(samsa_internal_partition_for("group", 50), 98629247 % 50);
    /* Integer.MIN_VALUE: Utils.abs maps it to 0 (a mask would give 0
     * here too, but not for other negatives). */
    assert_int_equal(samsa_java_string_hash("polygenelubricants"), INT32_MIN);
    assert_int_equal(samsa_internal_partition_for("polygenelubricants", 50), 0);
    /* a negative hash: Utils.abs of it */
    assert_int_equal(
        samsa_internal_partition_for("my-transactional-id-negative", 50),
        662018174 % 50);
    assert_int_equal(samsa_internal_partition_for("x", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hashes_match_java),
        cmocka_unit_test(partitions_use_kafka_abs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
