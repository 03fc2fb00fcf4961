/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transaction coordinator's state machine (core/txn/coordinator.h),
 * driven through its C API with a real log manager (storage-segment) and
 * group coordinator: epochs and fencing, AddPartitionsToTxn checks, commit
 * and abort markers with the partition's last stable offset and aborted
 * transactions, timeouts, transactional offsets, and a restart that leaves
 * what was open to its producer or its timeout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "group/coordinator.h"
#include "record/builder.h"
#include "test_services.h"
#include "txn/coordinator.h"

typedef struct fixture {
    test_env_t env;
    samsa_group_coordinator_t *gc;
    samsa_txn_options_t opts;
    samsa_txn_coordinator_t *tc;
    samsa_topic_t *topic;
} fixture_t;

static void start_txn(fixture_t *f)
{
    char err[256] = "";
    assert_int_equal(
        samsa_txn_coordinator_start(&f->opts, &f->tc, err, sizeof(err)),
        SAMSA_OK);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (!test_env_open(&f->env)) {
        free(f);
        return -1;
    }
    samsa_group_options_t go;
    samsa_group_options_init(&go);
    go.logmgr = f->env.mgr;
    char err[256] = "";
    if (samsa_group_coordinator_start(&go, &f->gc, err, sizeof(err)) !=
        SAMSA_OK) {
        fprintf(stderr, "group coordinator: %s\n", err);
        return -1;
    }
    samsa_txn_options_init(&f->opts);
    f->opts.logmgr = f->env.mgr;
    f->opts.groups = f->gc;
    f->opts.abort_check_interval_ms = 0; /* the tests tick */
    start_txn(f);
    samsa_tcfg_t cfg = {0};
    assert_int_equal(samsa_logmgr_create_topic(f->env.mgr, "t", 2, &cfg, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    f->topic = samsa_logmgr_topic_get(f->env.mgr, "t");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    samsa_topic_put(f->topic);
    samsa_txn_coordinator_destroy(f->tc);
    samsa_group_coordinator_destroy(f->gc);
    test_env_close(&f->env);
    free(f);
    return 0;
}

/* A transactional batch of @p n records from (pid, epoch) at @p seq, as a
 * producer writes it, appended with KIP-890 guard @p guard (0: none);
 * its base offset in *base. */
static samsa_err_t produce_guarded(fixture_t *f, int32_t partition, int64_t pid,
                                   int16_t epoch, int32_t seq, int n,
                                   uint64_t guard, int64_t *base)
{
    samsa_batch_builder_t bb;
    samsa_batch_builder_init(&bb);
    bb.attributes = SAMSA_BATCH_ATTR_TRANSACTIONAL;
    bb.producer_id = pid;
    bb.producer_epoch = epoch;
    bb.base_sequence = seq;
    for (int i = 0; i < n; i++) {
        assert_int_equal(
            samsa_batch_builder_add(&bb, 1000, NULL, -1, "v", 1, NULL, 0),
            SAMSA_OK);
    }
    uint8_t *batch;
    size_t len;
    assert_int_equal(samsa_batch_builder_finish(&bb, &batch, &len), SAMSA_OK);
    *base = -1;
    samsa_err_t err = samsa_partition_append_guarded(
        samsa_topic_partition(f->topic, partition), batch, len, -1, pid, guard,
        base, NULL);
    free(batch);
    samsa_batch_builder_free(&bb);
    return err;
}

/* The same without a guard; returns its base offset. */
static int64_t produce(fixture_t *f, int32_t partition, int64_t pid,
                       int16_t epoch, int32_t seq, int n)
{
    int64_t base;
    assert_int_equal(
        produce_guarded(f, partition, pid, epoch, seq, n, 0, &base), SAMSA_OK);
    return base;
}

static samsa_err_t add(fixture_t *f, const char *id, int64_t pid, int16_t epoch,
                       int32_t partition)
{
    samsa_txn_tp_t tp = {"t", partition, SAMSA_OK};
    samsa_err_t err =
        samsa_txn_add_partitions(f->tc, id, pid, epoch, &tp, 1, false);
    return err != SAMSA_OK ? err : tp.error;
}

/* Id "a" gets its producer and a transaction on partition 0 of "t". */
static void open_a(fixture_t *f, int64_t *pid, int16_t *epoch)
{
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "a", 60000, -1, -1, pid, epoch),
        SAMSA_OK);
    assert_int_equal(add(f, "a", *pid, *epoch, 0), SAMSA_OK);
}

