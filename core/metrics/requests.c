/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metrics/requests.c - request counts per API and version, latency
 * histograms per API (Kafka's RequestMetrics), error codes per API.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"
#include "metrics/prom.h"
#include "protocol/api.h"
#include "protocol/generated/messages.h"
#include "util/clock.h"
#include "util/err.h"

#define MAX_VERSIONS 32
/* Kafka codes -1 (UNKNOWN_SERVER_ERROR) .. 127, stored at code + 1. */
#define ERR_SLOTS 129

/* Upper bounds in microseconds; the +Inf bucket is the count. */
static const int64_t bounds_us[] = {
    500,    1000,   2500,    5000,    10000,   25000,    50000,   100000,
    250000, 500000, 1000000, 2500000, 5000000, 10000000, 30000000};
#define NBOUNDS (sizeof(bounds_us) / sizeof(bounds_us[0]))

typedef struct hist {
    _Atomic uint64_t buckets[NBOUNDS]; /* non-cumulative */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us;
} hist_t;

enum { PH_QUEUE, PH_LOCAL, PH_SEND, PH_TOTAL, PH_COUNT };

static const struct {
    const char *name;
    const char *help;
} phases[PH_COUNT] = {
    {"kafka_network_requestmetrics_requestqueuetimems",
     "Time from a request's last byte read to its handler starting "
     "(header parse and decode), ms."},
    {"kafka_network_requestmetrics_localtimems",
     "Time in the handler until the response was ready, ms; includes "
     "waits (fetch max.wait.ms, JoinGroup)."},
    {"kafka_network_requestmetrics_responsesendtimems",
     "Time from the response being ready to its last byte written to the "
     "socket (includes waiting behind earlier responses of the "
     "connection), ms."},
    {"kafka_network_requestmetrics_totaltimems",
     "Time from a request's last byte read to its response's last byte "
     "written (no response: to the request's end), ms."},
};

typedef struct api_stats {
    _Atomic uint64_t requests[MAX_VERSIONS];
    hist_t hist[PH_COUNT];
    _Atomic uint64_t errors[ERR_SLOTS];
} api_stats_t;

/* Process-wide: written by every reactor, read by scrapes. */
static api_stats_t api_stats[SAMSA_API_COUNT];

static void observe(hist_t *h, int64_t us)
{
    if (us < 0) {
        us = 0;
    }
    size_t i = 0;
    while (i < NBOUNDS && us > bounds_us[i]) {
        i++;
    }
    if (i < NBOUNDS) {
        atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    }
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (uint64_t)us, memory_order_relaxed);
}

void samsa_metrics_request(int16_t api_key, int16_t api_version,
                           int64_t received_ns, int64_t handled_ns,
                           int64_t done_ns, bool sent_later)
{
    if (api_key < 0 || api_key >= SAMSA_API_COUNT || api_version < 0 ||
        api_version >= MAX_VERSIONS || handled_ns == 0) {
        return;
    }
    api_stats_t *s = &api_stats[api_key];
    atomic_fetch_add_explicit(&s->requests[api_version], 1,
                              memory_order_relaxed);
    observe(&s->hist[PH_QUEUE], (handled_ns - received_ns) / 1000);
    observe(&s->hist[PH_LOCAL], (done_ns - handled_ns) / 1000);
    if (!sent_later) {
        observe(&s->hist[PH_TOTAL], (done_ns - received_ns) / 1000);
    }
}

typedef struct send_mark {
    int16_t api_key;
    int64_t received_ns, ready_ns;
} send_mark_t;

static void on_sent(void *arg)
{
    send_mark_t *m = arg;
    int64_t now = samsa_mono_ns();
    api_stats_t *s = &api_stats[m->api_key];
    observe(&s->hist[PH_SEND], (now - m->ready_ns) / 1000);
    observe(&s->hist[PH_TOTAL], (now - m->received_ns) / 1000);
    free(m);
}

bool samsa_metrics_mark_sent(samsa_iobuf_t *out, int16_t api_key,
                             int64_t received_ns)
{
    if (api_key < 0 || api_key >= SAMSA_API_COUNT) {
        return false;
    }
    send_mark_t *m = malloc(sizeof(*m));
    if (!m) {
        return false;
    }
    *m = (send_mark_t){api_key, received_ns, samsa_mono_ns()};
    /* On failure append_ref has already run on_sent (observed, freed). */
    (void)samsa_iobuf_append_ref(out, "", 0, on_sent, m);
    return true;
}

