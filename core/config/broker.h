/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/config/broker.h - samsad's own configuration: samsa.yaml + flags.
 *
 * Precedence, highest first: command-line flag, broker YAML, environment
 * default (SAMSA_CONF_DIR, SAMSA_PLUGIN_DIR), compiled-in default.
 *
 * Which YAML file: --config FILE if given (it must exist); otherwise
 * <conf_dir>/samsa.yaml, then <conf_dir>/../samsa.yaml (the packaged
 * /etc/samsa/samsa.yaml beside /etc/samsa/conf.d); if neither exists the
 * built-in defaults apply. The conf_dir used for that search is the flag,
 * else the default; a conf_dir key inside the YAML then only moves where
 * manifests are read from. See conf.d/README.md.
 *
 * The broker's keys are declared as an option table (samsa_broker_options)
 * exactly like a plugin's, so unknown keys, wrong types, duplicates and
 * out-of-range values are errors with file:line.
 */
#ifndef SAMSA_CONFIG_BROKER_H
#define SAMSA_CONFIG_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <samsa/plugin.h>

#include "config/cluster.h"
#include "config/security.h"

/** One listener: "[NAME://]HOST:PORT" (IPv6 as "[::1]:9092"). */
typedef struct samsa_listener {
    char *name; /**< upper case; "PLAINTEXT" when the entry has none */
    char *host; /**< without brackets; "0.0.0.0" for all IPv4 */
    uint16_t port;
} samsa_listener_t;

/** What samsad should do after loading the config. */
typedef enum samsa_broker_action {
    SAMSA_BROKER_RUN = 0,          /**< start the broker */
    SAMSA_BROKER_CHECK_CONFIG = 1, /**< --check-config: validate and exit */
    SAMSA_BROKER_VERSION = 2,      /**< --version: print version, exit 0 */
    SAMSA_BROKER_HELP = 3,         /**< --help: print usage, exit 0 */
} samsa_broker_action_t;

/** Resolved broker settings. Strings are owned by the struct; release with
 *  samsa_broker_config_free(). */
typedef struct samsa_broker_config {
    samsa_broker_action_t action;
    char *config_file; /**< YAML file read, or NULL when none was found */

    samsa_listener_t *listeners;
    size_t listener_count;
    /** HTTP listener addresses ("HOST:PORT", unparsed); none = HTTP off */
    char **http_listeners;
    size_t http_listener_count;
    int64_t lag_history_interval_ms; /**< console lag sampling period */
    bool connect_enabled; /**< run the Connect worker (core/connect) */
    char *data_dir;
    char *conf_dir;   /**< manifests directory (conf.d) */
    char *plugin_dir; /**< where plugin .so files are looked up */

    int32_t node_id;
    char *cluster_id;        /**< NULL: generated at first start */
    int32_t reactors;        /**< 0 = number of online CPUs */
    int32_t log_level;       /**< samsa_log_level_t */
    int32_t log_format;      /**< samsa_log_format_t (auto resolved) */
    bool auto_create_topics; /**< auto.create.topics.enable */
    int32_t num_partitions;  /**< num.partitions */
    int32_t max_partitions_per_request; /**< one CreateTopics/Partitions */
    int32_t max_broker_partitions;      /**< max.broker.partitions */
    int32_t default_replication_factor;
    int32_t min_insync_replicas;
    int64_t socket_request_max_bytes; /**< socket.request.max.bytes */
    int64_t connections_max_idle_ms;  /**< connections.max.idle.ms, 0 = never */
    int32_t quota_window_num;         /**< quota.window.num */
    int32_t quota_window_size_seconds; /**< quota.window.size.seconds */
    int64_t message_max_bytes;         /**< message.max.bytes */
    /** Bound on what one produce request's compressed batches decompress
     *  to, together (Samsa's own). */
    int64_t message_max_decompressed_bytes;
    bool fetch_copy;                   /**< pread+write instead of sendfile */
    int64_t producer_id_expiration_ms; /**< producer.id.expiration.ms */
    /** log.retention.check.interval.ms: housekeeping cadence */
    int64_t log_retention_check_interval_ms;

    /* Topic defaults (Kafka's broker-level log.* settings). */
    int64_t log_segment_bytes;
    int64_t log_segment_ms;              /**< log.roll.ms */
    int64_t log_retention_ms;            /**< -1 = forever */
    int64_t log_retention_bytes;         /**< -1 = unlimited */
    int64_t log_flush_interval_messages; /**< -1 = leave it to the OS */
    int64_t log_flush_interval_ms;       /**< -1 = leave it to the OS */
    int64_t log_index_interval_bytes;
    char *log_cleanup_policy; /**< "delete", "compact" or both */
    int64_t group_min_session_timeout_ms;
    int64_t group_max_session_timeout_ms;
    int64_t group_initial_rebalance_delay_ms;
    int64_t offsets_retention_ms;
    /* The internal topics in a cluster (standalone: one partition each). */
    int32_t offsets_topic_num_partitions;
    int32_t offsets_topic_replication_factor;
    int32_t transaction_state_log_num_partitions;
    int32_t transaction_state_log_replication_factor;
    int64_t transaction_max_timeout_ms;
    int64_t transaction_abort_timed_out_transaction_cleanup_interval_ms;

    /** Node identity in a cluster (process_roles, controller quorum,
     *  advertised listeners, rack): core/config/cluster.h. */
    samsa_cluster_config_t cluster;

    /** Listener security protocols and TLS keys: core/config/security.h. */
    samsa_security_config_t security;

    /** Every key with its value (and file:line when set): for code that
     *  wants a key this struct does not have a field for yet. */
    samsa_config_t *values;
} samsa_broker_config_t;

