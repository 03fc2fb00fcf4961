/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/registry/registry_int.h - registry internals shared by manifest.c,
 * loader.c, registry.c and check.c. Not for other subsystems.
 */
#ifndef SAMSA_REGISTRY_INT_H
#define SAMSA_REGISTRY_INT_H

#include "config/yaml.h"
#include "registry/registry.h"

struct samsa_registry {
    samsa_registry_entry_t **entries;
    const samsa_ynode_t **config_nodes; /* per entry, while loading */
    size_t count;
    samsa_ydoc_t **docs; /* manifests, while loading */
    size_t doc_count;
    char *conf_dir;
    char *plugin_dir;
    char *data_dir;
    bool skip_config;
};

/** Parse every manifest of reg->conf_dir into reg->entries. */
samsa_err_t samsa_manifest_read_dir(samsa_registry_t *reg, char *errbuf,
                                    size_t errbuf_size);

/** dlopen, check and configure one entry (see registry.h). */
samsa_err_t samsa_loader_load(const samsa_registry_t *reg,
                              samsa_registry_entry_t *e,
                              const samsa_ynode_t *config_node, char *errbuf,
                              size_t errbuf_size);

/** Undo samsa_loader_load (after fini): free ops copy, config, dlclose. */
void samsa_loader_unload(samsa_registry_entry_t *e);

#endif /* SAMSA_REGISTRY_INT_H */
