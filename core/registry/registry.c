/* SPDX-License-Identifier: Apache-2.0 */
/* core/registry/registry.c - registry life cycle and lookups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/kinds.h"
#include "registry/metrics.h"
#include "registry/registry_int.h"
#include "registry/timers.h"
#include "util/err.h"
#include "util/log.h"

void samsa_registry_entry_free(samsa_registry_entry_t *e)
{
    samsa_loader_unload(e);
    free(e->name);
    free(e->plugin);
    free(e->path);
    free(e->manifest);
    free(e->error);
    free(e);
}

void samsa_registry_free(samsa_registry_t *reg)
{
    /* dlclose in reverse load order, after every fini() has run. */
    for (size_t i = reg->count; i-- > 0;) {
        samsa_registry_entry_free(reg->entries[i]);
    }
    for (size_t i = 0; i < reg->doc_count; i++) {
        samsa_yaml_free(reg->docs[i]);
    }
    free(reg->docs);
    free(reg->config_nodes);
    free(reg->entries);
    free(reg->conf_dir);
    free(reg->plugin_dir);
    free(reg->data_dir);
    free(reg);
}

/* Two codec instances for one Kafka codec id would make lookups
 * ambiguous. */
static samsa_err_t check_codec_ids(const samsa_registry_t *reg, char *errbuf,
                                   size_t size)
{
    for (size_t i = 0; i < reg->count; i++) {
        const samsa_codec_ops_t *a = samsa_entry_codec_ops(reg->entries[i]);
        for (size_t j = 0; a != NULL && j < i; j++) {
            const samsa_codec_ops_t *b = samsa_entry_codec_ops(reg->entries[j]);
            if (b != NULL && a->codec_id == b->codec_id) {
                snprintf(errbuf, size,
                         "%s:%u: instance '%s': codec id %u is already "
                         "provided by instance '%s' (%s:%u); disable one",
                         reg->entries[i]->manifest, reg->entries[i]->line,
                         reg->entries[i]->name, a->codec_id,
                         reg->entries[j]->name, reg->entries[j]->manifest,
                         reg->entries[j]->line);
                return SAMSA_ERR_CONFIG;
            }
        }
    }
    return SAMSA_OK;
}

static samsa_err_t load_entries(samsa_registry_t *reg, bool keep_going,
                                char *errbuf, size_t size)
{
    for (size_t i = 0; i < reg->count; i++) {
        samsa_registry_entry_t *e = reg->entries[i];
        samsa_err_t rc;

        if (!e->enabled) {
            continue;
        }
        rc = samsa_loader_load(reg, e, reg->config_nodes[i], errbuf, size);
        if (rc == SAMSA_OK) {
            continue;
        }
        if (!keep_going || rc == SAMSA_ERR_NOMEM) {
            return rc;
        }
        e->error = strdup(errbuf);
        samsa_loader_unload(e);
    }
    return keep_going ? SAMSA_OK : check_codec_ids(reg, errbuf, size);
}

samsa_err_t samsa_registry_new(const samsa_registry_opts_t *opts,
                               samsa_registry_t **out, char *errbuf,
                               size_t errbuf_size)
{
    samsa_registry_t *reg = calloc(1, sizeof(*reg));

    *out = NULL;
    if (errbuf_size > 0) {
        errbuf[0] = '\0';
    }
    if (reg == NULL || opts->conf_dir == NULL ||
        (reg->conf_dir = strdup(opts->conf_dir)) == NULL ||
        (reg->plugin_dir = strdup(opts->plugin_dir ? opts->plugin_dir : ".")) ==
            NULL ||
        (reg->data_dir = strdup(opts->data_dir ? opts->data_dir : ".")) ==
            NULL) {
        if (reg != NULL) {
            samsa_registry_free(reg);
        }
        snprintf(errbuf, errbuf_size, "registry: %s",
                 opts->conf_dir ? "out of memory" : "no conf_dir given");
        return opts->conf_dir ? SAMSA_ERR_NOMEM : SAMSA_ERR_INVAL;
    }
    reg->skip_config = opts->skip_config;
    *out = reg;
    return SAMSA_OK;
}

