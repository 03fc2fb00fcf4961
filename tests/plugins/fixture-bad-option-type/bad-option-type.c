/* SPDX-License-Identifier: Apache-2.0 */
/* fixture-bad-option-type: an option row with a type no host knows. */
#include "stub.h"

static const samsa_partitioner_ops_t ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_partitioner_ops_t),
    .partition = stub_partition,
};

static const samsa_option_t options[] = {
    {"weird", 42, 0, "1", 0, 0, "An option of unknown type."},
    SAMSA_OPTION_END,
};

static const samsa_plugin_t plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_PARTITIONER,
    .name = "fixture-bad-option-type",
    .version = "0",
    .summary = "Test fixture: option of unknown type",
    .options = options,
    .init = stub_init,
    .fini = stub_fini,
    .ops = &ops,
};

SAMSA_PLUGIN_DECLARE(plugin)
