/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/observe_api.c - read-only JSON under /api/ for the web
 * console and `samsa topic hot-keys`: the cluster, topics with their
 * partitions and sizes, groups with their lag, a topic's hot keys.
 * Encoded with jansson; HTTP threads (see observe.h).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "broker/observe.h"
#include "broker/observe_history.h"
#include "broker/observe_lag.h"
#include "group/coordinator.h"
#include "metrics/metrics.h"

/* Hot keys listed per partition in /api/hot-keys. */
#define API_HOT_KEYS 10

static void send_json(samsa_http_response_t *resp, json_t *doc)
{
    resp->content_type = "application/json";
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        resp->nomem = true;
        return;
    }
    samsa_http_append(resp, text, strlen(text));
    free(text);
}

static void api_cluster(const samsa_http_request_t *req,
                        samsa_http_response_t *resp, void *arg)
{
    (void)req;
    samsa_broker_t *b = arg;
    samsa_server_stats_t st = {0};
    samsa_server_get_stats(b->server, &st);
    json_t *broker =
        json_pack("{s:i,s:s,s:i,s:I}", "node_id", (int)b->node_id, "host",
                  b->advertised_host, "port", (int)b->advertised_port,
                  "connections", (json_int_t)st.open);
    send_json(resp,
              json_pack("{s:s,s:s,s:o}", "cluster_id", b->cluster_id, "version",
                        SAMSA_VERSION, "brokers", json_pack("[o]", broker)));
}

static json_t *topic_json(samsa_topic_t *t)
{
    json_t *parts = json_array();
    int64_t size = 0;
    for (int32_t p = 0; p < t->partition_count; p++) {
        samsa_partition_t *part = samsa_topic_partition(t, p);
        if (!part) {
            continue;
        }
        samsa_log_offsets_t off;
        samsa_partition_offsets(part, &off);
        size += off.size_bytes;
        json_array_append_new(
            parts,
            json_pack("{s:i,s:I,s:I,s:I,s:I,s:I}", "partition", (int)p,
                      "size_bytes", (json_int_t)off.size_bytes,
                      "log_start_offset", (json_int_t)off.log_start_offset,
                      "log_end_offset", (json_int_t)off.log_end_offset,
                      "high_watermark", (json_int_t)samsa_partition_hw(part),
                      "segments", (json_int_t)off.segment_count));
    }
    return json_pack("{s:s,s:b,s:I,s:o}", "name", t->name, "internal",
                     (int)t->internal, "size_bytes", (json_int_t)size,
                     "partitions", parts);
}

static void api_topics(const samsa_http_request_t *req,
                       samsa_http_response_t *resp, void *arg)
{
    (void)req;
    samsa_broker_t *b = arg;
    samsa_topic_t **topics = NULL;
    size_t n = 0;
    json_t *arr = json_array();
    if (samsa_logmgr_list(b->logs, &topics, &n) == SAMSA_OK) {
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(arr, topic_json(topics[i]));
        }
        samsa_logmgr_list_free(topics, n);
    }
    send_json(resp, json_pack("{s:o}", "topics", arr));
}

static void lag_json(void *arg, const char *topic, int32_t partition,
                     const samsa_lag_t *lag)
{
    json_array_append_new(
        arg, json_pack("{s:s,s:i,s:I,s:I,s:I,s:f}", "topic", topic, "partition",
                       (int)partition, "committed", (json_int_t)lag->committed,
                       "high_watermark", (json_int_t)lag->high_watermark, "lag",
                       (json_int_t)lag->records, "lag_seconds", lag->seconds));
}

static json_t *group_lag_json(samsa_broker_t *b, const char *group)
{
    json_t *arr = json_array();
    samsa_observe_group_lags(b, group, lag_json, arr);
    return arr;
}

