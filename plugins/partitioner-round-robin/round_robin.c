/* SPDX-License-Identifier: Apache-2.0 */
/*
 * partitioner-round-robin: every record, keyed or not, goes to the next
 * available partition of its topic (one counter per topic and instance),
 * like the Java client's RoundRobinPartitioner.
 */
#include <stdio.h>

#include <samsa/partitioner.h>

#include "topic_state.h"

typedef struct rr_state {
    const samsa_services_t *svc;
    topic_state_t *topics;
} rr_state_t;

static samsa_err_t rr_init(const samsa_services_t *svc,
                           const samsa_instance_t *inst, void **state,
                           char *errbuf, size_t errbuf_size)
{
    (void)inst;
    rr_state_t *st = svc->alloc(sizeof(*st));
    if (st == NULL || topic_state_create(svc, &st->topics) != SAMSA_OK) {
        svc->free(st);
        snprintf(errbuf, errbuf_size, "round-robin: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    st->svc = svc;
    *state = st;
    return SAMSA_OK;
}

static void rr_fini(void *state)
{
    rr_state_t *st = state;
    if (st != NULL) {
        topic_state_destroy(st->topics);
        st->svc->free(st);
    }
}

static samsa_err_t rr_partition(void *state, const samsa_partition_input_t *in,
                                int32_t *partition)
{
    rr_state_t *st = state;
    return topic_state_round_robin(st->topics, in, partition);
}

static const samsa_option_t rr_options[] = {
    SAMSA_OPTION_END,
};

static const samsa_partitioner_ops_t rr_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_partitioner_ops_t),
    .partition = rr_partition,
    .batch_done = NULL,
};

static const samsa_plugin_t rr_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_PARTITIONER,
    .name = "partitioner-round-robin",
    .version = "1.0.0",
    .summary = "Next available partition per topic, keys ignored",
    .options = rr_options,
    .init = rr_init,
    .fini = rr_fini,
    .ops = &rr_ops,
};

SAMSA_PLUGIN_DECLARE(rr_plugin)
