/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The replication side of a partition (logmgr.h, "Replication"), over the
 * real storage-segment and storage-memory engines: the HW of replicated
 * partitions, leader/follower roles, the leader-epoch cache and its
 * checkpoint file, follower appends, and truncation rewinding the epoch
 * cache and the producer state exactly to what a log ending there has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log/logmgr.h"
#include "record/batch.h"
#include "record/builder.h"
#include "txn/coordinator.h"

#include "log_fixture.h"

typedef tl_engine_fx_t fixture_t;

/* Topic @p name with one partition on the fixture's engine. */
static samsa_partition_t *topic(fixture_t *f, const char *name,
                                samsa_topic_t **t)
{
    samsa_tcfg_t cfg = {0};
    samsa_tcfg_set(&cfg, "samsa.storage.engine", f->engine);
    char err[256];
    samsa_err_t e = samsa_logmgr_create_topic(f->logs.mgr, name, 1, &cfg, false,
                                              err, sizeof(err));
    assert_true(e == SAMSA_OK || e == SAMSA_ERR_TOPIC_ALREADY_EXISTS);
    samsa_tcfg_free(&cfg);
    *t = samsa_logmgr_topic_get(f->logs.mgr, name);
    assert_non_null(*t);
    return samsa_topic_partition(*t, 0);
}

/* One batch of @p n records; pid >= 0 makes it idempotent (and
 * transactional with @p txn). */
static uint8_t *make_batch(int n, int64_t pid, int32_t seq, bool txn,
                           size_t *len)
{
    samsa_batch_builder_t b;
    samsa_batch_builder_init(&b);
    if (pid >= 0) {
        b.producer_id = pid;
        b.producer_epoch = 0;
        b.base_sequence = seq;
        if (txn) {
            b.attributes |= SAMSA_BATCH_ATTR_TRANSACTIONAL;
        }
    }
    for (int i = 0; i < n; i++) {
        char v[16];
        int vl = snprintf(v, sizeof(v), "v%d", i);
        assert_int_equal(
            samsa_batch_builder_add(&b, 1000 + i, NULL, -1, v, vl, NULL, 0),
            SAMSA_OK);
    }
    uint8_t *out;
    assert_int_equal(samsa_batch_builder_finish(&b, &out, len), SAMSA_OK);
    samsa_batch_builder_free(&b);
    return out;
}

static samsa_err_t leader_append_ticket(samsa_partition_t *p, int n,
                                        int64_t pid, int32_t seq, bool txn,
                                        int64_t *ticket)
{
    size_t len;
    uint8_t *b = make_batch(n, pid, seq, txn, &len);
    samsa_batches_info_t info;
    assert_int_equal(samsa_batches_validate(b, len, 0, &info), SAMSA_OK);
    int64_t base;
    samsa_err_t err = samsa_partition_append(p, b, len, -1, &base, ticket);
    free(b);
    return err;
}

static samsa_err_t leader_append(samsa_partition_t *p, int n, int64_t pid,
                                 int32_t seq, bool txn)
{
    return leader_append_ticket(p, n, pid, seq, txn, NULL);
}

/* Batches [from, to) of @p p, copied. */
static uint8_t *read_log(samsa_partition_t *p, int64_t from, int64_t to,
                         size_t *len)
{
    samsa_storage_read_t rd;
    assert_int_equal(samsa_partition_read(p, from, to, 64 << 20, 0, &rd),
                     SAMSA_OK);
    uint8_t *buf = malloc((size_t)rd.total_bytes + 1);
    size_t at = 0;
    for (uint32_t i = 0; i < rd.slice_count; i++) {
        const samsa_slice_t *s = &rd.slices[i];
        if (s->fd < 0) {
            memcpy(buf + at, s->buf, (size_t)s->len);
        } else {
            assert_int_equal(pread(s->fd, buf + at, (size_t)s->len, s->pos),
                             s->len);
        }
        at += (size_t)s->len;
    }
    samsa_partition_read_release(p, &rd);
    *len = at;
    return buf;
}

/* A leader-made batch for offset @p base in @p epoch (what a follower
 * fetches). */
static uint8_t *fetched_batch(int n, int64_t base, int32_t epoch, size_t *len)
{
    uint8_t *b = make_batch(n, -1, 0, false, len);
    samsa_batches_assign(b, *len, base, epoch, -1);
    return b;
}

static void
standalone_hw_follows_appends_replicated_waits_for_set_hw(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *t;
    samsa_partition_t *p = topic(f, "hw", &t);
    assert_int_equal(leader_append(p, 3, -1, 0, false), SAMSA_OK);
    assert_int_equal(samsa_partition_hw(p), 3);
    assert_int_equal(samsa_partition_leo(p), 3);

    assert_false(samsa_partition_is_replicated(p));
    samsa_partition_set_replicated(p, true);
    assert_true(samsa_partition_is_replicated(p));
    assert_int_equal(leader_append(p, 2, -1, 0, false), SAMSA_OK);
    assert_int_equal(samsa_partition_leo(p), 5);
    assert_int_equal(samsa_partition_hw(p), 3);
    samsa_partition_set_hw(p, 4);
    assert_int_equal(samsa_partition_hw(p), 4);
    samsa_partition_set_hw(p, 2); /* never lowers */
    assert_int_equal(samsa_partition_hw(p), 4);
    samsa_partition_set_hw(p, 99); /* at most the LEO */
    assert_int_equal(samsa_partition_hw(p), 5);

    samsa_partition_set_replicated(p, false);
    assert_int_equal(leader_append(p, 1, -1, 0, false), SAMSA_OK);
    assert_int_equal(samsa_partition_hw(p), 6);
    samsa_topic_put(t);
}

