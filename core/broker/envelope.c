/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/envelope.c - see envelope.h. */
#include "broker/envelope.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/generated/messages.h"
#include "protocol/header.h"
#include "security/auth.h"

#define PRINCIPAL_VERSION 0

samsa_err_t samsa_envelope_principal_write(const char *principal,
                                           samsa_arena_t *arena,
                                           samsa_bytes_t *out)
{
    const char *colon = strchr(principal, ':');
    samsa_DefaultPrincipalData_t d;
    samsa_DefaultPrincipalData_init(&d);
    d.Type = (samsa_str_t){principal, colon ? (int32_t)(colon - principal) : 4};
    d.Name = samsa_str_from_cstr(colon ? colon + 1 : principal);
    if (!colon) {
        d.Type = samsa_str_from_cstr("User");
    }
    samsa_iobuf_t io;
    samsa_iobuf_init(&io);
    uint8_t version[2] = {0, PRINCIPAL_VERSION};
    uint8_t *flat = NULL;
    size_t len = 0;
    samsa_err_t err = samsa_iobuf_write(&io, version, sizeof(version));
    if (err == SAMSA_OK) {
        err = samsa_DefaultPrincipalData_encode(&io, PRINCIPAL_VERSION, &d);
    }
    if (err == SAMSA_OK) {
        err = samsa_iobuf_flatten(&io, &flat, &len);
    }
    samsa_iobuf_clear(&io);
    uint8_t *copy = err == SAMSA_OK ? samsa_arena_alloc(arena, len) : NULL;
    if (err == SAMSA_OK && !copy) {
        err = SAMSA_ERR_NOMEM;
    }
    if (copy) {
        memcpy(copy, flat, len);
        *out = (samsa_bytes_t){copy, (int32_t)len};
    }
    free(flat);
    return err;
}

samsa_err_t samsa_envelope_principal_read(samsa_bytes_t in, char *buf,
                                          size_t len)
{
    if (in.len < 2) {
        return SAMSA_ERR_CORRUPT;
    }
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, in.ptr, (size_t)in.len);
    int16_t version = -1;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_DefaultPrincipalData_t d;
    samsa_err_t err = samsa_rbuf_read_i16(&rb, &version);
    if (err == SAMSA_OK && version != PRINCIPAL_VERSION) {
        err = SAMSA_ERR_CORRUPT;
    }
    if (err == SAMSA_OK) {
        err = samsa_DefaultPrincipalData_decode(&rb, PRINCIPAL_VERSION, &arena,
                                                &d);
    }
    if (err == SAMSA_OK &&
        (d.Type.len <= 0 || d.Name.len < 0 ||
         (size_t)snprintf(buf, len, "%.*s:%.*s", (int)d.Type.len, d.Type.ptr,
                          (int)d.Name.len, d.Name.ptr) >= len)) {
        err = SAMSA_ERR_CORRUPT;
    }
    samsa_arena_destroy(&arena);
    return err == SAMSA_OK ? SAMSA_OK : SAMSA_ERR_CORRUPT;
}

/* The client's address as its 4 or 16 bytes, from "host:port" or
 * "[v6]:port". */
static samsa_err_t address_of(const char *peer, samsa_arena_t *arena,
                              samsa_bytes_t *out)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    if (peer[0] == '[' && n >= 2) {
        peer++;
        n -= 2;
    }
    snprintf(host, sizeof(host), "%.*s", (int)n, peer);
    uint8_t *a = samsa_arena_alloc(arena, 16);
    if (!a) {
        return SAMSA_ERR_NOMEM;
    }
    if (inet_pton(AF_INET, host, a) == 1) {
        *out = (samsa_bytes_t){a, 4};
    } else if (inet_pton(AF_INET6, host, a) == 1) {
        *out = (samsa_bytes_t){a, 16};
    } else {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    return SAMSA_OK;
}

samsa_err_t samsa_envelope_forward(samsa_client_t *c, samsa_req_t *req,
                                   void **resp, samsa_err_t *refused)
{
    *resp = NULL;
    *refused = SAMSA_OK;
    if (samsa_client_api_version(c, SAMSA_NODE_ANY, SAMSA_API_ENVELOPE) < 0) {
        return SAMSA_ERR_UNSUPPORTED_VERSION;
    }
    const samsa_auth_t *auth = samsa_conn_get_auth(req->conn);
    samsa_EnvelopeRequest_t env;
    samsa_EnvelopeRequest_init(&env);
    env.RequestData = (samsa_bytes_t){req->frame, (int32_t)req->frame_len};
    samsa_err_t err = samsa_envelope_principal_write(
        auth ? samsa_auth_principal(auth) : "User:ANONYMOUS", &req->arena,
        &env.RequestPrincipal);
    if (err == SAMSA_OK) {
        err = address_of(samsa_conn_peer(req->conn), &req->arena,
                         &env.ClientHostAddress);
    }
    void *out = NULL;
    if (err == SAMSA_OK) {
        err = samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_ENVELOPE, &env,
                                &req->arena, &out, NULL);
    }
    const samsa_EnvelopeResponse_t *r = out;
    if (err == SAMSA_OK && r->ErrorCode != 0) {
        *refused = (samsa_err_t)r->ErrorCode;
        return SAMSA_OK;
    }
    if (err == SAMSA_OK && r->ResponseData.len < 0) {
        err = SAMSA_ERR_CORRUPT;
    }
    if (err != SAMSA_OK) {
        return err;
    }
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, r->ResponseData.ptr, (size_t)r->ResponseData.len);
    int32_t corr = 0;
    err = samsa_resp_header_parse(&rb, req->api_key, req->api_version, &corr);
    if (err == SAMSA_OK) {
        err = samsa_response_decode(req->api_key, req->api_version, &rb,
                                    &req->arena, resp);
    }
    return err;
}
