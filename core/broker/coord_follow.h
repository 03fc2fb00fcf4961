/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/coord_follow.h - in a cluster, the group and transaction
 * coordinators follow the leadership of their internal topics' partitions,
 * as Kafka's do: when an image makes this broker the leader of a partition
 * of __consumer_offsets (__transaction_state) its groups (transactional
 * ids) are loaded from the local log; when it stops leading one they are
 * unloaded. One thread does it, off the reactors and off the quorum's
 * thread; the applier kicks it once it has created the local logs of an
 * image, and it also looks at the newest image every 200 ms.
 */
#ifndef SAMSA_BROKER_COORD_FOLLOW_H
#define SAMSA_BROKER_COORD_FOLLOW_H

#include "broker/broker.h"

typedef struct samsa_coord_follow samsa_coord_follow_t;

/* Quorum mode, after both coordinators (follow_leadership) and
 * samsa_cluster_start (the member it asks whether this run is active). */
samsa_err_t samsa_coord_follow_start(samsa_broker_t *b,
                                     samsa_coord_follow_t **out);
/* Look at the newest image now (any thread; NULL is fine). */
void samsa_coord_follow_kick(samsa_coord_follow_t *cf);
/* Join the thread and free (NULL is fine). */
void samsa_coord_follow_stop(samsa_coord_follow_t *cf);

#endif /* SAMSA_BROKER_COORD_FOLLOW_H */