static atomic_int woken;
static void on_wake(samsa_part_waiter_t *w)
{
    (void)w;
    atomic_fetch_add(&woken, 1);
}

static void set_hw_wakes_waiters_only_when_it_moves(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *t;
    samsa_partition_t *p = topic(f, "wake", &t);
    samsa_partition_set_replicated(p, true);
    assert_int_equal(leader_append(p, 2, -1, 0, false), SAMSA_OK);
    samsa_part_waiter_t w = {.notify = on_wake};
    samsa_partition_wait_add(p, &w);
    atomic_store(&woken, 0);
    samsa_partition_set_hw(p, 2);
    assert_int_equal(atomic_load(&woken), 1);
    samsa_partition_set_hw(p, 2);
    samsa_partition_set_hw(p, 1);
    assert_int_equal(atomic_load(&woken), 1);
    samsa_partition_wait_remove(p, &w);
    samsa_topic_put(t);
}

static void roles_stamp_epochs_and_refuse_follower_appends(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *t;
    samsa_partition_t *p = topic(f, "roles", &t);
    /* A new partition is in epoch 0 from offset 0 (standalone). */
    assert_int_equal(samsa_partition_last_epoch(p), 0);
    assert_int_equal(samsa_partition_leader_epoch(p), 0);
    assert_int_equal(leader_append(p, 2, -1, 0, false), SAMSA_OK);

    assert_int_equal(samsa_partition_become_follower(p, 3), SAMSA_OK);
    assert_true(samsa_partition_is_follower(p));
    assert_int_equal(leader_append(p, 1, -1, 0, false),
                     SAMSA_ERR_NOT_LEADER_OR_FOLLOWER);
    assert_int_equal(samsa_partition_leader_epoch(p), 3);
    assert_int_equal(samsa_partition_last_epoch(p), 0); /* nothing written */

    assert_int_equal(samsa_partition_become_leader(p, 4), SAMSA_OK);
    assert_false(samsa_partition_is_follower(p));
    assert_int_equal(samsa_partition_last_epoch(p), 4);
    assert_int_equal(leader_append(p, 3, -1, 0, false), SAMSA_OK);
    size_t len;
    uint8_t *log = read_log(p, 2, -1, &len);
    samsa_batch_hdr_t h;
    assert_int_equal(samsa_batch_parse(log, len, &h), SAMSA_OK);
    assert_int_equal(h.base_offset, 2);
    assert_int_equal(h.leader_epoch, 4);
    free(log);

    /* Kafka's endOffsetFor: epoch 0 ends where 4 starts, 4 at the LEO;
     * an epoch between them answers the one below; above all: none. */
    int32_t e;
    int64_t end;
    samsa_partition_epoch_end(p, 0, &e, &end);
    assert_int_equal(e, 0);
    assert_int_equal(end, 2);
    samsa_partition_epoch_end(p, 2, &e, &end);
    assert_int_equal(e, 0);
    assert_int_equal(end, 2);
    samsa_partition_epoch_end(p, 4, &e, &end);
    assert_int_equal(e, 4);
    assert_int_equal(end, 5);
    samsa_partition_epoch_end(p, 9, &e, &end);
    assert_int_equal(e, -1);
    assert_int_equal(end, -1);
    samsa_partition_epoch_end(p, -1, &e, &end);
    assert_int_equal(e, -1);
    assert_int_equal(end, -1);
    /* An older leadership does not go back in the cache. */
    assert_int_equal(samsa_partition_become_leader(p, 2), SAMSA_OK);
    assert_int_equal(samsa_partition_last_epoch(p), 4);
    assert_int_equal(samsa_partition_become_leader(p, 4), SAMSA_OK);
    samsa_topic_put(t);
}

