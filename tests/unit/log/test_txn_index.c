/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The aborted-transaction index through the log manager (Kafka's
 * .txnindex; logmgr.h samsa_partition_aborted_txns) over the real
 * storage-segment and storage-memory engines: an abort marker is indexed
 * with the last stable offset of its time, read_committed collection
 * stops where Kafka's does, the index survives a crash however far back
 * the abort is (the producer-state rebuild only replays the log's last
 * 100,000 offsets), an entry a crash lost is rebuilt from the replayed
 * marker, and truncation cuts it with the log. Open transactions older
 * than that tail survive a crash too, through the producer snapshots the
 * housekeeper takes as the log grows; a truncation deletes those above
 * the cut.
 */
#include <dirent.h>
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

#include "log/logmgr.h"
#include "producer/state.h"
#include "record/batch.h"
#include "record/builder.h"
#include "txn/coordinator.h"

#include "log_fixture.h"

typedef tl_engine_fx_t fixture_t;

/* @p retention_ms: the topic's retention.ms, NULL for the default (the
 * records' timestamps are from 1970: retention deletes all but the active
 * segment at each housekeeping round). */
static samsa_partition_t *partition_kept(fixture_t *f, const char *name,
                                         const char *retention_ms)
{
    samsa_tcfg_t cfg = {0};
    samsa_tcfg_set(&cfg, "samsa.storage.engine", f->engine);
    samsa_tcfg_set(&cfg, "segment.bytes", "65536");
    if (retention_ms) {
        samsa_tcfg_set(&cfg, "retention.ms", retention_ms);
    }
    char err[256];
    samsa_err_t e = samsa_logmgr_create_topic(f->logs.mgr, name, 1, &cfg, false,
                                              err, sizeof(err));
    assert_true(e == SAMSA_OK || e == SAMSA_ERR_TOPIC_ALREADY_EXISTS);
    samsa_tcfg_free(&cfg);
    samsa_topic_t *t = samsa_logmgr_topic_get(f->logs.mgr, name);
    assert_non_null(t);
    samsa_partition_t *part = samsa_topic_partition(t, 0);
    samsa_topic_put(t); /* the manager keeps it open */
    return part;
}

static samsa_partition_t *partition(fixture_t *f, const char *name)
{
    return partition_kept(f, name, NULL);
}

/* One batch of @p n records: transactional of @p pid when pid >= 0,
 * from sequence @p seq. */
static int64_t produce(samsa_partition_t *part, int64_t pid, int32_t seq, int n)
{
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    if (pid >= 0) {
        b.producer_id = pid;
        b.producer_epoch = 0;
        b.base_sequence = seq;
        b.attributes = SAMSA_BATCH_ATTR_TRANSACTIONAL;
    }
    for (int i = 0; i < n; i++) {
        assert_int_equal(
            samsa_batch_builder_add(&b, 1000 + i, NULL, -1, "v", 1, NULL, 0),
            SAMSA_OK);
    }
    uint8_t *p;
    size_t len;
    assert_int_equal(samsa_batch_builder_finish(&b, &p, &len), SAMSA_OK);
    samsa_batch_builder_free(&b);
    int64_t base = -1;
    assert_int_equal(samsa_partition_append(part, p, len, -1, &base, NULL),
                     SAMSA_OK);
    free(p);
    return base;
}

static size_t aborted(samsa_partition_t *part, int64_t from, int64_t to,
                      samsa_aborted_txn_t *out, size_t max)
{
    size_t n = 0;
    assert_int_equal(samsa_partition_aborted_txns(part, from, to, out, max, &n),
                     SAMSA_OK);
    return n;
}

static void expect_txn(const samsa_aborted_txn_t *t, int64_t pid, int64_t first,
                       int64_t last, int64_t lso)
{
    assert_int_equal(t->producer_id, pid);
    assert_int_equal(t->first_offset, first);
    assert_int_equal(t->last_offset, last);
    assert_int_equal(t->last_stable_offset, lso);
}

/* Delete every file of @p dir whose name ends with @p suffix. */
static void remove_files(const char *dir, const char *suffix, off_t keep)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    size_t sl = strlen(suffix);
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] != '.' && n > sl &&
            strcmp(de->d_name + n - sl, suffix) == 0) {
            char path[1024];
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            assert_int_equal(keep < 0 ? unlink(path) : truncate(path, keep), 0);
        }
    }
    closedir(d);
}