/** The broker's option table (name, type, default, bounds, doc). */
extern const samsa_option_t samsa_broker_options[];

/**
 * Parse samsad's command line, read the broker YAML and resolve every
 * setting into @p cfg (zeroed by the call).
 * Flags: --listen HOST:PORT (repeatable; replaces the YAML's listeners),
 * --http-listen HOST:PORT|none (repeatable; replaces http_listeners),
 * --data-dir DIR, --conf-dir DIR, --plugin-dir DIR, --config FILE,
 * --check-config, --version, --help.
 * @return SAMSA_OK (check cfg->action);
 *         SAMSA_ERR_INVAL for a usage error (exit code 2);
 *         SAMSA_ERR_CONFIG / SAMSA_ERR_IO for a bad or unreadable YAML
 *         (exit code 1); SAMSA_ERR_NOMEM. On error errbuf holds one line
 *         (with file:line for YAML errors) and @p cfg needs no free.
 */
samsa_err_t samsa_broker_config_load(int argc, char **argv,
                                     samsa_broker_config_t *cfg, char *errbuf,
                                     size_t errbuf_size);

/** Release what samsa_broker_config_load() filled; @p cfg may be zeroed. */
void samsa_broker_config_free(samsa_broker_config_t *cfg);

/** Where @p key was set, as "file:line: " into @p buf (empty for defaults
 *  and flags): the prefix of every config error. */
void samsa_broker_config_where(const samsa_broker_config_t *cfg,
                               const char *key, char *buf, size_t size);

/** Write "file:line: broker config: KEY: WHAT" into @p errbuf (the
 *  checks of cluster.c and security.c); returns SAMSA_ERR_CONFIG. */
samsa_err_t samsa_broker_config_fail(const samsa_broker_config_t *cfg,
                                     const char *key, char *errbuf,
                                     size_t errbuf_size, const char *what);

/** Print samsad's usage (flags and their defaults) to @p out. */
void samsa_broker_config_usage(FILE *out, const char *argv0);

/** Parse "[NAME://]HOST:PORT" / "[NAME://][v6]:PORT" into @p out (host
 *  allocated; name allocated and upper-cased, NULL without a prefix). */
samsa_err_t samsa_listener_parse(const char *text, samsa_listener_t *out);

/** The default conf.d directory: $SAMSA_CONF_DIR, else the source tree's
 *  conf.d when it exists, else the installed <sysconfdir>/samsa/conf.d.
 *  Returns a static string or the environment value. */
const char *samsa_default_conf_dir(void);

/** The default plugin directory: $SAMSA_PLUGIN_DIR, else the build tree's
 *  plugins/ when it exists, else the installed <libdir>/samsa/plugins. */
const char *samsa_default_plugin_dir(void);

#endif /* SAMSA_CONFIG_BROKER_H */
