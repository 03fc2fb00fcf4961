/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_quorum.c - the controller's side of broker
 * membership, BrokerRegistration (62) and BrokerHeartbeat (63), and
 * AllocateProducerIds (67), and DescribeQuorum (55), answered from this node's
 * view of the metadata quorum. Standalone nodes have no quorum: NOT_CONTROLLER
 * / INVALID_REQUEST.
 */
#include <string.h>

#include <samsa/authorizer.h>

#include "broker/admin_worker.h"
#include "broker/cluster.h"
#include "broker/handlers.h"
#include "producer/pid_alloc.h"

/* The broker epoch the image gives the registration of @p incarnation, or
 * -1. */
static int64_t epoch_of(samsa_broker_t *b, int32_t id,
                        const uint8_t incarnation[16])
{
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    const samsa_meta_broker_t *mb = samsa_meta_broker(img, id);
    int64_t epoch = -1;
    if (mb && memcmp(mb->incarnation, incarnation, 16) == 0) {
        epoch = mb->epoch;
    }
    samsa_meta_image_put(img);
    return epoch;
}

static void registration_done(samsa_req_t *req, void *resp,
                              const samsa_err_t *outcomes)
{
    samsa_BrokerRegistrationRequest_t *rreq = req->body;
    samsa_BrokerRegistrationResponse_t *r = resp;
    r->ErrorCode = (int16_t)outcomes[0];
    if (outcomes[0] == SAMSA_OK) {
        r->BrokerEpoch =
            epoch_of(req->broker, rreq->BrokerId, rreq->IncarnationId.b);
    }
    samsa_req_respond(req, r);
}

void samsa_handle_broker_registration(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_BrokerRegistrationRequest_t *rreq = req->body;
    samsa_BrokerRegistrationResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_BrokerRegistrationResponse_init(resp);
    samsa_err_t err = SAMSA_OK;
    if (!b->meta || samsa_meta_controller(b->meta) != b->node_id) {
        err = SAMSA_ERR_NOT_CONTROLLER;
    } else if (!samsa_str_eq_cstr(rreq->ClusterId, b->cluster_id)) {
        err = SAMSA_ERR_INCONSISTENT_CLUSTER_ID;
    } else if (rreq->Listeners.count < 1) {
        err = SAMSA_ERR_INVALID_REQUEST;
    }
    if (err == SAMSA_OK) {
        resp->BrokerEpoch = epoch_of(b, rreq->BrokerId, rreq->IncarnationId.b);
        if (resp->BrokerEpoch >= 0) { /* a retry of a committed one */
            samsa_req_respond(req, resp);
            return;
        }
        samsa_meta_broker_t mb = {
            .id = rreq->BrokerId,
            .epoch = -1,
            .host = samsa_req_cstr(req, rreq->Listeners.items[0].Host),
            .port = rreq->Listeners.items[0].Port,
            .rack =
                rreq->Rack.len >= 0 ? samsa_req_cstr(req, rreq->Rack) : NULL,
        };
        /* Every listener after the first (the broker's address, also
         * listed again by name when the broker sends its listeners). */
        int32_t nl = rreq->Listeners.count - 1;
        mb.listeners = samsa_req_alloc(req, sizeof(*mb.listeners) *
                                                (size_t)(nl > 0 ? nl : 1));
        for (int32_t i = 0; mb.listeners && i < nl; i++) {
            const samsa_BrokerRegistrationRequest_Listener_t *l =
                &rreq->Listeners.items[i + 1];
            mb.listeners[mb.listener_count++] =
                (samsa_meta_listener_t){samsa_req_cstr(req, l->Name),
                                        samsa_req_cstr(req, l->Host), l->Port};
        }
        memcpy(mb.incarnation, rreq->IncarnationId.b, 16);
        samsa_meta_rec_t rec;
        err = samsa_mdrec_broker(&mb, &rec);
        if (err == SAMSA_OK) {
            samsa_cluster_propose(req, &rec, 1, resp, registration_done);
            return;
        }
    }
    resp->ErrorCode = (int16_t)err;
    samsa_req_respond(req, resp);
}

