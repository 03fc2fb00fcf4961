/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fixture: a source connector built twice (FIXTURE_VERSION "v1", "v2"):
 * each task emits "<version>-<n>" (n from 0 per task start) to the
 * setting "topic", one record about every 50 ms, so a test sees which
 * version runs and whether a task was restarted.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <samsa/connect.h>

#include "source_stub.h"

struct samsa_connect_task {
    const samsa_services_t *svc; /* first: source_stub_task_stop */
    char topic[256];
    long n;
    char value[64];
    samsa_connect_record_t rec;
    samsa_connect_record_t *recs[1];
};

static samsa_err_t vs_task_start(void *state,
                                 const samsa_connect_task_info_t *info,
                                 samsa_connect_task_t **task, char *errbuf,
                                 size_t errbuf_size)
{
    const samsa_services_t *svc = state;
    const char *topic = source_stub_topic(info, 256);
    if (topic == NULL) {
        snprintf(errbuf, errbuf_size, "topic is required");
        return SAMSA_ERR_CONFIG;
    }
    samsa_connect_task_t *t = svc->alloc(sizeof(*t));
    if (t == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    memset(t, 0, sizeof(*t));
    t->svc = svc;
    snprintf(t->topic, sizeof(t->topic), "%s", topic);
    *task = t;
    return SAMSA_OK;
}

static samsa_err_t vs_poll(samsa_connect_task_t *t, int64_t timeout_ms,
                           samsa_connect_record_t *const **records,
                           size_t *count)
{
    (void)timeout_ms;
    struct timespec ts = {.tv_nsec = 50 * 1000000L};
    nanosleep(&ts, NULL);
    snprintf(t->value, sizeof(t->value), "%s-%ld", FIXTURE_VERSION, t->n++);
    t->rec = (samsa_connect_record_t){
        .hdr = SAMSA_ABI_HEADER(samsa_connect_record_t),
        .topic = t->topic,
        .value = t->value,
        .value_len = strlen(t->value),
        .timestamp = SAMSA_CONNECT_NO_TIMESTAMP,
        .partition = SAMSA_CONNECT_ANY_PARTITION,
    };
    t->recs[0] = &t->rec;
    *records = t->recs;
    *count = 1;
    return SAMSA_OK;
}

static const samsa_source_ops_t vs_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_source_ops_t),
    .task_start = vs_task_start,
    .poll = vs_poll,
    .poll_release = source_stub_poll_release,
    .task_stop = source_stub_task_stop,
};

static const samsa_plugin_t vs_desc = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SOURCE,
    .name = "fixture-source-version",
    .version = FIXTURE_VERSION,
    .summary = "test fixture: a source naming its build version",
    .init = source_stub_init,
    .fini = source_stub_fini,
    .ops = &vs_ops,
};

SAMSA_PLUGIN_DECLARE(vs_desc)
