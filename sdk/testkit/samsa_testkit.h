/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa_testkit.h - the connector test kit: run a source or sink
 * connector .so against a broker embedded in the calling process, without
 * a samsad to start.
 *
 * The broker is the real one (samsad's core, memory storage, a loopback
 * listener on a free port) and the connector runs in the real Connect
 * worker, exactly as in samsad: converters, transforms, error tolerance,
 * offsets and the sink's consumer group all apply. Link with
 * `pkg-config --cflags --libs samsa-testkit`, or Samsa::testkit from
 * find_package(Samsa). `samsa connector test` is the same kit as a
 * command.
 *
 * A sink test:
 *
 *     samsa_testkit_t *kit;
 *     samsa_testkit_opts_t opts = {.plugin_path = "build/plugins/sink-x.so"};
 *     samsa_testkit_open(&opts, &kit, errbuf, sizeof(errbuf));
 *     samsa_connect_kv_t cfg[] = {{"topics", "in"}};
 *     samsa_testkit_start(kit, cfg, 1, errbuf, sizeof(errbuf));
 *     samsa_testkit_record_t r = {.topic = "in", .value = "v",
 *                                 .value_len = 1, .partition = -1};
 *     samsa_testkit_feed(kit, &r, 1, errbuf, sizeof(errbuf));
 *     samsa_testkit_wait_sink(kit, 10000, errbuf, sizeof(errbuf));
 *     samsa_testkit_records(kit, &recs, &n); // what put() was given
 *     samsa_testkit_close(kit);
 *
 * A source test: open, start, samsa_testkit_wait_source(kit, N, ...),
 * then samsa_testkit_records() holds what it produced.
 *
 * Threads: one kit is used by one thread at a time; several kits may run
 * in one process (each its own broker). Errors: every call returns a
 * samsa_err_t and, when it fails, a one-line reason in the caller's
 * errbuf. Logging: the embedded broker logs to stderr at the level of
 * opts.log_level (default warnings and errors); the level is the
 * process's, so the last kit opened sets it. Process state: opening a kit
 * ignores SIGPIPE (a peer closing a socket must not end the test) and
 * creates a directory under $TMPDIR (else /tmp) that close removes.
 */
#ifndef SAMSA_TESTKIT_H
#define SAMSA_TESTKIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <samsa/connect.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One embedded broker with one connector under test. */
typedef struct samsa_testkit samsa_testkit_t;

/** What samsa_testkit_open() needs; zero what you do not set. */
typedef struct samsa_testkit_opts {
    /** The connector .so under test (mandatory). Its file name without
     *  ".so" is the plugin instance's name, which connector.class may use
     *  (a connector.class left out defaults to it). */
    const char *plugin_path;
    /** The plugin's own options (the manifest's config: block), as
     *  key/value strings; may be NULL. Borrowed for the call. */
    const samsa_connect_kv_t *plugin_options;
    size_t plugin_option_count;
    /** Where the broker's plugins are (storage-memory, partitioner-hash,
     *  transforms-basic); NULL: $SAMSA_PLUGIN_DIR, else the plugins/ dir
     *  beside the installed libsamsa-testkit.so (<libdir>/samsa/plugins),
     *  else samsad's default. */
    const char *plugin_dir;
    /** Broker log level, a samsa_log_level_t (SAMSA_LOG_ERROR ..
     *  SAMSA_LOG_DEBUG); 0: SAMSA_LOG_WARN. */
    int log_level;
    /** Partitions of the topics the broker creates (default 1). */
    int32_t partitions;
} samsa_testkit_opts_t;

/** One record header (a NULL value is a null header value). */
typedef struct samsa_testkit_header {
    const char *key;
    const void *value;
    size_t value_len;
} samsa_testkit_header_t;

/**
 * One record: fed to a sink, or reported (what a sink's put() was given,
 * what a source produced). A NULL key or value is Kafka's null.
 */
typedef struct samsa_testkit_record {
    const char *topic;
    int32_t partition; /**< feeding: -1 lets the partitioner choose */
    int64_t offset;    /**< reported only */
    int64_t timestamp; /**< ms since the epoch; -1: none (feeding: now) */
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    const samsa_testkit_header_t *headers;
    size_t header_count;
} samsa_testkit_record_t;

