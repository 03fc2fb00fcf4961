/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/txn/coordinator.c - see coordinator.h: the transaction state machine
 * (Kafka's TransactionCoordinator and TransactionMetadata), run
 * synchronously under one mutex on a single node: an EndTxn logs
 * Prepare*, writes the markers, settles the group offsets and logs
 * Complete* before it answers.
 */
#include "txn/txn_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "group/coordinator.h"
#include "producer/pid_alloc.h"
#include "util/clock.h"
#include "util/log.h"

/* Kafka leaves the last epoch value unused. */
#define EPOCH_EXHAUSTED (INT16_MAX - 1)

void samsa_txn_options_init(samsa_txn_options_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->state_topic_partitions = 1;
    opts->max_timeout_ms = 900000;
    opts->abort_check_interval_ms = 10000;
}

/* ---------------------------------------------------------------------- */
/* The table                                                              */
/* ---------------------------------------------------------------------- */

txn_t *samsa_txn_find(samsa_txn_coordinator_t *tc, const char *id)
{
    for (txn_t *t = tc->txns; t; t = t->next) {
        if (strcmp(t->id, id) == 0) {
            return t;
        }
    }
    return NULL;
}

txn_t *samsa_txn_add(samsa_txn_coordinator_t *tc, const char *id)
{
    txn_t *t = calloc(1, sizeof(*t));
    if (!t || !(t->id = strdup(id))) {
        free(t);
        return NULL;
    }
    t->pid = -1;
    t->epoch = -1;
    t->state = TXN_EMPTY;
    t->start_ms = -1;
    t->next = tc->txns;
    tc->txns = t;
    return t;
}

static bool tp_has(const txn_t *t, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < t->ntps; i++) {
        if (t->tps[i].partition == partition &&
            strcmp(t->tps[i].topic, topic) == 0) {
            return true;
        }
    }
    return false;
}

samsa_err_t samsa_txn_tp_add(txn_t *t, const char *topic, int32_t partition)
{
    if (tp_has(t, topic, partition)) {
        return SAMSA_OK;
    }
    if (t->ntps == t->cap_tps) {
        size_t cap = t->cap_tps ? t->cap_tps * 2 : 4;
        txn_tp_t *n = realloc(t->tps, cap * sizeof(*n));
        if (!n) {
            return SAMSA_ERR_NOMEM;
        }
        t->tps = n;
        t->cap_tps = cap;
    }
    char *copy = strdup(topic);
    if (!copy) {
        return SAMSA_ERR_NOMEM;
    }
    t->tps[t->ntps++] = (txn_tp_t){copy, partition};
    return SAMSA_OK;
}

void samsa_txn_clear_parts(txn_t *t)
{
    for (size_t i = 0; i < t->ntps; i++) {
        free(t->tps[i].topic);
    }
    t->ntps = 0;
}

int64_t samsa_txn_end_waiters_fire(txn_t *t, int64_t now, bool completed)
{
    int64_t next = INT64_MAX;
    for (txn_end_waiter_t **wp = &t->end_waiters; *wp;) {
        txn_end_waiter_t *w = *wp;
        if (now >= 0 && w->deadline_ms > now) {
            next = w->deadline_ms < next ? w->deadline_ms : next;
            wp = &w->next;
            continue;
        }
        *wp = w->next;
        w->fn(w->arg, completed);
        free(w);
    }
    return next;
}

/* Gone from this coordinator: whoever waits hears it. */
static void txn_free(txn_t *t)
{
    (void)samsa_txn_end_waiters_fire(t, -1, false);
    samsa_txn_clear_parts(t);
    free(t->tps);
    free(t->id);
    free(t);
}

/* ---------------------------------------------------------------------- */
/* Ending a transaction                                                   */
/* ---------------------------------------------------------------------- */

/* From Prepare*: markers (the one on the group's offsets partition
 * settles TxnOffsetCommit offsets there), Complete*. A marker failure leaves
 * the transaction in Prepare* for the timer to retry. */