void samsa_metrics_error(int16_t api_key, int err)
{
    if (api_key < 0 || api_key >= SAMSA_API_COUNT || err == 0 || err < -1 ||
        err >= ERR_SLOTS - 1) {
        return;
    }
    atomic_fetch_add_explicit(&api_stats[api_key].errors[err + 1], 1,
                              memory_order_relaxed);
}

static uint64_t load(_Atomic uint64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

static bool api_used(api_stats_t *s)
{
    /* A response may be sent (total observed) before its request ends
     * (queue observed), or the other way round. */
    return load(&s->hist[PH_QUEUE].count) > 0 ||
           load(&s->hist[PH_TOTAL].count) > 0;
}

static void write_counts(samsa_http_response_t *out)
{
    samsa_prom_family(out, "kafka_network_requestmetrics_requests_total",
                      "counter", "Requests answered, by API and version.");
    for (int k = 0; k < SAMSA_API_COUNT; k++) {
        api_stats_t *s = &api_stats[k];
        if (!api_used(s)) {
            continue;
        }
        for (int v = 0; v < MAX_VERSIONS; v++) {
            uint64_t n = load(&s->requests[v]);
            if (!n) {
                continue;
            }
            char ver[8];
            snprintf(ver, sizeof(ver), "%d", v);
            const char *labels[] = {"request",
                                    samsa_api_lookup((int16_t)k)->name,
                                    "version", ver, NULL};
            samsa_prom_sample_i(out,
                                "kafka_network_requestmetrics_requests_total",
                                labels, (int64_t)n);
        }
    }
}

static void write_hist(samsa_http_response_t *out, int ph)
{
    char name[128];
    samsa_prom_family(out, phases[ph].name, "histogram", phases[ph].help);
    for (int k = 0; k < SAMSA_API_COUNT; k++) {
        api_stats_t *s = &api_stats[k];
        if (!api_used(s)) {
            continue;
        }
        hist_t *h = &s->hist[ph];
        const char *api = samsa_api_lookup((int16_t)k)->name;
        /* Read the count first: a concurrent observe may make the buckets
         * run ahead of it, never behind (le="+Inf" is the count). */
        uint64_t count = load(&h->count);
        uint64_t cum = 0;
        snprintf(name, sizeof(name), "%s_bucket", phases[ph].name);
        for (size_t i = 0; i < NBOUNDS; i++) {
            cum += load(&h->buckets[i]);
            if (cum > count) {
                cum = count;
            }
            char le[32];
            snprintf(le, sizeof(le), "%g", (double)bounds_us[i] / 1000.0);
            const char *labels[] = {"request", api, "le", le, NULL};
            samsa_prom_sample_i(out, name, labels, (int64_t)cum);
        }
        const char *inf[] = {"request", api, "le", "+Inf", NULL};
        samsa_prom_sample_i(out, name, inf, (int64_t)count);
        const char *labels[] = {"request", api, NULL};
        snprintf(name, sizeof(name), "%s_sum", phases[ph].name);
        samsa_prom_sample(out, name, labels, (double)load(&h->sum_us) / 1000.0);
        snprintf(name, sizeof(name), "%s_count", phases[ph].name);
        samsa_prom_sample_i(out, name, labels, (int64_t)count);
    }
}

static void write_errors(samsa_http_response_t *out)
{
    samsa_prom_family(out, "kafka_network_requestmetrics_errors_total",
                      "counter",
                      "Kafka error codes answered, by API and error (one per "
                      "failed partition or resource).");
    for (int k = 0; k < SAMSA_API_COUNT; k++) {
        for (int e = 0; e < ERR_SLOTS; e++) {
            uint64_t n = load(&api_stats[k].errors[e]);
            if (!n) {
                continue;
            }
            const char *labels[] = {"request",
                                    samsa_api_lookup((int16_t)k)->name, "error",
                                    samsa_err_name((samsa_err_t)(e - 1)), NULL};
            samsa_prom_sample_i(out,
                                "kafka_network_requestmetrics_errors_total",
                                labels, (int64_t)n);
        }
    }
}

void samsa_metrics_write_requests(samsa_http_response_t *out)
{
    write_counts(out);
    for (int ph = 0; ph < PH_COUNT; ph++) {
        write_hist(out, ph);
    }
    write_errors(out);
}

void samsa_metrics_reset(void)
{
    memset(api_stats, 0, sizeof(api_stats));
    samsa_metrics_topics_reset();
}
