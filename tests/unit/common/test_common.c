/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa_common helpers: durable file replacement, the stored-batch view of
 * the one batch parser, and the engines' record iterator.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "crc32c.h"
#include "durable_file.h"
#include "record/batch.h"
#include "record/builder.h"
#include "records_v2.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        return NULL;
    }
    static char buf[256];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static void replace_writes_whole_content_and_leaves_no_temporary(void **state)
{
    (void)state;
    char dir[] = "/tmp/samsa-durable-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], tmp[160];
    snprintf(path, sizeof(path), "%s/meta", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(samsa_file_replace(path, NULL, "one\n", 4, true), 0);
    assert_string_equal(slurp(path), "one\n");
    assert_int_equal(samsa_file_replace(path, NULL, "two\n", 4, false), 0);
    assert_string_equal(slurp(path), "two\n");
    assert_int_equal(access(tmp, F_OK), -1);
    /* A caller-chosen temporary name (long names near NAME_MAX). */
    char fixed[160];
    snprintf(fixed, sizeof(fixed), "%s/.w.tmp", dir);
    assert_int_equal(samsa_file_replace(path, fixed, "three\n", 6, true), 0);
    assert_string_equal(slurp(path), "three\n");
    assert_int_equal(access(fixed, F_OK), -1);
    /* A failure names its errno and leaves the old content. */
    char missing[160];
    snprintf(missing, sizeof(missing), "%s/nodir/meta", dir);
    assert_int_not_equal(samsa_file_replace(missing, NULL, "x", 1, true), 0);
    assert_string_equal(slurp(path), "three\n");
    unlink(path);
    rmdir(dir);
}

static uint8_t *batch_of(int n, size_t *len)
{
    samsa_batch_builder_t bb;
    samsa_batch_builder_init(&bb);
    for (int i = 0; i < n; i++) {
        assert_int_equal(
            samsa_batch_builder_add(&bb, 1000 + i, "k", 1, "v", 1, NULL, 0),
            SAMSA_OK);
    }
    uint8_t *out;
    assert_int_equal(samsa_batch_builder_finish(&bb, &out, len), SAMSA_OK);
    samsa_batch_builder_free(&bb);
    return out;
}

static void stored_view_follows_the_one_parser(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = batch_of(3, &len);
    samsa_batches_assign(b, len, 40, 0, -1);
    sb_info_t info;
    assert_int_equal(sb_parse(b, len, &info), SB_OK);
    assert_int_equal(info.base, 40);
    assert_int_equal(info.last, 42);
    assert_int_equal(info.size, (int64_t)len);
    assert_int_equal(info.count, 3);
    assert_true(sb_crc_ok(b, len));
    /* Short header, short body, not a v2 batch. */
    assert_int_equal(sb_parse(b, 30, &info), SB_SHORT);
    assert_int_equal(sb_parse(b, len - 1, &info), SB_SHORT);
    b[SAMSA_BATCH_OFF_MAGIC] = 1;
    assert_int_equal(sb_parse(b, len, &info), SB_BAD);
    b[SAMSA_BATCH_OFF_MAGIC] = 2;
    samsa_put_be64(b, (uint64_t)-5); /* negative base offset */
    assert_int_equal(sb_parse(b, len, &info), SB_BAD);
    free(b);
}

/* Header offsets near INT64_MAX (UBSan found base + lastOffsetDelta
 * overflowing in the bounded fuzz run): a batch whose next offset would not
 * be an int64 is no batch a log can hold; the last one that fits is. */
static void offsets_past_int64_max_are_bad(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = batch_of(3, &len); /* lastOffsetDelta 2 */
    sb_info_t info;
    samsa_put_be64(b, (uint64_t)(INT64_MAX - 1));
    assert_int_equal(sb_parse(b, len, &info), SB_BAD);
    samsa_put_be64(b, (uint64_t)(INT64_MAX - 2)); /* last = MAX: no next */
    assert_int_equal(sb_parse(b, len, &info), SB_BAD);
    samsa_put_be64(b, (uint64_t)(INT64_MAX - 3));
    assert_int_equal(sb_parse(b, len, &info), SB_OK);
    assert_int_equal(info.last, INT64_MAX - 1);
    /* The raw sum wraps as Java's long does. */
    samsa_batch_hdr_t h;
    samsa_put_be64(b, (uint64_t)INT64_MAX);
    assert_int_equal(samsa_batch_parse(b, len, &h), SAMSA_OK);
    assert_false(samsa_batch_offsets_ok(&h));
    assert_true(samsa_batch_last_offset(&h) == INT64_MIN + 1);
    free(b);
}

static void record_view_reports_kafka_timestamps(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = batch_of(2, &len);
    samsa_batches_assign(b, len, 7, 0, -1); /* CreateTime */
    sb_info_t info;
    assert_int_equal(sb_parse(b, len, &info), SB_OK);
    sb_iter_t it;
    sb_record_t rec;
    assert_true(sb_iter_init(&it, b, &info));
    assert_int_equal(sb_iter_next(&it, &rec), 1);
    assert_int_equal(rec.offset, 7);
    assert_int_equal(rec.ts, 1000);
    assert_int_equal(rec.key_len, 1);
    assert_false(rec.tombstone);
    assert_int_equal(sb_iter_next(&it, &rec), 1);
    assert_int_equal(rec.offset, 8);
    assert_int_equal(rec.ts, 1001);
    assert_int_equal(sb_iter_next(&it, &rec), 0);
    /* LogAppendTime: every record reports the batch's max timestamp. */
    samsa_batches_assign(b, len, 7, 0, 5000);
    assert_int_equal(sb_parse(b, len, &info), SB_OK);
    assert_true(sb_iter_init(&it, b, &info));
    assert_int_equal(sb_iter_next(&it, &rec), 1);
    assert_int_equal(rec.ts, 5000);
    /* A record whose length overruns the batch is malformed. */
    b[SAMSA_BATCH_HEADER_SIZE] = 0x7e; /* length varint 63 */
    assert_true(sb_iter_init(&it, b, &info));
    assert_int_equal(sb_iter_next(&it, &rec), -1);
    free(b);
}

/* RFC 3720 B.4's vectors and the usual check value: the CRC-32C convention
 * (seed and result inverted) whatever the library underneath uses, and a
 * checksum continued over pieces equals the one-call checksum. */
static void crc32c_matches_rfc3720_and_continues(void **state)
{
    (void)state;
    uint8_t b[32];
    memset(b, 0, sizeof(b));
    assert_int_equal(samsa_crc32c(0, b, sizeof(b)), 0x8a9136aau);
    memset(b, 0xff, sizeof(b));
    assert_int_equal(samsa_crc32c(0, b, sizeof(b)), 0x62a8ab43u);
    for (int i = 0; i < 32; i++) {
        b[i] = (uint8_t)i;
    }
    assert_int_equal(samsa_crc32c(0, b, sizeof(b)), 0x46dd794eu);
    for (int i = 0; i < 32; i++) {
        b[i] = (uint8_t)(31 - i);
    }
    assert_int_equal(samsa_crc32c(0, b, sizeof(b)), 0x113fdb5cu);
    assert_int_equal(samsa_crc32c(0, "123456789", 9), 0xe3069283u);
    assert_int_equal(samsa_crc32c(0, b, 0), 0u);
    uint32_t c = samsa_crc32c(0, "1234", 4);
    assert_int_equal(samsa_crc32c(c, "56789", 5), 0xe3069283u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replace_writes_whole_content_and_leaves_no_temporary),
        cmocka_unit_test(stored_view_follows_the_one_parser),
        cmocka_unit_test(offsets_past_int64_max_are_bad),
        cmocka_unit_test(record_view_reports_kafka_timestamps),
        cmocka_unit_test(crc32c_matches_rfc3720_and_continues),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
