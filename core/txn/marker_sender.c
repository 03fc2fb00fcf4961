/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/txn/marker_sender.c - the marker thread of a coordinator in a
 * cluster (opts.marker_ops), Kafka's TransactionMarkerChannelManager in
 * small: it takes a transaction waiting in Prepare*, writes its markers
 * through marker_ops outside the coordinator lock (network calls to other
 * leaders), keeps the partitions that failed for the next try, and logs
 * Complete* once none is left. Transactions queued meanwhile wait their
 * turn; a failed one is tried again after RETRY_MS.
 *
 * A transaction is taken only once its Prepare* record is on every
 * in-sync replica of its __transaction_state partition (the high
 * watermark passed it), as Kafka sends markers from the callback of that
 * append: a commit marker written before would be undone by a successor
 * coordinator that never saw the PrepareCommit and aborts the
 * transaction, leaving it committed on some partitions and aborted on
 * others. A waiter on that partition wakes the thread when the high
 * watermark moves, so no timer paces it.
 */
#include "txn/txn_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#define RETRY_MS 200
#define IDLE_MS  1000

/* What the thread works on, copied out of the table. */
typedef struct job {
    char *id;
    int64_t pid;
    int16_t epoch;
    int32_t coordinator_epoch;
    bool commit;
    size_t n;
    char **topics;
    int32_t *partitions;
    samsa_err_t *results;
} job_t;

static void job_free(job_t *j)
{
    for (size_t i = 0; i < j->n; i++) {
        free(j->topics[i]);
    }
    free(j->topics);
    free(j->partitions);
    free(j->results);
    free(j->id);
    memset(j, 0, sizeof(*j));
}

static bool job_copy(const samsa_txn_coordinator_t *tc, const txn_t *t,
                     job_t *j)
{
    size_t n = t->ntps;
    j->id = strdup(t->id);
    j->pid = t->pid;
    j->epoch = t->epoch;
    j->coordinator_epoch = samsa_txn_coordinator_epoch(tc, t->id);
    j->commit = t->state == TXN_PREPARE_COMMIT;
    j->topics = calloc(n ? n : 1, sizeof(*j->topics));
    j->partitions = calloc(n ? n : 1, sizeof(*j->partitions));
    j->results = calloc(n ? n : 1, sizeof(*j->results));
    if (!j->id || !j->topics || !j->partitions || !j->results) {
        return false;
    }
    for (size_t i = 0; i < n; i++, j->n++) {
        if (!(j->topics[i] = strdup(t->tps[i].topic))) {
            return false;
        }
        j->partitions[i] = t->tps[i].partition;
    }
    return true;
}

static void on_state_hw(samsa_part_waiter_t *w)
{
    samsa_txn_sender_wake(w->arg);
}

/* Lock held: be woken when partition @p p's high watermark moves. */
static void watch(samsa_txn_coordinator_t *tc, int32_t p,
                  samsa_partition_t *part)
{
    if (p >= tc->nhw_waiters) {
        int32_t n = p + 1;
        samsa_part_waiter_t **w =
            realloc(tc->hw_waiters, (size_t)n * sizeof(*w));
        if (w) {
            tc->hw_waiters = w;
        }
        samsa_partition_t **pp =
            w ? realloc(tc->hw_parts, (size_t)n * sizeof(*pp)) : NULL;
        if (!pp) {
            return; /* IDLE_MS paces the look instead */
        }
        tc->hw_parts = pp;
        for (int32_t i = tc->nhw_waiters; i < n; i++) {
            tc->hw_waiters[i] = NULL;
            tc->hw_parts[i] = NULL;
        }
        tc->nhw_waiters = n;
    }
    if (tc->hw_waiters[p]) {
        return;
    }
    samsa_part_waiter_t *w = calloc(1, sizeof(*w));
    if (!w) {
        return;
    }
    w->notify = on_state_hw;
    w->arg = tc;
    tc->hw_waiters[p] = w;
    tc->hw_parts[p] = part;
    samsa_partition_wait_add(part, w);
}

void samsa_txn_sender_unwatch(samsa_txn_coordinator_t *tc, int32_t p)
{
    for (int32_t i = 0; i < tc->nhw_waiters; i++) {
        if ((p < 0 || i == p) && tc->hw_waiters[i]) {
            samsa_partition_wait_remove(tc->hw_parts[i], tc->hw_waiters[i]);
            free(tc->hw_waiters[i]);
            tc->hw_waiters[i] = NULL;
            tc->hw_parts[i] = NULL;
        }
    }
}

/* Whether @p t's Prepare* record is replicated (lock held); if not, the
 * thread is woken when that can have changed. */
static bool prepare_logged(samsa_txn_coordinator_t *tc, const txn_t *t)
{
    if (t->prepare_end <= 0 || !tc->stopic) {
        return true;
    }
    int32_t p = samsa_txn_partition_for(tc, t->id);
    samsa_partition_t *part = samsa_topic_partition(tc->stopic, p);
    if (!part || samsa_partition_hw(part) >= t->prepare_end) {
        return true;
    }
    watch(tc, p, part);
    /* Moved between the look and the watch: look again now. */
    return samsa_partition_hw(part) >= t->prepare_end;
}