static void close_uncleanly_and_reopen(fixture_t *f)
{
    samsa_logmgr_close(f->logs.mgr);
    /* No producer snapshot: as after kill -9, the state is rebuilt from
     * the log's tail. */
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/__samsa_meta/producers", f->logs.dir);
    remove_files(dir, ".snapshot", -1);
    tl_open(&f->logs);
}

/* Two producers interleaved: an abort while another transaction is open
 * records that one's first offset as the last stable offset, and a
 * collection stops at the first entry whose last stable offset reaches
 * the end of the range. */
static void aborts_are_indexed_with_their_last_stable_offset(void **state)
{
    fixture_t *f = *state;
    samsa_partition_t *part = partition(f, "t");
    assert_int_equal(produce(part, 5, 0, 2), 0); /* 5: 0..1 */
    assert_int_equal(produce(part, 6, 0, 2), 2); /* 6: 2..3 */
    assert_int_equal(samsa_txn_marker_append(part, 5, 0, 0, false),
                     SAMSA_OK); /* 5 aborted at 4 */
    assert_int_equal(samsa_txn_marker_append(part, 6, 0, 0, false),
                     SAMSA_OK);                  /* 6 aborted at 5 */
    assert_int_equal(produce(part, 5, 2, 1), 6); /* 5 again: 6 */
    assert_int_equal(samsa_txn_marker_append(part, 5, 0, 0, true),
                     SAMSA_OK); /* committed at 7 */
    assert_int_equal(samsa_partition_lso(part), 8);
    samsa_aborted_txn_t ab[4];
    assert_int_equal(aborted(part, 0, 8, ab, 4), 2);
    expect_txn(&ab[0], 5, 0, 4, 2); /* 6's transaction was open at 2 */
    expect_txn(&ab[1], 6, 2, 5, 6);
    /* Reads of [0, 2) need only the first: its LSO (2) ends the search. */
    assert_int_equal(aborted(part, 0, 2, ab, 4), 1);
    expect_txn(&ab[0], 5, 0, 4, 2);
    /* Past both markers: nothing. */
    assert_int_equal(aborted(part, 6, 8, ab, 4), 0);
    /* Counting only. */
    assert_int_equal(aborted(part, 0, 8, NULL, 0), 2);
}

/* The regression this index fixes: an abort older than the rebuild's
 * window (100,000 offsets) was forgotten after a crash. */
static void an_old_abort_survives_a_crash(void **state)
{
    fixture_t *f = *state;
    samsa_partition_t *part = partition(f, "old");
    assert_int_equal(produce(part, 9, 0, 3), 0);
    assert_int_equal(samsa_txn_marker_append(part, 9, 0, 0, false), SAMSA_OK);
    for (int i = 0; i < 11; i++) {
        produce(part, -1, 0, 10000);
    }
    int64_t leo = samsa_partition_leo(part);
    assert_true(leo - 4 > SAMSA_PRODUCER_SCAN_LIMIT_DEFAULT);
    close_uncleanly_and_reopen(f);
    part = partition(f, "old");
    assert_int_equal(samsa_partition_leo(part), leo);
    samsa_aborted_txn_t ab[2];
    assert_int_equal(aborted(part, 0, leo, ab, 2), 1);
    expect_txn(&ab[0], 9, 0, 3, 4);
}

/* Whether a producer snapshot file ends with @p suffix (the tests that
 * look have one partition with producers). */
static bool slot_exists(fixture_t *f, const char *suffix)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/__samsa_meta/producers", f->logs.dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    bool found = false;
    size_t sl = strlen(suffix);
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        found |= n > sl && strcmp(de->d_name + n - sl, suffix) == 0;
    }
    closedir(d);
    return found;
}

/* The gap the periodic producer snapshots close: a transaction opened
 * before the replayed tail (100,000 offsets) and still open at a crash
 * was forgotten, so the last stable offset passed its records. */
