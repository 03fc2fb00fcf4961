/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker handlers without a running broker: a real broker object
 * (registry, log manager on storage-memory, group coordinator) is created
 * but never started; each test encodes a request with the protocol codecs,
 * runs it through samsa_broker_call (the same header parser, dispatch and
 * handler a connection's request takes) and decodes the response frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "batch_builder.h" /* tests/unit/storage */

#include "broker/broker.h"
#include "broker/request.h"
#include "protocol/generated/messages.h"
#include "protocol/header.h"
#include "record/batch.h"

typedef struct fixture {
    char dir[256];
    samsa_broker_config_t cfg;
    samsa_broker_t *b;
    samsa_arena_t arena;
    int32_t corr;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/samsa-handlers-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char conf[300], data[300], path[400];
    snprintf(conf, sizeof(conf), "%s/conf.d", f->dir);
    snprintf(data, sizeof(data), "%s/data", f->dir);
    assert_int_equal(mkdir(conf, 0755), 0);
    snprintf(path, sizeof(path), "%s/10-storage.yaml", conf);
    FILE *y = fopen(path, "w");
    fprintf(y, "plugins:\n  - name: segment\n    plugin: storage-segment\n"
               "  - name: memory\n    plugin: storage-memory\n");
    fclose(y);
    /* The handlers of a standalone node (an earlier release's data dir
     * with a store the metadata log does not take yet, config/cluster.h):
     * no quorum to start, so requests run in-process at once. */
    snprintf(path, sizeof(path), "%s/__samsa_meta", data);
    assert_int_equal(mkdir(data, 0755), 0);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/__samsa_meta/broker_configs", data);
    y = fopen(path, "w");
    fprintf(y, "default.message.max.bytes=1048588\n");
    fclose(y);
    const char *plugins = getenv("SAMSA_TEST_PLUGIN_DIR");
    char *argv[] = {"samsad",     "--listen",     "127.0.0.1:0",
                    "--data-dir", data,           "--conf-dir",
                    conf,         "--plugin-dir", (char *)plugins};
    char err[512];
    assert_int_equal(
        samsa_broker_config_load(9, argv, &f->cfg, err, sizeof(err)), SAMSA_OK);
    assert_int_equal(samsa_broker_create(&f->cfg, &f->b, err, sizeof(err)),
                     SAMSA_OK);
    samsa_arena_init(&f->arena);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    samsa_broker_destroy(f->b);
    samsa_broker_config_free(&f->cfg);
    samsa_arena_destroy(&f->arena);
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* What the sink got: the response frame, or nothing. */
typedef struct answer {
    uint8_t *frame;
    size_t len;
    atomic_bool done;
    int64_t flushes_then; /* engine flushes when the answer was given */
    samsa_broker_t *b;
} answer_t;

static void sink(void *arg, samsa_iobuf_t *out)
{
    answer_t *a = arg;
    if (out) {
        assert_int_equal(samsa_iobuf_flatten(out, &a->frame, &a->len),
                         SAMSA_OK);
    }
    a->flushes_then = samsa_logmgr_flush_count(a->b->logs);
    atomic_store(&a->done, true);
}

/* Encode a request, run it, return the answer (not yet decoded). */
static void call_raw(fixture_t *f, int16_t key, int16_t ver, const void *body,
                     answer_t *a)
{
    samsa_iobuf_t io;
    samsa_iobuf_init(&io);
    assert_int_equal(
        samsa_request_frame(&io, key, ver, ++f->corr, SAMSA_STR("unit"), body),
        SAMSA_OK);
    uint8_t *frame;
    size_t len;
    assert_int_equal(samsa_iobuf_flatten(&io, &frame, &len), SAMSA_OK);
    samsa_iobuf_clear(&io);
    *a = (answer_t){.b = f->b};
    samsa_broker_call(f->b, frame + 4, len - 4, sink, a); /* no size */
    free(frame);
}

static bool arrives(answer_t *a)
{
    for (int i = 0; i < 500 && !atomic_load(&a->done); i++) {
        usleep(10000);
    }
    return atomic_load(&a->done);
}

/* Decode the answer's body (after size and header). */
static void *decode(fixture_t *f, answer_t *a, int16_t key, int16_t ver)
{
    assert_true(arrives(a));
    assert_non_null(a->frame);
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, a->frame + 4, a->len - 4);
    int32_t corr;
    assert_int_equal(samsa_resp_header_parse(&rb, key, ver, &corr), SAMSA_OK);
    assert_int_equal(corr, f->corr);
    void *resp;
    assert_int_equal(samsa_response_decode(key, ver, &rb, &f->arena, &resp),
                     SAMSA_OK);
    assert_int_equal(samsa_rbuf_left(&rb), 0);
    return resp; /* points into a->frame: keep it until done */
}

static void *call(fixture_t *f, int16_t key, int16_t ver, const void *body,
                  answer_t *a)
{
    call_raw(f, key, ver, body, a);
    return decode(f, a, key, ver);
}

/* CreateTopics v5: one partition on storage-memory (plus @p extra). */
static void create_topic(fixture_t *f, const char *name, const char *extra_key,
                         const char *extra_value)
{
    samsa_CreateTopicsRequest_CreateableTopicConfig_t cfgs[2] = {
        {SAMSA_STR("samsa.storage.engine"), SAMSA_STR("memory")},
        {{extra_key, extra_key ? (int32_t)strlen(extra_key) : 0},
         {extra_value, extra_value ? (int32_t)strlen(extra_value) : 0}}};
    samsa_CreateTopicsRequest_CreatableTopic_t t;
    samsa_CreateTopicsRequest_CreatableTopic_init(&t);
    t.Name = (samsa_str_t){name, (int32_t)strlen(name)};
    t.NumPartitions = 1;
    t.ReplicationFactor = 1;
    t.Assignments.count = 0;
    t.Configs.items = cfgs;
    t.Configs.count = extra_key ? 2 : 1;
    samsa_CreateTopicsRequest_t req;
    samsa_CreateTopicsRequest_init(&req);
    req.Topics.items = &t;
    req.Topics.count = 1;
    answer_t a;
    samsa_CreateTopicsResponse_t *resp =
        call(f, SAMSA_API_CREATE_TOPICS, 5, &req, &a);
    assert_int_equal(resp->Topics.count, 1);
    assert_int_equal(resp->Topics.items[0].ErrorCode, SAMSA_OK);
    free(a.frame);
}

/* One batch of @p n records (8-byte values), as a producer sends it. */
static uint8_t *make_batch(int n, size_t *len)
{
    uint8_t *b = malloc(4096);
    *len = tb_build_fill(b, 4096, 0, n, 8, 1000);
    assert_true(*len > 0);
    return b;
}

/* Produce v8 of @p records to partition 0 of @p topic; the partition's
 * answer is copied to *out. */
static void produce(fixture_t *f, const char *topic, int16_t acks,
                    const uint8_t *records, size_t len,
                    samsa_ProduceResponse_PartitionProduceResponse_t *out,
                    answer_t *a)
{
    samsa_ProduceRequest_PartitionProduceData_t pd = {
        0, {records, (int32_t)len, NULL, NULL}};
    samsa_ProduceRequest_TopicProduceData_t td = {
        {topic, (int32_t)strlen(topic)}, {1, &pd}};
    samsa_ProduceRequest_t req;
    samsa_ProduceRequest_init(&req);
    req.Acks = acks;
    req.TimeoutMs = 30000;
    req.TopicData.items = &td;
    req.TopicData.count = 1;
    call_raw(f, SAMSA_API_PRODUCE, 8, &req, a);
    if (!out) {
        return;
    }
    samsa_ProduceResponse_t *resp = decode(f, a, SAMSA_API_PRODUCE, 8);
    assert_int_equal(resp->Responses.count, 1);
    assert_int_equal(resp->Responses.items[0].PartitionResponses.count, 1);
    *out = resp->Responses.items[0].PartitionResponses.items[0];
}

static void produce_then_fetch_returns_the_stored_batches(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "orders", NULL, NULL);
    samsa_ProduceResponse_PartitionProduceResponse_t pr;
    answer_t a1, a2;
    size_t len;
    uint8_t *batch = make_batch(3, &len);
    produce(f, "orders", -1, batch, len, &pr, &a1);
    assert_int_equal(pr.ErrorCode, SAMSA_OK);
    assert_int_equal(pr.BaseOffset, 0);
    assert_int_equal(pr.LogStartOffset, 0);
    free(batch);
    batch = make_batch(2, &len);
    produce(f, "orders", 1, batch, len, &pr, &a2);
    assert_int_equal(pr.ErrorCode, SAMSA_OK);
    assert_int_equal(pr.BaseOffset, 3);
    free(batch);
    free(a1.frame);
    free(a2.frame);

    /* Fetch v11 from offset 1: both batches (the first holds offset 1),
     * offsets as assigned, high watermark 5. */
    samsa_FetchRequest_FetchPartition_t fp;
    samsa_FetchRequest_FetchPartition_init(&fp);
    fp.Partition = 0;
    fp.FetchOffset = 1;
    fp.PartitionMaxBytes = 1 << 20;
    samsa_FetchRequest_FetchTopic_t ft;
    samsa_FetchRequest_FetchTopic_init(&ft);
    ft.Topic = SAMSA_STR("orders");
    ft.Partitions.items = &fp;
    ft.Partitions.count = 1;
    samsa_FetchRequest_t req;
    samsa_FetchRequest_init(&req);
    req.MaxWaitMs = 500;
    req.MinBytes = 1;
    req.Topics.items = &ft;
    req.Topics.count = 1;
    req.ForgottenTopicsData.count = 0;
    answer_t a;
    samsa_FetchResponse_t *resp = call(f, SAMSA_API_FETCH, 11, &req, &a);
    assert_int_equal(resp->ErrorCode, SAMSA_OK);
    assert_int_equal(resp->Responses.count, 1);
    samsa_FetchResponse_PartitionData_t *pd =
        &resp->Responses.items[0].Partitions.items[0];
    assert_int_equal(pd->ErrorCode, SAMSA_OK);
    assert_int_equal(pd->HighWatermark, 5);
    const uint8_t *p = pd->Records.ptr;
    size_t left = (size_t)pd->Records.len;
    int64_t bases[2];
    int n = 0;
    while (left > 0) {
        samsa_batch_hdr_t h;
        assert_int_equal(samsa_batch_parse(p, left, &h), SAMSA_OK);
        assert_true(samsa_batch_crc_ok(p, &h));
        assert_true(n < 2);
        bases[n++] = h.base_offset;
        p += samsa_batch_size(&h);
        left -= samsa_batch_size(&h);
    }
    assert_int_equal(n, 2);
    assert_int_equal(bases[0], 0);
    assert_int_equal(bases[1], 3);
    free(a.frame);

    /* ListOffsets v5: earliest 0, latest 5. */
    samsa_ListOffsetsRequest_ListOffsetsPartition_t lp[2];
    samsa_ListOffsetsRequest_ListOffsetsPartition_init(&lp[0]);
    lp[0].Timestamp = -2;
    samsa_ListOffsetsRequest_t lreq;
    samsa_ListOffsetsRequest_init(&lreq);
    samsa_ListOffsetsRequest_ListOffsetsTopic_t lt = {SAMSA_STR("orders"),
                                                      {1, lp}};
    lreq.ReplicaId = -1;
    lreq.Topics.items = &lt;
    lreq.Topics.count = 1;
    samsa_ListOffsetsResponse_t *lresp =
        call(f, SAMSA_API_LIST_OFFSETS, 5, &lreq, &a);
    assert_int_equal(lresp->Topics.items[0].Partitions.items[0].Offset, 0);
    free(a.frame);
    lp[0].Timestamp = -1;
    lresp = call(f, SAMSA_API_LIST_OFFSETS, 5, &lreq, &a);
    assert_int_equal(lresp->Topics.items[0].Partitions.items[0].ErrorCode,
                     SAMSA_OK);
    assert_int_equal(lresp->Topics.items[0].Partitions.items[0].Offset, 5);
    free(a.frame);
}