samsa_err_t samsa_registry_load(const samsa_registry_opts_t *opts,
                                samsa_registry_t **out, char *errbuf,
                                size_t errbuf_size)
{
    samsa_registry_t *reg = NULL;
    samsa_err_t rc = samsa_registry_new(opts, &reg, errbuf, errbuf_size);

    *out = NULL;
    if (rc != SAMSA_OK) {
        return rc;
    }
    rc = samsa_manifest_read_dir(reg, errbuf, errbuf_size);
    if (rc == SAMSA_OK) {
        rc = load_entries(reg, opts->keep_going, errbuf, errbuf_size);
    }
    /* The YAML trees are only needed to build configs. */
    for (size_t i = 0; i < reg->doc_count; i++) {
        samsa_yaml_free(reg->docs[i]);
    }
    reg->doc_count = 0;
    for (size_t i = 0; i < reg->count; i++) {
        reg->config_nodes[i] = NULL;
    }
    if (rc != SAMSA_OK) {
        samsa_registry_free(reg);
        return rc;
    }
    *out = reg;
    return SAMSA_OK;
}

samsa_err_t samsa_registry_load_plugin(const samsa_registry_opts_t *opts,
                                       const char *plugin,
                                       samsa_registry_t **out, char *errbuf,
                                       size_t errbuf_size)
{
    samsa_registry_opts_t o = *opts;
    samsa_registry_t *reg = NULL;
    samsa_registry_entry_t *e;
    samsa_err_t rc;

    *out = NULL;
    o.conf_dir = ".";
    o.skip_config = true;
    rc = samsa_registry_new(&o, &reg, errbuf, errbuf_size);
    if (rc != SAMSA_OK) {
        return rc;
    }
    e = calloc(1, sizeof(*e));
    reg->entries = calloc(1, sizeof(*reg->entries));
    reg->config_nodes = calloc(1, sizeof(*reg->config_nodes));
    if (e == NULL || reg->entries == NULL || reg->config_nodes == NULL ||
        (e->name = strdup(plugin)) == NULL ||
        (e->plugin = strdup(plugin)) == NULL ||
        (e->manifest = strdup("(command line)")) == NULL) {
        if (e != NULL) {
            free(e->name);
            free(e->plugin);
            free(e);
        }
        samsa_registry_free(reg);
        snprintf(errbuf, errbuf_size, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    e->enabled = true;
    reg->entries[0] = e;
    reg->count = 1;
    rc = samsa_loader_load(reg, e, NULL, errbuf, errbuf_size);
    if (rc != SAMSA_OK) {
        samsa_registry_free(reg);
        return rc;
    }
    *out = reg;
    return SAMSA_OK;
}

void samsa_registry_entry_fini(samsa_registry_entry_t *e)
{
    int left;

    if (!e->inited) {
        return;
    }
    e->desc.fini(e->state);
    e->inited = false;
    e->state = NULL;
    left = samsa_timers_release_owner(&e->inst);
    if (left > 0) {
        samsa_log(SAMSA_LOG_WARN,
                  "[%s/%s/%s] fini() left %d timer(s) running; stopped",
                  samsa_kind_name(e->kind), e->desc.name, e->name, left);
    }
    samsa_metrics_release_owner(&e->inst);
}

static void fini_all(samsa_registry_t *reg)
{
    for (size_t i = reg->count; i-- > 0;) {
        samsa_registry_entry_fini(reg->entries[i]);
    }
}

samsa_err_t samsa_registry_entry_init(samsa_registry_entry_t *e,
                                      const char *data_dir, char *errbuf,
                                      size_t errbuf_size)
{
    char why[512] = "";
    e->inst = (samsa_instance_t){
        .hdr = SAMSA_ABI_HEADER(samsa_instance_t),
        .name = e->name,
        .path = e->path,
        .manifest = e->manifest,
        .data_dir = data_dir,
        .config = e->config,
        .manifest_line = e->line,
    };
    samsa_err_t rc =
        e->desc.init(samsa_services(), &e->inst, &e->state, why, sizeof(why));
    if (rc != SAMSA_OK) {
        snprintf(errbuf, errbuf_size,
                 "%s:%u: instance '%s' (plugin %s): init failed: %s "
                 "(%s)",
                 e->manifest, e->line, e->name, e->plugin,
                 why[0] ? why : "no reason given", samsa_err_name(rc));
        /* Timers or metrics a failed init() left behind. */
        samsa_timers_release_owner(&e->inst);
        samsa_metrics_release_owner(&e->inst);
        return rc;
    }
    e->inited = true;
    return SAMSA_OK;
}

samsa_err_t samsa_registry_init(samsa_registry_t *reg, char *errbuf,
                                size_t errbuf_size)
{
    for (size_t i = 0; i < reg->count; i++) {
        samsa_registry_entry_t *e = reg->entries[i];
        samsa_err_t rc;

        if (!e->loaded || e->inited) {
            continue;
        }
        if (reg->skip_config) {
            snprintf(errbuf, errbuf_size,
                     "registry loaded with skip_config cannot be inited");
            fini_all(reg);
            return SAMSA_ERR_INVAL;
        }
        rc = samsa_registry_entry_init(e, reg->data_dir, errbuf, errbuf_size);
        if (rc != SAMSA_OK) {
            fini_all(reg);
            return rc;
        }
    }
    samsa_services_publish_registry(reg);
    return SAMSA_OK;
}

samsa_err_t samsa_registry_open(const samsa_broker_config_t *cfg,
                                samsa_registry_t **out, char *errbuf,
                                size_t errbuf_size)
{
    samsa_registry_opts_t opts = {
        .conf_dir = cfg->conf_dir,
        .plugin_dir = cfg->plugin_dir,
        .data_dir = cfg->data_dir,
    };
    samsa_registry_t *reg = NULL;
    samsa_services_set_broker_config(cfg->values);
    samsa_err_t rc = samsa_registry_load(&opts, &reg, errbuf, errbuf_size);

    *out = NULL;
    if (rc == SAMSA_OK) {
        rc = samsa_registry_init(reg, errbuf, errbuf_size);
    }
    if (rc != SAMSA_OK) {
        samsa_registry_shutdown(reg);
        return rc;
    }
    *out = reg;
    return SAMSA_OK;
}

void samsa_registry_shutdown(samsa_registry_t *reg)
{
    if (reg == NULL) {
        return;
    }
    samsa_services_retract_registry(reg);
    fini_all(reg);
    samsa_registry_free(reg);
    samsa_timers_shutdown();
}

/* ---------------------------------------------------------------------- */
/* Lookups                                                                */
/* ---------------------------------------------------------------------- */

static bool usable(const samsa_registry_entry_t *e, uint32_t kind)
{
    return e->enabled && e->loaded && e->kind == kind;
}

const samsa_registry_entry_t *samsa_registry_find(const samsa_registry_t *reg,
                                                  samsa_plugin_kind_t kind,
                                                  const char *name)
{
    for (size_t i = 0; reg != NULL && i < reg->count; i++) {
        const samsa_registry_entry_t *e = reg->entries[i];
        if (usable(e, kind) && strcmp(e->name, name) == 0) {
            return e;
        }
    }
    return NULL;
}

const samsa_registry_entry_t *samsa_registry_codec(const samsa_registry_t *reg,
                                                   uint32_t codec_id)
{
    for (size_t i = 0; reg != NULL && i < reg->count; i++) {
        const samsa_registry_entry_t *e = reg->entries[i];
        if (usable(e, SAMSA_KIND_CODEC) &&
            samsa_entry_codec_ops(e)->codec_id == codec_id) {
            return e;
        }
    }
    return NULL;
}

const samsa_registry_entry_t *
samsa_registry_default_storage(const samsa_registry_t *reg)
{
    const samsa_registry_entry_t *e =
        samsa_registry_find(reg, SAMSA_KIND_STORAGE, "segment");

    for (size_t i = 0; e == NULL && reg != NULL && i < reg->count; i++) {
        if (usable(reg->entries[i], SAMSA_KIND_STORAGE)) {
            e = reg->entries[i];
        }
    }
    return e;
}

size_t samsa_registry_count(const samsa_registry_t *reg)
{
    return reg ? reg->count : 0;
}

const samsa_registry_entry_t *samsa_registry_at(const samsa_registry_t *reg,
                                                size_t i)
{
    return reg && i < reg->count ? reg->entries[i] : NULL;
}
