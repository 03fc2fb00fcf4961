/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/util/iobuf.h - an output chain of memory and file chunks.
 *
 * A response is encoded into an iobuf: small writes go to owned memory
 * chunks; record data can be referenced without copying, either as a file
 * range (sent with sendfile) or as borrowed memory with a release callback.
 * The network layer drains the chain with writev/sendfile.
 *
 * Owner: whoever initialised it; one thread at a time.
 */
#ifndef SAMSA_IOBUF_H
#define SAMSA_IOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <samsa/errors.h>

typedef void (*samsa_iobuf_release_fn)(void *arg);

typedef enum samsa_iobuf_kind {
    SAMSA_IOBUF_MEM = 1,  /* owned heap memory */
    SAMSA_IOBUF_REF = 2,  /* borrowed memory, released by callback */
    SAMSA_IOBUF_FILE = 3, /* file range, released by callback */
} samsa_iobuf_kind_t;

typedef struct samsa_iobuf_chunk {
    samsa_iobuf_kind_t kind;
    int fd;                         /* FILE */
    off_t pos;                      /* FILE: file offset of the next byte */
    uint8_t *data;                  /* MEM/REF: next byte */
    size_t len;                     /* bytes still to send */
    size_t cap;                     /* MEM: allocated bytes after data */
    uint8_t *base;                  /* MEM: allocation to free */
    samsa_iobuf_release_fn release; /* REF/FILE: called once when done */
    void *release_arg;
} samsa_iobuf_chunk_t;

typedef struct samsa_iobuf {
    samsa_iobuf_chunk_t *chunks;
    size_t count;     /* chunks in use */
    size_t cap;       /* chunks allocated */
    size_t head;      /* first chunk not fully sent */
    size_t len;       /* bytes not yet sent */
    bool prefer_copy; /* send FILE chunks with pread+write, not sendfile */
} samsa_iobuf_t;

void samsa_iobuf_init(samsa_iobuf_t *b);
/* Release every chunk (calling release callbacks) and reset to empty. */
void samsa_iobuf_clear(samsa_iobuf_t *b);

static inline size_t samsa_iobuf_len(const samsa_iobuf_t *b)
{
    return b->len;
}

/* Append n bytes of owned memory; returns a pointer to fill, NULL on ENOMEM. */
uint8_t *samsa_iobuf_reserve(samsa_iobuf_t *b, size_t n);
samsa_err_t samsa_iobuf_write(samsa_iobuf_t *b, const void *p, size_t n);
/* Borrowed memory: release(arg) runs once the bytes are sent or dropped. */
samsa_err_t samsa_iobuf_append_ref(samsa_iobuf_t *b, const void *p, size_t n,
                                   samsa_iobuf_release_fn release, void *arg);
/* A file range: release(arg) runs once it is sent or dropped. */
samsa_err_t samsa_iobuf_append_file(samsa_iobuf_t *b, int fd, off_t pos,
                                    size_t n, samsa_iobuf_release_fn release,
                                    void *arg);

/* Overwrite 4 bytes at absolute offset off (counted from the start of what
 * has been appended and not yet sent) with v big-endian. The bytes must lie
 * in MEM chunks. Used for size prefixes written before the body. */
samsa_err_t samsa_iobuf_patch_be32(samsa_iobuf_t *b, size_t off, uint32_t v);

/* Copy everything unsent into one contiguous heap buffer (tests, TLS, the
 * client). *out is malloc'd; the iobuf is unchanged. */
samsa_err_t samsa_iobuf_flatten(const samsa_iobuf_t *b, uint8_t **out,
                                size_t *len);

struct ssl_st;

/* Send as much as the socket takes without blocking: the one send path.
 * Plain TCP sends memory with writev and file ranges with sendfile (or
 * pread+write with prefer_copy); with @p tls (an OpenSSL SSL on @p sock)
 * everything is gathered into a buffer and SSL_write'n, since sendfile
 * cannot encrypt. Returns bytes sent (>= 0), or -1 with errno set (EAGAIN
 * is not an error: returns 0; with TLS, SSL_want() says whether the
 * connection waits to read or to write). */
ssize_t samsa_iobuf_send(samsa_iobuf_t *b, int sock, struct ssl_st *tls);

#endif /* SAMSA_IOBUF_H */
