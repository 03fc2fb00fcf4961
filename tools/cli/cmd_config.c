/* SPDX-License-Identifier: Apache-2.0 */
/* tools/cli/cmd_config.c - `samsa config check` (= samsad --check-config). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "registry/registry.h"

static void config_usage(FILE *out)
{
    fprintf(out,
            "usage: samsa config check [--conf-dir DIR] [--plugin-dir DIR]\n"
            "                          [--config FILE] [--init]\n"
            "\n"
            "Load the broker YAML and every manifest, open and validate each\n"
            "plugin and its config, and print what would load; nothing is\n"
            "started. --init also runs each plugin's init() and fini().\n"
            "Same checks as `samsad --check-config`.\n"
            "\n"
            "Exit status: 0 valid, 1 invalid (the error names file:line),\n"
            "2 usage error.\n");
}

static int config_check(int argc, char **argv)
{
    samsa_cli_paths_t paths = samsa_cli_global_paths;
    samsa_broker_config_t cfg;
    bool with_init = false;
    char errbuf[1024];
    int rc;

    for (int i = 2; i < argc; i++) {
        int r = samsa_cli_path_option(argc, argv, &i, &paths);
        if (r < 0) {
            return SAMSA_EXIT_USAGE;
        }
        if (r > 0) {
            continue;
        }
        if (samsa_cli_is_help(argv[i])) {
            config_usage(stdout);
            return SAMSA_EXIT_OK;
        }
        if (strcmp(argv[i], "--init") == 0) {
            with_init = true;
            continue;
        }
        fprintf(stderr, "samsa config check: unexpected argument '%s'\n",
                argv[i]);
        config_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if ((rc = samsa_cli_broker_config(&paths, &cfg)) != SAMSA_EXIT_OK) {
        return rc;
    }
    if (samsa_registry_check(&cfg, with_init, stdout, errbuf, sizeof(errbuf)) !=
        SAMSA_OK) {
        fprintf(stderr, "samsa config check: %s\n", errbuf);
        rc = SAMSA_EXIT_ERROR;
    }
    samsa_broker_config_free(&cfg);
    return rc;
}

static int config_run(int argc, char **argv)
{
    if (argc < 2) {
        config_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if (samsa_cli_is_help(argv[1])) {
        config_usage(stdout);
        return SAMSA_EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0) {
        return config_check(argc, argv);
    }
    fprintf(stderr, "samsa config: unknown subcommand '%s'\n", argv[1]);
    config_usage(stderr);
    return SAMSA_EXIT_USAGE;
}

const samsa_cli_cmd_t samsa_cli_cmd_config = {
    .name = "config",
    .summary = "check the broker YAML and plugin manifests",
    .run = config_run,
};
