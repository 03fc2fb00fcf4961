/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/protocol/api.h - the table of Kafka APIs and generic dispatch.
 *
 * samsa_api_table[k] describes API key k (0 .. SAMSA_API_COUNT-1, dense):
 * Kafka's valid version range, first flexible version, request/response
 * descriptors. The table is generated (generated/api_table.c) from the same
 * specs as the codecs. What the broker *advertises* is policy and lives in
 * the broker, not here.
 */
#ifndef SAMSA_PROTOCOL_API_H
#define SAMSA_PROTOCOL_API_H

#include <stdint.h>

#include "protocol/schema.h"

#define SAMSA_API_LISTENER_ZK_BROKER  0x01
#define SAMSA_API_LISTENER_BROKER     0x02
#define SAMSA_API_LISTENER_CONTROLLER 0x04

typedef struct samsa_api_info {
    int16_t api_key;
    const char *name;    /* "Metadata", "ApiVersions", ... */
    int16_t min_version; /* Kafka 3.8.0 validVersions */
    int16_t max_version;
    int16_t first_flexible; /* SAMSA_VER_NEVER if never flexible */
    int16_t deprecated_max; /* versions <= this are deprecated; -1 none */
    uint8_t listeners;      /* SAMSA_API_LISTENER_* */
    const samsa_msg_desc_t *request;
    const samsa_msg_desc_t *response;
} samsa_api_info_t;

extern const samsa_api_info_t samsa_api_table[]; /* SAMSA_API_COUNT long */

/* NULL for an API key Samsa's specs do not know. */
const samsa_api_info_t *samsa_api_lookup(int16_t api_key);

/* True if version is inside the API's valid range. */
bool samsa_api_version_valid(int16_t api_key, int16_t version);

/*
 * Header versions (Kafka's ApiMessageType.requestHeaderVersion /
 * responseHeaderVersion): request v2 for flexible versions else v1
 * (ControlledShutdown v0: v0); response v1 for flexible versions else v0,
 * except ApiVersions, always v0. -1 for an unknown API key.
 */
int samsa_api_request_header_version(int16_t api_key, int16_t version);
int samsa_api_response_header_version(int16_t api_key, int16_t version);

/*
 * Decode a request/response body by API key. *out is allocated from the
 * arena (cast it to the samsa_<Name>Request_t / _Response_t type).
 * SAMSA_ERR_UNSUPPORTED_VERSION for an unknown key or version.
 */
samsa_err_t samsa_request_decode(int16_t api_key, int16_t version,
                                 samsa_rbuf_t *rb, samsa_arena_t *arena,
                                 void **out);
samsa_err_t samsa_response_decode(int16_t api_key, int16_t version,
                                  samsa_rbuf_t *rb, samsa_arena_t *arena,
                                  void **out);
samsa_err_t samsa_request_encode(int16_t api_key, int16_t version,
                                 samsa_iobuf_t *out, const void *msg);
samsa_err_t samsa_response_encode(int16_t api_key, int16_t version,
                                  samsa_iobuf_t *out, const void *msg);

#endif /* SAMSA_PROTOCOL_API_H */
