/* SPDX-License-Identifier: Apache-2.0 */
/* fixture-missing-op: a partitioner whose mandatory `partition` is NULL. */
#include "stub.h"

static const samsa_partitioner_ops_t ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_partitioner_ops_t),
    .partition = NULL,
};

static const samsa_plugin_t plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_PARTITIONER,
    .name = "fixture-missing-op",
    .version = "0",
    .summary = "Test fixture: missing mandatory op",
    .init = stub_init,
    .fini = stub_fini,
    .ops = &ops,
};

SAMSA_PLUGIN_DECLARE(plugin)
