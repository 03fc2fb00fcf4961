/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/settle.c - see settle.h. */
#include "broker/settle.h"

#include <stdlib.h>

#include "broker/cluster.h"
#include "broker/parked.h"
#include "loop/reactor.h"
#include "net/server.h"
#include "util/clock.h"

/* How often the handler runs again: a one-voter commit takes about 1 ms. */
#define SETTLE_STEP_MS 5

typedef struct settle {
    samsa_parked_t parked; /* first: cancel() gets it back */
    samsa_req_t *req;
    samsa_reactor_t *reactor;
    samsa_timer_id_t timer;
} settle_t;

static void again(samsa_reactor_t *r, void *arg)
{
    settle_t *s = arg;
    samsa_req_t *req = s->req;
    (void)r;
    samsa_parked_remove(&s->parked);
    free(s);
    /* As the dispatcher runs it, but from the timer: the answer, now or
     * later, is the handler's. */
    req->responded = NULL;
    samsa_broker_api(req->api_key)->handler(req);
}

static void cancel(samsa_parked_t *p)
{
    settle_t *s = (settle_t *)p;
    samsa_reactor_timer_cancel(s->reactor, s->timer);
    samsa_req_respond_none(s->req);
    free(s);
}

bool samsa_req_settle(samsa_req_t *req)
{
    if (!req->conn || samsa_mono_ms() - req->received_ms >= SAMSA_SETTLE_MS) {
        return false;
    }
    settle_t *s = calloc(1, sizeof(*s));
    if (!s) {
        return false;
    }
    s->req = req;
    s->reactor = samsa_conn_reactor(req->conn);
    s->parked.cancel = cancel;
    samsa_parked_add(req->conn, &s->parked);
    s->timer = samsa_reactor_timer_add(s->reactor, SETTLE_STEP_MS, 0, again, s);
    if (s->timer == 0) {
        samsa_parked_remove(&s->parked);
        free(s);
        return false;
    }
    return true;
}

bool samsa_req_settle_coordinator(samsa_req_t *req, bool txn, samsa_str_t key)
{
    return key.len > 0 && req->broker->meta &&
           samsa_cluster_coordinator_settling(req->broker, txn,
                                              samsa_req_cstr(req, key)) &&
           samsa_req_settle(req);
}

bool samsa_req_settle_partition(samsa_req_t *req, const char *topic,
                                int32_t partition)
{
    return req->broker->meta &&
           samsa_cluster_leader_check(req->broker, topic, partition) ==
               SAMSA_ERR_LEADER_NOT_AVAILABLE &&
           samsa_cluster_leader_settling(req->broker, topic, partition) &&
           samsa_req_settle(req);
}
