/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_perf.c - `samsa perf produce|consume`: throughput and
 * latency of the in-tree client, like Kafka's perf-test tools. A progress
 * line on stderr each second when stderr is a terminal; a JSON summary on
 * stdout at the end.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd_client.h"
#include "util/err.h"
#include "util/clock.h"

static void perf_usage(FILE *out)
{
    fprintf(out,
            "usage: samsa perf produce --topic T --num-records N "
            "[--record-size S] [options]\n"
            "       samsa perf consume --topic T --num-records N [options]\n"
            "\n"
            "produce options:\n"
            "  --record-size S        value bytes (default 100)\n"
            "  --throughput R         at most R records/s (default: no "
            "limit)\n"
            "  --acks A               0, 1, all (default all)\n"
            "  -z, --compression C    none, gzip, snappy, lz4, zstd\n"
            "  --batch-size N         default 65536\n"
            "  --linger-ms N          default 5\n"
            "  --max-in-flight N      produce requests in flight per broker "
            "(default 5)\n"
            "  --partitioner NAME     default round-robin\n"
            "consume options:\n"
            "  --timeout-ms N         give up after N ms without records "
            "(default 10000)\n"
            "  --fetch-max-bytes N    per partition (default 1 MiB)\n"
            "\n" SAMSA_CLI_CONN_HELP
            "\nLatency (produce): from produce() to the acknowledgement, per "
            "record.\nLatency (consume): Fetch round trips.\n"
            "The summary is one JSON object on stdout.\n" SAMSA_CLI_EXIT_TEXT);
}

typedef struct perf_args {
    samsa_cli_conn_opts_t conn;
    const char *topic, *partitioner;
    long long num, size, throughput, batch_size, linger, inflight, idle_ms,
        fetch_max;
    int codec, acks;
} perf_args_t;

typedef struct lat_vec {
    int64_t *v;
    size_t n, cap;
} lat_vec_t;

static void lat_add(lat_vec_t *l, int64_t us)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        int64_t *v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL) {
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = us;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double pct(const lat_vec_t *l, double p)
{
    if (l->n == 0) {
        return 0;
    }
    size_t i = (size_t)(p / 100.0 * (double)(l->n - 1) + 0.5);
    return (double)l->v[i] / 1000.0;
}

static void print_latency_json(lat_vec_t *l)
{
    double sum = 0;
    qsort(l->v, l->n, sizeof(*l->v), cmp_i64);
    for (size_t i = 0; i < l->n; i++) {
        sum += (double)l->v[i];
    }
    printf("\"latency_ms\":{\"avg\":%.3f,\"p50\":%.3f,\"p95\":%.3f,"
           "\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f}",
           l->n ? sum / (double)l->n / 1000.0 : 0.0, pct(l, 50), pct(l, 95),
           pct(l, 99), pct(l, 99.9), pct(l, 100));
}

static int parse_one(int argc, char **argv, int *i, perf_args_t *a)
{
    static const struct {
        const char *name;
        size_t off;
        long long min;
    } ints[] = {
        {"--num-records", offsetof(perf_args_t, num), 1},
        {"--record-size", offsetof(perf_args_t, size), 0},
        {"--throughput", offsetof(perf_args_t, throughput), -1},
        {"--batch-size", offsetof(perf_args_t, batch_size), 1},
        {"--linger-ms", offsetof(perf_args_t, linger), 0},
        {"--max-in-flight", offsetof(perf_args_t, inflight), 1},
        {"--timeout-ms", offsetof(perf_args_t, idle_ms), 1},
        {"--fetch-max-bytes", offsetof(perf_args_t, fetch_max), 1},
    };
    const char *v = NULL;
    int r;

    if ((r = samsa_cli_conn_opt(argc, argv, i, &a->conn)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "--topic", &a->topic)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-t", &a->topic)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "--partitioner", &a->partitioner)) !=
            0) {
        return r;
    }
    for (size_t k = 0; k < sizeof(ints) / sizeof(ints[0]); k++) {
        if ((r = samsa_cli_opt(argc, argv, i, ints[k].name, &v)) != 0) {
            return r < 0 || !samsa_cli_int(
                                "perf", ints[k].name, v, ints[k].min, INT32_MAX,
                                (long long *)((char *)a + ints[k].off))
                       ? -1
                       : 1;
        }
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--compression", &v)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-z", &v)) != 0) {
        return r < 0 || (a->codec = samsa_cli_codec_id(v)) < 0 ? -1 : 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--acks", &v)) != 0) {
        if (r < 0) {
            return -1;
        }
        a->acks = strcmp(v, "all") == 0 ? -1 : atoi(v);
        return a->acks >= -1 && a->acks <= 1 ? 1 : -1;
    }
    fprintf(stderr, "samsa perf: unexpected argument '%s'\n", argv[*i]);
    return -1;
}

