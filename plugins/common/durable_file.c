/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/common/durable_file.c - see durable_file.h. */
#include "durable_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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
