/* SPDX-License-Identifier: Apache-2.0 */
/* core/protocol/request.c - see request.h. */
#include "protocol/request.h"

samsa_request_verdict_t samsa_request_parse(const uint8_t *frame, size_t len,
                                            samsa_api_served_fn served,
                                            samsa_arena_t *arena,
                                            samsa_req_header_t *hdr,
                                            void **body, samsa_err_t *err)
{
    *body = NULL;
    *err = SAMSA_OK;
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, frame, len);
    *err = samsa_req_header_parse(&rb, hdr);
    if (*err != SAMSA_OK) {
        return SAMSA_REQUEST_BAD_HEADER;
    }
    /* A version Kafka does not define is never served, whatever @p served
     * says: its header version (and so its body's start) is unknown. */
    if (!hdr->version_supported || !served(hdr->api_key, hdr->api_version)) {
        return SAMSA_REQUEST_UNSERVED;
    }
    *err =
        samsa_request_decode(hdr->api_key, hdr->api_version, &rb, arena, body);
    return *err == SAMSA_OK ? SAMSA_REQUEST_OK : SAMSA_REQUEST_BAD_BODY;
}