static void follower_appends_keep_the_leaders_bytes(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *t;
    samsa_partition_t *p = topic(f, "follow", &t);
    samsa_partition_set_replicated(p, true);
    assert_int_equal(samsa_partition_become_follower(p, 5), SAMSA_OK);

    size_t l1, l2, l3;
    uint8_t *b1 = fetched_batch(3, 0, 2, &l1);
    uint8_t *b2 = fetched_batch(2, 3, 5, &l2);
    uint8_t *both = malloc(l1 + l2 + 30);
    memcpy(both, b1, l1);
    memcpy(both + l1, b2, l2);
    /* A damaged CRC: refused. */
    b1[l1 - 1] ^= 1;
    assert_int_equal(samsa_partition_append_replica(p, b1, l1),
                     SAMSA_ERR_CORRUPT_MESSAGE);
    b1[l1 - 1] ^= 1;
    assert_int_equal(samsa_partition_leo(p), 0);
    /* Two batches and the cut-off head of a third (a fetch's tail). */
    uint8_t *b3 = fetched_batch(1, 5, 5, &l3);
    memcpy(both + l1 + l2, b3, 30);
    assert_int_equal(samsa_partition_append_replica(p, both, l1 + l2 + 30),
                     SAMSA_OK);
    assert_int_equal(samsa_partition_leo(p), 5);
    assert_int_equal(samsa_partition_hw(p), 0);
    size_t len;
    uint8_t *log = read_log(p, 0, 5, &len);
    assert_int_equal(len, l1 + l2);
    assert_memory_equal(log, both, len);
    free(log);
    /* Epoch 2 started at 0 and 5 at 3 (the first newer batch). */
    assert_int_equal(samsa_partition_last_epoch(p), 5);
    int32_t e;
    int64_t end;
    samsa_partition_epoch_end(p, 2, &e, &end);
    assert_int_equal(e, 2);
    assert_int_equal(end, 3);
    samsa_partition_epoch_end(p, 1, &e, &end);
    assert_int_equal(e, 1); /* below all known: Kafka answers the asked */
    assert_int_equal(end, 0);
    /* Below the LEO (already here): refused, nothing written. */
    assert_int_equal(samsa_partition_append_replica(p, b2, l2),
                     SAMSA_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(samsa_partition_leo(p), 5);
    assert_int_equal(samsa_partition_append_replica(p, b3, l3), SAMSA_OK);
    assert_int_equal(samsa_partition_leo(p), 6);
    free(b1);
    free(b2);
    free(b3);
    free(both);
    samsa_topic_put(t);
}

/* A compacted leader's log keeps offsets with gaps between batches: the
 * follower keeps them too (and across a reopen), reads at a missing
 * offset get the next batch, and the log end follows the last batch. */
static void follower_keeps_a_compacted_leaders_gaps(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *t;
    samsa_partition_t *p = topic(f, "gaps", &t);
    samsa_partition_set_replicated(p, true);
    assert_int_equal(samsa_partition_become_follower(p, 1), SAMSA_OK);
    size_t l1, l2, l3;
    uint8_t *b1 = fetched_batch(2, 4, 1, &l1);  /* 4..5 */
    uint8_t *b2 = fetched_batch(1, 9, 1, &l2);  /* 9 */
    uint8_t *b3 = fetched_batch(3, 20, 2, &l3); /* 20..22 */
    uint8_t *all = malloc(l1 + l2 + l3);
    memcpy(all, b1, l1);
    memcpy(all + l1, b2, l2);
    memcpy(all + l1 + l2, b3, l3);
    assert_int_equal(samsa_partition_append_replica(p, all, l1 + l2 + l3),
                     SAMSA_OK);
    assert_int_equal(samsa_partition_leo(p), 23);
    int32_t e;
    int64_t end;
    samsa_partition_epoch_end(p, 1, &e, &end);
    assert_int_equal(end, 20);
    for (int round = 0; round < 2; round++) {
        samsa_storage_read_t rd;
        assert_int_equal(samsa_partition_read(p, 7, 23, 1 << 20, 0, &rd),
                         SAMSA_OK);
        assert_int_equal(rd.total_bytes, (int64_t)(l2 + l3));
        assert_int_equal(rd.next_offset, 23);
        samsa_partition_read_release(p, &rd);
        size_t len;
        uint8_t *log = read_log(p, 0, 23, &len);
        assert_int_equal(len, l1 + l2 + l3);
        assert_memory_equal(log, all, len);
        free(log);
        if (strcmp(f->engine, "segment") != 0) {
            break;
        }
        samsa_topic_put(t);
        samsa_logmgr_close(f->logs.mgr);
        tl_open(&f->logs);
        p = topic(f, "gaps", &t);
        assert_int_equal(samsa_partition_leo(p), 23);
        assert_int_equal(samsa_partition_last_epoch(p), 2);
    }
    /* And a cut inside a gap ends the log at the batch before it. */
    assert_int_equal(samsa_partition_truncate_to(p, 15), SAMSA_OK);
    assert_int_equal(samsa_partition_leo(p), 15);
    assert_int_equal(samsa_partition_last_epoch(p), 1);
    free(b1);
    free(b2);
    free(b3);
    free(all);
    samsa_topic_put(t);
}

/* The producer view of a partition, for comparing two of them. */
typedef struct view {
    size_t producers;
    samsa_producer_info_t info[8];
    size_t aborted;
    samsa_aborted_txn_t ab[8];
} view_t;

static int info_cmp(const void *a, const void *b)
{
    const samsa_producer_info_t *x = a, *y = b;
    return x->producer_id < y->producer_id   ? -1
           : x->producer_id > y->producer_id ? 1
                                             : 0;
}

static void view_of(samsa_partition_t *p, view_t *v)
{
    memset(v, 0, sizeof(*v));
    v->producers = samsa_partition_producers(p, v->info, 8);
    qsort(v->info, v->producers < 8 ? v->producers : 8, sizeof(v->info[0]),
          info_cmp);
    for (size_t i = 0; i < v->producers; i++) {
        v->info[i].last_timestamp = 0; /* replay dates differ */
    }
    assert_int_equal(
        samsa_partition_aborted_txns(p, 0, INT64_MAX, v->ab, 8, &v->aborted),
        SAMSA_OK);
}

static void assert_same_view(samsa_partition_t *a, samsa_partition_t *b)
{
    view_t va, vb;
    view_of(a, &va);
    view_of(b, &vb);
    assert_int_equal(va.producers, vb.producers);
    assert_int_equal(va.aborted, vb.aborted);
    for (size_t i = 0; i < va.producers; i++) {
        assert_int_equal(va.info[i].producer_id, vb.info[i].producer_id);
        assert_int_equal(va.info[i].epoch, vb.info[i].epoch);
        assert_int_equal(va.info[i].last_seq, vb.info[i].last_seq);
        assert_int_equal(va.info[i].txn_first_offset,
                         vb.info[i].txn_first_offset);
    }
    for (size_t i = 0; i < va.aborted; i++) {
        assert_int_equal(va.ab[i].producer_id, vb.ab[i].producer_id);
        assert_int_equal(va.ab[i].first_offset, vb.ab[i].first_offset);
        assert_int_equal(va.ab[i].last_offset, vb.ab[i].last_offset);
        assert_int_equal(va.ab[i].last_stable_offset,
                         vb.ab[i].last_stable_offset);
    }
}

/* Truncating a follower at every batch boundary leaves it with the epoch
 * cache and producer state (idempotent producers, open and aborted
 * transactions) of a follower that only ever had the log up to there. */
static void truncation_rewinds_epochs_and_producer_state(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *tl, *tf, *tp;
    samsa_partition_t *leader = topic(f, "leader", &tl);
    /* Epoch 1: plain records and idempotent producer 7. */
    assert_int_equal(samsa_partition_become_leader(leader, 1), SAMSA_OK);
    assert_int_equal(leader_append(leader, 2, -1, 0, false), SAMSA_OK);
    assert_int_equal(leader_append(leader, 2, 7, 0, false), SAMSA_OK);
    /* Epoch 3: producer 8's transaction aborted, producer 7 goes on,
     * producer 9's transaction left open. */
    assert_int_equal(samsa_partition_become_leader(leader, 3), SAMSA_OK);
    assert_int_equal(leader_append(leader, 1, 8, 0, true), SAMSA_OK);
    assert_int_equal(leader_append(leader, 1, 7, 2, false), SAMSA_OK);
    assert_int_equal(samsa_txn_marker_append(leader, 8, 0, 0, false), SAMSA_OK);
    assert_int_equal(samsa_partition_become_leader(leader, 4), SAMSA_OK);
    assert_int_equal(leader_append(leader, 2, 9, 0, true), SAMSA_OK);
    assert_int_equal(leader_append(leader, 1, 7, 3, false), SAMSA_OK);
    int64_t leo = samsa_partition_leo(leader);
    size_t len;
    uint8_t *log = read_log(leader, 0, leo, &len);

    /* Every batch boundary. */
    int64_t cuts[16];
    size_t ncuts = 0, at = 0;
    while (at < len) {
        samsa_batch_hdr_t h;
        assert_int_equal(samsa_batch_parse(log + at, len - at, &h), SAMSA_OK);
        cuts[ncuts++] = h.base_offset;
        at += samsa_batch_size(&h);
    }
    samsa_partition_t *fol = topic(f, "follower", &tf);
    samsa_partition_set_replicated(fol, true);
    assert_int_equal(samsa_partition_become_follower(fol, 4), SAMSA_OK);
    for (size_t c = ncuts; c-- > 0;) {
        /* The follower gets everything, then is cut at cuts[c]. */
        assert_int_equal(samsa_partition_truncate_fully(fol, 0), SAMSA_OK);
        assert_int_equal(samsa_partition_append_replica(fol, log, len),
                         SAMSA_OK);
        samsa_partition_set_hw(fol, leo);
        assert_int_equal(samsa_partition_truncate_to(fol, cuts[c]), SAMSA_OK);
        assert_int_equal(samsa_partition_leo(fol), cuts[c]);
        assert_true(samsa_partition_hw(fol) <= cuts[c]);
        /* A fresh follower given only the log up to the cut. */
        char name[32];
        snprintf(name, sizeof(name), "prefix%zu", c);
        samsa_partition_t *pre = topic(f, name, &tp);
        assert_int_equal(samsa_partition_become_follower(pre, 4), SAMSA_OK);
        assert_int_equal(samsa_partition_truncate_fully(pre, 0), SAMSA_OK);
        size_t plen;
        uint8_t *prefix = read_log(leader, 0, cuts[c], &plen);
        assert_int_equal(samsa_partition_append_replica(pre, prefix, plen),
                         SAMSA_OK);
        free(prefix);
        assert_same_view(fol, pre);
        assert_int_equal(samsa_partition_last_epoch(fol),
                         samsa_partition_last_epoch(pre));
        for (int32_t e = 0; e <= 5; e++) {
            int32_t e1, e2;
            int64_t o1, o2;
            samsa_partition_epoch_end(fol, e, &e1, &o1);
            samsa_partition_epoch_end(pre, e, &e2, &o2);
            assert_int_equal(e1, e2);
            assert_int_equal(o1, o2);
        }
        samsa_topic_put(tp);
    }
    free(log);
    samsa_topic_put(tf);
    samsa_topic_put(tl);
}

/* A transaction opened and one aborted more than the crash-recovery
 * rebuild's window (100,000 offsets) before a cut: the follower keeps
 * copies of its producer state as its HW moves, so the truncation still
 * leaves exactly the state of a log ending at the cut. */
static void truncation_far_from_history_replays_from_a_copy(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *tl, *tf, *tp;
    samsa_partition_t *leader = topic(f, "bigleader", &tl);
    assert_int_equal(leader_append(leader, 1, 8, 0, true), SAMSA_OK);
    assert_int_equal(leader_append(leader, 1, 9, 0, true), SAMSA_OK);
    assert_int_equal(samsa_txn_marker_append(leader, 9, 0, 0, false), SAMSA_OK);
    assert_int_equal(leader_append(leader, 1, 7, 0, false), SAMSA_OK);
    while (samsa_partition_leo(leader) < 112000) {
        assert_int_equal(leader_append(leader, 2000, -1, 0, false), SAMSA_OK);
    }
    int64_t cut = samsa_partition_leo(leader);
    assert_int_equal(leader_append(leader, 1, 7, 1, false), SAMSA_OK);
    assert_int_equal(leader_append(leader, 5, -1, 0, false), SAMSA_OK);
    int64_t leo = samsa_partition_leo(leader);

    /* The follower fetches in pieces of about 10,000 offsets, its HW
     * following one fetch behind, as a fetcher's would. */
    samsa_partition_t *fol = topic(f, "bigfollower", &tf);
    samsa_partition_set_replicated(fol, true);
    assert_int_equal(samsa_partition_become_follower(fol, 0), SAMSA_OK);
    int64_t prev = 0;
    while (samsa_partition_leo(fol) < leo) {
        int64_t from = samsa_partition_leo(fol);
        int64_t to = from + 10000 < leo ? from + 10000 : leo;
        size_t len;
        uint8_t *chunk = read_log(leader, from, to, &len);
        if (len == 0) {
            free(chunk);
            chunk = read_log(leader, from, leo, &len);
        }
        assert_int_equal(samsa_partition_append_replica(fol, chunk, len),
                         SAMSA_OK);
        free(chunk);
        samsa_partition_set_hw(fol, prev);
        prev = from;
    }
    assert_true(samsa_partition_hw(fol) <= cut);
    assert_int_equal(samsa_partition_truncate_to(fol, cut), SAMSA_OK);
    assert_int_equal(samsa_partition_leo(fol), cut);

    samsa_partition_t *pre = topic(f, "bigprefix", &tp);
    assert_int_equal(samsa_partition_become_follower(pre, 0), SAMSA_OK);
    for (int64_t at = 0; at < cut;) {
        size_t len;
        uint8_t *chunk = read_log(leader, at, cut, &len);
        assert_int_equal(samsa_partition_append_replica(pre, chunk, len),
                         SAMSA_OK);
        free(chunk);
        at = samsa_partition_leo(pre);
    }
    assert_same_view(fol, pre);
    view_t v;
    view_of(fol, &v);
    assert_int_equal(v.producers, 3); /* 7, 8 (open at 0) and 9 */
    assert_int_equal(v.aborted, 1);
    samsa_topic_put(tp);
    samsa_topic_put(tf);
    samsa_topic_put(tl);
}

static void truncate_fully_restarts_the_log(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *t;
    samsa_partition_t *p = topic(f, "fully", &t);
    samsa_partition_set_replicated(p, true);
    assert_int_equal(samsa_partition_become_follower(p, 1), SAMSA_OK);
    size_t l;
    uint8_t *b = fetched_batch(4, 0, 1, &l);
    assert_int_equal(samsa_partition_append_replica(p, b, l), SAMSA_OK);
    free(b);
    /* Past the log end (the leader's log start is beyond it). */
    assert_int_equal(samsa_partition_truncate_fully(p, 100), SAMSA_OK);
    assert_int_equal(samsa_partition_leo(p), 100);
    assert_int_equal(samsa_partition_log_start(p), 100);
    assert_int_equal(samsa_partition_hw(p), 100);
    assert_int_equal(samsa_partition_last_epoch(p), -1);
    b = fetched_batch(2, 100, 3, &l);
    assert_int_equal(samsa_partition_append_replica(p, b, l), SAMSA_OK);
    free(b);
    assert_int_equal(samsa_partition_leo(p), 102);
    int32_t e;
    int64_t end;
    samsa_partition_epoch_end(p, 3, &e, &end);
    assert_int_equal(e, 3);
    assert_int_equal(end, 102);
    /* truncate_to below the log start is a full truncation too. */
    assert_int_equal(samsa_partition_truncate_to(p, 50), SAMSA_OK);
    assert_int_equal(samsa_partition_leo(p), 50);
    assert_int_equal(samsa_partition_log_start(p), 50);
    samsa_topic_put(t);
}

/* A replica that led an epoch and lost it before appending has that
 * epoch in its cache at its log end, which the new leader never knew. The
 * leader answers its fetch with DivergingEpoch {older epoch, this log
 * end}: truncating there must drop the empty epoch, or the follower asks
 * with it again at the same offset for ever and never rejoins the ISR
 * (CI: node 2 out of rr-0's ISR for 30 s after a rolling restart). */
static void
truncating_at_the_log_end_drops_an_epoch_without_records(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *t;
    samsa_partition_t *p = topic(f, "empty-epoch", &t);
    samsa_partition_set_replicated(p, true);
    assert_int_equal(samsa_partition_become_follower(p, 2), SAMSA_OK);
    size_t l;
    uint8_t *b = fetched_batch(3, 0, 2, &l);
    assert_int_equal(samsa_partition_append_replica(p, b, l), SAMSA_OK);
    free(b);
    assert_int_equal(samsa_partition_become_leader(p, 3), SAMSA_OK);
    assert_int_equal(samsa_partition_become_follower(p, 4), SAMSA_OK);
    assert_int_equal(samsa_partition_last_epoch(p), 3);
    assert_int_equal(samsa_partition_truncate_to(p, 3), SAMSA_OK);
    assert_int_equal(samsa_partition_leo(p), 3);
    assert_int_equal(samsa_partition_last_epoch(p), 2);
    int32_t e;
    int64_t end;
    samsa_partition_epoch_end(p, 2, &e, &end);
    assert_int_equal(e, 2);
    assert_int_equal(end, 3);
    /* What the leader sends next continues the log. */
    b = fetched_batch(2, 3, 4, &l);
    assert_int_equal(samsa_partition_append_replica(p, b, l), SAMSA_OK);
    free(b);
    assert_int_equal(samsa_partition_last_epoch(p), 4);
    /* Past the log end, entries with records stay. */
    assert_int_equal(samsa_partition_truncate_to(p, 9), SAMSA_OK);
    assert_int_equal(samsa_partition_last_epoch(p), 4);
    samsa_topic_put(t);
}

/* The cache survives a restart in Kafka's leader-epoch-checkpoint format;
 * a checkpoint running past a log cut by recovery is cut to it. */
static void epoch_cache_is_a_kafka_checkpoint_across_restarts(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *t;
    samsa_partition_t *p = topic(f, "ckpt", &t);
    assert_int_equal(samsa_partition_become_leader(p, 2), SAMSA_OK);
    assert_int_equal(leader_append(p, 3, -1, 0, false), SAMSA_OK);
    assert_int_equal(samsa_partition_become_leader(p, 6), SAMSA_OK);
    assert_int_equal(leader_append(p, 1, -1, 0, false), SAMSA_OK);
    char path[600];
    snprintf(path, sizeof(path), "%s/__samsa_meta/leader-epochs/", f->logs.dir);
    for (int i = 0; i < 16; i++) {
        snprintf(path + strlen(path), 3, "%02x", t->id[i]);
    }
    strcat(path, "-0");
    samsa_topic_put(t);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char text[128] = {0};
    assert_true(fread(text, 1, sizeof(text) - 1, in) > 0);
    fclose(in);
    assert_string_equal(text, "0\n2\n2 0\n6 3\n");

    samsa_logmgr_close(f->logs.mgr);
    tl_open(&f->logs);
    p = topic(f, "ckpt", &t);
    assert_int_equal(samsa_partition_last_epoch(p), 6);
    assert_int_equal(samsa_partition_leader_epoch(p), 6);
    int32_t e;
    int64_t end;
    samsa_partition_epoch_end(p, 2, &e, &end);
    assert_int_equal(e, 2);
    assert_int_equal(end, 3);
    /* Appends after the restart stay in epoch 6. */
    assert_int_equal(leader_append(p, 1, -1, 0, false), SAMSA_OK);
    samsa_partition_epoch_end(p, 6, &e, &end);
    assert_int_equal(end, 5);
    samsa_topic_put(t);

    /* A checkpoint naming an epoch past the log's end (its tail was lost)
     * is cut to the log. */
    samsa_logmgr_close(f->logs.mgr);
    FILE *out = fopen(path, "w");
    fputs("0\n3\n2 0\n6 3\n9 40\n", out);
    fclose(out);
    tl_open(&f->logs);
    p = topic(f, "ckpt", &t);
    assert_int_equal(samsa_partition_last_epoch(p), 6);
    samsa_topic_put(t);
}

/* The leader-epoch checkpoint of partition @p index of @p t. */
static void checkpoint_path(fixture_t *f, samsa_topic_t *t, int index,
                            char *path, size_t size)
{
    snprintf(path, size, "%s/__samsa_meta/leader-epochs/", f->logs.dir);
    for (int i = 0; i < 16; i++) {
        snprintf(path + strlen(path), 3, "%02x", t->id[i]);
    }
    snprintf(path + strlen(path), size - strlen(path), "-%d", index);
}

static void checkpoint_is(const char *path, const char *want)
{
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    char text[128] = {0};
    assert_true(fread(text, 1, sizeof(text) - 1, in) > 0);
    fclose(in);
    assert_string_equal(text, want);
}

/* A takeover of many partitions writes their checkpoints together; each
 * partition leads at its new epoch only with its checkpoint written: one
 * whose checkpoint cannot be written stays out of leadership (appends
 * refused) while the others lead, and leads once a later call writes it.
 * Before, a partition led at its new epoch with or without a durable
 * checkpoint. */
static void a_takeover_leads_only_with_its_checkpoint_written(void **state)
{
    fixture_t *f = *state;
    enum { N = 40, BAD = 17 };
    samsa_tcfg_t cfg = {0};
    samsa_tcfg_set(&cfg, "samsa.storage.engine", f->engine);
    char err[256];
    assert_int_equal(samsa_logmgr_create_topic(f->logs.mgr, "many", N, &cfg,
                                               false, err, sizeof(err)),
                     SAMSA_OK);
    samsa_tcfg_free(&cfg);
    samsa_topic_t *t = samsa_logmgr_topic_get(f->logs.mgr, "many");
    samsa_partition_t *parts[N];
    int32_t epochs[N];
    samsa_err_t errs[N];
    for (int i = 0; i < N; i++) {
        parts[i] = samsa_topic_partition(t, i);
        assert_int_equal(samsa_partition_become_follower(parts[i], 1),
                         SAMSA_OK);
        epochs[i] = 3 + i % 2;
    }
    /* Its temporary file is a directory: the write fails (even as root). */
    char bad[600], tmp[640];
    checkpoint_path(f, t, BAD, bad, sizeof(bad));
    snprintf(tmp, sizeof(tmp), "%s.tmp", bad);
    assert_int_equal(mkdir(tmp, 0755), 0);

    samsa_partitions_become_leader(parts, epochs, N, errs);
    for (int i = 0; i < N; i++) {
        char path[600], want[32];
        checkpoint_path(f, t, i, path, sizeof(path));
        if (i == BAD) {
            assert_int_equal(errs[i], SAMSA_ERR_KAFKA_STORAGE_ERROR);
            assert_true(samsa_partition_is_follower(parts[i]));
            assert_int_equal(leader_append(parts[i], 1, -1, 0, false),
                             SAMSA_ERR_NOT_LEADER_OR_FOLLOWER);
            continue;
        }
        assert_int_equal(errs[i], SAMSA_OK);
        assert_false(samsa_partition_is_follower(parts[i]));
        assert_int_equal(samsa_partition_leader_epoch(parts[i]), epochs[i]);
        snprintf(want, sizeof(want), "0\n1\n%d 0\n", epochs[i]);
        checkpoint_is(path, want);
        assert_int_equal(leader_append(parts[i], 1, -1, 0, false), SAMSA_OK);
    }

    /* The next try (the next image) writes it and leads. */
    assert_int_equal(rmdir(tmp), 0);
    assert_int_equal(samsa_partition_become_leader(parts[BAD], epochs[BAD]),
                     SAMSA_OK);
    assert_false(samsa_partition_is_follower(parts[BAD]));
    checkpoint_is(bad, "0\n1\n4 0\n");
    assert_int_equal(leader_append(parts[BAD], 1, -1, 0, false), SAMSA_OK);
    samsa_topic_put(t);
}

static sem_t flushed;
static void on_flushed(samsa_flush_waiter_t *w, samsa_err_t err)
{
    (void)w;
    assert_int_equal(err, SAMSA_OK);
    sem_post(&flushed);
}

/* flush.messages=1 on a replicated leader: the acknowledgement waits for
 * the flush covering the append, not for the HW (which lags the log end
 * until the followers have the data). */
static void flush_waits_cover_the_log_end_not_the_hw(void **state)
{
    fixture_t *f = *state;
    samsa_tcfg_t cfg = {0};
    samsa_tcfg_set(&cfg, "samsa.storage.engine", f->engine);
    samsa_tcfg_set(&cfg, "flush.messages", "1");
    char err[256];
    assert_int_equal(samsa_logmgr_create_topic(f->logs.mgr, "durable", 1, &cfg,
                                               false, err, sizeof(err)),
                     SAMSA_OK);
    samsa_tcfg_free(&cfg);
    samsa_topic_t *t = samsa_logmgr_topic_get(f->logs.mgr, "durable");
    samsa_partition_t *p = samsa_topic_partition(t, 0);
    samsa_partition_set_replicated(p, true);
    sem_init(&flushed, 0, 0);
    for (int i = 0; i < 3; i++) {
        int64_t ticket = -1;
        assert_int_equal(leader_append_ticket(p, 2, -1, 0, false, &ticket),
                         SAMSA_OK);
        assert_int_equal(ticket, 2 * (i + 1));
        samsa_flush_waiter_t w = {.done = on_flushed};
        if (samsa_partition_flush_wait(p, ticket, &w)) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 20;
            assert_int_equal(sem_timedwait(&flushed, &until), 0);
        }
    }
    assert_int_equal(samsa_partition_hw(p), 0);
    sem_destroy(&flushed);
    samsa_topic_put(t);
}

