/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/plugin_reload.h - new versions of connector plugins,
 * loaded on a connector's restart when its .so file was replaced (see
 * plugin_reload.c). Owned by the worker; not for use outside core/connect.
 */
#ifndef SAMSA_CONNECT_PLUGIN_RELOAD_H
#define SAMSA_CONNECT_PLUGIN_RELOAD_H

#include "registry/registry.h"

typedef struct samsa_connect samsa_connect_t;
typedef struct samsa_connect_version samsa_connect_version_t;
struct connector;

/* The newest loaded version of plugin instance @p e (@p e itself unless
 * reloaded). w->lock held. */
const samsa_registry_entry_t *
samsa_connect_newest(const samsa_connect_t *w, const samsa_registry_entry_t *e);

/* If the .so of @p c's plugin was replaced since its newest version was
 * loaded, load the new file and make @p c use it (logs what it did, or
 * why not: @p c then keeps its version). Tasks already running keep the
 * version they started with (they hold their entry), so the caller
 * restarts them when c->plugin changed. With w->admin held; takes
 * w->lock itself. */
void samsa_connect_reload_plugin(samsa_connect_t *w, struct connector *c);

/* fini and unload every version loaded here: after all tasks stopped. */
void samsa_connect_versions_free(samsa_connect_t *w);

#endif /* SAMSA_CONNECT_PLUGIN_RELOAD_H */
