/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/request.c - the request pipeline; see request.h. */
#include "broker/request.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/handlers.h"
#include "metrics/metrics.h"
#include "protocol/generated/messages.h"
#include "protocol/request.h"
#include "security/auth.h"
#include "security/quota.h"
#include "util/err.h"
#include "util/log.h"
#include "util/log_limit.h"
#include "util/clock.h"

/* The peer for log lines: in-process requests have no connection. */
static const char *req_peer(const samsa_req_t *req)
{
    return req->conn ? samsa_conn_peer(req->conn) : "in-process";
}

/* Hand the response frame (NULL: none) to the slot or the in-process sink. */
static void req_complete(samsa_req_t *req, samsa_iobuf_t *out)
{
    if (req->slot) {
        samsa_slot_complete(req->slot, out);
        if (req->throttle_ms > 0) {
            samsa_conn_mute(req->conn, (uint32_t)req->throttle_ms);
        }
    } else {
        req->sink(req->sink_arg, out);
    }
}

static void req_free(samsa_req_t *req)
{
    if (req->responded) { /* freed inside its handler */
        *req->responded = true;
    }
    samsa_metrics_request(req->api_key, req->api_version, req->received_ns,
                          req->handled_ns, samsa_mono_ns(), req->sent_later);
    samsa_arena_destroy(&req->arena);
    if (req->slot) {
        samsa_frame_free(req->frame);
    } else {
        free(req->frame); /* an in-process request's copy */
    }
    free(req);
}

void *samsa_req_alloc(samsa_req_t *req, size_t size)
{
    return samsa_arena_calloc(&req->arena, 1, size ? size : 1);
}

char *samsa_req_cstr(samsa_req_t *req, samsa_str_t s)
{
    size_t n = s.len > 0 ? (size_t)s.len : 0;
    char *c = samsa_arena_alloc(&req->arena, n + 1);
    if (!c) {
        return NULL;
    }
    if (n) {
        memcpy(c, s.ptr, n);
    }
    c[n] = 0;
    return c;
}

samsa_str_t samsa_req_str(samsa_req_t *req, const char *s)
{
    if (!s) {
        return SAMSA_STR_NULL;
    }
    size_t n = strlen(s);
    char *c = samsa_arena_alloc(&req->arena, n + 1);
    if (!c) {
        return SAMSA_STR_NULL;
    }
    memcpy(c, s, n + 1);
    return (samsa_str_t){c, (int32_t)n};
}

/* request_percentage, as Kafka: the handler's time as a percentage of one
 * thread's second; the larger throttle of all quotas goes in the
 * response's ThrottleTimeMs when its version has one. */
static void request_quota(samsa_req_t *req, const void *response)
{
    if (!req->conn || req->envelope || !req->broker->quotas ||
        req->handled_ns == 0) {
        return;
    }
    int64_t busy =
        req->responded ? samsa_mono_ns() - req->handled_ns : req->busy_ns;
    samsa_req_quota(req, SAMSA_QUOTA_REQUEST, (double)busy * 100.0 / 1e9);
    const samsa_api_info_t *api = samsa_api_lookup(req->api_key);
    if (req->throttle_ms <= 0 || !api || !api->response) {
        return;
    }
    const samsa_struct_desc_t *body = api->response->body;
    for (uint16_t i = 0; i < body->nfields; i++) {
        const samsa_field_desc_t *f = &body->fields[i];
        if (f->type == SAMSA_FT_INT32 && req->api_version >= f->vmin &&
            req->api_version <= f->vmax &&
            strcmp(f->name, "ThrottleTimeMs") == 0) {
            /* Handlers build responses in the request's arena. */
            int32_t *t = (int32_t *)((char *)(uintptr_t)response + f->offset);
            *t = *t > req->throttle_ms ? *t : req->throttle_ms;
        }
    }
}

