/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_cluster.c - `samsa cluster info|leaders|elect|reassign`:
 * the arguments, and info; the partition admin is cmd_cluster_admin.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_cluster_admin.h"
#include "util/err.h"

#define MAX_REPLICAS 64

static void cluster_usage(FILE *out)
{
    fprintf(
        out,
        "usage: samsa cluster info [options]\n"
        "       samsa cluster leaders [--topic T] [--under-replicated] "
        "[options]\n"
        "       samsa cluster elect [--unclean] [--topic T [--partition P]] "
        "[options]\n"
        "       samsa cluster reassign TOPIC PARTITION BROKER,BROKER,... "
        "[--wait-ms N] [options]\n"
        "       samsa cluster reassign --cancel TOPIC PARTITION [options]\n"
        "       samsa cluster reassign --list [options]\n"
        "\n"
        "info: cluster id, controller, brokers (Metadata) and the API "
        "versions the\nbootstrap broker serves (ApiVersions).\n"
        "leaders: every partition's leader, replicas (the first is the "
        "preferred\nleader) and ISR, and which are offline, led elsewhere "
        "or being moved;\n--under-replicated lists only partitions whose "
        "ISR lacks replicas.\n"
        "elect: move leadership back to the preferred replicas (all "
        "partitions, a\ntopic's or one); --unclean instead gives a partition "
        "without a live leader\na live replica even outside the ISR, losing "
        "what only the others had.\n"
        "reassign: move a partition to the given brokers (the first leads): "
        "the new\nones catch up, join the ISR, then the old ones leave; "
        "--wait-ms waits for\nthat; --cancel goes back; --list shows the "
        "moves in progress.\n"
        "\n" SAMSA_CLI_CONN_HELP "\n" SAMSA_CLI_EXIT_TEXT);
}

typedef struct cluster_args {
    const char *topic;
    long long partition;
    bool unclean, cancel, list, under;
    long long wait_ms;
    const char *pos[3]; /* reassign: TOPIC PARTITION REPLICAS */
    int npos;
} cluster_args_t;

/* Options after the subcommand; 1 taken, 0 not one of these, -1 bad. */
static int cluster_opt(int argc, char **argv, int *i, cluster_args_t *a)
{
    const char *v = NULL;
    int r;
    if (strcmp(argv[*i], "--unclean") == 0) {
        a->unclean = true;
        return 1;
    }
    if (strcmp(argv[*i], "--cancel") == 0) {
        a->cancel = true;
        return 1;
    }
    if (strcmp(argv[*i], "--list") == 0) {
        a->list = true;
        return 1;
    }
    if (strcmp(argv[*i], "--under-replicated") == 0) {
        a->under = true;
        return 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--topic", &a->topic)) != 0) {
        return r;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--partition", &v)) != 0) {
        return r < 0 || !samsa_cli_int("cluster", "--partition", v, 0,
                                       INT32_MAX, &a->partition)
                   ? -1
                   : 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--wait-ms", &v)) != 0) {
        return r < 0 || !samsa_cli_int("cluster", "--wait-ms", v, 0, INT32_MAX,
                                       &a->wait_ms)
                   ? -1
                   : 1;
    }
    if (argv[*i][0] != '-' && a->npos < 3) {
        a->pos[a->npos++] = argv[*i];
        return 1;
    }
    return 0;
}

/* "1,2,3" into @p ids; false (printed) when it is not such a list. */
static bool parse_replicas(const char *s, int32_t *ids, int32_t *n)
{
    *n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > INT32_MAX || *n == MAX_REPLICAS ||
            (*end && *end != ',')) {
            fprintf(stderr,
                    "samsa cluster reassign: replicas must be broker ids "
                    "separated by commas, e.g. 1,2,3\n");
            return false;
        }
        ids[(*n)++] = (int32_t)v;
        s = *end ? end + 1 : end;
    }
    return *n > 0;
}

static int reassign(samsa_client_t *c, const cluster_args_t *a)
{
    samsa_cli_reassign_t r = {
        .list = a->list, .cancel = a->cancel, .wait_ms = (int)a->wait_ms};
    int32_t ids[MAX_REPLICAS];
    long long part = 0;
    int need = a->list ? 0 : a->cancel ? 2 : 3;
    if (a->npos != need) {
        cluster_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if (need > 0) {
        r.topic = a->pos[0];
        if (!samsa_cli_int("cluster reassign", "PARTITION", a->pos[1], 0,
                           INT32_MAX, &part)) {
            return SAMSA_EXIT_USAGE;
        }
        r.partition = (int32_t)part;
    }
    if (need == 3) {
        if (!parse_replicas(a->pos[2], ids, &r.nreplicas)) {
            return SAMSA_EXIT_USAGE;
        }
        r.replicas = ids;
    }
    return samsa_cli_cluster_reassign(c, &r);
}

static int cluster_info(samsa_client_t *c)
{
    samsa_metadata_t *md = NULL;
    int rc = SAMSA_EXIT_OK;
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
    return rc;
}

static int cluster_run(int argc, char **argv)
{
    samsa_cli_conn_opts_t o;
    cluster_args_t a = {.partition = -1};
    samsa_client_t *c = NULL;
    int rc;

    samsa_cli_conn_opts_init(&o);
    if (argc < 2 || samsa_cli_is_help(argv[1])) {
        cluster_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    const char *sub = argv[1];
    bool info = strcmp(sub, "info") == 0;
    if (!info && strcmp(sub, "leaders") != 0 && strcmp(sub, "elect") != 0 &&
        strcmp(sub, "reassign") != 0) {
        fprintf(stderr, "samsa cluster: unknown subcommand '%s'\n", sub);
        cluster_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        int r;
        if (samsa_cli_is_help(argv[i])) {
            cluster_usage(stdout);
            return SAMSA_EXIT_OK;
        }
        if ((r = samsa_cli_conn_opt(argc, argv, &i, &o)) == 0 && !info) {
            r = cluster_opt(argc, argv, &i, &a);
        }
        if (r <= 0) {
            if (r == 0) {
                fprintf(stderr, "samsa cluster: unexpected argument '%s'\n",
                        argv[i]);
            }
            cluster_usage(stderr);
            return SAMSA_EXIT_USAGE;
        }
    }
    if (strcmp(sub, "reassign") != 0 && a.npos > 0) {
        fprintf(stderr, "samsa cluster: unexpected argument '%s'\n", a.pos[0]);
        return SAMSA_EXIT_USAGE;
    }
    if (a.partition >= 0 && !a.topic) {
        fprintf(stderr, "samsa cluster elect: --partition needs --topic\n");
        return SAMSA_EXIT_USAGE;
    }
    if ((rc = samsa_cli_client("cluster", &o, &c)) != SAMSA_EXIT_OK) {
        return rc;
    }
    if (info) {
        rc = cluster_info(c);
    } else if (strcmp(sub, "leaders") == 0) {
        rc = samsa_cli_cluster_leaders(c, a.topic, a.under);
    } else if (strcmp(sub, "elect") == 0) {
        rc = samsa_cli_cluster_elect(c, a.unclean, a.topic,
                                     (int32_t)a.partition);
    } else {
        rc = reassign(c, &a);
    }
    samsa_client_free(c);
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_cluster = {
    .name = "cluster",
    .summary = "cluster info, partition leaders, elections, reassignments",
    .run = cluster_run,
};
