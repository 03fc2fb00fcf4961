/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_client.h - helpers shared by the subcommands that talk to
 * brokers (topic, produce, consume, group, cluster, perf).
 */
#ifndef SAMSA_CLI_CMD_CLIENT_H
#define SAMSA_CLI_CMD_CLIENT_H

#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "client/client.h"
#include "client/properties.h"
#include "registry/registry.h"

extern const samsa_cli_cmd_t samsa_cli_cmd_topic;
extern const samsa_cli_cmd_t samsa_cli_cmd_produce;
extern const samsa_cli_cmd_t samsa_cli_cmd_consume;
extern const samsa_cli_cmd_t samsa_cli_cmd_group;
extern const samsa_cli_cmd_t samsa_cli_cmd_cluster;
extern const samsa_cli_cmd_t samsa_cli_cmd_perf;
extern const samsa_cli_cmd_t samsa_cli_cmd_user;
extern const samsa_cli_cmd_t samsa_cli_cmd_quota;
extern const samsa_cli_cmd_t samsa_cli_cmd_acl;
extern const samsa_cli_cmd_t samsa_cli_cmd_txn;

/* `samsa topic hot-keys` (cmd_hot_keys.c): argv as topic's run() got it. */
int samsa_cli_topic_hot_keys(int argc, char **argv);

/* Options every client subcommand accepts. */
typedef struct samsa_cli_conn_opts {
    const char *bootstrap;
    int timeout_ms;
    samsa_cli_paths_t paths;
    /* From --command-config FILE (Kafka tools' client properties). */
    samsa_client_props_t props;
} samsa_cli_conn_opts_t;

void samsa_cli_conn_opts_init(samsa_cli_conn_opts_t *o);

/*
 * If argv[*i] is option @p name ("--name VALUE" or "--name=VALUE"), store
 * the value, advance *i and return 1; 0 when it is not; -1 (printed) when
 * the value is missing.
 */
int samsa_cli_opt(int argc, char **argv, int *i, const char *name,
                  const char **val);
/* --bootstrap/-b, --request-timeout-ms, --command-config, --conf-dir,
 * --plugin-dir, --config. */
int samsa_cli_conn_opt(int argc, char **argv, int *i, samsa_cli_conn_opts_t *o);
/* Parse an integer option value; prints and returns false when bad. */
bool samsa_cli_int(const char *cmd, const char *name, const char *s,
                   long long min, long long max, long long *out);

/* Connect (lazily) to the cluster. Prints and returns an exit code. */
int samsa_cli_client(const char *cmd, const samsa_cli_conn_opts_t *o,
                     samsa_client_t **out);
/* Print "samsa CMD: <client error>" and return SAMSA_EXIT_ERROR. */
int samsa_cli_client_error(const char *cmd, samsa_client_t *c);

/* Load and init the plugins of the conf dir (codecs, partitioners). */
int samsa_cli_registry(const char *cmd, const samsa_cli_paths_t *paths,
                       samsa_registry_t **out);
/* Codec id for "none|gzip|snappy|lz4|zstd"; -1 when unknown. */
int samsa_cli_codec_id(const char *name);
/* samsa_fetch_conf_t.codec over a registry (arg = the registry). */
const samsa_codec_ops_t *samsa_cli_codec_lookup(void *arg, int codec_id,
                                                void **state);

/* Write s (n bytes) as a JSON string literal, quotes included. */
void samsa_cli_json_str(FILE *out, const void *s, size_t n);

/* Print the exit status line used by every usage text. */
#define SAMSA_CLI_EXIT_TEXT                                                    \
    "Exit status: 0 ok, 1 error (broker, network, protocol), 2 usage error.\n"
#define SAMSA_CLI_CONN_HELP                                                    \
    "  -b, --bootstrap HOST:PORT[,...]  brokers to start from "                \
    "(default 127.0.0.1:9092)\n"                                               \
    "  --command-config FILE   Kafka client properties: security.protocol "    \
    "(PLAINTEXT, SSL,\n"                                                       \
    "                          SASL_PLAINTEXT, SASL_SSL), sasl.mechanism "     \
    "(PLAIN, SCRAM-SHA-256,\n"                                                 \
    "                          SCRAM-SHA-512), sasl.jaas.config or "           \
    "sasl.username/password,\n"                                                \
    "                          ssl.truststore.location (PEM) or "              \
    "ssl.ca.location\n"                                                        \
    "  --request-timeout-ms N  network timeout (default 30000)\n"

#endif /* SAMSA_CLI_CMD_CLIENT_H */
