/* SPDX-License-Identifier: Apache-2.0 */
/* core/metadata/mdrec_codec.c - see mdrec_codec.h. */
#include "metadata/mdrec_codec.h"

#include <stdlib.h>
#include <string.h>

void samsa_mdenc_start(samsa_mdenc_t *e, int type)
{
    samsa_iobuf_init(&e->io);
    samsa_wbuf_init(&e->w, &e->io);
    samsa_wbuf_i8(&e->w, SAMSA_MDREC_FORMAT);
    samsa_wbuf_i8(&e->w, (int8_t)type);
}

void samsa_mdenc_str(samsa_mdenc_t *e, const char *s)
{
    samsa_wbuf_str(&e->w, false, samsa_str_from_cstr(s));
}

samsa_err_t samsa_mdenc_finish(samsa_mdenc_t *e, samsa_meta_rec_t *out)
{
    samsa_err_t err = samsa_wbuf_flush(&e->w);
    out->p = NULL;
    out->len = 0;
    if (err == SAMSA_OK) {
        err = samsa_iobuf_flatten(&e->io, &out->p, &out->len);
    }
    samsa_iobuf_clear(&e->io);
    return err;
}

int8_t samsa_mddec_i8(samsa_mddec_t *d)
{
    int8_t v = 0;
    if (d->err == SAMSA_OK) {
        d->err = samsa_rbuf_read_i8(&d->rb, &v);
    }
    return v;
}

int32_t samsa_mddec_i32(samsa_mddec_t *d)
{
    int32_t v = 0;
    if (d->err == SAMSA_OK) {
        d->err = samsa_rbuf_read_i32(&d->rb, &v);
    }
    return v;
}

int64_t samsa_mddec_i64(samsa_mddec_t *d)
{
    int64_t v = 0;
    if (d->err == SAMSA_OK) {
        d->err = samsa_rbuf_read_i64(&d->rb, &v);
    }
    return v;
}

void samsa_mddec_raw(samsa_mddec_t *d, void *dst, size_t n)
{
    const uint8_t *p = NULL;
    if (d->err == SAMSA_OK) {
        d->err = samsa_rbuf_read_raw(&d->rb, n, &p);
    }
    if (d->err == SAMSA_OK) {
        memcpy(dst, p, n);
    }
}

char *samsa_mddec_str(samsa_mddec_t *d)
{
    samsa_str_t s = {0};
    if (d->err == SAMSA_OK) {
        d->err = samsa_rbuf_read_str(&d->rb, true, &s);
    }
    if (d->err != SAMSA_OK || s.len < 0) {
        return NULL;
    }
    char *c = strndup(s.ptr, (size_t)s.len);
    if (!c) {
        d->err = SAMSA_ERR_NOMEM;
    }
    return c;
}
