/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_groups.c - FindCoordinator (10), JoinGroup (11),
 * SyncGroup (14), Heartbeat (12), LeaveGroup (13): thin adapters from the
 * wire structs to core/group/coordinator.h.
 *
 * JoinGroup and SyncGroup may wait for other members. The coordinator
 * calls back on any thread; the callback copies the result to the heap and
 * posts it to the connection's reactor, where the response is built. If
 * the connection closes first, the parked request is answered with nothing
 * and the late result is dropped.
 */
#include <stdlib.h>
#include <string.h>

#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/commit_wait.h"
#include "broker/handlers.h"
#include "broker/parked.h"
#include "broker/settle.h"
#include "group/coordinator.h"
#include "loop/reactor.h"

#define KEY_TYPE_GROUP       0
#define KEY_TYPE_TRANSACTION 1

/* ---------------------------------------------------------------------- */
/* FindCoordinator                                                        */
/* ---------------------------------------------------------------------- */

static samsa_err_t coordinator_for(samsa_req_t *req, int8_t key_type,
                                   samsa_str_t key)
{
    if (key_type != KEY_TYPE_GROUP && key_type != KEY_TYPE_TRANSACTION) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    if (key.len <= 0) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    bool group = key_type == KEY_TYPE_GROUP;
    samsa_err_t denied = samsa_req_authorize(
        req, SAMSA_ACL_OP_DESCRIBE,
        group ? SAMSA_RESOURCE_GROUP : SAMSA_RESOURCE_TRANSACTIONAL_ID,
        samsa_req_cstr(req, key));
    if (denied) {
        return denied;
    }
    void *coordinator =
        group ? (void *)req->broker->groups : (void *)req->broker->txn;
    return coordinator ? SAMSA_OK : SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
}

/* This broker (as the connection reached it), or in a cluster the live
 * broker the group's key maps to (cluster.h). */
static samsa_err_t coordinator_addr(samsa_req_t *req, samsa_err_t err,
                                    int8_t key_type, samsa_str_t key,
                                    int32_t *node, samsa_str_t *host,
                                    int32_t *port)
{
    samsa_broker_t *b = req->broker;
    const samsa_broker_endpoint_t *ep = samsa_broker_endpoint(b, req->conn);
    *node = err == SAMSA_OK ? b->node_id : -1;
    *host = err == SAMSA_OK ? samsa_req_str(req, ep->host) : SAMSA_STR("");
    *port = err == SAMSA_OK ? ep->port : -1;
    if (err == SAMSA_OK) {
        err = samsa_cluster_coordinator(req, key_type == KEY_TYPE_TRANSACTION,
                                        key, node, host, port);
    }
    if (err != SAMSA_OK) {
        *node = -1;
        *host = SAMSA_STR("");
        *port = -1;
    }
    return err;
}

void samsa_handle_find_coordinator(samsa_req_t *req)
{
    samsa_FindCoordinatorRequest_t *freq = req->body;
    /* In a cluster, the first FindCoordinator asks for the internal
     * topic: its answer waits until it exists and is loaded (settle.h). */
    bool txn = freq->KeyType == KEY_TYPE_TRANSACTION;
    bool known = txn || freq->KeyType == KEY_TYPE_GROUP;
    if (known && req->api_version < 4 &&
        samsa_req_settle_coordinator(req, txn, freq->Key)) {
        return;
    }
    for (int32_t i = 0;
         known && req->api_version >= 4 && i < freq->CoordinatorKeys.count;
         i++) {
        if (samsa_req_settle_coordinator(req, txn,
                                         freq->CoordinatorKeys.items[i])) {
            return;
        }
    }
    samsa_FindCoordinatorResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_FindCoordinatorResponse_init(resp);
    if (req->api_version < 4) {
        samsa_err_t err = coordinator_for(req, freq->KeyType, freq->Key);
        resp->ErrorCode =
            (int16_t)coordinator_addr(req, err, freq->KeyType, freq->Key,
                                      &resp->NodeId, &resp->Host, &resp->Port);
        resp->ErrorMessage = SAMSA_STR_NULL;
        samsa_req_respond(req, resp);
        return;
    }
    int32_t n =
        freq->CoordinatorKeys.count > 0 ? freq->CoordinatorKeys.count : 0;
    SAMSA_REQ_ARRAY(req, resp->Coordinators, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_FindCoordinatorResponse_Coordinator_t *c =
            &resp->Coordinators.items[i];
        samsa_FindCoordinatorResponse_Coordinator_init(c);
        c->Key = freq->CoordinatorKeys.items[i];
        samsa_err_t err = coordinator_for(req, freq->KeyType, c->Key);
        c->ErrorCode = (int16_t)coordinator_addr(
            req, err, freq->KeyType, c->Key, &c->NodeId, &c->Host, &c->Port);
        c->ErrorMessage = SAMSA_STR_NULL;
    }
    samsa_req_respond(req, resp);
}

