/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_plugin.c - `samsa plugin list` and
 * `samsa plugin describe NAME`.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config/options.h"
#include "registry/kinds.h"
#include "registry/registry.h"

static void plugin_usage(FILE *out)
{
    fprintf(out,
            "usage: samsa plugin list [--conf-dir DIR] [--plugin-dir DIR]\n"
            "       samsa plugin describe NAME [--conf-dir DIR] "
            "[--plugin-dir DIR]\n"
            "\n"
            "list      every instance in the conf dir's manifests: kind,\n"
            "          instance, plugin, version, summary, .so path\n"
            "describe  a plugin's options (type, default, bounds, doc).\n"
            "          NAME is an instance name from the manifests, a\n"
            "          plugin name (<plugin-dir>/NAME.so) or a .so path\n"
            "\n"
            "Exit status: 0 ok, 1 a plugin failed to load, 2 usage error.\n");
}

/* Parse the flags after `plugin <sub>`; positional args go to *pos. */
static int parse_args(int argc, char **argv, samsa_cli_paths_t *paths,
                      const char **pos, int max_pos)
{
    int npos = 0;

    *paths = samsa_cli_global_paths;
    for (int i = 2; i < argc; i++) {
        int r = samsa_cli_path_option(argc, argv, &i, paths);
        if (r < 0) {
            return -1;
        }
        if (r > 0) {
            continue;
        }
        if (samsa_cli_is_help(argv[i])) {
            plugin_usage(stdout);
            return 1;
        }
        if (argv[i][0] == '-' || npos >= max_pos) {
            fprintf(stderr, "samsa plugin: unexpected argument '%s'\n",
                    argv[i]);
            plugin_usage(stderr);
            return -1;
        }
        pos[npos++] = argv[i];
    }
    if (npos != max_pos) {
        plugin_usage(stderr);
        return -1;
    }
    return 0;
}

static samsa_err_t load_registry(const samsa_broker_config_t *cfg,
                                 samsa_registry_t **reg)
{
    samsa_registry_opts_t opts = {
        .conf_dir = cfg->conf_dir,
        .plugin_dir = cfg->plugin_dir,
        .data_dir = cfg->data_dir,
        .keep_going = true,
        .skip_config = true,
    };
    char errbuf[1024];
    samsa_err_t rc = samsa_registry_load(&opts, reg, errbuf, sizeof(errbuf));

    if (rc != SAMSA_OK) {
        fprintf(stderr, "samsa plugin: %s\n", errbuf);
    }
    return rc;
}

static int plugin_list(int argc, char **argv)
{
    samsa_cli_paths_t paths;
    samsa_broker_config_t cfg;
    samsa_registry_t *reg = NULL;
    int rc = parse_args(argc, argv, &paths, NULL, 0);
    int failed = 0;

    if (rc != 0) {
        return rc > 0 ? SAMSA_EXIT_OK : SAMSA_EXIT_USAGE;
    }
    if ((rc = samsa_cli_broker_config(&paths, &cfg)) != SAMSA_EXIT_OK) {
        return rc;
    }
    if (load_registry(&cfg, &reg) != SAMSA_OK) {
        samsa_broker_config_free(&cfg);
        return SAMSA_EXIT_ERROR;
    }
    printf("%-12s %-16s %-26s %-8s %s\n", "KIND", "INSTANCE", "PLUGIN",
           "VERSION", "SUMMARY / PATH");
    for (size_t i = 0; i < samsa_registry_count(reg); i++) {
        const samsa_registry_entry_t *e = samsa_registry_at(reg, i);
        if (!e->enabled) {
            printf("%-12s %-16s %-26s %-8s (disabled in %s:%u)\n", "-", e->name,
                   e->plugin, "-", e->manifest, e->line);
        } else if (!e->loaded) {
            printf("%-12s %-16s %-26s %-8s (failed to load)\n", "?", e->name,
                   e->plugin, "-");
            fprintf(stderr, "error: %s\n", e->error ? e->error : "?");
            failed++;
        } else {
            printf("%-12s %-16s %-26s %-8s %s\n%55s %s\n",
                   samsa_kind_name(e->kind), e->name, e->desc.name,
                   e->desc.version ? e->desc.version : "?",
                   e->desc.summary ? e->desc.summary : "", "", e->path);
        }
    }
    samsa_registry_shutdown(reg);
    samsa_broker_config_free(&cfg);
    return failed ? SAMSA_EXIT_ERROR : SAMSA_EXIT_OK;
}

