/* SPDX-License-Identifier: Apache-2.0 */
/*
 * partitioner-hash: the Java client's default for keyed records,
 * (murmur2(key) & 0x7fffffff) % partition_count over ALL partitions, so a
 * key lands where every Java-compatible client puts it (CLIENTS.md §6.4).
 * Keyless records: sticky per topic, like Java >= 3.3 (KIP-794), or
 * round-robin (option `keyless`).
 */
#include <stdio.h>
#include <string.h>

#include <samsa/partitioner.h>

#include "murmur2.h"
#include "topic_state.h"

typedef struct hash_state {
    const samsa_services_t *svc;
    topic_state_t *topics;
    bool keyless_sticky;
    uint64_t batch_bytes;
} hash_state_t;

static const samsa_option_t hash_options[] = {
    SAMSA_OPTION_STRING("keyless", "sticky",
                        "Records without a key: sticky (stay on one "
                        "partition per topic for batch_bytes, as the Java "
                        "client) or round-robin."),
    SAMSA_OPTION_INT("batch_bytes", "16384", 1, 1073741824,
                     "Sticky keyless placement moves to another partition "
                     "after this many key+value bytes or a closed batch "
                     "(Java's batch.size)."),
    SAMSA_OPTION_END,
};

static samsa_err_t hash_init(const samsa_services_t *svc,
                             const samsa_instance_t *inst, void **state,
                             char *errbuf, size_t errbuf_size)
{
    const char *keyless = NULL;
    int64_t batch = 0;
    samsa_err_t err = svc->config_string(inst->config, "keyless", &keyless);
    if (err == SAMSA_OK) {
        err = svc->config_int(inst->config, "batch_bytes", &batch);
    }
    if (err != SAMSA_OK) {
        snprintf(errbuf, errbuf_size, "hash: options: %s", svc->err_str(err));
        return err;
    }
    bool sticky = strcmp(keyless, "sticky") == 0;
    if (!sticky && strcmp(keyless, "round-robin") != 0) {
        snprintf(errbuf, errbuf_size,
                 "hash: keyless is \"%s\", expected sticky or round-robin",
                 keyless);
        return SAMSA_ERR_CONFIG;
    }
    if (batch < 1) {
        snprintf(errbuf, errbuf_size, "hash: batch_bytes must be >= 1");
        return SAMSA_ERR_CONFIG;
    }
    hash_state_t *st = svc->alloc(sizeof(*st));
    if (st == NULL) {
        snprintf(errbuf, errbuf_size, "hash: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    st->svc = svc;
    st->keyless_sticky = sticky;
    st->batch_bytes = (uint64_t)batch;
    err = topic_state_create(svc, &st->topics);
    if (err != SAMSA_OK) {
        svc->free(st);
        snprintf(errbuf, errbuf_size, "hash: out of memory");
        return err;
    }
    *state = st;
    return SAMSA_OK;
}

static void hash_fini(void *state)
{
    hash_state_t *st = state;
    if (st != NULL) {
        topic_state_destroy(st->topics);
        st->svc->free(st);
    }
}

static samsa_err_t hash_partition(void *state,
                                  const samsa_partition_input_t *in,
                                  int32_t *partition)
{
    hash_state_t *st = state;
    samsa_err_t err = topic_state_check_input(in);
    if (err != SAMSA_OK) {
        return err;
    }
    if (in->key != NULL) {
        /* A zero-length key is still a key (Java hashes it). */
        *partition = samsa_murmur2_partition(in->key, (size_t)in->key_len,
                                             in->partition_count);
        return SAMSA_OK;
    }
    if (st->keyless_sticky) {
        return topic_state_sticky(st->topics, in, st->batch_bytes, partition);
    }
    return topic_state_round_robin(st->topics, in, partition);
}

static void hash_batch_done(void *state, const char *topic, int32_t partition,
                            uint64_t bytes)
{
    hash_state_t *st = state;
    (void)bytes;
    topic_state_batch_done(st->topics, topic, partition);
}

static const samsa_partitioner_ops_t hash_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_partitioner_ops_t),
    .partition = hash_partition,
    .batch_done = hash_batch_done,
};

static const samsa_plugin_t hash_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_PARTITIONER,
    .name = "partitioner-hash",
    .version = "1.0.0",
    .summary = "Java-compatible murmur2 key hash; keyless records sticky",
    .options = hash_options,
    .init = hash_init,
    .fini = hash_fini,
    .ops = &hash_ops,
};

SAMSA_PLUGIN_DECLARE(hash_plugin)
