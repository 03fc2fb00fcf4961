/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fixture: a transform as a plugin built against ABI minor 6 sees it, a
 * record without key_schema / value_schema: it replaces the value with
 * the JSON string "changed" and leaves the rest. The worker must then
 * drop the value's schema, which this plugin cannot know to update
 * (tests/unit/connect/test_transforms_schema.c).
 */
#include <samsa/connect.h>

#include "stub.h"

static samsa_err_t m6_apply(void *state, const samsa_connect_record_t *in,
                            samsa_connect_record_t *out, bool *drop)
{
    (void)state;
    (void)in;
    (void)drop;
    out->value = "\"changed\"";
    out->value_len = 9;
    return SAMSA_OK;
}

/* The minor 6 layout: the headers say what such a build would. */
#define MINOR6_HEADER(type)                                                    \
    {                                                                          \
        SAMSA_ABI_MAJOR, 6, (uint32_t)sizeof(type)                             \
    }

static const samsa_transform_ops_t m6_ops = {
    .hdr = MINOR6_HEADER(samsa_transform_ops_t),
    .apply = m6_apply,
};

static const samsa_plugin_t m6_desc = {
    .hdr = MINOR6_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_TRANSFORM,
    .name = "fixture-transform-minor6",
    .version = "0.0.6",
    .summary = "test fixture: a transform built against ABI minor 6",
    .init = stub_init,
    .fini = stub_fini,
    .ops = &m6_ops,
};

SAMSA_PLUGIN_DECLARE(m6_desc)
