/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/cluster.h - Kafka Connect's distributed mode: workers with
 * the same group.id (samsad's embedded worker and `samsa connect`
 * processes alike) join one group of protocol type "connect" and split
 * the connectors and tasks between them, with Kafka's protocols:
 * - incremental cooperative (KIP-415, "sessioned" and "compatible",
 *   the default): a worker keeps its tasks running while it rejoins and
 *   reports them in its metadata; the leader (Kafka's
 *   IncrementalCooperativeAssignor, assignor.h) hands out only what is
 *   new and revokes only what must move. A worker stops what is revoked
 *   and rejoins at once, so the next round can hand it elsewhere; a
 *   departed worker's tasks wait scheduled.rebalance.max.delay.ms for it
 *   to come back (the leader sends the delay, everyone rejoins then).
 * - eager ("default", connect.protocol=eager): on every rebalance each
 *   worker stops all its tasks, rejoins, and starts what the leader's
 *   assignment (Kafka's EagerAssignor) gives it.
 * Either way no task ever runs on two workers.
 *
 * Every worker follows connect-configs, connect-offsets and connect-status
 * (a tail read every half second): a config change written by any worker
 * restarts the tasks that run here, a source task that moves here starts
 * from the offsets its previous worker stored, and the REST status shows
 * the tasks other workers run. The leader rebalances the group when the
 * set of connectors or their task counts differ from what it assigned; a
 * worker that dies leaves the group after session.timeout.ms and its
 * tasks go to the others.
 *
 * Threads: one membership thread per worker (join, heartbeat, tail); it
 * takes w->admin to change the table, as REST calls do.
 */
#ifndef SAMSA_CONNECT_CLUSTER_H
#define SAMSA_CONNECT_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct samsa_connect;
typedef struct samsa_connect_cluster samsa_connect_cluster_t;

/* The distributed worker's keys of a Kafka Connect worker.properties. */
typedef struct samsa_connect_dist_conf {
    char group_id[256];        /* group.id; "" = standalone */
    int session_timeout_ms;    /* session.timeout.ms (10000) */
    int rebalance_timeout_ms;  /* rebalance.timeout.ms (60000) */
    int heartbeat_interval_ms; /* heartbeat.interval.ms (3000) */
    char advertised_host[256]; /* rest.advertised.host.name */
    int advertised_port;       /* rest.advertised.port (0: the listener's) */
    char listener_host[256];   /* the REST listener's host */
    /* config.storage.topic, offset.storage.topic, status.storage.topic
     * ("": connect-configs, connect-offsets, connect-status) */
    char configs_topic[250], offsets_topic[250], status_topic[250];
    /* connect.protocol: SAMSA_CONNECT_PROTOCOL_EAGER ("eager"),
     * _COMPATIBLE or _SESSIONED (the default, as Kafka's): the newest
     * the worker offers; the group runs the newest all offer. */
    int protocol;
    int max_delay_ms; /* scheduled.rebalance.max.delay.ms (300000) */
} samsa_connect_dist_conf_t;

/* The host of REST listener @p addr ("HOST:PORT", "[V6]:PORT"); a
 * wildcard one is advertised as this machine's name. */
void samsa_connect_listener_host(samsa_connect_dist_conf_t *d,
                                 const char *addr);
/* "HOST:PORT" as this worker advertises itself (its worker_id; the URL
 * is http://HOST:PORT/), @p port the REST listener's. */
void samsa_connect_dist_worker_id(const samsa_connect_dist_conf_t *d,
                                  unsigned port, char *out, size_t len);

/* One worker property; keys that are not the distributed worker's are
 * ignored. SAMSA_ERR_CONFIG with "KEY VALUE: why" for a bad value. */
samsa_err_t samsa_connect_dist_set(samsa_connect_dist_conf_t *d,
                                   const char *key, const char *value,
                                   char *errbuf, size_t errlen);

/* Start the membership thread (the boot thread, once the internal
 * topics are replayed). */
samsa_err_t samsa_connect_cluster_start(struct samsa_connect *w);
/* End the thread and leave the group (before the tasks stop). */
void samsa_connect_cluster_stop(struct samsa_connect *w);
/* May task @p task of @p name run here? Always in standalone mode;
 * in distributed mode only when the current assignment says so.
 * w->admin held. */
bool samsa_connect_cluster_owns(const struct samsa_connect *w, const char *name,
                                int32_t task);
/* Distributed mode: ask the workers running @p c's tasks (all of them, or
 * task @p task only) to restart them, through a restart-connector-NAME
 * record in connect-configs (KIP-745's, {"include-tasks","only-failed"},
 * plus "task" for one task); false in standalone mode. *err: the record's
 * write (the REST API answers its failure). w->admin held. */
struct connector;
bool samsa_connect_cluster_restart(struct samsa_connect *w, struct connector *c,
                                   int32_t task, samsa_err_t *err);
/* True between leaving a generation and applying the next one: REST
 * writes answer 409, as Kafka Connect's do during a rebalance. */
bool samsa_connect_cluster_rebalancing(struct samsa_connect *w);

/* Who applies a REST write (Kafka Connect's leader-only writes). */
typedef enum samsa_connect_leader {
    SAMSA_CONNECT_LEADER_SELF,    /* standalone, or this worker leads */
    SAMSA_CONNECT_LEADER_OTHER,   /* another worker: its URL is given */
    SAMSA_CONNECT_LEADER_UNKNOWN, /* no generation applied yet */
} samsa_connect_leader_t;
/* The current generation's leader; @p url (http://HOST:PORT/, as the
 * leader advertised it in its assignment) filled for _OTHER. Takes
 * w->lock. */
samsa_connect_leader_t samsa_connect_cluster_leader(struct samsa_connect *w,
                                                    char *url, size_t len);

#endif /* SAMSA_CONNECT_CLUSTER_H */
