/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa/connect.h - connector plugins: sources (SAMSA_KIND_SOURCE), sinks
 * (SAMSA_KIND_SINK) and single-message transforms (SAMSA_KIND_TRANSFORM).
 *
 * Shaped like Kafka Connect. A connector instance (one manifest entry, or
 * one connector created through the REST API) is split by the worker into
 * tasks; each task runs on its own worker thread, so source and sink task
 * ops are "background": they may block (network, files) but should return
 * within their timeouts so the worker can stop, commit and rebalance.
 *
 *   source:    task_start -> (poll -> [commit_record]* -> poll_release)* ->
 *              commit ... -> task_stop
 *              The worker passes each polled record through the transforms
 *              and the partitioner, produces it, and once produced records
 *              are durable writes their source offsets to the internal
 *              offsets topic and calls commit(). With exactly-once
 *              sources (KIP-618, the worker's exactly.once.source.support)
 *              records and offsets go in one transaction per boundary,
 *              and commit() follows the transaction's commit.
 *   sink:      task_start -> (put)* -> flush -> ... -> task_stop
 *              The worker consumes the subscribed topics as a consumer
 *              group, calls put() with records in offset order per
 *              partition, and commits the group's offsets after flush()
 *              returns SAMSA_OK.
 *   transform: create() per use in a connector's chain -> apply() (or
 *              test() for a predicate) per record -> destroy().
 *
 * A task is used by one thread at a time; different tasks of one instance
 * run concurrently, so shared instance state is locked by the plugin.
 *
 * Records are passed as arrays of pointers (never arrays of structs) so the
 * record struct can grow at its end in a later minor without changing the
 * array stride; a reader checks hdr.struct_size before reading a field
 * added later (SAMSA_ABI_HAS).
 */
#ifndef SAMSA_CONNECT_H
#define SAMSA_CONNECT_H

#include <samsa/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A running task, owned by the plugin from task_start() to task_stop(). */
typedef struct samsa_connect_task samsa_connect_task_t;

/** One record header (Kafka record headers: string key, bytes value). */
typedef struct samsa_connect_header {
    const char *key;    /**< NUL-terminated UTF-8 */
    const void *value;  /**< NULL for a null header value */
    uint64_t value_len; /**< bytes at value */
} samsa_connect_header_t;

/** Timestamp value meaning "let the broker or producer decide". */
#define SAMSA_CONNECT_NO_TIMESTAMP (-1)
/** Partition value meaning "let the partitioner decide". */
#define SAMSA_CONNECT_ANY_PARTITION (-1)

/**
 * One record crossing the connector boundary. Who owns the memory the
 * pointers reference is stated by each op that passes a record.
 */
typedef struct samsa_connect_record {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_connect_record_t) */
    const char *topic;      /**< destination (source) or origin (sink) */
    const void *key;        /**< NULL for a null key */
    const void *value;      /**< NULL for a null value (tombstone) */
    uint64_t key_len;       /**< bytes at key */
    uint64_t value_len;     /**< bytes at value */
    const samsa_connect_header_t *headers; /**< header_count entries */
    uint64_t header_count;
    /** Sink: the record's offset. Source: ignored (the broker assigns). */
    int64_t offset;
    /** Milliseconds since the epoch, or SAMSA_CONNECT_NO_TIMESTAMP. */
    int64_t timestamp;
    /** Sink: the record's partition. Source: a partition to force, or
     *  SAMSA_CONNECT_ANY_PARTITION to use the connector's partitioner. */
    int32_t partition;
    uint32_t reserved0; /**< zero */
    /** Source only: where in the external system this record came from,
     *  as opaque strings the worker stores in the offsets topic (e.g. a
     *  file name and a byte position). NULL when the source does not
     *  track positions. Ignored for sinks. */
    const char *source_partition;
    const char *source_offset;
    /**
     * Added in ABI minor 7: the Connect schemas of the key and the value,
     * as JSON text in the JsonConverter's schema form (the "schema" of its
     * {"schema":...,"payload":...} envelope, e.g. {"type":"struct",
     * "fields":[{"type":"string","optional":false,"field":"id"}],
     * "optional":false}), NUL-terminated. NULL: no schema (Kafka's null
     * schema, schemaless data). Check SAMSA_ABI_HAS before reading or
     * writing them: a record from an older peer ends before them.
     *
     * Transforms see the schemas the connector's converter read (sinks)
     * or the source gave, and set them as Kafka's transforms do (e.g.
     * InsertField adds a field to the struct schema); the JsonConverter
     * writes the value's schema into the envelope. A source that sets
     * value_schema (key_schema) hands over its value (key) as the JSON
     * text of the payload, not as raw bytes; without a schema its bytes
     * are a string (schema {"type":"string","optional":false}), as
     * before. Sinks (put()) get the schemas of the records they are given.
     * Who owns the text is the record's owner, as for key and value.
     */
    const char *key_schema;
    const char *value_schema;
} samsa_connect_record_t;