static void produce_errors_are_answered_per_partition(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "strict", NULL, NULL);
    samsa_ProduceResponse_PartitionProduceResponse_t pr;
    answer_t a;
    size_t len;
    uint8_t *batch = make_batch(1, &len);

    produce(f, "nosuch", 1, batch, len, &pr, &a);
    assert_int_equal(pr.ErrorCode, SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(pr.BaseOffset, -1);
    free(a.frame);

    produce(f, "strict", 7, batch, len, &pr, &a);
    assert_int_equal(pr.ErrorCode, SAMSA_ERR_INVALID_REQUIRED_ACKS);
    free(a.frame);

    batch[len - 1] ^= 0xff; /* the CRC no longer matches */
    produce(f, "strict", 1, batch, len, &pr, &a);
    assert_int_equal(pr.ErrorCode, SAMSA_ERR_CORRUPT_MESSAGE);
    free(a.frame);
    free(batch);

    /* acks=0: no answer at all. */
    batch = make_batch(1, &len);
    produce(f, "strict", 0, batch, len, NULL, &a);
    assert_true(arrives(&a));
    assert_null(a.frame);
    free(batch);
}

static void malformed_and_unserved_requests_are_closed(void **state)
{
    fixture_t *f = *state;
    answer_t a = {.b = f->b};
    const uint8_t truncated[] = {0, 3, 0}; /* half an api version */
    samsa_broker_call(f->b, truncated, sizeof(truncated), sink, &a);
    assert_true(a.done);
    assert_null(a.frame);

    /* Produce v42 does not exist: closed, as Kafka does. */
    const uint8_t unserved[] = {0, 0, 0, 42, 0, 0, 0, 1, 0xff, 0xff};
    a = (answer_t){.b = f->b};
    samsa_broker_call(f->b, unserved, sizeof(unserved), sink, &a);
    assert_true(a.done);
    assert_null(a.frame);
}

