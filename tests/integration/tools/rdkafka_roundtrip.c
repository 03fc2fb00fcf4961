/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rdkafka_roundtrip - produce N messages over several partitions with
 * librdkafka, consume them back, and check count, per-partition order and a
 * checksum of all payloads. Also the throughput benchmark of issue 6: it
 * prints msgs/s and MB/s for both directions.
 *
 *   rdkafka_roundtrip -b HOST:PORT|mock -t TOPIC [-p PARTITIONS] [-n COUNT]
 *                     [-s SIZE] [-z none|gzip|snappy|lz4|zstd] [-a ACKS]
 *                     [-P] (produce only) [-C] (consume only) [-q]
 *                     [-X key=value] (extra librdkafka setting, repeatable)
 *                     [-F BYTES] (consumer only: max.partition.fetch.bytes,
 *                     and fetch.max.bytes for all partitions at that size)
 *                     [-r RATE] (paced produce: msgs/s, prints latency
 *                     percentiles of delivery reports)
 *
 * "-b mock" runs against librdkafka's in-memory mock cluster (the
 * client-side ceiling). Exit 0 when everything came back intact.
 */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct opts {
    const char *bootstrap;
    const char *topic;
    int partitions;
    long count;
    int size;
    const char *codec;
    const char *acks;
    int produce, consume, quiet, mock;
    long rate;
    const char *extra[16];
    int nextra;
    const char *fetch_bytes;
} opts_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t fnv1a(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 1099511628211ULL;
    }
    return h;
}

/* Payload i: "<seq 20 digits>" then filler derived from i. */
static void fill(char *buf, int size, long i)
{
    char head[32];
    int n = snprintf(head, sizeof(head), "%020ld", i);
    for (int k = 0; k < size; k++) {
        buf[k] = k < n ? head[k] : (char)('a' + (i + k) % 26);
    }
}

static long delivered, delivery_failed;
static double *latencies; /* per message, seconds; paced mode only */
static long latency_count;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (latencies && m->_private) {
        double sent = *(double *)m->_private;
        latencies[latency_count++] = now_s() - sent;
        free(m->_private);
    }
    if (m->err) {
        if (delivery_failed++ < 5) {
            fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
        }
    } else {
        delivered++;
    }
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s=%s: %s\n", k, v, err);
        exit(2);
    }
}

static rd_kafka_conf_t *base_conf(const opts_t *o)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", o->bootstrap);
    for (int i = 0; i < o->nextra; i++) {
        char key[128];
        const char *eq = strchr(o->extra[i], '=');
        if (!eq || (size_t)(eq - o->extra[i]) >= sizeof(key)) {
            fprintf(stderr, "-X wants key=value\n");
            exit(2);
        }
        snprintf(key, sizeof(key), "%.*s", (int)(eq - o->extra[i]),
                 o->extra[i]);
        set(conf, key, eq + 1);
    }
    return conf;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int create_topic(rd_kafka_t *rk, const opts_t *o)
{
    char err[256];
    rd_kafka_NewTopic_t *nt =
        rd_kafka_NewTopic_new(o->topic, o->partitions, 1, err, sizeof(err));
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    int rc = 0;
    if (!ev) {
        fprintf(stderr, "CreateTopics timed out\n");
        rc = -1;
    } else {
        const rd_kafka_CreateTopics_result_t *res =
            rd_kafka_event_CreateTopics_result(ev);
        size_t n;
        const rd_kafka_topic_result_t **tr =
            rd_kafka_CreateTopics_result_topics(res, &n);
        if (rd_kafka_event_error(ev)) {
            fprintf(stderr, "CreateTopics: %s\n",
                    rd_kafka_event_error_string(ev));
            rc = -1;
        }
        for (size_t i = 0; i < n; i++) {
            rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
            if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                fprintf(stderr, "CreateTopics %s: %s\n",
                        rd_kafka_topic_result_name(tr[i]),
                        rd_kafka_topic_result_error_string(tr[i]));
                rc = -1;
            }
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}

/* Learn the topic's leaders before anything is timed: a topic created a
 * moment ago (or a consumer assigned before its first metadata) is
 * otherwise looked up on librdkafka's own schedule and back-off timers,
 * which would be measured as broker time. */
static void wait_for_leaders(rd_kafka_t *rk, const opts_t *o)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    for (int tries = 0; tries < 100; tries++) {
        const struct rd_kafka_metadata *md = NULL;
        if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) ==
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            int ready = md->topic_cnt == 1 && !md->topics[0].err &&
                        md->topics[0].partition_cnt == o->partitions;
            rd_kafka_metadata_destroy(md);
            if (ready) {
                break;
            }
        }
        rd_kafka_poll(rk, 50);
    }
    rd_kafka_topic_destroy(rkt);
}

