/* SPDX-License-Identifier: Apache-2.0 */
/* core/util/iobuf.c - see iobuf.h. */
#include "util/iobuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define IOBUF_MIN_MEM 4096
/* Bytes gathered for one SSL_write: four full TLS records. */
#define IOBUF_TLS_GATHER 65536
#define IOBUF_MAX_IOV    64

void samsa_iobuf_init(samsa_iobuf_t *b)
{
    memset(b, 0, sizeof(*b));
}

static void chunk_release(samsa_iobuf_chunk_t *c)
{
    if (c->kind == SAMSA_IOBUF_MEM) {
        free(c->base);
    } else if (c->release) {
        c->release(c->release_arg);
    }
    c->release = NULL;
    c->base = NULL;
}

void samsa_iobuf_clear(samsa_iobuf_t *b)
{
    for (size_t i = b->head; i < b->count; i++) {
        chunk_release(&b->chunks[i]);
    }
    free(b->chunks);
    bool prefer_copy = b->prefer_copy;
    samsa_iobuf_init(b);
    b->prefer_copy = prefer_copy;
}

static samsa_iobuf_chunk_t *chunk_push(samsa_iobuf_t *b)
{
    if (b->count == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 8;
        samsa_iobuf_chunk_t *n = realloc(b->chunks, ncap * sizeof(*n));
        if (!n) {
            return NULL;
        }
        b->chunks = n;
        b->cap = ncap;
    }
    samsa_iobuf_chunk_t *c = &b->chunks[b->count++];
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    return c;
}

uint8_t *samsa_iobuf_reserve(samsa_iobuf_t *b, size_t n)
{
    samsa_iobuf_chunk_t *c =
        b->count > b->head ? &b->chunks[b->count - 1] : NULL;
    if (!c || c->kind != SAMSA_IOBUF_MEM || c->cap - c->len < n) {
        size_t cap = n > IOBUF_MIN_MEM ? n : IOBUF_MIN_MEM;
        /* Grow geometrically so many small writes stay in few chunks. */
        if (c && c->kind == SAMSA_IOBUF_MEM && c->cap * 2 > cap) {
            cap = c->cap * 2;
        }
        uint8_t *mem = malloc(cap);
        if (!mem) {
            return NULL;
        }
        c = chunk_push(b);
        if (!c) {
            free(mem);
            return NULL;
        }
        c->kind = SAMSA_IOBUF_MEM;
        c->base = c->data = mem;
        c->cap = cap;
    }
    uint8_t *p = c->data + c->len;
    c->len += n;
    b->len += n;
    return p;
}

samsa_err_t samsa_iobuf_write(samsa_iobuf_t *b, const void *p, size_t n)
{
    if (n == 0) {
        return SAMSA_OK;
    }
    uint8_t *dst = samsa_iobuf_reserve(b, n);
    if (!dst) {
        return SAMSA_ERR_NOMEM;
    }
    memcpy(dst, p, n);
    return SAMSA_OK;
}

samsa_err_t samsa_iobuf_append_ref(samsa_iobuf_t *b, const void *p, size_t n,
                                   samsa_iobuf_release_fn release, void *arg)
{
    samsa_iobuf_chunk_t *c = chunk_push(b);
    if (!c) {
        if (release) {
            release(arg);
        }
        return SAMSA_ERR_NOMEM;
    }
    c->kind = SAMSA_IOBUF_REF;
    c->data = (uint8_t *)p;
    c->len = n;
    c->release = release;
    c->release_arg = arg;
    b->len += n;
    return SAMSA_OK;
}

samsa_err_t samsa_iobuf_append_file(samsa_iobuf_t *b, int fd, off_t pos,
                                    size_t n, samsa_iobuf_release_fn release,
                                    void *arg)
{
    samsa_iobuf_chunk_t *c = chunk_push(b);
    if (!c) {
        if (release) {
            release(arg);
        }
        return SAMSA_ERR_NOMEM;
    }
    c->kind = SAMSA_IOBUF_FILE;
    c->fd = fd;
    c->pos = pos;
    c->len = n;
    c->release = release;
    c->release_arg = arg;
    b->len += n;
    return SAMSA_OK;
}

samsa_err_t samsa_iobuf_patch_be32(samsa_iobuf_t *b, size_t off, uint32_t v)
{
    uint8_t bytes[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
                        (uint8_t)(v >> 8), (uint8_t)v};
    size_t done = 0;
    for (size_t i = b->head; i < b->count && done < 4; i++) {
        samsa_iobuf_chunk_t *c = &b->chunks[i];
        if (off >= c->len) {
            off -= c->len;
            continue;
        }
        if (c->kind == SAMSA_IOBUF_FILE) {
            return SAMSA_ERR_INVAL;
        }
        while (done < 4 && off < c->len) {
            c->data[off++] = bytes[done++];
        }
        off = 0;
    }
    return done == 4 ? SAMSA_OK : SAMSA_ERR_INVAL;
}