void samsa_handle_broker_heartbeat(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_BrokerHeartbeatRequest_t *hreq = req->body;
    samsa_BrokerHeartbeatResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_BrokerHeartbeatResponse_init(resp);
    bool fenced = true;
    samsa_err_t err = SAMSA_ERR_NOT_CONTROLLER;
    if (b->meta) {
        err = samsa_meta_heartbeat(b->meta, hreq->BrokerId, hreq->BrokerEpoch,
                                   hreq->WantShutDown, &fenced);
    }
    resp->ErrorCode = (int16_t)err;
    resp->IsFenced = fenced;
    resp->IsCaughtUp = err == SAMSA_OK;
    /* Kafka answers it once the broker leads nothing: fenced, here. The
     * broker itself waits for its own image to show it (cluster.c). */
    resp->ShouldShutDown = err == SAMSA_OK && hreq->WantShutDown && fenced;
    samsa_req_respond(req, resp);
}

static void pid_block_done(samsa_req_t *req, void *resp,
                           const samsa_err_t *outcomes)
{
    samsa_AllocateProducerIdsResponse_t *r = resp;
    r->ErrorCode = (int16_t)outcomes[0];
    if (outcomes[0] != SAMSA_OK) {
        r->ProducerIdStart = -1;
        r->ProducerIdLen = 0;
    }
    samsa_req_respond(req, r);
}

/* AllocateProducerIds (67): the next block of producer ids for a broker,
 * as a committed PRODUCER_IDS record, so no id is given twice in the
 * cluster (a block raced by another one fails; the broker asks again). */
void samsa_handle_allocate_producer_ids(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_AllocateProducerIdsRequest_t *areq = req->body;
    samsa_AllocateProducerIdsResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_AllocateProducerIdsResponse_init(resp);
    resp->ProducerIdStart = -1;
    samsa_err_t err = SAMSA_OK;
    samsa_meta_rec_t rec;
    if (!b->meta || samsa_meta_controller(b->meta) != b->node_id) {
        err = SAMSA_ERR_NOT_CONTROLLER;
    } else {
        samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
        const samsa_meta_broker_t *mb = samsa_meta_broker(img, areq->BrokerId);
        if (!mb) {
            err = SAMSA_ERR_BROKER_ID_NOT_REGISTERED;
        } else if (mb->epoch != areq->BrokerEpoch) {
            err = SAMSA_ERR_STALE_BROKER_EPOCH;
        } else {
            resp->ProducerIdStart = img->next_producer_id;
            resp->ProducerIdLen = SAMSA_PID_BLOCK_SIZE;
            err =
                samsa_mdrec_producer_ids(areq->BrokerId, resp->ProducerIdStart,
                                         SAMSA_PID_BLOCK_SIZE, &rec);
        }
        samsa_meta_image_put(img);
    }
    if (err == SAMSA_OK) {
        samsa_cluster_propose(req, &rec, 1, resp, pid_block_done);
        return;
    }
    resp->ErrorCode = (int16_t)err;
    samsa_req_respond(req, resp);
}

static void unregister_done(samsa_req_t *req, void *resp,
                            const samsa_err_t *outcomes)
{
    samsa_UnregisterBrokerResponse_t *r = resp;
    r->ErrorCode = (int16_t)outcomes[0];
    if (outcomes[0] != SAMSA_OK) {
        r->ErrorMessage = samsa_req_str(req, samsa_err_str(outcomes[0]));
    }
    samsa_req_respond(req, r);
}

/* On the admin worker of a node that is not the controller: the same
 * request, forwarded to the controller (Kafka's admin client sends it to
 * any broker). */
static void *unregister_forward(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_UnregisterBrokerResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_UnregisterBrokerResponse_init(resp);
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    samsa_client_t *c = NULL;
    samsa_err_t err = samsa_cluster_controller_client(b, img, 10000, &c);
    samsa_meta_image_put(img);
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_UnregisterBrokerResponse_t *r = NULL;
    if (err == SAMSA_OK &&
        samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_UNREGISTER_BROKER,
                          req->body, &arena, (void **)&r, NULL) == SAMSA_OK) {
        resp->ErrorCode = r->ErrorCode;
        if (r->ErrorMessage.len >= 0) {
            resp->ErrorMessage =
                samsa_req_str(req, samsa_req_cstr(req, r->ErrorMessage));
        }
    } else {
        resp->ErrorCode = SAMSA_ERR_NOT_CONTROLLER; /* retriable */
    }
    samsa_arena_destroy(&arena);
    samsa_client_free(c);
    return resp;
}