static void print_option(const samsa_option_t *opt)
{
    printf("  %-24s %-7s", opt->name, samsa_opt_type_name(opt->type));
    if (opt->flags & SAMSA_OPT_REQUIRED) {
        printf(" required");
    } else {
        printf(" default %s", opt->default_value && opt->default_value[0]
                                  ? opt->default_value
                                  : "(empty)");
    }
    if (opt->type == SAMSA_OPT_INT && !(opt->min == 0 && opt->max == 0)) {
        printf("  range [%lld, %lld]", (long long)opt->min,
               (long long)opt->max);
    }
    printf("\n      %s\n", opt->doc ? opt->doc : "(undocumented)");
}

static void describe(const samsa_registry_entry_t *e, bool from_manifest)
{
    const samsa_option_t *opts = e->desc.options;

    printf("%s %s (%s plugin, ABI %u.%u)\n", e->desc.name,
           e->desc.version ? e->desc.version : "?", samsa_kind_name(e->kind),
           e->plugin_abi_major, e->plugin_abi_minor);
    if (e->desc.summary != NULL) {
        printf("  %s\n", e->desc.summary);
    }
    printf("  path: %s\n", e->path);
    if (from_manifest) {
        printf("  instance: %s (%s:%u)\n", e->name, e->manifest, e->line);
    }
    if (opts == NULL || opts[0].name == NULL) {
        printf("\noptions: none\n");
        return;
    }
    printf("\noptions:\n");
    for (size_t i = 0; opts[i].name != NULL; i++) {
        print_option(&opts[i]);
    }
}

/* An instance name or plugin name from the manifests. */
static const samsa_registry_entry_t *find_entry(const samsa_registry_t *reg,
                                                const char *name)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < samsa_registry_count(reg); i++) {
            const samsa_registry_entry_t *e = samsa_registry_at(reg, i);
            const char *key = pass == 0 ? e->name : e->plugin;
            if (e->loaded && strcmp(key, name) == 0) {
                return e;
            }
        }
    }
    return NULL;
}

static int plugin_describe(int argc, char **argv)
{
    samsa_cli_paths_t paths;
    samsa_broker_config_t cfg;
    samsa_registry_t *reg = NULL, *one = NULL;
    const samsa_registry_entry_t *e = NULL;
    const char *name = NULL;
    int rc = parse_args(argc, argv, &paths, &name, 1);

    if (rc != 0) {
        return rc > 0 ? SAMSA_EXIT_OK : SAMSA_EXIT_USAGE;
    }
    if ((rc = samsa_cli_broker_config(&paths, &cfg)) != SAMSA_EXIT_OK) {
        return rc;
    }
    /* A manifest entry first; failing that, the .so by name or path. */
    if (samsa_registry_load(
            &(samsa_registry_opts_t){
                .conf_dir = cfg.conf_dir,
                .plugin_dir = cfg.plugin_dir,
                .keep_going = true,
                .skip_config = true,
            },
            &reg, (char[8]){0}, 8) == SAMSA_OK) {
        e = find_entry(reg, name);
    }
    if (e != NULL) {
        describe(e, true);
    } else {
        char errbuf[1024];
        samsa_registry_opts_t opts = {.plugin_dir = cfg.plugin_dir};
        if (samsa_registry_load_plugin(&opts, name, &one, errbuf,
                                       sizeof(errbuf)) != SAMSA_OK) {
            fprintf(stderr, "samsa plugin describe: %s\n", errbuf);
            rc = SAMSA_EXIT_ERROR;
        } else {
            describe(samsa_registry_at(one, 0), false);
        }
    }
    samsa_registry_shutdown(one);
    samsa_registry_shutdown(reg);
    samsa_broker_config_free(&cfg);
    return rc;
}

static int plugin_run(int argc, char **argv)
{
    if (argc < 2) {
        plugin_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if (samsa_cli_is_help(argv[1])) {
        plugin_usage(stdout);
        return SAMSA_EXIT_OK;
    }
    if (strcmp(argv[1], "list") == 0) {
        return plugin_list(argc, argv);
    }
    if (strcmp(argv[1], "describe") == 0) {
        return plugin_describe(argc, argv);
    }
    fprintf(stderr, "samsa plugin: unknown subcommand '%s'\n", argv[1]);
    plugin_usage(stderr);
    return SAMSA_EXIT_USAGE;
}

const samsa_cli_cmd_t samsa_cli_cmd_plugin = {
    .name = "plugin",
    .summary = "list plugin instances, describe a plugin's options",
    .run = plugin_run,
};
