/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa/plugin.h - the plugin descriptor, option table and host services.
 *
 * A plugin is one shared object exporting exactly one entry point:
 *
 *     SAMSA_PLUGIN_DECLARE(my_descriptor)
 *
 * which defines `const samsa_plugin_t *samsa_plugin_descriptor(void)`.
 * The registry dlopen()s the .so with RTLD_NOW | RTLD_LOCAL, calls that
 * function, checks the ABI header, the kind, the option table and the ops
 * table, validates the manifest's config against the options, then calls
 * init(). Nothing else from the plugin is looked up by name, and the plugin
 * links nothing from samsad: every host facility arrives through the
 * samsa_services_t table passed to init().
 *
 * Threads, in one place (each function repeats its own contract):
 *   - init() and fini() run on the main thread, before the reactors start
 *     and after they stop, in manifest order and reverse order.
 *   - Ops marked "reactor" run on one of samsad's reactor threads and must
 *     never block: no fsync, no network waits, no long-held locks.
 *   - Ops marked "background" run on a host worker thread (flush,
 *     housekeeping, compaction, connector tasks) and may block.
 *   - One instance may be called from several threads at once unless the op
 *     says otherwise; per-object ops (a log, a session, a task) are not
 *     called concurrently for the same object unless the op says so.
 *   - Services say which threads may call them; most are safe from any.
 */
#ifndef SAMSA_PLUGIN_H
#define SAMSA_PLUGIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/abi.h>
#include <samsa/errors.h>

