/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/registry/registry.h - the module registry: manifests in, plugin
 * instances out.
 *
 * Life cycle (all on the main thread):
 *
 *   samsa_registry_load()     read the *.yaml in conf_dir in name order, dlopen
 * each enabled instance's .so (RTLD_NOW|RTLD_LOCAL), check ABI, kind, ops and
 * options, build its config. Nothing is initialized yet. samsa_registry_init()
 * init() every enabled instance in manifest order; on failure the ones already
 * inited are fini'd in reverse and the error returned. lookups
 * samsa_registry_find/_codec/_default_storage; any thread once init has
 * returned (the registry is immutable until shutdown).
 *   samsa_registry_shutdown() fini() in reverse order, release the
 *                             instances' leftover timers and metrics,
 *                             dlclose, free. Call after every op returned.
 *
 * samsa_registry_open() = load + init; samsa_registry_check() is
 * --check-config / `samsa config check`.
 *
 * Errors are one line in errbuf: "manifest:line: instance 'x' (plugin):
 * what failed; what was expected". The caller logs it once.
 */
#ifndef SAMSA_REGISTRY_H
#define SAMSA_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <samsa/samsa.h>

#include "config/broker.h"

typedef struct samsa_registry samsa_registry_t;

/**
 * One manifest entry (a plugin instance). Read-only for callers. The
 * embedded samsa_instance_t is the first member: the services map the
 * instance pointer a plugin passes back to its entry.
 */
typedef struct samsa_registry_entry {
    samsa_instance_t inst;     /* what init() receives; first member */
    uint32_t kind;             /* samsa_plugin_kind_t (0 until loaded) */
    bool enabled;              /* manifest `enabled:` (default true) */
    bool loaded;               /* .so opened and checked */
    bool inited;               /* init() succeeded, fini() not yet called */
    char *name;                /* instance name (== inst.name) */
    char *plugin;              /* manifest `plugin:` value */
    char *path;                /* resolved .so path (== inst.path) */
    char *manifest;            /* manifest file (== inst.manifest) */
    uint32_t line;             /* line of the entry in the manifest */
    uint16_t plugin_abi_major; /* as the plugin declared */
    uint16_t plugin_abi_minor;
    /* The descriptor copied into a zeroed host-size struct: fields the
     * plugin's older minor lacks read as 0/NULL. Strings and options
     * point into the loaded .so. */
    samsa_plugin_t desc;
    /* The kind's ops table, likewise copied into a zeroed block of the
     * host's sizeof (cast to the kind's type, e.g. samsa_storage_ops_t). */
    const void *ops;
    void *state;            /* from init() */
    samsa_config_t *config; /* validated manifest config */
    char *error;            /* SAMSA_REGISTRY_KEEP_GOING: why loading
                               this entry failed, else NULL */
    void *handle;           /* dlopen handle */
    /* The .so file as it was when loaded (stat of path), to tell a
     * replaced file (samsa_registry_file_changed). */
    int64_t file_dev, file_ino, file_mtime_ns, file_size;
    /* Load from a private copy of path (samsa_registry_reload): dlopen
     * caches by path, so a new version under the old name would come
     * back as the loaded one. */
    bool load_copy;
} samsa_registry_entry_t;

/** Options of samsa_registry_load(). */
typedef struct samsa_registry_opts {
    const char *conf_dir;   /* manifests: *.yaml in it (mandatory) */
    const char *plugin_dir; /* where `plugin: NAME` finds NAME.so */
    const char *data_dir;   /* handed to plugins (inst.data_dir) */
    /* Record per-entry load errors in entry->error and continue instead of
     * failing (`samsa plugin list`); the load still fails on manifest
     * syntax errors. */
    bool keep_going;
    /* Do not build configs (missing required options are then no error);
     * for describing plugins only: such a registry must not be inited. */
    bool skip_config;
} samsa_registry_opts_t;

/**
 * Read the manifests and load (not init) every enabled instance.
 * Files named samsa.yaml in conf_dir are the broker's and are skipped.
 * @return SAMSA_OK; SAMSA_ERR_CONFIG (manifest errors, option errors,
 *         missing plugin), SAMSA_ERR_ABI (ABI/descriptor/ops errors),
 *         SAMSA_ERR_IO (unreadable conf dir), SAMSA_ERR_NOMEM. On error
 *         *out is NULL and nothing stays loaded.
 */
samsa_err_t samsa_registry_load(const samsa_registry_opts_t *opts,
                                samsa_registry_t **out, char *errbuf,
                                size_t errbuf_size);

/**
 * Load one plugin outside any manifest (for `samsa plugin describe NAME`):
 * @p plugin is resolved like a manifest's `plugin:` value against
 * opts->plugin_dir (opts->conf_dir is ignored). The single entry is named
 * after @p plugin, with manifest "(command line)". Configs are not built.
 */
samsa_err_t samsa_registry_load_plugin(const samsa_registry_opts_t *opts,
                                       const char *plugin,
                                       samsa_registry_t **out, char *errbuf,
                                       size_t errbuf_size);

/** init() every loaded instance in order; all-or-nothing (see above). */
samsa_err_t samsa_registry_init(samsa_registry_t *reg, char *errbuf,
                                size_t errbuf_size);

