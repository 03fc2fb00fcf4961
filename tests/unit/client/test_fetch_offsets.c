/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The client's delivery of fetched batches (core/client/fetch.c) on
 * offsets a hostile or broken broker may send: a batch whose offsets run
 * past INT64_MAX is refused as corrupt (no signed overflow, no wrapped
 * position), the last batch that fits is delivered and the position ends
 * at INT64_MAX. And read_committed (Kafka's Fetcher): with a Fetch
 * response's aborted transactions the batches of those transactions are
 * skipped, up to the producer's abort marker; a later transaction of the
 * same producer, another producer's committed transaction and control
 * batches are handled as Kafka's consumer does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch_v2.h"
#include "client/client_int.h"
#include "record/builder.h"

static uint8_t *batch_of(int n, size_t *len)
{
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    for (int i = 0; i < n; i++) {
        assert_int_equal(
            samsa_batch_builder_add(&b, 1000 + i, "k", 1, "v", 1, NULL, 0),
            SAMSA_OK);
    }
    uint8_t *p;
    assert_int_equal(samsa_batch_builder_finish(&b, &p, len), SAMSA_OK);
    samsa_batch_builder_free(&b);
    return p;
}

static int count_cb(void *opaque, const samsa_client_record_t *rec)
{
    (void)rec;
    (*(int *)opaque)++;
    return 0;
}

/* A client that never connects, and a fetch config. */
static samsa_client_t *offline_client(samsa_fetch_conf_t *fc)
{
    samsa_client_conf_t conf = {.bootstrap = "127.0.0.1:1"};
    samsa_client_t *c;
    assert_int_equal(samsa_client_new(&conf, &c), SAMSA_OK);
    samsa_fetch_conf_init(fc);
    return c;
}

static void batches_past_int64_max_are_corrupt(void **state)
{
    (void)state;
    samsa_fetch_conf_t fc;
    samsa_client_t *c = offline_client(&fc);
    size_t len;
    uint8_t *b = batch_of(3, &len); /* lastOffsetDelta 2 */
    samsa_records_t recs = {.ptr = b, .len = (int32_t)len};
    samsa_fetch_pos_t pos = {.topic = "t", .partition = 0, .offset = 0};
    samsa_err_t err = SAMSA_OK;
    int n = 0;

    samsa_put_be64(b, (uint64_t)INT64_MAX);
    assert_int_equal(samsa_client_deliver_records(c, &fc, &pos, &recs, NULL,
                                                  count_cb, &n, &err),
                     -1);
    assert_int_equal(err, SAMSA_ERR_CORRUPT_MESSAGE);
    assert_int_equal(n, 0);
    assert_int_equal(pos.offset, 0);
    assert_non_null(strstr(samsa_client_errmsg(c), "out of range"));

    samsa_put_be64(b, (uint64_t)(INT64_MAX - 2)); /* last = MAX: no next */
    err = SAMSA_OK;
    assert_int_equal(samsa_client_deliver_records(c, &fc, &pos, &recs, NULL,
                                                  count_cb, &n, &err),
                     -1);
    assert_int_equal(n, 0);

    samsa_put_be64(b, (uint64_t)(INT64_MAX - 3));
    err = SAMSA_OK;
    assert_int_equal(samsa_client_deliver_records(c, &fc, &pos, &recs, NULL,
                                                  count_cb, &n, &err),
                     0);
    assert_int_equal(err, SAMSA_OK);
    assert_int_equal(n, 3);
    assert_true(pos.offset == INT64_MAX);
    free(b);
    samsa_client_free(c);
}

/* A batch of @p n records at @p base from producer @p pid (transactional
 * when pid >= 0), values "<base+i>"; a control batch when @p marker >= 0
 * (0 abort, 1 commit). Appended to buf at *len. */
static void add_batch(uint8_t **buf, size_t *len, int64_t base, int n,
                      int64_t pid, int marker)
{
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    for (int i = 0; i < n; i++) {
        char v[16];
        uint8_t key[4] = {0, 0, 0, (uint8_t)marker};
        int vl = snprintf(v, sizeof(v), "%d", (int)(base + i));
        assert_int_equal(
            samsa_batch_builder_add(&b, 1000, marker >= 0 ? key : NULL,
                                    marker >= 0 ? 4 : -1, v, vl, NULL, 0),
            SAMSA_OK);
    }
    b.producer_id = pid;
    b.producer_epoch = 0;
    b.base_sequence = pid >= 0 && marker < 0 ? 0 : -1;
    if (pid >= 0) {
        b.attributes |= SAMSA_BATCH_ATTR_TRANSACTIONAL;
    }
    if (marker >= 0) {
        b.attributes |= SAMSA_BATCH_ATTR_CONTROL;
    }
    uint8_t *p;
    size_t plen;
    assert_int_equal(samsa_batch_builder_finish(&b, &p, &plen), SAMSA_OK);
    samsa_put_be64(p, (uint64_t)base);
    *buf = realloc(*buf, *len + plen);
    assert_non_null(*buf);
    memcpy(*buf + *len, p, plen);
    *len += plen;
    free(p);
}

typedef struct seen {
    int64_t offsets[32];
    int n;
} seen_t;

static int collect(void *opaque, const samsa_client_record_t *rec)
{
    seen_t *s = opaque;
    assert_true(s->n < 32);
    s->offsets[s->n++] = rec->offset;
    return 0;
}

static void aborted_transactions_are_skipped(void **state)
{
    (void)state;
    samsa_fetch_conf_t fc;
    samsa_client_t *c = offline_client(&fc);
    fc.read_committed = true;
    uint8_t *buf = NULL;
    size_t len = 0;
    add_batch(&buf, &len, 0, 2, 7, -1);  /* pid 7: aborted below */
    add_batch(&buf, &len, 2, 2, 8, -1);  /* pid 8: committed */
    add_batch(&buf, &len, 4, 1, 7, 0);   /* abort marker of pid 7 */
    add_batch(&buf, &len, 5, 2, 7, -1);  /* pid 7's next transaction */
    add_batch(&buf, &len, 7, 1, 8, 1);   /* commit marker of pid 8 */
    add_batch(&buf, &len, 8, 1, -1, -1); /* not transactional */
    add_batch(&buf, &len, 9, 1, 7, 1);   /* commit marker of pid 7 */
    samsa_FetchResponse_AbortedTransaction_t ab[] = {
        {.ProducerId = 7, .FirstOffset = 0}};
    samsa_client_aborted_t aborted = {.items = ab, .count = 1};
    samsa_records_t recs = {.ptr = buf, .len = (int32_t)len};
    samsa_fetch_pos_t pos = {.topic = "t", .partition = 0, .offset = 0};
    samsa_err_t err = SAMSA_OK;
    seen_t s = {0};

    assert_int_equal(samsa_client_deliver_records(c, &fc, &pos, &recs, &aborted,
                                                  collect, &s, &err),
                     0);
    assert_int_equal(err, SAMSA_OK);
    int64_t want[] = {2, 3, 5, 6, 8};
    assert_int_equal(s.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(s.offsets[i], want[i]);
    }
    assert_int_equal(pos.offset, 10);

    /* read_uncommitted (no list): every data record, markers skipped. */
    pos.offset = 0;
    s.n = 0;
    assert_int_equal(samsa_client_deliver_records(c, &fc, &pos, &recs, NULL,
                                                  collect, &s, &err),
                     0);
    assert_int_equal(s.n, 7);
    assert_int_equal(pos.offset, 10);
    free(buf);
    samsa_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(batches_past_int64_max_are_corrupt),
        cmocka_unit_test(aborted_transactions_are_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
