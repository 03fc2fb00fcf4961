/* SPDX-License-Identifier: Apache-2.0 */
/* core/registry/kinds.c - per-kind ops sizes and mandatory ops. */
#include "registry/kinds.h"

#include <string.h>

#include <samsa/samsa.h>

#define OP(type, field)                                                        \
    {                                                                          \
#field, offsetof(type, field)                                          \
    }
#define OP_END                                                                 \
    {                                                                          \
        NULL, 0                                                                \
    }

/* Keep in step with the "mandatory"/"optional" marks in each header. */
static const samsa_kind_op_t storage_ops[] = {
    OP(samsa_storage_ops_t, open),
    OP(samsa_storage_ops_t, close),
    OP(samsa_storage_ops_t, remove),
    OP(samsa_storage_ops_t, configure),
    OP(samsa_storage_ops_t, append),
    OP(samsa_storage_ops_t, read),
    OP(samsa_storage_ops_t, read_release),
    OP(samsa_storage_ops_t, offsets),
    OP(samsa_storage_ops_t, offset_for_time),
    OP(samsa_storage_ops_t, truncate),
    OP(samsa_storage_ops_t, set_start_offset),
    OP(samsa_storage_ops_t, flush),
    OP(samsa_storage_ops_t, housekeep),
    OP_END,
};
static const samsa_kind_op_t partitioner_ops[] = {
    OP(samsa_partitioner_ops_t, partition),
    OP_END,
};
static const samsa_kind_op_t codec_ops[] = {
    OP(samsa_codec_ops_t, compress),
    OP(samsa_codec_ops_t, decompress),
    OP_END,
};
static const samsa_kind_op_t sasl_ops[] = {
    OP(samsa_sasl_ops_t, mechanism),    OP(samsa_sasl_ops_t, session_new),
    OP(samsa_sasl_ops_t, step),         OP(samsa_sasl_ops_t, principal),
    OP(samsa_sasl_ops_t, session_free), OP_END,
};
static const samsa_kind_op_t authorizer_ops[] = {
    OP(samsa_authorizer_ops_t, authorize),
    OP_END,
};
static const samsa_kind_op_t transport_ops[] = {
    OP(samsa_transport_ops_t, connect),
    OP(samsa_transport_ops_t, accept),
    OP(samsa_transport_ops_t, send),
    OP(samsa_transport_ops_t, recv),
    OP(samsa_transport_ops_t, pollable_fd),
    OP(samsa_transport_ops_t, close),
    OP_END,
};
static const samsa_kind_op_t source_ops[] = {
    OP(samsa_source_ops_t, task_start),
    OP(samsa_source_ops_t, poll),
    OP(samsa_source_ops_t, poll_release),
    OP(samsa_source_ops_t, task_stop),
    OP_END,
};
static const samsa_kind_op_t sink_ops[] = {
    OP(samsa_sink_ops_t, task_start),
    OP(samsa_sink_ops_t, put),
    OP(samsa_sink_ops_t, flush),
    OP(samsa_sink_ops_t, task_stop),
    OP_END,
};
static const samsa_kind_op_t transform_ops[] = {
    OP(samsa_transform_ops_t, apply),
    OP_END,
};

#define KIND(k, n, t, m)                                                       \
    {                                                                          \
        k, n, #t, sizeof(t), m                                                 \
    }

static const samsa_kind_info_t kinds[] = {
    KIND(SAMSA_KIND_STORAGE, "storage", samsa_storage_ops_t, storage_ops),
    KIND(SAMSA_KIND_PARTITIONER, "partitioner", samsa_partitioner_ops_t,
         partitioner_ops),
    KIND(SAMSA_KIND_CODEC, "codec", samsa_codec_ops_t, codec_ops),
    KIND(SAMSA_KIND_SASL, "sasl", samsa_sasl_ops_t, sasl_ops),
    KIND(SAMSA_KIND_AUTHORIZER, "authorizer", samsa_authorizer_ops_t,
         authorizer_ops),
    KIND(SAMSA_KIND_TRANSPORT, "transport", samsa_transport_ops_t,
         transport_ops),
    KIND(SAMSA_KIND_SOURCE, "source", samsa_source_ops_t, source_ops),
    KIND(SAMSA_KIND_SINK, "sink", samsa_sink_ops_t, sink_ops),
    KIND(SAMSA_KIND_TRANSFORM, "transform", samsa_transform_ops_t,
         transform_ops),
};

const samsa_kind_info_t *samsa_kind_info(uint32_t kind)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (kinds[i].kind == kind) {
            return &kinds[i];
        }
    }
    return NULL;
}

const char *samsa_kind_name(uint32_t kind)
{
    const samsa_kind_info_t *info = samsa_kind_info(kind);
    return info ? info->name : "unknown";
}

uint32_t samsa_kind_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(kinds[i].name, name) == 0) {
            return kinds[i].kind;
        }
    }
    return 0;
}