/** load + init from the broker config (conf_dir, plugin_dir, data_dir). */
samsa_err_t samsa_registry_open(const samsa_broker_config_t *cfg,
                                samsa_registry_t **out, char *errbuf,
                                size_t errbuf_size);

/** fini() in reverse init order, dlclose, free. NULL is ignored. */
void samsa_registry_shutdown(samsa_registry_t *reg);

/**
 * --check-config: load and validate everything, then (when @p with_init)
 * init and fini every instance; print what would load to @p out (may be
 * NULL). Returns like samsa_registry_load/init; nothing stays loaded.
 */
samsa_err_t samsa_registry_check(const samsa_broker_config_t *cfg,
                                 bool with_init, FILE *out, char *errbuf,
                                 size_t errbuf_size);

/**
 * samsa_registry_check() plus what a broker needs from the plugins to
 * start: a storage instance named "segment" (the default
 * samsa.storage.engine, used by __consumer_offsets and every topic without
 * an engine of its own). samsad runs it for --check-config and before
 * start writes anything to the data dir.
 */
samsa_err_t samsa_registry_check_broker(const samsa_broker_config_t *cfg,
                                        bool with_init, FILE *out, char *errbuf,
                                        size_t errbuf_size);

/** The enabled, loaded instance of @p kind named @p name, or NULL. */
const samsa_registry_entry_t *samsa_registry_find(const samsa_registry_t *reg,
                                                  samsa_plugin_kind_t kind,
                                                  const char *name);

/** The codec instance for Kafka codec id @p codec_id (samsa_codec_id_t),
 *  or NULL when none is loaded. */
const samsa_registry_entry_t *samsa_registry_codec(const samsa_registry_t *reg,
                                                   uint32_t codec_id);

/** The instance named "segment" if it is a storage engine, else the first
 *  storage instance, else NULL. */
const samsa_registry_entry_t *
samsa_registry_default_storage(const samsa_registry_t *reg);

/** Iteration in manifest order: 0 .. samsa_registry_count()-1, including
 *  disabled entries and (keep_going) entries that failed to load. */
size_t samsa_registry_count(const samsa_registry_t *reg);
const samsa_registry_entry_t *samsa_registry_at(const samsa_registry_t *reg,
                                                size_t i);

/**
 * Hot reload of one instance (connector plugins): read the manifests
 * again, load instance @p name from a private copy of its .so (the file
 * as it is now) and init() it, beside the loaded one, which keeps serving
 * whoever uses it. *out is owned by the caller until
 * samsa_registry_release(). The new entry's kind must match what the
 * caller expects (it checks). Not on a reactor (file copy, dlopen, init).
 * @return SAMSA_OK; SAMSA_ERR_NOT_FOUND (no such enabled instance), or
 *         what loading or init() failed with, a line in errbuf.
 */
samsa_err_t samsa_registry_reload(const samsa_registry_t *reg, const char *name,
                                  samsa_registry_entry_t **out, char *errbuf,
                                  size_t errbuf_size);

/** fini(), dlclose and free an entry from samsa_registry_reload, once no
 *  op of it runs any more. NULL is ignored. */
void samsa_registry_release(samsa_registry_entry_t *e);

/** True when @p e's .so file was replaced (another file, or modified)
 *  since @p e was loaded from it. */
bool samsa_registry_file_changed(const samsa_registry_entry_t *e);

/** The host services table handed to every init() (see services.c). */
const samsa_services_t *samsa_services(void);

/** Make @p reg the registry whose codecs services->codec_compress and
 *  codec_decompress use (samsa_registry_init does it once all instances
 *  are inited); retract undoes it only if @p reg is the one published
 *  (samsa_registry_shutdown does it before any fini()). */
void samsa_services_publish_registry(const samsa_registry_t *reg);
void samsa_services_retract_registry(const samsa_registry_t *reg);

/** What services->broker_config returns from now on: the broker's
 *  resolved settings (cfg->values, borrowed; the caller keeps them alive
 *  while plugins run), or NULL. samsa_registry_open and the config check
 *  set it before any init(). */
void samsa_services_set_broker_config(const samsa_config_t *values);

/** Live allocations made through services->alloc/realloc (count, bytes). */
void samsa_services_mem_stats(int64_t *allocs, int64_t *bytes);

/* Typed views of entry->ops; NULL when @p e is NULL or another kind. */
static inline const samsa_storage_ops_t *
samsa_entry_storage_ops(const samsa_registry_entry_t *e)
{
    return e && e->kind == SAMSA_KIND_STORAGE
               ? (const samsa_storage_ops_t *)e->ops
               : NULL;
}
static inline const samsa_codec_ops_t *
samsa_entry_codec_ops(const samsa_registry_entry_t *e)
{
    return e && e->kind == SAMSA_KIND_CODEC ? (const samsa_codec_ops_t *)e->ops
                                            : NULL;
}
static inline const samsa_partitioner_ops_t *
samsa_entry_partitioner_ops(const samsa_registry_entry_t *e)
{
    return e && e->kind == SAMSA_KIND_PARTITIONER
               ? (const samsa_partitioner_ops_t *)e->ops
               : NULL;
}

#endif /* SAMSA_REGISTRY_H */