static int produce(const opts_t *o, uint64_t *sum)
{
    rd_kafka_conf_t *conf = base_conf(o);
    set(conf, "compression.codec", o->codec);
    set(conf, "acks", o->acks);
    set(conf, "linger.ms", o->rate > 0 ? "0" : "5");
    set(conf, "socket.nagle.disable", "true");
    set(conf, "batch.num.messages", "10000");
    set(conf, "queue.buffering.max.messages", "1000000");
    set(conf, "partitioner", "murmur2_random");
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "producer: %s\n", err);
        return -1;
    }
    if (!o->mock && create_topic(rk, o) != 0) {
        rd_kafka_destroy(rk);
        return -1;
    }
    wait_for_leaders(rk, o);
    char *buf = malloc((size_t)o->size + 1);
    if (o->rate > 0) {
        /* Warm up (metadata, connections) outside the measured window. */
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o->topic),
                          RD_KAFKA_V_VALUE("warm-up-message-0000000", 23),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_END);
        rd_kafka_flush(rk, 30000);
        delivered = 0;
        latencies = calloc((size_t)o->count, sizeof(double));
    }
    double t0 = now_s();
    for (long i = 0; i < o->count; i++) {
        double *stamp = NULL;
        if (o->rate > 0) {
            /* Pace to the target rate; the stamp is the intended send time
             * so a stalled client counts as latency too. */
            double due = t0 + (double)i / (double)o->rate;
            while (now_s() < due) {
                rd_kafka_poll(rk, 0);
            }
            stamp = malloc(sizeof(double));
            *stamp = due;
        }
        fill(buf, o->size, i);
        *sum += fnv1a(buf, (size_t)o->size);
        char key[24];
        int klen = snprintf(key, sizeof(key), "%ld", i);
        for (;;) {
            rd_kafka_resp_err_t e =
                rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o->topic),
                                  RD_KAFKA_V_KEY(key, (size_t)klen),
                                  RD_KAFKA_V_VALUE(buf, (size_t)o->size),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_OPAQUE(stamp), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 10);
                continue;
            }
            if (e) {
                fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
                return -1;
            }
            break;
        }
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 120000);
    double dt = now_s() - t0;
    free(buf);
    rd_kafka_destroy(rk);
    if (!o->quiet) {
        printf("produce: %ld msgs of %d bytes (%s) in %.2f s: %.0f msgs/s, "
               "%.1f MB/s\n",
               delivered, o->size, o->codec, dt, delivered / dt,
               delivered * (double)o->size / dt / 1e6);
    }
    if (latencies && latency_count > 0) {
        qsort(latencies, (size_t)latency_count, sizeof(double), cmp_double);
        printf("latency: %ld msgs at %ld msgs/s: p50 %.2f ms, p99 %.2f ms, "
               "max %.2f ms\n",
               latency_count, o->rate, latencies[latency_count / 2] * 1e3,
               latencies[(long)(latency_count * 0.99)] * 1e3,
               latencies[latency_count - 1] * 1e3);
    }
    free(latencies);
    latencies = NULL;
    if (delivered != o->count || delivery_failed) {
        fprintf(stderr, "delivered %ld of %ld (%ld failed)\n", delivered,
                o->count, delivery_failed);
        return -1;
    }
    return 0;
}

