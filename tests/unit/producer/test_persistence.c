/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What survives a restart: producer ids never repeat (block file), and a
 * partition's producer state comes back from the clean-shutdown snapshot
 * or, after a crash, from the batches at the end of the log (through the
 * log manager over the real storage plugins).
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
#include "producer/pid_alloc.h"
#include "producer/state.h"
#include "record/batch.h"
#include "record/builder.h"
#include "registry/registry.h"
#include "txn/coordinator.h"

#include "log_fixture.h" /* tests/unit/log */

typedef tl_logs_t fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    tl_setup(f, "samsa-producer");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    tl_teardown(*state);
    free(*state);
    return 0;
}

static int64_t produce(samsa_partition_t *part, int64_t pid, int16_t epoch,
                       int32_t seq, int n, samsa_err_t expect)
{
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    b.producer_id = pid;
    b.producer_epoch = epoch;
    b.base_sequence = seq;
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
                     expect);
    free(p);
    return base;
}

static samsa_partition_t *partition(fixture_t *f, const char *topic)
{
    samsa_topic_t *t = samsa_logmgr_topic_get(f->mgr, topic);
    assert_non_null(t);
    samsa_partition_t *part = samsa_topic_partition(t, 0);
    samsa_topic_put(t); /* the manager keeps it open */
    return part;
}

static void create(fixture_t *f, const char *topic, const char *engine)
{
    samsa_tcfg_t cfg = {0};
    assert_int_equal(samsa_tcfg_set(&cfg, "samsa.storage.engine", engine),
                     SAMSA_OK);
    char err[256];
    assert_int_equal(samsa_logmgr_create_topic(f->mgr, topic, 1, &cfg, false,
                                               err, sizeof(err)),
                     SAMSA_OK);
    samsa_tcfg_free(&cfg);
}

/* Eight single-record batches of producer 7, epoch 0: offsets 0..7. */
static void fill(fixture_t *f, const char *topic)
{
    samsa_partition_t *part = partition(f, topic);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(produce(part, 7, 0, i, 1, SAMSA_OK), i);
    }
    /* A duplicate inside the append path: nothing appended. */
    assert_int_equal(produce(part, 7, 0, 7, 1, SAMSA_OK), 7);
    assert_int_equal(samsa_partition_hw(part), 8);
}

static void expect_state_back(fixture_t *f, const char *topic)
{
    samsa_partition_t *part = partition(f, topic);
    assert_int_equal(produce(part, 7, 0, 7, 1, SAMSA_OK), 7);
    assert_int_equal(produce(part, 7, 0, 3, 1, SAMSA_OK), 3);
    produce(part, 7, 0, 9, 1, SAMSA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert_int_equal(produce(part, 7, 0, 8, 1, SAMSA_OK), 8);
    assert_int_equal(samsa_partition_hw(part), 9);
}

/* The partition's snapshot: named by topic id, the only one in the dir. */
static void snapshot_path(fixture_t *f, char *buf, size_t len)
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/__samsa_meta/producers", f->dir);
    snprintf(buf, len, "%s/none", dir);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 11 && strcmp(de->d_name + n - 11, "-0.snapshot") == 0) {
            snprintf(buf, len, "%s/%s", dir, de->d_name);
        }
    }
    closedir(d);
}

/* Close, then lose the snapshot as if never closed cleanly, and open. */
static void restart_after_a_crash(fixture_t *f)
{
    samsa_logmgr_close(f->mgr);
    char snap[2048];
    snapshot_path(f, snap, sizeof(snap));
    assert_int_equal(unlink(snap), 0);
    tl_open(f);
}

static void state_survives_a_clean_restart(void **state)
{
    fixture_t *f = *state;
    create(f, "clean", "segment");
    fill(f, "clean");
    samsa_logmgr_close(f->mgr);
    char snap[2048];
    snapshot_path(f, snap, sizeof(snap));
    assert_int_equal(access(snap, F_OK), 0);
    tl_open(f);
    /* Loaded, then deleted so a later crash cannot resurrect it. */
    assert_int_not_equal(access(snap, F_OK), 0);
    expect_state_back(f, "clean");
}

static void state_is_rebuilt_from_the_log_after_a_crash(void **state)
{
    fixture_t *f = *state;
    create(f, "crash", "segment");
    fill(f, "crash");
    restart_after_a_crash(f);
    expect_state_back(f, "crash");
}

/* Producer 11 ends a transaction with a marker of coordinator epoch 4. */
static void end_txn_at_coordinator_epoch_4(fixture_t *f, const char *topic)
{
    samsa_partition_t *part = partition(f, topic);
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    b.producer_id = 11;
    b.producer_epoch = 0;
    b.base_sequence = 0;
    b.attributes = SAMSA_BATCH_ATTR_TRANSACTIONAL;
    assert_int_equal(samsa_batch_builder_add(&b, 1, NULL, -1, "v", 1, NULL, 0),
                     SAMSA_OK);
    uint8_t *p;
    size_t len;
    assert_int_equal(samsa_batch_builder_finish(&b, &p, &len), SAMSA_OK);
    samsa_batch_builder_free(&b);
    int64_t base;
    assert_int_equal(samsa_partition_append(part, p, len, -1, &base, NULL),
                     SAMSA_OK);
    free(p);
    assert_int_equal(samsa_txn_marker_append(part, 11, 0, 4, true), SAMSA_OK);
}

