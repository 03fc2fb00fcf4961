/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/txn_verify.h - KIP-890 (part 1) on a partition leader in a
 * cluster. Before a producer's transactional records are appended to a
 * partition, the producer's transaction coordinator, usually another
 * broker, is asked whether the partition is in the producer's open
 * transaction (AddPartitionsToTxn v4 with VerifyOnly, as Kafka's
 * AddPartitionsToTxnManager sends it). A write that arrives after its
 * transaction ended (a late retry, a zombie that missed its fencing) is
 * refused with INVALID_TXN_STATE. Without the check it would open a
 * transaction on the partition that no coordinator will ever close,
 * holding the last stable offset, and every read_committed consumer,
 * back until an operator aborts it.
 *
 * A verified (producer id, epoch, partition) is remembered until a marker
 * of that producer is written to the partition, so later batches of the
 * same transaction need no round trip. The entry is dropped before the
 * marker is appended. A verification answered after a marker
 * (its entry gone meanwhile) counts as failed. The append itself takes a
 * guard before it looks here (samsa_partition_append_guarded): a marker
 * written between that look and the append refuses the write.
 *
 * When the producer's coordinator is this broker and knows the producer,
 * the transaction coordinator answers directly (samsa_txn_verify_produce)
 * and nothing here is used. A standalone broker never uses this.
 *
 * Threads: samsa_txn_verify_needed and _passed on reactors; _run on the
 * produce-check workers (produce_check.c; calls to coordinators go one at
 * a time, sharing one set of clients); _forget on whichever thread writes
 * a marker. Each takes the verifier's own locks.
 */
#ifndef SAMSA_BROKER_TXN_VERIFY_H
#define SAMSA_BROKER_TXN_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/broker.h"

typedef struct samsa_txn_verify samsa_txn_verify_t;

samsa_err_t samsa_txn_verify_new(samsa_broker_t *b, samsa_txn_verify_t **out);
/* After the produce-check workers stopped. NULL is fine. */
void samsa_txn_verify_free(samsa_txn_verify_t *v);

/* Must records of transactional producer @p pid / @p epoch on @p topic /
 * @p partition be verified with its coordinator before they are appended?
 * False when the local transaction coordinator knows the producer or the
 * partition is verified already. */
bool samsa_txn_verify_needed(samsa_broker_t *b, int64_t pid, int16_t epoch,
                             const char *topic, int32_t partition);

/* Did the coordinator confirm that @p partition is in @p pid's open
 * transaction at @p epoch, with no marker written here since? */
bool samsa_txn_verify_passed(samsa_txn_verify_t *v, int64_t pid, int16_t epoch,
                             const char *topic, int32_t partition);

/* A marker of @p pid is about to be written to @p topic / @p partition:
 * its transaction there ends. NULL @p v is fine. */
void samsa_txn_verify_forget(samsa_txn_verify_t *v, int64_t pid,
                             const char *topic, int32_t partition);

/* Ask the coordinator of @p txn_id about @p n partitions of @p pid /
 * @p epoch; results[i] is SAMSA_OK (remembered, see above) or the error
 * for the produce answer, translated as Kafka's ReplicaManager does: a
 * coordinator that cannot answer now (not available, loading, moved,
 * unreachable, or concurrent transactions) gives NOT_ENOUGH_REPLICAS,
 * which every client retries without a metadata refresh. Blocks for at
 * most the call's timeout. */
void samsa_txn_verify_run(samsa_txn_verify_t *v, const char *txn_id,
                          int64_t pid, int16_t epoch, const char *const *topics,
                          const int32_t *partitions, size_t n,
                          samsa_err_t *results);

#endif /* SAMSA_BROKER_TXN_VERIFY_H */