/* Truncation, then a crash (the process ends without closing anything):
 * the reopened log ends at the cut, its epochs and producers agree, and
 * the follower carries on from there. */
static void truncation_survives_a_crash(void **state)
{
    fixture_t *f = *state;
    samsa_topic_t *t;
    samsa_partition_t *p = topic(f, "crash", &t);
    assert_int_equal(samsa_partition_become_follower(p, 3), SAMSA_OK);
    int64_t at = 0;
    for (int32_t e = 1; e <= 3; e++) {
        for (int k = 0; k < 2; k++) {
            size_t l;
            uint8_t *b = fetched_batch(3, at, e, &l);
            assert_int_equal(samsa_partition_append_replica(p, b, l), SAMSA_OK);
            free(b);
            at += 3;
        }
    }
    assert_int_equal(samsa_partition_leo(p), 18);
    samsa_topic_put(t);
    samsa_logmgr_close(f->logs.mgr);

    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        tl_open(&f->logs);
        p = topic(f, "crash", &t);
        /* Into epoch 2's second batch: cut at its start (9). */
        int rc = samsa_partition_truncate_to(p, 10) == SAMSA_OK &&
                         samsa_partition_leo(p) == 9
                     ? 0
                     : 1;
        _exit(rc); /* no close: as a kill -9 */
    }
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    tl_open(&f->logs);
    p = topic(f, "crash", &t);
    assert_int_equal(samsa_partition_leo(p), 9);
    assert_int_equal(samsa_partition_last_epoch(p), 2);
    int32_t e;
    int64_t end;
    samsa_partition_epoch_end(p, 1, &e, &end);
    assert_int_equal(e, 1);
    assert_int_equal(end, 6);
    samsa_partition_epoch_end(p, 2, &e, &end);
    assert_int_equal(end, 9);
    size_t len;
    uint8_t *log = read_log(p, 0, 9, &len);
    for (size_t pos = 0; pos < len;) {
        samsa_batch_hdr_t h;
        assert_int_equal(samsa_batch_parse(log + pos, len - pos, &h), SAMSA_OK);
        assert_true(samsa_batch_crc_ok(log + pos, &h));
        pos += samsa_batch_size(&h);
    }
    free(log);
    size_t l;
    uint8_t *b = fetched_batch(2, 9, 4, &l);
    assert_int_equal(samsa_partition_append_replica(p, b, l), SAMSA_OK);
    free(b);
    assert_int_equal(samsa_partition_leo(p), 11);
    samsa_partition_epoch_end(p, 2, &e, &end);
    assert_int_equal(end, 9);
    samsa_topic_put(t);
}

