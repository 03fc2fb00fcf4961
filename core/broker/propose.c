/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/propose.c - samsa_cluster_propose (cluster.h): a request
 * parked until its metadata records are committed. */
#include <stdatomic.h>
#include <stdlib.h>

#include "broker/cluster.h"
#include "broker/parked.h"
#include "loop/reactor.h"

typedef struct propose_ctx {
    samsa_parked_t parked; /* first: cancel() gets it back */
    samsa_req_t *req;      /* NULL once answered or cancelled */
    samsa_reactor_t *reactor;
    void *resp;
    samsa_cluster_finish_fn finish;
    _Atomic int pending;
    _Atomic int refs; /* the parked request + one per pending proposal */
    int n;
    samsa_err_t *outcomes;
} propose_ctx_t;

typedef struct one {
    propose_ctx_t *ctx;
    int index;
} one_t;

static void ctx_unref(propose_ctx_t *ctx)
{
    if (atomic_fetch_sub(&ctx->refs, 1) == 1) {
        free(ctx->outcomes);
        free(ctx);
    }
}

/* On the reactor, once every proposal completed. */
static void finish(void *arg)
{
    propose_ctx_t *ctx = arg;
    if (ctx->req) {
        samsa_parked_remove(&ctx->parked);
        samsa_req_t *req = ctx->req;
        ctx->req = NULL;
        ctx->finish(req, ctx->resp, ctx->outcomes);
        ctx_unref(ctx); /* the parked request's reference */
    }
    ctx_unref(ctx); /* the proposals' */
}

static void cancel(samsa_parked_t *p)
{
    propose_ctx_t *ctx = (propose_ctx_t *)p;
    samsa_req_t *req = ctx->req;
    ctx->req = NULL;
    samsa_req_respond_none(req);
    ctx_unref(ctx);
}

/* On the quorum thread. */
static void on_done(void *arg, samsa_err_t err)
{
    one_t *o = arg;
    propose_ctx_t *ctx = o->ctx;
    ctx->outcomes[o->index] = err;
    free(o);
    /* The proposals hold one reference together: only the last one to
     * complete lets go of it (it used to be dropped by every one, so a
     * request of several records freed the context under the others). */
    if (atomic_fetch_sub(&ctx->pending, 1) != 1) {
        return;
    }
    /* The last one hands over to the reactor; the reference goes with the
     * post (if the reactor is gone, the connection's close cancels the
     * request). */
    if (samsa_reactor_post(ctx->reactor, finish, ctx) == SAMSA_OK) {
        return;
    }
    ctx_unref(ctx);
}

void samsa_cluster_propose(samsa_req_t *req, samsa_meta_rec_t *recs, int n,
                           void *resp, samsa_cluster_finish_fn fin)
{
    propose_ctx_t *ctx = calloc(1, sizeof(*ctx));
    samsa_err_t *outcomes = calloc((size_t)(n > 0 ? n : 1), sizeof(*outcomes));
    if (!ctx || !outcomes || n == 0) {
        for (int i = 0; i < n; i++) {
            free(recs[i].p);
            if (outcomes) {
                outcomes[i] = SAMSA_ERR_NOMEM;
            }
        }
        free(ctx);
        fin(req, resp, outcomes);
        free(outcomes);
        return;
    }
    ctx->req = req;
    ctx->reactor = samsa_reactor_current();
    ctx->resp = resp;
    ctx->finish = fin;
    ctx->n = n;
    ctx->outcomes = outcomes;
    atomic_init(&ctx->pending, n);
    atomic_init(&ctx->refs, 2); /* parked + the proposals, as one */
    ctx->parked.cancel = cancel;
    samsa_parked_add(req->conn, &ctx->parked);
    for (int i = 0; i < n; i++) {
        one_t *o = malloc(sizeof(*o));
        if (!o) {
            free(recs[i].p);
            ctx->outcomes[i] = SAMSA_ERR_NOMEM;
            if (atomic_fetch_sub(&ctx->pending, 1) == 1 &&
                samsa_reactor_post(ctx->reactor, finish, ctx) != SAMSA_OK) {
                ctx_unref(ctx);
            }
            continue;
        }
        o->ctx = ctx;
        o->index = i;
        samsa_meta_propose(req->broker->meta, recs[i], on_done, o);
    }
}
