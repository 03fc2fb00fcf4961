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

/** An empty registry for @p opts' directories; SAMSA_ERR_NOMEM or
 *  SAMSA_ERR_INVAL (no conf_dir) with a message. */
samsa_err_t samsa_registry_new(const samsa_registry_opts_t *opts,
                               samsa_registry_t **out, char *errbuf,
                               size_t errbuf_size);
/** Free a registry whose instances were fini'd: entries (dlclose in
 *  reverse order), manifests, directories. */
void samsa_registry_free(samsa_registry_t *reg);
/** Unload and free one entry (after samsa_registry_entry_fini). */
void samsa_registry_entry_free(samsa_registry_entry_t *e);
/** init() one loaded entry with data dir @p data_dir (outliving it);
 *  on failure "manifest:line: ... init failed: why" in errbuf and what
 *  init() left (timers, metrics) released. */
samsa_err_t samsa_registry_entry_init(samsa_registry_entry_t *e,
                                      const char *data_dir, char *errbuf,
                                      size_t errbuf_size);
/** fini() one inited entry and release the timers and metrics it left. */
void samsa_registry_entry_fini(samsa_registry_entry_t *e);

/** Parse every manifest of reg->conf_dir into reg->entries. */
samsa_err_t samsa_manifest_read_dir(samsa_registry_t *reg, char *errbuf,
                                    size_t errbuf_size);

/** dlopen, check and configure one entry (see registry.h). */
samsa_err_t samsa_loader_load(const samsa_registry_t *reg,
                              samsa_registry_entry_t *e,
                              const samsa_ynode_t *config_node, char *errbuf,
                              size_t errbuf_size);

/** Copy the .so at @p path to a new file in reg->data_dir whose name is
 *  written to @p out (reload.c). SAMSA_ERR_IO with errno set. */
samsa_err_t samsa_loader_copy_so(const samsa_registry_t *reg, const char *path,
                                 char *out, size_t outlen);

/** Undo samsa_loader_load (after fini): free ops copy, config, dlclose. */
void samsa_loader_unload(samsa_registry_entry_t *e);

#endif /* SAMSA_REGISTRY_INT_H */
