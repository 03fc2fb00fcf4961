/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cli.h - shared pieces of the `samsa` command line.
 *
 * Each subcommand lives in its own cmd_<name>.c and exports one
 * samsa_cli_cmd_t; main.c lists them in its dispatch table. A subcommand's
 * run() gets argv starting at its own name (argv[0] == "plugin") and
 * returns one of the SAMSA_EXIT_* codes. Every subcommand accepts --help.
 */
#ifndef SAMSA_CLI_H
#define SAMSA_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "config/broker.h"

/* Exit codes (documented in `samsa --help`). */
#define SAMSA_EXIT_OK    0 /* success */
#define SAMSA_EXIT_ERROR 1 /* the command ran and failed */
#define SAMSA_EXIT_USAGE 2 /* bad command line */

typedef struct samsa_cli_cmd {
    const char *name;    /* "plugin" */
    const char *summary; /* one line for `samsa --help` */
    int (*run)(int argc, char **argv);
} samsa_cli_cmd_t;

/* Options given before the subcommand (samsa --conf-dir X plugin list);
 * subcommands may override them with their own flags. */
typedef struct samsa_cli_paths {
    const char *conf_dir;
    const char *plugin_dir;
    const char *config_file;
} samsa_cli_paths_t;

extern samsa_cli_paths_t samsa_cli_global_paths;

/**
 * If argv[*i] is --conf-dir/--plugin-dir/--config (with " VALUE" or
 * "=VALUE"), store it in @p paths, advance *i and return 1; return 0 when
 * it is another argument; -1 (after printing to stderr) when the value is
 * missing.
 */
int samsa_cli_path_option(int argc, char **argv, int *i,
                          samsa_cli_paths_t *paths);

/** True for -h / --help. */
bool samsa_cli_is_help(const char *arg);

/**
 * Resolve conf/plugin/data dirs the way samsad does (flags > samsa.yaml >
 * environment > defaults) into @p cfg. Prints the error and returns
 * SAMSA_EXIT_ERROR or SAMSA_EXIT_USAGE on failure.
 */
int samsa_cli_broker_config(const samsa_cli_paths_t *paths,
                            samsa_broker_config_t *cfg);
/** Same, with samsad flags @p extra (NULL-terminated, at most a few)
 *  after the paths: `samsa connect` passes its --http-listen. */
int samsa_cli_broker_config_args(const samsa_cli_paths_t *paths,
                                 const char *const *extra,
                                 samsa_broker_config_t *cfg);

/* The subcommands. */
extern const samsa_cli_cmd_t samsa_cli_cmd_plugin;
extern const samsa_cli_cmd_t samsa_cli_cmd_connector;
extern const samsa_cli_cmd_t samsa_cli_cmd_connect;
extern const samsa_cli_cmd_t samsa_cli_cmd_config;
extern const samsa_cli_cmd_t samsa_cli_cmd_storage;

/* `samsa connector test` (cmd_connector_test.c): argv[0] == "test". */
int samsa_cli_connector_test(int argc, char **argv);

#endif /* SAMSA_CLI_H */
