/* SPDX-License-Identifier: Apache-2.0 */
/* fixture-wrong-major: declares ABI major 99; the registry must refuse it
 * and name both ABIs. */
#include "stub.h"

static const samsa_partitioner_ops_t ops = {
    .hdr = {99, 0, sizeof(samsa_partitioner_ops_t)},
    .partition = stub_partition,
};

static const samsa_plugin_t plugin = {
    .hdr = {99, 0, sizeof(samsa_plugin_t)},
    .kind = SAMSA_KIND_PARTITIONER,
    .name = "fixture-wrong-major",
    .version = "0",
    .summary = "Test fixture: ABI major 99",
    .init = stub_init,
    .fini = stub_fini,
    .ops = &ops,
};

SAMSA_PLUGIN_DECLARE(plugin)