/* ------------------------------------------------------------ produce */

typedef struct produce_perf {
    lat_vec_t lat;
    int64_t acked, failed;
} produce_perf_t;

static void on_delivery(void *opaque, samsa_err_t err, const char *topic,
                        int32_t partition, int64_t offset, int64_t latency_us)
{
    produce_perf_t *pp = opaque;
    (void)topic;
    (void)partition;
    (void)offset;
    if (err == SAMSA_OK) {
        pp->acked++;
        lat_add(&pp->lat, latency_us);
    } else {
        pp->failed++;
    }
}

static void progress(bool tty, const char *what, int64_t n, int64_t bytes,
                     int64_t t0, int64_t *last)
{
    int64_t now = samsa_mono_us();
    if (!tty || now - *last < 1000000) {
        return;
    }
    *last = now;
    double s = (double)(now - t0) / 1e6;
    fprintf(stderr, "\r%s %" PRId64 " records, %.0f records/s, %.2f MB/s   ",
            what, n, (double)n / s, (double)bytes / s / 1048576.0);
}

static int perf_produce(perf_args_t *a, samsa_client_t *c)
{
    samsa_registry_t *reg = NULL;
    samsa_producer_conf_t conf;
    samsa_producer_t *p = NULL;
    produce_perf_t pp = {0};
    char *value = malloc((size_t)a->size + 1);
    bool tty = isatty(2);
    int64_t t0, last = 0, sent = 0;
    int rc;

    if (value == NULL) {
        return SAMSA_EXIT_ERROR;
    }
    for (long long i = 0; i < a->size; i++) {
        value[i] = (char)('a' + i % 26);
    }
    if ((rc = samsa_cli_registry("perf", &a->conn.paths, &reg)) !=
        SAMSA_EXIT_OK) {
        free(value);
        return rc;
    }
    samsa_producer_conf_init(&conf);
    conf.acks = (int16_t)a->acks;
    conf.batch_size = (size_t)a->batch_size;
    conf.linger_ms = (int)a->linger;
    conf.max_in_flight = (int)a->inflight;
    conf.codec = a->codec;
    conf.on_delivery = on_delivery;
    conf.opaque = &pp;
    const samsa_registry_entry_t *e =
        samsa_registry_find(reg, SAMSA_KIND_PARTITIONER, a->partitioner);
    conf.partitioner = samsa_entry_partitioner_ops(e);
    conf.partitioner_state = e ? e->state : NULL;
    if (a->codec != 0) {
        conf.codec_ops =
            samsa_cli_codec_lookup(reg, a->codec, &conf.codec_state);
    }
    if (conf.partitioner == NULL || (a->codec != 0 && conf.codec_ops == NULL)) {
        fprintf(stderr,
                "samsa perf: partitioner '%s' or codec plugin not "
                "loaded\n",
                a->partitioner);
        samsa_registry_shutdown(reg);
        free(value);
        return SAMSA_EXIT_ERROR;
    }
    samsa_producer_new(c, &conf, &p);
    t0 = samsa_mono_us();
    for (long long i = 0; i < a->num; i++) {
        if (a->throughput > 0) {
            int64_t due =
                t0 + (int64_t)((double)i * 1e6 / (double)a->throughput);
            while (samsa_mono_us() < due) {
                samsa_producer_poll(p);
                struct timespec ts = {0, 100000};
                nanosleep(&ts, NULL);
            }
        }
        if (samsa_producer_produce(p, a->topic, -1, NULL, -1, value,
                                   (int32_t)a->size, NULL, 0, -1) != SAMSA_OK) {
            rc = samsa_cli_client_error("perf", c);
            break;
        }
        sent++;
        progress(tty, "produced", pp.acked, pp.acked * a->size, t0, &last);
    }
    if (samsa_producer_flush(p) != SAMSA_OK && rc == SAMSA_EXIT_OK) {
        rc = samsa_cli_client_error("perf", c);
    }
    double secs = (double)(samsa_mono_us() - t0) / 1e6;
    if (tty) {
        fprintf(stderr, "\n");
    }
    printf("{\"mode\":\"produce\",\"topic\":");
    samsa_cli_json_str(stdout, a->topic, strlen(a->topic));
    printf(",\"records\":%" PRId64 ",\"failed\":%" PRId64
           ",\"record_size\":%lld,\"acks\":%d,\"compression\":%d,"
           "\"batch_size\":%lld,\"linger_ms\":%lld,\"max_in_flight\":%lld,"
           "\"seconds\":%.3f,\"records_per_sec\":%.1f,\"mb_per_sec\":%.2f,",
           pp.acked, pp.failed + ((int64_t)a->num - sent), a->size, a->acks,
           a->codec, a->batch_size, a->linger, a->inflight, secs,
           (double)pp.acked / secs,
           (double)pp.acked * (double)a->size / secs / 1048576.0);
    print_latency_json(&pp.lat);
    printf("}\n");
    samsa_producer_free(p);
    samsa_registry_shutdown(reg);
    free(pp.lat.v);
    free(value);
    return rc;
}