void samsa_req_respond(samsa_req_t *req, const void *response)
{
    request_quota(req, response);
    samsa_iobuf_t out;
    samsa_iobuf_init(&out);
    samsa_err_t err = samsa_response_frame(&out, req->api_key, req->api_version,
                                           req->correlation_id, response);
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_ERROR,
                  "%s: cannot encode %s v%d response: %s; closing",
                  req_peer(req), samsa_api_lookup(req->api_key)->name,
                  req->api_version, samsa_err_name(err));
        samsa_iobuf_clear(&out);
        samsa_req_close(req);
        return;
    }
    if (req->handled_ns != 0) {
        req->sent_later =
            samsa_metrics_mark_sent(&out, req->api_key, req->received_ns);
    }
    req_complete(req, &out);
    samsa_iobuf_clear(&out);
    req_free(req);
}

void samsa_req_respond_none(samsa_req_t *req)
{
    req_complete(req, NULL);
    req_free(req);
}

void samsa_req_close(samsa_req_t *req)
{
    if (req->conn && !req->envelope) { /* the broker's: it did no wrong */
        samsa_conn_close(req->conn);
    }
    req_complete(req, NULL);
    req_free(req);
}

/*
 * KIP-511: an ApiVersions request of a version we do not know is answered
 * in the v0 body format with UNSUPPORTED_VERSION and our ApiVersions range,
 * so the client can retry at a version we speak.
 */
static void answer_unknown_api_versions(samsa_req_t *req)
{
    const samsa_api_handler_t *h = samsa_broker_api(SAMSA_API_API_VERSIONS);
    samsa_ApiVersionsResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_ApiVersionsResponse_init(resp);
    resp->ErrorCode = SAMSA_ERR_UNSUPPORTED_VERSION;
    SAMSA_REQ_ARRAY(req, resp->ApiKeys, 1);
    samsa_ApiVersionsResponse_ApiVersion_init(&resp->ApiKeys.items[0]);
    resp->ApiKeys.items[0].ApiKey = SAMSA_API_API_VERSIONS;
    resp->ApiKeys.items[0].MinVersion = h->min_version;
    resp->ApiKeys.items[0].MaxVersion = h->max_version;
    req->api_version = 0;
    samsa_req_respond(req, resp);
}

/* The dispatch table's ranges: what this broker serves. */
static bool broker_serves(int16_t api_key, int16_t api_version)
{
    const samsa_api_handler_t *h = samsa_broker_api(api_key);
    return h && h->handler && api_version >= h->min_version &&
           api_version <= h->max_version;
}

/* Any client can send these: a few lines a minute each, then a count. */
static samsa_log_limit_t bad_request_log = SAMSA_LOG_LIMIT_INIT(10, 60000);
static samsa_log_limit_t unsupported_log = SAMSA_LOG_LIMIT_INIT(10, 60000);

static samsa_req_t *req_new(samsa_broker_t *b, uint8_t *frame, size_t len)
{
    samsa_req_t *req = calloc(1, sizeof(*req));
    if (!req) {
        return NULL;
    }
    req->broker = b;
    req->frame = frame;
    req->frame_len = len;
    req->received_ms = samsa_mono_ms();
    req->received_ns = samsa_mono_ns();
    samsa_arena_init(&req->arena);
    /* Bound what one request may decode into (garbage array counts are
     * already checked against the bytes present). */
    req->arena.limit = (size_t)b->max_request_bytes * 4 + 65536;
    return req;
}