#ifdef __cplusplus
extern "C" {
#endif

/** What a plugin provides; selects the type of samsa_plugin_t.ops. */
typedef enum samsa_plugin_kind {
    SAMSA_KIND_STORAGE = 1,     /**< ops: samsa_storage_ops_t (storage.h) */
    SAMSA_KIND_PARTITIONER = 2, /**< ops: samsa_partitioner_ops_t */
    SAMSA_KIND_CODEC = 3,       /**< ops: samsa_codec_ops_t (codec.h) */
    SAMSA_KIND_SASL = 4,        /**< ops: samsa_sasl_ops_t (sasl.h) */
    SAMSA_KIND_AUTHORIZER = 5,  /**< ops: samsa_authorizer_ops_t */
    SAMSA_KIND_TRANSPORT = 6,   /**< ops: samsa_transport_ops_t */
    SAMSA_KIND_SOURCE = 7,      /**< ops: samsa_source_ops_t (connect.h) */
    SAMSA_KIND_SINK = 8,        /**< ops: samsa_sink_ops_t (connect.h) */
    SAMSA_KIND_TRANSFORM = 9,   /**< ops: samsa_transform_ops_t (connect.h) */
} samsa_plugin_kind_t;

/* ------------------------------------------------------------------------ */
/* Options: declared as data, checked by the registry                       */
/* ------------------------------------------------------------------------ */

/** Type of one configuration option; the YAML value must match it. */
typedef enum samsa_opt_type {
    SAMSA_OPT_BOOL = 1,   /**< true/false (YAML 1.1 yes/no also accepted) */
    SAMSA_OPT_INT = 2,    /**< signed 64-bit integer, bounds in min/max */
    SAMSA_OPT_DOUBLE = 3, /**< floating point number */
    SAMSA_OPT_STRING = 4, /**< UTF-8 string */
    SAMSA_OPT_LIST = 5,   /**< YAML sequence of strings */
} samsa_opt_type_t;

/** Option flags. */
#define SAMSA_OPT_REQUIRED 0x1u /**< no default: the manifest must set it */

/**
 * One row of a plugin's option table. The table is an array terminated by a
 * row whose name is NULL. Rows are read-only data owned by the plugin and
 * must stay valid while the .so is loaded.
 */
typedef struct samsa_option {
    const char *name;          /**< key in the manifest's config: mapping */
    uint32_t type;             /**< samsa_opt_type_t */
    uint32_t flags;            /**< SAMSA_OPT_* flags */
    const char *default_value; /**< textual default, parsed like YAML; NULL
                                    only with SAMSA_OPT_REQUIRED or for an
                                    empty list */
    int64_t min;               /**< SAMSA_OPT_INT: inclusive bounds, */
    int64_t max;               /**< ignored when min == max == 0 */
    const char *doc;           /**< one or two sentences for `samsa plugin
                                    describe`: meaning, unit, effect */
} samsa_option_t;

/** Initializers for option rows, so tables read like documentation. */
/* clang-format off */
#define SAMSA_OPTION_BOOL(n, def, d) {(n), SAMSA_OPT_BOOL, 0, (def), 0, 0, (d)}
#define SAMSA_OPTION_INT(n, def, lo, hi, d) \
    {(n), SAMSA_OPT_INT, 0, (def), (lo), (hi), (d)}
#define SAMSA_OPTION_DOUBLE(n, def, d) {(n), SAMSA_OPT_DOUBLE, 0, (def), 0, 0, (d)}
#define SAMSA_OPTION_STRING(n, def, d) {(n), SAMSA_OPT_STRING, 0, (def), 0, 0, (d)}
#define SAMSA_OPTION_LIST(n, def, d) {(n), SAMSA_OPT_LIST, 0, (def), 0, 0, (d)}
#define SAMSA_OPTION_END {NULL, 0, 0, NULL, 0, 0, NULL}
/* clang-format on */

/* ------------------------------------------------------------------------ */
/* Host-side objects handed to plugins (all opaque)                         */
/* ------------------------------------------------------------------------ */

/**
 * A validated configuration: the manifest's values merged with the option
 * defaults. Owned by the registry; valid from init() until fini() returns.
 */
typedef struct samsa_config samsa_config_t;

/** A metric registered by a plugin; owned by the host. */
typedef struct samsa_metric samsa_metric_t;

/** A timer started by a plugin; owned by the host until timer_stop(). */
typedef struct samsa_timer samsa_timer_t;

/** Severity for services->log(). */
typedef enum samsa_log_level {
    SAMSA_LOG_ERROR = 1,
    SAMSA_LOG_WARN = 2,
    SAMSA_LOG_INFO = 3,
    SAMSA_LOG_DEBUG = 4,
} samsa_log_level_t;

/** Kind of metric for services->metric_register(). */
typedef enum samsa_metric_kind {
    SAMSA_METRIC_COUNTER = 1, /**< monotonically increasing */
    SAMSA_METRIC_GAUGE = 2,   /**< set to a current value */
} samsa_metric_kind_t;

/**
 * What the registry knows about one loaded instance: passed to init() and
 * to every service that logs or registers something on the instance's
 * behalf. Owned by the registry; valid until fini() returns.
 */
typedef struct samsa_instance {
    samsa_abi_header_t hdr;
    const char *name;     /**< instance name from the manifest (unique) */
    const char *path;     /**< absolute path of the .so */
    const char *manifest; /**< manifest file the instance came from */
    const char *data_dir; /**< the broker's data directory (absolute) */
    const samsa_config_t *config; /**< validated config (see above) */
    uint32_t manifest_line;       /**< line of the instance in the manifest */
    uint32_t reserved0;           /**< zero; keeps the layout padding-free */
} samsa_instance_t;

/** One user's salted SCRAM credential (RFC 5802 section 3): never the
 *  password. Added in ABI minor 3. */
typedef struct samsa_scram_credential {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_scram_credential_t) */
    uint32_t iterations;    /**< PBKDF2 iteration count */
    uint32_t salt_len;      /**< bytes used in salt */
    uint32_t key_len;       /**< bytes used in each key: 32 (SHA-256) or
                                 64 (SHA-512) */
    uint32_t reserved0;     /**< zero */
    uint8_t salt[64];       /**< the salt as given by the client */
    uint8_t stored_key[64]; /**< H(HMAC(SaltedPassword, "Client Key")) */
    uint8_t server_key[64]; /**< HMAC(SaltedPassword, "Server Key") */
} samsa_scram_credential_t;

/** A client of a Kafka cluster (services->kafka_open, ABI minor 5);
 *  owned by the host until kafka_close(). */
typedef struct samsa_kafka samsa_kafka_t;

/** kafka_list_offset() timestamps (Kafka's ListOffsets -1 and -2). */
#define SAMSA_KAFKA_OFFSET_END       (-1)
#define SAMSA_KAFKA_OFFSET_BEGINNING (-2)

/** One partition position for kafka_fetch(), kafka_committed() and
 *  kafka_commit() (ABI minor 5). */
typedef struct samsa_kafka_pos {
    const char *topic; /**< borrowed from the caller */
    int32_t partition;
    int16_t error;          /**< Kafka error of the last answer, 0 if none */
    uint16_t reserved0;     /**< zero */
    int64_t offset;         /**< next offset (fetch), or a group's offset */
    int64_t high_watermark; /**< from the last fetch; -1 before */
} samsa_kafka_pos_t;

/** kafka_topic_configs_all() sources (Kafka's DescribeConfigs
 *  ConfigSource). */
