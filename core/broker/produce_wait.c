/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/produce_wait.c - see produce_wait.h. */
#include "broker/produce_wait.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "broker/parked.h"
#include "loop/reactor.h"
#include "util/log.h"

typedef struct wait_entry {
    samsa_flush_waiter_t waiter; /* first: done() gets it back */
    samsa_produce_wait_t *wait;
    samsa_topic_t *topic; /* referenced: keeps the partition open */
    samsa_partition_t *part;
    int64_t ticket;
    int16_t *error_code; /* in the response, in the request's arena */
    samsa_err_t err;     /* the flush's result (flusher thread) */
} wait_entry_t;

struct samsa_produce_wait {
    samsa_parked_t parked; /* first: cancel() gets it back */
    samsa_req_t *req;      /* NULL once answered or cancelled */
    const void *response;
    samsa_reactor_t *reactor;
    _Atomic int refs; /* one per registered waiter, one for the handler */
    wait_entry_t *entries;
    size_t count, cap;
};

void samsa_produce_wait_add(samsa_produce_wait_t **wait, samsa_topic_t *topic,
                            samsa_partition_t *part, int64_t ticket,
                            int16_t *error_code)
{
    if (ticket < 0) {
        return;
    }
    samsa_produce_wait_t *w = *wait;
    if (!w) {
        w = calloc(1, sizeof(*w));
        if (!w) {
            samsa_log(SAMSA_LOG_WARN, "out of memory: a produce is "
                                      "acknowledged before its flush");
            return;
        }
        *wait = w;
    }
    if (w->count == w->cap) {
        size_t ncap = w->cap ? w->cap * 2 : 4;
        wait_entry_t *n = realloc(w->entries, ncap * sizeof(*n));
        if (!n) {
            samsa_log(SAMSA_LOG_WARN, "out of memory: a produce is "
                                      "acknowledged before its flush");
            return;
        }
        w->entries = n;
        w->cap = ncap;
    }
    samsa_topic_hold(topic);
    w->entries[w->count++] = (wait_entry_t){.topic = topic,
                                            .part = part,
                                            .ticket = ticket,
                                            .error_code = error_code};
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
        *e->error_code = SAMSA_ERR_KAFKA_STORAGE_ERROR;
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
        e->waiter.done = on_flush_done;
        atomic_fetch_add(&w->refs, 1);
        if (!samsa_partition_flush_wait(e->part, e->ticket, &e->waiter)) {
            atomic_fetch_sub(&w->refs, 1); /* already flushed */
        }
    }
    wait_unref(w);
}
