/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/client.h - the in-tree Kafka client (blocking).
 *
 * Used by the `samsa` command line and its perf tool; works against Samsa
 * and any Kafka broker. One TCP connection per broker, opened on first use;
 * every connection negotiates versions with ApiVersions (KIP-511 aware):
 * per API the version used is min(our max, broker max), refused when below
 * the broker's minimum. Requests and responses use the generated codecs.
 *
 * Memory: a decoded response lives in the caller's arena, together with the
 * frame its strings point into; samsa_arena_reset() frees both.
 *
 * Owner: one thread; no global state. Errors: a samsa_err_t (Kafka codes
 * keep their wire numbers) and one line in the client's error buffer
 * (samsa_client_errmsg()).
 */
#ifndef SAMSA_CLIENT_H
#define SAMSA_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/samsa.h>

#include "protocol/arena.h"
#include "protocol/buf.h"
#include "protocol/generated/messages.h"

typedef struct samsa_client samsa_client_t;
typedef struct samsa_cconn samsa_cconn_t;
typedef struct samsa_client_tls_ctx samsa_client_tls_ctx_t;

typedef struct samsa_client_conf {
    const char
        *bootstrap; /* "host:port[,host:port...]"; NULL = 127.0.0.1:9092 */
    const char *client_id; /* NULL = "samsa" */
    int timeout_ms;        /* socket and request timeout; 0 = 30000 */
    /* SASL (SASL_PLAINTEXT, SASL_SSL): each connection authenticates after
     * ApiVersions (SaslHandshake v1, SaslAuthenticate). Mechanism "PLAIN",
     * "SCRAM-SHA-256", "SCRAM-SHA-512" or NULL (no SASL). Strings are
     * copied. */
    const char *sasl_mechanism;
    const char *sasl_username;
    const char *sasl_password;
    /* TLS (SSL, SASL_SSL): the broker's certificate must verify against
     * the PEM CAs of ssl_ca_location (NULL: the system's) and name the
     * host connected to unless ssl_no_hostname_check (Kafka's
     * ssl.endpoint.identification.algorithm=""). A client certificate
     * (mTLS): ssl_certificate_location and ssl_key_location, PEM. */
    bool tls;
    bool ssl_no_hostname_check;
    const char *ssl_ca_location;
    const char *ssl_certificate_location;
    const char *ssl_key_location;
    const char *ssl_key_password; /* of an encrypted key; NULL: none */
    /* With tls: connections take their context from @p shared_tls (its
     * files, read by samsa_client_tls_ctx_new and _reload) instead of
     * reading the four ssl_* files above. Borrowed: it must outlive the
     * client. NULL: the client reads the files on its first connection. */
    samsa_client_tls_ctx_t *shared_tls;
} samsa_client_conf_t;

#define SAMSA_CLIENT_DEFAULT_BOOTSTRAP "127.0.0.1:9092"

samsa_err_t samsa_client_new(const samsa_client_conf_t *conf,
                             samsa_client_t **out);
void samsa_client_free(samsa_client_t *c);

/* A TLS client context several clients share and that is read again while
 * they run (samsad's own inter-broker clients, on SIGHUP): a connection
 * opened after samsa_client_tls_ctx_reload() presents the new client
 * certificate and trusts the new CAs; open connections keep theirs.
 * Built from @p conf's ssl_ca_location, ssl_certificate_location,
 * ssl_key_location and ssl_key_password (copied). Every call is safe from
 * any thread; _free once no client uses it. Errors name the file and
 * OpenSSL's reason in @p errbuf: SAMSA_ERR_CONFIG, SAMSA_ERR_NOMEM. */
samsa_err_t samsa_client_tls_ctx_new(const samsa_client_conf_t *conf,
                                     samsa_client_tls_ctx_t **out, char *errbuf,
                                     size_t errlen);
/* Read the same files again; on an error the current context stays. */
samsa_err_t samsa_client_tls_ctx_reload(samsa_client_tls_ctx_t *t, char *errbuf,
                                        size_t errlen);
void samsa_client_tls_ctx_free(samsa_client_tls_ctx_t *t);

