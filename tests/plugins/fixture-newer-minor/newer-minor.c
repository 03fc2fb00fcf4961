/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fixture-newer-minor: built as if against a later minor that appended
 * fields to the descriptor and the ops table. The registry must accept it,
 * read only the bytes it knows, and ignore the rest.
 */
#include "stub.h"

typedef struct newer_ops {
    samsa_partitioner_ops_t base;
    void (*future_op)(void *state); /* "added in minor +1" */
    uint64_t future_pad[7];
} newer_ops_t;

typedef struct newer_plugin {
    samsa_plugin_t base;
    const char *future_field; /* "added in minor +1" */
    uint64_t future_pad[15];
} newer_plugin_t;

static void future_op(void *state)
{
    (void)state;
}

static const newer_ops_t ops = {
    .base =
        {
            .hdr = {SAMSA_ABI_MAJOR, SAMSA_ABI_MINOR + 1, sizeof(newer_ops_t)},
            .partition = stub_partition,
        },
    .future_op = future_op,
};

static const newer_plugin_t plugin = {
    .base =
        {
            .hdr = {SAMSA_ABI_MAJOR, SAMSA_ABI_MINOR + 1,
                    sizeof(newer_plugin_t)},
            .kind = SAMSA_KIND_PARTITIONER,
            .name = "fixture-newer-minor",
            .version = "2.0",
            .summary = "Test fixture: newer minor with larger structs",
            .init = stub_init,
            .fini = stub_fini,
            .ops = &ops,
        },
    .future_field = "ignored by older hosts",
};

SAMSA_PLUGIN_DECLARE(plugin.base)