/* ------------------------------------------------------------ consume */

typedef struct consume_perf {
    int64_t n, bytes, want;
} consume_perf_t;

static int on_record(void *opaque, const samsa_client_record_t *r)
{
    consume_perf_t *cp = opaque;
    cp->n++;
    cp->bytes += (r->value_len > 0 ? r->value_len : 0) +
                 (r->key_len > 0 ? r->key_len : 0);
    return cp->n >= cp->want;
}

static int perf_consume(perf_args_t *a, samsa_client_t *c)
{
    samsa_registry_t *reg = NULL;
    samsa_metadata_t *md = NULL;
    samsa_fetch_pos_t *pos = NULL;
    samsa_fetch_conf_t fc;
    consume_perf_t cp = {.want = a->num};
    lat_vec_t lat = {0};
    bool tty = isatty(2);
    int64_t t0, last = 0, last_rec;
    int npos = 0, rc = SAMSA_EXIT_OK;

    if (samsa_cli_registry("perf", &a->conn.paths, &reg) != SAMSA_EXIT_OK) {
        reg = NULL; /* uncompressed topics still work */
    }
    if (samsa_client_metadata(c, &a->topic, 1, false, &md) != SAMSA_OK) {
        samsa_registry_shutdown(reg);
        return samsa_cli_client_error("perf", c);
    }
    const samsa_md_topic_t *t = samsa_metadata_topic(md, a->topic);
    if (t == NULL || t->error != 0 || t->npartitions == 0) {
        fprintf(stderr, "samsa perf: topic %s not found\n", a->topic);
        rc = SAMSA_EXIT_ERROR;
        goto out;
    }
    pos = calloc((size_t)t->npartitions, sizeof(*pos));
    for (int32_t i = 0; pos != NULL && i < t->npartitions; i++) {
        pos[i].topic = t->name;
        pos[i].partition = t->partitions[i].id;
        if (samsa_client_list_offset(
                c, t->name, t->partitions[i].id, t->partitions[i].leader,
                SAMSA_OFFSET_BEGINNING, &pos[i].offset) != SAMSA_OK) {
            rc = samsa_cli_client_error("perf", c);
            goto out;
        }
        npos++;
    }
    samsa_fetch_conf_init(&fc);
    fc.codec = samsa_cli_codec_lookup;
    fc.codec_arg = reg;
    fc.partition_max_bytes = (int32_t)a->fetch_max;
    t0 = samsa_mono_us();
    last_rec = t0;
    while (cp.n < cp.want) {
        int64_t f0 = samsa_mono_us(), before = cp.n;
        if (samsa_client_fetch(c, md, &fc, pos, npos, on_record, &cp) !=
            SAMSA_OK) {
            rc = samsa_cli_client_error("perf", c);
            break;
        }
        int64_t f1 = samsa_mono_us();
        lat_add(&lat, f1 - f0);
        if (cp.n > before) {
            last_rec = f1;
        } else if (f1 - last_rec > a->idle_ms * 1000) {
            fprintf(stderr,
                    "samsa perf: no records for %lld ms; got %" PRId64
                    " of %" PRId64 "\n",
                    a->idle_ms, cp.n, cp.want);
            rc = SAMSA_EXIT_ERROR;
            break;
        }
        progress(tty, "consumed", cp.n, cp.bytes, t0, &last);
    }
    double secs = (double)(samsa_mono_us() - t0) / 1e6;
    if (tty) {
        fprintf(stderr, "\n");
    }
    printf("{\"mode\":\"consume\",\"topic\":");
    samsa_cli_json_str(stdout, a->topic, strlen(a->topic));
    printf(",\"records\":%" PRId64 ",\"bytes\":%" PRId64
           ",\"seconds\":%.3f,\"records_per_sec\":%.1f,\"mb_per_sec\":%.2f,"
           "\"fetches\":%zu,",
           cp.n, cp.bytes, secs, (double)cp.n / secs,
           (double)cp.bytes / secs / 1048576.0, lat.n);
    print_latency_json(&lat);
    printf("}\n");
out:
    free(lat.v);
    free(pos);
    samsa_metadata_free(md);
    samsa_registry_shutdown(reg);
    return rc;
}

