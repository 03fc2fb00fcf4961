/* SPDX-License-Identifier: Apache-2.0 */
/*
 * partitioner-first-byte: a keyed record goes to partition
 * key[0] % partition_count, so keys starting with the same byte stay
 * together; a record without a key (or with an empty one) goes to the
 * partition set by the `unkeyed_partition` option, clamped to the topic.
 *
 * The smallest useful plugin: one option, no mutable state, so partition()
 * is safe from any thread without a lock.
 */
#include <stdio.h>

#include <samsa/partitioner.h>

typedef struct first_byte {
    const samsa_services_t *svc; /* outlives every instance; for free() */
    int64_t unkeyed_partition;
} first_byte_t;

static samsa_err_t fb_init(const samsa_services_t *svc,
                           const samsa_instance_t *inst, void **state,
                           char *errbuf, size_t errbuf_size)
{
    first_byte_t *fb = svc->alloc(sizeof(*fb));

    if (fb == NULL) {
        snprintf(errbuf, errbuf_size, "first-byte: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    if (svc->config_int(inst->config, "unkeyed_partition",
                        &fb->unkeyed_partition) != SAMSA_OK) {
        svc->free(fb);
        snprintf(errbuf, errbuf_size, "first-byte: unkeyed_partition unset");
        return SAMSA_ERR_CONFIG;
    }
    fb->svc = svc;
    *state = fb;
    return SAMSA_OK;
}

static void fb_fini(void *state)
{
    first_byte_t *fb = state;

    if (fb != NULL) {
        fb->svc->free(fb);
    }
}

static samsa_err_t fb_partition(void *state, const samsa_partition_input_t *in,
                                int32_t *partition)
{
    const first_byte_t *fb = state;

    if (in->key == NULL || in->key_len == 0) {
        *partition = (int32_t)(fb->unkeyed_partition % in->partition_count);
    } else {
        *partition = ((const unsigned char *)in->key)[0] % in->partition_count;
    }
    return SAMSA_OK;
}

static const samsa_option_t fb_options[] = {
    SAMSA_OPTION_INT("unkeyed_partition", "0", 0, 2147483647,
                     "Partition for records without a key (taken modulo the "
                     "topic's partition count)."),
    SAMSA_OPTION_END,
};

static const samsa_partitioner_ops_t fb_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_partitioner_ops_t),
    .partition = fb_partition,
    .batch_done = NULL,
};

static const samsa_plugin_t fb_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_PARTITIONER,
    .name = "partitioner-first-byte",
    .version = "1.0.0",
    .summary = "Partition = first key byte modulo the partition count",
    .options = fb_options,
    .init = fb_init,
    .fini = fb_fini,
    .ops = &fb_ops,
};

SAMSA_PLUGIN_DECLARE(fb_plugin)