/* Header, version, body, handler: the pipeline after the frame. */
static void dispatch(samsa_req_t *req, const uint8_t *frame, size_t len)
{
    samsa_req_header_t hdr = {0};
    samsa_err_t err;
    samsa_request_verdict_t verdict = samsa_request_parse(
        frame, len, broker_serves, &req->arena, &hdr, &req->body, &err);
    req->api_key = hdr.api_key;
    req->api_version = hdr.api_version;
    req->correlation_id = hdr.correlation_id;
    req->client_id = hdr.client_id;
    switch (verdict) {
    case SAMSA_REQUEST_OK:
        break;
    case SAMSA_REQUEST_BAD_HEADER:
        samsa_log_limited(&bad_request_log, SAMSA_LOG_WARN,
                          "%s: truncated request header; closing",
                          req_peer(req));
        samsa_req_close(req);
        return;
    case SAMSA_REQUEST_UNSERVED:
        if (req->api_key == SAMSA_API_API_VERSIONS && req->api_version > 0) {
            answer_unknown_api_versions(req);
            return;
        }
        /* Kafka closes the connection for an API or version it does not
         * enable; clients (kafka-python's probe) rely on that. */
        samsa_log_limited(
            &unsupported_log, SAMSA_LOG_INFO,
            "%s: unsupported request api_key=%d version=%d; closing",
            req_peer(req), req->api_key, req->api_version);
        samsa_req_close(req);
        return;
    case SAMSA_REQUEST_BAD_BODY:
        samsa_log_limited(&bad_request_log, SAMSA_LOG_WARN,
                          "%s: malformed %s v%d request (%s); closing",
                          req_peer(req), samsa_api_lookup(req->api_key)->name,
                          req->api_version, samsa_err_name(err));
        samsa_req_close(req);
        return;
    }
    /* Connection requests are answered on this thread only, so the flag
     * tells whether req still exists; in-process ones may be answered on
     * the flusher thread and have no quotas. */
    bool responded = false;
    bool conn = req->conn != NULL;
    req->responded = conn ? &responded : NULL;
    req->handled_ns = samsa_mono_ns();
    samsa_broker_api(req->api_key)->handler(req);
    if (conn && !responded) { /* answered later: the handler's time */
        req->responded = NULL;
        req->busy_ns = samsa_mono_ns() - req->handled_ns;
    }
}

/* The quota user: the principal's name without "User:". */
static const char *quota_user(samsa_req_t *req)
{
    const samsa_auth_t *auth = samsa_conn_get_auth(req->conn);
    const char *user = auth ? samsa_auth_principal(auth) : "User:ANONYMOUS";
    return strncmp(user, "User:", 5) == 0 ? user + 5 : user;
}

double samsa_req_quota_window(samsa_req_t *req, int kind)
{
    if (!req->conn || req->envelope || !req->broker->quotas) {
        return INFINITY;
    }
    return samsa_quotas_window_max(req->broker->quotas,
                                   (samsa_quota_kind_t)kind, quota_user(req),
                                   samsa_req_cstr(req, req->client_id));
}

int32_t samsa_req_quota(samsa_req_t *req, int kind, double amount)
{
    if (!req->conn || req->envelope || !req->broker->quotas) {
        return 0;
    }
    const char *user = quota_user(req);
    int32_t t = samsa_quotas_record(
        req->broker->quotas, (samsa_quota_kind_t)kind, user,
        samsa_req_cstr(req, req->client_id), amount, samsa_mono_ms());
    req->throttle_ms = t > req->throttle_ms ? t : req->throttle_ms;
    return t;
}

samsa_err_t samsa_req_authorize(samsa_req_t *req, uint32_t operation,
                                uint32_t resource_type, const char *name)
{
    return samsa_security_authorize(
        req->broker->security, req->conn, req->envelope, req->api_key,
        req->api_version, operation, resource_type, name);
}

/* Authentication comes before decoding: until the connection has
 * authenticated only ApiVersions and the SASL exchange are even parsed.
 * The API key opens every request header. */
static bool auth_admits(samsa_conn_t *conn, const samsa_auth_t *auth,
                        const uint8_t *frame, size_t len)
{
    int16_t api_key = len >= 2 ? (int16_t)((frame[0] << 8) | frame[1]) : -1;
    if (samsa_auth_state(auth) == SAMSA_AUTH_AUTHENTICATED) {
        /* KIP-368: past its lifetime a session may only re-authenticate. */
        if (!samsa_auth_session_expired(auth) ||
            api_key == SAMSA_API_SASL_HANDSHAKE) {
            return true;
        }
        const samsa_api_info_t *api = samsa_api_lookup(api_key);
        samsa_log(SAMSA_LOG_INFO,
                  "%s: %s request after the SASL session of %s expired "
                  "without re-authentication; closing",
                  samsa_conn_peer(conn), api ? api->name : "unknown",
                  samsa_auth_principal(auth));
        return false;
    }
    if (samsa_auth_may_serve(auth, api_key)) {
        return true;
    }
    const samsa_api_info_t *api = samsa_api_lookup(api_key);
    samsa_log(SAMSA_LOG_INFO,
              "%s: %s request before SASL authentication; closing",
              samsa_conn_peer(conn), api ? api->name : "unknown");
    return false;
}

