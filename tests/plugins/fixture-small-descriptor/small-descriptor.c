/* SPDX-License-Identifier: Apache-2.0 */
/* fixture-small-descriptor: struct_size claims only 16 bytes. */
#include "stub.h"

static const samsa_partitioner_ops_t ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_partitioner_ops_t),
    .partition = stub_partition,
};

static const samsa_plugin_t plugin = {
    .hdr = {SAMSA_ABI_MAJOR, SAMSA_ABI_MINOR, 16},
    .kind = SAMSA_KIND_PARTITIONER,
    .name = "fixture-small-descriptor",
    .init = stub_init,
    .fini = stub_fini,
    .ops = &ops,
};

SAMSA_PLUGIN_DECLARE(plugin)