/** One task setting: the connector's configuration split per task. */
typedef struct samsa_connect_kv {
    const char *key;
    const char *value;
} samsa_connect_kv_t;

/** A source position, as stored in the offsets topic. */
typedef struct samsa_connect_offset {
    const char *source_partition; /**< as set on the record */
    const char *source_offset;    /**< the latest durable offset for it */
} samsa_connect_offset_t;

/** What task_start() receives. Everything is borrowed for the call; the
 *  plugin copies what it keeps. */
typedef struct samsa_connect_task_info {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_connect_task_info_t) */
    const samsa_connect_kv_t *config; /**< config_count task settings */
    uint64_t config_count;
    /** Source: the last committed offsets of this connector (restart
     *  resumes from them); sink: NULL (the consumer group tracks them). */
    const samsa_connect_offset_t *offsets;
    uint64_t offset_count;
    int32_t task_id;    /**< 0 .. task_count-1 */
    int32_t task_count; /**< tasks the connector was split into */
    /**
     * Sinks, added in ABI minor 4 (Kafka's ErrantRecordReporter): during
     * put(), report one of the records put() received that the external
     * system refused for good (say an HTTP 400), with a one-line reason.
     * The worker applies the connector's errors.tolerance: with "all" it
     * sends the record, as consumed, to the dead-letter topic (stage
     * TASK_PUT) and returns SAMSA_OK, and put() goes on with the others;
     * with "none" it returns an error, which put() returns so the task
     * fails. Only from inside put(), on its thread. NULL for sources (and
     * check SAMSA_ABI_HAS first: an older host lacks it).
     */
    samsa_err_t (*report)(void *report_ctx, const samsa_connect_record_t *rec,
                          const char *reason);
    void *report_ctx; /**< first argument of report() */
    /**
     * Sources with transaction.boundary=connector on a worker with
     * exactly.once.source.support=enabled, added in ABI minor 6 (Kafka's
     * TransactionContext; NULL otherwise, and check SAMSA_ABI_HAS first):
     * ask the worker to commit the open transaction right after record
     * @p rec, one of the records the current or last poll() returned
     * (NULL: after all of that poll's records). The transaction holds the
     * records produced since the last one ended and the source offsets
     * they reach. From the task's thread only (inside poll() or between
     * polls).
     */
    void (*transaction_commit)(void *txn_ctx,
                               const samsa_connect_record_t *rec);
    /** Same, but abort: the transaction's records are discarded and its
     *  source offsets are not stored; the task is not rewound (Kafka's
     *  abortTransaction). Minor 6. */
    void (*transaction_abort)(void *txn_ctx, const samsa_connect_record_t *rec);
    void *txn_ctx; /**< first argument of both, minor 6 */
} samsa_connect_task_info_t;

/* ------------------------------------------------------------------------ */
/* Sources                                                                  */
/* ------------------------------------------------------------------------ */

