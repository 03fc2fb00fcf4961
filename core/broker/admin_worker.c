/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/admin_worker.c - see admin_worker.h. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "broker/admin_worker.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "loop/reactor.h"
#include "util/log.h"

typedef struct admin_job {
    samsa_req_t *req;
    samsa_admin_build_fn build; /* a whole response, or: */
    samsa_worker_fn work, done; /* work here, then done on the reactor */
    void *arg;
    void *resp;
    struct admin_job *next;
} admin_job_t;

struct samsa_admin_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    admin_job_t *head, *tail;
    bool stopping;
    bool joined; /* main thread only */
};

/* Connection's reactor: send what the worker built. */
static void respond_on_reactor(void *arg)
{
    admin_job_t *job = arg;
    if (job->build) {
        samsa_req_respond(job->req, job->resp);
    } else {
        job->done(job->req, job->arg);
    }
    free(job);
}

static void *worker_main(void *arg)
{
    samsa_admin_worker_t *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping) {
            pthread_cond_wait(&w->cond, &w->mu);
        }
        admin_job_t *job = w->head;
        if (!job) {
            break; /* stopping and drained */
        }
        w->head = job->next;
        if (!w->head) {
            w->tail = NULL;
        }
        pthread_mutex_unlock(&w->mu);
        if (job->build) {
            job->resp = job->build(job->req);
        } else {
            job->work(job->req, job->arg);
        }
        samsa_reactor_t *r = samsa_conn_reactor(job->req->conn);
        if (samsa_reactor_post(r, respond_on_reactor, job) != SAMSA_OK) {
            /* The reactor is gone (shutdown): the connection goes with it
             * and the answer cannot be sent; the work itself is done. */
            samsa_log(SAMSA_LOG_WARN, "admin request finished after its "
                                      "connection's reactor stopped");
            free(job);
        }
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

samsa_err_t samsa_admin_worker_start(samsa_admin_worker_t **out,
                                     const char *name)
{
    samsa_admin_worker_t *w = calloc(1, sizeof(*w));
    if (!w) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cond);
        free(w);
        return SAMSA_ERR_NOMEM;
    }
    pthread_setname_np(w->thread, name);
    *out = w;
    return SAMSA_OK;
}

void samsa_admin_worker_stop(samsa_admin_worker_t *w)
{
    if (!w || w->joined) {
        return;
    }
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->joined = true;
}

void samsa_admin_worker_free(samsa_admin_worker_t *w)
{
    if (!w) {
        return;
    }
    samsa_admin_worker_stop(w);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cond);
    free(w);
}

/* Queue a job; false when it must run right here instead. */
static bool enqueue(samsa_admin_worker_t *w, admin_job_t *job)
{
    pthread_mutex_lock(&w->mu);
    bool queued = !w->stopping;
    if (queued) {
        if (w->tail) {
            w->tail->next = job;
        } else {
            w->head = job;
        }
        w->tail = job;
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&w->mu);
    return queued;
}

void samsa_admin_run(samsa_admin_worker_t *w, samsa_req_t *req,
                     samsa_admin_build_fn build)
{
    /* In-process requests (samsa_broker_call) have no reactor to answer
     * on: they are built right here. */
    admin_job_t *job = w && req->conn ? calloc(1, sizeof(*job)) : NULL;
    if (job) {
        job->req = req;
        job->build = build;
        if (enqueue(w, job)) {
            return;
        }
        free(job);
    }
    samsa_req_respond(req, build(req));
}

void samsa_admin_run_then(samsa_admin_worker_t *w, samsa_req_t *req,
                          samsa_worker_fn work, samsa_worker_fn done, void *arg)
{
    admin_job_t *job = w && req->conn ? calloc(1, sizeof(*job)) : NULL;
    if (job) {
        job->req = req;
        job->work = work;
        job->done = done;
        job->arg = arg;
        if (enqueue(w, job)) {
            return;
        }
        free(job);
    }
    work(req, arg);
    done(req, arg);
}
