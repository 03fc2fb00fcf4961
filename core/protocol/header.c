/* SPDX-License-Identifier: Apache-2.0 */
/* core/protocol/header.c - see header.h. */
#include "protocol/header.h"

#include "protocol/generated/messages.h"

/* Skip a tagged-field section (headers define no tags of their own). */
static samsa_err_t skip_tags(samsa_rbuf_t *rb)
{
    uint32_t n;
    samsa_err_t err = samsa_rbuf_read_uvarint(rb, &n);
    for (uint32_t i = 0; err == SAMSA_OK && i < n; i++) {
        uint32_t tag, size;
        err = samsa_rbuf_read_uvarint(rb, &tag);
        if (err == SAMSA_OK) {
            err = samsa_rbuf_read_uvarint(rb, &size);
        }
        if (err == SAMSA_OK) {
            err = samsa_rbuf_skip(rb, size);
        }
    }
    return err;
}

samsa_err_t samsa_req_header_parse(samsa_rbuf_t *rb, samsa_req_header_t *out)
{
    samsa_rbuf_t r = *rb;
    samsa_err_t err;
    out->client_id = SAMSA_STR_NULL;
    if ((err = samsa_rbuf_read_i16(&r, &out->api_key)) != SAMSA_OK ||
        (err = samsa_rbuf_read_i16(&r, &out->api_version)) != SAMSA_OK ||
        (err = samsa_rbuf_read_i32(&r, &out->correlation_id)) != SAMSA_OK) {
        return err;
    }
    out->api = samsa_api_lookup(out->api_key);
    out->version_supported = out->api &&
                             out->api_version >= out->api->min_version &&
                             out->api_version <= out->api->max_version;
    int hv = 1;
    if (out->version_supported) {
        hv = samsa_api_request_header_version(out->api_key, out->api_version);
    }
    out->header_version = (int16_t)hv;
    if (hv >= 1) {
        err = samsa_rbuf_read_str(&r, true, &out->client_id);
    }
    if (err == SAMSA_OK && hv >= 2) {
        err = skip_tags(&r);
    }
    if (err == SAMSA_OK) {
        *rb = r;
    }
    return err;
}

void samsa_req_header_write(samsa_wbuf_t *w, int16_t api_key,
                            int16_t api_version, int32_t correlation_id,
                            samsa_str_t client_id)
{
    int hv = samsa_api_request_header_version(api_key, api_version);
    samsa_wbuf_i16(w, api_key);
    samsa_wbuf_i16(w, api_version);
    samsa_wbuf_i32(w, correlation_id);
    if (hv != 0) {
        samsa_wbuf_str(w, false, client_id);
    }
    if (hv == 2) {
        samsa_wbuf_uvarint(w, 0);
    }
}

void samsa_resp_header_write(samsa_wbuf_t *w, int16_t api_key,
                             int16_t api_version, int32_t correlation_id)
{
    samsa_wbuf_i32(w, correlation_id);
    if (samsa_api_response_header_version(api_key, api_version) == 1) {
        samsa_wbuf_uvarint(w, 0);
    }
}

samsa_err_t samsa_resp_header_parse(samsa_rbuf_t *rb, int16_t api_key,
                                    int16_t api_version,
                                    int32_t *correlation_id)
{
    samsa_rbuf_t r = *rb;
    samsa_err_t err = samsa_rbuf_read_i32(&r, correlation_id);
    if (err == SAMSA_OK &&
        samsa_api_response_header_version(api_key, api_version) == 1) {
        err = skip_tags(&r);
    }
    if (err == SAMSA_OK) {
        *rb = r;
    }
    return err;
}

samsa_err_t samsa_frame_begin(samsa_iobuf_t *out, size_t *mark)
{
    *mark = samsa_iobuf_len(out);
    uint8_t *p = samsa_iobuf_reserve(out, 4);
    if (!p) {
        return SAMSA_ERR_NOMEM;
    }
    memset(p, 0, 4);
    return SAMSA_OK;
}

samsa_err_t samsa_frame_end(samsa_iobuf_t *out, size_t mark)
{
    size_t n = samsa_iobuf_len(out) - mark - 4;
    if (n > INT32_MAX) {
        return SAMSA_ERR_TOO_LARGE;
    }
    return samsa_iobuf_patch_be32(out, mark, (uint32_t)n);
}

/* Size prefix, header (a request's when @p client_id, else a response's),
 * body: the one frame writer of both directions. */
static samsa_err_t write_frame(samsa_iobuf_t *out, int16_t api_key,
                               int16_t api_version, int32_t correlation_id,
                               const samsa_str_t *client_id, const void *body)
{
    const samsa_api_info_t *api = samsa_api_lookup(api_key);
    if (!api) {
        return SAMSA_ERR_UNSUPPORTED_VERSION;
    }
    size_t mark;
    samsa_err_t err = samsa_frame_begin(out, &mark);
    if (err != SAMSA_OK) {
        return err;
    }
    samsa_wbuf_t w;
    samsa_wbuf_init(&w, out);
    if (client_id) {
        samsa_req_header_write(&w, api_key, api_version, correlation_id,
                               *client_id);
    } else {
        samsa_resp_header_write(&w, api_key, api_version, correlation_id);
    }
    err = samsa_msg_write(client_id ? api->request : api->response, &w,
                          api_version, body);
    samsa_err_t ferr = samsa_wbuf_flush(&w);
    if (err == SAMSA_OK) {
        err = ferr;
    }
    return err == SAMSA_OK ? samsa_frame_end(out, mark) : err;
}

samsa_err_t samsa_response_frame(samsa_iobuf_t *out, int16_t api_key,
                                 int16_t api_version, int32_t correlation_id,
                                 const void *body)
{
    return write_frame(out, api_key, api_version, correlation_id, NULL, body);
}

samsa_err_t samsa_request_frame(samsa_iobuf_t *out, int16_t api_key,
                                int16_t api_version, int32_t correlation_id,
                                samsa_str_t client_id, const void *body)
{
    return write_frame(out, api_key, api_version, correlation_id, &client_id,
                       body);
}
