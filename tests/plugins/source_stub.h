/* SPDX-License-Identifier: Apache-2.0 */
/* tests/plugins/source_stub.h - shared bits of the source connector
 * fixtures (fixture-source-version, fixture-source-txn): the instance
 * state is the services table, a task struct opens with it, and the
 * task's "topic" setting. */
#ifndef SAMSA_TEST_FIXTURE_SOURCE_STUB_H
#define SAMSA_TEST_FIXTURE_SOURCE_STUB_H

#include <string.h>

#include <samsa/connect.h>

static samsa_err_t source_stub_init(const samsa_services_t *svc,
                                    const samsa_instance_t *inst, void **state,
                                    char *errbuf, size_t errbuf_size)
{
    (void)inst;
    (void)errbuf;
    (void)errbuf_size;
    *state = (void *)svc;
    return SAMSA_OK;
}

static void source_stub_fini(void *state)
{
    (void)state;
}

/* The records live in the task: nothing to give back. */
static void source_stub_poll_release(samsa_connect_task_t *t,
                                     samsa_connect_record_t *const *records,
                                     size_t count)
{
    (void)t;
    (void)records;
    (void)count;
}

/* Free a task whose struct opens with its services table pointer. */
static void source_stub_task_stop(samsa_connect_task_t *t)
{
    const samsa_services_t *svc = *(const samsa_services_t *const *)t;
    svc->free(t);
}

/* The task's "topic" setting if it fits @p len bytes, else NULL. */
static const char *source_stub_topic(const samsa_connect_task_info_t *info,
                                     size_t len)
{
    for (uint64_t i = 0; i < info->config_count; i++) {
        if (strcmp(info->config[i].key, "topic") == 0) {
            return strlen(info->config[i].value) < len ? info->config[i].value
                                                       : NULL;
        }
    }
    return NULL;
}

#endif
