/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/admin_worker.h - one thread that runs admin requests whose
 * work touches many files (CreateTopics, CreatePartitions: a directory and
 * segment files per partition), so a request creating thousands of
 * partitions never holds up a reactor and the connections on it.
 *
 * Requests are run one at a time in arrival order (the log manager
 * serializes admin changes anyway). The handler's build function runs on
 * the worker thread and fills the response from the request's arena (only
 * that request uses it meanwhile); the response is then sent from the
 * connection's reactor thread.
 */
#ifndef SAMSA_BROKER_ADMIN_WORKER_H
#define SAMSA_BROKER_ADMIN_WORKER_H

#include "broker/request.h"

typedef struct samsa_admin_worker samsa_admin_worker_t;

/* Builds the response of @p req (a samsa_<Api>Response_t in its arena).
 * Runs on the worker thread; may block on disk work. */
typedef void *(*samsa_admin_build_fn)(samsa_req_t *req);

/* @p name: the thread's name (at most 15 characters; top, /proc). */
samsa_err_t samsa_admin_worker_start(samsa_admin_worker_t **out,
                                     const char *name);
/* Run what is queued and stop the thread; later requests are run inline
 * on their reactor. Main thread, while the reactors still run (queued
 * answers are posted to them); idempotent. */
void samsa_admin_worker_stop(samsa_admin_worker_t *w);
/* Free (stopping first). Main thread, after the server is destroyed. */
void samsa_admin_worker_free(samsa_admin_worker_t *w);

/* Reactor thread (the handler): queue @p req; its response is sent later
 * on this connection's reactor. Without a worker or a connection
 * (samsa_broker_call), or out of memory, the request is built and answered
 * right away. */
void samsa_admin_run(samsa_admin_worker_t *w, samsa_req_t *req,
                     samsa_admin_build_fn build);

/* The general form, for work that is not a whole response: @p work runs
 * on the worker thread, then @p done on the request's reactor, both with
 * @p arg; done answers the request. Jobs keep their queue order, from
 * work to done. Without a worker, a connection or memory, or once the
 * worker stopped, both run right here. Produce uses it, on a worker of
 * its own, to check compressed records off the reactor. */
typedef void (*samsa_worker_fn)(samsa_req_t *req, void *arg);
void samsa_admin_run_then(samsa_admin_worker_t *w, samsa_req_t *req,
                          samsa_worker_fn work, samsa_worker_fn done,
                          void *arg);

#endif /* SAMSA_BROKER_ADMIN_WORKER_H */
