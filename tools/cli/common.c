/* SPDX-License-Identifier: Apache-2.0 */
/* tools/cli/common.c - option helpers shared by subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util/err.h"

bool samsa_cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int samsa_cli_path_option(int argc, char **argv, int *i,
                          samsa_cli_paths_t *paths)
{
    static const char *const names[] = {"--conf-dir", "--plugin-dir",
                                        "--config"};
    const char **slots[] = {&paths->conf_dir, &paths->plugin_dir,
                            &paths->config_file};

    for (int k = 0; k < 3; k++) {
        size_t n = strlen(names[k]);
        const char *arg = argv[*i];

        if (strncmp(arg, names[k], n) != 0) {
            continue;
        }
        if (arg[n] == '=') {
            *slots[k] = arg + n + 1;
            return 1;
        }
        if (arg[n] != '\0') {
            continue;
        }
        if (*i + 1 >= argc) {
            fprintf(stderr, "samsa: %s needs a value\n", names[k]);
            return -1;
        }
        *slots[k] = argv[++*i];
        return 1;
    }
    return 0;
}

int samsa_cli_broker_config(const samsa_cli_paths_t *paths,
                            samsa_broker_config_t *cfg)
{
    return samsa_cli_broker_config_args(paths, NULL, cfg);
}

int samsa_cli_broker_config_args(const samsa_cli_paths_t *paths,
                                 const char *const *extra,
                                 samsa_broker_config_t *cfg)
{
    char *args[16];
    int n = 0;
    char errbuf[1024];
    samsa_err_t rc;

    /* Reuse samsad's resolution so the CLI sees exactly what it would. */
    args[n++] = "samsa";
    if (paths->conf_dir != NULL) {
        args[n++] = "--conf-dir";
        args[n++] = (char *)paths->conf_dir;
    }
    if (paths->plugin_dir != NULL) {
        args[n++] = "--plugin-dir";
        args[n++] = (char *)paths->plugin_dir;
    }
    if (paths->config_file != NULL) {
        args[n++] = "--config";
        args[n++] = (char *)paths->config_file;
    }
    for (int i = 0; extra != NULL && extra[i] != NULL && n < 15; i++) {
        args[n++] = (char *)extra[i];
    }
    args[n] = NULL;
    rc = samsa_broker_config_load(n, args, cfg, errbuf, sizeof(errbuf));
    if (rc != SAMSA_OK) {
        fprintf(stderr, "samsa: %s\n", errbuf);
        return rc == SAMSA_ERR_INVAL ? SAMSA_EXIT_USAGE : SAMSA_EXIT_ERROR;
    }
    return SAMSA_EXIT_OK;
}