/* UnregisterBroker (64): a broker removed for good (its node taken out of
 * the cluster). It leaves every ISR, as when fenced; its replicas stay
 * in the partitions' lists until reassigned. ALTER on the cluster; other
 * nodes forward it to the controller. */
void samsa_handle_unregister_broker(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_UnregisterBrokerRequest_t *ureq = req->body;
    samsa_UnregisterBrokerResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_UnregisterBrokerResponse_init(resp);
    samsa_err_t err = SAMSA_OK;
    samsa_meta_rec_t rec;
    if (samsa_req_authorize(req, SAMSA_ACL_OP_ALTER, SAMSA_RESOURCE_CLUSTER,
                            SAMSA_CLUSTER_RESOURCE) != SAMSA_OK) {
        err = SAMSA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    } else if (!b->meta) {
        err = SAMSA_ERR_NOT_CONTROLLER;
    } else if (samsa_meta_controller(b->meta) != b->node_id) {
        samsa_admin_run(b->admin, req, unregister_forward);
        return;
    } else {
        samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
        err = samsa_meta_broker(img, ureq->BrokerId)
                  ? samsa_mdrec_unregister(ureq->BrokerId, &rec)
                  : SAMSA_ERR_BROKER_ID_NOT_REGISTERED;
        samsa_meta_image_put(img);
    }
    if (err == SAMSA_OK) {
        samsa_cluster_propose(req, &rec, 1, resp, unregister_done);
        return;
    }
    unregister_done(req, resp, &err);
}

void samsa_handle_describe_quorum(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_DescribeQuorumResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_DescribeQuorumResponse_init(resp);
    if (!b->meta) {
        resp->ErrorCode = SAMSA_ERR_INVALID_REQUEST;
        SAMSA_REQ_ARRAY(req, resp->Topics, 0);
        samsa_req_respond(req, resp);
        return;
    }
    samsa_meta_quorum_t q;
    samsa_meta_quorum_get(b->meta, &q);
    SAMSA_REQ_ARRAY(req, resp->Topics, 1);
    samsa_DescribeQuorumResponse_TopicData_t *t = &resp->Topics.items[0];
    samsa_DescribeQuorumResponse_TopicData_init(t);
    t->TopicName = SAMSA_STR("__cluster_metadata");
    SAMSA_REQ_ARRAY(req, t->Partitions, 1);
    samsa_DescribeQuorumResponse_PartitionData_t *p = &t->Partitions.items[0];
    samsa_DescribeQuorumResponse_PartitionData_init(p);
    p->PartitionIndex = 0;
    p->LeaderId = q.leader_id;
    p->LeaderEpoch = (int32_t)q.leader_epoch;
    p->HighWatermark = q.high_watermark;
    p->ErrorCode = q.leader_id < 0 ? SAMSA_ERR_LEADER_NOT_AVAILABLE : 0;
    size_t observers = 0;
    for (size_t i = 0; i < q.voter_count; i++) {
        observers += q.voters[i].observer;
    }
    SAMSA_REQ_ARRAY(req, p->CurrentVoters, q.voter_count - observers);
    SAMSA_REQ_ARRAY(req, p->Observers, observers);
    p->CurrentVoters.count = 0;
    p->Observers.count = 0;
    for (size_t i = 0; i < q.voter_count; i++) {
        /* Non-voting members (broker-only nodes) are Kafka's observers. */
        samsa_DescribeQuorumResponse_ReplicaState_array_t *list =
            q.voters[i].observer ? &p->Observers : &p->CurrentVoters;
        samsa_DescribeQuorumResponse_ReplicaState_t *v =
            &list->items[list->count++];
        samsa_DescribeQuorumResponse_ReplicaState_init(v);
        v->ReplicaId = q.voters[i].id;
        v->LogEndOffset = q.voters[i].log_end_offset;
        v->LastFetchTimestamp = q.voters[i].last_fetch_ms;
        v->LastCaughtUpTimestamp = q.voters[i].last_caught_up_ms;
    }
    samsa_req_respond(req, resp);
}
