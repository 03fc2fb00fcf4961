/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/handle_sasl.c - SaslHandshake (v0, v1) and SaslAuthenticate
 * (v0-v2), and the bare tokens that follow a v0 handshake; the state
 * machine they drive is core/security/auth.c.
 */
#include <string.h>

#include "broker/handlers.h"
#include "protocol/header.h"
#include "security/auth.h"

void samsa_handle_sasl_handshake(samsa_req_t *req)
{
    samsa_broker_t *b = req->broker;
    samsa_SaslHandshakeRequest_t *hreq = req->body;
    samsa_SaslHandshakeResponse_t *resp = samsa_req_alloc(req, sizeof(*resp));
    samsa_SaslHandshakeResponse_init(resp);
    samsa_auth_t *auth = samsa_conn_get_auth(req->conn);
    size_t n = samsa_security_mechanism_count(b->security), offered = 0;
    for (size_t i = 0; i < n; i++) {
        offered +=
            samsa_auth_offers(auth, samsa_security_mechanism(b->security, i));
    }
    SAMSA_REQ_ARRAY(req, resp->Mechanisms, offered);
    for (size_t i = 0, j = 0; i < n; i++) {
        const char *m = samsa_security_mechanism(b->security, i);
        if (samsa_auth_offers(auth, m)) {
            resp->Mechanisms.items[j++] = samsa_req_str(req, m);
        }
    }
    resp->ErrorCode = (int16_t)samsa_auth_handshake(
        auth, samsa_req_cstr(req, hreq->Mechanism), req->api_version,
        req->client_id.len >= 0 ? samsa_req_cstr(req, req->client_id) : NULL);
    samsa_req_respond(req, resp);
}

void samsa_handle_sasl_authenticate(samsa_req_t *req)
{
    samsa_SaslAuthenticateRequest_t *areq = req->body;
    samsa_SaslAuthenticateResponse_t *resp =
        samsa_req_alloc(req, sizeof(*resp));
    samsa_SaslAuthenticateResponse_init(resp);
    samsa_auth_t *auth = samsa_conn_get_auth(req->conn);
    void *out = NULL;
    size_t out_len = 0;
    samsa_err_t err = samsa_auth_step(
        auth, areq->AuthBytes.ptr,
        areq->AuthBytes.len > 0 ? (size_t)areq->AuthBytes.len : 0, &out,
        &out_len);
    resp->ErrorCode = (int16_t)err;
    resp->SessionLifetimeMs =
        err == SAMSA_OK && samsa_auth_state(auth) == SAMSA_AUTH_AUTHENTICATED
            ? samsa_auth_session_lifetime_ms(auth)
            : 0;
    resp->AuthBytes = (samsa_bytes_t){(const uint8_t *)"", 0};
    if (out_len > 0) {
        uint8_t *copy = samsa_req_alloc(req, out_len);
        if (copy) {
            memcpy(copy, out, out_len);
            resp->AuthBytes = (samsa_bytes_t){copy, (int32_t)out_len};
        }
    }
    samsa_auth_token_free(out);
    if (err != SAMSA_OK) {
        /* The mechanism's reason when it gives one (an expired token),
         * else Kafka's words; the details stay in the broker's log. */
        const char *why = samsa_auth_failure_reason(auth);
        resp->ErrorMessage = samsa_req_str(
            req, why ? why
                 : err == SAMSA_ERR_SASL_AUTHENTICATION_FAILED
                     ? "Authentication failed: Invalid username or password"
                     : "Illegal SASL state or malformed token");
        resp->AuthBytes = (samsa_bytes_t){(const uint8_t *)"", 0};
        samsa_conn_t *conn = req->conn;
        samsa_req_respond(req, resp);
        samsa_conn_close_after_flush(conn);
        return;
    }
    samsa_req_respond(req, resp);
}

void samsa_broker_raw_sasl_token(samsa_conn_t *conn, samsa_slot_t *slot,
                                 uint8_t *frame, size_t len)
{
    samsa_auth_t *auth = samsa_conn_get_auth(conn);
    void *out = NULL;
    size_t out_len = 0, mark;
    samsa_err_t err = samsa_auth_step(auth, frame, len, &out, &out_len);
    samsa_frame_free(frame);
    samsa_iobuf_t resp;
    samsa_iobuf_init(&resp);
    if (err == SAMSA_OK) {
        err = samsa_frame_begin(&resp, &mark);
    }
    if (err == SAMSA_OK && out_len > 0) {
        err = samsa_iobuf_write(&resp, out, out_len);
    }
    if (err == SAMSA_OK) {
        err = samsa_frame_end(&resp, mark);
    }
    samsa_auth_token_free(out);
    if (err != SAMSA_OK) {
        /* A v0 exchange has no error frame: Kafka closes. */
        samsa_iobuf_clear(&resp);
        samsa_conn_close(conn);
        samsa_slot_complete_none(slot);
        return;
    }
    samsa_slot_complete(slot, &resp);
    samsa_iobuf_clear(&resp);
}