static samsa_err_t complete(samsa_txn_coordinator_t *tc, txn_t *t)
{
    bool commit = t->state == TXN_PREPARE_COMMIT;
    if (tc->opts.marker_ops) {
        if (!t->markers_queued) {
            t->markers_queued = true;
            t->retry_ms = 0;
            samsa_txn_sender_wake(tc);
        }
        return SAMSA_OK;
    }
    samsa_err_t err = samsa_txn_markers_write(
        tc->opts.logmgr, tc->opts.groups, t->pid, t->epoch,
        samsa_txn_coordinator_epoch(tc, t->id), commit, t->tps, t->ntps);
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_WARN,
                  "txn: transaction %s: markers not written (error "
                  "%d), retried later",
                  t->id, (int)err);
        return err;
    }
    samsa_txn_finish(tc, t);
    return SAMSA_OK;
}

void samsa_txn_finish(samsa_txn_coordinator_t *tc, txn_t *t)
{
    t->state = t->state == TXN_PREPARE_COMMIT ? TXN_COMPLETE_COMMIT
                                              : TXN_COMPLETE_ABORT;
    t->markers_queued = false;
    samsa_txn_clear_parts(t);
    t->start_ms = -1;
    t->update_ms = samsa_wall_ms();
    samsa_err_t err = samsa_txn_persist(tc, t);
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_WARN,
                  "txn: transaction %s: completion not logged (error "
                  "%d); it is completed again after a restart",
                  t->id, (int)err);
    }
    /* Every marker is written either way: the outcome is settled. */
    (void)samsa_txn_end_waiters_fire(t, -1, true);
}

