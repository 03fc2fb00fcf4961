/* SPDX-License-Identifier: Apache-2.0 */
/* core/log/flusher.c - see flusher.h. */
#include "log/flusher.h"
#include "log/partition_int.h"

#include <stdlib.h>
#include <time.h>

#include "util/err.h"
#include "util/log.h"
#include "util/clock.h"

#define SCAN_INTERVAL_MS 50 /* how often flush.ms is checked */

struct samsa_flusher {
    samsa_logmgr_t *mgr;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    samsa_partition_t **queue; /* each holds a reference to its topic */
    size_t count, cap;
    bool stopping;
    _Atomic int64_t flushes;
};

/* Hand the acknowledgements the flush covered (all of them when it
 * failed: their data's fate is the flush's) to their owners. */
static void settle_waiters(samsa_partition_t *part, int64_t through,
                           samsa_err_t err)
{
    samsa_flush_waiter_t *done = NULL;
    pthread_mutex_lock(&part->flush_lock);
    if (err == SAMSA_OK && through > part->flushed_through) {
        part->flushed_through = through;
    }
    samsa_flush_waiter_t **pp = &part->flush_waiters;
    while (*pp) {
        samsa_flush_waiter_t *w = *pp;
        if (w->ticket <= through) {
            *pp = w->next;
            w->next = done;
            done = w;
        } else {
            pp = &w->next;
        }
    }
    pthread_mutex_unlock(&part->flush_lock);
    while (done) {
        samsa_flush_waiter_t *w = done;
        done = w->next;
        w->done(w, err);
    }
}

static void flush_partition(samsa_flusher_t *f, samsa_partition_t *part)
{
    /* Count from zero before the fsync: appends racing with it belong to
     * the next flush. Only appends that returned before this point are
     * covered: the engine publishes its log end after the append. (Not
     * the high watermark: a replicated partition's lags the log end, and
     * acknowledgements waiting for a flush would wait for the next one.) */
    atomic_store(&part->unflushed, 0);
    atomic_store(&part->last_flush_ms, samsa_mono_ms());
    int64_t through = samsa_partition_leo(part);
    samsa_err_t err = part->ops->flush(part->log);
    atomic_fetch_add(&f->flushes, 1);
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_ERROR, "flush of %s-%d failed: %s",
                  part->topic->name, part->index, samsa_err_name(err));
    }
    settle_waiters(part, through, err);
}

bool samsa_partition_flush_wait(samsa_partition_t *part, int64_t ticket,
                                samsa_flush_waiter_t *w)
{
    pthread_mutex_lock(&part->flush_lock);
    bool wait = part->flushed_through < ticket;
    if (wait) {
        w->ticket = ticket;
        w->next = part->flush_waiters;
        part->flush_waiters = w;
    }
    pthread_mutex_unlock(&part->flush_lock);
    return wait;
}

bool samsa_flusher_note_append(samsa_flusher_t *f, samsa_partition_t *part,
                               int64_t messages)
{
    int64_t pending = atomic_fetch_add(&part->unflushed, messages) + messages;
    int64_t every = atomic_load(&part->flush_messages);
    if (every <= 0 || pending < every) {
        return false;
    }
    if (atomic_exchange(&part->flush_queued, true)) {
        return true; /* queued, not started: that flush covers this append */
    }
    pthread_mutex_lock(&f->lock);
    if (f->count == f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : 16;
        samsa_partition_t **n = realloc(f->queue, ncap * sizeof(*n));
        if (!n) {
            /* The time-based scan or the next append will try again; this
             * acknowledgement does not wait on a flush never queued. */
            atomic_store(&part->flush_queued, false);
            pthread_mutex_unlock(&f->lock);
            return false;
        }
        f->queue = n;
        f->cap = ncap;
    }
    samsa_topic_hold(part->topic);
    f->queue[f->count++] = part;
    pthread_cond_signal(&f->cond);
    pthread_mutex_unlock(&f->lock);
    return true;
}

/* Partitions whose unflushed data is older than their flush.ms. */
static void scan_by_time(samsa_flusher_t *f)
{
    samsa_topic_t **topics;
    size_t count;
    if (samsa_logmgr_list(f->mgr, &topics, &count) != SAMSA_OK) {
        return;
    }
    int64_t now = samsa_mono_ms();
    for (size_t i = 0; i < count; i++) {
        for (int32_t p = 0; p < topics[i]->partition_count; p++) {
            samsa_partition_t *part = topics[i]->partitions[p];
            int64_t every_ms = atomic_load(&part->flush_ms);
            if (every_ms >= 0 && atomic_load(&part->unflushed) > 0 &&
                now - atomic_load(&part->last_flush_ms) >= every_ms) {
                flush_partition(f, part);
            }
        }
    }
    samsa_logmgr_list_free(topics, count);
}

static void *flusher_main(void *arg)
{
    samsa_flusher_t *f = arg;
    int64_t last_scan = samsa_mono_ms();
    pthread_mutex_lock(&f->lock);
    for (;;) {
        while (f->count > 0) {
            samsa_partition_t *part = f->queue[--f->count];
            pthread_mutex_unlock(&f->lock);
            atomic_store(&part->flush_queued, false);
            flush_partition(f, part);
            samsa_topic_put(part->topic);
            pthread_mutex_lock(&f->lock);
        }
        if (f->stopping) {
            break;
        }
        struct timespec ts = samsa_deadline(CLOCK_REALTIME, SCAN_INTERVAL_MS);
        pthread_cond_timedwait(&f->cond, &f->lock, &ts);
        if (samsa_mono_ms() - last_scan >= SCAN_INTERVAL_MS) {
            pthread_mutex_unlock(&f->lock);
            scan_by_time(f);
            last_scan = samsa_mono_ms();
            pthread_mutex_lock(&f->lock);
        }
    }
    pthread_mutex_unlock(&f->lock);
    return NULL;
}

samsa_err_t samsa_flusher_start(samsa_logmgr_t *mgr, samsa_flusher_t **out)
{
    samsa_flusher_t *f = calloc(1, sizeof(*f));
    if (!f) {
        return SAMSA_ERR_NOMEM;
    }
    f->mgr = mgr;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    if (pthread_create(&f->thread, NULL, flusher_main, f) != 0) {
        pthread_mutex_destroy(&f->lock);
        pthread_cond_destroy(&f->cond);
        free(f);
        return SAMSA_ERR_NOMEM;
    }
    *out = f;
    return SAMSA_OK;
}

void samsa_flusher_stop(samsa_flusher_t *f)
{
    if (!f) {
        return;
    }
    pthread_mutex_lock(&f->lock);
    f->stopping = true;
    pthread_cond_signal(&f->cond);
    pthread_mutex_unlock(&f->lock);
    pthread_join(f->thread, NULL);
    free(f->queue);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->cond);
    free(f);
}

int64_t samsa_flusher_count(samsa_flusher_t *f)
{
    return atomic_load(&f->flushes);
}