static samsa_partition_t *part(fixture_t *f, int32_t p)
{
    return samsa_topic_partition(f->topic, p);
}

/* ---------------------------------------------------------------------- */

/* The coordinator makes its log a compacted topic: the latest record of
 * each transactional id is its state. */
static void the_state_topic_is_compacted(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *st =
        samsa_logmgr_topic_get(f->env.mgr, SAMSA_TXN_STATE_TOPIC);
    assert_non_null(st);
    char v[32];
    samsa_topic_config_string(st, "cleanup.policy", v, sizeof(v));
    assert_string_equal(v, "compact");
    samsa_topic_put(st);
}

static void init_bumps_the_epoch_and_fences_older_instances(void **state)
{
    fixture_t *f = *state;
    int64_t pid, pid2;
    int16_t epoch, epoch2;
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "a", 60000, -1, -1, &pid, &epoch),
        SAMSA_OK);
    assert_true(pid >= 0);
    assert_int_equal(epoch, 0);
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "a", 60000, -1, -1, &pid2, &epoch2),
        SAMSA_OK);
    assert_int_equal(pid2, pid);
    assert_int_equal(epoch2, 1);
    /* The older instance is fenced everywhere it asks. */
    assert_int_equal(add(f, "a", pid, 0, 0), SAMSA_ERR_PRODUCER_FENCED);
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, 0, true),
                     SAMSA_ERR_PRODUCER_FENCED);
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "a", 60000, pid, 0, &pid2, &epoch2),
        SAMSA_ERR_PRODUCER_FENCED);
    /* KIP-360: the current instance may bump itself. */
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "a", 60000, pid, 1, &pid2, &epoch2),
        SAMSA_OK);
    assert_int_equal(epoch2, 2);
    /* Another id, another producer id; bad arguments. */
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "b", 60000, -1, -1, &pid2, &epoch2),
        SAMSA_OK);
    assert_int_not_equal(pid2, pid);
    assert_int_equal(add(f, "b", pid, 2, 0),
                     SAMSA_ERR_INVALID_PRODUCER_ID_MAPPING);
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "c", 900001, -1, -1, &pid2, &epoch2),
        SAMSA_ERR_INVALID_TRANSACTION_TIMEOUT);
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "", 1000, -1, -1, &pid2, &epoch2),
        SAMSA_ERR_INVALID_REQUEST);
}

static void unknown_partitions_fail_the_whole_add(void **state)
{
    fixture_t *f = *state;
    int64_t pid;
    int16_t epoch;
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "a", 60000, -1, -1, &pid, &epoch),
        SAMSA_OK);
    samsa_txn_tp_t tps[] = {{"t", 0, 0}, {"t", 9, 0}, {"nope", 0, 0}};
    assert_int_equal(
        samsa_txn_add_partitions(f->tc, "a", pid, epoch, tps, 3, false),
        SAMSA_OK);
    assert_int_equal(tps[0].error, SAMSA_ERR_OPERATION_NOT_ATTEMPTED);
    assert_int_equal(tps[1].error, SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(tps[2].error, SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    /* Nothing was added: no transaction to end, no produce accepted. */
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, true),
                     SAMSA_ERR_INVALID_TXN_STATE);
    assert_int_equal(samsa_txn_verify_produce(f->tc, pid, epoch, "t", 0),
                     SAMSA_ERR_INVALID_TXN_STATE);
}