/* After a restart (clean: the snapshot; crash: the replayed marker) the
 * partition still fences markers of coordinators older than 4. */
static void expect_coordinator_epoch_4(fixture_t *f, const char *topic)
{
    samsa_partition_t *part = partition(f, topic);
    samsa_producer_info_t info[4];
    size_t n = samsa_partition_producers(part, info, 4);
    assert_int_equal(n, 1);
    assert_int_equal(info[0].coordinator_epoch, 4);
    assert_int_equal(samsa_txn_marker_append(part, 11, 0, 3, false),
                     SAMSA_ERR_TRANSACTION_COORDINATOR_FENCED);
}

static void coordinator_epochs_survive_restarts(void **state)
{
    fixture_t *f = *state;
    create(f, "ce", "segment");
    end_txn_at_coordinator_epoch_4(f, "ce");
    samsa_logmgr_close(f->mgr);
    tl_open(f);
    expect_coordinator_epoch_4(f, "ce");
    restart_after_a_crash(f);
    expect_coordinator_epoch_4(f, "ce");
}

static void a_snapshot_past_the_log_end_is_ignored(void **state)
{
    fixture_t *f = *state;
    /* The memory engine loses its log: the snapshot describes data that is
     * gone, so producer 7 must be unknown (any sequence), not stale. */
    create(f, "mem", "memory");
    fill(f, "mem");
    samsa_logmgr_close(f->mgr);
    tl_open(f);
    samsa_partition_t *part = partition(f, "mem");
    assert_int_equal(produce(part, 7, 0, 20, 1, SAMSA_OK), 0);
}

static void a_damaged_snapshot_is_refused(void **state)
{
    fixture_t *f = *state;
    samsa_producer_state_t *st;
    assert_int_equal(samsa_producer_state_new(0, &st), SAMSA_OK);
    char path[512];
    snprintf(path, sizeof(path), "%s/x.snapshot", f->dir);
    int64_t at;
    assert_int_equal(samsa_producer_snapshot_load(st, path, &at),
                     SAMSA_ERR_NOT_FOUND);
    assert_int_equal(samsa_producer_snapshot_write(st, path, 12), SAMSA_OK);
    assert_int_equal(samsa_producer_snapshot_load(st, path, &at), SAMSA_OK);
    assert_int_equal(at, 12);
    FILE *fp = fopen(path, "r+b");
    fseek(fp, 5, SEEK_SET);
    fputc('!', fp);
    fclose(fp);
    assert_int_equal(samsa_producer_snapshot_load(st, path, &at),
                     SAMSA_ERR_CORRUPT_MESSAGE);
    assert_int_equal(samsa_producer_count(st), 0);
    samsa_producer_state_free(st);
}

static void producer_ids_never_repeat_across_restarts(void **state)
{
    fixture_t *f = *state;
    char path[512], err[256];
    snprintf(path, sizeof(path), "%s/ids", f->dir);
    samsa_pid_alloc_t *a;
    assert_int_equal(samsa_pid_alloc_open(path, 10, &a, err, sizeof(err)),
                     SAMSA_OK);
    int64_t id;
    for (int64_t i = 0; i < 13; i++) {
        assert_int_equal(samsa_pid_alloc_next(a, &id), SAMSA_OK);
        assert_int_equal(id, i);
    }
    assert_true(samsa_pid_alloc_issued(a, 12));
    assert_false(samsa_pid_alloc_issued(a, 13));
    assert_false(samsa_pid_alloc_issued(a, -1));
    samsa_pid_alloc_close(a);
    /* Block 10..19 was reserved: the next start skips to 20. */
    assert_int_equal(samsa_pid_alloc_open(path, 10, &a, err, sizeof(err)),
                     SAMSA_OK);
    assert_true(samsa_pid_alloc_issued(a, 12));
    assert_int_equal(samsa_pid_alloc_next(a, &id), SAMSA_OK);
    assert_int_equal(id, 20);
    samsa_pid_alloc_close(a);
    FILE *fp = fopen(path, "w");
    fputs("garbage\n", fp);
    fclose(fp);
    assert_int_equal(samsa_pid_alloc_open(path, 10, &a, err, sizeof(err)),
                     SAMSA_ERR_KAFKA_STORAGE_ERROR);
}

static void the_log_manager_hands_out_ids_from_its_data_dir(void **state)
{
    fixture_t *f = *state;
    int64_t first, second;
    samsa_pid_alloc_t *a = samsa_logmgr_producer_ids(f->mgr);
    assert_int_equal(samsa_pid_alloc_next(a, &first), SAMSA_OK);
    samsa_logmgr_close(f->mgr);
    tl_open(f);
    a = samsa_logmgr_producer_ids(f->mgr);
    assert_int_equal(samsa_pid_alloc_next(a, &second), SAMSA_OK);
    assert_true(second > first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(state_survives_a_clean_restart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            state_is_rebuilt_from_the_log_after_a_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(coordinator_epochs_survive_restarts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_snapshot_past_the_log_end_is_ignored,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_damaged_snapshot_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            producer_ids_never_repeat_across_restarts, setup, teardown),
        cmocka_unit_test_setup_teardown(
            the_log_manager_hands_out_ids_from_its_data_dir, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
