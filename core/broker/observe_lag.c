/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/observe_lag.c - see observe_lag.h. */
#include "broker/observe_lag.h"

#include <string.h>
#include <unistd.h>

#include "group/coordinator.h"
#include "record/batch.h"

/* The header of the batch holding @p offset (first and max timestamps). */
static samsa_err_t batch_times(samsa_partition_t *part, int64_t offset,
                               int64_t hw, int64_t *first_ts, int64_t *max_ts)
{
    samsa_storage_read_t rd;
    samsa_err_t err =
        samsa_partition_read(part, offset, hw, 1, SAMSA_READ_MIN_ONE, &rd);
    if (err != SAMSA_OK) {
        return err;
    }
    uint8_t hdr[SAMSA_BATCH_HEADER_SIZE];
    err = SAMSA_ERR_NOT_FOUND;
    if (rd.slice_count > 0 && rd.slices[0].len >= SAMSA_BATCH_HEADER_SIZE) {
        const samsa_slice_t *s = &rd.slices[0];
        if (s->fd >= 0) {
            if (pread(s->fd, hdr, sizeof(hdr), (off_t)s->pos) ==
                (ssize_t)sizeof(hdr)) {
                err = SAMSA_OK;
            }
        } else {
            memcpy(hdr, s->buf, sizeof(hdr));
            err = SAMSA_OK;
        }
    }
    samsa_partition_read_release(part, &rd);
    if (err == SAMSA_OK) {
        *first_ts = (int64_t)samsa_be64(hdr + SAMSA_BATCH_OFF_BASE_TIMESTAMP);
        *max_ts = (int64_t)samsa_be64(hdr + SAMSA_BATCH_OFF_MAX_TIMESTAMP);
    }
    return err;
}

void samsa_observe_lag(samsa_broker_t *b, const char *topic, int32_t partition,
                       int64_t committed, samsa_lag_t *out)
{
    *out = (samsa_lag_t){committed, -1, -1, -1};
    samsa_topic_t *t = samsa_logmgr_topic_get(b->logs, topic);
    samsa_partition_t *part = t ? samsa_topic_partition(t, partition) : NULL;
    if (part) {
        int64_t hw = samsa_partition_hw(part);
        int64_t start = samsa_partition_log_start(part);
        out->high_watermark = hw;
        int64_t from = committed < start ? start : committed;
        out->records = committed < 0 ? hw - start : hw - committed;
        if (out->records < 0) {
            out->records = 0;
        }
        out->seconds = 0;
        int64_t first, max, lfirst, lmax;
        if (from < hw &&
            batch_times(part, from, hw, &first, &max) == SAMSA_OK &&
            batch_times(part, hw - 1, hw, &lfirst, &lmax) == SAMSA_OK) {
            out->seconds = lmax > first ? (double)(lmax - first) / 1000.0 : 0;
        }
    }
    samsa_topic_put(t);
}

void samsa_observe_group_lags(samsa_broker_t *b, const char *group,
                              samsa_lag_cb cb, void *arg)
{
    samsa_group_offsets_t offs = {0};
    if (samsa_group_offset_fetch(b->groups, group, NULL, 0, &offs) !=
        SAMSA_OK) {
        return;
    }
    for (size_t i = 0; i < offs.count; i++) {
        samsa_group_offset_t *o = &offs.items[i];
        if (o->offset < 0) {
            continue;
        }
        samsa_lag_t lag;
        samsa_observe_lag(b, o->topic, o->partition, o->offset, &lag);
        cb(arg, o->topic, o->partition, &lag);
    }
    samsa_group_offsets_free(&offs);
}