/* How many aborted transactions overlap [from, to); up to @p max in @p out. */
static size_t aborted_txns(samsa_partition_t *p, int64_t from, int64_t to,
                           samsa_aborted_txn_t *out, size_t max)
{
    size_t n = 0;
    assert_int_equal(samsa_partition_aborted_txns(p, from, to, out, max, &n),
                     SAMSA_OK);
    return n;
}

static void commit_and_abort_write_markers_and_move_the_lso(void **state)
{
    fixture_t *f = *state;
    int64_t pid;
    int16_t epoch;
    open_a(f, &pid, &epoch);
    assert_int_equal(samsa_txn_verify_produce(f->tc, pid, epoch, "t", 0),
                     SAMSA_OK);
    assert_int_equal(samsa_txn_verify_produce(f->tc, pid, epoch, "t", 1),
                     SAMSA_ERR_INVALID_TXN_STATE);
    assert_int_equal(produce(f, 0, pid, epoch, 0, 3), 0);
    /* Open: the LSO stays at the transaction's first offset. */
    assert_int_equal(samsa_partition_hw(part(f, 0)), 3);
    assert_int_equal(samsa_partition_lso(part(f, 0)), 0);
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, true), SAMSA_OK);
    assert_int_equal(samsa_partition_hw(part(f, 0)), 4); /* + the marker */
    assert_int_equal(samsa_partition_lso(part(f, 0)), 4);
    assert_int_equal(aborted_txns(part(f, 0), 0, 4, NULL, 0), 0);
    /* A retried commit is fine; asking the other outcome is not. */
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, true), SAMSA_OK);
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, false),
                     SAMSA_ERR_INVALID_TXN_STATE);
    /* Now an aborted one. */
    assert_int_equal(add(f, "a", pid, epoch, 0), SAMSA_OK);
    assert_int_equal(produce(f, 0, pid, epoch, 3, 2), 4);
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, false), SAMSA_OK);
    assert_int_equal(samsa_partition_lso(part(f, 0)), 7);
    samsa_aborted_txn_t ab[2];
    assert_int_equal(aborted_txns(part(f, 0), 0, 7, ab, 2), 1);
    assert_int_equal(ab[0].producer_id, pid);
    assert_int_equal(ab[0].first_offset, 4);
    assert_int_equal(ab[0].last_offset, 6);
    /* Reads past the aborted range do not report it. */
    assert_int_equal(aborted_txns(part(f, 0), 7, 9, ab, 2), 0);
    /* Partition 1 saw nothing of it. */
    assert_int_equal(samsa_partition_hw(part(f, 1)), 0);
    /* Once DeleteRecords removes the aborted records, the entry goes. */
    int64_t low;
    assert_int_equal(samsa_partition_delete_records(part(f, 0), 7, &low),
                     SAMSA_OK);
    assert_int_equal(aborted_txns(part(f, 0), 0, 9, NULL, 0), 0);
}

static void a_transaction_past_its_timeout_is_aborted_and_fenced(void **state)
{
    fixture_t *f = *state;
    int64_t pid;
    int16_t epoch;
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "a", 1, -1, -1, &pid, &epoch), SAMSA_OK);
    assert_int_equal(add(f, "a", pid, epoch, 1), SAMSA_OK);
    produce(f, 1, pid, epoch, 0, 2);
    usleep(20000);
    samsa_txn_coordinator_tick(f->tc);
    assert_int_equal(samsa_partition_lso(part(f, 1)), 3);
    assert_int_equal(aborted_txns(part(f, 1), 0, 3, NULL, 0), 1);
    /* The producer's epoch is over, on the coordinator and the partition. */
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, true),
                     SAMSA_ERR_PRODUCER_FENCED);
    assert_int_equal(samsa_txn_verify_produce(f->tc, pid, epoch, "t", 1),
                     SAMSA_ERR_INVALID_PRODUCER_EPOCH);
}

static int64_t committed_offset(fixture_t *f, const char *group, int32_t p)
{
    samsa_group_tp_t tp = {"t", p, SAMSA_OK};
    samsa_group_offsets_t out;
    assert_int_equal(samsa_group_offset_fetch(f->gc, group, &tp, 1, &out),
                     SAMSA_OK);
    int64_t off = out.items[0].offset;
    samsa_group_offsets_free(&out);
    return off;
}