/** Start a broker (memory storage, the Connect worker) and load the
 *  connector .so; it is not running yet. *kit is the caller's until
 *  samsa_testkit_close(). */
samsa_err_t samsa_testkit_open(const samsa_testkit_opts_t *opts,
                               samsa_testkit_t **kit, char *errbuf,
                               size_t errlen);

/**
 * Create the connector with Kafka Connect's config keys (connector.class,
 * tasks.max, topics, converters, transforms, errors.tolerance, the
 * connector's own keys), as a REST create would; "name" names it
 * (default "test"). Borrowed for the call. The config is validated like
 * a REST create (SAMSA_ERR_CONFIG and Kafka Connect's message when it is
 * refused); the tasks then start.
 */
samsa_err_t samsa_testkit_start(samsa_testkit_t *kit,
                                const samsa_connect_kv_t *config, size_t count,
                                char *errbuf, size_t errlen);

/** samsa_testkit_start() with the config of a Kafka .properties file or a
 *  JSON file ({"name":..., "config":{...}} or the config alone). */
samsa_err_t samsa_testkit_start_file(samsa_testkit_t *kit, const char *path,
                                     char *errbuf, size_t errlen);

/** Produce @p count records (acks=all) for the sink to consume. A NULL
 *  topic is the first of the sink's "topics". Borrowed for the call. */
samsa_err_t samsa_testkit_feed(samsa_testkit_t *kit,
                               const samsa_testkit_record_t *records,
                               size_t count, char *errbuf, size_t errlen);

/** Wait until the sink consumed everything fed so far: put() took it,
 *  flush() succeeded and the group committed past it.
 *  @return SAMSA_OK; SAMSA_ERR_TIMEOUT; SAMSA_ERR_IO when a task failed
 *          (its trace in @p errbuf). */
samsa_err_t samsa_testkit_wait_sink(samsa_testkit_t *kit, int64_t timeout_ms,
                                    char *errbuf, size_t errlen);

/** Let the source run until its topics hold at least @p min_records
 *  (0: until @p timeout_ms passed), then stop it and read what it
 *  produced. @return SAMSA_OK; SAMSA_ERR_TIMEOUT when fewer than
 *  @p min_records arrived in time (what did arrive is still read);
 *  SAMSA_ERR_IO when a task failed (its trace in @p errbuf). */
samsa_err_t samsa_testkit_wait_source(samsa_testkit_t *kit, int64_t min_records,
                                      int64_t timeout_ms, char *errbuf,
                                      size_t errlen);

/** The records so far: for a sink, what put() was given (in order, per
 *  task); for a source, what wait_source() read from its topics (by
 *  topic, partition and offset). Owned by the kit: valid until the next
 *  call on it. */
void samsa_testkit_records(samsa_testkit_t *kit,
                           const samsa_testkit_record_t *const **records,
                           size_t *count);

/** Write one record as a JSON line: {"topic", "partition", "offset",
 *  "timestamp", "key", "value", "headers": [{"key", "value"}]}; a key,
 *  value or header value that is not UTF-8 is written as
 *  {"base64": "..."}. @return 0, or -1 when writing failed. */
int samsa_testkit_write_json(FILE *out, const samsa_testkit_record_t *record);

/** Read records from JSON lines (the objects write_json() writes, where
 *  only "value" is needed) or, with @p lines, plain lines (each one a
 *  value, no key). The records are the kit's until close. */
samsa_err_t samsa_testkit_read_records(samsa_testkit_t *kit, FILE *in,
                                       int lines,
                                       const samsa_testkit_record_t **records,
                                       size_t *count, char *errbuf,
                                       size_t errlen);

/** Stop the connector (tasks flush and stop), the broker, and free. NULL
 *  is fine. */
void samsa_testkit_close(samsa_testkit_t *kit);

#ifdef __cplusplus
}
#endif

#endif /* SAMSA_TESTKIT_H */