static void an_old_open_transaction_survives_a_crash(void **state)
{
    fixture_t *f = *state;
    samsa_partition_t *part = partition_kept(f, "open", "-1");
    assert_int_equal(produce(part, 9, 0, 3), 0); /* 9 open at 0 */
    for (int i = 0; i < 11; i++) {
        produce(part, -1, 0, 10000);
    }
    samsa_logmgr_housekeep_now(f->logs.mgr); /* snapshot at 110,003 */
    assert_true(slot_exists(f, ".snapshot.a"));
    produce(part, -1, 0, 10); /* replayed after the snapshot */
    int64_t leo = samsa_partition_leo(part);
    assert_true(leo - 3 > SAMSA_PRODUCER_SCAN_LIMIT_DEFAULT);
    close_uncleanly_and_reopen(f);
    part = partition_kept(f, "open", "-1");
    assert_int_equal(samsa_partition_leo(part), leo);
    assert_int_equal(samsa_partition_lso(part), 0);
    /* Its producer's sequence is known: a retry of its batch is a
     * duplicate, not a second copy. */
    samsa_producer_info_t info[2];
    assert_int_equal(samsa_partition_producers(part, info, 2), 1);
    assert_int_equal(info[0].producer_id, 9);
    assert_int_equal(info[0].last_seq, 2);
    /* The abort after the crash is indexed and frees the LSO. */
    assert_int_equal(samsa_txn_marker_append(part, 9, 0, 0, false), SAMSA_OK);
    assert_int_equal(samsa_partition_lso(part), leo + 1);
    samsa_aborted_txn_t ab[2];
    assert_int_equal(aborted(part, 0, leo + 1, ab, 2), 1);
    expect_txn(&ab[0], 9, 0, leo, leo + 1);
    /* A second round writes the other slot, the first stays. */
    for (int i = 0; i < 5; i++) {
        produce(part, -1, 0, 10000);
    }
    samsa_logmgr_housekeep_now(f->logs.mgr);
    assert_true(slot_exists(f, ".snapshot.a"));
    assert_true(slot_exists(f, ".snapshot.b"));
    /* A truncation below both deletes them: the log written again past
     * the cut is another log. */
    assert_int_equal(samsa_partition_become_follower(part, 1), SAMSA_OK);
    assert_int_equal(samsa_partition_truncate_to(part, 5), SAMSA_OK);
    assert_false(slot_exists(f, ".snapshot.a"));
    assert_false(slot_exists(f, ".snapshot.b"));
}

/* A crash between the marker's append and its index entry: the replay of
 * the log's tail at open indexes the marker again, once. */
static void a_lost_entry_is_rebuilt_from_the_replayed_marker(void **state)
{
    fixture_t *f = *state;
    samsa_partition_t *part = partition(f, "lost");
    assert_int_equal(produce(part, 3, 0, 2), 0);
    assert_int_equal(samsa_txn_marker_append(part, 3, 0, 0, false), SAMSA_OK);
    assert_int_equal(produce(part, 4, 0, 2), 3);
    assert_int_equal(samsa_txn_marker_append(part, 4, 0, 0, false), SAMSA_OK);
    produce(part, -1, 0, 5);
    samsa_logmgr_close(f->logs.mgr);
    /* The second entry never reached the file. */
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/lost-0", f->logs.dir);
    remove_files(dir, ".txnindex", 34);
    snprintf(dir, sizeof(dir), "%s/__samsa_meta/producers", f->logs.dir);
    remove_files(dir, ".snapshot", -1);
    tl_open(&f->logs);
    part = partition(f, "lost");
    samsa_aborted_txn_t ab[4];
    assert_int_equal(aborted(part, 0, 11, ab, 4), 2);
    expect_txn(&ab[0], 3, 0, 2, 3);
    expect_txn(&ab[1], 4, 3, 5, 6);
    /* Once more: nothing doubled. */
    close_uncleanly_and_reopen(f);
    part = partition(f, "lost");
    assert_int_equal(aborted(part, 0, 11, ab, 4), 2);
}

/* An abort the engine cannot index (a directory stands where its
 * .txnindex file goes) is not lost: it stays in memory, fetches see it,
 * and it is indexed after an append once the engine can write again. */
static void an_abort_the_engine_refuses_stays_in_memory(void **state)
{
    fixture_t *f = *state;
    samsa_partition_t *part = partition(f, "ro");
    char path[600];
    snprintf(path, sizeof(path), "%s/ro-0/%020d.txnindex", f->logs.dir, 0);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(produce(part, 3, 0, 2), 0);
    assert_int_equal(samsa_txn_marker_append(part, 3, 0, 0, false), SAMSA_OK);
    samsa_aborted_txn_t ab[4];
    assert_int_equal(aborted(part, 0, 3, ab, 4), 1);
    expect_txn(&ab[0], 3, 0, 2, 3);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(produce(part, -1, 0, 1), 3);
    assert_int_equal(aborted(part, 0, 4, ab, 4), 1);
    close_uncleanly_and_reopen(f); /* from the file now */
    part = partition(f, "ro");
    assert_int_equal(aborted(part, 0, 4, ab, 4), 1);
    expect_txn(&ab[0], 3, 0, 2, 3);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 34);
}

