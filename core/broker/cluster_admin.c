/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/cluster_admin.c - admin changes through the controller, for
 * handlers on the admin worker (cluster.h): propose records and wait for
 * their commit, or (on a node that is not the controller) send the
 * client's request unchanged to the controller, in an Envelope naming the
 * client (envelope.h), and answer with its response, as Kafka's brokers
 * forward admin requests.
 */
#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/interbroker.h"
#include "broker/admin_worker.h"
#include "broker/cluster.h"
#include "broker/envelope.h"
#include "broker/settle.h"
#include "client/client.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/log_limit.h"

#define ADMIN_WAIT_MS 10000
#define FORWARDER_ID  "samsa-broker"

typedef struct admin_wait {
    sem_t done;
    _Atomic int pending;
    _Atomic int refs; /* the waiter + one per proposal */
    samsa_err_t *outcomes;
} admin_wait_t;

typedef struct one {
    admin_wait_t *w;
    size_t index;
} one_t;

static void wait_unref(admin_wait_t *w)
{
    if (atomic_fetch_sub(&w->refs, 1) == 1) {
        sem_destroy(&w->done);
        free(w->outcomes);
        free(w);
    }
}

/* On the quorum thread (or here when a proposal could not be made). */
static void one_done(void *arg, samsa_err_t err)
{
    one_t *o = arg;
    admin_wait_t *w = o->w;
    w->outcomes[o->index] = err;
    free(o);
    if (atomic_fetch_sub(&w->pending, 1) == 1) {
        sem_post(&w->done);
    }
    wait_unref(w);
}

samsa_err_t samsa_cluster_propose_wait(samsa_broker_t *b,
                                       samsa_meta_rec_t *recs, size_t n,
                                       samsa_err_t *outcomes)
{
    admin_wait_t *w = calloc(1, sizeof(*w));
    samsa_err_t *own = calloc(n + 1, sizeof(*own));
    if (!w || !own) {
        free(w);
        free(own);
        for (size_t i = 0; i < n; i++) {
            free(recs[i].p);
            outcomes[i] = SAMSA_ERR_NOMEM;
        }
        return SAMSA_ERR_NOMEM;
    }
    sem_init(&w->done, 0, 0);
    w->outcomes = own;
    atomic_init(&w->pending, (int)n + 1);
    atomic_init(&w->refs, (int)n + 2);
    for (size_t i = 0; i <= n; i++) {
        one_t *o = malloc(sizeof(*o));
        if (!o) {
            free(i < n ? recs[i].p : NULL);
            own[i] = SAMSA_ERR_NOMEM;
            if (atomic_fetch_sub(&w->pending, 1) == 1) {
                sem_post(&w->done);
            }
            wait_unref(w);
            continue;
        }
        *o = (one_t){w, i};
        if (i < n) {
            samsa_meta_propose(b->meta, recs[i], one_done, o);
        } else {
            one_done(o, SAMSA_OK); /* the extra count: all proposed */
        }
    }
    struct timespec until = samsa_deadline(CLOCK_REALTIME, ADMIN_WAIT_MS);
    int rc;
    while ((rc = sem_timedwait(&w->done, &until)) != 0 && errno == EINTR) {
    }
    samsa_err_t err = rc == 0 ? SAMSA_OK : SAMSA_ERR_REQUEST_TIMED_OUT;
    for (size_t i = 0; i < n; i++) {
        outcomes[i] = rc == 0 ? own[i] : SAMSA_ERR_REQUEST_TIMED_OUT;
        if (err == SAMSA_OK && outcomes[i] == SAMSA_ERR_NOT_CONTROLLER) {
            err = SAMSA_ERR_NOT_CONTROLLER;
        }
    }
    wait_unref(w);
    if (rc == 0) {
        /* Committed: answer once this node applied it too (its broker
         * configs, credentials, ACLs), so the client reads its write
         * back here, as from a single node. */
        samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
        uint64_t index = img ? img->index : 0;
        samsa_meta_image_put(img);
        samsa_cluster_applied_reach(b, index,
                                    samsa_mono_ms() + SAMSA_SETTLE_MS);
    }
    return err;
}

/* @p req came from a node forwarding it (never forwarded twice: two
 * nodes that each think the other leads would loop). */
static bool forwarded(const samsa_req_t *req)
{
    const char *me = FORWARDER_ID;
    return req->envelope || (req->client_id.len == (int32_t)strlen(me) &&
                             memcmp(req->client_id.ptr, me, strlen(me)) == 0);
}

