/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sequence: the source template's own test, through the Samsa test
 * kit (samsa_testkit.h): source-sequence.so runs in a broker embedded in
 * this process until its topic holds 25 records, which the test then
 * checks (keys, values, order). Copy it with the template and make it
 * check what your source produces.
 *
 *   test_sequence PATH/source-sequence.so      exit 0 pass, 1 fail
 *
 * The broker's own plugins (storage-memory, partitioner-hash) come from
 * $SAMSA_PLUGIN_DIR, else the installed plugin dir.
 */
#include <stdio.h>
#include <string.h>

#include <samsa_testkit.h>

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);               \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            goto out;                                                          \
        }                                                                      \
    } while (0)

#define N 25

int main(int argc, char **argv)
{
    char errbuf[1024] = "";
    samsa_testkit_t *kit = NULL;
    int rc = 1;
    CHECK(argc == 2, "usage: %s PATH/source-sequence.so", argv[0]);

    /* The plugin's own options (its manifest config): 10 records a poll,
     * no pause, 25 in all. */
    samsa_connect_kv_t options[] = {{"topic", "numbers"},
                                    {"records_per_poll", "10"},
                                    {"interval_ms", "0"},
                                    {"max_records", "25"}};
    samsa_testkit_opts_t opts = {.plugin_path = argv[1],
                                 .plugin_options = options,
                                 .plugin_option_count = 4};
    CHECK(samsa_testkit_open(&opts, &kit, errbuf, sizeof(errbuf)) == SAMSA_OK,
          "open: %s", errbuf);
    /* The bytes as they are on the topic: the String converter (Kafka
     * Connect's default is JSON with a schema envelope). */
    samsa_connect_kv_t config[] = {
        {"key.converter", "org.apache.kafka.connect.storage.StringConverter"},
        {"value.converter", "org.apache.kafka.connect.storage.StringConverter"},
    };
    CHECK(samsa_testkit_start(kit, config, 2, errbuf, sizeof(errbuf)) ==
              SAMSA_OK,
          "start: %s", errbuf);
    CHECK(samsa_testkit_wait_source(kit, N, 20000, errbuf, sizeof(errbuf)) ==
              SAMSA_OK,
          "wait: %s", errbuf);

    const samsa_testkit_record_t *const *got = NULL;
    size_t n = 0;
    samsa_testkit_records(kit, &got, &n);
    CHECK(n == N, "the source produced %zu records, not %d", n, N);
    for (size_t i = 0; i < n; i++) {
        char key[32], value[64];
        snprintf(key, sizeof(key), "key-0-%zu", i);
        snprintf(value, sizeof(value), "record %zu of task 0", i);
        CHECK(strcmp(got[i]->topic, "numbers") == 0 &&
                  got[i]->offset == (int64_t)i,
              "record %zu: %s offset %lld", i, got[i]->topic,
              (long long)got[i]->offset);
        CHECK(got[i]->key_len == strlen(key) &&
                  memcmp(got[i]->key, key, got[i]->key_len) == 0,
              "record %zu: key %.*s", i, (int)got[i]->key_len,
              (const char *)got[i]->key);
        CHECK(got[i]->value_len == strlen(value) &&
                  memcmp(got[i]->value, value, got[i]->value_len) == 0,
              "record %zu: value %.*s", i, (int)got[i]->value_len,
              (const char *)got[i]->value);
    }
    rc = 0;
    printf("source-sequence: ok\n");
out:
    samsa_testkit_close(kit);
    return rc;
}