#define SAMSA_KAFKA_CONFIG_TOPIC           1
#define SAMSA_KAFKA_CONFIG_DYNAMIC_BROKER  2
#define SAMSA_KAFKA_CONFIG_DYNAMIC_DEFAULT 3
#define SAMSA_KAFKA_CONFIG_STATIC_BROKER   4
#define SAMSA_KAFKA_CONFIG_DEFAULT         5

struct samsa_acl_binding;    /* authorizer.h */
struct samsa_connect_kv;     /* connect.h */
struct samsa_connect_record; /* connect.h */

/**
 * Host services, passed to init(). The table is constant and outlives every
 * instance. Unless a function says otherwise it is safe from any thread.
 * A plugin that needs a function added in a later minor checks for it with
 * SAMSA_ABI_HAS(samsa_services_t, svc, field) first.
 */
typedef struct samsa_services {
    samsa_abi_header_t hdr;

    /** Log one line, prefixed with the plugin kind, name and instance.
     *  @p inst may be NULL before init() has an instance. Any thread. */
    void (*log)(const samsa_instance_t *inst, samsa_log_level_t level,
                const char *fmt, ...) __attribute__((format(printf, 3, 4)));

    /** Static description of @p err (never NULL). Any thread. */
    const char *(*err_str)(samsa_err_t err);

    /* Config access. All return SAMSA_ERR_NOT_FOUND for an unknown name
     * and SAMSA_ERR_INVAL when the option has another type. Strings are
     * owned by the config and valid until fini(). Any thread. */
    samsa_err_t (*config_bool)(const samsa_config_t *cfg, const char *name,
                               bool *out);
    samsa_err_t (*config_int)(const samsa_config_t *cfg, const char *name,
                              int64_t *out);
    samsa_err_t (*config_double)(const samsa_config_t *cfg, const char *name,
                                 double *out);
    samsa_err_t (*config_string)(const samsa_config_t *cfg, const char *name,
                                 const char **out);
    /** List option: *count entries in *items (owned by the config). */
    samsa_err_t (*config_list)(const samsa_config_t *cfg, const char *name,
                               const char *const **items, size_t *count);

    /* Memory. Everything a plugin hands to the host for freeing (e.g. codec
     * output) is allocated with these, so the host can count and free it. */
    void *(*alloc)(size_t size);
    void *(*realloc)(void *ptr, size_t size);
    void (*free)(void *ptr);

    /* Metrics. register returns NULL on failure; the metric lives until the
     * instance's fini(). add/set are lock-free and safe from any thread. */
    samsa_metric_t *(*metric_register)(const samsa_instance_t *inst,
                                       const char *name,
                                       samsa_metric_kind_t kind,
                                       const char *help);
    void (*metric_add)(samsa_metric_t *metric, int64_t delta);
    void (*metric_set)(samsa_metric_t *metric, int64_t value);

    /* Timers, run on the host's background timer thread (they may block
     * briefly but delay other timers while they do). start returns NULL on
     * failure. stop waits for a running callback to finish; do not call it
     * from inside the same timer's callback. */
    samsa_timer_t *(*timer_start)(const samsa_instance_t *inst,
                                  uint64_t interval_ms, bool repeat,
                                  void (*cb)(void *arg), void *arg);
    void (*timer_stop)(samsa_timer_t *timer);

    /** Wall clock in milliseconds since the epoch. Any thread. */
    int64_t (*now_ms)(void);
    /** Monotonic clock in milliseconds. Any thread. */
    int64_t (*monotonic_ms)(void);

    /* Codecs, added in ABI minor 1: the loaded codec plugins (codec.h),
     * looked up by Kafka codec id (samsa_codec_id_t, 1-4) at call time, so
     * they work whatever the manifest order of the caller and the codec.
     * Both fail with SAMSA_ERR_UNSUPPORTED_COMPRESSION_TYPE when no codec
     * plugin for @p codec_id is loaded (also before the registry finished
     * init() and after shutdown began), else return what the codec's op
     * returns. Input is borrowed. On SAMSA_OK, *out is allocated with
     * alloc() above, holds *out_len bytes and is freed by the caller with
     * free(). Any thread, including plugin background threads (compaction,
     * timers); calls may run concurrently. A plugin checks
     * SAMSA_ABI_HAS(samsa_services_t, svc, codec_decompress) first: a minor
     * 0 host lacks both. */

    /** Decompress a records section compressed with @p codec_id. Output
     *  larger than @p max_out bytes fails with SAMSA_ERR_TOO_LARGE;
     *  malformed input with SAMSA_ERR_CORRUPT_MESSAGE. */
    samsa_err_t (*codec_decompress)(int codec_id, const void *in, size_t in_len,
                                    size_t max_out, void **out,
                                    size_t *out_len);
    /** Compress a records section with @p codec_id, in the framing Kafka
     *  clients expect for that id. */
    samsa_err_t (*codec_compress)(int codec_id, const void *in, size_t in_len,
                                  void **out, size_t *out_len);

    /* SCRAM credentials, added in ABI minor 3: the broker keeps them
     * (AlterUserScramCredentials sets them, salted only); sasl plugins
     * implementing SCRAM read them here. A plugin checks
     * SAMSA_ABI_HAS(samsa_services_t, svc, scram_credential) first. */

    /**
     * Copy the credential of @p user (borrowed, as sent by the client,
     * without SCRAM's =2C/=3D escaping) for @p mechanism ("SCRAM-SHA-256"
     * or "SCRAM-SHA-512") into @p out, which the caller allocates (any
     * memory) and the call fills, header included.
     * @return SAMSA_OK; SAMSA_ERR_NOT_FOUND (no such user or mechanism).
     * Any thread, including reactors: it never blocks on I/O.
     */
    samsa_err_t (*scram_credential)(const char *mechanism, const char *user,
                                    samsa_scram_credential_t *out);

    /**
     * The broker's own settings (samsa.yaml, resolved with defaults), read
     * with the config_* functions above under the broker's key names
     * (e.g. "ssl_keystore_location"), so a plugin can default to what the
     * broker already has instead of repeating it in its manifest. NULL
     * when no broker configuration is loaded (tools describing plugins).
     * Owned by the broker, valid until the instance's fini(). Any thread.
     * Added in ABI minor 5: check SAMSA_ABI_HAS(samsa_services_t, svc,
     * broker_config) first.
     */
    const samsa_config_t *(*broker_config)(void);

    /* Kafka clients, added in ABI minor 5: a blocking client of a Kafka
     * cluster (any Kafka-compatible one), for connectors reading another
     * cluster (source-mirror). A samsa_kafka_t is used by one thread at a
     * time (the task thread that opened it); every call may block on the
     * network for up to the client's request timeout (30 s), so call them
     * from background threads only, never from a reactor. Errors: Kafka's
     * codes keep their wire numbers; kafka_errmsg() has the last one as a
     * line. A plugin checks SAMSA_ABI_HAS(samsa_services_t, svc,
     * kafka_open) first. */

    /**
     * Connect to the cluster at @p bootstrap ("host:port[,host:port]"),
     * or, with NULL, to the cluster the Connect worker produces to, with
     * the worker's own client settings (connect_client_config). @p props
     * (borrowed, @p nprops entries) are Kafka client properties:
     * security.protocol, sasl.mechanism, sasl.jaas.config or
     * sasl.username/sasl.password, ssl.truststore.location (PEM),
     * ssl.keystore.location, ssl.endpoint.identification.algorithm;
     * other keys are ignored. Connections open on first use.
     * @return SAMSA_OK; SAMSA_ERR_CONFIG with the reason in errbuf (a
     *         property the client cannot use, no worker for NULL).
     */
    samsa_err_t (*kafka_open)(const samsa_instance_t *inst,
                              const char *bootstrap,
                              const struct samsa_connect_kv *props,
                              uint64_t nprops, samsa_kafka_t **out,
                              char *errbuf, size_t errbuf_size);
    /** Close and free @p k (NULL is ignored). */
    void (*kafka_close)(samsa_kafka_t *k);
    /** The last error of @p k as one line (never NULL; owned by @p k,
     *  valid until its next call). */
    const char *(*kafka_errmsg)(const samsa_kafka_t *k);
    /** Every topic of the cluster (Metadata): @p cb once per topic with
     *  its name (borrowed for the call) and partition count, internal
     *  topics included. */
    samsa_err_t (*kafka_topics)(samsa_kafka_t *k,
                                void (*cb)(void *arg, const char *topic,
                                           int32_t partitions),
                                void *arg);
    /** CreateTopics of one topic with @p partitions and the broker's
     *  replication factor; a topic that exists already is SAMSA_OK. */
    samsa_err_t (*kafka_create_topic)(samsa_kafka_t *k, const char *topic,
                                      int32_t partitions);
    /** ListOffsets of one partition: @p ts SAMSA_KAFKA_OFFSET_END (the
     *  high watermark), SAMSA_KAFKA_OFFSET_BEGINNING (the log start), else
     *  the first offset with a timestamp at or after @p ts (ms). */
    samsa_err_t (*kafka_list_offset)(samsa_kafka_t *k, const char *topic,
                                     int32_t partition, int64_t ts,
                                     int64_t *offset);
    /**
     * One Fetch round (read_committed is not used: everything up to the
     * high watermark) for @p n positions, waiting at most @p max_wait_ms
     * for data. @p cb gets every record at or past pos[i].offset in offset
     * order per partition (the record and what it points to are borrowed
     * for the call; rec->offset and rec->partition are set, source_* are
     * NULL) and returns non-zero to stop early. Each pos[i].offset ends
     * at the next record not yet handed to @p cb, pos[i].high_watermark
     * and pos[i].error are set from the answer.
     */
    samsa_err_t (*kafka_fetch)(
        samsa_kafka_t *k, samsa_kafka_pos_t *pos, size_t n, int32_t max_wait_ms,
        int (*cb)(void *arg, const struct samsa_connect_record *rec),
        void *arg);
    /** Every consumer group the cluster's brokers know (ListGroups),
     *  @p cb once per group id (borrowed for the call). */
    samsa_err_t (*kafka_groups)(samsa_kafka_t *k,
                                void (*cb)(void *arg, const char *group),
                                void *arg);
    /** The committed offsets of @p group (OffsetFetch) for @p n
     *  partitions: pos[i].offset set, -1 when none. */
    samsa_err_t (*kafka_committed)(samsa_kafka_t *k, const char *group,
                                   samsa_kafka_pos_t *pos, size_t n);
    /** Commit pos[i].offset for @p group, as an admin commit (no member,
     *  generation -1): fails with the coordinator's error (e.g.
     *  UNKNOWN_MEMBER_ID) while the group has active members. */
    samsa_err_t (*kafka_commit)(samsa_kafka_t *k, const char *group,
                                const samsa_kafka_pos_t *pos, size_t n);

    /* Added in ABI minor 6 (source-mirror's internal topics and
     * topic sync): check SAMSA_ABI_HAS(samsa_services_t, svc,
     * kafka_create_partitions) first. Same rules as the kafka_* above. */

    /**
     * Produce @p n records with acks=all and wait until every one is
     * acknowledged. Each record names its topic and partition (>= 0);
     * key, value, headers and timestamp are sent as given, source_* are
     * ignored. Everything is borrowed for the call.
     * @return SAMSA_OK once all are durable, else the first error (some
     *         records may have been written: at least once).
     */
    samsa_err_t (*kafka_produce)(samsa_kafka_t *k,
                                 const struct samsa_connect_record *const *recs,
                                 size_t n);
    /** CreateTopics of one topic with @p partitions, the broker's
     *  replication factor and topic configs @p configs (@p nconfigs,
     *  borrowed); a topic that exists already is SAMSA_OK (its configs
     *  are left as they are). */
    samsa_err_t (*kafka_create_topic_configs)(
        samsa_kafka_t *k, const char *topic, int32_t partitions,
        const struct samsa_connect_kv *configs, uint64_t nconfigs);
    /** DescribeConfigs of one topic: @p cb once per config set on the
     *  topic itself (not a broker or static default), name and value
     *  borrowed for the call. */
    samsa_err_t (*kafka_topic_configs)(samsa_kafka_t *k, const char *topic,
                                       void (*cb)(void *arg, const char *name,
                                                  const char *value),
                                       void *arg);
    /** IncrementalAlterConfigs of one topic: SET every one of @p configs
     *  (@p nconfigs, borrowed); since ABI minor 7, one with a NULL value is
     *  DELETEd (back to the cluster's default). */
    samsa_err_t (*kafka_alter_topic_configs)(
        samsa_kafka_t *k, const char *topic,
        const struct samsa_connect_kv *configs, uint64_t nconfigs);
    /** CreatePartitions: grow @p topic to @p count partitions in all. */
    samsa_err_t (*kafka_create_partitions)(samsa_kafka_t *k, const char *topic,
                                           int32_t count);

    /* Added in ABI minor 7 (source-mirror's ACL sync, full topic config
     * sync and offset metadata): check SAMSA_ABI_HAS(samsa_services_t,
     * svc, kafka_commit_metadata) first. Same rules as the kafka_* above. */

    /** DescribeConfigs of one topic, every config: @p cb once per config
     *  with its value (NULL when sensitive) and where it comes from
     *  (SAMSA_KAFKA_CONFIG_*), all borrowed for the call. */
    samsa_err_t (*kafka_topic_configs_all)(
        samsa_kafka_t *k, const char *topic,
        void (*cb)(void *arg, const char *name, const char *value, int source),
        void *arg);
    /** DescribeAcls of every binding on resources of @p resource_type
     *  (samsa_resource_type_t; any name, pattern, principal, host,
     *  operation, permission): @p cb once per binding (authorizer.h's
     *  samsa_acl_binding_t, borrowed for the call). A cluster without an
     *  authorizer answers SECURITY_DISABLED (54). */
    samsa_err_t (*kafka_acls)(samsa_kafka_t *k, uint32_t resource_type,
                              void (*cb)(void *arg,
                                         const struct samsa_acl_binding *acl),
                              void *arg);
    /** CreateAcls of @p n bindings (borrowed); one that exists already is
     *  fine. The first failed binding's error fails the call. */
    samsa_err_t (*kafka_create_acls)(samsa_kafka_t *k,
                                     const struct samsa_acl_binding *acls,
                                     size_t n);
    /** kafka_committed(), and @p cb once per partition with a committed
     *  offset: its index in @p pos and its metadata string ("" when none;
     *  borrowed for the call). */
    samsa_err_t (*kafka_committed_metadata)(
        samsa_kafka_t *k, const char *group, samsa_kafka_pos_t *pos, size_t n,
        void (*cb)(void *arg, size_t i, const char *metadata), void *arg);
    /** kafka_commit() with a metadata string per partition (@p metadata
     *  NULL, or an entry NULL: ""). */
    samsa_err_t (*kafka_commit_metadata)(samsa_kafka_t *k, const char *group,
                                         const samsa_kafka_pos_t *pos,
                                         const char *const *metadata, size_t n);
} samsa_services_t;

