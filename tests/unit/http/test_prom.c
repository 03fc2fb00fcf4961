/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus text exposition (core/metrics/prom.c) and the request
 * histograms (core/metrics/requests.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics/metrics.h"
#include "metrics/prom.h"
#include "registry/metrics.h"
#include "util/clock.h"

static void labels_are_escaped(void **state)
{
    (void)state;
    samsa_http_response_t out = {0};
    samsa_prom_family(&out, "x_total", "counter", "a \\ b\nc");
    const char *labels[] = {"topic", "q\"t\\n\n", NULL};
    samsa_prom_sample_i(&out, "x_total", labels, 42);
    assert_string_equal(out.body, "# HELP x_total a \\\\ b\\nc\n"
                                  "# TYPE x_total counter\n"
                                  "x_total{topic=\"q\\\"t\\\\n\\n\"} 42\n");
    free(out.body);
    char buf[32];
    samsa_prom_sanitize("bytes.appended-now", buf, sizeof(buf));
    assert_string_equal(buf, "bytes_appended_now");
}

static void histogram_buckets_are_cumulative_and_end_at_the_count(void **st)
{
    (void)st;
    samsa_metrics_reset();
    int64_t t0 = 1000000000;
    /* Produce (key 0) v9: 0.2 ms, 3 ms and 2 s in total. */
    samsa_metrics_request(0, 9, t0, t0 + 100000, t0 + 200000, false);
    samsa_metrics_request(0, 9, t0, t0 + 1000000, t0 + 3000000, false);
    samsa_metrics_request(0, 7, t0, t0, t0 + 2000000000LL, false);
    samsa_metrics_error(0, 10); /* MESSAGE_TOO_LARGE */
    samsa_http_response_t out = {0};
    samsa_metrics_write_requests(&out);
    const char *b = out.body;
    assert_non_null(strstr(b, "kafka_network_requestmetrics_requests_total{"
                              "request=\"Produce\",version=\"9\"} 2\n"));
    assert_non_null(strstr(b, "kafka_network_requestmetrics_requests_total{"
                              "request=\"Produce\",version=\"7\"} 1\n"));
    assert_non_null(strstr(b, "kafka_network_requestmetrics_totaltimems_bucket{"
                              "request=\"Produce\",le=\"0.5\"} 1\n"));
    assert_non_null(strstr(b, "kafka_network_requestmetrics_totaltimems_bucket{"
                              "request=\"Produce\",le=\"5\"} 2\n"));
    assert_non_null(strstr(b, "kafka_network_requestmetrics_totaltimems_bucket{"
                              "request=\"Produce\",le=\"2500\"} 3\n"));
    assert_non_null(strstr(b, "kafka_network_requestmetrics_totaltimems_bucket{"
                              "request=\"Produce\",le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(b, "kafka_network_requestmetrics_totaltimems_sum{"
                              "request=\"Produce\"} 2003.2\n"));
    assert_non_null(strstr(b, "kafka_network_requestmetrics_errors_total{"
                              "request=\"Produce\",error=\"MESSAGE_TOO_LARGE\"}"
                              " 1\n"));
    free(out.body);
    samsa_metrics_reset();
}

/* Does /metrics say one Fetch request went through @p phase? */
static bool fetch_count_is_one(const char *phase)
{
    char want[128];
    snprintf(want, sizeof(want),
             "kafka_network_requestmetrics_%s_count{request=\"Fetch\"} 1\n",
             phase);
    samsa_http_response_t page = {0};
    samsa_metrics_write_requests(&page);
    bool found = page.body && strstr(page.body, want);
    free(page.body);
    return found;
}

static void send_time_is_recorded_when_the_last_byte_is_written(void **st)
{
    (void)st;
    samsa_metrics_reset();
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    samsa_iobuf_t out;
    samsa_iobuf_init(&out);
    assert_int_equal(samsa_iobuf_write(&out, "response", 8), SAMSA_OK);
    int64_t now = samsa_mono_ns();
    assert_true(samsa_metrics_mark_sent(&out, 1 /* Fetch */, now));
    samsa_metrics_request(1, 12, now, now, now, true);
    /* Not written yet: no send or total observation. */
    assert_false(fetch_count_is_one("responsesendtimems"));
    assert_false(fetch_count_is_one("totaltimems"));
    assert_true(fetch_count_is_one("localtimems"));
    assert_int_equal(samsa_iobuf_send(&out, sv[0], NULL), 8);
    assert_true(fetch_count_is_one("responsesendtimems"));
    assert_true(fetch_count_is_one("totaltimems"));
    samsa_iobuf_clear(&out);
    close(sv[0]);
    close(sv[1]);
    samsa_metrics_reset();
}

static void plugin_metrics_are_labelled_by_instance(void **st)
{
    (void)st;
    samsa_instance_t a = {.name = "seg-a"}, b = {.name = "seg-b"};
    samsa_metric_t *ma = samsa_metric_register(&a, "bytes.appended",
                                               SAMSA_METRIC_COUNTER, "Bytes.");
    samsa_metric_t *mb = samsa_metric_register(&b, "bytes.appended",
                                               SAMSA_METRIC_COUNTER, "Bytes.");
    samsa_metric_t *g =
        samsa_metric_register(&a, "open_segments", SAMSA_METRIC_GAUGE, "Open.");
    samsa_metric_add(ma, 5);
    samsa_metric_add(mb, 7);
    samsa_metric_set(g, 3);
    samsa_http_response_t out = {0};
    samsa_metrics_write_registered(&out);
    /* One family for both instances, in instance order. */
    assert_non_null(strstr(
        out.body, "# TYPE samsa_plugin_bytes_appended_total counter\n"
                  "samsa_plugin_bytes_appended_total{instance=\"seg-a\"} 5\n"
                  "samsa_plugin_bytes_appended_total{instance=\"seg-b\"} 7\n"));
    assert_non_null(strstr(out.body, "# TYPE samsa_plugin_open_segments gauge\n"
                                     "samsa_plugin_open_segments{instance="
                                     "\"seg-a\"} 3\n"));
    free(out.body);
    samsa_metrics_release_all();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(labels_are_escaped),
        cmocka_unit_test(histogram_buckets_are_cumulative_and_end_at_the_count),
        cmocka_unit_test(send_time_is_recorded_when_the_last_byte_is_written),
        cmocka_unit_test(plugin_metrics_are_labelled_by_instance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
