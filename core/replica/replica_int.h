/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/replica/replica_int.h - state shared by the files of core/replica
 * (not for callers): the manager, the leader's partition states, the
 * fetchers and the ISR thread.
 */
#ifndef SAMSA_REPLICA_INT_H
#define SAMSA_REPLICA_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <samsa/transport.h>

#include "broker/broker.h"
#include "replica/replica.h"
#include "replica/rules.h"
#include "util/rate.h"

typedef struct samsa_fetcher samsa_fetcher_t;

/* A partition led here with more than one replica. Fields under lock
 * unless marked. */
typedef struct samsa_led {
    samsa_partition_t *part; /* key; immutable */
    samsa_topic_t *topic;    /* held; immutable */
    char *name;              /* topic name; immutable */
    int32_t index;           /* immutable */
    uint8_t topic_id[16];    /* immutable */
    _Atomic int refs;
    pthread_mutex_t lock;
    int32_t leader_epoch;
    int32_t partition_epoch;
    int64_t epoch_start_offset; /* LEO when this epoch began */
    int32_t *isr;               /* committed */
    int nisr;
    int32_t *maximal; /* isr plus a pending addition (Kafka's maximal ISR) */
    int nmax;
    bool alter_pending; /* an AlterPartition is queued or in flight */
    int32_t *proposed;  /* its new ISR */
    int nproposed;
    samsa_follower_t *fs; /* every other replica */
    bool *eligible;       /* per follower: broker live (unfenced) */
    int nf;
    uint64_t seen; /* image index that last listed it (applier) */
} samsa_led_t;

/* One replication quota (throttle.c): Kafka's replication.quota.window.num
 * and .size.seconds defaults. */
#define SAMSA_REPL_QUOTA_SAMPLES   11
#define SAMSA_REPL_QUOTA_WINDOW_MS 1000
typedef struct samsa_repl_quota {
    pthread_mutex_t lock;
    _Atomic int64_t bound; /* bytes/s; INT64_MAX: none */
    samsa_rate_t rate;     /* under lock */
    samsa_rate_sample_t s[SAMSA_REPL_QUOTA_SAMPLES];
} samsa_repl_quota_t;

struct samsa_replica_mgr {
    samsa_broker_t *b;
    samsa_replica_config_t cfg;
    const samsa_transport_ops_t *tops;
    void *tstate;
    /* Partitions led here: a tsearch tree keyed by partition pointer. */
    pthread_rwlock_t led_lock;
    void *led_root;
    /* Partitions followed (applier thread only): tsearch tree of
     * samsa_followed_t. */
    void *followed_root;
    samsa_fetcher_t **fetchers;
    int nfetchers;
    /* The ISR thread: shrinks, AlterPartition to the controller. */
    pthread_t isr_thread;
    pthread_mutex_t isr_mu;
    pthread_cond_t isr_cond;
    bool isr_stop;
    bool isr_kick;
    bool isr_started;
    /* Metrics (core/registry/metrics.h); NULL when registration failed. */
    samsa_metric_t *m_under_replicated;
    samsa_metric_t *m_shrinks;
    samsa_metric_t *m_expands;
    /* leader/follower.replication.throttled.rate (throttle.c). */
    samsa_repl_quota_t leader_quota;
    samsa_repl_quota_t follower_quota;
};

/* ---- leader_state.c ---- */
/* The led state of @p part, held (samsa_led_put), or NULL. */
samsa_led_t *samsa_led_get(samsa_replica_mgr_t *rm, samsa_partition_t *part);
void samsa_led_put(samsa_led_t *led);
/* Become (or stay) the leader of @p part per @p mp; a new epoch resets the
 * followers. Applier thread. */
void samsa_led_install(samsa_replica_mgr_t *rm, samsa_topic_t *topic,
                       samsa_partition_t *part, const samsa_meta_topic_t *t,
                       int32_t index, const samsa_meta_image_t *img);
/* Forget that @p part is led here (it is followed from now). */
void samsa_led_drop(samsa_replica_mgr_t *rm, samsa_partition_t *part);
/* Drop led states not seen in image @p seen (or every one, seen 0). */
void samsa_led_sweep(samsa_replica_mgr_t *rm, uint64_t seen, bool all);
/* core/log's leader-append hook (@p rm the manager): after every append
 * to a partition led here its HW may move (at once with an ISR of one). */
void samsa_led_appended(void *rm, samsa_partition_t *part);
/* Raise @p led's HW per the rules; caller holds led->lock. */
void samsa_led_update_hw(samsa_replica_mgr_t *rm, samsa_led_t *led,
                         int64_t now_ms);
/* Held references to every led state (caller puts each, frees array). */
size_t samsa_led_list(samsa_replica_mgr_t *rm, samsa_led_t ***out);
/* A committed ISR of @p before members now has @p after: count a shrink
 * or an expansion (whichever of the image or the AlterPartition answer
 * brought it first; the other then sees no change). */
void samsa_led_count_isr_change(samsa_replica_mgr_t *rm, int before, int after);
/* Count under-replicated led partitions into the metric. */
void samsa_led_count_under_replicated(samsa_replica_mgr_t *rm);

/* ---- fetcher.c ---- */
samsa_err_t samsa_fetcher_start(samsa_replica_mgr_t *rm, int id,
                                samsa_fetcher_t **out);
void samsa_fetcher_stop(samsa_fetcher_t *f);
/* Fetch @p part from @p leader at @p host:@p port for @p epoch (replaces
 * what the fetcher had for it); the topic is held. Any thread. */
void samsa_fetcher_add(samsa_fetcher_t *f, samsa_topic_t *topic,
                       samsa_partition_t *part, int32_t leader,
                       const char *host, int32_t port, int32_t epoch);
/* Stop fetching @p part; returns once the fetcher no longer touches it. */
void samsa_fetcher_remove(samsa_fetcher_t *f, samsa_partition_t *part);
/* The fetcher a partition belongs to (Kafka's hash of topic and index). */
samsa_fetcher_t *samsa_fetcher_for(samsa_replica_mgr_t *rm, const char *topic,
                                   int32_t index);

/* ---- transitions.c ---- */
/* Stop following and leading everything (shutting down). */
void samsa_replica_forget_all(samsa_replica_mgr_t *rm);

/* ---- alter_isr.c ---- */
samsa_err_t samsa_isr_start(samsa_replica_mgr_t *rm);
void samsa_isr_stop(samsa_replica_mgr_t *rm);
/* Wake the ISR thread (an expansion was queued). Any thread. */
void samsa_isr_kick(samsa_replica_mgr_t *rm);

/* ---- throttle.c ---- */
void samsa_repl_quota_init(samsa_repl_quota_t *q);
void samsa_repl_quota_destroy(samsa_repl_quota_t *q);
/* Over its bound now (never without one). */
bool samsa_repl_quota_exceeded(samsa_repl_quota_t *q, int64_t now_ms);
void samsa_repl_quota_record(samsa_repl_quota_t *q, double bytes,
                             int64_t now_ms);
/* @p q has a bound and @p topic's throttled-replicas config @p key names
 * partition @p index on @p broker. */
bool samsa_repl_throttled(samsa_repl_quota_t *q, samsa_topic_t *topic,
                          const char *key, int32_t index, int32_t broker);

#endif /* SAMSA_REPLICA_INT_H */