/* The last error as one line ("connect 127.0.0.1:9092: Connection refused"). */
const char *samsa_client_errmsg(const samsa_client_t *c);
/* Set the error line (printf-style) and return err. */
samsa_err_t samsa_client_fail(samsa_client_t *c, samsa_err_t err,
                              const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------ requests */

/* Node id of "any broker": the first bootstrap server that answers. */
#define SAMSA_NODE_ANY (-1)

/*
 * Send @p req (a samsa_<Api>Request_t filled for every version the caller
 * allows) to node @p node and wait for the response, decoded into @p arena
 * as *resp (cast to samsa_<Api>Response_t). *version (may be NULL) gets the
 * version used. SAMSA_ERR_UNSUPPORTED_VERSION when the broker does not
 * serve the API in a version we have.
 */
samsa_err_t samsa_client_call(samsa_client_t *c, int32_t node, int16_t api_key,
                              const void *req, samsa_arena_t *arena,
                              void **resp, int16_t *version);
/* Same at version @p at, or the broker's highest if that is lower (@p at
 * -1: the highest): a request passed on as a client sent it (a broker
 * forwarding to the controller), whose fields differ between versions. */
samsa_err_t samsa_client_call_at(samsa_client_t *c, int32_t node,
                                 int16_t api_key, int16_t at, const void *req,
                                 samsa_arena_t *arena, void **resp,
                                 int16_t *version);

/* Same, on the group coordinator of @p group (FindCoordinator, cached;
 * retried once on NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE is up to the
 * caller: samsa_client_forget_coordinator()). */
samsa_err_t samsa_client_coordinator(samsa_client_t *c, const char *group,
                                     int32_t *node);
void samsa_client_forget_coordinator(samsa_client_t *c);
/* The transaction coordinator of @p txn_id (FindCoordinator key type 1;
 * not cached). */
samsa_err_t samsa_client_txn_coordinator(samsa_client_t *c, const char *txn_id,
                                         int32_t *node);

/* The version negotiated with @p node for @p api_key, or -1 (connects). */
int16_t samsa_client_api_version(samsa_client_t *c, int32_t node,
                                 int16_t api_key);

/* Pipelined use (the producer): send without waiting, then receive the
 * responses in order. */
samsa_err_t samsa_client_send(samsa_client_t *c, int32_t node, int16_t api_key,
                              const void *req);
/* Receive the oldest outstanding response of @p node. */
samsa_err_t samsa_client_recv(samsa_client_t *c, int32_t node,
                              samsa_arena_t *arena, int16_t *api_key,
                              void **resp, int16_t *version);
/* Outstanding requests on @p node's connection (0 when not connected). */
int samsa_client_in_flight(samsa_client_t *c, int32_t node);

/* ------------------------------------------------------------ metadata */

typedef struct samsa_md_partition {
    int32_t id;
    int32_t leader; /* -1 when none */
    int16_t error;
    int32_t nreplicas, nisr;
    int32_t *replicas, *isr;
} samsa_md_partition_t;

typedef struct samsa_md_topic {
    char *name;
    int16_t error;
    bool internal;
    int32_t npartitions;
    samsa_md_partition_t *partitions; /* sorted by id */
} samsa_md_topic_t;

typedef struct samsa_md_broker {
    int32_t id;
    char *host;
    int32_t port;
    char *rack; /* NULL when none */
} samsa_md_broker_t;

typedef struct samsa_metadata {
    char *cluster_id; /* NULL when unknown */
    int32_t controller;
    int32_t nbrokers;
    samsa_md_broker_t *brokers;
    int32_t ntopics;
    samsa_md_topic_t *topics;
} samsa_metadata_t;

/*
 * Fetch metadata for @p ntopics topics (0 with topics NULL = all topics)
 * and remember the brokers' addresses. @p auto_create asks the broker to
 * create missing topics. *out is malloc'd: samsa_metadata_free().
 */
samsa_err_t samsa_client_metadata(samsa_client_t *c, const char *const *topics,
                                  int ntopics, bool auto_create,
                                  samsa_metadata_t **out);
void samsa_metadata_free(samsa_metadata_t *md);
/* The controller's node id from Metadata, for the admin requests a cluster
 * serves only there (CreateTopics, DeleteTopics); SAMSA_NODE_ANY when the
 * answer names none. */
int32_t samsa_client_controller(samsa_client_t *c);
const samsa_md_topic_t *samsa_metadata_topic(const samsa_metadata_t *md,
                                             const char *name);

/* The configs set on @p topic itself, not defaults (DescribeConfigs):
 * @p cb once per config, name and value (null for a sensitive one)
 * borrowed for the call. */
typedef void (*samsa_topic_config_cb)(void *arg, samsa_str_t name,
                                      samsa_str_t value);
samsa_err_t samsa_client_topic_configs(samsa_client_t *c, const char *topic,
                                       samsa_topic_config_cb cb, void *arg);
/* Every config of @p topic: @p cb with Kafka's ConfigSource (1 the topic
 * itself, 2/3 dynamic broker, 4 static broker, 5 default) and the value
 * (null for a sensitive one). */
typedef void (*samsa_topic_config_all_cb)(void *arg, samsa_str_t name,
                                          samsa_str_t value, int8_t source);
samsa_err_t samsa_client_topic_configs_all(samsa_client_t *c, const char *topic,
                                           samsa_topic_config_all_cb cb,
                                           void *arg);

/* One topic's admin requests (topic_admin.c). A refusal of the topic is
 * the error returned, "TOPIC: CODE_NAME (message)" in the error line. A
 * config is a name and a value; for an alter, a null value
 * (SAMSA_STR_NULL) deletes the config, back to its default. */
typedef struct samsa_client_config {
    samsa_str_t name;
    samsa_str_t value;
} samsa_client_config_t;
/* CreateTopics, sent to the controller; @p replication -1: the broker's
 * default. */
samsa_err_t samsa_client_create_topic(samsa_client_t *c, const char *topic,
                                      int32_t partitions, int16_t replication,
                                      const samsa_client_config_t *configs,
                                      int32_t nconfigs, int32_t timeout_ms);
/* CreatePartitions: the topic grows to @p count partitions. */
samsa_err_t samsa_client_create_partitions(samsa_client_t *c, const char *topic,
                                           int32_t count, int32_t timeout_ms);
/* IncrementalAlterConfigs: set (or delete) each of @p configs. */
samsa_err_t
samsa_client_alter_topic_configs(samsa_client_t *c, const char *topic,
                                 const samsa_client_config_t *configs,
                                 int32_t nconfigs);

/* ListOffsets for one partition: ts -1 = end (high watermark), -2 = start,
 * else the first offset with a timestamp >= ts. */
#define SAMSA_OFFSET_END       (-1)
#define SAMSA_OFFSET_BEGINNING (-2)
samsa_err_t samsa_client_list_offset(samsa_client_t *c, const char *topic,
                                     int32_t partition, int32_t leader,
                                     int64_t ts, int64_t *offset);
/* ListOffsets latest with isolation.level=read_committed: the last stable
 * offset (below the first open transaction), where a read_committed
 * reader's end is. */
samsa_err_t samsa_client_last_stable_offset(samsa_client_t *c,
                                            const char *topic,
                                            int32_t partition, int32_t leader,
                                            int64_t *offset);

/* ------------------------------------------------------------ records */

/* A header as the application sees it (borrowed). */
typedef struct samsa_client_header {
    const char *key;
    size_t key_len;
    const void *value; /* NULL = null value */
    size_t value_len;
} samsa_client_header_t;

/* A consumed record (borrowed: valid during the callback). */
typedef struct samsa_client_record {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp;
    int timestamp_type; /* 0 create time, 1 log append time */
    const void *key;    /* NULL = null key */
    int32_t key_len;
    const void *value; /* NULL = null value */
    int32_t value_len;
    int32_t header_count;
    const uint8_t *headers; /* raw: samsa_record_header_next() */
    size_t headers_len;
} samsa_client_record_t;

/* ------------------------------------------------------------ producer */

typedef struct samsa_producer samsa_producer_t;

typedef struct samsa_producer_conf {
    int16_t acks;           /* -1 all, 0, 1 (default -1 when 0 given? no:
                               set explicitly; samsa_producer_conf_init) */
    int linger_ms;          /* send a batch after this long */
    size_t batch_size;      /* or once this many bytes are buffered */
    int codec;              /* samsa_codec_id_t */
    int max_in_flight;      /* produce requests in flight per broker */
    int request_timeout_ms; /* Produce TimeoutMs */
    bool auto_create;       /* allow topic auto-creation in Metadata */
    /* Partitioner (required unless every record names its partition). */
    const samsa_partitioner_ops_t *partitioner;
    void *partitioner_state;
    /* Codec for codec != NONE. */
    const samsa_codec_ops_t *codec_ops;
    void *codec_state;
    /* Called once per record when its batch is acknowledged (or failed);
     * may be NULL. latency_us is from produce() to the ack. */
    void (*on_delivery)(void *opaque, samsa_err_t err, const char *topic,
                        int32_t partition, int64_t offset, int64_t latency_us);
    void *opaque;
    /* transactional.id (copied; NULL: not transactional). A transactional
     * producer is idempotent (producer id, epoch, sequence numbers per
     * partition), keeps one request in flight per broker, and produces
     * only between samsa_producer_begin_transaction() and commit/abort. */
    const char *transactional_id;
    int transaction_timeout_ms; /* transaction.timeout.ms; 0 = 60000 */
} samsa_producer_conf_t;

void samsa_producer_conf_init(samsa_producer_conf_t *conf);

samsa_err_t samsa_producer_new(samsa_client_t *c,
                               const samsa_producer_conf_t *conf,
                               samsa_producer_t **out);
/*
 * Queue one record. @p partition -1 lets the partitioner choose. Batches
 * go out when full, after linger_ms (checked on every call and in
 * samsa_producer_poll) or on flush. Returns the first delivery error seen
 * so far, if any (sticky), else SAMSA_OK.
 */
samsa_err_t samsa_producer_produce(samsa_producer_t *p, const char *topic,
                                   int32_t partition, const void *key,
                                   int32_t key_len, const void *value,
                                   int32_t value_len,
                                   const samsa_client_header_t *headers,
                                   size_t nheaders, int64_t timestamp);
/* Send batches whose linger expired; collect finished responses. */
samsa_err_t samsa_producer_poll(samsa_producer_t *p);
/* Send everything and wait for every acknowledgement. */
samsa_err_t samsa_producer_flush(samsa_producer_t *p);
/* Counters. */
void samsa_producer_stats(const samsa_producer_t *p, int64_t *records_acked,
                          int64_t *records_failed);
/* Set (or clear, NULL) the conf's on_delivery and opaque after creation,
 * for a producer made by someone else's constructor. */
void samsa_producer_on_delivery(
    samsa_producer_t *p,
    void (*on_delivery)(void *opaque, samsa_err_t err, const char *topic,
                        int32_t partition, int64_t offset, int64_t latency_us),
    void *opaque);
/* The partition the last successful samsa_producer_produce() queued its
 * record to (the partitioner's choice when it was given -1): on_delivery
 * reports records per partition in the order they were queued. */
int32_t samsa_producer_last_partition(const samsa_producer_t *p);
void samsa_producer_free(samsa_producer_t *p); /* without flushing */

/* Transactions (KIP-98), for a producer with a transactional_id; the
 * coordinator's requests are in core/client/txn.c. After any error but
 * PRODUCER_FENCED abort; after PRODUCER_FENCED (a newer instance took the
 * id) only free the producer. */
/* InitProducerId: takes the id's producer id and a new epoch, which
 * fences every older instance and aborts the transaction it left open. */
samsa_err_t samsa_producer_init_transactions(samsa_producer_t *p);
samsa_err_t samsa_producer_begin_transaction(samsa_producer_t *p);
/* Flush, then EndTxn(commit): the transaction's records become visible
 * to read_committed consumers at once, or (on error) never. */
samsa_err_t samsa_producer_commit_transaction(samsa_producer_t *p);
/* Drop what is not sent, wait for what is, then EndTxn(abort). */
samsa_err_t samsa_producer_abort_transaction(samsa_producer_t *p);

/* The requests behind them (core/client/txn.c), each on the id's
 * transaction coordinator, retried while it moves or loads and while an
 * earlier transaction completes. */
samsa_err_t samsa_client_init_producer_id(samsa_client_t *c, const char *txn_id,
                                          int32_t timeout_ms, int64_t *pid,
                                          int16_t *epoch);
samsa_err_t samsa_client_add_partition_to_txn(samsa_client_t *c,
                                              const char *txn_id, int64_t pid,
                                              int16_t epoch, const char *topic,
                                              int32_t partition);
samsa_err_t samsa_client_end_txn(samsa_client_t *c, const char *txn_id,
                                 int64_t pid, int16_t epoch, bool commit);

/* ------------------------------------------------------------ fetch */

typedef struct samsa_fetch_pos {
    const char *topic;
    int32_t partition;
    int64_t offset;         /* next offset to fetch; updated */
    int64_t high_watermark; /* from the last fetch; -1 before */
    int16_t error;          /* from the last fetch */
} samsa_fetch_pos_t;

typedef int (*samsa_record_cb)(void *opaque, const samsa_client_record_t *rec);

typedef struct samsa_fetch_conf {
    int max_wait_ms;             /* default 500 */
    int32_t min_bytes;           /* default 1 */
    int32_t max_bytes;           /* default 50 MiB */
    int32_t partition_max_bytes; /* default 1 MiB */
    /* Codec lookup by Kafka id for compressed batches (NULL: fail). */
    const samsa_codec_ops_t *(*codec)(void *arg, int codec_id, void **state);
    void *codec_arg;
    /* isolation.level=read_committed: only up to the last stable offset,
     * without the records of aborted transactions (default false). */
    bool read_committed;
} samsa_fetch_conf_t;

void samsa_fetch_conf_init(samsa_fetch_conf_t *conf);

/*
 * One Fetch round for @p npos partitions (grouped by leader, leaders looked
 * up in @p md). Calls @p cb for every record at or past each position's
 * offset, advancing it; @p cb returns non-zero to stop (the function then
 * returns SAMSA_OK with the positions at the next unseen record).
 */
samsa_err_t samsa_client_fetch(samsa_client_t *c, const samsa_metadata_t *md,
                               const samsa_fetch_conf_t *conf,
                               samsa_fetch_pos_t *pos, int npos,
                               samsa_record_cb cb, void *opaque);

/* ------------------------------------------------------------ groups */

typedef struct samsa_tp {
    char *topic;
    int32_t partition;
} samsa_tp_t;

typedef struct samsa_client_member {
    samsa_client_t *client;
    char *group;
    char *member_id;
    int32_t generation;
    int32_t coordinator;
    int session_timeout_ms;
    int rebalance_timeout_ms;
    int heartbeat_interval_ms; /* 0: a third of the session timeout */
    int64_t last_heartbeat_ms;
    int ntopics;
    char **topics; /* subscription */
    int nassigned;
    samsa_tp_t *assigned;
    bool leader;
    char protocol[32]; /* the protocol the coordinator chose (JoinGroup) */
} samsa_client_member_t;

/*
 * Join @p group subscribed to @p topics (JoinGroup with MEMBER_ID_REQUIRED
 * handling, range assignment by the leader, SyncGroup). On success
 * m->assigned holds this member's partitions. Call again after a
 * heartbeat reports REBALANCE_IN_PROGRESS.
 */
samsa_err_t samsa_client_join(samsa_client_t *c, samsa_client_member_t *m,
                              const char *group, const char *const *topics,
                              int ntopics);
/*
 * A group protocol other than the consumer's (Kafka Connect's "connect"):
 * the JoinGroup protocol type, one protocol name and its member metadata,
 * and the leader's assignor. assign() fills as[m] for each of jr's members
 * (MemberId from jr, Assignment bytes in bufs[m], malloc'd; the caller
 * frees them); it runs on the joining thread, with @p arena for scratch.
 */
typedef samsa_err_t (*samsa_client_assign_fn)(
    void *arg, samsa_client_t *c, const samsa_JoinGroupResponse_t *jr,
    samsa_arena_t *arena,
    samsa_SyncGroupRequest_SyncGroupRequestAssignment_t *as, uint8_t **bufs);

#define SAMSA_CLIENT_MAX_PROTOCOLS 3

typedef struct samsa_client_protocol {
    const char *type; /* JoinGroup ProtocolType: "consumer", "connect" */
    const char *name; /* the protocol offered: "range", "default" */
    uint8_t *meta;    /* member metadata (borrowed) */
    size_t meta_len;
    samsa_client_assign_fn assign; /* jr->ProtocolName: the one chosen */
    void *assign_arg;
    /* Further protocols offered, in order of preference after name
     * (Kafka Connect's "sessioned", "compatible", "default"); the
     * coordinator picks one every member supports (m->protocol). */
    int nmore;
    const char *more_names[SAMSA_CLIENT_MAX_PROTOCOLS - 1];
    uint8_t *more_metas[SAMSA_CLIENT_MAX_PROTOCOLS - 1];
    size_t more_meta_lens[SAMSA_CLIENT_MAX_PROTOCOLS - 1];
} samsa_client_protocol_t;

/* Join @p group with protocol @p p (JoinGroup, the leader's assign(),
 * SyncGroup; retried like samsa_client_join). On success *assignment
 * (malloc'd, NULL when empty) holds this member's assignment bytes. */
samsa_err_t samsa_client_join_protocol(samsa_client_t *c,
                                       samsa_client_member_t *m,
                                       const char *group,
                                       const samsa_client_protocol_t *p,
                                       uint8_t **assignment, size_t *len);
/* Heartbeat when due (every heartbeat_interval_ms, else session_timeout/3);
 * REBALANCE_IN_PROGRESS means
 * rejoin. */
samsa_err_t samsa_client_heartbeat(samsa_client_member_t *m, bool force);
/* LeaveGroup and free the member's fields. */
samsa_err_t samsa_client_leave(samsa_client_member_t *m);
void samsa_client_member_clear(samsa_client_member_t *m);

/* Commit offsets of @p n partitions (generation/member id from @p m, or
 * the admin form when m is NULL: generation -1, empty member id). */
samsa_err_t samsa_client_commit(samsa_client_t *c, const char *group,
                                const samsa_client_member_t *m,
                                const samsa_tp_t *tps, const int64_t *offsets,
                                int n);
/* The same with each partition's metadata string (@p metadata NULL, or
 * an entry NULL: empty), as Kafka's OffsetAndMetadata carries it. */
samsa_err_t samsa_client_commit_meta(samsa_client_t *c, const char *group,
                                     const samsa_client_member_t *m,
                                     const samsa_tp_t *tps,
                                     const int64_t *offsets,
                                     const char *const *metadata, int n);
/* DeleteGroups of @p group (its committed offsets go with it); a group
 * that does not exist is fine. NON_EMPTY_GROUP while members remain. */
samsa_err_t samsa_client_delete_group(samsa_client_t *c, const char *group);
/* Committed offsets (-1 when none) of @p n partitions. */
samsa_err_t samsa_client_committed(samsa_client_t *c, const char *group,
                                   const samsa_tp_t *tps, int64_t *offsets,
                                   int n);
/* The same, and @p cb (when not NULL) once per partition with a committed
 * offset: its index in @p tps and its metadata string (borrowed for the
 * call; null when the broker sent none). */
typedef void (*samsa_committed_meta_cb)(void *arg, int i, samsa_str_t metadata);
samsa_err_t samsa_client_committed_meta(samsa_client_t *c, const char *group,
                                        const samsa_tp_t *tps, int64_t *offsets,
                                        samsa_committed_meta_cb cb, void *arg,
                                        int n);

/*
 * Range assignor (Kafka's RangeAssignor): per topic, partitions sorted,
 * members sorted by id; each member gets a contiguous range, the first
 * (count % members) members one more. Pure function, for tests.
 * counts[t] = partitions of topics[t]; subs[m][t] true when member m
 * subscribes topic t. out[m] gets malloc'd arrays of partitions per topic
 * flattened as samsa_tp_t (topic pointers borrowed from @p topics).
 */
samsa_err_t samsa_range_assign(int nmembers, const char *const *member_ids,
                               const bool *subs, int ntopics,
                               const char *const *topics, const int32_t *counts,
                               samsa_tp_t **out, int *nout);

/* Encode/decode ConsumerProtocolSubscription/Assignment with their int16
 * version prefix (we write v0 / v0). *out malloc'd. */
samsa_err_t samsa_consumer_subscription_encode(const char *const *topics,
                                               int ntopics, uint8_t **out,
                                               size_t *len);
samsa_err_t samsa_consumer_assignment_encode(const samsa_tp_t *tps, int n,
                                             uint8_t **out, size_t *len);
/* Decode into the arena: topic strings point into @p p. */
samsa_err_t
samsa_consumer_assignment_decode(const uint8_t *p, size_t len,
                                 samsa_arena_t *arena,
                                 samsa_ConsumerProtocolAssignment_t *out);
samsa_err_t
samsa_consumer_subscription_decode(const uint8_t *p, size_t len,
                                   samsa_arena_t *arena,
                                   samsa_ConsumerProtocolSubscription_t *out);

/* ------------------------------------------------------------ misc */

/* Copy a wire string into a malloc'd C string ("" for null). */
char *samsa_client_strdup(samsa_str_t s);

#endif /* SAMSA_CLIENT_H */
