/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metrics/metrics.h - the broker's own counters, cheap enough for the
 * hot path, and their Prometheus exposition.
 *
 * Process-wide (like the plugin metrics in core/registry/metrics.c): the
 * request pipeline and the produce/fetch handlers call the record
 * functions from any reactor thread; every counter is a relaxed atomic,
 * so recording never takes a lock. Per-topic counters live in a table
 * looked up once per topic and request (a read lock, not per record).
 * The write functions run on the HTTP threads at scrape time.
 *
 * Names follow what jmx_exporter makes of Kafka's MBeans wherever the
 * concept is the same (kafka_network_requestmetrics_*,
 * kafka_server_brokertopicmetrics_*), so existing dashboards work.
 */
#ifndef SAMSA_METRICS_H
#define SAMSA_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"
#include "metrics/hotkeys.h"
#include "util/iobuf.h"

/** One request finished. Times are samsa_mono_ns() values:
 *  received (frame complete), handled (handler called; 0 = the request
 *  never reached a handler), done (response queued or dropped). */
void samsa_metrics_request(int16_t api_key, int16_t api_version,
                           int64_t received_ns, int64_t handled_ns,
                           int64_t done_ns, bool sent_later);

/** Mark the end of an encoded response in @p out (an empty chunk whose
 *  release runs once every byte before it was written, or the response
 *  was dropped): that records the send time and the total time. Returns
 *  true when it will (pass it as sent_later above). Reactor thread. */
bool samsa_metrics_mark_sent(samsa_iobuf_t *out, int16_t api_key,
                             int64_t received_ns);

/** A Kafka error code answered for one partition/resource of a request. */
void samsa_metrics_error(int16_t api_key, int err);

/** Records appended to a partition: @p len bytes of batches holding
 *  @p records; their keys feed the partition's hot-key sketch. */
void samsa_metrics_topic_in(const char *topic, int32_t partition,
                            const uint8_t *batches, size_t len, int64_t records,
                            samsa_hotkeys_decompress_fn decompress, void *arg);
/** Record data sent to a fetcher: @p bytes covering @p offsets offsets. */
void samsa_metrics_topic_out(const char *topic, int64_t bytes, int64_t offsets);
/** A partition of a produce or fetch for an existing topic was answered
 *  (Kafka's TotalProduceRequests / TotalFetchRequests), with an error or
 *  not (FailedProduceRequests / FailedFetchRequests). */
void samsa_metrics_topic_request(const char *topic, int16_t api_key,
                                 bool failed);

/** The hottest keys of a partition (see hotkeys.h), hottest first; 0 when
 *  nothing was appended to it since start. */
size_t samsa_metrics_hotkeys(const char *topic, int32_t partition,
                             samsa_hotkey_t *out, size_t cap,
                             int64_t *total_records, int64_t *total_bytes);

/** A key as a printable label: ASCII kept, other bytes as \xNN, "..."
 *  appended when only the first bytes were kept. */
void samsa_hotkey_label(const samsa_hotkey_t *k, char *buf, size_t len);

/** Write the request and per-topic families (Prometheus text format). */
void samsa_metrics_write_requests(samsa_http_response_t *out);
/** @p keep (NULL = all) says whether a topic still exists: counters of a
 *  deleted topic stop being shown (and go on if it is created again). */
typedef bool (*samsa_metrics_topic_filter_fn)(void *arg, const char *topic);
void samsa_metrics_write_topics(samsa_http_response_t *out,
                                samsa_metrics_topic_filter_fn keep, void *arg);

/** Write every metric registered through the services table (plugins
 *  and core), see registered.c. */
void samsa_metrics_write_registered(samsa_http_response_t *out);

/** Forget everything (unit tests); the topics part alone. */
void samsa_metrics_reset(void);
void samsa_metrics_topics_reset(void);

#endif /* SAMSA_METRICS_H */
