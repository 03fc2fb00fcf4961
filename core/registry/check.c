/* SPDX-License-Identifier: Apache-2.0 */
/* core/registry/check.c - --check-config / `samsa config check`. */
#include <stdio.h>
#include <string.h>

#include "registry/kinds.h"
#include "registry/registry.h"

static void print_entry(FILE *out, const samsa_registry_entry_t *e)
{
    if (!e->enabled) {
        fprintf(out, "  %-12s %-24s disabled  (%s:%u)\n", "-", e->name,
                e->manifest, e->line);
        return;
    }
    fprintf(out, "  %-12s %-24s %s %s (ABI %u.%u)  %s\n",
            samsa_kind_name(e->kind), e->name, e->desc.name,
            e->desc.version ? e->desc.version : "?", e->plugin_abi_major,
            e->plugin_abi_minor, e->path);
}

/* Every topic without an engine of its own, __consumer_offsets included,
 * is stored by the instance named "segment" (samsa.storage.engine's
 * default): without it the broker cannot open its logs. */
static samsa_err_t require_default_storage(const samsa_broker_config_t *cfg,
                                           const samsa_registry_t *reg,
                                           char *errbuf, size_t errbuf_size)
{
    if (samsa_registry_find(reg, SAMSA_KIND_STORAGE, "segment") != NULL) {
        return SAMSA_OK;
    }
    for (size_t i = 0; i < samsa_registry_count(reg); i++) {
        const samsa_registry_entry_t *e = samsa_registry_at(reg, i);
        if (strcmp(e->name, "segment") == 0) {
            snprintf(errbuf, errbuf_size,
                     "%s:%u: instance 'segment' is %s; it is the default "
                     "storage engine (samsa.storage.engine) that every topic "
                     "without its own engine needs",
                     e->manifest, e->line,
                     e->enabled ? "not a storage plugin" : "disabled");
            return SAMSA_ERR_CONFIG;
        }
    }
    snprintf(errbuf, errbuf_size,
             "%s: no storage instance named 'segment' in any manifest; it is "
             "the default storage engine (samsa.storage.engine) that every "
             "topic without its own engine needs (see the packaged "
             "10-storage-segment.yaml)",
             cfg->conf_dir);
    return SAMSA_ERR_CONFIG;
}

static samsa_err_t check(const samsa_broker_config_t *cfg, bool with_init,
                         bool broker, FILE *out, char *errbuf,
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

    if (rc == SAMSA_OK && broker) {
        rc = require_default_storage(cfg, reg, errbuf, errbuf_size);
    }
    if (rc == SAMSA_OK && with_init) {
        rc = samsa_registry_init(reg, errbuf, errbuf_size);
    }
    if (rc == SAMSA_OK && out != NULL) {
        fprintf(out, "broker config: %s\n",
                cfg->config_file ? cfg->config_file : "(built-in defaults)");
        for (size_t i = 0; i < cfg->listener_count; i++) {
            fprintf(out, "listener: %s:%u\n", cfg->listeners[i].host,
                    cfg->listeners[i].port);
        }
        fprintf(out, "data dir: %s\nconf dir: %s\nplugin dir: %s\n",
                cfg->data_dir, cfg->conf_dir, cfg->plugin_dir);
        fprintf(out, "plugin instances (%zu):\n", samsa_registry_count(reg));
        for (size_t i = 0; i < samsa_registry_count(reg); i++) {
            print_entry(out, samsa_registry_at(reg, i));
        }
        fprintf(out, "configuration OK\n");
    }
    samsa_registry_shutdown(reg);
    return rc;
}

samsa_err_t samsa_registry_check(const samsa_broker_config_t *cfg,
                                 bool with_init, FILE *out, char *errbuf,
                                 size_t errbuf_size)
{
    return check(cfg, with_init, false, out, errbuf, errbuf_size);
}

samsa_err_t samsa_registry_check_broker(const samsa_broker_config_t *cfg,
                                        bool with_init, FILE *out, char *errbuf,
                                        size_t errbuf_size)
{
    return check(cfg, with_init, true, out, errbuf, errbuf_size);
}