/* A misconfigured forwarder would log one line per client request. */
static samsa_log_limit_t envelope_refused_log = SAMSA_LOG_LIMIT_INIT(10, 60000);

bool samsa_cluster_forward(samsa_req_t *req, void **resp, samsa_err_t *err)
{
    samsa_broker_t *b = req->broker;
    *resp = NULL;
    *err = SAMSA_OK;
    if (!b->meta) {
        return false;
    }
    int32_t ctrl_id = samsa_meta_controller(b->meta);
    if (ctrl_id == b->node_id) {
        return false;
    }
    if (ctrl_id < 0 || forwarded(req)) {
        *err = SAMSA_ERR_NOT_CONTROLLER;
        return true;
    }
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    const samsa_meta_broker_t *ctrl = samsa_meta_controller_node(img, ctrl_id);
    char bootstrap[300] = "";
    if (ctrl) {
        snprintf(bootstrap, sizeof(bootstrap),
                 strchr(ctrl->host, ':') ? "[%s]:%d" : "%s:%d", ctrl->host,
                 ctrl->port);
    }
    samsa_meta_image_put(img);
    if (!bootstrap[0]) {
        *err = SAMSA_ERR_NOT_CONTROLLER;
        return true;
    }
    samsa_client_conf_t conf = {.bootstrap = bootstrap,
                                .client_id = FORWARDER_ID,
                                .timeout_ms = ADMIN_WAIT_MS};
    samsa_interbroker_client_conf(b->cfg, b->client_tls, &conf);
    samsa_client_t *c = NULL;
    if (samsa_client_new(&conf, &c) != SAMSA_OK) {
        *err = SAMSA_ERR_NOMEM;
        return true;
    }
    /* In an Envelope naming the client, which the controller authorizes
     * (KIP-590); to a controller without Envelope, the request itself
     * (authorized here already), at the client's version: fields differ
     * between versions. */
    samsa_err_t refused = SAMSA_OK;
    samsa_err_t rc = samsa_envelope_forward(c, req, resp, &refused);
    if (rc == SAMSA_ERR_UNSUPPORTED_VERSION) {
        rc = samsa_client_call_at(c, SAMSA_NODE_ANY, req->api_key,
                                  req->api_version, req->body, &req->arena,
                                  resp, NULL);
    }
    if (rc == SAMSA_OK && refused != SAMSA_OK) {
        /* The controller's answer for the client; NOT_CONTROLLER makes it
         * retry, CLUSTER_AUTHORIZATION_FAILED means this broker lacks
         * ClusterAction. */
        if (refused != SAMSA_ERR_NOT_CONTROLLER) {
            samsa_log_limited(&envelope_refused_log, SAMSA_LOG_WARN,
                              "cluster: controller %d refused the Envelope "
                              "of API %d: %s",
                              ctrl_id, req->api_key, samsa_err_str(refused));
        }
        *resp = NULL;
        *err = refused;
    } else if (rc != SAMSA_OK) {
        samsa_log(SAMSA_LOG_WARN,
                  "cluster: forwarding API %d to controller %d: %s",
                  req->api_key, ctrl_id, samsa_client_errmsg(c));
        *resp = NULL;
        *err = SAMSA_ERR_NOT_CONTROLLER; /* retriable for the client */
    }
    samsa_client_free(c);
    return true;
}

typedef struct forward_job {
    void (*here)(samsa_req_t *req);
    void *resp;
} forward_job_t;

/* On the admin worker. */
static void forward_work(samsa_req_t *req, void *arg)
{
    forward_job_t *job = arg;
    samsa_err_t err = SAMSA_OK;
    samsa_cluster_forward(req, &job->resp, &err);
}

/* On the request's reactor. */
static void forward_done(samsa_req_t *req, void *arg)
{
    forward_job_t *job = arg;
    if (job->resp) {
        samsa_req_respond(req, job->resp);
    } else {
        job->here(req);
    }
}

bool samsa_cluster_forward_async(samsa_req_t *req,
                                 void (*here)(samsa_req_t *req))
{
    samsa_broker_t *b = req->broker;
    if (!b->meta) {
        return false;
    }
    int32_t ctrl = samsa_meta_controller(b->meta);
    if (ctrl < 0 || ctrl == b->node_id || forwarded(req)) {
        return false;
    }
    forward_job_t *job = samsa_req_alloc(req, sizeof(*job));
    job->here = here;
    job->resp = NULL;
    samsa_admin_run_then(b->admin, req, forward_work, forward_done, job);
    return true;
}
