/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/registry/kinds.h - what the registry knows about each plugin kind:
 * its name, the host's size of its ops table and which ops are mandatory.
 */
#ifndef SAMSA_REGISTRY_KINDS_H
#define SAMSA_REGISTRY_KINDS_H

#include <stddef.h>
#include <stdint.h>

#include <samsa/plugin.h>

/** One mandatory member of an ops table (a function or a string). */
typedef struct samsa_kind_op {
    const char *name;
    size_t offset;
} samsa_kind_op_t;

typedef struct samsa_kind_info {
    uint32_t kind;                    /* samsa_plugin_kind_t */
    const char *name;                 /* "storage", ... as in manifests */
    const char *ops_type;             /* "samsa_storage_ops_t" */
    size_t ops_size;                  /* host sizeof(ops table) */
    const samsa_kind_op_t *mandatory; /* terminated by {NULL, 0} */
} samsa_kind_info_t;

/** Info for @p kind, or NULL for a kind this host does not know. */
const samsa_kind_info_t *samsa_kind_info(uint32_t kind);

/** "storage", "codec", ... or "unknown". */
const char *samsa_kind_name(uint32_t kind);

/** Kind from its manifest/CLI name; 0 when unknown. */
uint32_t samsa_kind_from_name(const char *name);

#endif /* SAMSA_REGISTRY_KINDS_H */
