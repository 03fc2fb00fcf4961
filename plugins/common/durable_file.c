/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/common/durable_file.c - see durable_file.h. */
#include "durable_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? errno : EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The rename is only durable once the directory entry is. */
static int fsync_dir_of(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    int rc = fsync(fd) == 0 ? 0 : errno;
    close(fd);
    return rc;
}

int samsa_file_replace(const char *path, const char *tmp, const void *data,
                       size_t len, bool durable)
{
    char tmpbuf[4200];
    if (!tmp) {
        int n = snprintf(tmpbuf, sizeof(tmpbuf), "%s.tmp", path);
        if (n < 0 || (size_t)n >= sizeof(tmpbuf)) {
            return ENAMETOOLONG;
        }
        tmp = tmpbuf;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return errno;
    }
    int rc = write_all(fd, data, len);
    if (rc == 0 && durable && fsync(fd) != 0) {
        rc = errno;
    }
    if (close(fd) != 0 && rc == 0) {
        rc = errno;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = errno;
    }
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    return durable ? fsync_dir_of(path) : 0;
}

typedef struct replace_batch {
    samsa_file_write_t *files;
    size_t n;
    atomic_size_t next;
} replace_batch_t;

static void *replace_worker(void *arg)
{
    replace_batch_t *b = arg;
    for (size_t i = atomic_fetch_add(&b->next, 1); i < b->n;
         i = atomic_fetch_add(&b->next, 1)) {
        samsa_file_write_t *f = &b->files[i];
        f->rc = samsa_file_replace(f->path, NULL, f->data, f->len, true);
    }
    return NULL;
}

void samsa_files_replace(samsa_file_write_t *files, size_t n)
{
    replace_batch_t b = {.files = files, .n = n};
    atomic_init(&b.next, 0);
    pthread_t threads[SAMSA_FILES_REPLACE_THREADS];
    size_t started = 0;
    size_t want =
        n < SAMSA_FILES_REPLACE_THREADS ? n : SAMSA_FILES_REPLACE_THREADS;
    /* This thread works too: the others are extra (none for one file, and
     * fewer when they cannot be started). */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    while (started + 1 < want &&
           pthread_create(&threads[started], &attr, replace_worker, &b) == 0) {
        started++;
    }
    pthread_attr_destroy(&attr);
    replace_worker(&b);
    for (size_t i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
    }
}
