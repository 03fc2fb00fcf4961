/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/observe.c - /health and /metrics; see observe.h. */
#include "broker/observe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "broker/observe_lag.h"
#include "group/coordinator.h"
#include "http/console.h"
#include "metrics/metrics.h"
#include "metrics/prom.h"
#include "registry/kinds.h"

/* ---- health ------------------------------------------------------------ */

static void health_live(const samsa_http_request_t *req,
                        samsa_http_response_t *resp, void *arg)
{
    (void)req;
    (void)arg;
    samsa_http_printf(resp, "live\n");
}

static void health_ready(const samsa_http_request_t *req,
                         samsa_http_response_t *resp, void *arg)
{
    (void)req;
    samsa_broker_t *b = arg;
    if (atomic_load(&b->ready)) {
        samsa_http_printf(resp, "ready\n");
    } else {
        resp->status = 503;
        samsa_http_printf(resp, "not ready\n");
    }
}

/* ---- partitions -------------------------------------------------------- */

typedef struct part_row {
    const char *topic;
    char partition[12];
    samsa_log_offsets_t off;
    int64_t hw;
} part_row_t;

static void write_partitions(samsa_broker_t *b, samsa_http_response_t *out)
{
    samsa_topic_t **topics = NULL;
    size_t ntopics = 0;
    if (samsa_logmgr_list(b->logs, &topics, &ntopics) != SAMSA_OK) {
        return;
    }
    size_t nrows = 0;
    for (size_t i = 0; i < ntopics; i++) {
        nrows += (size_t)topics[i]->partition_count;
    }
    part_row_t *rows = calloc(nrows ? nrows : 1, sizeof(*rows));
    if (!rows) {
        samsa_logmgr_list_free(topics, ntopics);
        out->nomem = true;
        return;
    }
    size_t r = 0;
    for (size_t i = 0; i < ntopics; i++) {
        for (int32_t p = 0; p < topics[i]->partition_count && r < nrows; p++) {
            samsa_partition_t *part = samsa_topic_partition(topics[i], p);
            if (!part) {
                continue;
            }
            rows[r].topic = topics[i]->name;
            snprintf(rows[r].partition, sizeof(rows[r].partition), "%d", p);
            samsa_partition_offsets(part, &rows[r].off);
            rows[r].hw = samsa_partition_hw(part);
            r++;
        }
    }
    static const struct {
        const char *name, *help;
    } fam[] = {
        {"kafka_log_log_size", "Bytes held by the partition's log."},
        {"kafka_log_log_logstartoffset", "First readable offset."},
        {"kafka_log_log_logendoffset", "Next offset to be assigned."},
        {"kafka_log_log_numlogsegments", "Segments of the partition's log."},
        {"samsa_partition_high_watermark", "Offset up to which records are "
                                           "committed and readable."},
    };
    for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
        samsa_prom_family(out, fam[f].name, "gauge", fam[f].help);
        for (size_t i = 0; i < r; i++) {
            const char *labels[] = {"topic", rows[i].topic, "partition",
                                    rows[i].partition, NULL};
            int64_t v = f == 0   ? rows[i].off.size_bytes
                        : f == 1 ? rows[i].off.log_start_offset
                        : f == 2 ? rows[i].off.log_end_offset
                        : f == 3 ? rows[i].off.segment_count
                                 : rows[i].hw;
            samsa_prom_sample_i(out, fam[f].name, labels, v);
        }
    }
    free(rows);
    samsa_logmgr_list_free(topics, ntopics);
}

/* ---- connections and process ------------------------------------------ */