/* Issue 11 item 7 at the handler: with flush.messages=1 the Produce answer
 * is given only once the engine's flush of the append has run. */
static void produce_answer_follows_the_flush_it_made_due(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "durable", "flush.messages", "1");
    int64_t before = samsa_logmgr_flush_count(f->b->logs);
    samsa_ProduceResponse_PartitionProduceResponse_t pr;
    answer_t a;
    size_t len;
    uint8_t *batch = make_batch(2, &len);
    produce(f, "durable", 1, batch, len, &pr, &a);
    assert_int_equal(pr.ErrorCode, SAMSA_OK);
    assert_true(a.flushes_then > before);
    free(a.frame);
    free(batch);
}

/* OffsetForLeaderEpoch v4 for partition 0 of @p topic. */
static samsa_OffsetForLeaderEpochResponse_EpochEndOffset_t
epoch_end(fixture_t *f, const char *topic, int32_t current, int32_t epoch)
{
    samsa_OffsetForLeaderEpochRequest_OffsetForLeaderPartition_t p = {
        .Partition = 0, .CurrentLeaderEpoch = current, .LeaderEpoch = epoch};
    samsa_OffsetForLeaderEpochRequest_OffsetForLeaderTopic_t t = {
        {topic, (int32_t)strlen(topic)}, {1, &p}};
    samsa_OffsetForLeaderEpochRequest_t req;
    samsa_OffsetForLeaderEpochRequest_init(&req);
    req.ReplicaId = -1;
    req.Topics.items = &t;
    req.Topics.count = 1;
    answer_t a;
    samsa_OffsetForLeaderEpochResponse_t *resp =
        call(f, SAMSA_API_OFFSET_FOR_LEADER_EPOCH, 4, &req, &a);
    assert_int_equal(resp->Topics.count, 1);
    assert_int_equal(resp->Topics.items[0].Partitions.count, 1);
    samsa_OffsetForLeaderEpochResponse_EpochEndOffset_t out =
        resp->Topics.items[0].Partitions.items[0];
    free(a.frame);
    return out;
}