/* ---------------------------------------------------------------------- */
/* Waiting requests (JoinGroup, SyncGroup)                                */
/* ---------------------------------------------------------------------- */

typedef struct member_copy {
    char *member_id;
    char *instance_id;
    uint8_t *metadata;
    size_t metadata_len;
} member_copy_t;

typedef struct group_wait {
    samsa_handoff_t h; /* first */
    /* The result, copied off the coordinator's thread. */
    samsa_err_t error;
    int32_t generation_id;
    char *protocol_type, *protocol_name, *leader_id, *member_id;
    bool skip_assignment;
    member_copy_t *members;
    size_t member_count;
    uint8_t *assignment;
    size_t assignment_len;
    char *group_id; /* SyncGroup: its answer waits for the ISR */
} group_wait_t;

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n ? n : 1);
    if (c && n) {
        memcpy(c, p, n);
    }
    return c;
}

static void wait_free(samsa_handoff_t *h)
{
    group_wait_t *w = (group_wait_t *)h;
    for (size_t i = 0; i < w->member_count; i++) {
        free(w->members[i].member_id);
        free(w->members[i].instance_id);
        free(w->members[i].metadata);
    }
    free(w->members);
    free(w->protocol_type);
    free(w->protocol_name);
    free(w->leader_id);
    free(w->member_id);
    free(w->assignment);
    free(w->group_id);
    free(w);
}

static group_wait_t *wait_new(samsa_req_t *req,
                              void (*respond)(samsa_handoff_t *h))
{
    group_wait_t *w = calloc(1, sizeof(*w));
    if (w) {
        samsa_handoff_park(&w->h, req, respond, wait_free);
    }
    return w;
}

/* Kafka reports a member's host as InetAddress.toString(): "/127.0.0.1". */
static const char *client_host(samsa_req_t *req)
{
    const char *peer = samsa_conn_peer(req->conn);
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    if (n >= 2 && peer[0] == '[' && peer[n - 1] == ']') {
        peer++;
        n -= 2;
    }
    char *host = samsa_req_alloc(req, n + 2);
    host[0] = '/';
    memcpy(host + 1, peer, n);
    host[n + 1] = 0;
    return host;
}

static const char *opt_cstr(samsa_req_t *req, samsa_str_t s)
{
    return s.len >= 0 ? samsa_req_cstr(req, s) : NULL;
}

static samsa_str_t opt_str(samsa_req_t *req, const char *s)
{
    return s ? samsa_req_str(req, s) : SAMSA_STR_NULL;
}

/* ---------------------------------------------------------------------- */
/* JoinGroup                                                              */
/* ---------------------------------------------------------------------- */