static samsa_err_t txn_commit(fixture_t *f, int64_t pid, int16_t epoch,
                              int64_t offset)
{
    samsa_txn_offset_commit_req_t req = {.group_id = "g",
                                         .producer_id = pid,
                                         .producer_epoch = epoch,
                                         .generation_id = -1,
                                         .member_id = ""};
    samsa_offset_commit_part_t off = {"t", 0, offset, -1, "md", SAMSA_OK};
    samsa_err_t err = samsa_group_txn_offset_commit(f->gc, &req, &off, 1);
    return err != SAMSA_OK ? err : off.error;
}

/* TxnOffsetCommit goes to the group coordinator; the transaction's marker
 * on the group's offsets partition commits or drops the offsets. */
static void txn_offsets_reach_the_group_on_commit_only(void **state)
{
    fixture_t *f = *state;
    int64_t pid;
    int16_t epoch;
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "a", 60000, -1, -1, &pid, &epoch),
        SAMSA_OK);
    assert_int_equal(samsa_txn_add_offsets(f->tc, "a", pid, epoch, "g"),
                     SAMSA_OK);
    assert_int_equal(txn_commit(f, pid, epoch, 42), SAMSA_OK);
    assert_int_equal(committed_offset(f, "g", 0), -1); /* pending */
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, false), SAMSA_OK);
    assert_int_equal(committed_offset(f, "g", 0), -1); /* aborted */
    assert_int_equal(samsa_txn_add_offsets(f->tc, "a", pid, epoch, "g"),
                     SAMSA_OK);
    assert_int_equal(txn_commit(f, pid, epoch, 42), SAMSA_OK);
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, true), SAMSA_OK);
    assert_int_equal(committed_offset(f, "g", 0), 42);
}

/* The coordinator goes away with "a"'s transaction open (a crash, or its
 * __transaction_state partition moving), and a new one loads it from the
 * log: as in Kafka, the transaction stays open and its producer commits
 * it through the new coordinator. */
static void a_restart_leaves_the_open_transaction_to_its_producer(void **state)
{
    fixture_t *f = *state;
    int64_t pid;
    int16_t epoch;
    open_a(f, &pid, &epoch);
    produce(f, 0, pid, epoch, 0, 2);
    samsa_txn_coordinator_destroy(f->tc);
    f->tc = NULL;
    start_txn(f);
    samsa_txn_coordinator_tick(f->tc); /* within its 60 s timeout */
    assert_int_equal(samsa_partition_lso(part(f, 0)), 0);
    assert_int_equal(samsa_txn_verify_produce(f->tc, pid, epoch, "t", 0),
                     SAMSA_OK);
    assert_int_equal(produce(f, 0, pid, epoch, 2, 1), 2);
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, true), SAMSA_OK);
    assert_int_equal(samsa_partition_lso(part(f, 0)), 4);
    assert_int_equal(aborted_txns(part(f, 0), 0, 4, NULL, 0), 0);
}

/* One whose producer is gone is aborted by its timeout, counted from its
 * start before the restart, and its producer is fenced. */
static void
an_abandoned_transaction_is_aborted_by_its_timeout_after_a_restart(void **state)
{
    fixture_t *f = *state;
    int64_t pid, pid2;
    int16_t epoch, epoch2;
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "a", 1, -1, -1, &pid, &epoch), SAMSA_OK);
    assert_int_equal(add(f, "a", pid, epoch, 0), SAMSA_OK);
    produce(f, 0, pid, epoch, 0, 2);
    samsa_txn_coordinator_destroy(f->tc);
    f->tc = NULL;
    start_txn(f);
    assert_int_equal(samsa_partition_lso(part(f, 0)), 0); /* not at load */
    usleep(20000);
    samsa_txn_coordinator_tick(f->tc);
    assert_int_equal(samsa_partition_lso(part(f, 0)), 3);
    assert_int_equal(aborted_txns(part(f, 0), 0, 3, NULL, 0), 1);
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, true),
                     SAMSA_ERR_PRODUCER_FENCED);
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "a", 60000, -1, -1, &pid2, &epoch2),
        SAMSA_OK);
    assert_int_equal(pid2, pid);
    assert_true(epoch2 > epoch + 1);
}

