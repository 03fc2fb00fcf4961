/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_read.c - reading one of MM2's one-partition
 * internal topics (offset syncs, checkpoints) from where the task left it:
 * to its end when a task starts, else one fetch round. A start moved by
 * compaction or retention is followed.
 */
#include "mirror_task.h"

samsa_err_t samsa_mirror_read_topic(samsa_connect_task_t *t, samsa_kafka_t *k,
                                    const char *topic, int64_t *next,
                                    bool to_end, int32_t wait_ms,
                                    int (*cb)(void *arg,
                                              const samsa_connect_record_t *),
                                    void *arg, const char **why)
{
    const samsa_services_t *svc = t->svc;
    int64_t end = -1;
    samsa_err_t err = SAMSA_OK;
    *why = NULL;
    if (*next < 0) {
        err = svc->kafka_list_offset(k, topic, 0, SAMSA_KAFKA_OFFSET_BEGINNING,
                                     next);
    }
    if (err == SAMSA_OK && to_end) {
        err = svc->kafka_list_offset(k, topic, 0, SAMSA_KAFKA_OFFSET_END, &end);
    }
    do {
        samsa_kafka_pos_t pos = {.topic = topic,
                                 .partition = 0,
                                 .offset = *next,
                                 .high_watermark = -1};
        if (err == SAMSA_OK) {
            err = svc->kafka_fetch(k, &pos, 1, to_end ? 0 : wait_ms, cb, arg);
        }
        if (err == SAMSA_OK && pos.error == SAMSA_ERR_OFFSET_OUT_OF_RANGE) {
            /* Compaction or retention moved the start: read from it. */
            pos.offset = -1;
            err = svc->kafka_list_offset(
                k, topic, 0, SAMSA_KAFKA_OFFSET_BEGINNING, &pos.offset);
        } else if (err == SAMSA_OK && pos.error != 0) {
            err = pos.error;
            *why = svc->err_str(err);
        }
        if (err == SAMSA_OK) {
            *next = pos.offset;
        }
    } while (err == SAMSA_OK && to_end && *next < end);
    return err;
}