void samsa_broker_on_request(samsa_conn_t *conn, samsa_slot_t *slot,
                             uint8_t *frame, size_t len, void *app)
{
    samsa_broker_t *b = app;
    uint32_t l = samsa_conn_listener(conn);
    samsa_auth_t *auth = samsa_auth_of(
        b->security, conn, b->listener_protocol[l], b->listener_mechanisms[l]);
    if (auth && samsa_auth_expects_raw_token(auth)) {
        samsa_broker_raw_sasl_token(conn, slot, frame, len);
        return;
    }
    samsa_req_t *req = auth && auth_admits(conn, auth, frame, len)
                           ? req_new(b, frame, len)
                           : NULL;
    if (!req) {
        samsa_frame_free(frame);
        samsa_conn_close(conn);
        samsa_slot_complete_none(slot);
        return;
    }
    req->conn = conn;
    req->slot = slot;
    dispatch(req, frame, len);
}

/* Handlers that need a connection: JoinGroup and SyncGroup park on it
 * until the other members act; the SASL exchange authenticates it. */
static bool needs_connection(int16_t api_key)
{
    return api_key == SAMSA_API_JOIN_GROUP || api_key == SAMSA_API_SYNC_GROUP ||
           api_key == SAMSA_API_SASL_HANDSHAKE ||
           api_key == SAMSA_API_SASL_AUTHENTICATE;
}

/* A request without a slot of its own, answered to @p sink: on @p conn
 * (NULL: none) as @p as (NULL: the connection's principal). */
static void call_with_sink(samsa_broker_t *b, const uint8_t *frame, size_t len,
                           samsa_conn_t *conn,
                           const samsa_security_identity_t *as,
                           samsa_req_sink_fn sink, void *arg)
{
    /* The decoded request points into its frame, and an answer may come
     * after this returns: the request keeps a copy. */
    uint8_t *copy = malloc(len ? len : 1);
    samsa_req_t *req = copy ? req_new(b, copy, len) : NULL;
    samsa_security_identity_t *id =
        req && as ? samsa_arena_calloc(&req->arena, 1, sizeof(*id)) : NULL;
    if (id) {
        id->principal = samsa_req_cstr(req, samsa_str_from_cstr(as->principal));
        id->host = samsa_req_cstr(req, samsa_str_from_cstr(as->host));
    }
    if (!req || (as && (!id || !id->principal || !id->host))) {
        if (req) {
            samsa_arena_destroy(&req->arena);
            free(req);
        }
        free(copy);
        sink(arg, NULL);
        return;
    }
    memcpy(copy, frame, len);
    req->conn = conn;
    req->envelope = id;
    req->sink = sink;
    req->sink_arg = arg;
    if (len >= 2 && needs_connection((int16_t)(copy[0] << 8 | copy[1]))) {
        samsa_req_close(req);
        return;
    }
    dispatch(req, copy, len);
}

void samsa_broker_call(samsa_broker_t *b, const uint8_t *frame, size_t len,
                       samsa_req_sink_fn sink, void *arg)
{
    call_with_sink(b, frame, len, NULL, NULL, sink, arg);
}

void samsa_req_envelope_call(samsa_req_t *outer, const uint8_t *frame,
                             size_t len, const samsa_security_identity_t *as,
                             samsa_req_sink_fn sink, void *arg)
{
    /* The Envelope's connection: work done elsewhere (the admin worker)
     * comes back to its reactor, where the Envelope is answered. */
    call_with_sink(outer->broker, frame, len, outer->conn, as, sink, arg);
}
