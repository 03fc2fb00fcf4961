/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/protocol/header.h - Kafka request/response headers and framing.
 *
 * Request header (RequestHeader.json): v0 = api key, api version,
 * correlation id; v1 adds ClientId (always an int16-length nullable string,
 * even in v2); v2 adds a tagged-field section. The version follows the API
 * version's flexibility (samsa_api_request_header_version). Response
 * header: v0 = correlation id, v1 adds tagged fields; ApiVersions responses
 * always use v0 (KIP-511).
 */
#ifndef SAMSA_PROTOCOL_HEADER_H
#define SAMSA_PROTOCOL_HEADER_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol/api.h"
#include "protocol/buf.h"

typedef struct samsa_req_header {
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    samsa_str_t client_id;       /* points into the frame; len -1 = null */
    int16_t header_version;      /* 0, 1 or 2: what was parsed */
    const samsa_api_info_t *api; /* NULL if the key is unknown */
    bool version_supported;      /* api && version within Kafka's valid range */
} samsa_req_header_t;

/*
 * Parse the header at the start of a request frame (the 4-byte size prefix
 * already stripped); rb is left at the body. Header version:
 *   - known API, valid version: by the API version's flexibility;
 *   - ApiVersions with a version this table does not know: v1, so the
 *     broker can still answer UNSUPPORTED_VERSION in the v0 format
 *     (KIP-511; the body is not parsed);
 *   - any other unknown key or version: v1 (enough to log the client id;
 *     the caller closes the connection as Kafka does).
 * Unknown tagged fields in a v2 header are skipped. Returns
 * SAMSA_ERR_PROTOCOL if the header itself is truncated or malformed.
 */
samsa_err_t samsa_req_header_parse(samsa_rbuf_t *rb, samsa_req_header_t *out);

/* Client side: write a request header of the right version. */
void samsa_req_header_write(samsa_wbuf_t *w, int16_t api_key,
                            int16_t api_version, int32_t correlation_id,
                            samsa_str_t client_id);

/* Write a response header for (api_key, api_version). */
void samsa_resp_header_write(samsa_wbuf_t *w, int16_t api_key,
                             int16_t api_version, int32_t correlation_id);

/* Client side: parse a response header; rb is left at the body. */
samsa_err_t samsa_resp_header_parse(samsa_rbuf_t *rb, int16_t api_key,
                                    int16_t api_version,
                                    int32_t *correlation_id);

/*
 * Framing helpers. samsa_frame_begin writes a 4-byte size placeholder and
 * returns its offset in *mark; samsa_frame_end patches it with the number of
 * bytes appended since (header + body, including encode_ext bytes).
 * The iobuf must not be drained (sent) between the two calls.
 */
samsa_err_t samsa_frame_begin(samsa_iobuf_t *out, size_t *mark);
samsa_err_t samsa_frame_end(samsa_iobuf_t *out, size_t mark);

/*
 * One call for a whole response frame: size, header, body.
 * body_desc is the response descriptor (api->response).
 */
samsa_err_t samsa_response_frame(samsa_iobuf_t *out, int16_t api_key,
                                 int16_t api_version, int32_t correlation_id,
                                 const void *body);
/* One call for a whole request frame (client side). */
samsa_err_t samsa_request_frame(samsa_iobuf_t *out, int16_t api_key,
                                int16_t api_version, int32_t correlation_id,
                                samsa_str_t client_id, const void *body);

#endif /* SAMSA_PROTOCOL_HEADER_H */
