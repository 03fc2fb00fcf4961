/* SPDX-License-Identifier: Apache-2.0 */
/* core/util/dir_lock.c - see dir_lock.h. */
#include "util/dir_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The holder writes its pid right after taking the lock; a loser racing
 * that write may read an empty file, so it looks a few times. */
static long read_holder_pid(int fd)
{
    for (int i = 0; i < 20; i++) {
        char buf[32];
        ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n > 0) {
            buf[n] = '\0';
            char *end;
            long pid = strtol(buf, &end, 10);
            if (end != buf && pid > 0) {
                return pid;
            }
        }
        struct timespec ts = {.tv_nsec = 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

samsa_err_t samsa_dir_lock(const char *dir, int *fd, char *errbuf,
                           size_t errlen)
{
    char path[4096];
    *fd = -1;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        snprintf(errbuf, errlen, "cannot create data dir %s: %s", dir,
                 strerror(errno));
        return SAMSA_ERR_IO;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
                         SAMSA_DIR_LOCK_FILE) >= sizeof(path)) {
        snprintf(errbuf, errlen, "data dir path too long: %s", dir);
        return SAMSA_ERR_IO;
    }
    int lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lfd < 0) {
        snprintf(errbuf, errlen, "cannot open lock file %s: %s", path,
                 strerror(errno));
        return SAMSA_ERR_IO;
    }
    if (flock(lfd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        samsa_err_t err = SAMSA_ERR_IO;
        if (e == EWOULDBLOCK) {
            long pid = read_holder_pid(lfd);
            char who[48] = "another process";
            if (pid > 0) {
                snprintf(who, sizeof(who), "process %ld", pid);
            }
            snprintf(errbuf, errlen,
                     "data dir %s is in use by %s (it holds the lock on %s); "
                     "two brokers must never share a data dir: stop that one "
                     "or choose another --data-dir",
                     dir, who, path);
            err = SAMSA_ERR_AGAIN;
        } else {
            snprintf(errbuf, errlen, "cannot lock %s: %s", path, strerror(e));
        }
        close(lfd);
        return err;
    }
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(lfd, 0) < 0 || pwrite(lfd, pid, (size_t)n, 0) != n) {
        /* The lock is what matters; the pid only makes the message nicer. */
    }
    *fd = lfd;
    return SAMSA_OK;
}

samsa_err_t samsa_dir_check(const char *dir, char *errbuf, size_t errlen)
{
    struct stat st;
    if (stat(dir, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(errbuf, errlen,
                     "data dir %s exists and is not a directory", dir);
            return SAMSA_ERR_IO;
        }
        if (access(dir, W_OK | X_OK) != 0) {
            snprintf(errbuf, errlen, "data dir %s is not writable: %s", dir,
                     strerror(errno));
            return SAMSA_ERR_IO;
        }
        return SAMSA_OK;
    }
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", dir);
    const char *parent = dirname(copy);
    if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode) ||
        access(parent, W_OK | X_OK) != 0) {
        snprintf(errbuf, errlen,
                 "cannot create data dir %s: its parent %s is not a writable "
                 "directory",
                 dir, parent);
        return SAMSA_ERR_IO;
    }
    return SAMSA_OK;
}
