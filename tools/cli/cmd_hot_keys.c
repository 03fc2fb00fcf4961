/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_hot_keys.c - `samsa topic hot-keys TOPIC`: the hottest keys
 * of a topic, with their share, from the broker's HTTP endpoint
 * (/api/hot-keys). Hot keys are broker-side observations with no Kafka
 * API to carry them, so they come over the operator's HTTP listener rather
 * than a made-up protocol extension other Kafka tools would trip on.
 * Fetched with libcurl, decoded with jansson.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cmd_client.h"
#include "http_json.h"

/* One key's share above this (of a partition's records) is a hot key
 * worth re-partitioning for. */
#define DOMINANT_SHARE 0.20
#define MIN_RECORDS    100
#define TOPIC_KEYS     128

static void usage(FILE *out)
{
    fprintf(out,
            "usage: samsa topic hot-keys TOPIC [--http HOST:PORT] [-b "
            "HOST:PORT] [--top N]\n"
            "\n"
            "The keys carrying most records of TOPIC (per partition and "
            "over the topic),\n"
            "estimated by the broker with a bounded top-K sketch since it "
            "started, and a\n"
            "partitioner suggestion when one key dominates a partition.\n"
            "\n"
            "  --http HOST:PORT  the broker's HTTP listener (default: "
            "$SAMSA_HTTP, else the\n"
            "                    bootstrap host on port 8083)\n"
            "  -b, --bootstrap HOST:PORT  used for the default --http host\n"
            "  --top N           keys to list (default 5)\n"
            "\n" SAMSA_CLI_EXIT_TEXT);
}

typedef struct topic_key {
    const char *key;
    json_int_t records, bytes;
} topic_key_t;

static int by_records(const void *a, const void *b)
{
    const topic_key_t *x = a, *y = b;
    return x->records < y->records ? 1 : x->records > y->records ? -1 : 0;
}

/* Keys summed over partitions (a key lives in one partition under a
 * key-hash partitioner; summing also covers other partitioners). */
static void print_topic_wide(json_t *parts, long long top)
{
    topic_key_t keys[TOPIC_KEYS];
    size_t n = 0;
    json_int_t total = 0;
    size_t i;
    json_t *p;
    json_array_foreach(parts, i, p)
    {
        total += json_integer_value(json_object_get(p, "records"));
        size_t j;
        json_t *k;
        json_array_foreach(json_object_get(p, "keys"), j, k)
        {
            const char *name = json_string_value(json_object_get(k, "key"));
            size_t at = 0;
            while (at < n && strcmp(keys[at].key, name) != 0) {
                at++;
            }
            if (at == n) {
                if (n == TOPIC_KEYS) {
                    continue;
                }
                keys[n++] = (topic_key_t){name, 0, 0};
            }
            keys[at].records +=
                json_integer_value(json_object_get(k, "records"));
            keys[at].bytes += json_integer_value(json_object_get(k, "bytes"));
        }
    }
    qsort(keys, n, sizeof(keys[0]), by_records);
    printf("topic: %lld records since the broker started\n", (long long)total);
    printf("  %-4s %7s %12s  %s\n", "rank", "share", "records", "key");
    for (i = 0; i < n && (long long)i < top; i++) {
        printf("  %-4zu %6.1f%% %12lld  %s\n", i + 1,
               total ? 100.0 * (double)keys[i].records / (double)total : 0.0,
               (long long)keys[i].records, keys[i].key);
    }
}