static void write_server(samsa_broker_t *b, samsa_http_response_t *out)
{
    samsa_server_stats_t st = {0};
    if (b->server) {
        samsa_server_get_stats(b->server, &st);
    }
    samsa_prom_family(out,
                      "kafka_server_socket_server_metrics_connection_count",
                      "gauge", "Open client connections.");
    samsa_prom_sample_i(out,
                        "kafka_server_socket_server_metrics_connection_count",
                        NULL, (int64_t)st.open);
    samsa_prom_family(
        out, "kafka_server_socket_server_metrics_connection_creation_total",
        "counter", "Client connections accepted.");
    samsa_prom_sample_i(
        out, "kafka_server_socket_server_metrics_connection_creation_total",
        NULL, (int64_t)st.accepted);
    samsa_prom_family(
        out, "kafka_server_socket_server_metrics_connection_close_total",
        "counter", "Client connections closed.");
    samsa_prom_sample_i(
        out, "kafka_server_socket_server_metrics_connection_close_total", NULL,
        (int64_t)st.closed);
    samsa_prom_family(out, "samsa_connections_refused_total", "counter",
                      "Connections refused over the connection limit.");
    samsa_prom_sample_i(out, "samsa_connections_refused_total", NULL,
                        (int64_t)st.refused);
    samsa_prom_family(out, "samsa_inflight_bytes", "gauge",
                      "Request bytes read and not yet answered.");
    samsa_prom_sample_i(out, "samsa_inflight_bytes", NULL,
                        (int64_t)st.inflight_bytes);
    samsa_prom_family(out, "samsa_response_memory_bytes", "gauge",
                      "Heap bytes of responses not yet taken by their "
                      "clients (record data sent from files not counted).");
    samsa_prom_sample_i(out, "samsa_response_memory_bytes", NULL,
                        (int64_t)st.response_mem_bytes);
    samsa_prom_family(out, "samsa_connections_idle_closed_total", "counter",
                      "Connections closed by connections_max_idle_ms: idle, "
                      "or their client stopped reading responses.");
    samsa_prom_sample_i(out, "samsa_connections_idle_closed_total", NULL,
                        (int64_t)st.idle_closed);

    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
        samsa_prom_family(out, "process_cpu_seconds_total", "counter",
                          "User and system CPU time spent by samsad.");
        samsa_prom_sample(out, "process_cpu_seconds_total", NULL, cpu);
    }
    samsa_prom_family(out, "samsa_build_info", "gauge",
                      "Always 1; the version in a label.");
    const char *labels[] = {"version", SAMSA_VERSION, NULL};
    samsa_prom_sample_i(out, "samsa_build_info", labels, 1);
}

/* ---- groups and lag ---------------------------------------------------- */

static const char *const group_states[] = {
    "Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"};
#define NSTATES (sizeof(group_states) / sizeof(group_states[0]))

typedef struct lag_row {
    const char *group;
    char *topic;
    char partition[12];
    samsa_lag_t lag;
} lag_row_t;

static void write_lag(samsa_broker_t *b, samsa_group_listing_t *groups,
                      size_t ngroups, samsa_http_response_t *out)
{
    lag_row_t *rows = NULL;
    size_t nrows = 0;
    samsa_group_offsets_t *offs = calloc(ngroups ? ngroups : 1, sizeof(*offs));
    if (!offs) {
        out->nomem = true;
        return;
    }
    for (size_t g = 0; g < ngroups; g++) {
        if (samsa_group_offset_fetch(b->groups, groups[g].group_id, NULL, 0,
                                     &offs[g]) != SAMSA_OK) {
            continue;
        }
        lag_row_t *nr =
            realloc(rows, (nrows + offs[g].count + 1) * sizeof(*rows));
        if (!nr) {
            out->nomem = true;
            break;
        }
        rows = nr;
        for (size_t i = 0; i < offs[g].count; i++) {
            samsa_group_offset_t *o = &offs[g].items[i];
            if (o->offset < 0) {
                continue;
            }
            lag_row_t *row = &rows[nrows++];
            row->group = groups[g].group_id;
            row->topic = o->topic;
            snprintf(row->partition, sizeof(row->partition), "%d",
                     o->partition);
            samsa_observe_lag(b, o->topic, o->partition, o->offset, &row->lag);
        }
    }
    static const struct {
        const char *name, *group_label, *help;
    } fam[] = {
        {"kafka_consumergroup_current_offset", "consumergroup",
         "Committed offset, by group and partition."},
        {"kafka_consumergroup_lag", "consumergroup",
         "Records between the committed offset and the high watermark, by "
         "group and partition."},
        /* kafka-lag-exporter's name and labels */
        {"kafka_consumergroup_group_lag_seconds", "group",
         "Age gap between the first unconsumed record and the newest "
         "record, seconds, by group and partition (0 when caught up)."},
    };
    for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
        samsa_prom_family(out, fam[f].name, "gauge", fam[f].help);
        for (size_t i = 0; i < nrows; i++) {
            const char *l[] = {
                fam[f].group_label, rows[i].group,     "topic", rows[i].topic,
                "partition",        rows[i].partition, NULL};
            double v = f == 0   ? (double)rows[i].lag.committed
                       : f == 1 ? (double)rows[i].lag.records
                                : rows[i].lag.seconds;
            samsa_prom_sample(out, fam[f].name, l, v);
        }
    }
    for (size_t g = 0; g < ngroups; g++) {
        samsa_group_offsets_free(&offs[g]);
    }
    free(offs);
    free(rows);
}

