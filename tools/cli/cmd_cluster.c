/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_cluster.c - `samsa cluster info`.
 */
#include <string.h>

#include "cmd_client.h"
#include "util/err.h"

static void cluster_usage(FILE *out)
{
    fprintf(out, "usage: samsa cluster info [options]\n"
                 "\n"
                 "Cluster id, controller, brokers (Metadata) and the API "
                 "versions the\nbootstrap broker serves (ApiVersions).\n"
                 "\n" SAMSA_CLI_CONN_HELP "\n" SAMSA_CLI_EXIT_TEXT);
}

static int cluster_run(int argc, char **argv)
{
    samsa_cli_conn_opts_t o;
    samsa_client_t *c = NULL;
    samsa_metadata_t *md = NULL;
    int rc;

    samsa_cli_conn_opts_init(&o);
    if (argc < 2 || samsa_cli_is_help(argv[1])) {
        cluster_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    for (int i = 2; i < argc; i++) {
        int r;
        if (samsa_cli_is_help(argv[i])) {
            cluster_usage(stdout);
            return SAMSA_EXIT_OK;
        }
        if ((r = samsa_cli_conn_opt(argc, argv, &i, &o)) <= 0) {
            if (r == 0) {
                fprintf(stderr, "samsa cluster: unexpected argument '%s'\n",
                        argv[i]);
            }
            cluster_usage(stderr);
            return SAMSA_EXIT_USAGE;
        }
    }
    if (strcmp(argv[1], "info") != 0) {
        fprintf(stderr, "samsa cluster: unknown subcommand '%s'\n", argv[1]);
        cluster_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if ((rc = samsa_cli_client("cluster", &o, &c)) != SAMSA_EXIT_OK) {
        return rc;
    }
    if (samsa_client_metadata(c, NULL, 0, false, &md) != SAMSA_OK) {
        rc = samsa_cli_client_error("cluster info", c);
    } else {
        printf("Cluster: %s\nController: %d\nBrokers: %d\n",
               md->cluster_id ? md->cluster_id : "(unknown)", md->controller,
               md->nbrokers);
        for (int32_t i = 0; i < md->nbrokers; i++) {
            printf("\tBroker: %d\t%s:%d%s%s\n", md->brokers[i].id,
                   md->brokers[i].host, md->brokers[i].port,
                   md->brokers[i].rack ? "\track: " : "",
                   md->brokers[i].rack ? md->brokers[i].rack : "");
        }
        printf("Topics: %d\nAPIs (version used by this client):\n",
               md->ntopics);
        for (int k = 0; k < SAMSA_API_COUNT; k++) {
            int16_t v = samsa_client_api_version(c, SAMSA_NODE_ANY, (int16_t)k);
            if (v >= 0) {
                printf("\t%s(%d): v%d\n", samsa_api_table[k].name, k, v);
            }
        }
    }
    samsa_metadata_free(md);
    samsa_client_free(c);
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_cluster = {
    .name = "cluster",
    .summary = "cluster id, controller, brokers and API versions",
    .run = cluster_run,
};
