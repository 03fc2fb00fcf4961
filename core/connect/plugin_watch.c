/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/plugin_watch.c - a connector's new .so version, loaded
 * without stopping the others (beyond Kafka Connect). One thread holds an
 * inotify descriptor watching each directory a source or sink plugin was
 * loaded from, for files written (IN_CLOSE_WRITE) or renamed into place
 * (IN_MOVED_TO, how a package upgrade replaces a file). Events are
 * gathered until the directory has been quiet for QUIET_MS, so a copy in
 * pieces is taken once, whole. Then, under w->admin as a REST write, each
 * connector whose plugin is that file gets the new version
 * (samsa_connect_reload_plugin) and, only if it did, its tasks restart on
 * it; a file that does not load leaves every connector running as it was.
 */
#include "connect/plugin_watch.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "connect/plugin_reload.h"
#include "connect/worker_int.h"
#include "util/log.h"

typedef struct samsa_connect_watch samsa_connect_watch_t;

#define MAX_DIRS 32
#define QUIET_MS 300

typedef struct watched {
    int wd;
    char dir[PATH_MAX];
} watched_t;

struct samsa_connect_watch {
    samsa_connect_t *w;
    int fd;
    watched_t dirs[MAX_DIRS];
    int ndirs;
    pthread_t thread;
    /* Changed files not acted on yet ("dir/name"), newest last. */
    char changed[MAX_DIRS][PATH_MAX];
    int nchanged;
};

/* The directory part of @p path ("." for a bare name). */
static void dir_of(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(out, len, ".");
    } else if (slash == path) {
        snprintf(out, len, "/");
    } else {
        snprintf(out, len, "%.*s", (int)(slash - path), path);
    }
}

static void watch_dir(samsa_connect_watch_t *cw, const char *dir)
{
    for (int i = 0; i < cw->ndirs; i++) {
        if (strcmp(cw->dirs[i].dir, dir) == 0) {
            return;
        }
    }
    if (cw->ndirs == MAX_DIRS) {
        samsa_log(SAMSA_LOG_WARN,
                  "connect: plugin directory %s not watched (more than %d)",
                  dir, MAX_DIRS);
        return;
    }
    int wd = inotify_add_watch(cw->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO);
    if (wd < 0) {
        samsa_log(SAMSA_LOG_WARN,
                  "connect: cannot watch plugin directory %s: %s (a new "
                  "version there loads on a connector's restart)",
                  dir, strerror(errno));
        return;
    }
    cw->dirs[cw->ndirs].wd = wd;
    snprintf(cw->dirs[cw->ndirs].dir, sizeof(cw->dirs[0].dir), "%s", dir);
    cw->ndirs++;
}

/* Remember that @p name in the directory of @p wd was replaced. */
static void note_change(samsa_connect_watch_t *cw, int wd, const char *name)
{
    for (int i = 0; i < cw->ndirs; i++) {
        if (cw->dirs[i].wd != wd) {
            continue;
        }
        char path[PATH_MAX];
        if (snprintf(path, sizeof(path), "%s/%s", cw->dirs[i].dir, name) >=
            (int)sizeof(path)) {
            return;
        }
        for (int j = 0; j < cw->nchanged; j++) {
            if (strcmp(cw->changed[j], path) == 0) {
                return;
            }
        }
        if (cw->nchanged < MAX_DIRS) {
            memcpy(cw->changed[cw->nchanged++], path, sizeof(path));
        }
    }
}

/* The plugin file of @p c, as "dir/name" the way note_change spells it. */
static bool uses(samsa_connect_t *w, const connector_t *c, const char *path)
{
    pthread_mutex_lock(&w->lock);
    const samsa_registry_entry_t *e = samsa_connect_newest(w, c->plugin);
    char dir[PATH_MAX], mine[2 * PATH_MAX + 2];
    dir_of(e->path, dir, sizeof(dir));
    const char *slash = strrchr(e->path, '/');
    snprintf(mine, sizeof(mine), "%s/%s", dir, slash ? slash + 1 : e->path);
    pthread_mutex_unlock(&w->lock);
    return strcmp(mine, path) == 0;
}

/* New versions for the connectors using @p path; restart those that got
 * one. */
static void act(samsa_connect_t *w, const char *path)
{
    pthread_mutex_lock(&w->admin);
    for (connector_t *c = w->connectors; c && !atomic_load(&w->stopping);
         c = c->next) {
        if (!uses(w, c, path)) {
            continue;
        }
        const samsa_registry_entry_t *before = c->plugin;
        samsa_connect_reload_plugin(w, c);
        if (c->plugin != before) {
            samsa_log(SAMSA_LOG_INFO,
                      "connect: %s: restarting its tasks on the new %s",
                      c->name, path);
            samsa_connect_restart_local(w, c);
        }
    }
    pthread_mutex_unlock(&w->admin);
}

static void *watch_main(void *arg)
{
    samsa_connect_watch_t *cw = arg;
    samsa_connect_t *w = cw->w;
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (!atomic_load(&w->stopping)) {
        struct pollfd pfd = {.fd = cw->fd, .events = POLLIN};
        int n = poll(&pfd, 1, cw->nchanged > 0 ? QUIET_MS : 250);
        if (n > 0) {
            ssize_t len = read(cw->fd, buf, sizeof(buf));
            for (ssize_t at = 0; len > 0 && at < len;) {
                const struct inotify_event *ev =
                    (const struct inotify_event *)(buf + at);
                if (ev->len > 0) {
                    note_change(cw, ev->wd, ev->name);
                }
                at += (ssize_t)sizeof(*ev) + ev->len;
            }
            continue; /* not quiet yet */
        }
        for (int i = 0; n == 0 && i < cw->nchanged; i++) {
            act(w, cw->changed[i]);
        }
        cw->nchanged = n == 0 ? 0 : cw->nchanged;
    }
    return NULL;
}

samsa_err_t samsa_connect_watch_start(samsa_connect_t *w)
{
    samsa_connect_watch_t *cw = calloc(1, sizeof(*cw));
    if (cw == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    cw->w = w;
    cw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (cw->fd < 0) {
        samsa_log(SAMSA_LOG_WARN,
                  "connect: cannot watch the plugin directories: %s (a new "
                  "version loads on a connector's restart)",
                  strerror(errno));
        free(cw);
        return SAMSA_OK;
    }
    for (size_t i = 0; i < samsa_registry_count(w->reg); i++) {
        const samsa_registry_entry_t *e = samsa_registry_at(w->reg, i);
        if (e->inited &&
            (e->kind == SAMSA_KIND_SOURCE || e->kind == SAMSA_KIND_SINK)) {
            char dir[PATH_MAX];
            dir_of(e->path, dir, sizeof(dir));
            watch_dir(cw, dir);
        }
    }
    bool none = cw->ndirs == 0;
    if (none || pthread_create(&cw->thread, NULL, watch_main, cw) != 0) {
        close(cw->fd);
        free(cw);
        return none ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    w->watch = cw;
    return SAMSA_OK;
}

void samsa_connect_watch_stop(samsa_connect_t *w)
{
    samsa_connect_watch_t *cw = w->watch;
    if (cw == NULL) {
        return;
    }
    pthread_join(cw->thread, NULL); /* it sees w->stopping */
    close(cw->fd);
    free(cw);
    w->watch = NULL;
}