static void join_respond(samsa_handoff_t *h)
{
    group_wait_t *w = (group_wait_t *)h;
    samsa_req_t *req = h->req;
    samsa_JoinGroupResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_JoinGroupResponse_init(resp);
    resp->ErrorCode = (int16_t)w->error;
    resp->GenerationId = w->generation_id;
    resp->ProtocolType = opt_str(req, w->protocol_type);
    /* ProtocolName is nullable only from v7; older versions send "". */
    resp->ProtocolName = w->protocol_name ? samsa_req_str(req, w->protocol_name)
                         : req->api_version >= 7 ? SAMSA_STR_NULL
                                                 : SAMSA_STR("");
    resp->Leader = samsa_req_str(req, w->leader_id ? w->leader_id : "");
    resp->SkipAssignment = w->skip_assignment;
    resp->MemberId = samsa_req_str(req, w->member_id ? w->member_id : "");
    SAMSA_REQ_ARRAY(req, resp->Members, w->member_count);
    for (size_t i = 0; i < w->member_count; i++) {
        samsa_JoinGroupResponse_JoinGroupResponseMember_t *m =
            &resp->Members.items[i];
        samsa_JoinGroupResponse_JoinGroupResponseMember_init(m);
        m->MemberId = samsa_req_str(req, w->members[i].member_id);
        m->GroupInstanceId = opt_str(req, w->members[i].instance_id);
        uint8_t *meta = samsa_req_alloc(req, w->members[i].metadata_len);
        memcpy(meta, w->members[i].metadata, w->members[i].metadata_len);
        m->Metadata =
            (samsa_bytes_t){meta, (int32_t)w->members[i].metadata_len};
    }
    samsa_req_respond(req, resp);
}

static void join_cb(void *arg, const samsa_group_join_result_t *res)
{
    group_wait_t *w = arg;
    w->error = res->error;
    w->generation_id = res->generation_id;
    w->protocol_type = dup_or_null(res->protocol_type);
    w->protocol_name = dup_or_null(res->protocol_name);
    w->leader_id = dup_or_null(res->leader_id);
    w->member_id = dup_or_null(res->member_id);
    w->skip_assignment = res->skip_assignment;
    w->members =
        calloc(res->member_count ? res->member_count : 1, sizeof(*w->members));
    if (w->members) {
        w->member_count = res->member_count;
        for (size_t i = 0; i < res->member_count; i++) {
            const samsa_group_member_meta_t *m = &res->members[i];
            w->members[i].member_id = strdup(m->member_id);
            w->members[i].instance_id = dup_or_null(m->group_instance_id);
            w->members[i].metadata = dup_bytes(m->metadata, m->metadata_len);
            w->members[i].metadata_len = m->metadata_len;
        }
    }
    samsa_handoff_done(&w->h);
}

/* Kafka asks READ on the group of every member API. */
static samsa_err_t group_read(samsa_req_t *req, samsa_str_t group)
{
    return samsa_req_authorize(req, SAMSA_ACL_OP_READ, SAMSA_RESOURCE_GROUP,
                               samsa_req_cstr(req, group));
}

void samsa_handle_join_group(samsa_req_t *req)
{
    samsa_JoinGroupRequest_t *jreq = req->body;
    if (samsa_req_settle_coordinator(req, false, jreq->GroupId)) {
        return;
    }
    samsa_err_t denied = group_read(req, jreq->GroupId);
    if (denied) {
        samsa_JoinGroupResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
        samsa_JoinGroupResponse_init(resp);
        resp->ErrorCode = (int16_t)denied;
        resp->ProtocolName =
            req->api_version >= 7 ? SAMSA_STR_NULL : SAMSA_STR("");
        resp->Leader = resp->MemberId = SAMSA_STR("");
        SAMSA_REQ_ARRAY(req, resp->Members, 0);
        samsa_req_respond(req, resp);
        return;
    }
    group_wait_t *w = wait_new(req, join_respond);
    if (!w) {
        samsa_req_close(req);
        return;
    }
    size_t n = jreq->Protocols.count > 0 ? (size_t)jreq->Protocols.count : 0;
    samsa_group_protocol_t *protos = samsa_req_alloc(req, sizeof(*protos) * n);
    for (size_t i = 0; i < n; i++) {
        protos[i].name = samsa_req_cstr(req, jreq->Protocols.items[i].Name);
        protos[i].metadata = jreq->Protocols.items[i].Metadata.ptr;
        protos[i].metadata_len =
            jreq->Protocols.items[i].Metadata.len > 0
                ? (size_t)jreq->Protocols.items[i].Metadata.len
                : 0;
    }
    samsa_group_join_req_t jr = {
        .group_id = samsa_req_cstr(req, jreq->GroupId),
        .member_id = samsa_req_cstr(req, jreq->MemberId),
        .group_instance_id = opt_cstr(req, jreq->GroupInstanceId),
        .client_id = samsa_req_cstr(req, req->client_id),
        .client_host = client_host(req),
        .protocol_type = samsa_req_cstr(req, jreq->ProtocolType),
        .protocols = protos,
        .protocol_count = n,
        .session_timeout_ms = jreq->SessionTimeoutMs,
        .rebalance_timeout_ms =
            req->api_version >= 1 ? jreq->RebalanceTimeoutMs : -1,
        .api_version = req->api_version,
    };
    samsa_group_join(req->broker->groups, &jr, join_cb, w);
}