/* KIP-890's window, closed as Kafka's VerificationGuard closes it: a
 * leader takes the guard, checks the producer's transaction (here with
 * the local coordinator), and appends. A marker landing between the
 * check and the append (the transaction ended meanwhile) refuses the
 * write; appended, it would open a transaction on the partition that no
 * coordinator closes, holding the LSO back for good. */
static void a_marker_between_check_and_append_refuses_the_write(void **state)
{
    fixture_t *f = *state;
    int64_t pid, pb, base;
    int16_t epoch, eb;
    open_a(f, &pid, &epoch);
    assert_int_equal(produce(f, 0, pid, epoch, 0, 2), 0);
    uint64_t guard = samsa_partition_txn_guard(part(f, 0));
    assert_int_equal(samsa_txn_verify_produce(f->tc, pid, epoch, "t", 0),
                     SAMSA_OK);
    /* Between the check and the append: EndTxn writes its marker. */
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, true), SAMSA_OK);
    assert_int_equal(samsa_partition_lso(part(f, 0)), 3);
    assert_int_equal(produce_guarded(f, 0, pid, epoch, 2, 1, guard, &base),
                     SAMSA_ERR_INVALID_TXN_STATE);
    assert_int_equal(samsa_partition_leo(part(f, 0)), 3);
    assert_int_equal(samsa_partition_lso(part(f, 0)), 3);

    /* A guard holds across other producers' markers and its own
     * transaction's batches. */
    assert_int_equal(add(f, "a", pid, epoch, 0), SAMSA_OK);
    guard = samsa_partition_txn_guard(part(f, 0));
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "b", 60000, -1, -1, &pb, &eb), SAMSA_OK);
    assert_int_equal(add(f, "b", pb, eb, 0), SAMSA_OK);
    produce(f, 0, pb, eb, 0, 1);
    assert_int_equal(samsa_txn_end(f->tc, "b", pb, eb, false), SAMSA_OK);
    assert_int_equal(produce_guarded(f, 0, pid, epoch, 2, 1, guard, &base),
                     SAMSA_OK);
    assert_int_equal(produce_guarded(f, 0, pid, epoch, 3, 1, guard, &base),
                     SAMSA_OK);
    /* A retry of a batch appended before the marker is still answered as
     * a duplicate, with its offset. */
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, true), SAMSA_OK);
    assert_int_equal(produce_guarded(f, 0, pid, epoch, 3, 1, guard, &base),
                     SAMSA_OK);
    assert_int_equal(base, 6);
    assert_int_equal(samsa_partition_lso(part(f, 0)),
                     samsa_partition_leo(part(f, 0)));
}

/* The coordinator epoch of a producer on partition 0 of "t". */
static int32_t coordinator_epoch_of(fixture_t *f, int64_t pid)
{
    samsa_producer_info_t info[4];
    size_t n = samsa_partition_producers(part(f, 0), info, 4);
    for (size_t i = 0; i < n && i < 4; i++) {
        if (info[i].producer_id == pid) {
            return info[i].coordinator_epoch;
        }
    }
    return -2;
}

/* Markers carry the coordinator epoch (the leader epoch of the id's
 * __transaction_state partition; 0 before any); a partition refuses a
 * marker of an older coordinator (Kafka's TRANSACTION_COORDINATOR_FENCED)
 * and the transaction stays open for the current one to end. */
