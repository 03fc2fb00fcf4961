/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/produce_wait.c - see produce_wait.h. */
#include "broker/produce_wait.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "broker/parked.h"
#include "loop/reactor.h"
#include "replica/replica.h"
#include "util/clock.h"
#include "util/log.h"

typedef struct wait_entry {
    samsa_flush_waiter_t waiter; /* first: done() gets it back */
    samsa_produce_wait_t *wait;
    samsa_topic_t *topic; /* referenced: keeps the partition open */
    samsa_partition_t *part;
    int64_t ticket;      /* >= 0: a flush; -1: the HW (replicated) */
    int16_t *error_code; /* in the response, in the request's arena */
    samsa_err_t err;     /* the flush's result (flusher thread) */
    /* Replicated (ticket -1): the HW to reach, reactor thread only. */
    samsa_part_waiter_t hw_waiter;
    int64_t required;
    int32_t leader_epoch; /* led in when appended; -1: not led here */
    int64_t min_isr;
    bool coordinator; /* answered with a coordinator's codes (set_error) */
    _Atomic bool wake_pending;
    bool waiting; /* hw_waiter registered, not finished */
} wait_entry_t;

struct samsa_produce_wait {
    samsa_parked_t parked; /* first: cancel() gets it back */
    samsa_req_t *req;      /* NULL once answered or cancelled */
    const void *response;
    samsa_reactor_t *reactor;
    _Atomic int refs; /* one per registered waiter, one for the handler */
    wait_entry_t *entries;
    size_t count, cap;
    int32_t timeout_ms;     /* replicated entries: the Produce's TimeoutMs */
    samsa_timer_id_t timer; /* their recheck/timeout; holds a reference */
    int64_t deadline_ms;    /* monotonic: REQUEST_TIMED_OUT after it */
    size_t hw_pending;      /* replicated entries still waiting */
};

static wait_entry_t *new_entry(samsa_produce_wait_t **wait,
                               samsa_topic_t *topic, samsa_partition_t *part,
                               int64_t ticket, int16_t *error_code)
{
    samsa_produce_wait_t *w = *wait;
    if (!w) {
        w = calloc(1, sizeof(*w));
        if (!w) {
            samsa_log(SAMSA_LOG_WARN, "out of memory: a produce is "
                                      "acknowledged before its flush");
            return NULL;
        }
        *wait = w;
    }
    if (w->count == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 4;
        wait_entry_t *n = realloc(w->entries, ncap * sizeof(*n));
        if (!n) {
            samsa_log(SAMSA_LOG_WARN, "out of memory: a produce is "
                                      "acknowledged before its flush");
            return NULL;
        }
        w->entries = n;
        w->cap = ncap;
    }
    samsa_topic_hold(topic);
    w->entries[w->count] = (wait_entry_t){.topic = topic,
                                          .part = part,
                                          .ticket = ticket,
                                          .error_code = error_code};
    return &w->entries[w->count++];
}

void samsa_produce_wait_add(samsa_produce_wait_t **wait, samsa_topic_t *topic,
                            samsa_partition_t *part, int64_t ticket,
                            int16_t *error_code)
{
    if (ticket >= 0) {
        new_entry(wait, topic, part, ticket, error_code);
    }
}

static wait_entry_t *add_replicas(samsa_produce_wait_t **wait,
                                  samsa_topic_t *topic, samsa_partition_t *part,
                                  int64_t required, int32_t leader_epoch,
                                  int64_t min_isr, int32_t timeout_ms,
                                  int16_t *error_code)
{
    wait_entry_t *e = new_entry(wait, topic, part, -1, error_code);
    if (e) {
        e->required = required;
        e->leader_epoch = leader_epoch;
        e->min_isr = min_isr;
        if (timeout_ms > (*wait)->timeout_ms) {
            (*wait)->timeout_ms = timeout_ms;
        }
    }
    return e;
}

void samsa_produce_wait_replicas(samsa_produce_wait_t **wait,
                                 samsa_topic_t *topic, samsa_partition_t *part,
                                 int64_t required, int32_t leader_epoch,
                                 int64_t min_isr, int32_t timeout_ms,
                                 int16_t *error_code)
{
    add_replicas(wait, topic, part, required, leader_epoch, min_isr, timeout_ms,
                 error_code);
}

void samsa_coordinator_wait_replicas(samsa_produce_wait_t **wait,
                                     samsa_topic_t *topic,
                                     samsa_partition_t *part, int64_t required,
                                     int32_t leader_epoch, int64_t min_isr,
                                     int32_t timeout_ms, int16_t *error_code)
{
    wait_entry_t *e = add_replicas(wait, topic, part, required, leader_epoch,
                                   min_isr, timeout_ms, error_code);
    if (e) {
        e->coordinator = true;
    }
}

