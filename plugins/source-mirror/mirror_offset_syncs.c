/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_offset_syncs.c - MM2's offset-syncs topic
 * (mm2-offset-syncs.<target alias>.internal, compacted, one partition, on
 * the source cluster unless offset-syncs.topic.location=target). A source
 * task writes an OffsetSync (mirror_format.h) the way MM2's
 * OffsetSyncWriter decides to: for a partition's first record, after an
 * upstream gap, after the downstream offset went back, and once
 * offset.lag.max records passed; every other record's sync is delayed
 * and only the latest per partition is written at the end of the batch.
 * Read back, they rebuild the runs of mirror_sync.c, so a restarted task
 * translates groups at once, and a checkpoint task translates from them.
 */
#include <stdio.h>
#include <string.h>

#include "mirror_format.h"
#include "mirror_task.h"

/* Topic names are at most 249 bytes in Kafka. */
#define TOPIC_MAX 256
#define SYNC_KEY  (2 + TOPIC_MAX + 4)
#define SYNC_VAL  16

bool samsa_mirror_syncs_topic(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = t->svc;
    if (t->syncs_created) {
        return true;
    }
    samsa_connect_kv_t compact = {"cleanup.policy", "compact"};
    if (svc->kafka_create_topic_configs(t->syncs_k, t->syncs_topic, 1, &compact,
                                        1) != SAMSA_OK) {
        svc->log(t->inst, SAMSA_LOG_WARN, "creating %s: %s", t->syncs_topic,
                 svc->kafka_errmsg(t->syncs_k));
        return false;
    }
    t->syncs_created = true;
    return true;
}

static int on_sync(void *arg, const samsa_connect_record_t *rec)
{
    samsa_connect_task_t *t = arg;
    char topic[TOPIC_MAX];
    int32_t partition;
    int64_t up, down;
    if (samsa_mirror_offset_sync_decode(rec->key, rec->key_len, rec->value,
                                        rec->value_len, topic, sizeof(topic),
                                        &partition, &up, &down) &&
        samsa_mirror_wanted(t, topic, partition)) {
        samsa_mirror_entry_t *e =
            samsa_mirror_store_get(&t->store, topic, partition);
        if (e != NULL) {
            samsa_mirror_sync_load(&e->syncs, up, down);
        }
    }
    return 0;
}

samsa_err_t samsa_mirror_syncs_read(samsa_connect_task_t *t, bool to_end,
                                    int32_t wait_ms)
{
    const samsa_services_t *svc = t->svc;
    const char *why = NULL;
    samsa_err_t err =
        samsa_mirror_read_topic(t, t->syncs_k, t->syncs_topic, &t->syncs_next,
                                to_end, wait_ms, on_sync, t, &why);
    if (err != SAMSA_OK && !t->syncs_failing) {
        /* Once until it works again: a checkpoint task retries each poll. */
        svc->log(t->inst, SAMSA_LOG_WARN, "reading %s: %s", t->syncs_topic,
                 why != NULL ? why : svc->kafka_errmsg(t->syncs_k));
    }
    t->syncs_failing = err != SAMSA_OK;
    return err;
}

static void out(samsa_connect_task_t *t, const mirror_part_t *part, int64_t up,
                int64_t down)
{
    if (t->nout == t->capout) {
        size_t cap = t->capout ? t->capout * 2 : 64;
        mirror_sync_out_t *v = t->svc->realloc(t->outbox, cap * sizeof(*v));
        if (v == NULL) {
            return; /* a sync less: translation stays behind, never ahead */
        }
        t->outbox = v;
        t->capout = cap;
    }
    t->outbox[t->nout++] = (mirror_sync_out_t){part, up, down};
}

void samsa_mirror_syncs_note(samsa_connect_task_t *t, mirror_part_t *p,
                             int64_t up, int64_t down)
{
    if (!t->emit_syncs) {
        return;
    }
    /* MM2's OffsetSyncWriter.PartitionState: a sync is due when a
     * translation from the last one would be too stale or wrong. */
    bool due = p->last_sync_down < 0 ||
               down - (p->last_sync_down + 1) >= t->lag_max ||
               up - p->prev_up != 1 || down < p->prev_down;
    p->prev_up = up;
    p->prev_down = down;
    if (due) {
        p->last_sync_down = down;
        p->delayed = false;
        out(t, p, up, down);
    } else {
        p->delayed = true;
        p->delayed_up = up;
        p->delayed_down = down;
    }
}

void samsa_mirror_syncs_flush(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = t->svc;
    for (size_t i = 0; i < t->nparts; i++) {
        mirror_part_t *p = t->parts[i];
        if (p->delayed) {
            p->delayed = false;
            out(t, p, p->delayed_up, p->delayed_down);
        }
    }
    if (t->nout == 0 || !samsa_mirror_syncs_topic(t)) {
        t->nout = 0;
        return;
    }
    /* One block: the records, their pointers, keys and values. */
    size_t each =
        (sizeof(samsa_connect_record_t) + SYNC_KEY + SYNC_VAL + 7) & ~(size_t)7;
    uint8_t *mem = svc->alloc(t->nout * (each + sizeof(void *)));
    if (mem == NULL) {
        t->nout = 0;
        return;
    }
    const samsa_connect_record_t **ptrs = (const samsa_connect_record_t **)mem;
    uint8_t *p = mem + t->nout * sizeof(void *);
    size_t n = 0;
    for (size_t i = 0; i < t->nout; i++, p += each) {
        samsa_connect_record_t *r = (samsa_connect_record_t *)p;
        uint8_t *key = p + sizeof(*r), *val = key + SYNC_KEY;
        const mirror_sync_out_t *o = &t->outbox[i];
        size_t kl = samsa_mirror_offset_sync_key(key, SYNC_KEY, o->part->topic,
                                                 o->part->partition);
        size_t vl =
            samsa_mirror_offset_sync_value(val, SYNC_VAL, o->up, o->down);
        if (kl == 0 || vl == 0) {
            continue;
        }
        *r = (samsa_connect_record_t){
            .hdr = SAMSA_ABI_HEADER(samsa_connect_record_t),
            .topic = t->syncs_topic,
            .key = key,
            .key_len = kl,
            .value = val,
            .value_len = vl,
            .timestamp = SAMSA_CONNECT_NO_TIMESTAMP,
            .partition = 0, /* MM2 writes every sync to partition 0 */
        };
        ptrs[n++] = r;
    }
    samsa_err_t err = svc->kafka_produce(t->syncs_k, ptrs, n);
    if (err != SAMSA_OK && !t->syncs_write_failing) {
        /* Only a restarted task's first translations are less precise.
         * Said once until it works again (a read-only source cluster
         * would fail every batch: offset-syncs.topic.location=target). */
        svc->log(t->inst, SAMSA_LOG_WARN, "writing offset syncs to %s: %s",
                 t->syncs_topic, svc->kafka_errmsg(t->syncs_k));
    }
    t->syncs_write_failing = err != SAMSA_OK;
    svc->free(mem);
    t->nout = 0;
}