samsa_err_t samsa_iobuf_flatten(const samsa_iobuf_t *b, uint8_t **out,
                                size_t *len)
{
    uint8_t *buf = malloc(b->len ? b->len : 1);
    if (!buf) {
        return SAMSA_ERR_NOMEM;
    }
    size_t at = 0;
    for (size_t i = b->head; i < b->count; i++) {
        const samsa_iobuf_chunk_t *c = &b->chunks[i];
        if (c->kind != SAMSA_IOBUF_FILE) {
            memcpy(buf + at, c->data, c->len);
            at += c->len;
            continue;
        }
        size_t got = 0;
        while (got < c->len) {
            ssize_t r =
                pread(c->fd, buf + at + got, c->len - got, c->pos + (off_t)got);
            if (r <= 0) {
                if (r < 0 && errno == EINTR) {
                    continue;
                }
                free(buf);
                return SAMSA_ERR_IO;
            }
            got += (size_t)r;
        }
        at += c->len;
    }
    *out = buf;
    *len = at;
    return SAMSA_OK;
}

/* Mark n bytes of the head chunks as sent, releasing finished chunks. */
static void consume(samsa_iobuf_t *b, size_t n)
{
    b->len -= n;
    while (n > 0 && b->head < b->count) {
        samsa_iobuf_chunk_t *c = &b->chunks[b->head];
        size_t take = n < c->len ? n : c->len;
        c->len -= take;
        if (c->kind == SAMSA_IOBUF_FILE) {
            c->pos += (off_t)take;
        } else {
            c->data += take;
            if (c->kind == SAMSA_IOBUF_MEM) {
                c->cap -= take;
            }
        }
        n -= take;
        if (c->len == 0) {
            chunk_release(c);
            b->head++;
        }
    }
    /* Skip empty chunks so the head always has bytes. */
    while (b->head < b->count && b->chunks[b->head].len == 0) {
        chunk_release(&b->chunks[b->head]);
        b->head++;
    }
    if (b->head == b->count) {
        b->head = b->count = 0;
    }
}

static ssize_t send_file_chunk(samsa_iobuf_t *b, samsa_iobuf_chunk_t *c,
                               int sock)
{
    if (!b->prefer_copy) {
        off_t pos = c->pos;
        ssize_t r = sendfile(sock, c->fd, &pos, c->len);
        if (r >= 0 || (errno != EINVAL && errno != ENOSYS)) {
            return r;
        }
    }
    uint8_t tmp[65536];
    size_t want = c->len < sizeof(tmp) ? c->len : sizeof(tmp);
    ssize_t r = pread(c->fd, tmp, want, c->pos);
    if (r <= 0) {
        if (r == 0) {
            errno = EIO; /* the file shrank under us */
        }
        return -1;
    }
    return write(sock, tmp, (size_t)r);
}

/* Copy up to @p cap unsent bytes from the head into @p dst (file ranges
 * with pread). Rebuilt from the same head, the bytes are the same, which is
 * what OpenSSL needs when a write that would block is retried. */
static ssize_t gather(const samsa_iobuf_t *b, uint8_t *dst, size_t cap)
{
    size_t n = 0;
    for (size_t i = b->head; i < b->count && n < cap; i++) {
        const samsa_iobuf_chunk_t *c = &b->chunks[i];
        size_t k = c->len < cap - n ? c->len : cap - n;
        if (c->kind != SAMSA_IOBUF_FILE) {
            memcpy(dst + n, c->data, k);
        } else {
            ssize_t r = pread(c->fd, dst + n, k, c->pos);
            if (r < 0 || (r == 0 && k > 0)) {
                if (r == 0) {
                    errno = EIO; /* the file shrank under us */
                }
                return -1;
            }
            k = (size_t)r;
            if (k < c->len) {
                n += k;
                break; /* short read: send what we have */
            }
        }
        n += k;
    }
    return (ssize_t)n;
}

/* TLS cannot use sendfile: encrypt from a gathered copy. */
static ssize_t send_tls(samsa_iobuf_t *b, SSL *tls)
{
    uint8_t tmp[IOBUF_TLS_GATHER];
    size_t total = 0;
    while (b->len > 0) {
        ssize_t n = gather(b, tmp, sizeof(tmp));
        if (n <= 0) {
            return -1;
        }
        ERR_clear_error();
        int r = SSL_write(tls, tmp, (int)n);
        if (r <= 0) {
            int e = SSL_get_error(tls, r);
            if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
                break; /* SSL_want() tells the caller which */
            }
            if (e != SSL_ERROR_SYSCALL || errno == 0) {
                errno = EPROTO;
            }
            return -1;
        }
        consume(b, (size_t)r);
        total += (size_t)r;
    }
    return (ssize_t)total;
}

ssize_t samsa_iobuf_send(samsa_iobuf_t *b, int sock, struct ssl_st *tls)
{
    if (tls) {
        return send_tls(b, tls);
    }
    size_t total = 0;
    while (b->len > 0) {
        samsa_iobuf_chunk_t *c = &b->chunks[b->head];
        ssize_t r;
        if (c->kind == SAMSA_IOBUF_FILE) {
            r = send_file_chunk(b, c, sock);
        } else {
            struct iovec iov[IOBUF_MAX_IOV];
            int n = 0;
            for (size_t i = b->head; i < b->count && n < IOBUF_MAX_IOV; i++) {
                samsa_iobuf_chunk_t *m = &b->chunks[i];
                if (m->kind == SAMSA_IOBUF_FILE) {
                    break;
                }
                if (m->len == 0) {
                    continue;
                }
                iov[n].iov_base = m->data;
                iov[n].iov_len = m->len;
                n++;
            }
            r = writev(sock, iov, n);
        }
        if (r < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            return -1;
        }
        if (r == 0) {
            break;
        }
        consume(b, (size_t)r);
        total += (size_t)r;
    }
    return (ssize_t)total;
}