/* Per partition; returns how many partitions have a dominant key. */
static int print_partitions(json_t *parts, long long top, const char *topic)
{
    size_t nparts = json_array_size(parts);
    int dominated = 0;
    size_t i;
    json_t *p;
    json_array_foreach(parts, i, p)
    {
        json_int_t records = json_integer_value(json_object_get(p, "records"));
        json_t *keys = json_object_get(p, "keys");
        printf("partition %lld: %lld records\n",
               (long long)json_integer_value(json_object_get(p, "partition")),
               (long long)records);
        size_t j;
        json_t *k;
        json_array_foreach(keys, j, k)
        {
            if ((long long)j >= top) {
                break;
            }
            printf("  %-4zu %6.1f%% %12lld  %s (bytes %.1f%%, +-%lld)\n", j + 1,
                   100.0 * json_real_value(json_object_get(k, "share")),
                   (long long)json_integer_value(json_object_get(k, "records")),
                   json_string_value(json_object_get(k, "key")),
                   100.0 * json_real_value(json_object_get(k, "byte_share")),
                   (long long)json_integer_value(json_object_get(k, "error")));
        }
        json_t *first = json_array_get(keys, 0);
        double share =
            first ? json_real_value(json_object_get(first, "share")) : 0;
        if (records >= MIN_RECORDS && share >= DOMINANT_SHARE) {
            const char *key = json_string_value(json_object_get(first, "key"));
            int buckets = nparts > 1 ? (int)nparts : 4;
            printf("  suggestion: key '%s' carries %.1f%% of this partition's "
                   "records. Spread it with the salted\n"
                   "  partitioner (conf.d/33-partitioner-salted.yaml: "
                   "config: {hot_keys: [\"%s\"], salt_buckets: %d};\n"
                   "  samsa produce -t %s --partitioner salted), or key "
                   "the records by several fields with the\n"
                   "  compound partitioner (conf.d/34-partitioner-compound"
                   ".yaml: fields: [...]) so one value no longer\n"
                   "  maps to one partition.\n",
                   key, 100.0 * share, key, buckets, topic);
            dominated++;
        }
    }
    return dominated;
}

int samsa_cli_topic_hot_keys(int argc, char **argv)
{
    const char *topic = NULL, *http = NULL, *bootstrap = NULL, *v = NULL;
    long long top = 5;
    for (int i = 2; i < argc; i++) {
        int r;
        if (samsa_cli_is_help(argv[i])) {
            usage(stdout);
            return SAMSA_EXIT_OK;
        }
        if ((r = samsa_cli_opt(argc, argv, &i, "--http", &http)) != 0 ||
            (r = samsa_cli_opt(argc, argv, &i, "--bootstrap", &bootstrap)) !=
                0 ||
            (r = samsa_cli_opt(argc, argv, &i, "-b", &bootstrap)) != 0) {
            if (r < 0) {
                return SAMSA_EXIT_USAGE;
            }
            continue;
        }
        if ((r = samsa_cli_opt(argc, argv, &i, "--top", &v)) != 0) {
            if (r < 0 ||
                !samsa_cli_int("topic hot-keys", "--top", v, 1, 1000, &top)) {
                return SAMSA_EXIT_USAGE;
            }
            continue;
        }
        if (argv[i][0] == '-' || topic) {
            fprintf(stderr, "samsa topic hot-keys: unexpected argument '%s'\n",
                    argv[i]);
            usage(stderr);
            return SAMSA_EXIT_USAGE;
        }
        topic = argv[i];
    }
    if (!topic) {
        usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    char base[512], url[1024];
    samsa_cli_http_base(http, bootstrap, base, sizeof(base));
    CURL *esc = curl_easy_init();
    char *q = esc ? curl_easy_escape(esc, topic, 0) : NULL;
    snprintf(url, sizeof(url), "%s/api/hot-keys?topic=%s", base, q ? q : topic);
    curl_free(q);
    curl_easy_cleanup(esc);
    long status = 0;
    json_t *doc =
        samsa_cli_http_json("samsa topic hot-keys", "GET", url, NULL, &status);
    if (!doc) {
        return SAMSA_EXIT_ERROR;
    }
    int rc = SAMSA_EXIT_OK;
    if (status != 200) {
        const char *why = json_string_value(json_object_get(doc, "error"));
        fprintf(stderr, "samsa topic hot-keys: %s: %s\n", topic,
                why ? why : "HTTP error");
        rc = SAMSA_EXIT_ERROR;
    } else {
        json_t *parts = json_object_get(doc, "partitions");
        printf(
            "hot keys of %s (top-%lld sketch per partition):\n", topic,
            (long long)json_integer_value(json_object_get(doc, "sketch_size")));
        print_topic_wide(parts, top);
        print_partitions(parts, top, topic);
    }
    json_decref(doc);
    return rc;
}
