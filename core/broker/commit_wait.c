/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/commit_wait.c - see commit_wait.h. */
#include "broker/commit_wait.h"

#include "group/coordinator.h"
#include "replica/replica.h"
#include "txn/coordinator.h"
#include "util/java_hash.h"

#define COMMIT_TIMEOUT_MS 5000 /* offsets.commit.timeout.ms */

/* @p key's partition of internal topic @p name (Kafka's partitionFor). */
static void wait_log(samsa_req_t *req, const char *name, const char *key,
                     int16_t *const *error_codes, size_t n,
                     samsa_produce_wait_t **wait)
{
    samsa_broker_t *b = req->broker;
    if (!b->meta || n == 0) {
        return;
    }
    samsa_topic_t *t = samsa_logmgr_topic_get(b->logs, name);
    samsa_partition_t *part =
        t ? samsa_topic_partition(
                t, samsa_internal_partition_for(key, t->partition_count))
          : NULL;
    if (part) {
        int64_t end = samsa_partition_leo(part);
        /* The append was just made (on this thread, or for SyncGroup on
         * the coordinator's before the answer was handed here): the log
         * end now covers it. */
        int32_t epoch = samsa_replica_leader_epoch(b->replica, part);
        int64_t min_isr = samsa_topic_config_long(t, "min.insync.replicas");
        for (size_t i = 0; i < n; i++) {
            if (*error_codes[i] == 0) {
                samsa_coordinator_wait_replicas(wait, t, part, end, epoch,
                                                min_isr, COMMIT_TIMEOUT_MS,
                                                error_codes[i]);
            }
        }
    }
    samsa_topic_put(t);
}

void samsa_commit_wait(samsa_req_t *req, const char *group,
                       int16_t *const *error_codes, size_t n,
                       samsa_produce_wait_t **wait)
{
    wait_log(req, SAMSA_OFFSETS_TOPIC, group, error_codes, n, wait);
}

void samsa_txn_log_wait(samsa_req_t *req, const char *txn_id,
                        int16_t *const *error_codes, size_t n,
                        samsa_produce_wait_t **wait)
{
    wait_log(req, SAMSA_TXN_STATE_TOPIC, txn_id, error_codes, n, wait);
}