/* The answer @p code for entry @p e. A coordinator's write answers as
 * Kafka's coordinators map their append's error (GroupMetadataManager
 * storeGroup, TransactionStateManager appendTransactionToLog): the log
 * was not replicated in time or enough, ask again (COORDINATOR_NOT_
 * AVAILABLE); it is no longer led here, find the coordinator again
 * (NOT_COORDINATOR). Clients retry both; the produce codes they would not
 * expect from a group or transaction request. */
static void set_error(wait_entry_t *e, int16_t code)
{
    if (e->coordinator) {
        switch (code) {
        case SAMSA_ERR_REQUEST_TIMED_OUT:
        case SAMSA_ERR_NOT_ENOUGH_REPLICAS:
        case SAMSA_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
            code = SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
            break;
        case SAMSA_ERR_NOT_LEADER_OR_FOLLOWER:
        case SAMSA_ERR_KAFKA_STORAGE_ERROR:
            code = SAMSA_ERR_NOT_COORDINATOR;
            break;
        default:
            break;
        }
    }
    *e->error_code = code;
}

static void wait_free(samsa_produce_wait_t *w)
{
    for (size_t i = 0; i < w->count; i++) {
        samsa_topic_put(w->entries[i].topic);
    }
    free(w->entries);
    free(w);
}

/* Reactor thread: the last reference answers (unless cancelled) and frees. */
static void wait_unref(samsa_produce_wait_t *w)
{
    if (atomic_fetch_sub(&w->refs, 1) != 1) {
        return;
    }
    if (w->req) {
        samsa_parked_remove(&w->parked);
        samsa_req_respond(w->req, w->response);
        w->req = NULL;
    }
    wait_free(w);
}

static void on_flushed(void *arg)
{
    wait_entry_t *e = arg;
    samsa_produce_wait_t *w = e->wait;
    if (w->req && e->err != SAMSA_OK) {
        /* The data's durability is unknown: the client must not take it
         * as acknowledged (Kafka fails the log directory). */
        set_error(e, SAMSA_ERR_KAFKA_STORAGE_ERROR);
    }
    wait_unref(w);
}

/* Flusher thread (or the registering thread): hand off to the reactor. */
static void on_flush_done(samsa_flush_waiter_t *fw, samsa_err_t err)
{
    wait_entry_t *e = (wait_entry_t *)fw;
    e->err = err;
    if (!e->wait->reactor) {
        on_flushed(e); /* in-process: the sink runs on this thread */
        return;
    }
    if (samsa_reactor_post(e->wait->reactor, on_flushed, e) != SAMSA_OK) {
        /* Only while shutting down: the connection is cancelled with it. */
        atomic_fetch_sub(&e->wait->refs, 1);
    }
}

/* ---- replicated partitions: wait for the HW (reactor thread) ---- */

/* Still the leader that appended the records? A broker deposed since (or
 * leading again in a later epoch) may have truncated them away, and the
 * HW it learns as a follower says nothing about them: Kafka fails such
 * delayed produces with NOT_LEADER_OR_FOLLOWER. Not led here when
 * appended (@p e->leader_epoch -1): only a partition still not replicated
 * (RF=1, its HW follows each append) may count on its HW. */
static bool same_leadership(samsa_replica_mgr_t *rm, const wait_entry_t *e)
{
    if (e->leader_epoch < 0) {
        return !samsa_partition_is_replicated(e->part);
    }
    return samsa_replica_leader_epoch(rm, e->part) == e->leader_epoch;
}

/* Done waiting? Sets the partition's answer when it is not plain OK. The
 * leadership is checked first: the HW may pass the offset after a
 * truncation, with other records at it. */
static bool hw_reached(samsa_produce_wait_t *w, wait_entry_t *e)
{
    samsa_replica_mgr_t *rm = w->req ? w->req->broker->replica : NULL;
    int16_t code = SAMSA_OK;
    bool done = true;
    if (!same_leadership(rm, e)) {
        code = SAMSA_ERR_NOT_LEADER_OR_FOLLOWER;
    } else if (samsa_partition_hw(e->part) >= e->required) {
        int isr = samsa_replica_isr_size(rm, e->part);
        if (isr >= 0 && isr < e->min_isr) {
            code = SAMSA_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND;
        }
    } else {
        done = false;
    }
    if (done && code != SAMSA_OK && w->req) {
        set_error(e, code);
    }
    return done;
}

static void wait_unref(samsa_produce_wait_t *w);

static void hw_finish(samsa_produce_wait_t *w, wait_entry_t *e)
{
    if (!e->waiting) {
        return;
    }
    e->waiting = false;
    samsa_partition_wait_remove(e->part, &e->hw_waiter);
    if (--w->hw_pending == 0 && w->timer) {
        if (samsa_reactor_timer_cancel(w->reactor, w->timer)) {
            atomic_fetch_sub(&w->refs, 1); /* the timer's (not last) */
        }
        w->timer = 0;
    }
    wait_unref(w);
}