/** Ops table of a source connector. Every op is mandatory unless marked. */
typedef struct samsa_source_ops {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_source_ops_t) */

    /** Start task @p info->task_id. Worker thread; may block briefly.
     *  @param task out: owned by the plugin until task_stop(). */
    samsa_err_t (*task_start)(void *state,
                              const samsa_connect_task_info_t *info,
                              samsa_connect_task_t **task, char *errbuf,
                              size_t errbuf_size);

    /**
     * Return the next records, waiting at most @p timeout_ms for some.
     * The records array and everything it points to is allocated and owned
     * by the plugin: it stays valid and unchanged until the worker calls
     * poll_release() with the same array, which it does after producing
     * (copying) the records and before the next poll(). *count == 0 with
     * SAMSA_OK means "nothing yet" (the array may be NULL; poll_release is
     * still called).
     * @return SAMSA_OK; SAMSA_ERR_AGAIN for a retriable failure (the worker
     *         backs off and polls again); other codes stop the task.
     */
    samsa_err_t (*poll)(samsa_connect_task_t *task, int64_t timeout_ms,
                        samsa_connect_record_t *const **records, size_t *count);

    /** Give back what the previous poll() returned. Worker thread. */
    void (*poll_release)(samsa_connect_task_t *task,
                         samsa_connect_record_t *const *records, size_t count);

    /** Optional: the worker has durably stored these source offsets (one per
     *  source partition, the latest); the source may now acknowledge them
     *  upstream. Borrowed for the call. Worker thread. */
    samsa_err_t (*commit)(samsa_connect_task_t *task,
                          const samsa_connect_offset_t *offsets, size_t count);

    /** Stop and free the task. No other op runs on it concurrently. */
    void (*task_stop)(samsa_connect_task_t *task);

    /**
     * Optional, added in ABI minor 5 (Kafka's SourceTask.commitRecord):
     * @p rec, one of the records of the last poll(), was acknowledged by
     * the broker at @p partition / @p offset of its (possibly transformed)
     * topic; both are -1 when the transforms filtered it out. Called after
     * the worker flushed the batch and before poll_release(), once per
     * record in poll order. Worker thread; must not block for long.
     * With exactly-once sources, it comes once the transaction holding
     * the record commits, and never for an aborted one (Kafka's
     * ExactlyOnceWorkerSourceTask); for a transaction spanning several
     * polls, @p rec is then the worker's copy of a record already given
     * back by poll_release() (same fields, other pointers).
     */
    void (*commit_record)(samsa_connect_task_t *task,
                          const samsa_connect_record_t *rec, int32_t partition,
                          int64_t offset);

    /**
     * Optional, added in ABI minor 5 (Kafka's SourceConnector.taskConfigs):
     * how many tasks a connector with settings @p config (borrowed for
     * the call) splits its work into, at most @p tasks_max (its tasks.max,
     * >= 1). Every task then gets the same settings and takes its share
     * by task_id and task_count of its samsa_connect_task_info_t (say
     * every task_count-th table or partition). Without this op a source
     * runs one task, as Kafka's FileStreamSource does. Any worker thread
     * (a REST handler, the distributed worker's membership thread); must
     * not block.
     * @return SAMSA_OK with *count in [1, tasks_max]; any other code (or
     *         a count out of range) means one task.
     */
    samsa_err_t (*task_count)(void *state, const samsa_connect_kv_t *config,
                              uint64_t config_count, int32_t tasks_max,
                              int32_t *count);

    /**
     * Optional, added in ABI minor 6 (Kafka's
     * SourceConnector.exactlyOnceSupport, KIP-618): can a connector with
     * settings @p config (borrowed for the call) be exactly-once when the
     * worker runs its tasks in transactions? That holds when its source
     * offsets say exactly where to resume, and a task started from them
     * produces the records after that point and nothing before it.
     * Without this op the answer is unknown and a connector with
     * exactly.once.support=required is refused. Any worker thread; must
     * not block.
     * @return SAMSA_OK with *supported set; another code: unknown.
     */
    samsa_err_t (*exactly_once_support)(void *state,
                                        const samsa_connect_kv_t *config,
                                        uint64_t config_count, bool *supported);

    /**
     * Optional, added in ABI minor 6 (Kafka's
     * SourceConnector.canDefineTransactionBoundaries): do a connector's
     * tasks with settings @p config call the transaction_commit /
     * transaction_abort of their samsa_connect_task_info_t, as
     * transaction.boundary=connector needs? Without this op: no, and such
     * a connector is refused. Any worker thread; must not block.
     * @return SAMSA_OK with *supported set; another code: no.
     */
    samsa_err_t (*can_define_transaction_boundaries)(
        void *state, const samsa_connect_kv_t *config, uint64_t config_count,
        bool *supported);
} samsa_source_ops_t;

/* ------------------------------------------------------------------------ */
/* Sinks                                                                    */
/* ------------------------------------------------------------------------ */

/** Ops table of a sink connector. Every op is mandatory unless marked. */
typedef struct samsa_sink_ops {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_sink_ops_t) */

    /** Start task @p info->task_id. Worker thread. */
    samsa_err_t (*task_start)(void *state,
                              const samsa_connect_task_info_t *info,
                              samsa_connect_task_t **task, char *errbuf,
                              size_t errbuf_size);

    /**
     * Deliver @p count records. The array and all record memory belong to
     * the worker and are valid only during the call: the plugin writes or
     * copies what it needs. Records are not considered delivered until a
     * later flush() returns SAMSA_OK.
     * @return SAMSA_OK; SAMSA_ERR_AGAIN to have the same records redelivered
     *         after a back-off; any other code fails the task, whatever
     *         errors.tolerance says (as an exception from Kafka's
     *         SinkTask.put does; the worker restarts it with back-off). A
     *         record the external system refused for good goes through
     *         info->report() instead, which applies errors.tolerance (the
     *         dead-letter topic) to that record alone.
     */
    samsa_err_t (*put)(samsa_connect_task_t *task,
                       const samsa_connect_record_t *const *records,
                       size_t count);

    /** Make everything put() so far durable in the external system; the
     *  worker commits the consumer offsets only after SAMSA_OK. */
    samsa_err_t (*flush)(samsa_connect_task_t *task);

    /** Stop and free the task (the worker calls flush() first). */
    void (*task_stop)(samsa_connect_task_t *task);
} samsa_sink_ops_t;

