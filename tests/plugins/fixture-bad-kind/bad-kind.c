/* SPDX-License-Identifier: Apache-2.0 */
/* fixture-bad-kind: declares plugin kind 42. */
#include "stub.h"

static const samsa_partitioner_ops_t ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_partitioner_ops_t),
    .partition = stub_partition,
};

static const samsa_plugin_t plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = 42,
    .name = "fixture-bad-kind",
    .version = "0",
    .summary = "Test fixture: unknown kind",
    .init = stub_init,
    .fini = stub_fini,
    .ops = &ops,
};

SAMSA_PLUGIN_DECLARE(plugin)
