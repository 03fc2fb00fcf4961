/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/embed.c - the worker driven from inside the process (the
 * SDK's test kit) instead of through REST: create a connector, read its
 * tasks' states, see what a sink's put() was given. Same table, same
 * locks and same samsa_connect_put() as the REST handlers in rest.c.
 */
#include <stdio.h>
#include <string.h>

#include "connect/worker_int.h"

void samsa_connect_observe_puts(samsa_connect_t *w,
                                samsa_connect_put_observer_t fn, void *ctx)
{
    w->put_observer = fn;
    w->put_observer_ctx = ctx;
}

bool samsa_connect_ready(samsa_connect_t *w)
{
    pthread_mutex_lock(&w->lock);
    bool ready = w->ready;
    pthread_mutex_unlock(&w->lock);
    return ready;
}

samsa_err_t samsa_connect_apply(samsa_connect_t *w, const char *name,
                                json_t *config, char *errbuf, size_t errlen)
{
    json_t *copy = json_copy(config);
    if (copy == NULL || json_object_set_new(copy, "name", json_string(name))) {
        json_decref(copy);
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_lock(&w->admin);
    samsa_err_t err = SAMSA_ERR_AGAIN;
    if (samsa_connect_ready(w)) {
        bool created = false;
        err = samsa_connect_put(w, name, copy, &created, errbuf, errlen);
    } else {
        snprintf(errbuf, errlen, "the Connect worker is not ready yet");
    }
    pthread_mutex_unlock(&w->admin);
    json_decref(copy);
    return err;
}

samsa_err_t samsa_connect_task_states(samsa_connect_t *w, const char *name,
                                      int *running, bool *failed, char *trace,
                                      size_t tracelen)
{
    *running = 0;
    *failed = false;
    pthread_mutex_lock(&w->lock);
    connector_t *c = samsa_connect_find(w, name);
    for (int i = 0; c != NULL && i < c->ntasks; i++) {
        const connect_task_t *t = &c->tasks[i];
        if (strcmp(t->state, "RUNNING") == 0) {
            (*running)++;
        } else if (strcmp(t->state, "FAILED") == 0 && !*failed) {
            *failed = true;
            snprintf(trace, tracelen, "task %d: %s", (int)t->id,
                     t->trace ? t->trace : "failed");
        }
    }
    pthread_mutex_unlock(&w->lock);
    return c != NULL ? SAMSA_OK : SAMSA_ERR_NOT_FOUND;
}