/* ------------------------------------------------------------------------ */
/* The descriptor                                                           */
/* ------------------------------------------------------------------------ */

/**
 * Create one instance. Called on the main thread before the reactors start.
 *
 * @param svc     host services; valid for the life of the process
 * @param inst    the instance (name, config, data dir); valid until fini()
 * @param state   out: opaque per-instance state handed back to every op and
 *                to fini(); plugins keep no mutable globals, since two
 *                instances of one .so must coexist
 * @param errbuf  caller-owned buffer for a one-line reason on failure; the
 *                registry logs it once with the manifest file:line
 * @return SAMSA_OK, or an error (the broker then refuses to start)
 */
typedef samsa_err_t (*samsa_plugin_init_fn)(const samsa_services_t *svc,
                                            const samsa_instance_t *inst,
                                            void **state, char *errbuf,
                                            size_t errbuf_size);

/** Destroy an instance: called once, on the main thread, after every op
 *  call has returned, in reverse init order. */
typedef void (*samsa_plugin_fini_fn)(void *state);

/** What samsa_plugin_descriptor() returns. Constant data in the plugin. */
typedef struct samsa_plugin {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_plugin_t) */
    uint32_t kind;          /**< samsa_plugin_kind_t */
    uint32_t reserved0;     /**< zero */
    const char *name;       /**< equals the .so name and folder */
    const char *version;    /**< plugin's own version string */
    const char *summary;    /**< one line for `samsa plugin list` */
    const samsa_option_t
        *options;              /**< NULL or terminated by SAMSA_OPTION_END */
    samsa_plugin_init_fn init; /**< mandatory */
    samsa_plugin_fini_fn fini; /**< mandatory */
    const void *ops;           /**< mandatory: the kind's ops table,
                                    itself opening with a samsa_abi_header_t */
} samsa_plugin_t;

/** Name of the one exported entry point. */
#define SAMSA_PLUGIN_ENTRY "samsa_plugin_descriptor"

/** Signature of the entry point. */
typedef const samsa_plugin_t *(*samsa_plugin_entry_fn)(void);

/**
 * Define the entry point returning @p desc (a `static const samsa_plugin_t`).
 * Use once per .so, at file scope.
 */
#define SAMSA_PLUGIN_DECLARE(desc)                                             \
    SAMSA_EXPORT const samsa_plugin_t *samsa_plugin_descriptor(void);          \
    SAMSA_EXPORT const samsa_plugin_t *samsa_plugin_descriptor(void)           \
    {                                                                          \
        return &(desc);                                                        \
    }

#ifdef __cplusplus
}
#endif

#endif /* SAMSA_PLUGIN_H */