/* ---------------------------------------------------------------------- */
/* SyncGroup                                                              */
/* ---------------------------------------------------------------------- */

static void sync_respond(samsa_handoff_t *h)
{
    group_wait_t *w = (group_wait_t *)h;
    samsa_req_t *req = h->req;
    samsa_SyncGroupResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_SyncGroupResponse_init(resp);
    resp->ErrorCode = (int16_t)w->error;
    resp->ProtocolType = opt_str(req, w->protocol_type);
    resp->ProtocolName = opt_str(req, w->protocol_name);
    uint8_t *a = samsa_req_alloc(req, w->assignment_len);
    if (w->assignment_len) {
        memcpy(a, w->assignment, w->assignment_len);
    }
    resp->Assignment = (samsa_bytes_t){a, (int32_t)w->assignment_len};
    /* The assignment the leader sent is in the group's record on
     * __consumer_offsets: answered once every in-sync replica has it, as
     * Kafka's storeGroup appends with acks=all (a follower taking over
     * would otherwise know another generation's assignment). */
    samsa_produce_wait_t *wait = NULL;
    if (resp->ErrorCode == 0 && w->group_id) {
        int16_t *code = &resp->ErrorCode;
        samsa_commit_wait(req, w->group_id, &code, 1, &wait);
    }
    samsa_produce_respond(req, resp, wait);
}

static void sync_cb(void *arg, const samsa_group_sync_result_t *res)
{
    group_wait_t *w = arg;
    w->error = res->error;
    w->protocol_type = dup_or_null(res->protocol_type);
    w->protocol_name = dup_or_null(res->protocol_name);
    w->assignment = dup_bytes(res->assignment, res->assignment_len);
    w->assignment_len = w->assignment ? res->assignment_len : 0;
    samsa_handoff_done(&w->h);
}

void samsa_handle_sync_group(samsa_req_t *req)
{
    samsa_SyncGroupRequest_t *sreq = req->body;
    if (samsa_req_settle_coordinator(req, false, sreq->GroupId)) {
        return;
    }
    samsa_err_t denied = group_read(req, sreq->GroupId);
    if (denied) {
        samsa_SyncGroupResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
        samsa_SyncGroupResponse_init(resp);
        resp->ErrorCode = (int16_t)denied;
        resp->Assignment = (samsa_bytes_t){(const uint8_t *)"", 0};
        samsa_req_respond(req, resp);
        return;
    }
    char *group_id = strdup(samsa_req_cstr(req, sreq->GroupId));
    group_wait_t *w = group_id ? wait_new(req, sync_respond) : NULL;
    if (!w) {
        free(group_id);
        samsa_req_close(req);
        return;
    }
    w->group_id = group_id;
    size_t n =
        sreq->Assignments.count > 0 ? (size_t)sreq->Assignments.count : 0;
    samsa_group_assignment_t *as = samsa_req_alloc(req, sizeof(*as) * n);
    for (size_t i = 0; i < n; i++) {
        samsa_SyncGroupRequest_SyncGroupRequestAssignment_t *a =
            &sreq->Assignments.items[i];
        as[i].member_id = samsa_req_cstr(req, a->MemberId);
        as[i].assignment = a->Assignment.ptr;
        as[i].assignment_len =
            a->Assignment.len > 0 ? (size_t)a->Assignment.len : 0;
    }
    samsa_group_sync_req_t sr = {
        .group_id = samsa_req_cstr(req, sreq->GroupId),
        .generation_id = sreq->GenerationId,
        .member_id = samsa_req_cstr(req, sreq->MemberId),
        .group_instance_id = opt_cstr(req, sreq->GroupInstanceId),
        .protocol_type = opt_cstr(req, sreq->ProtocolType),
        .protocol_name = opt_cstr(req, sreq->ProtocolName),
        .assignments = as,
        .assignment_count = n,
    };
    samsa_group_sync(req->broker->groups, &sr, sync_cb, w);
}

