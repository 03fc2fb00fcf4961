/* SPDX-License-Identifier: Apache-2.0 */
/* core/producer/pid_alloc.c - see pid_alloc.h. The file holds one line,
 * "next_block=<n>": every id below n may have been handed out. */
#include "producer/pid_alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable_file.h"

struct samsa_pid_alloc {
    pthread_mutex_t lock;
    char *path;
    int64_t block_size;
    int64_t next;  /* next id to hand out */
    int64_t limit; /* persisted: ids >= limit are not yet reserved */
};

static samsa_err_t load(samsa_pid_alloc_t *a, char *errbuf, size_t errlen)
{
    FILE *f = fopen(a->path, "r");
    if (!f) {
        if (errno == ENOENT) {
            return SAMSA_OK; /* first start: ids begin at 0 */
        }
        snprintf(errbuf, errlen, "%s: %s", a->path, strerror(errno));
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    int64_t v = -1;
    int n = fscanf(f, "next_block=%" SCNd64, &v);
    fclose(f);
    if (n != 1 || v < 0) {
        snprintf(errbuf, errlen,
                 "%s: damaged producer id block file (want "
                 "next_block=<n>); ids cannot be issued safely",
                 a->path);
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    a->next = a->limit = v;
    return SAMSA_OK;
}

samsa_err_t samsa_pid_alloc_open(const char *path, int64_t block_size,
                                 samsa_pid_alloc_t **out, char *errbuf,
                                 size_t errlen)
{
    samsa_pid_alloc_t *a = calloc(1, sizeof(*a));
    if (!a || !(a->path = strdup(path))) {
        free(a);
        return SAMSA_ERR_NOMEM;
    }
    a->block_size = block_size > 0 ? block_size : SAMSA_PID_BLOCK_SIZE;
    pthread_mutex_init(&a->lock, NULL);
    samsa_err_t err = load(a, errbuf, errlen);
    if (err != SAMSA_OK) {
        samsa_pid_alloc_close(a);
        return err;
    }
    *out = a;
    return SAMSA_OK;
}

void samsa_pid_alloc_close(samsa_pid_alloc_t *a)
{
    if (!a) {
        return;
    }
    pthread_mutex_destroy(&a->lock);
    free(a->path);
    free(a);
}

static samsa_err_t persist(const samsa_pid_alloc_t *a, int64_t limit)
{
    char text[64];
    int n = snprintf(text, sizeof(text), "next_block=%" PRId64 "\n", limit);
    return samsa_file_replace(a->path, NULL, text, (size_t)n, true) == 0
               ? SAMSA_OK
               : SAMSA_ERR_KAFKA_STORAGE_ERROR;
}

samsa_err_t samsa_pid_alloc_next(samsa_pid_alloc_t *a, int64_t *id)
{
    samsa_err_t err = SAMSA_OK;
    pthread_mutex_lock(&a->lock);
    if (a->next >= a->limit) {
        if (a->limit > INT64_MAX - a->block_size) {
            err = SAMSA_ERR_KAFKA_STORAGE_ERROR; /* id space exhausted */
        } else {
            err = persist(a, a->limit + a->block_size);
        }
        if (err == SAMSA_OK) {
            a->limit += a->block_size;
        }
    }
    if (err == SAMSA_OK) {
        *id = a->next++;
    }
    pthread_mutex_unlock(&a->lock);
    return err;
}

int64_t samsa_pid_alloc_peek(samsa_pid_alloc_t *a)
{
    pthread_mutex_lock(&a->lock);
    int64_t next = a->next;
    pthread_mutex_unlock(&a->lock);
    return next;
}

bool samsa_pid_alloc_issued(samsa_pid_alloc_t *a, int64_t id)
{
    pthread_mutex_lock(&a->lock);
    bool issued = id >= 0 && id < a->next;
    pthread_mutex_unlock(&a->lock);
    return issued;
}
