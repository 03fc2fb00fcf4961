/* SPDX-License-Identifier: Apache-2.0 */
/* core/registry/check.c - --check-config / `samsa config check`. */
#include <stdio.h>

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

samsa_err_t samsa_registry_check(const samsa_broker_config_t *cfg,
                                 bool with_init, FILE *out, char *errbuf,
                                 size_t errbuf_size)
{
    samsa_registry_opts_t opts = {
        .conf_dir = cfg->conf_dir,
        .plugin_dir = cfg->plugin_dir,
        .data_dir = cfg->data_dir,
    };
    samsa_registry_t *reg = NULL;
    samsa_err_t rc = samsa_registry_load(&opts, &reg, errbuf, errbuf_size);

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
