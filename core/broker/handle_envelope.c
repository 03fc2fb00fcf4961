/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_envelope.c - Envelope (key 58, KIP-590): an admin
 * request a broker forwards to the controller, wrapped with its client's
 * principal and address, so the controller authorizes the client and not
 * the forwarding broker. As Kafka's controller: only a principal holding
 * ClusterAction on the cluster may send one (CLUSTER_AUTHORIZATION_FAILED),
 * only the controller takes one (NOT_CONTROLLER), the principal must
 * decode (PRINCIPAL_DESERIALIZATION_FAILURE) and the address be 4 or 16
 * bytes, and only the forwardable APIs travel in one (INVALID_REQUEST).
 * The inner request runs through the pipeline as the client
 * (samsa_req_envelope_call); its response frame, header included, goes
 * back in ResponseData.
 *
 * The forwarding side is samsa_cluster_forward (cluster_admin.c), which
 * writes the principal as samsa_envelope_principal_write does.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <samsa/authorizer.h>

#include "broker/cluster.h"
#include "broker/envelope.h"
#include "broker/handlers.h"
#include "protocol/generated/messages.h"
#include "util/log.h"
#include "util/log_limit.h"

/* The APIs a broker forwards to the controller (cluster_admin.c callers);
 * anything else in an Envelope is refused. */
static bool forwardable(int16_t api_key)
{
    switch (api_key) {
    case SAMSA_API_CREATE_TOPICS:
    case SAMSA_API_DELETE_TOPICS:
    case SAMSA_API_CREATE_PARTITIONS:
    case SAMSA_API_CREATE_ACLS:
    case SAMSA_API_DELETE_ACLS:
    case SAMSA_API_ALTER_CONFIGS:
    case SAMSA_API_INCREMENTAL_ALTER_CONFIGS:
    case SAMSA_API_ALTER_CLIENT_QUOTAS:
    case SAMSA_API_ALTER_USER_SCRAM_CREDENTIALS:
    case SAMSA_API_ALTER_PARTITION_REASSIGNMENTS:
    case SAMSA_API_LIST_PARTITION_REASSIGNMENTS:
    case SAMSA_API_ELECT_LEADERS:
        return true;
    default:
        return false;
    }
}

static samsa_log_limit_t refused_log = SAMSA_LOG_LIMIT_INIT(10, 60000);

/* Answer the Envelope with @p err and no response inside. */
static void refuse(samsa_req_t *req, samsa_err_t err, const char *why)
{
    samsa_log_limited(&refused_log, SAMSA_LOG_WARN,
                      "%s: Envelope refused: %s (%s)",
                      samsa_conn_peer(req->conn), why, samsa_err_str(err));
    samsa_EnvelopeResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_EnvelopeResponse_init(resp);
    resp->ErrorCode = (int16_t)err;
    samsa_req_respond(req, resp);
}

/* The inner request's answer (the Envelope's reactor): its frame, after
 * the size prefix, goes back whole. */
static void inner_done(void *arg, samsa_iobuf_t *frame)
{
    samsa_req_t *req = arg;
    samsa_EnvelopeResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_EnvelopeResponse_init(resp);
    uint8_t *flat = NULL;
    size_t len = 0;
    if (!frame) {
        resp->ErrorCode = SAMSA_ERR_INVALID_REQUEST;
    } else if (samsa_iobuf_flatten(frame, &flat, &len) != SAMSA_OK || len < 4) {
        resp->ErrorCode = SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    } else {
        uint8_t *copy = samsa_req_alloc(req, len - 4);
        memcpy(copy, flat + 4, len - 4);
        resp->ResponseData = (samsa_bytes_t){copy, (int32_t)(len - 4)};
    }
    free(flat);
    samsa_req_respond(req, resp);
}

void samsa_handle_envelope(samsa_req_t *req)
{
    samsa_EnvelopeRequest_t *ereq = req->body;
    samsa_broker_t *b = req->broker;
    if (samsa_req_authorize(req, SAMSA_ACL_OP_CLUSTER_ACTION,
                            SAMSA_RESOURCE_CLUSTER,
                            SAMSA_CLUSTER_RESOURCE) != SAMSA_OK) {
        refuse(req, SAMSA_ERR_CLUSTER_AUTHORIZATION_FAILED,
               "the sender lacks ClusterAction on the cluster");
        return;
    }
    if (!b->meta || samsa_meta_controller(b->meta) != b->node_id) {
        samsa_EnvelopeResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
        samsa_EnvelopeResponse_init(resp);
        resp->ErrorCode = SAMSA_ERR_NOT_CONTROLLER; /* the sender retries */
        samsa_req_respond(req, resp);
        return;
    }
    char principal[512];
    if (samsa_envelope_principal_read(ereq->RequestPrincipal, principal,
                                      sizeof(principal)) != SAMSA_OK) {
        refuse(req, SAMSA_ERR_PRINCIPAL_DESERIALIZATION_FAILURE,
               "RequestPrincipal does not decode");
        return;
    }
    char host[INET6_ADDRSTRLEN] = "";
    const samsa_bytes_t *addr = &ereq->ClientHostAddress;
    if (!(addr->len == 4 &&
          inet_ntop(AF_INET, addr->ptr, host, sizeof(host))) &&
        !(addr->len == 16 &&
          inet_ntop(AF_INET6, addr->ptr, host, sizeof(host)))) {
        refuse(req, SAMSA_ERR_INVALID_REQUEST,
               "ClientHostAddress is no IPv4 or IPv6 address");
        return;
    }
    const samsa_bytes_t *inner = &ereq->RequestData;
    int16_t api_key =
        inner->len >= 2 ? (int16_t)(inner->ptr[0] << 8 | inner->ptr[1]) : -1;
    if (!forwardable(api_key)) {
        refuse(req, SAMSA_ERR_INVALID_REQUEST,
               "the request inside is not one brokers forward");
        return;
    }
    samsa_security_identity_t as = {.principal = principal, .host = host};
    samsa_req_envelope_call(req, inner->ptr, (size_t)inner->len, &as,
                            inner_done, req);
}
