/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metadata/mdrec_codec.h - writing and reading the body of a metadata
 * record (image.h's "u8 format, u8 type, body", the protocol's big-endian
 * encoding), for image.c and image_security.c.
 *
 * Decoding never fails half-way silently: every read checks what is left
 * and the first failure sticks in d->err (later reads return zeroes and
 * NULLs), so a decoder reads every field and checks once at the end.
 */
#ifndef SAMSA_METADATA_MDREC_CODEC_H
#define SAMSA_METADATA_MDREC_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "metadata/image.h"
#include "protocol/buf.h"
#include "util/iobuf.h"

typedef struct samsa_mdenc {
    samsa_iobuf_t io;
    samsa_wbuf_t w;
} samsa_mdenc_t;

/* Start a record of @p type; add fields with samsa_wbuf_* on e->w. */
void samsa_mdenc_start(samsa_mdenc_t *e, int type);
/* A nullable string (NULL: null). */
void samsa_mdenc_str(samsa_mdenc_t *e, const char *s);
/* The record, malloc'd, in *out; the encoder is cleared. */
samsa_err_t samsa_mdenc_finish(samsa_mdenc_t *e, samsa_meta_rec_t *out);

typedef struct samsa_mddec {
    samsa_rbuf_t rb;
    samsa_err_t err;
} samsa_mddec_t;

int8_t samsa_mddec_i8(samsa_mddec_t *d);
int32_t samsa_mddec_i32(samsa_mddec_t *d);
int64_t samsa_mddec_i64(samsa_mddec_t *d);
void samsa_mddec_raw(samsa_mddec_t *d, void *dst, size_t n);
/* A malloc'd C string, or NULL for a null string (or on error). */
char *samsa_mddec_str(samsa_mddec_t *d);

#endif /* SAMSA_METADATA_MDREC_CODEC_H */