/* A queued transaction due now, or NULL (*wait_ms: until the next). */
static txn_t *next_due(samsa_txn_coordinator_t *tc, int64_t *wait_ms)
{
    int64_t now = samsa_mono_ms();
    *wait_ms = IDLE_MS;
    for (txn_t *t = tc->txns; t; t = t->next) {
        int64_t deadline = samsa_txn_end_waiters_fire(t, now, false);
        if (deadline != INT64_MAX && deadline - now < *wait_ms) {
            *wait_ms = deadline - now;
        }
        if (!t->markers_queued || !prepare_logged(tc, t)) {
            continue;
        }
        if (t->retry_ms <= now) {
            return t;
        }
        if (t->retry_ms - now < *wait_ms) {
            *wait_ms = t->retry_ms - now;
        }
    }
    return NULL;
}

/* Back under the lock: drop the partitions written; finish when none is
 * left. The transaction may have moved on (unloaded, fenced) meanwhile. */
static void job_done(samsa_txn_coordinator_t *tc, const job_t *j)
{
    txn_t *t = samsa_txn_find(tc, j->id);
    if (!t || !t->markers_queued || t->pid != j->pid || t->epoch != j->epoch) {
        return;
    }
    size_t keep = 0, failed = 0;
    samsa_err_t why = SAMSA_OK;
    for (size_t i = 0; i < t->ntps; i++) {
        bool written = false;
        for (size_t k = 0; k < j->n; k++) {
            if (j->results[k] == SAMSA_OK &&
                j->partitions[k] == t->tps[i].partition &&
                strcmp(j->topics[k], t->tps[i].topic) == 0) {
                written = true;
            }
            if (j->results[k] != SAMSA_OK) {
                why = j->results[k];
            }
        }
        if (written) {
            free(t->tps[i].topic);
        } else {
            t->tps[keep++] = t->tps[i];
            failed++;
        }
    }
    t->ntps = keep;
    if (failed == 0) {
        samsa_txn_finish(tc, t);
        return;
    }
    t->retry_ms = samsa_mono_ms() + RETRY_MS;
    samsa_log(SAMSA_LOG_DEBUG,
              "txn: transaction %s: %zu markers not written yet (%s), "
              "retrying",
              t->id, failed, samsa_err_str(why));
}

static void *sender_main(void *arg)
{
    samsa_txn_coordinator_t *tc = arg;
    const samsa_txn_marker_ops_t *ops = tc->opts.marker_ops;
    pthread_mutex_lock(&tc->lock);
    while (!tc->stopped) {
        pthread_mutex_lock(&tc->wake_lock);
        uint64_t gen = tc->wake_gen;
        pthread_mutex_unlock(&tc->wake_lock);
        int64_t wait_ms;
        txn_t *t = next_due(tc, &wait_ms);
        if (!t) {
            pthread_mutex_unlock(&tc->lock);
            struct timespec ts = samsa_deadline(CLOCK_MONOTONIC, wait_ms);
            pthread_mutex_lock(&tc->wake_lock);
            if (tc->wake_gen == gen) {
                pthread_cond_timedwait(&tc->sender_cond, &tc->wake_lock, &ts);
            }
            pthread_mutex_unlock(&tc->wake_lock);
            pthread_mutex_lock(&tc->lock);
            continue;
        }
        job_t j = {0};
        if (!job_copy(tc, t, &j)) {
            t->retry_ms = samsa_mono_ms() + RETRY_MS;
            job_free(&j);
            continue;
        }
        pthread_mutex_unlock(&tc->lock);
        ops->write(tc->opts.marker_arg, j.pid, j.epoch, j.coordinator_epoch,
                   j.commit, (const char *const *)j.topics, j.partitions, j.n,
                   j.results);
        pthread_mutex_lock(&tc->lock);
        job_done(tc, &j);
        job_free(&j);
    }
    pthread_mutex_unlock(&tc->lock);
    return NULL;
}

samsa_err_t samsa_txn_sender_start(samsa_txn_coordinator_t *tc)
{
    if (!tc->opts.marker_ops) {
        return SAMSA_OK;
    }
    if (pthread_create(&tc->sender, NULL, sender_main, tc) != 0) {
        return SAMSA_ERR_NOMEM;
    }
    tc->sender_started = true;
    return SAMSA_OK;
}

void samsa_txn_sender_stop(samsa_txn_coordinator_t *tc)
{
    if (tc->sender_started) {
        pthread_join(tc->sender, NULL);
        tc->sender_started = false;
    }
}

void samsa_txn_sender_wake(samsa_txn_coordinator_t *tc)
{
    pthread_mutex_lock(&tc->wake_lock);
    tc->wake_gen++;
    pthread_cond_signal(&tc->sender_cond);
    pthread_mutex_unlock(&tc->wake_lock);
}
