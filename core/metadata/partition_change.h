/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metadata/partition_change.h - how one partition's leader, ISR and
 * replicas change, as Kafka's KRaft controller does it
 * (PartitionChangeBuilder, ReplicationControlManager):
 *
 *   - the PARTITION_CHANGE record (type 10) names the partition, the
 *     partition epoch it was computed against and the fields it sets; it
 *     is checked again when applied (same epoch, new ISR members live), so
 *     two proposals computed from one image cannot both commit;
 *   - applying a change completes a reassignment once every target
 *     replica is in the ISR, and elects a leader when the current one is
 *     gone: the first replica, in replica order, that is in the ISR and
 *     live; every change bumps the partition epoch, a new leader the
 *     leader epoch;
 *   - a fenced (or restarted) broker leaves every ISR it is in, except
 *     where it is the last member: that partition keeps it and has no
 *     leader until it returns (unclean election aside);
 *   - the controller's elections (preferred, unclean, rebalance) are pure
 *     functions from an image to records.
 *
 * Pure functions on images: any thread. Applying happens on the quorum
 * thread, on a clone (image.h).
 */
#ifndef SAMSA_METADATA_PARTITION_CHANGE_H
#define SAMSA_METADATA_PARTITION_CHANGE_H

#include "metadata/image.h"
#include "protocol/buf.h"

/* leader field of a change: keep the current one (electing only when it is
 * no longer a live ISR member). */
#define SAMSA_META_LEADER_KEEP INT32_MIN

typedef struct samsa_meta_ids {
    const int32_t *ids;
    int32_t count;
} samsa_meta_ids_t;

typedef struct samsa_meta_partition_change {
    const char *topic;
    int32_t partition;
    int32_t expect_epoch; /* partition epoch it was computed on; -1: any */
    int32_t leader;       /* SAMSA_META_LEADER_KEEP, -1 (none) or a broker */
    /* NULL: unchanged. */
    const samsa_meta_ids_t *isr;
    const samsa_meta_ids_t *replicas;
    const samsa_meta_ids_t *adding;
    const samsa_meta_ids_t *removing;
} samsa_meta_partition_change_t;

samsa_err_t samsa_mdrec_partition_change(const samsa_meta_partition_change_t *c,
                                         samsa_meta_rec_t *out);

/* For image.c: apply the body of a PARTITION_CHANGE record (after its type
 * byte). *outcome: UNKNOWN_TOPIC_OR_PARTITION, INVALID_UPDATE_VERSION (the
 * epoch moved on), INELIGIBLE_REPLICA (a new ISR member or the leader is
 * not a live replica), INVALID_REQUEST; the image is then unchanged.
 * @return SAMSA_ERR_CORRUPT when it does not decode, SAMSA_ERR_NOMEM. */
samsa_err_t samsa_meta_apply_partition_change(samsa_meta_image_t *img,
                                              samsa_rbuf_t *rb,
                                              samsa_err_t *outcome);

/* For image.c, after a broker's state changed: broker @p leaving (-1: none)
 * leaves every ISR where it is not the last member, and every partition
 * whose leader is gone gets one (or none) as above. */
void samsa_meta_brokers_changed(samsa_meta_image_t *img, int32_t leaving);

/* Registered and not fenced. */
bool samsa_meta_broker_live(const samsa_meta_image_t *img, int32_t id);
bool samsa_meta_ids_has(const int32_t *ids, int32_t n, int32_t id);

/* ---- the controller's elections (ElectLeaders, and its own checks) ---- */

/* Preferred election of @p topic/@p partition: the first replica becomes
 * leader. ELECTION_NOT_NEEDED when it leads already,
 * PREFERRED_LEADER_NOT_AVAILABLE when it is not a live ISR member,
 * UNKNOWN_TOPIC_OR_PARTITION. */
samsa_err_t samsa_meta_elect_preferred(const samsa_meta_image_t *img,
                                       const char *topic, int32_t partition,
                                       samsa_meta_rec_t *out);

/* Unclean election: a partition without a live leader gets a live ISR
 * member, or else the first live replica with an ISR of itself alone
 * (what it has may lack committed records: Kafka's unclean election).
 * ELECTION_NOT_NEEDED when a live leader exists,
 * ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is live. */
samsa_err_t samsa_meta_elect_unclean(const samsa_meta_image_t *img,
                                     const char *topic, int32_t partition,
                                     samsa_meta_rec_t *out);

/*
 * Move @p topic/@p partition to the replicas @p target (in order, the first
 * preferred), Kafka's model: the record makes the replicas the target plus
 * the ones leaving, with adding/removing set; new replicas join by
 * replicating, and once every target replica is in the ISR the leaving
 * ones go (partition_change.h's applying). @p target NULL cancels the
 * ongoing reassignment (back to the replicas before it). out->p stays
 * NULL when nothing changes. INVALID_REPLICA_ASSIGNMENT (*why says why),
 * NO_REASSIGNMENT_IN_PROGRESS, UNKNOWN_TOPIC_OR_PARTITION, NOMEM.
 */
samsa_err_t samsa_meta_reassign(const samsa_meta_image_t *img,
                                const char *topic, int32_t partition,
                                const samsa_meta_ids_t *target,
                                samsa_meta_rec_t *out, const char **why);

/* Whether unclean election is on for topic @p t: its
 * unclean.leader.election.enable config, else @p broker_default. */
bool samsa_meta_unclean_enabled(const samsa_meta_topic_t *t,
                                bool broker_default);

/*
 * The controller's periodic checks: up to @p max records in @p out
 * (*n gets how many), each a PARTITION_CHANGE.
 *   unclean: leaderless partitions of topics with unclean election on;
 *   rebalance: preferred elections for the partitions of every broker whose
 *   share of partitions not led by it though preferred exceeds @p pct
 *   percent (Kafka's leader.imbalance.per.broker.percentage), where the
 *   preferred replica is a live ISR member.
 */
samsa_err_t samsa_meta_unclean_checks(const samsa_meta_image_t *img,
                                      bool broker_default,
                                      samsa_meta_rec_t *out, size_t max,
                                      size_t *n);
samsa_err_t samsa_meta_rebalance_checks(const samsa_meta_image_t *img,
                                        int32_t pct, samsa_meta_rec_t *out,
                                        size_t max, size_t *n);

#endif /* SAMSA_METADATA_PARTITION_CHANGE_H */