static int consume(const opts_t *o, uint64_t *sum)
{
    rd_kafka_conf_t *conf = base_conf(o);
    set(conf, "group.id", "rdkafka-roundtrip");
    set(conf, "enable.auto.commit", "false");
    set(conf, "fetch.wait.max.ms", "100");
    if (o->fetch_bytes) {
        /* F bytes per partition, every partition in one response. */
        char total[32];
        long per = atol(o->fetch_bytes);
        snprintf(total, sizeof(total), "%ld", per * o->partitions);
        set(conf, "message.max.bytes", o->fetch_bytes);
        set(conf, "max.partition.fetch.bytes", o->fetch_bytes);
        set(conf, "fetch.max.bytes", total);
    }
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "consumer: %s\n", err);
        return -1;
    }
    wait_for_leaders(rk, o);
    rd_kafka_topic_partition_list_t *parts =
        rd_kafka_topic_partition_list_new(o->partitions);
    for (int p = 0; p < o->partitions; p++) {
        rd_kafka_topic_partition_list_add(parts, o->topic, p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    long *last = calloc((size_t)o->partitions, sizeof(long));
    for (int p = 0; p < o->partitions; p++) {
        last[p] = -1;
    }
    long got = 0, disorder = 0, bad = 0;
    double t0 = now_s(), idle_since = t0;
    while (got < o->count && now_s() - idle_since < 30) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m) {
            continue;
        }
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        idle_since = now_s();
        if (got == 0) {
            /* Steady-state throughput: the clock starts at the first
             * message, after librdkafka's own start-up (metadata, offset
             * lookups, back-offs) that no broker influences. */
            t0 = idle_since;
        }
        long seq = m->len >= 20 ? strtol(m->payload, NULL, 10) : -1;
        if (m->partition < 0 || m->partition >= o->partitions || seq < 0) {
            bad++;
        } else {
            if (seq <= last[m->partition]) {
                disorder++;
            }
            last[m->partition] = seq;
        }
        *sum += fnv1a(m->payload, m->len);
        got++;
        rd_kafka_message_destroy(m);
    }
    double dt = now_s() - t0;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(last);
    if (!o->quiet) {
        printf("consume: %ld msgs in %.2f s: %.0f msgs/s, %.1f MB/s\n", got, dt,
               got / dt, got * (double)o->size / dt / 1e6);
    }
    if (got != o->count || disorder || bad) {
        fprintf(stderr, "consumed %ld of %ld, %ld out of order, %ld bad\n", got,
                o->count, disorder, bad);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    opts_t o = {.bootstrap = NULL,
                .topic = "roundtrip",
                .partitions = 4,
                .count = 100000,
                .size = 100,
                .codec = "none",
                .acks = "all",
                .produce = 1,
                .consume = 1};
    int c;
    while ((c = getopt(argc, argv, "b:t:p:n:s:z:a:r:X:F:PCq")) != -1) {
        switch (c) {
        case 'b':
            o.bootstrap = optarg;
            break;
        case 't':
            o.topic = optarg;
            break;
        case 'p':
            o.partitions = atoi(optarg);
            break;
        case 'n':
            o.count = atol(optarg);
            break;
        case 's':
            o.size = atoi(optarg);
            break;
        case 'z':
            o.codec = optarg;
            break;
        case 'a':
            o.acks = optarg;
            break;
        case 'r':
            o.rate = atol(optarg);
            break;
        case 'F':
            o.fetch_bytes = optarg;
            break;
        case 'X':
            if (o.nextra < 16) {
                o.extra[o.nextra++] = optarg;
            }
            break;
        case 'P':
            o.consume = 0;
            break;
        case 'C':
            o.produce = 0;
            break;
        case 'q':
            o.quiet = 1;
            break;
        default:
            fprintf(stderr, "usage: see the comment at the top of %s\n",
                    __FILE__);
            return 2;
        }
    }
    if (o.rate > 0) {
        o.consume = 0; /* the warm-up message would upset the checks */
    }
    if (!o.bootstrap || o.size < 20) {
        fprintf(stderr, "need -b and -s >= 20\n");
        return 2;
    }
    /* The mock cluster lives in a handle of its own that outlives both
     * clients, so the consumer sees what the producer wrote. */
    rd_kafka_t *mock_rk = NULL;
    if (strcmp(o.bootstrap, "mock") == 0) {
        char err[256];
        mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err,
                               sizeof(err));
        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(mock_rk, 1);
        rd_kafka_mock_topic_create(mc, o.topic, o.partitions, 1);
        o.bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
        o.mock = 1;
    }
    uint64_t psum = 0, csum = 0;
    if (o.produce && produce(&o, &psum) != 0) {
        return 1;
    }
    if (o.consume && consume(&o, &csum) != 0) {
        return 1;
    }
    if (o.produce && o.consume && psum != csum) {
        fprintf(stderr, "checksum mismatch: %016" PRIx64 " vs %016" PRIx64 "\n",
                psum, csum);
        return 1;
    }
    if (!o.quiet) {
        printf("ok: checksum %016" PRIx64 "\n", psum ? psum : csum);
    }
    return 0;
}
