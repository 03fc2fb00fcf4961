/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metadata/placement.h - where a new topic's replicas go: rack-aware
 * round-robin over the live (unfenced) brokers of an image, as Kafka's
 * controller does it. Pure function; any thread.
 */
#ifndef SAMSA_METADATA_PLACEMENT_H
#define SAMSA_METADATA_PLACEMENT_H

#include "metadata/image.h"

/*
 * Fill @p t->partitions (count @p partitions, allocated here) with
 * @p replication_factor replicas each, the first one the leader and all of
 * them in the ISR (samsa_meta_initial_isr). Brokers are ordered
 * alternating between racks; partition p's first replica is at position
 * (@p start + p), spreading leaders evenly, and each next one is the next
 * broker in that order whose rack has no replica yet (any rack once all
 * have one), so a partition's replicas cover min(RF, racks) racks.
 * @return SAMSA_OK, INVALID_REPLICATION_FACTOR (more replicas than live
 *         brokers), INVALID_PARTITIONS, SAMSA_ERR_NOMEM.
 */
samsa_err_t samsa_meta_place(const samsa_meta_image_t *img,
                             samsa_meta_topic_t *t, int32_t partitions,
                             int32_t replication_factor, uint32_t start);

/*
 * The ISR and leader of a new partition whose replicas are set: every
 * replica that is live (unfenced) in @p img, as Kafka's controller starts
 * them (every log is empty, so all are caught up), led by the first of
 * them. A replica on a broker that died but is not fenced yet is in it
 * too, and leaves it like any member when it is fenced, so the partition
 * gets another leader then. Allocates @p p->isr.
 * @return SAMSA_OK, INVALID_REPLICA_ASSIGNMENT (no replica is live),
 *         SAMSA_ERR_NOMEM.
 */
samsa_err_t samsa_meta_initial_isr(const samsa_meta_image_t *img,
                                   samsa_meta_partition_t *p);

#endif /* SAMSA_METADATA_PLACEMENT_H */
