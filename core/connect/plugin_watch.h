/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/plugin_watch.h - watches the directories of the connector
 * plugins (inotify) and, when a plugin's .so file is replaced there,
 * loads the new version and restarts the connectors using that plugin on
 * it, and only those (see plugin_watch.c). Owned by the worker; not for
 * use outside core/connect.
 */
#ifndef SAMSA_CONNECT_PLUGIN_WATCH_H
#define SAMSA_CONNECT_PLUGIN_WATCH_H

#include "util/err.h"

typedef struct samsa_connect samsa_connect_t;

/* Start watching (a thread of its own). Without inotify (an error from
 * the kernel) the worker runs on, and a restart still loads a new
 * version; the reason is logged. */
samsa_err_t samsa_connect_watch_start(samsa_connect_t *w);
/* Stop the thread (w->stopping is set; before the tasks stop). */
void samsa_connect_watch_stop(samsa_connect_t *w);

#endif /* SAMSA_CONNECT_PLUGIN_WATCH_H */
