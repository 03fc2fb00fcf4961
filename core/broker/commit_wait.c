/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/commit_wait.c - see commit_wait.h. */
#include "broker/commit_wait.h"

#include "group/coordinator.h"

#define COMMIT_TIMEOUT_MS 5000 /* offsets.commit.timeout.ms */

void samsa_commit_wait(samsa_req_t *req, const char *group,
                       int16_t *const *error_codes, size_t n,
                       samsa_produce_wait_t **wait)
{
    samsa_broker_t *b = req->broker;
    if (!b->meta || !b->groups || n == 0) {
        return;
    }
    samsa_topic_t *t = samsa_logmgr_topic_get(b->logs, SAMSA_OFFSETS_TOPIC);
    samsa_partition_t *part =
        t ? samsa_topic_partition(t,
                                  samsa_group_partition_for(b->groups, group))
          : NULL;
    if (part) {
        int64_t end = samsa_partition_leo(part);
        int64_t min_isr = samsa_topic_config_long(t, "min.insync.replicas");
        for (size_t i = 0; i < n; i++) {
            if (*error_codes[i] == 0) {
                samsa_produce_wait_replicas(wait, t, part, end, min_isr,
                                            COMMIT_TIMEOUT_MS, error_codes[i]);
            }
        }
    }
    samsa_topic_put(t);
}
