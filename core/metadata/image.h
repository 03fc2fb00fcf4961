/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metadata/image.h - the metadata image: what the cluster's metadata
 * log says at one index (brokers, topics, partition assignment, leaders,
 * ISR, leader epochs, topic configs, producer-id blocks), and the records
 * that change it.
 *
 * An image is immutable once published: handlers on any thread take a
 * reference (samsa_meta_image_get in quorum.h), read it without locks and
 * drop it. The quorum thread makes the next image by cloning the current
 * one and applying a committed record to the clone
 * (samsa_meta_image_apply), then swaps it in.
 *
 * Records: one per Raft entry, "u8 format (1), u8 type, body" in the
 * protocol's big-endian encoding (core/protocol/buf.h). A snapshot is the
 * image written as records (samsa_meta_image_encode), so restoring is
 * applying them to an empty image. Types 32..47 (ACLs, SCRAM credentials,
 * client quotas, broker configs) are image_security.h's.
 */
#ifndef SAMSA_METADATA_IMAGE_H
#define SAMSA_METADATA_IMAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

/* First byte of every record. */
#define SAMSA_MDREC_FORMAT 1

typedef enum samsa_mdrec_type {
    SAMSA_MDREC_BROKER = 1,         /* register (epoch -1) or restore */
    SAMSA_MDREC_FENCE_BROKER = 2,   /* missed heartbeats / shutting down */
    SAMSA_MDREC_UNFENCE_BROKER = 3, /* heartbeats again */
    SAMSA_MDREC_TOPIC = 4,          /* create, or restore with full state */
    SAMSA_MDREC_REMOVE_TOPIC = 5,
    SAMSA_MDREC_TOPIC_CONFIG = 6, /* set (value) or delete (null) a key */
    SAMSA_MDREC_PRODUCER_IDS = 7, /* a producer-id block for a broker */
    SAMSA_MDREC_COUNTERS = 8,     /* snapshot: next epoch, next pid */
    SAMSA_MDREC_PARTITIONS = 9,   /* partitions added to a topic */
    /* leader / ISR / replicas of one partition (partition_change.h) */
    SAMSA_MDREC_PARTITION_CHANGE = 10,
    SAMSA_MDREC_UNREGISTER_BROKER =
        11, /* a broker removed (UnregisterBroker) */
    /* a controller's endpoint (image_controllers.h) */
    SAMSA_MDREC_CONTROLLER = 12,
    /* 11..31: replication and cluster admin; 32..47: ACLs, SCRAM
     * credentials, client quotas, broker configs (image_security.h) */
} samsa_mdrec_type_t;

/* One of a broker's listeners, as it registered it (Kafka's
 * BrokerRegistration Listeners): Metadata answers a client with the
 * endpoint of the listener name it asked on. */
typedef struct samsa_meta_listener {
    char *name;
    char *host;
    int32_t port;
} samsa_meta_listener_t;

typedef struct samsa_meta_broker {
    int32_t id;
    int64_t epoch; /* given at registration; fencing compares it */
    uint8_t incarnation[16];
    char *host;
    int32_t port;
    char *rack; /* NULL: none */
    bool fenced;
    /* Every broker listener (host/port above: the inter-broker one);
     * records from before they were kept have none. */
    size_t listener_count;
    samsa_meta_listener_t *listeners;
} samsa_meta_broker_t;

/*
 * A partition as Kafka's PartitionRegistration: during a reassignment
 * replicas holds the target and the replicas being removed, adding the
 * target's new ones, removing the old ones leaving (both empty
 * otherwise); the target is replicas minus removing.
 */
typedef struct samsa_meta_partition {
    int32_t leader; /* -1: none (offline) */
    int32_t leader_epoch;
    int32_t replica_count;
    int32_t *replicas;
    int32_t isr_count;
    int32_t *isr;
    /* Bumped by every change of leader, ISR or replicas (Kafka's
     * PartitionEpoch): AlterPartition compares it. */
    int32_t partition_epoch;
    int32_t adding_count;
    int32_t *adding;
    int32_t removing_count;
    int32_t *removing;
} samsa_meta_partition_t;

typedef struct samsa_meta_config {
    char *key;
    char *value;
} samsa_meta_config_t;

typedef struct samsa_meta_topic {
    char *name;
    uint8_t id[16];
    int32_t partition_count;
    samsa_meta_partition_t *partitions;
    size_t config_count;
    samsa_meta_config_t *configs;
} samsa_meta_topic_t;

typedef struct samsa_meta_image {
    _Atomic int refs;
    uint64_t index;            /* Raft index of the last record applied */
    int64_t next_broker_epoch; /* given to the next registration */
    int64_t next_producer_id;  /* first id of the next producer-id block */
    size_t broker_count;       /* sorted by id */
    samsa_meta_broker_t *brokers;
    size_t topic_count; /* sorted by name */
    samsa_meta_topic_t *topics;
    /* Controllers that are no broker (controller-only nodes), sorted by
     * id: id, host and port of the listener brokers reach them at; the
     * other fields are unset (image_controllers.h). */
    size_t controller_count;
    samsa_meta_broker_t *controllers;
    /* ACLs, credentials, quotas, broker configs (image_security.h);
     * shared between images until changed; NULL: none. */
    struct samsa_meta_security *security;
} samsa_meta_image_t;