/* ---------------------------------------------------------------------- */
/* Heartbeat, LeaveGroup                                                  */
/* ---------------------------------------------------------------------- */

void samsa_handle_heartbeat(samsa_req_t *req)
{
    samsa_HeartbeatRequest_t *hreq = req->body;
    if (samsa_req_settle_coordinator(req, false, hreq->GroupId)) {
        return;
    }
    samsa_HeartbeatResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_HeartbeatResponse_init(resp);
    samsa_err_t err = group_read(req, hreq->GroupId);
    resp->ErrorCode =
        (int16_t)(err ? err
                      : samsa_group_heartbeat(
                            req->broker->groups,
                            samsa_req_cstr(req, hreq->GroupId),
                            hreq->GenerationId,
                            samsa_req_cstr(req, hreq->MemberId),
                            opt_cstr(req, hreq->GroupInstanceId)));
    samsa_req_respond(req, resp);
}

void samsa_handle_leave_group(samsa_req_t *req)
{
    samsa_LeaveGroupRequest_t *lreq = req->body;
    if (samsa_req_settle_coordinator(req, false, lreq->GroupId)) {
        return;
    }
    samsa_LeaveGroupResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_LeaveGroupResponse_init(resp);
    bool batch = req->api_version >= 3;
    size_t n =
        batch ? (lreq->Members.count > 0 ? (size_t)lreq->Members.count : 0) : 1;
    samsa_group_leave_member_t *ms = samsa_req_alloc(req, sizeof(*ms) * n);
    for (size_t i = 0; i < n; i++) {
        if (batch) {
            ms[i].member_id =
                samsa_req_cstr(req, lreq->Members.items[i].MemberId);
            ms[i].group_instance_id =
                opt_cstr(req, lreq->Members.items[i].GroupInstanceId);
        } else {
            ms[i].member_id = samsa_req_cstr(req, lreq->MemberId);
            ms[i].group_instance_id = NULL;
        }
    }
    samsa_err_t err = group_read(req, lreq->GroupId);
    for (size_t i = 0; err != SAMSA_OK && i < n; i++) {
        ms[i].error = err;
    }
    if (err == SAMSA_OK) {
        err = samsa_group_leave(req->broker->groups,
                                samsa_req_cstr(req, lreq->GroupId), ms, n);
    }
    resp->ErrorCode = (int16_t)err;
    if (batch) {
        SAMSA_REQ_ARRAY(req, resp->Members, n);
        for (size_t i = 0; i < n; i++) {
            samsa_LeaveGroupResponse_MemberResponse_t *m =
                &resp->Members.items[i];
            samsa_LeaveGroupResponse_MemberResponse_init(m);
            m->MemberId = lreq->Members.items[i].MemberId;
            m->GroupInstanceId = lreq->Members.items[i].GroupInstanceId;
            m->ErrorCode = (int16_t)ms[i].error;
        }
    }
    samsa_req_respond(req, resp);
}