static void on_hw_wake(void *arg)
{
    wait_entry_t *e = arg;
    samsa_produce_wait_t *w = e->wait;
    atomic_store(&e->wake_pending, false);
    if (e->waiting && hw_reached(w, e)) {
        hw_finish(w, e);
    }
    wait_unref(w); /* the post's */
}

/* Appending thread (or set_hw's), waiter lock held: hand off. */
static void on_hw_notify(samsa_part_waiter_t *pw)
{
    wait_entry_t *e = pw->arg;
    if (atomic_exchange(&e->wake_pending, true)) {
        return;
    }
    atomic_fetch_add(&e->wait->refs, 1);
    if (samsa_reactor_post(e->wait->reactor, on_hw_wake, e) != SAMSA_OK) {
        atomic_fetch_sub(&e->wait->refs, 1);
    }
}

/* A leadership lost while nothing is appended wakes no waiter: the
 * timer looks again this often, so the answer (NOT_LEADER_OR_FOLLOWER)
 * does not wait for the request's timeout. */
#define HW_RECHECK_MS 500

static void on_hw_timer(samsa_reactor_t *r, void *arg);

/* Arm the timer for the next recheck or the deadline, whichever is first;
 * it takes over the caller's reference (dropped when it cannot be armed). */
static void hw_arm(samsa_produce_wait_t *w)
{
    int64_t left = w->deadline_ms - samsa_mono_ms();
    left = left < 0 ? 0 : left;
    w->timer = samsa_reactor_timer_add(
        w->reactor, (uint64_t)(left < HW_RECHECK_MS ? left : HW_RECHECK_MS), 0,
        on_hw_timer, w);
    if (!w->timer) {
        wait_unref(w);
    }
}

static void on_hw_timer(samsa_reactor_t *r, void *arg)
{
    (void)r;
    samsa_produce_wait_t *w = arg;
    w->timer = 0;
    bool expired = samsa_mono_ms() >= w->deadline_ms;
    atomic_fetch_add(&w->refs, 1); /* hold it across the finishes */
    for (size_t i = 0; i < w->count; i++) {
        wait_entry_t *e = &w->entries[i];
        if (!e->waiting) {
            continue;
        }
        if (hw_reached(w, e)) {
            hw_finish(w, e);
        } else if (expired) {
            if (w->req) {
                set_error(e, SAMSA_ERR_REQUEST_TIMED_OUT);
            }
            hw_finish(w, e);
        }
    }
    if (w->hw_pending > 0) {
        hw_arm(w); /* the timer's reference goes on */
    } else {
        wait_unref(w); /* the timer's */
    }
    wait_unref(w);
}

static void hw_wait_start(samsa_produce_wait_t *w, wait_entry_t *e)
{
    if (!w->reactor || hw_reached(w, e)) {
        return;
    }
    e->waiting = true;
    w->hw_pending++;
    atomic_fetch_add(&w->refs, 1);
    e->hw_waiter.notify = on_hw_notify;
    e->hw_waiter.arg = e;
    samsa_partition_wait_add(e->part, &e->hw_waiter);
    if (hw_reached(w, e)) { /* moved before the waiter was in */
        hw_finish(w, e);
    }
}

static void cancel_parked(samsa_parked_t *p)
{
    samsa_produce_wait_t *w = (samsa_produce_wait_t *)p;
    samsa_parked_remove(&w->parked);
    samsa_req_respond_none(w->req);
    w->req = NULL;
}

void samsa_produce_respond(samsa_req_t *req, const void *response,
                           samsa_produce_wait_t *w)
{
    if (!w) {
        samsa_req_respond(req, response);
        return;
    }
    w->req = req;
    w->response = response;
    if (req->conn) {
        w->reactor = samsa_conn_reactor(req->conn);
        w->parked.cancel = cancel_parked;
        samsa_parked_add(req->conn, &w->parked);
    }
    atomic_store(&w->refs, 1);
    for (size_t i = 0; i < w->count; i++) {
        wait_entry_t *e = &w->entries[i];
        e->wait = w;
        if (e->ticket < 0) {
            hw_wait_start(w, e);
            continue;
        }
        e->waiter.done = on_flush_done;
        atomic_fetch_add(&w->refs, 1);
        if (!samsa_partition_flush_wait(e->part, e->ticket, &e->waiter)) {
            atomic_fetch_sub(&w->refs, 1); /* already flushed */
        }
    }
    if (w->hw_pending > 0) {
        w->deadline_ms =
            samsa_mono_ms() + (w->timeout_ms > 0 ? w->timeout_ms : 0);
        atomic_fetch_add(&w->refs, 1); /* the timer's */
        hw_arm(w);
    }
    wait_unref(w);
}
