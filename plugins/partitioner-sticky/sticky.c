/* SPDX-License-Identifier: Apache-2.0 */
/*
 * partitioner-sticky: all records of a topic (keyed or not) go to one
 * partition until its batch is closed (batch_done) or batch_bytes bytes
 * were assigned, then to a random other available partition. Fewer,
 * fuller batches than round-robin; keys are ignored.
 */
#include <stdio.h>

#include <samsa/partitioner.h>

#include "topic_state.h"

typedef struct sticky_state {
    const samsa_services_t *svc;
    topic_state_t *topics;
    uint64_t batch_bytes;
} sticky_state_t;

static const samsa_option_t sticky_options[] = {
    SAMSA_OPTION_INT("batch_bytes", "16384", 1, 1073741824,
                     "Move to another partition after this many key+value "
                     "bytes went to the current one (Java's batch.size), or "
                     "earlier when its batch is closed."),
    SAMSA_OPTION_END,
};

static samsa_err_t sticky_init(const samsa_services_t *svc,
                               const samsa_instance_t *inst, void **state,
                               char *errbuf, size_t errbuf_size)
{
    int64_t batch = 0;
    samsa_err_t err = svc->config_int(inst->config, "batch_bytes", &batch);
    if (err != SAMSA_OK || batch < 1) {
        snprintf(errbuf, errbuf_size, "sticky: batch_bytes: %s",
                 err != SAMSA_OK ? svc->err_str(err) : "must be >= 1");
        return err != SAMSA_OK ? err : SAMSA_ERR_CONFIG;
    }
    sticky_state_t *st = svc->alloc(sizeof(*st));
    if (st == NULL || topic_state_create(svc, &st->topics) != SAMSA_OK) {
        svc->free(st);
        snprintf(errbuf, errbuf_size, "sticky: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    st->svc = svc;
    st->batch_bytes = (uint64_t)batch;
    *state = st;
    return SAMSA_OK;
}

static void sticky_fini(void *state)
{
    sticky_state_t *st = state;
    if (st != NULL) {
        topic_state_destroy(st->topics);
        st->svc->free(st);
    }
}

static samsa_err_t sticky_partition(void *state,
                                    const samsa_partition_input_t *in,
                                    int32_t *partition)
{
    sticky_state_t *st = state;
    return topic_state_sticky(st->topics, in, st->batch_bytes, partition);
}

static void sticky_batch_done(void *state, const char *topic, int32_t partition,
                              uint64_t bytes)
{
    sticky_state_t *st = state;
    (void)bytes;
    topic_state_batch_done(st->topics, topic, partition);
}

static const samsa_partitioner_ops_t sticky_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_partitioner_ops_t),
    .partition = sticky_partition,
    .batch_done = sticky_batch_done,
};

static const samsa_plugin_t sticky_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_PARTITIONER,
    .name = "partitioner-sticky",
    .version = "1.0.0",
    .summary = "One partition per topic until its batch closes",
    .options = sticky_options,
    .init = sticky_init,
    .fini = sticky_fini,
    .ops = &sticky_ops,
};

SAMSA_PLUGIN_DECLARE(sticky_plugin)