static void markers_of_an_older_coordinator_are_fenced(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *st =
        samsa_logmgr_topic_get(f->env.mgr, SAMSA_TXN_STATE_TOPIC);
    assert_non_null(st);
    for (int32_t i = 0; i < st->partition_count; i++) {
        assert_int_equal(
            samsa_partition_become_leader(samsa_topic_partition(st, i), 7),
            SAMSA_OK);
    }
    samsa_topic_put(st);
    int64_t pid;
    int16_t epoch;
    open_a(f, &pid, &epoch);
    assert_int_equal(produce(f, 0, pid, epoch, 0, 2), 0);
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, true), SAMSA_OK);
    assert_int_equal(coordinator_epoch_of(f, pid), 7);
    assert_int_equal(add(f, "a", pid, epoch, 0), SAMSA_OK);
    assert_int_equal(produce(f, 0, pid, epoch, 2, 1), 3);
    /* A deposed coordinator (epoch 6) tries to abort it: refused. */
    assert_int_equal(samsa_txn_marker_append(part(f, 0), pid, epoch, 6, false),
                     SAMSA_ERR_TRANSACTION_COORDINATOR_FENCED);
    assert_int_equal(samsa_partition_leo(part(f, 0)), 4);
    assert_int_equal(samsa_partition_lso(part(f, 0)), 3);
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, true), SAMSA_OK);
    assert_int_equal(samsa_partition_lso(part(f, 0)), 5);
    assert_int_equal(aborted_txns(part(f, 0), 0, 5, NULL, 0), 0);
    /* A newer coordinator's marker is taken (and becomes the bar). */
    assert_int_equal(add(f, "a", pid, epoch, 0), SAMSA_OK);
    assert_int_equal(produce(f, 0, pid, epoch, 3, 1), 5);
    assert_int_equal(samsa_txn_marker_append(part(f, 0), pid, epoch, 9, false),
                     SAMSA_OK);
    assert_int_equal(coordinator_epoch_of(f, pid), 9);
}

static void describe_and_list_show_open_transactions(void **state)
{
    fixture_t *f = *state;
    int64_t pa, pb;
    int16_t ea, eb;
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "b", 60000, -1, -1, &pb, &eb), SAMSA_OK);
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "a", 60000, -1, -1, &pa, &ea), SAMSA_OK);
    assert_int_equal(add(f, "a", pa, ea, 1), SAMSA_OK);
    samsa_txn_desc_t d;
    assert_int_equal(samsa_txn_describe(f->tc, "a", &d), SAMSA_OK);
    assert_string_equal(d.state, "Ongoing");
    assert_int_equal(d.pid, pa);
    assert_int_equal(d.count, 1);
    assert_string_equal(d.topics[0], "t");
    assert_int_equal(d.partitions[0], 1);
    assert_true(d.start_ms > 0);
    samsa_txn_desc_free(&d);
    assert_int_equal(samsa_txn_describe(f->tc, "nope", &d),
                     SAMSA_ERR_TRANSACTIONAL_ID_NOT_FOUND);
    samsa_txn_listing_t *list;
    size_t n;
    assert_int_equal(samsa_txn_list(f->tc, NULL, 0, NULL, 0, -1, &list, &n),
                     SAMSA_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].txn_id, "a"); /* sorted */
    assert_string_equal(list[1].state, "Empty");
    samsa_txn_listings_free(list, n);
    const char *ongoing[] = {"ongoing"};
    assert_int_equal(samsa_txn_list(f->tc, ongoing, 1, NULL, 0, -1, &list, &n),
                     SAMSA_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].txn_id, "a");
    samsa_txn_listings_free(list, n);
    assert_int_equal(samsa_txn_list(f->tc, NULL, 0, &pb, 1, -1, &list, &n),
                     SAMSA_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].txn_id, "b");
    samsa_txn_listings_free(list, n);
    /* Open for an hour: none (the hung-transaction query). */
    assert_int_equal(
        samsa_txn_list(f->tc, NULL, 0, NULL, 0, 3600000, &list, &n), SAMSA_OK);
    assert_int_equal(n, 0);
    samsa_txn_listings_free(list, n);
    assert_true(samsa_txn_state_known("PrepareCommit"));
    assert_false(samsa_txn_state_known("Hung"));
}

/* The marker thread's writes as a cluster broker makes them for the
 * partitions it leads (samsa_txn_marker_deliver, what WriteTxnMarkers
 * does), here on the fixture's log manager. */
