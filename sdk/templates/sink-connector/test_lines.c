/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_lines: the sink template's own test, through the Samsa test kit
 * (samsa_testkit.h): sink-lines.so runs in a broker embedded in this
 * process; three records are fed to its topic; the test checks what
 * put() was given and the lines the sink wrote. Copy it with the
 * template and make it check what your sink does.
 *
 *   test_lines PATH/sink-lines.so      exit 0 pass, 1 fail
 *
 * The broker's own plugins (storage-memory, partitioner-hash) come from
 * $SAMSA_PLUGIN_DIR, else the installed plugin dir.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int main(int argc, char **argv)
{
    char errbuf[1024] = "", file[] = "/tmp/test-lines.XXXXXX";
    samsa_testkit_t *kit = NULL;
    int rc = 1, fd = mkstemp(file);
    CHECK(argc == 2, "usage: %s PATH/sink-lines.so", argv[0]);
    CHECK(fd >= 0, "mkstemp");
    close(fd);

    samsa_testkit_opts_t opts = {.plugin_path = argv[1]};
    CHECK(samsa_testkit_open(&opts, &kit, errbuf, sizeof(errbuf)) == SAMSA_OK,
          "open: %s", errbuf);
    /* The connector's settings, as a REST create would give them. The
     * values are bytes to this sink: the String converter passes them
     * through (Kafka Connect's default is JSON). */
    samsa_connect_kv_t config[] = {
        {"topics", "orders"},
        {"file", file},
        {"value.converter", "org.apache.kafka.connect.storage.StringConverter"},
    };
    CHECK(samsa_testkit_start(kit, config, 3, errbuf, sizeof(errbuf)) ==
              SAMSA_OK,
          "start: %s", errbuf);
    samsa_testkit_record_t in[3];
    const char *values[] = {"apple", "banana", "cherry"};
    for (int i = 0; i < 3; i++) {
        in[i] = (samsa_testkit_record_t){.topic = "orders",
                                         .partition = -1,
                                         .timestamp = -1,
                                         .value = values[i],
                                         .value_len = strlen(values[i])};
    }
    CHECK(samsa_testkit_feed(kit, in, 3, errbuf, sizeof(errbuf)) == SAMSA_OK,
          "feed: %s", errbuf);
    CHECK(samsa_testkit_wait_sink(kit, 20000, errbuf, sizeof(errbuf)) ==
              SAMSA_OK,
          "wait: %s", errbuf);

    /* put() was given the three records, in order, with their offsets. */
    const samsa_testkit_record_t *const *got = NULL;
    size_t n = 0;
    samsa_testkit_records(kit, &got, &n);
    CHECK(n == 3, "put() was given %zu records, not 3", n);
    for (size_t i = 0; i < n; i++) {
        CHECK(got[i]->offset == (int64_t)i &&
                  got[i]->value_len == strlen(values[i]) &&
                  memcmp(got[i]->value, values[i], got[i]->value_len) == 0,
              "record %zu: offset %lld", i, (long long)got[i]->offset);
    }

    /* flush() wrote them: one line per record. */
    char text[256] = "";
    FILE *f = fopen(file, "r");
    CHECK(f != NULL, "cannot open %s", file);
    size_t len = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[len] = '\0';
    CHECK(strcmp(text, "orders/0/0: apple\norders/0/1: banana\n"
                       "orders/0/2: cherry\n") == 0,
          "the file holds:\n%s", text);
    rc = 0;
    printf("sink-lines: ok\n");
out:
    samsa_testkit_close(kit);
    unlink(file);
    return rc;
}