/* An empty image (refs 1). NULL on out of memory. */
samsa_meta_image_t *samsa_meta_image_new(void);
/* Deep copy (refs 1) to apply the next record to. */
samsa_meta_image_t *samsa_meta_image_clone(const samsa_meta_image_t *img);
void samsa_meta_image_hold(samsa_meta_image_t *img);
void samsa_meta_image_put(samsa_meta_image_t *img);

/*
 * Apply one record to @p img (a clone nobody reads yet). Deterministic: every
 * node applying the same records gets the same image. *outcome gets the
 * Kafka error the proposer reports (TOPIC_ALREADY_EXISTS for a topic
 * created twice, STALE_BROKER_EPOCH, ...); the record is then a no-op.
 * @return SAMSA_OK, or SAMSA_ERR_CORRUPT for a record that does not decode
 *         (the image is unchanged), SAMSA_ERR_NOMEM.
 */
samsa_err_t samsa_meta_image_apply(samsa_meta_image_t *img, const uint8_t *rec,
                                   size_t len, samsa_err_t *outcome);

/* The image as records, each "u32 length, record" (a snapshot): *out is
 * malloc'd. samsa_meta_image_decode rebuilds an image from it. */
samsa_err_t samsa_meta_image_encode(const samsa_meta_image_t *img,
                                    uint8_t **out, size_t *len);
samsa_err_t samsa_meta_image_decode(const uint8_t *p, size_t len,
                                    samsa_meta_image_t **out);

/* Lookups (NULL when absent). */
const samsa_meta_broker_t *samsa_meta_broker(const samsa_meta_image_t *img,
                                             int32_t id);
const samsa_meta_topic_t *samsa_meta_topic(const samsa_meta_image_t *img,
                                           const char *name);
const samsa_meta_topic_t *samsa_meta_topic_by_id(const samsa_meta_image_t *img,
                                                 const uint8_t id[16]);
/* The partition @p index of topic @p name, or NULL. */
const samsa_meta_partition_t *
samsa_meta_partition(const samsa_meta_image_t *img, const char *name,
                     int32_t index);
/* Where node @p id (the controller, say) serves Kafka requests for brokers:
 * its broker registration, else its controller endpoint (a controller-only
 * node's); NULL when neither is known. */
const samsa_meta_broker_t *
samsa_meta_controller_node(const samsa_meta_image_t *img, int32_t id);
/* Broker @p b's endpoint for listener @p name: that listener's when it
 * registered one by that name, else its inter-broker host and port. */
void samsa_meta_broker_endpoint(const samsa_meta_broker_t *b, const char *name,
                                const char **host, int32_t *port);
/* True when broker @p id holds a replica of some partition of @p t. */
bool samsa_meta_topic_hosted(const samsa_meta_topic_t *t, int32_t id);

/* ---- records: each returns a malloc'd record in *out ---- */

typedef struct samsa_meta_rec {
    uint8_t *p;
    size_t len;
} samsa_meta_rec_t;

samsa_err_t samsa_mdrec_broker(const samsa_meta_broker_t *b,
                               samsa_meta_rec_t *out);
samsa_err_t samsa_mdrec_fence(int32_t id, int64_t epoch, bool fence,
                              samsa_meta_rec_t *out);
/* Broker @p id leaves the cluster: gone from the image and from every ISR
 * (the last member aside, as fencing); BROKER_ID_NOT_REGISTERED. */
samsa_err_t samsa_mdrec_unregister(int32_t id, samsa_meta_rec_t *out);
/* A new topic, or (with its current partition states) a snapshot entry. */
samsa_err_t samsa_mdrec_topic(const samsa_meta_topic_t *t,
                              samsa_meta_rec_t *out);
samsa_err_t samsa_mdrec_remove_topic(const char *name, samsa_meta_rec_t *out);
/* Partitions added to topic @p t->name: t->partitions are the new ones
 * only, t->partition_count their number; @p first is the index of the
 * first (the topic's partition count when proposed). */
samsa_err_t samsa_mdrec_partitions(const samsa_meta_topic_t *t, int32_t first,
                                   samsa_meta_rec_t *out);
samsa_err_t samsa_mdrec_topic_config(const char *topic, const char *key,
                                     const char *value, samsa_meta_rec_t *out);
/* Controller @p id serves brokers at @p host:@p port. */
samsa_err_t samsa_mdrec_controller(int32_t id, const char *host, int32_t port,
                                   samsa_meta_rec_t *out);
samsa_err_t samsa_mdrec_producer_ids(int32_t broker, int64_t start,
                                     int64_t count, samsa_meta_rec_t *out);

#endif /* SAMSA_METADATA_IMAGE_H */