/* Ongoing -> Prepare* -> Complete*. */
static samsa_err_t end_txn(samsa_txn_coordinator_t *tc, txn_t *t, bool commit)
{
    txn_state_t before = t->state;
    t->state = commit ? TXN_PREPARE_COMMIT : TXN_PREPARE_ABORT;
    t->update_ms = samsa_wall_ms();
    samsa_err_t err = samsa_txn_persist(tc, t);
    if (err != SAMSA_OK) {
        t->state = before;
        return SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    t->prepare_end = t->log_end;
    (void)complete(tc, t);
    return SAMSA_OK;
}

/* The coordinator aborts (timeout, a new instance): the epoch is bumped so
 * the old producer is fenced on the coordinator and on every partition
 * (the markers carry the new epoch). */
static samsa_err_t abort_fenced(samsa_txn_coordinator_t *tc, txn_t *t)
{
    if (t->epoch + 1 < EPOCH_EXHAUSTED) {
        t->epoch++;
    }
    return end_txn(tc, t, false);
}

/* ---------------------------------------------------------------------- */
/* Start, stop, the timer                                                 */
/* ---------------------------------------------------------------------- */

/* What a crash or a failover interrupted, in partition @p p (-1: all):
 * Prepare* is completed as decided, as Kafka's coordinator does on load
 * (TransactionStateManager.loadTransactionsForTxnTopicPartition). An
 * Ongoing transaction is left as it is, as in Kafka: its producer goes on
 * with it through the new coordinator (a rolling restart or a leader
 * move costs it nothing), and one its producer abandoned is aborted by
 * the timer once transaction.timeout.ms has passed since it started (the
 * start time is in its record, so the clock runs across the move). */
static void recover_locked(samsa_txn_coordinator_t *tc, int32_t p)
{
    for (txn_t *t = tc->txns; t; t = t->next) {
        if (p >= 0 && samsa_txn_partition_for(tc, t->id) != p) {
            continue;
        }
        if (t->state == TXN_PREPARE_COMMIT || t->state == TXN_PREPARE_ABORT) {
            (void)complete(tc, t);
        }
    }
}

samsa_err_t samsa_txn_serving(const samsa_txn_coordinator_t *tc,
                              const char *txn_id)
{
    if (tc->stopped) {
        return SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (!tc->opts.follow_leadership) {
        return SAMSA_OK;
    }
    return samsa_part_serving(&tc->parts, samsa_txn_partition_for(tc, txn_id));
}

/* Lock held: the state topic and a slot for @p p. */
static samsa_err_t partition_slot(samsa_txn_coordinator_t *tc, int32_t p)
{
    if (!tc->stopic) {
        tc->stopic =
            samsa_logmgr_topic_get(tc->opts.logmgr, SAMSA_TXN_STATE_TOPIC);
    }
    if (!tc->stopic || p < 0 || p >= tc->stopic->partition_count) {
        return SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    int32_t n = tc->stopic->partition_count;
    if (n > tc->ncoord_epochs) {
        int32_t *e = realloc(tc->coord_epochs, (size_t)n * sizeof(*e));
        if (!e) {
            return SAMSA_ERR_NOMEM;
        }
        for (int32_t i = tc->ncoord_epochs; i < n; i++) {
            e[i] = 0;
        }
        tc->coord_epochs = e;
        tc->ncoord_epochs = n;
    }
    return samsa_part_states_grow(&tc->parts, n);
}

int32_t samsa_txn_coordinator_epoch(const samsa_txn_coordinator_t *tc,
                                    const char *txn_id)
{
    int32_t p = samsa_txn_partition_for(tc, txn_id);
    if (tc->opts.follow_leadership) {
        return p >= 0 && p < tc->ncoord_epochs ? tc->coord_epochs[p] : 0;
    }
    samsa_partition_t *part =
        tc->stopic ? samsa_topic_partition(tc->stopic, p) : NULL;
    return part ? samsa_partition_leader_epoch(part) : 0;
}

void samsa_txn_partition_loading(samsa_txn_coordinator_t *tc, int32_t p)
{
    pthread_mutex_lock(&tc->lock);
    if (partition_slot(tc, p) == SAMSA_OK &&
        tc->parts.st[p] == SAMSA_PART_NONE) {
        tc->parts.st[p] = SAMSA_PART_LOADING;
    }
    pthread_mutex_unlock(&tc->lock);
}

samsa_err_t samsa_txn_partition_load(samsa_txn_coordinator_t *tc, int32_t p)
{
    pthread_mutex_lock(&tc->lock);
    samsa_err_t err = tc->stopped ? SAMSA_ERR_COORDINATOR_NOT_AVAILABLE
                                  : partition_slot(tc, p);
    bool loaded = err == SAMSA_OK && tc->parts.st[p] == SAMSA_PART_LOADED;
    if (err == SAMSA_OK) {
        tc->parts.st[p] = loaded ? SAMSA_PART_LOADED : SAMSA_PART_LOADING;
    }
    if (err == SAMSA_OK && !loaded) {
        /* The coord-follow thread loads once the local replica leads:
         * its epoch is this coordinator's. */
        tc->coord_epochs[p] =
            samsa_partition_leader_epoch(samsa_topic_partition(tc->stopic, p));
    }
    pthread_mutex_unlock(&tc->lock);
    if (err != SAMSA_OK || loaded) {
        return err;
    }
    int64_t t0 = samsa_mono_ms();
    err = samsa_txn_persist_replay_partition(tc, p);
    size_t n = 0;
    pthread_mutex_lock(&tc->lock);
    if (err == SAMSA_OK && tc->parts.st[p] == SAMSA_PART_LOADING) {
        tc->parts.st[p] = SAMSA_PART_LOADED;
        recover_locked(tc, p);
        for (txn_t *t = tc->txns; t; t = t->next) {
            n += samsa_txn_partition_for(tc, t->id) == p;
        }
    }
    pthread_mutex_unlock(&tc->lock);
    samsa_log(err == SAMSA_OK ? SAMSA_LOG_INFO : SAMSA_LOG_ERROR,
              "txn coordinator: %s-%d %s (%zu transactional ids, %lld ms)",
              SAMSA_TXN_STATE_TOPIC, (int)p,
              err == SAMSA_OK ? "loaded" : "failed to load", n,
              (long long)(samsa_mono_ms() - t0));
    return err;
}

void samsa_txn_partition_unload(samsa_txn_coordinator_t *tc, int32_t p)
{
    pthread_mutex_lock(&tc->lock);
    size_t n = 0;
    bool was = samsa_part_state(&tc->parts, p) != SAMSA_PART_NONE;
    if (was) {
        tc->parts.st[p] = SAMSA_PART_NONE;
        samsa_txn_sender_unwatch(tc, p);
        for (txn_t **tp = &tc->txns; *tp;) {
            txn_t *t = *tp;
            if (samsa_txn_partition_for(tc, t->id) == p) {
                *tp = t->next;
                txn_free(t);
                n++;
            } else {
                tp = &t->next;
            }
        }
    }
    pthread_mutex_unlock(&tc->lock);
    if (was) {
        samsa_log(SAMSA_LOG_INFO,
                  "txn coordinator: %s-%d unloaded (%zu transactional ids "
                  "moved away)",
                  SAMSA_TXN_STATE_TOPIC, (int)p, n);
    }
}

bool samsa_txn_markers_pending(samsa_txn_coordinator_t *tc)
{
    pthread_mutex_lock(&tc->lock);
    bool pending = false;
    for (txn_t *t = tc->txns; t && !pending; t = t->next) {
        pending = t->markers_queued;
    }
    pthread_mutex_unlock(&tc->lock);
    return pending;
}

bool samsa_txn_partition_loaded(samsa_txn_coordinator_t *tc, int32_t p)
{
    pthread_mutex_lock(&tc->lock);
    bool loaded = samsa_part_state(&tc->parts, p) == SAMSA_PART_LOADED;
    pthread_mutex_unlock(&tc->lock);
    return loaded;
}

/* Whether @p t's partition is loaded here (always, standalone). */
static bool settled(const samsa_txn_coordinator_t *tc, const txn_t *t)
{
    return samsa_txn_serving(tc, t->id) == SAMSA_OK;
}

void samsa_txn_coordinator_tick(samsa_txn_coordinator_t *tc)
{
    pthread_mutex_lock(&tc->lock);
    int64_t now = samsa_wall_ms();
    for (txn_t *t = tc->txns; t && !tc->stopped; t = t->next) {
        if (!settled(tc, t)) {
            continue; /* its partition is still loading */
        }
        if (t->state == TXN_PREPARE_COMMIT || t->state == TXN_PREPARE_ABORT) {
            (void)complete(tc, t);
        } else if (t->state == TXN_ONGOING && t->start_ms >= 0 &&
                   now - t->start_ms > t->timeout_ms) {
            samsa_log(SAMSA_LOG_INFO,
                      "txn: transaction %s (producer %lld) timed out "
                      "after %d ms: aborting",
                      t->id, (long long)t->pid, (int)t->timeout_ms);
            (void)abort_fenced(tc, t);
        }
    }
    pthread_mutex_unlock(&tc->lock);
}

static void *timer_main(void *arg)
{
    samsa_txn_coordinator_t *tc = arg;
    pthread_mutex_lock(&tc->lock);
    while (!tc->stopped) {
        struct timespec ts =
            samsa_deadline(CLOCK_REALTIME, tc->opts.abort_check_interval_ms);
        int rc = pthread_cond_timedwait(&tc->cond, &tc->lock, &ts);
        if (rc == ETIMEDOUT && !tc->stopped) {
            pthread_mutex_unlock(&tc->lock);
            samsa_txn_coordinator_tick(tc);
            pthread_mutex_lock(&tc->lock);
        }
    }
    pthread_mutex_unlock(&tc->lock);
    return NULL;
}

samsa_err_t samsa_txn_coordinator_start(const samsa_txn_options_t *opts,
                                        samsa_txn_coordinator_t **out,
                                        char *errbuf, size_t errlen)
{
    if (!opts->logmgr) {
        snprintf(errbuf, errlen,
                 "the transaction coordinator needs a log "
                 "manager");
        return SAMSA_ERR_INVAL;
    }
    samsa_txn_coordinator_t *tc = calloc(1, sizeof(*tc));
    if (!tc) {
        return SAMSA_ERR_NOMEM;
    }
    tc->opts = *opts;
    if (tc->opts.state_topic_partitions <= 0) {
        tc->opts.state_topic_partitions = 1;
    }
    pthread_mutex_init(&tc->lock, NULL);
    pthread_mutex_init(&tc->wake_lock, NULL);
    pthread_cond_init(&tc->cond, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&tc->sender_cond, &ca);
    pthread_condattr_destroy(&ca);
    samsa_err_t err = samsa_txn_sender_start(tc);
    if (err == SAMSA_OK && !tc->opts.follow_leadership) {
        err = samsa_txn_persist_init(tc, errbuf, errlen);
    }
    if (err == SAMSA_OK && !tc->opts.follow_leadership) {
        err = samsa_txn_persist_replay(tc, errbuf, errlen);
    }
    if (err != SAMSA_OK) {
        samsa_txn_coordinator_destroy(tc);
        return err;
    }
    pthread_mutex_lock(&tc->lock);
    recover_locked(tc, -1);
    pthread_mutex_unlock(&tc->lock);
    if (tc->opts.abort_check_interval_ms > 0) {
        if (pthread_create(&tc->timer, NULL, timer_main, tc) != 0) {
            samsa_txn_coordinator_destroy(tc);
            return SAMSA_ERR_NOMEM;
        }
        tc->timer_started = true;
    }
    *out = tc;
    return SAMSA_OK;
}

void samsa_txn_coordinator_stop(samsa_txn_coordinator_t *tc)
{
    pthread_mutex_lock(&tc->lock);
    tc->stopped = true;
    pthread_cond_broadcast(&tc->cond);
    samsa_txn_sender_wake(tc);
    pthread_mutex_unlock(&tc->lock);
    samsa_txn_sender_stop(tc);
    samsa_txn_sender_unwatch(tc, -1);
    if (tc->timer_started) {
        pthread_join(tc->timer, NULL);
        tc->timer_started = false;
    }
}

void samsa_txn_coordinator_destroy(samsa_txn_coordinator_t *tc)
{
    if (!tc) {
        return;
    }
    samsa_txn_coordinator_stop(tc);
    while (tc->txns) {
        txn_t *t = tc->txns;
        tc->txns = t->next;
        txn_free(t);
    }
    if (tc->stopic) {
        samsa_topic_put(tc->stopic);
    }
    samsa_part_states_free(&tc->parts);
    free(tc->coord_epochs);
    free(tc->hw_waiters);
    free(tc->hw_parts);
    pthread_cond_destroy(&tc->sender_cond);
    pthread_cond_destroy(&tc->cond);
    pthread_mutex_destroy(&tc->wake_lock);
    pthread_mutex_destroy(&tc->lock);
    free(tc);
}

/* ---------------------------------------------------------------------- */
/* Requests                                                               */
/* ---------------------------------------------------------------------- */

static samsa_err_t new_producer_id(samsa_txn_coordinator_t *tc, int64_t *pid)
{
    if (tc->opts.new_producer_id) {
        return tc->opts.new_producer_id(tc->opts.new_producer_id_arg, pid);
    }
    return samsa_pid_alloc_next(samsa_logmgr_producer_ids(tc->opts.logmgr),
                                pid);
}

/* The producer's pair against the id's current one (Kafka's
 * TransactionCoordinator checks): another producer id is not this
 * transaction's, an older epoch is a fenced instance. */
static samsa_err_t check_producer(const txn_t *t, int64_t pid, int16_t epoch)
{
    if (!t || t->state == TXN_DEAD || t->pid != pid) {
        return SAMSA_ERR_INVALID_PRODUCER_ID_MAPPING;
    }
    if (epoch != t->epoch) {
        return SAMSA_ERR_PRODUCER_FENCED;
    }
    return SAMSA_OK;
}

static samsa_err_t init_locked(samsa_txn_coordinator_t *tc, const char *txn_id,
                               int32_t timeout_ms, int64_t pid, int16_t epoch,
                               int64_t *out_pid, int16_t *out_epoch)
{
    txn_t *t = samsa_txn_find(tc, txn_id);
    if (t && t->state != TXN_DEAD && pid >= 0 &&
        (pid != t->pid || epoch != t->epoch)) {
        /* KIP-360: only the current instance may ask for a bump. */
        return SAMSA_ERR_PRODUCER_FENCED;
    }
    if (!t && !(t = samsa_txn_add(tc, txn_id))) {
        return SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (t->state == TXN_ONGOING) {
        /* A new instance: the old one's transaction is aborted. */
        samsa_err_t err = abort_fenced(tc, t);
        if (err != SAMSA_OK) {
            return err;
        }
    }
    if (t->state == TXN_PREPARE_COMMIT || t->state == TXN_PREPARE_ABORT) {
        return SAMSA_ERR_CONCURRENT_TRANSACTIONS; /* markers retried */
    }
    int64_t old_pid = t->pid;
    int16_t old_epoch = t->epoch;
    if (t->pid < 0 || t->state == TXN_DEAD || t->epoch + 1 >= EPOCH_EXHAUSTED) {
        samsa_err_t err = new_producer_id(tc, &t->pid);
        if (err != SAMSA_OK) {
            return err;
        }
        t->epoch = 0;
    } else {
        t->epoch++;
    }
    txn_state_t old_state = t->state;
    t->timeout_ms = timeout_ms;
    t->state = TXN_EMPTY;
    t->start_ms = -1;
    t->update_ms = samsa_wall_ms();
    if (samsa_txn_persist(tc, t) != SAMSA_OK) {
        t->pid = old_pid;
        t->epoch = old_epoch;
        t->state = old_state;
        return SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    *out_pid = t->pid;
    *out_epoch = t->epoch;
    return SAMSA_OK;
}

samsa_err_t samsa_txn_init_producer(samsa_txn_coordinator_t *tc,
                                    const char *txn_id, int32_t timeout_ms,
                                    int64_t pid, int16_t epoch,
                                    int64_t *out_pid, int16_t *out_epoch)
{
    if (!txn_id || !txn_id[0]) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    if (timeout_ms <= 0 || timeout_ms > tc->opts.max_timeout_ms) {
        return SAMSA_ERR_INVALID_TRANSACTION_TIMEOUT;
    }
    if ((pid == -1) != (epoch == -1)) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    pthread_mutex_lock(&tc->lock);
    samsa_err_t err = samsa_txn_serving(tc, txn_id);
    if (err == SAMSA_OK) {
        err =
            init_locked(tc, txn_id, timeout_ms, pid, epoch, out_pid, out_epoch);
    }
    pthread_mutex_unlock(&tc->lock);
    return err;
}

/* The transaction may take more partitions or offsets: Kafka's
 * "ongoing, or ready to start one". */
static samsa_err_t check_open(const txn_t *t)
{
    switch (t->state) {
    case TXN_EMPTY:
    case TXN_ONGOING:
    case TXN_COMPLETE_COMMIT:
    case TXN_COMPLETE_ABORT:
        return SAMSA_OK;
    case TXN_PREPARE_COMMIT:
    case TXN_PREPARE_ABORT:
        return SAMSA_ERR_CONCURRENT_TRANSACTIONS;
    default:
        return SAMSA_ERR_INVALID_TXN_STATE;
    }
}

/* Make the transaction Ongoing with these partitions added (logged). */
static samsa_err_t add_locked(samsa_txn_coordinator_t *tc, txn_t *t,
                              const char *const *topics,
                              const int32_t *partitions, size_t count)
{
    size_t before = t->ntps;
    samsa_err_t err = SAMSA_OK;
    for (size_t i = 0; err == SAMSA_OK && i < count; i++) {
        err = samsa_txn_tp_add(t, topics[i], partitions[i]);
    }
    if (err == SAMSA_OK && t->state == TXN_ONGOING && t->ntps == before) {
        return SAMSA_OK; /* nothing new to log */
    }
    txn_state_t old_state = t->state;
    int64_t old_start = t->start_ms;
    if (err == SAMSA_OK) {
        if (t->state != TXN_ONGOING) {
            t->start_ms = samsa_wall_ms();
        }
        t->state = TXN_ONGOING;
        t->update_ms = samsa_wall_ms();
        err = samsa_txn_persist(tc, t) == SAMSA_OK
                  ? SAMSA_OK
                  : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (err != SAMSA_OK) {
        while (t->ntps > before) {
            free(t->tps[--t->ntps].topic);
        }
        t->state = old_state;
        t->start_ms = old_start;
    }
    return err;
}

static samsa_err_t add_partitions_locked(samsa_txn_coordinator_t *tc, txn_t *t,
                                         samsa_txn_tp_t *tps, size_t count,
                                         bool verify_only)
{
    if (verify_only) {
        for (size_t i = 0; i < count; i++) {
            tps[i].error = t->state == TXN_ONGOING &&
                                   tp_has(t, tps[i].topic, tps[i].partition)
                               ? SAMSA_OK
                               : SAMSA_ERR_INVALID_TXN_STATE;
        }
        return SAMSA_OK;
    }
    bool bad = false;
    for (size_t i = 0; i < count; i++) {
        samsa_topic_t *topic =
            samsa_logmgr_topic_get(tc->opts.logmgr, tps[i].topic);
        bool ok = topic && samsa_topic_partition(topic, tps[i].partition);
        if (topic) {
            samsa_topic_put(topic);
        }
        tps[i].error = ok ? SAMSA_OK : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        bad |= !ok;
    }
    if (bad) {
        for (size_t i = 0; i < count; i++) {
            if (tps[i].error == SAMSA_OK) {
                tps[i].error = SAMSA_ERR_OPERATION_NOT_ATTEMPTED;
            }
        }
        return SAMSA_OK;
    }
    const char **topics = calloc(count ? count : 1, sizeof(*topics));
    int32_t *parts = calloc(count ? count : 1, sizeof(*parts));
    samsa_err_t err =
        topics && parts ? SAMSA_OK : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    for (size_t i = 0; err == SAMSA_OK && i < count; i++) {
        topics[i] = tps[i].topic;
        parts[i] = tps[i].partition;
    }
    if (err == SAMSA_OK) {
        err = add_locked(tc, t, topics, parts, count);
    }
    free(topics);
    free(parts);
    return err;
}

samsa_err_t samsa_txn_add_partitions(samsa_txn_coordinator_t *tc,
                                     const char *txn_id, int64_t pid,
                                     int16_t epoch, samsa_txn_tp_t *tps,
                                     size_t count, bool verify_only)
{
    pthread_mutex_lock(&tc->lock);
    txn_t *t = samsa_txn_find(tc, txn_id);
    samsa_err_t err = samsa_txn_serving(tc, txn_id);
    if (err == SAMSA_OK) {
        err = check_producer(t, pid, epoch);
    }
    if (err == SAMSA_OK && !verify_only) {
        err = check_open(t);
    }
    if (err == SAMSA_OK) {
        err = add_partitions_locked(tc, t, tps, count, verify_only);
    }
    for (size_t i = 0; err != SAMSA_OK && i < count; i++) {
        tps[i].error = err;
    }
    pthread_mutex_unlock(&tc->lock);
    return err;
}

samsa_err_t samsa_txn_add_offsets(samsa_txn_coordinator_t *tc,
                                  const char *txn_id, int64_t pid,
                                  int16_t epoch, const char *group_id)
{
    if (!group_id || !group_id[0]) {
        return SAMSA_ERR_INVALID_GROUP_ID;
    }
    pthread_mutex_lock(&tc->lock);
    txn_t *t = samsa_txn_find(tc, txn_id);
    samsa_err_t err = !tc->opts.groups ? SAMSA_ERR_COORDINATOR_NOT_AVAILABLE
                                       : samsa_txn_serving(tc, txn_id);
    if (err == SAMSA_OK) {
        err = check_producer(t, pid, epoch);
    }
    if (err == SAMSA_OK) {
        err = check_open(t);
    }
    if (err == SAMSA_OK) {
        /* Kafka adds the group's __consumer_offsets partition: its marker
         * is what materialises the offsets there. */
        const char *topic = SAMSA_OFFSETS_TOPIC;
        int32_t part = samsa_group_partition_for(tc->opts.groups, group_id);
        err = add_locked(tc, t, &topic, &part, 1);
    }
    pthread_mutex_unlock(&tc->lock);
    return err;
}

samsa_err_t samsa_txn_end(samsa_txn_coordinator_t *tc, const char *txn_id,
                          int64_t pid, int16_t epoch, bool commit)
{
    pthread_mutex_lock(&tc->lock);
    txn_t *t = samsa_txn_find(tc, txn_id);
    samsa_err_t err = samsa_txn_serving(tc, txn_id);
    if (err == SAMSA_OK) {
        err = check_producer(t, pid, epoch);
    }
    if (err == SAMSA_OK) {
        switch (t->state) {
        case TXN_ONGOING:
            err = end_txn(tc, t, commit);
            break;
        case TXN_COMPLETE_COMMIT:
            /* A retry of the EndTxn that completed it is answered OK. */
            err = commit ? SAMSA_OK : SAMSA_ERR_INVALID_TXN_STATE;
            break;
        case TXN_COMPLETE_ABORT:
            err = commit ? SAMSA_ERR_INVALID_TXN_STATE : SAMSA_OK;
            break;
        case TXN_PREPARE_COMMIT:
        case TXN_PREPARE_ABORT:
            err = SAMSA_ERR_CONCURRENT_TRANSACTIONS;
            break;
        default:
            err = SAMSA_ERR_INVALID_TXN_STATE;
            break;
        }
    }
    pthread_mutex_unlock(&tc->lock);
    return err;
}

void samsa_txn_when_complete(samsa_txn_coordinator_t *tc, const char *txn_id,
                             int64_t pid, int16_t epoch, int32_t max_wait_ms,
                             samsa_txn_done_fn fn, void *arg)
{
    pthread_mutex_lock(&tc->lock);
    txn_t *t = samsa_txn_find(tc, txn_id);
    bool pending = !tc->stopped && t && t->markers_queued && t->pid == pid &&
                   t->epoch == epoch;
    /* Not pending: complete already (or one node), unless it is not here;
     * out of memory: answered without waiting, as before this existed. */
    bool completed = !pending && !tc->stopped && t && !t->markers_queued;
    txn_end_waiter_t *w = pending ? calloc(1, sizeof(*w)) : NULL;
    if (w) {
        *w = (txn_end_waiter_t){fn, arg, samsa_mono_ms() + max_wait_ms,
                                t->end_waiters};
        t->end_waiters = w;
        samsa_txn_sender_wake(tc); /* its sleep ends by the deadline */
    }
    pthread_mutex_unlock(&tc->lock);
    if (!w) {
        fn(arg, completed);
    }
}

samsa_err_t samsa_txn_verify_produce(samsa_txn_coordinator_t *tc, int64_t pid,
                                     int16_t epoch, const char *topic,
                                     int32_t partition)
{
    pthread_mutex_lock(&tc->lock);
    /* In a cluster the producer's coordinator is usually another broker,
     * which the partition leader asks instead. */
    samsa_err_t err = tc->opts.follow_leadership
                          ? SAMSA_ERR_NOT_FOUND
                          : SAMSA_ERR_INVALID_PRODUCER_ID_MAPPING;
    for (txn_t *t = tc->txns; t; t = t->next) {
        if (t->pid != pid || t->state == TXN_DEAD) {
            continue;
        }
        if (epoch != t->epoch) {
            err = SAMSA_ERR_INVALID_PRODUCER_EPOCH;
        } else {
            err = t->state == TXN_ONGOING && tp_has(t, topic, partition)
                      ? SAMSA_OK
                      : SAMSA_ERR_INVALID_TXN_STATE;
        }
        break;
    }
    pthread_mutex_unlock(&tc->lock);
    return err;
}