static void write_local(void *arg, int64_t pid, int16_t epoch,
                        int32_t coordinator_epoch, bool commit,
                        const char *const *topics, const int32_t *partitions,
                        size_t count, samsa_err_t *results)
{
    fixture_t *f = arg;
    for (size_t i = 0; i < count; i++) {
        samsa_topic_t *t = samsa_logmgr_topic_get(f->env.mgr, topics[i]);
        samsa_partition_t *p =
            t ? samsa_topic_partition(t, partitions[i]) : NULL;
        results[i] = p ? samsa_txn_marker_deliver(f->gc, p, pid, epoch,
                                                  coordinator_epoch, commit)
                       : SAMSA_OK;
        samsa_topic_put(t);
    }
}

static const samsa_txn_marker_ops_t local_ops = {.write = write_local};

static const char *state_of(fixture_t *f, const char *id)
{
    samsa_txn_desc_t d;
    assert_int_equal(samsa_txn_describe(f->tc, id, &d), SAMSA_OK);
    const char *s = d.state;
    samsa_txn_desc_free(&d);
    return s;
}

/* What samsa_txn_when_complete reported: 0 nothing yet, 1 completed,
 * 2 not (a deadline, or gone). */
static _Atomic int done_seen;

static void on_done(void *arg, bool completed)
{
    (void)arg;
    atomic_store(&done_seen, completed ? 1 : 2);
}

/* With a marker thread (a cluster), the markers of a commit wait until
 * its PrepareCommit is on every in-sync replica of the state partition
 * (its high watermark), as in Kafka; then they go without a timer. */
static void markers_wait_for_the_prepare_to_be_replicated(void **state)
{
    fixture_t *f = *state;
    samsa_txn_coordinator_destroy(f->tc);
    f->opts.marker_ops = &local_ops;
    f->opts.marker_arg = f;
    start_txn(f);
    samsa_topic_t *st =
        samsa_logmgr_topic_get(f->env.mgr, "__transaction_state");
    assert_non_null(st);
    samsa_partition_t *sp = samsa_topic_partition(st, 0);
    /* Its high watermark moves from now on only as followers catch up. */
    samsa_partition_set_replicated(sp, true);
    int64_t pid;
    int16_t epoch;
    open_a(f, &pid, &epoch);
    assert_int_equal(produce(f, 0, pid, epoch, 0, 3), 0);
    assert_int_equal(samsa_txn_end(f->tc, "a", pid, epoch, true), SAMSA_OK);
    /* EndTxn's answer waits for the markers: one waiter gives up after
     * 50 ms, the other waits on. */
    atomic_store(&done_seen, 0);
    samsa_txn_when_complete(f->tc, "a", pid, epoch, 50, on_done, NULL);
    /* The PrepareCommit is only on this replica: no marker yet. */
    usleep(200 * 1000);
    assert_int_equal(atomic_load(&done_seen), 2);
    atomic_store(&done_seen, 0);
    samsa_txn_when_complete(f->tc, "a", pid, epoch, 60000, on_done, NULL);
    assert_string_equal(state_of(f, "a"), "PrepareCommit");
    assert_int_equal(atomic_load(&done_seen), 0);
    assert_int_equal(samsa_partition_hw(part(f, 0)), 3);
    assert_int_equal(samsa_partition_lso(part(f, 0)), 0);
    /* The followers have it: the marker is written, Complete logged. */
    samsa_partition_set_hw(sp, samsa_partition_leo(sp));
    for (int i = 0; i < 500 && samsa_partition_lso(part(f, 0)) != 4; i++) {
        usleep(10 * 1000);
    }
    assert_int_equal(samsa_partition_lso(part(f, 0)), 4);
    for (int i = 0; i < 500 && strcmp(state_of(f, "a"), "CompleteCommit");
         i++) {
        usleep(10 * 1000);
    }
    assert_string_equal(state_of(f, "a"), "CompleteCommit");
    for (int i = 0; i < 500 && atomic_load(&done_seen) == 0; i++) {
        usleep(10 * 1000);
    }
    assert_int_equal(atomic_load(&done_seen), 1);
    /* Nothing pending: answered at once. */
    atomic_store(&done_seen, 0);
    samsa_txn_when_complete(f->tc, "a", pid, epoch, 60000, on_done, NULL);
    assert_int_equal(atomic_load(&done_seen), 1);
    samsa_topic_put(st);
}

