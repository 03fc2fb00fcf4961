/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metrics/registered.c - the metrics registered through the plugin
 * ABI's services (core/registry/metrics.c) in Prometheus form: a plugin's
 * "<instance>.<name>" becomes samsa_plugin_<name>{instance="<instance>"}
 * (counters get _total), a core metric "<name>" samsa_<name>. Families are
 * sorted so each is written once even when several instances share it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"
#include "metrics/prom.h"
#include "registry/metrics.h"

typedef struct plug_metric {
    char family[200];
    char instance[100];
    samsa_metric_kind_t kind;
    char help[200];
    int64_t value;
} plug_metric_t;

typedef struct plug_metrics {
    plug_metric_t *items;
    size_t count, cap;
    bool nomem;
} plug_metrics_t;

static void collect_metric(const char *name, const char *help,
                           samsa_metric_kind_t kind, int64_t value, void *arg)
{
    plug_metrics_t *pm = arg;
    if (pm->count == pm->cap) {
        size_t cap = pm->cap ? pm->cap * 2 : 64;
        plug_metric_t *n = realloc(pm->items, cap * sizeof(*n));
        if (!n) {
            pm->nomem = true;
            return;
        }
        pm->items = n;
        pm->cap = cap;
    }
    plug_metric_t *m = &pm->items[pm->count++];
    const char *dot = strchr(name, '.');
    char base[160];
    if (dot) {
        snprintf(m->instance, sizeof(m->instance), "%.*s", (int)(dot - name),
                 name);
        samsa_prom_sanitize(dot + 1, base, sizeof(base));
        snprintf(m->family, sizeof(m->family), "samsa_plugin_%s%s", base,
                 kind == SAMSA_METRIC_COUNTER ? "_total" : "");
    } else {
        m->instance[0] = 0;
        samsa_prom_sanitize(name, base, sizeof(base));
        snprintf(m->family, sizeof(m->family), "samsa_%s%s", base,
                 kind == SAMSA_METRIC_COUNTER ? "_total" : "");
    }
    snprintf(m->help, sizeof(m->help), "%s", help);
    m->kind = kind;
    m->value = value;
}

static int cmp_metric(const void *a, const void *b)
{
    const plug_metric_t *x = a, *y = b;
    int c = strcmp(x->family, y->family);
    return c ? c : strcmp(x->instance, y->instance);
}

void samsa_metrics_write_registered(samsa_http_response_t *out)
{
    plug_metrics_t pm = {0};
    samsa_metrics_foreach(collect_metric, &pm);
    if (pm.nomem) {
        out->nomem = true;
    }
    if (pm.count > 0) {
        qsort(pm.items, pm.count, sizeof(*pm.items), cmp_metric);
    }
    for (size_t i = 0; i < pm.count; i++) {
        plug_metric_t *m = &pm.items[i];
        if (i == 0 || strcmp(m->family, pm.items[i - 1].family) != 0) {
            samsa_prom_family(
                out, m->family,
                m->kind == SAMSA_METRIC_COUNTER ? "counter" : "gauge", m->help);
        }
        const char *l[] = {"instance", m->instance, NULL};
        samsa_prom_sample_i(out, m->family, m->instance[0] ? l : NULL,
                            m->value);
    }
    free(pm.items);
}
