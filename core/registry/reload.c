/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/registry/reload.c - hot reload of one instance: the manifests read
 * again, the instance's .so loaded from a private copy (dlopen caches by
 * path, and a file replaced under a loaded path is refused by nothing but
 * would come back as the old object) and init'ed beside the loaded one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/registry_int.h"

/* Copy what is left of @p in into @p out: copy_file_range, or read and
 * write where the kernel cannot (across file systems on some). */
static int copy_fd(int in, int out)
{
    ssize_t n;
    while ((n = copy_file_range(in, NULL, out, NULL, 1 << 20, 0)) > 0) {
    }
    if (n == 0) {
        return 0;
    }
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
        errno != EOPNOTSUPP) {
        return -1;
    }
    char buf[65536];
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                return -1;
            }
            off += w;
        }
    }
    return n < 0 ? -1 : 0;
}

samsa_err_t samsa_loader_copy_so(const samsa_registry_t *reg, const char *path,
                                 char *out, size_t outlen)
{
    if ((size_t)snprintf(out, outlen, "%s/.plugin-reload-XXXXXX.so",
                         reg->data_dir) >= outlen) {
        errno = ENAMETOOLONG;
        out[0] = '\0';
        return SAMSA_ERR_IO;
    }
    int in = open(path, O_RDONLY | O_CLOEXEC);
    int fd = in >= 0 ? mkstemps(out, 3) : -1;
    int rc = fd >= 0 ? copy_fd(in, fd) : -1;
    int saved = errno;
    if (fd >= 0 && close(fd) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (in >= 0) {
        close(in);
    }
    if (rc != 0) {
        if (fd >= 0) {
            unlink(out);
        }
        out[0] = '\0';
        errno = saved;
        return SAMSA_ERR_IO;
    }
    return SAMSA_OK;
}

bool samsa_registry_file_changed(const samsa_registry_entry_t *e)
{
    struct stat st;
    if (e == NULL || e->path == NULL || stat(e->path, &st) != 0) {
        return false; /* gone: keep what is loaded */
    }
    return (int64_t)st.st_dev != e->file_dev ||
           (int64_t)st.st_ino != e->file_ino ||
           (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec !=
               e->file_mtime_ns ||
           (int64_t)st.st_size != e->file_size;
}

samsa_err_t samsa_registry_reload(const samsa_registry_t *reg, const char *name,
                                  samsa_registry_entry_t **out, char *errbuf,
                                  size_t errbuf_size)
{
    samsa_registry_opts_t opts = {.conf_dir = reg->conf_dir,
                                  .plugin_dir = reg->plugin_dir,
                                  .data_dir = reg->data_dir};
    samsa_registry_t *tmp = NULL;
    samsa_registry_entry_t *e = NULL;
    size_t at = 0;
    *out = NULL;
    samsa_err_t rc = samsa_registry_new(&opts, &tmp, errbuf, errbuf_size);
    if (rc == SAMSA_OK) {
        rc = samsa_manifest_read_dir(tmp, errbuf, errbuf_size);
    }
    for (size_t i = 0; rc == SAMSA_OK && i < tmp->count; i++) {
        if (tmp->entries[i]->enabled &&
            strcmp(tmp->entries[i]->name, name) == 0) {
            e = tmp->entries[i];
            at = i;
        }
    }
    if (rc == SAMSA_OK && e == NULL) {
        snprintf(errbuf, errbuf_size,
                 "no enabled instance '%s' in the manifests of %s", name,
                 reg->conf_dir);
        rc = SAMSA_ERR_NOT_FOUND;
    }
    if (rc == SAMSA_OK) {
        e->load_copy = true;
        rc = samsa_loader_load(tmp, e, tmp->config_nodes[at], errbuf,
                               errbuf_size);
    }
    if (rc == SAMSA_OK) {
        /* reg's data dir: it outlives tmp. */
        rc = samsa_registry_entry_init(e, reg->data_dir, errbuf, errbuf_size);
    }
    if (rc == SAMSA_OK) {
        /* Take the entry out of tmp before freeing the rest. */
        memmove(&tmp->entries[at], &tmp->entries[at + 1],
                (tmp->count - at - 1) * sizeof(tmp->entries[0]));
        tmp->count--;
        *out = e;
    }
    if (tmp != NULL) {
        samsa_registry_free(tmp);
    }
    return rc;
}

void samsa_registry_release(samsa_registry_entry_t *e)
{
    if (e != NULL) {
        samsa_registry_entry_fini(e);
        samsa_registry_entry_free(e);
    }
}