/* A follower cut below a marker forgets the abort; appended again, it is
 * indexed again. */
static void truncation_cuts_the_index_with_the_log(void **state)
{
    fixture_t *f = *state;
    samsa_partition_t *part = partition(f, "cut");
    assert_int_equal(produce(part, 3, 0, 2), 0);
    assert_int_equal(samsa_txn_marker_append(part, 3, 0, 0, false), SAMSA_OK);
    assert_int_equal(produce(part, 4, 0, 2), 3);
    assert_int_equal(samsa_txn_marker_append(part, 4, 0, 0, false), SAMSA_OK);
    samsa_aborted_txn_t ab[4];
    assert_int_equal(aborted(part, 0, 6, ab, 4), 2);
    assert_int_equal(samsa_partition_become_follower(part, 1), SAMSA_OK);
    assert_int_equal(samsa_partition_truncate_to(part, 5), SAMSA_OK);
    assert_int_equal(aborted(part, 0, 6, ab, 4), 1);
    expect_txn(&ab[0], 3, 0, 2, 3);
    assert_int_equal(samsa_partition_become_leader(part, 2), SAMSA_OK);
    assert_int_equal(samsa_txn_marker_append(part, 4, 0, 0, false), SAMSA_OK);
    assert_int_equal(aborted(part, 0, 6, ab, 4), 2);
    expect_txn(&ab[1], 4, 3, 5, 6);
    assert_int_equal(samsa_partition_truncate_fully(part, 100), SAMSA_OK);
    assert_int_equal(aborted(part, 0, 200, ab, 4), 0);
}

/* Retention or DeleteRecords moving the log start past a transaction
 * still open: the last stable offset is never below the log start (as
 * Kafka's UnifiedLog clamps the first unstable offset), so a
 * read_committed consumer asking for the end is not sent below the log
 * into an out-of-range loop; it moves on with the marker. */
static void the_lso_never_falls_below_the_log_start(void **state)
{
    fixture_t *f = *state;
    samsa_partition_t *part = partition_kept(f, "t", "-1");
    assert_int_equal(produce(part, 5, 0, 2), 0);  /* open: 0..1 */
    assert_int_equal(produce(part, -1, 0, 8), 2); /* plain: 2..9 */
    assert_int_equal(samsa_partition_lso(part), 0);
    int64_t low = -1;
    assert_int_equal(samsa_partition_delete_records(part, 5, &low), SAMSA_OK);
    assert_int_equal(low, 5);
    assert_int_equal(samsa_partition_lso(part), 5);
    assert_int_equal(samsa_txn_marker_append(part, 5, 0, 0, false), SAMSA_OK);
    assert_int_equal(samsa_partition_lso(part), 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            aborts_are_indexed_with_their_last_stable_offset, tl_setup_segment,
            tl_teardown_engine),
        cmocka_unit_test_setup_teardown(
            aborts_are_indexed_with_their_last_stable_offset, tl_setup_memory,
            tl_teardown_engine),
        cmocka_unit_test_setup_teardown(an_old_abort_survives_a_crash,
                                        tl_setup_segment, tl_teardown_engine),
        cmocka_unit_test_setup_teardown(
            an_old_open_transaction_survives_a_crash, tl_setup_segment,
            tl_teardown_engine),
        cmocka_unit_test_setup_teardown(
            a_lost_entry_is_rebuilt_from_the_replayed_marker, tl_setup_segment,
            tl_teardown_engine),
        cmocka_unit_test_setup_teardown(
            an_abort_the_engine_refuses_stays_in_memory, tl_setup_segment,
            tl_teardown_engine),
        cmocka_unit_test_setup_teardown(truncation_cuts_the_index_with_the_log,
                                        tl_setup_segment, tl_teardown_engine),
        cmocka_unit_test_setup_teardown(truncation_cuts_the_index_with_the_log,
                                        tl_setup_memory, tl_teardown_engine),
        cmocka_unit_test_setup_teardown(the_lso_never_falls_below_the_log_start,
                                        tl_setup_segment, tl_teardown_engine),
        cmocka_unit_test_setup_teardown(the_lso_never_falls_below_the_log_start,
                                        tl_setup_memory, tl_teardown_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
