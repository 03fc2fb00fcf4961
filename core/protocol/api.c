/* SPDX-License-Identifier: Apache-2.0 */
/* core/protocol/api.c - see api.h. */
#include "protocol/api.h"

#include "protocol/generated/messages.h"

const samsa_api_info_t *samsa_api_lookup(int16_t api_key)
{
    if (api_key < 0 || api_key >= SAMSA_API_COUNT) {
        return NULL;
    }
    return &samsa_api_table[api_key];
}

bool samsa_api_version_valid(int16_t api_key, int16_t version)
{
    const samsa_api_info_t *api = samsa_api_lookup(api_key);
    return api && version >= api->min_version && version <= api->max_version;
}

int samsa_api_request_header_version(int16_t api_key, int16_t version)
{
    const samsa_api_info_t *api = samsa_api_lookup(api_key);
    if (!api) {
        return -1;
    }
    if (api_key == SAMSA_API_CONTROLLED_SHUTDOWN && version == 0) {
        return 0;
    }
    return version >= api->first_flexible ? 2 : 1;
}

int samsa_api_response_header_version(int16_t api_key, int16_t version)
{
    const samsa_api_info_t *api = samsa_api_lookup(api_key);
    if (!api) {
        return -1;
    }
    if (api_key == SAMSA_API_API_VERSIONS) {
        return 0; /* KIP-511: the error code sits at a fixed offset */
    }
    return version >= api->first_flexible ? 1 : 0;
}

static samsa_err_t decode_any(const samsa_msg_desc_t *d, int16_t version,
                              samsa_rbuf_t *rb, samsa_arena_t *arena,
                              void **out)
{
    *out = NULL;
    if (!d) {
        return SAMSA_ERR_UNSUPPORTED_VERSION;
    }
    void *msg = samsa_arena_alloc(arena, d->body->size);
    if (!msg) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = samsa_msg_decode(d, rb, version, arena, msg);
    if (err == SAMSA_OK) {
        *out = msg;
    }
    return err;
}

samsa_err_t samsa_request_decode(int16_t api_key, int16_t version,
                                 samsa_rbuf_t *rb, samsa_arena_t *arena,
                                 void **out)
{
    const samsa_api_info_t *api = samsa_api_lookup(api_key);
    return decode_any(api ? api->request : NULL, version, rb, arena, out);
}

samsa_err_t samsa_response_decode(int16_t api_key, int16_t version,
                                  samsa_rbuf_t *rb, samsa_arena_t *arena,
                                  void **out)
{
    const samsa_api_info_t *api = samsa_api_lookup(api_key);
    return decode_any(api ? api->response : NULL, version, rb, arena, out);
}

samsa_err_t samsa_request_encode(int16_t api_key, int16_t version,
                                 samsa_iobuf_t *out, const void *msg)
{
    const samsa_api_info_t *api = samsa_api_lookup(api_key);
    return api ? samsa_msg_encode(api->request, out, version, msg)
               : SAMSA_ERR_UNSUPPORTED_VERSION;
}

samsa_err_t samsa_response_encode(int16_t api_key, int16_t version,
                                  samsa_iobuf_t *out, const void *msg)
{
    const samsa_api_info_t *api = samsa_api_lookup(api_key);
    return api ? samsa_msg_encode(api->response, out, version, msg)
               : SAMSA_ERR_UNSUPPORTED_VERSION;
}
