/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/request.h - one request on its way through the pipeline:
 * frame -> header -> version check -> decode -> handler -> encode -> slot.
 *
 * A handler gets the decoded body in req->body (cast to its
 * samsa_<Api>Request_t), allocates its response from req->arena and calls
 * samsa_req_respond() exactly once — right away, or later on the
 * connection's reactor thread when the request was parked (long-poll fetch,
 * JoinGroup). Respond frees the request, its arena and its frame.
 */
#ifndef SAMSA_BROKER_REQUEST_H
#define SAMSA_BROKER_REQUEST_H

#include <stdint.h>

#include "broker/broker.h"
#include "protocol/api.h"
#include "protocol/arena.h"
#include "protocol/buf.h"
#include "security/auth.h"

/* Where an in-process request's answer goes: the response frame (size
 * prefix, header, body; take what you need, the iobuf is cleared after the
 * call), or NULL when there is none (acks=0, or closed: malformed,
 * unsupported). */
typedef void (*samsa_req_sink_fn)(void *arg, samsa_iobuf_t *response);

typedef struct samsa_req {
    samsa_broker_t *broker;
    samsa_conn_t *conn; /* NULL for an in-process request */
    samsa_slot_t *slot; /* NULL for an in-process request */
    samsa_req_sink_fn sink;
    void *sink_arg;
    uint8_t *frame;
    size_t frame_len;
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    samsa_str_t client_id;
    void *body; /* decoded request, in arena */
    samsa_arena_t arena;
    int64_t received_ms; /* monotonic */
    int64_t received_ns; /* samsa_mono_ns(): frame complete */
    int64_t handled_ns;  /* handler called; 0 = never reached one */
    bool sent_later;     /* the response carries a send-time mark */
    int32_t throttle_ms; /* quota: mute the connection this long once sent */
    /* request_percentage: time spent in the handler on the reactor.
     * responded: set while the handler runs (it may answer inside). */
    bool *responded;
    int64_t busy_ns;
    /* A request a broker forwarded in an Envelope (handle_envelope.c):
     * the client it acts for, whom authorization asks about instead of
     * the connection's principal (the forwarding broker); it is never
     * forwarded again, closes nothing and counts against no quota. NULL
     * otherwise. */
    const samsa_security_identity_t *envelope;
} samsa_req_t;

typedef void (*samsa_handler_fn)(samsa_req_t *req);

/* One row of the dispatch table: what the broker advertises and serves. */
typedef struct samsa_api_handler {
    int16_t api_key;
    int16_t min_version;
    int16_t max_version;
    samsa_handler_fn handler;
} samsa_api_handler_t;

/* The table, indexed by API key; handler NULL = not served. */
const samsa_api_handler_t *samsa_broker_api(int16_t api_key);
int16_t samsa_broker_api_count(void);

/* The net layer's on_request callback (app = samsa_broker_t *). */
void samsa_broker_on_request(samsa_conn_t *conn, samsa_slot_t *slot,
                             uint8_t *frame, size_t len, void *app);

/*
 * Run one request @p frame (no size prefix; borrowed for the call) through
 * the same pipeline as a connection's, without one: the handler's answer
 * goes to @p sink, on the calling thread, or for a Produce that waits for
 * its flush on the flusher thread. Requests that need a connection
 * (JoinGroup, SyncGroup, the SASL exchange) are closed at once; a Fetch
 * answers with what it has instead of waiting. Single-node mode only:
 * requests a quorum member proposes to the controller park on their
 * connection. For handler unit tests and in-process callers.
 */
void samsa_broker_call(samsa_broker_t *b, const uint8_t *frame, size_t len,
                       samsa_req_sink_fn sink, void *arg);

/*
 * Run the request @p frame (header and body, borrowed for the call) that
 * a broker forwarded in the Envelope @p outer, as @p as (copied): the
 * handler's answer goes to @p sink on @p outer's reactor (a frame, or
 * NULL when the request was refused unread: malformed, unsupported, or
 * one that needs a connection of its own). Reactor thread of @p outer.
 */
void samsa_req_envelope_call(samsa_req_t *outer, const uint8_t *frame,
                             size_t len, const samsa_security_identity_t *as,
                             samsa_req_sink_fn sink, void *arg);

/* Encode @p response (a samsa_<Api>Response_t) with its header, send it in
 * order, free the request. Connection's reactor thread. */
void samsa_req_respond(samsa_req_t *req, const void *response);
/* No response (acks=0); free the request. */
void samsa_req_respond_none(samsa_req_t *req);
/* Close the connection (Kafka's answer to a request it cannot handle);
 * free the request. */
void samsa_req_close(samsa_req_t *req);

/* Authorization of the request's principal (core/security/auth.h):
 * SAMSA_OK or the resource's *_AUTHORIZATION_FAILED code. @p operation is
 * a samsa_acl_operation_t, @p resource_type a samsa_resource_type_t. */
samsa_err_t samsa_req_authorize(samsa_req_t *req, uint32_t operation,
                                uint32_t resource_type, const char *name);
#define SAMSA_CLUSTER_RESOURCE "kafka-cluster"

/* Client quotas (core/security/quota.h): record @p amount of @p kind for
 * the request's principal and client-id; returns the throttle time to put
 * in the response's ThrottleTimeMs, and mutes the connection that long
 * once the response is sent (KIP-219). In-process requests: 0. */
int32_t samsa_req_quota(samsa_req_t *req, int kind, double amount);
/* The most the quota lets the client take in one window's span (Kafka
 * bounds a fetch's size by it); INFINITY without a quota. */
double samsa_req_quota_window(samsa_req_t *req, int kind);

/* Arena helpers for building responses. */
void *samsa_req_alloc(samsa_req_t *req, size_t size);
#define SAMSA_REQ_ARRAY(req, arr, n)                                           \
    ((arr).count = (int32_t)(n),                                               \
     (arr).items = samsa_req_alloc((req), sizeof(*(arr).items) *               \
                                              (size_t)((n) ? (n) : 1)))
/* NUL-terminated copy of a wire string into the arena ("" for null). */
char *samsa_req_cstr(samsa_req_t *req, samsa_str_t s);
/* Wire string pointing at an arena copy of a C string. */
samsa_str_t samsa_req_str(samsa_req_t *req, const char *s);

#endif /* SAMSA_BROKER_REQUEST_H */