/* ------------------------------------------------------------------------ */
/* Single-message transforms                                                */
/* ------------------------------------------------------------------------ */

/**
 * Ops table of a transform (Kafka Connect's Transformation and Predicate).
 *
 * Data: a transform sees a record's key and value as JSON text (UTF-8, any
 * JSON type, NUL-terminated, key_len/value_len without the NUL), the
 * Connect data value: the worker turns a source's bytes into a JSON
 * string before the chain and a sink's consumed bytes into JSON through
 * the connector's converter. A NULL key or value is null. What a
 * transform puts in out->key / out->value is JSON text too.
 *
 * Schemas (ABI minor 7): key_schema / value_schema carry the Connect
 * schemas (samsa_connect_record_t), and a transform that changes a
 * value's shape sets the matching schema in *out as Kafka's transform
 * does, or NULL for schemaless output. A transform built against minor
 * 6 or older knows no schemas: when it changes the key (value), the
 * worker drops the key's (value's) schema, so the JsonConverter writes
 * {"schema":null,...} rather than a schema that disagrees with the data.
 *
 * Configuration (ABI minor 4): the worker calls create() once per use in
 * a connector's chain (Kafka's transforms=ALIAS,... and predicates=...)
 * and passes the *xform it returns, instead of the instance state, to
 * apply(), release() and test() for that use; destroy() frees it. Each
 * task builds its own chain, so one xform is used by one thread at a
 * time; the instance state is shared by all of them. A minor 3 plugin
 * without create() receives the instance state, as before.
 *
 * Every op is mandatory unless marked.
 */
typedef struct samsa_transform_ops {
    samsa_abi_header_t hdr; /**< SAMSA_ABI_HEADER(samsa_transform_ops_t) */

    /**
     * Transform one record. Before the call the worker sets *out to a
     * shallow copy of *in, so a transform only assigns the fields it
     * changes. Pointers left in *out may reference *in's memory (valid as
     * long as *in is) or memory the plugin owns, which it frees in
     * release(). Set *drop to true to filter the record out (*out is then
     * ignored). Any worker thread, concurrently.
     * @return SAMSA_OK; other codes go to the error tolerance.
     */
    samsa_err_t (*apply)(void *state, const samsa_connect_record_t *in,
                         samsa_connect_record_t *out, bool *drop);

    /** Optional: called once the worker is done with an *out that apply()
     *  filled, to free plugin-owned memory it references. NULL if apply()
     *  never allocates. With create() (minor 4) the worker calls it after
     *  every apply() on an xform, whatever apply() returned, and before the
     *  next apply() on that xform, so the plugin may keep the memory of
     *  the last call in the xform. */
    void (*release)(void *state, samsa_connect_record_t *out);

    /**
     * Optional, added in ABI minor 4: configure one use of a transform or
     * predicate in a connector's chain. @p type is the class the user
     * named (transforms.ALIAS.type; one this instance lists in its
     * transform_classes option); @p config holds the use's other keys
     * with the "transforms.ALIAS." or "predicates.ALIAS." prefix removed.
     * Everything is borrowed for the call. *xform is owned by the plugin
     * until destroy(). Worker thread (a REST handler validating a config,
     * or a task starting); may run concurrently with other ops.
     * @return SAMSA_OK; SAMSA_ERR_CONFIG with a one-line reason in errbuf
     *         (answered to the REST caller, or the task fails with it).
     */
    samsa_err_t (*create)(void *state, const char *type,
                          const samsa_connect_kv_t *config, uint64_t count,
                          void **xform, char *errbuf, size_t errbuf_size);

    /** Optional, added in ABI minor 4: a predicate's answer (Kafka's
     *  Predicate.test) for a use created as a predicate type. The record
     *  is borrowed for the call. @return SAMSA_OK, or an error that goes
     *  to the error tolerance. */
    samsa_err_t (*test)(void *xform, const samsa_connect_record_t *rec,
                        bool *match);

    /** Optional (mandatory with create), added in ABI minor 4: free what
     *  create() made, after every apply/test on it returned. */
    void (*destroy)(void *xform);
} samsa_transform_ops_t;

#ifdef __cplusplus
}
#endif

#endif /* SAMSA_CONNECT_H */