static int perf_run(int argc, char **argv)
{
    perf_args_t a;
    samsa_client_t *c = NULL;
    int rc;

    if (argc < 2 || samsa_cli_is_help(argv[1])) {
        perf_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    memset(&a, 0, sizeof(a));
    samsa_cli_conn_opts_init(&a.conn);
    a.size = 100;
    a.throughput = -1;
    a.batch_size = 65536;
    a.linger = 5;
    a.inflight = 5;
    a.idle_ms = 10000;
    a.fetch_max = 1 << 20;
    a.acks = -1;
    a.partitioner = "round-robin";
    for (int i = 2; i < argc; i++) {
        if (samsa_cli_is_help(argv[i])) {
            perf_usage(stdout);
            return SAMSA_EXIT_OK;
        }
        if (parse_one(argc, argv, &i, &a) < 0) {
            perf_usage(stderr);
            return SAMSA_EXIT_USAGE;
        }
    }
    bool produce = strcmp(argv[1], "produce") == 0;
    if ((!produce && strcmp(argv[1], "consume") != 0) || a.topic == NULL ||
        a.num <= 0) {
        fprintf(stderr, "samsa perf: need produce|consume, --topic and "
                        "--num-records\n");
        perf_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if ((rc = samsa_cli_client("perf", &a.conn, &c)) != SAMSA_EXIT_OK) {
        return rc;
    }
    rc = produce ? perf_produce(&a, c) : perf_consume(&a, c);
    samsa_client_free(c);
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_perf = {
    .name = "perf",
    .summary = "throughput and latency test: perf produce|consume",
    .run = perf_run,
};