/* A partition led in epoch 2 after 3 records in epoch 0: the answers and
 * the current-epoch checks of OffsetForLeaderEpoch, and produce refused
 * once it follows. */
static void offset_for_leader_epoch_follows_the_epoch_cache(void **state)
{
    fixture_t *f = *state;
    create_topic(f, "ep", NULL, NULL);
    size_t len;
    uint8_t *batch = make_batch(3, &len);
    samsa_ProduceResponse_PartitionProduceResponse_t pr;
    answer_t a;
    produce(f, "ep", 1, batch, len, &pr, &a);
    assert_int_equal(pr.ErrorCode, SAMSA_OK);
    free(a.frame);
    samsa_topic_t *t = samsa_logmgr_topic_get(f->b->logs, "ep");
    samsa_partition_t *part = samsa_topic_partition(t, 0);
    assert_int_equal(samsa_partition_become_leader(part, 2), SAMSA_OK);
    free(batch);
    batch = make_batch(2, &len);
    produce(f, "ep", 1, batch, len, &pr, &a);
    assert_int_equal(pr.ErrorCode, SAMSA_OK);
    assert_int_equal(pr.BaseOffset, 3);
    free(a.frame);

    samsa_OffsetForLeaderEpochResponse_EpochEndOffset_t r;
    r = epoch_end(f, "ep", -1, 0); /* epoch 0 ends where 2 starts */
    assert_int_equal(r.ErrorCode, SAMSA_OK);
    assert_int_equal(r.LeaderEpoch, 0);
    assert_int_equal(r.EndOffset, 3);
    r = epoch_end(f, "ep", 2, 1); /* 1 unknown: the epoch below it */
    assert_int_equal(r.LeaderEpoch, 0);
    assert_int_equal(r.EndOffset, 3);
    r = epoch_end(f, "ep", 2, 2); /* the current one ends at the LEO */
    assert_int_equal(r.ErrorCode, SAMSA_OK);
    assert_int_equal(r.LeaderEpoch, 2);
    assert_int_equal(r.EndOffset, 5);
    r = epoch_end(f, "ep", 1, 2); /* a client behind the leader */
    assert_int_equal(r.ErrorCode, SAMSA_ERR_FENCED_LEADER_EPOCH);
    assert_int_equal(r.EndOffset, -1);
    r = epoch_end(f, "ep", 3, 2); /* a client ahead of this broker */
    assert_int_equal(r.ErrorCode, SAMSA_ERR_UNKNOWN_LEADER_EPOCH);
    r = epoch_end(f, "nope", -1, 0);
    assert_int_equal(r.ErrorCode, SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION);

    /* A follower refuses produce, and the broker goes on serving. */
    assert_int_equal(samsa_partition_become_follower(part, 3), SAMSA_OK);
    produce(f, "ep", 1, batch, len, &pr, &a);
    assert_int_equal(pr.ErrorCode, SAMSA_ERR_NOT_LEADER_OR_FOLLOWER);
    free(a.frame);
    assert_int_equal(samsa_partition_leo(part), 5);
    /* ...and leaves OffsetForLeaderEpoch to the leader. */
    r = epoch_end(f, "ep", -1, 2);
    assert_int_equal(r.ErrorCode, SAMSA_ERR_NOT_LEADER_OR_FOLLOWER);
    assert_int_equal(r.EndOffset, -1);
    samsa_topic_put(t);
    free(batch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            produce_then_fetch_returns_the_stored_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(
            produce_errors_are_answered_per_partition, setup, teardown),
        cmocka_unit_test_setup_teardown(
            malformed_and_unserved_requests_are_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(
            produce_answer_follows_the_flush_it_made_due, setup, teardown),
        cmocka_unit_test_setup_teardown(
            offset_for_leader_epoch_follows_the_epoch_cache, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
