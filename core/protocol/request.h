/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/protocol/request.h - a request frame as the broker reads it: the
 * header (samsa_req_header_parse), the check that the broker serves that
 * API version, and the body decode. samsad's pipeline (core/broker/
 * request.c) and the fuzz target (tests/fuzz/fuzz_request.c) both call
 * this one function, so what is fuzzed is what the broker runs.
 */
#ifndef SAMSA_PROTOCOL_REQUEST_H
#define SAMSA_PROTOCOL_REQUEST_H

#include <stdbool.h>

#include "protocol/arena.h"
#include "protocol/header.h"

/* Whether the caller serves (api_key, api_version). */
typedef bool (*samsa_api_served_fn)(int16_t api_key, int16_t api_version);

typedef enum samsa_request_verdict {
    SAMSA_REQUEST_OK = 0,     /* *body decoded */
    SAMSA_REQUEST_BAD_HEADER, /* truncated or malformed header: close */
    SAMSA_REQUEST_UNSERVED,   /* API or version not served: close, except
                                 ApiVersions above v0 (KIP-511: answer
                                 UNSUPPORTED_VERSION in the v0 format) */
    SAMSA_REQUEST_BAD_BODY,   /* header fine, body does not decode: close */
} samsa_request_verdict_t;

/*
 * Parse the request @p frame (@p len bytes after the size prefix): the
 * header into *hdr (client id pointing into the frame), then, when
 * @p served accepts the version, the body into *body (allocated from
 * @p arena; cast to samsa_<Api>Request_t). *err gets the decode error for
 * BAD_HEADER and BAD_BODY. Any thread; the frame must outlive *hdr and
 * *body.
 */
samsa_request_verdict_t samsa_request_parse(const uint8_t *frame, size_t len,
                                            samsa_api_served_fn served,
                                            samsa_arena_t *arena,
                                            samsa_req_header_t *hdr,
                                            void **body, samsa_err_t *err);

#endif /* SAMSA_PROTOCOL_REQUEST_H */
