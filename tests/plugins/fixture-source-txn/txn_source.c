/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fixture: a source that defines its own transaction boundaries (KIP-618's
 * transaction.boundary=connector). Each task emits "0", "1", ... "99" to
 * the setting "topic", seven records per poll (so boundaries fall inside
 * polls), with the record number as its source offset; it asks the worker
 * to commit the transaction after every record n with n % 20 == 9 and to
 * abort it after every n % 20 == 19. A read_committed consumer then sees
 * exactly the n with (n / 10) even. With the setting "committed.file",
 * each commit_record() call appends the record's value and a newline to
 * that file, so a test sees which records the worker called it for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <samsa/connect.h>

#include "source_stub.h"

#define TOTAL    100
#define PER_POLL 7

typedef struct slot {
    samsa_connect_record_t rec;
    char value[24];
} slot_t;

struct samsa_connect_task {
    const samsa_services_t *svc;    /* first: source_stub_task_stop */
    samsa_connect_task_info_t info; /* transaction_commit/abort, txn_ctx */
    char topic[256];
    char committed[512]; /* "committed.file", "" if none */
    long next;
    slot_t slots[PER_POLL];
    samsa_connect_record_t *recs[PER_POLL];
};

static samsa_err_t ts_supported(void *state, const samsa_connect_kv_t *config,
                                uint64_t config_count, bool *supported)
{
    (void)state;
    (void)config;
    (void)config_count;
    *supported = true;
    return SAMSA_OK;
}

static samsa_err_t ts_task_start(void *state,
                                 const samsa_connect_task_info_t *info,
                                 samsa_connect_task_t **task, char *errbuf,
                                 size_t errbuf_size)
{
    const samsa_services_t *svc = state;
    const char *topic = source_stub_topic(info, 256);
    if (topic == NULL ||
        !SAMSA_ABI_HAS(samsa_connect_task_info_t, info, txn_ctx) ||
        info->transaction_commit == NULL) {
        snprintf(errbuf, errbuf_size,
                 "topic is required, and transaction.boundary=connector on "
                 "an exactly-once worker");
        return SAMSA_ERR_CONFIG;
    }
    samsa_connect_task_t *t = svc->alloc(sizeof(*t));
    if (t == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    memset(t, 0, sizeof(*t));
    t->svc = svc;
    t->info = *info;
    snprintf(t->topic, sizeof(t->topic), "%s", topic);
    for (uint64_t i = 0; i < info->config_count; i++) {
        if (strcmp(info->config[i].key, "committed.file") == 0) {
            snprintf(t->committed, sizeof(t->committed), "%s",
                     info->config[i].value);
        }
    }
    for (uint64_t i = 0; i < info->offset_count; i++) {
        t->next = strtol(info->offsets[i].source_offset, NULL, 10) + 1;
    }
    *task = t;
    return SAMSA_OK;
}

static samsa_err_t ts_poll(samsa_connect_task_t *t, int64_t timeout_ms,
                           samsa_connect_record_t *const **records,
                           size_t *count)
{
    size_t n = 0;
    while (n < PER_POLL && t->next < TOTAL) {
        slot_t *s = &t->slots[n];
        snprintf(s->value, sizeof(s->value), "%ld", t->next);
        s->rec = (samsa_connect_record_t){
            .hdr = SAMSA_ABI_HEADER(samsa_connect_record_t),
            .topic = t->topic,
            .value = s->value,
            .value_len = strlen(s->value),
            .timestamp = SAMSA_CONNECT_NO_TIMESTAMP,
            .partition = SAMSA_CONNECT_ANY_PARTITION,
            .source_partition = "fixture",
            .source_offset = s->value,
        };
        if (t->next % 20 == 9) {
            t->info.transaction_commit(t->info.txn_ctx, &s->rec);
        } else if (t->next % 20 == 19) {
            t->info.transaction_abort(t->info.txn_ctx, &s->rec);
        }
        t->recs[n++] = &s->rec;
        t->next++;
    }
    if (n == 0) {
        struct timespec ts = {.tv_nsec = (timeout_ms < 100 ? timeout_ms : 100) *
                                         1000000L};
        nanosleep(&ts, NULL);
    }
    *records = t->recs;
    *count = n;
    return SAMSA_OK;
}

static void ts_commit_record(samsa_connect_task_t *t,
                             const samsa_connect_record_t *rec,
                             int32_t partition, int64_t offset)
{
    (void)partition;
    (void)offset;
    FILE *f = t->committed[0] ? fopen(t->committed, "a") : NULL;
    if (f != NULL) {
        fprintf(f, "%.*s\n", (int)rec->value_len, (const char *)rec->value);
        fclose(f);
    }
}

static const samsa_source_ops_t ts_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_source_ops_t),
    .task_start = ts_task_start,
    .poll = ts_poll,
    .poll_release = source_stub_poll_release,
    .task_stop = source_stub_task_stop,
    .commit_record = ts_commit_record,
    .exactly_once_support = ts_supported,
    .can_define_transaction_boundaries = ts_supported,
};

static const samsa_plugin_t ts_desc = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SOURCE,
    .name = "fixture-source-txn",
    .version = "1",
    .summary = "test fixture: a source ending its own transactions",
    .init = source_stub_init,
    .fini = source_stub_fini,
    .ops = &ts_ops,
};

SAMSA_PLUGIN_DECLARE(ts_desc)
