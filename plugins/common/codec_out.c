/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/common/codec_out.c - see codec_out.h. */
#include "codec_out.h"

#include <string.h>

void samsa_codec_collect_init(samsa_codec_collect_t *c,
                              const samsa_services_t *svc, size_t max,
                              size_t hint)
{
    *c = (samsa_codec_collect_t){.svc = svc, .max = max, .hint = hint};
}

/* Room for need bytes: double, at least the hint, never past max. */
static samsa_err_t reserve(samsa_codec_collect_t *c, size_t need)
{
    if (need <= c->cap) {
        return SAMSA_OK;
    }
    size_t next = c->cap ? c->cap : (c->hint > 4096 ? c->hint : 4096);
    while (next < need && next <= SIZE_MAX / 2) {
        next *= 2;
    }
    next = next < need ? need : next;
    next = next > c->max ? c->max : next;
    unsigned char *nb = c->svc->realloc(c->buf, next);
    if (nb == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    c->buf = nb;
    c->cap = next;
    return SAMSA_OK;
}

samsa_err_t samsa_codec_collect_piece(void *ctx, const void *piece, size_t len)
{
    samsa_codec_collect_t *c = ctx;
    if (len > c->max - c->len) {
        return SAMSA_ERR_TOO_LARGE;
    }
    samsa_err_t err = reserve(c, c->len + len);
    if (err != SAMSA_OK) {
        return err;
    }
    memcpy(c->buf + c->len, piece, len);
    c->len += len;
    return SAMSA_OK;
}

samsa_err_t samsa_codec_collect_finish(samsa_codec_collect_t *c,
                                       samsa_err_t err, void **out,
                                       size_t *out_len)
{
    if (err == SAMSA_OK && c->buf == NULL) {
        c->buf = c->svc->alloc(1);
        err = c->buf ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    if (err != SAMSA_OK) {
        c->svc->free(c->buf);
        c->buf = NULL;
        return err;
    }
    *out = c->buf;
    *out_len = c->len;
    c->buf = NULL;
    return SAMSA_OK;
}

samsa_err_t samsa_codec_decompress_whole(samsa_codec_stream_fn stream,
                                         void *state,
                                         const samsa_services_t *svc,
                                         const void *in, size_t in_len,
                                         size_t max_out, size_t hint,
                                         void **out, size_t *out_len)
{
    samsa_codec_collect_t c;
    samsa_codec_collect_init(&c, svc, max_out, hint);
    samsa_err_t err =
        stream(state, in, in_len, max_out, samsa_codec_collect_piece, &c);
    return samsa_codec_collect_finish(&c, err, out, out_len);
}
