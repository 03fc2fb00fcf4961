/* SPDX-License-Identifier: Apache-2.0 */
/* core/registry/metrics.c - named atomic counters and gauges. */
#include "registry/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct samsa_metric {
    char *name;
    char *help;
    samsa_metric_kind_t kind;
    _Atomic int64_t value;
    const samsa_instance_t *owner;
    struct samsa_metric *next;
};

/* Process-wide, like the registry itself. */
static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static samsa_metric_t *metrics_head;
static samsa_metric_t **metrics_tail = &metrics_head;

static samsa_metric_t *find_locked(const char *name)
{
    for (samsa_metric_t *m = metrics_head; m != NULL; m = m->next) {
        if (strcmp(m->name, name) == 0) {
            return m;
        }
    }
    return NULL;
}

samsa_metric_t *samsa_metric_register(const samsa_instance_t *owner,
                                      const char *name,
                                      samsa_metric_kind_t kind,
                                      const char *help)
{
    char full[256];
    samsa_metric_t *m;

    if (name == NULL || name[0] == '\0' ||
        (kind != SAMSA_METRIC_COUNTER && kind != SAMSA_METRIC_GAUGE)) {
        return NULL;
    }
    if (owner != NULL && owner->name != NULL) {
        snprintf(full, sizeof(full), "%s.%s", owner->name, name);
    } else {
        snprintf(full, sizeof(full), "%s", name);
    }
    pthread_mutex_lock(&metrics_lock);
    m = find_locked(full);
    if (m != NULL) {
        pthread_mutex_unlock(&metrics_lock);
        return m->kind == kind ? m : NULL;
    }
    m = calloc(1, sizeof(*m));
    if (m != NULL) {
        m->name = strdup(full);
        m->help = strdup(help ? help : "");
        if (m->name == NULL || m->help == NULL) {
            free(m->name);
            free(m->help);
            free(m);
            m = NULL;
        }
    }
    if (m != NULL) {
        m->kind = kind;
        m->owner = owner;
        atomic_init(&m->value, 0);
        *metrics_tail = m;
        metrics_tail = &m->next;
    }
    pthread_mutex_unlock(&metrics_lock);
    return m;
}

void samsa_metric_add(samsa_metric_t *m, int64_t delta)
{
    if (m != NULL) {
        atomic_fetch_add_explicit(&m->value, delta, memory_order_relaxed);
    }
}

void samsa_metric_set(samsa_metric_t *m, int64_t value)
{
    if (m != NULL) {
        atomic_store_explicit(&m->value, value, memory_order_relaxed);
    }
}

int64_t samsa_metric_get(const samsa_metric_t *m)
{
    return m ? atomic_load_explicit(&((samsa_metric_t *)m)->value,
                                    memory_order_relaxed)
             : 0;
}

samsa_metric_t *samsa_metric_find(const char *full_name)
{
    samsa_metric_t *m;

    pthread_mutex_lock(&metrics_lock);
    m = find_locked(full_name);
    pthread_mutex_unlock(&metrics_lock);
    return m;
}

void samsa_metrics_foreach(void (*cb)(const char *name, const char *help,
                                      samsa_metric_kind_t kind, int64_t value,
                                      void *arg),
                           void *arg)
{
    pthread_mutex_lock(&metrics_lock);
    for (samsa_metric_t *m = metrics_head; m != NULL; m = m->next) {
        cb(m->name, m->help, m->kind, samsa_metric_get(m), arg);
    }
    pthread_mutex_unlock(&metrics_lock);
}

static void release_where(const samsa_instance_t *owner, int all)
{
    samsa_metric_t **pp = &metrics_head;

    pthread_mutex_lock(&metrics_lock);
    while (*pp != NULL) {
        samsa_metric_t *m = *pp;
        if (all || m->owner == owner) {
            *pp = m->next;
            free(m->name);
            free(m->help);
            free(m);
        } else {
            pp = &m->next;
        }
    }
    /* Re-find the tail after unlinking. */
    metrics_tail = &metrics_head;
    while (*metrics_tail != NULL) {
        metrics_tail = &(*metrics_tail)->next;
    }
    pthread_mutex_unlock(&metrics_lock);
}

void samsa_metrics_release_owner(const samsa_instance_t *owner)
{
    release_where(owner, 0);
}

void samsa_metrics_release_all(void)
{
    release_where(NULL, 1);
}