/* Kill -9 at random moments of a truncation across many segments: the
 * reopened log is always a gapless prefix of the old one, byte for byte,
 * ending at the cut or at a batch end after it (the truncation is then
 * simply redone), and its epoch cache ends inside it. */
static void truncation_killed_part_way_leaves_a_prefix(void **state)
{
    fixture_t *f = *state;
    samsa_tcfg_t cfg = {0};
    samsa_tcfg_set(&cfg, "samsa.storage.engine", "segment");
    samsa_tcfg_set(&cfg, "segment.bytes", "2048");
    char err[256];
    assert_int_equal(samsa_logmgr_create_topic(f->logs.mgr, "killed", 1, &cfg,
                                               false, err, sizeof(err)),
                     SAMSA_OK);
    samsa_tcfg_free(&cfg);
    samsa_topic_t *t = samsa_logmgr_topic_get(f->logs.mgr, "killed");
    samsa_partition_t *p = samsa_topic_partition(t, 0);
    assert_int_equal(samsa_partition_become_follower(p, 9), SAMSA_OK);
    for (int64_t at = 0; at < 600; at += 4) {
        size_t l;
        uint8_t *b = fetched_batch(4, at, (int32_t)(at / 100), &l);
        assert_int_equal(samsa_partition_append_replica(p, b, l), SAMSA_OK);
        free(b);
    }
    size_t full_len;
    uint8_t *full = read_log(p, 0, 600, &full_len);
    samsa_topic_put(t);
    samsa_logmgr_close(f->logs.mgr);
    srand(13);
    for (int round = 0; round < 16; round++) {
        int64_t cut = 4 * (1 + rand() % 100);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
            tl_open(&f->logs);
            t = samsa_logmgr_topic_get(f->logs.mgr, "killed");
            samsa_partition_truncate_to(samsa_topic_partition(t, 0), cut);
            pause(); /* killed here at the latest */
            _exit(0);
        }
        usleep((useconds_t)(rand() % 6000)); /* ~ the child's start-up */
        kill(child, SIGKILL);
        int status;
        assert_int_equal(waitpid(child, &status, 0), child);

        tl_open(&f->logs);
        t = samsa_logmgr_topic_get(f->logs.mgr, "killed");
        p = samsa_topic_partition(t, 0);
        int64_t leo = samsa_partition_leo(p);
        assert_true(leo >= cut && leo <= 600 && leo % 4 == 0);
        size_t len;
        uint8_t *log = read_log(p, 0, leo, &len);
        assert_memory_equal(log, full, len);
        int64_t expect = 0;
        for (size_t pos = 0; pos < len;) {
            samsa_batch_hdr_t h;
            assert_int_equal(samsa_batch_parse(log + pos, len - pos, &h),
                             SAMSA_OK);
            assert_int_equal(h.base_offset, expect);
            expect = h.base_offset + h.last_offset_delta + 1;
            pos += samsa_batch_size(&h);
        }
        assert_int_equal(expect, leo);
        free(log);
        int32_t e;
        int64_t end;
        samsa_partition_epoch_end(p, samsa_partition_last_epoch(p), &e, &end);
        assert_int_equal(end, leo);
        assert_true(e <= (leo - 1) / 100);
        /* Back to the whole log for the next round. */
        if (leo < 600) {
            size_t rest_at = len;
            assert_int_equal(samsa_partition_append_replica(p, full + rest_at,
                                                            full_len - rest_at),
                             SAMSA_OK);
        }
        assert_int_equal(samsa_partition_leo(p), 600);
        samsa_topic_put(t);
        samsa_logmgr_close(f->logs.mgr);
    }
    free(full);
    tl_open(&f->logs); /* for teardown */
}