static void api_groups(const samsa_http_request_t *req,
                       samsa_http_response_t *resp, void *arg)
{
    (void)req;
    samsa_broker_t *b = arg;
    samsa_group_listing_t *groups = NULL;
    size_t n = 0;
    json_t *arr = json_array();
    if (b->groups &&
        samsa_group_list(b->groups, NULL, 0, &groups, &n) == SAMSA_OK) {
        for (size_t g = 0; g < n; g++) {
            samsa_group_desc_t d;
            memset(&d, 0, sizeof(d));
            size_t members = 0;
            if (samsa_group_describe(b->groups, groups[g].group_id, &d) ==
                SAMSA_OK) {
                members = d.member_count;
            }
            samsa_group_desc_free(&d);
            json_array_append_new(
                arr, json_pack("{s:s,s:s,s:s?,s:I,s:o,s:o}", "group",
                               groups[g].group_id, "state", groups[g].state,
                               "protocol_type", groups[g].protocol_type,
                               "members", (json_int_t)members, "partitions",
                               group_lag_json(b, groups[g].group_id), "history",
                               samsa_lag_history_json(b->lag_history,
                                                      groups[g].group_id)));
        }
        samsa_group_listings_free(groups, n);
    }
    send_json(resp, json_pack("{s:o}", "groups", arr));
}

static json_t *partition_hot_keys(const char *topic, int32_t p)
{
    samsa_hotkey_t top[API_HOT_KEYS];
    int64_t total = 0, bytes = 0;
    size_t n =
        samsa_metrics_hotkeys(topic, p, top, API_HOT_KEYS, &total, &bytes);
    json_t *keys = json_array();
    for (size_t i = 0; i < n; i++) {
        char label[SAMSA_HOTKEY_MAX_BYTES * 4 + 8];
        samsa_hotkey_label(&top[i], label, sizeof(label));
        json_array_append_new(
            keys,
            json_pack("{s:s,s:I,s:I,s:I,s:f,s:f}", "key", label, "records",
                      (json_int_t)top[i].records, "bytes",
                      (json_int_t)top[i].bytes, "error",
                      (json_int_t)top[i].error, "share",
                      total ? (double)top[i].records / (double)total : 0.0,
                      "byte_share",
                      bytes ? (double)top[i].bytes / (double)bytes : 0.0));
    }
    return json_pack("{s:i,s:I,s:I,s:o}", "partition", (int)p, "records",
                     (json_int_t)total, "bytes", (json_int_t)bytes, "keys",
                     keys);
}

static void api_hot_keys(const samsa_http_request_t *req,
                         samsa_http_response_t *resp, void *arg)
{
    samsa_broker_t *b = arg;
    const char *name = samsa_http_query(req, "topic");
    samsa_topic_t *t = name ? samsa_logmgr_topic_get(b->logs, name) : NULL;
    if (!t) {
        resp->status = 404;
        send_json(resp,
                  json_pack("{s:s}", "error",
                            name ? "unknown topic" : "missing ?topic=NAME"));
        return;
    }
    json_t *parts = json_array();
    for (int32_t p = 0; p < t->partition_count; p++) {
        json_array_append_new(parts, partition_hot_keys(t->name, p));
    }
    send_json(resp, json_pack("{s:s,s:i,s:o}", "topic", t->name, "sketch_size",
                              SAMSA_HOTKEYS_K, "partitions", parts));
    samsa_topic_put(t);
}

samsa_err_t samsa_observe_api_routes(samsa_broker_t *b, samsa_http_t *http)
{
    samsa_err_t err =
        samsa_http_route(http, "GET", "/api/cluster", api_cluster, b);
    if (err == SAMSA_OK) {
        err = samsa_http_route(http, "GET", "/api/topics", api_topics, b);
    }
    if (err == SAMSA_OK) {
        err = samsa_http_route(http, "GET", "/api/groups", api_groups, b);
    }
    if (err == SAMSA_OK) {
        err = samsa_http_route(http, "GET", "/api/hot-keys", api_hot_keys, b);
    }
    return err;
}
