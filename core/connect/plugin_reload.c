/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/plugin_reload.c - a connector's new .so version, loaded
 * when the connector restarts (POST /connectors/NAME/restart) after its
 * plugin file was replaced, without stopping the other connectors: they
 * keep the version they run until they restart too. Versions stay loaded
 * until the worker is destroyed (a task of another connector may still
 * run one), which costs one mapping per reload.
 */
#include <stdlib.h>
#include <string.h>

#include "connect/plugin_reload.h"
#include "connect/worker_int.h"
#include "util/log.h"

struct samsa_connect_version {
    struct samsa_connect_version *next; /* older */
    samsa_registry_entry_t *e;
};

const samsa_registry_entry_t *
samsa_connect_newest(const samsa_connect_t *w, const samsa_registry_entry_t *e)
{
    for (const samsa_connect_version_t *v = w->versions; e && v; v = v->next) {
        if (strcmp(v->e->name, e->name) == 0) {
            return v->e;
        }
    }
    return e;
}

void samsa_connect_reload_plugin(samsa_connect_t *w, connector_t *c)
{
    pthread_mutex_lock(&w->lock);
    const samsa_registry_entry_t *now = samsa_connect_newest(w, c->plugin);
    pthread_mutex_unlock(&w->lock);
    if (!samsa_registry_file_changed(now)) {
        if (now != c->plugin) {
            /* Another connector loaded the new version already. */
            pthread_mutex_lock(&w->lock);
            c->plugin = now;
            pthread_mutex_unlock(&w->lock);
        }
        return;
    }
    char errbuf[1024] = "";
    samsa_registry_entry_t *e = NULL;
    samsa_connect_version_t *v = calloc(1, sizeof(*v));
    samsa_err_t err = v != NULL ? samsa_registry_reload(w->reg, now->name, &e,
                                                        errbuf, sizeof(errbuf))
                                : SAMSA_ERR_NOMEM;
    if (err == SAMSA_OK && e->kind != now->kind) {
        snprintf(errbuf, sizeof(errbuf), "the new %s is another kind of plugin",
                 now->path);
        err = SAMSA_ERR_CONFIG;
    }
    if (err != SAMSA_OK) {
        /* The connector goes on with the version it had. */
        samsa_log(SAMSA_LOG_ERROR,
                  "connect: %s: new version of %s not loaded: %s", c->name,
                  now->path, errbuf[0] ? errbuf : samsa_err_str(err));
        samsa_registry_release(e);
        free(v);
        return;
    }
    samsa_log(SAMSA_LOG_INFO, "connect: %s: loaded %s version %s (was %s)",
              c->name, e->path, e->desc.version ? e->desc.version : "?",
              now->desc.version ? now->desc.version : "?");
    pthread_mutex_lock(&w->lock);
    v->e = e;
    v->next = w->versions;
    w->versions = v;
    c->plugin = e;
    pthread_mutex_unlock(&w->lock);
}

void samsa_connect_versions_free(samsa_connect_t *w)
{
    while (w->versions != NULL) {
        samsa_connect_version_t *v = w->versions;
        w->versions = v->next;
        samsa_registry_release(v->e);
        free(v);
    }
}
