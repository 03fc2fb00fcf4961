/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/main.c - `samsa`: global options and subcommand dispatch.
 *
 * To add a subcommand: write cmd_<name>.c exporting a samsa_cli_cmd_t,
 * declare it in cli.h and add it to `commands` below.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmd_client.h"

static const samsa_cli_cmd_t *const commands[] = {
    &samsa_cli_cmd_plugin,  &samsa_cli_cmd_config,    &samsa_cli_cmd_topic,
    &samsa_cli_cmd_produce, &samsa_cli_cmd_consume,   &samsa_cli_cmd_group,
    &samsa_cli_cmd_cluster, &samsa_cli_cmd_perf,      &samsa_cli_cmd_user,
    &samsa_cli_cmd_acl,     &samsa_cli_cmd_connector, &samsa_cli_cmd_txn,
    &samsa_cli_cmd_connect, &samsa_cli_cmd_quota,     &samsa_cli_cmd_storage,
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

samsa_cli_paths_t samsa_cli_global_paths;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: samsa [--conf-dir DIR] [--plugin-dir DIR] [--config FILE]"
            " <command> [args]\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    }
    fprintf(out,
            "\n"
            "  --conf-dir DIR    plugin manifests (default %s)\n"
            "  --plugin-dir DIR  plugin .so files (default %s)\n"
            "  --config FILE     broker YAML (default <conf-dir>/samsa.yaml)\n"
            "  --version         print the version\n"
            "\n"
            "`samsa <command> --help` describes a command.\n"
            "Exit status: 0 ok, 1 error, 2 usage error.\n",
            samsa_default_conf_dir(), samsa_default_plugin_dir());
}

int main(int argc, char **argv)
{
    int i = 1;

    for (; i < argc && argv[i][0] == '-'; i++) {
        int r = samsa_cli_path_option(argc, argv, &i, &samsa_cli_global_paths);
        if (r < 0) {
            return SAMSA_EXIT_USAGE;
        }
        if (r > 0) {
            continue;
        }
        if (samsa_cli_is_help(argv[i])) {
            usage(stdout);
            return SAMSA_EXIT_OK;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("samsa %s (plugin ABI %d.%d)\n", SAMSA_VERSION,
                   SAMSA_ABI_MAJOR, SAMSA_ABI_MINOR);
            return SAMSA_EXIT_OK;
        }
        fprintf(stderr, "samsa: unknown option '%s'\n", argv[i]);
        usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if (i >= argc) {
        usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    for (size_t c = 0; c < N_COMMANDS; c++) {
        if (strcmp(argv[i], commands[c]->name) == 0) {
            return commands[c]->run(argc - i, argv + i);
        }
    }
    fprintf(stderr, "samsa: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return SAMSA_EXIT_USAGE;
}