/* A coordinator lost after logging PrepareCommit (or PrepareAbort) but
 * before any marker went out: the next one to load the log finishes
 * each transaction as decided (Kafka's coordinator load). */
static void
a_prepared_transaction_is_finished_by_the_next_coordinator(void **state)
{
    fixture_t *f = *state;
    samsa_txn_coordinator_destroy(f->tc);
    f->opts.marker_ops = &local_ops;
    f->opts.marker_arg = f;
    start_txn(f);
    samsa_topic_t *st =
        samsa_logmgr_topic_get(f->env.mgr, "__transaction_state");
    assert_non_null(st);
    /* No follower has the Prepare records: no marker goes out. */
    samsa_partition_set_replicated(samsa_topic_partition(st, 0), true);
    int64_t pa, pb;
    int16_t ea, eb;
    open_a(f, &pa, &ea);
    assert_int_equal(produce(f, 0, pa, ea, 0, 2), 0);
    assert_int_equal(
        samsa_txn_init_producer(f->tc, "b", 60000, -1, -1, &pb, &eb), SAMSA_OK);
    assert_int_equal(add(f, "b", pb, eb, 1), SAMSA_OK);
    assert_int_equal(produce(f, 1, pb, eb, 0, 2), 0);
    assert_int_equal(samsa_txn_end(f->tc, "a", pa, ea, true), SAMSA_OK);
    assert_int_equal(samsa_txn_end(f->tc, "b", pb, eb, false), SAMSA_OK);
    assert_string_equal(state_of(f, "a"), "PrepareCommit");
    assert_string_equal(state_of(f, "b"), "PrepareAbort");
    assert_int_equal(samsa_partition_lso(part(f, 0)), 0);
    assert_int_equal(samsa_partition_lso(part(f, 1)), 0);
    /* Lost; its Prepare records reach the followers, and a coordinator
     * (here standalone) loads them. */
    samsa_txn_coordinator_destroy(f->tc);
    f->tc = NULL;
    samsa_partition_t *sp = samsa_topic_partition(st, 0);
    samsa_partition_set_hw(sp, samsa_partition_leo(sp));
    f->opts.marker_ops = NULL;
    start_txn(f);
    assert_string_equal(state_of(f, "a"), "CompleteCommit");
    assert_string_equal(state_of(f, "b"), "CompleteAbort");
    assert_int_equal(samsa_partition_lso(part(f, 0)), 3);
    assert_int_equal(aborted_txns(part(f, 0), 0, 3, NULL, 0), 0);
    assert_int_equal(samsa_partition_lso(part(f, 1)), 3);
    assert_int_equal(aborted_txns(part(f, 1), 0, 3, NULL, 0), 1);
    samsa_topic_put(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_state_topic_is_compacted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            init_bumps_the_epoch_and_fences_older_instances, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_partitions_fail_the_whole_add,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            commit_and_abort_write_markers_and_move_the_lso, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_transaction_past_its_timeout_is_aborted_and_fenced, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            txn_offsets_reach_the_group_on_commit_only, setup, teardown),
        cmocka_unit_test_setup_teardown(
            markers_of_an_older_coordinator_are_fenced, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_restart_leaves_the_open_transaction_to_its_producer, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            a_marker_between_check_and_append_refuses_the_write, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            a_prepared_transaction_is_finished_by_the_next_coordinator, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            an_abandoned_transaction_is_aborted_by_its_timeout_after_a_restart,
            setup, teardown),
        cmocka_unit_test_setup_teardown(
            describe_and_list_show_open_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(
            markers_wait_for_the_prepare_to_be_replicated, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