#define BOTH(fn)                                                               \
    cmocka_unit_test_setup_teardown(fn, tl_setup_segment, tl_teardown_engine), \
        cmocka_unit_test_setup_teardown(fn, tl_setup_memory,                   \
                                        tl_teardown_engine)

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH(standalone_hw_follows_appends_replicated_waits_for_set_hw),
        BOTH(set_hw_wakes_waiters_only_when_it_moves),
        BOTH(roles_stamp_epochs_and_refuse_follower_appends),
        BOTH(follower_appends_keep_the_leaders_bytes),
        BOTH(follower_keeps_a_compacted_leaders_gaps),
        BOTH(truncation_rewinds_epochs_and_producer_state),
        BOTH(truncate_fully_restarts_the_log),
        BOTH(truncating_at_the_log_end_drops_an_epoch_without_records),
        BOTH(truncation_far_from_history_replays_from_a_copy),
        BOTH(flush_waits_cover_the_log_end_not_the_hw),
        cmocka_unit_test_setup_teardown(
            epoch_cache_is_a_kafka_checkpoint_across_restarts, tl_setup_segment,
            tl_teardown_engine),
        cmocka_unit_test_setup_teardown(truncation_survives_a_crash,
                                        tl_setup_segment, tl_teardown_engine),
        cmocka_unit_test_setup_teardown(
            a_takeover_leads_only_with_its_checkpoint_written, tl_setup_segment,
            tl_teardown_engine),
        cmocka_unit_test_setup_teardown(
            truncation_killed_part_way_leaves_a_prefix, tl_setup_segment,
            tl_teardown_engine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