static void write_groups(samsa_broker_t *b, samsa_http_response_t *out)
{
    samsa_group_listing_t *groups = NULL;
    size_t ngroups = 0;
    if (!b->groups ||
        samsa_group_list(b->groups, NULL, 0, &groups, &ngroups) != SAMSA_OK) {
        return;
    }
    size_t by_state[NSTATES] = {0};
    samsa_prom_family(out, "samsa_group_state", "gauge",
                      "1 for the group's current state.");
    for (size_t g = 0; g < ngroups; g++) {
        for (size_t s = 0; s < NSTATES; s++) {
            if (strcmp(groups[g].state, group_states[s]) == 0) {
                by_state[s]++;
            }
        }
        const char *l[] = {"group", groups[g].group_id, "state",
                           groups[g].state, NULL};
        samsa_prom_sample_i(out, "samsa_group_state", l, 1);
    }
    samsa_prom_family(out, "kafka_consumergroup_members", "gauge",
                      "Members of the group.");
    for (size_t g = 0; g < ngroups; g++) {
        samsa_group_desc_t d;
        memset(&d, 0, sizeof(d));
        if (samsa_group_describe(b->groups, groups[g].group_id, &d) ==
            SAMSA_OK) {
            const char *l[] = {"consumergroup", groups[g].group_id, NULL};
            samsa_prom_sample_i(out, "kafka_consumergroup_members", l,
                                (int64_t)d.member_count);
        }
        samsa_group_desc_free(&d);
    }
    samsa_prom_family(out,
                      "kafka_coordinator_group_groupmetadatamanager_numgroups",
                      "gauge", "Consumer groups known to the coordinator.");
    samsa_prom_sample_i(
        out, "kafka_coordinator_group_groupmetadatamanager_numgroups", NULL,
        (int64_t)ngroups);
    for (size_t s = 0; s < NSTATES; s++) {
        char name[128], lower[32];
        size_t i = 0;
        for (; group_states[s][i] && i + 1 < sizeof(lower); i++) {
            lower[i] = (char)(group_states[s][i] | 0x20);
        }
        lower[i] = 0;
        snprintf(name, sizeof(name),
                 "kafka_coordinator_group_groupmetadatamanager_numgroups%s",
                 lower);
        samsa_prom_family(out, name, "gauge", "Groups in this state.");
        samsa_prom_sample_i(out, name, NULL, (int64_t)by_state[s]);
    }
    write_lag(b, groups, ngroups, out);
    samsa_group_listings_free(groups, ngroups);
}

/* ---- plugins ----------------------------------------------------------- */

static void write_plugins(samsa_broker_t *b, samsa_http_response_t *out)
{
    samsa_prom_family(out, "samsa_plugin_loaded", "gauge",
                      "1 when the plugin instance is loaded and initialized.");
    size_t n = b->reg ? samsa_registry_count(b->reg) : 0;
    for (size_t i = 0; i < n; i++) {
        const samsa_registry_entry_t *e = samsa_registry_at(b->reg, i);
        const char *l[] = {"instance", e->name,
                           "plugin",   e->plugin ? e->plugin : "",
                           "kind",     samsa_kind_name(e->kind),
                           NULL};
        samsa_prom_sample_i(out, "samsa_plugin_loaded", l, e->inited ? 1 : 0);
    }
    samsa_metrics_write_registered(out);
}

/* ---- /metrics ---------------------------------------------------------- */

static bool topic_exists(void *arg, const char *name)
{
    samsa_broker_t *b = arg;
    samsa_topic_t *t = samsa_logmgr_topic_get(b->logs, name);
    samsa_topic_put(t);
    return t != NULL;
}

void samsa_observe_metrics(samsa_broker_t *b, samsa_http_response_t *out)
{
    out->content_type = SAMSA_PROM_CONTENT_TYPE;
    samsa_metrics_write_requests(out);
    samsa_metrics_write_topics(out, topic_exists, b);
    write_partitions(b, out);
    write_server(b, out);
    write_groups(b, out);
    write_plugins(b, out);
}

static void metrics_route(const samsa_http_request_t *req,
                          samsa_http_response_t *resp, void *arg)
{
    (void)req;
    samsa_observe_metrics(arg, resp);
}

samsa_err_t samsa_observe_routes(samsa_broker_t *b, samsa_http_t *http)
{
    samsa_err_t err =
        samsa_http_route(http, "GET", "/health/live", health_live, b);
    if (err == SAMSA_OK) {
        err = samsa_http_route(http, "GET", "/health/ready", health_ready, b);
    }
    if (err == SAMSA_OK) {
        err = samsa_http_route(http, "GET", "/metrics", metrics_route, b);
    }
    if (err == SAMSA_OK) {
        err = samsa_observe_api_routes(b, http);
    }
    if (err == SAMSA_OK) {
        err = samsa_http_console_routes(http);
    }
    return err;
}
