/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_topic.c - `samsa topic create|delete|list|describe|alter`.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_client.h"
#include "util/err.h"

#define MAX_ITEMS 64

static void topic_usage(FILE *out)
{
    fprintf(out,
            "usage: samsa topic create NAME [--partitions N] "
            "[--replication-factor N] [--config K=V]...\n"
            "       samsa topic delete NAME...\n"
            "       samsa topic list\n"
            "       samsa topic describe [NAME...]\n"
            "       samsa topic alter NAME [--partitions N] [--config K=V]... "
            "[--delete-config K]...\n"
            "       samsa topic hot-keys NAME [--http HOST:PORT] [--top N]\n"
            "\n"
            "create    CreateTopics (defaults: 1 partition, the broker's "
            "replication factor)\n"
            "delete    DeleteTopics\n"
            "list      topic names, one a line\n"
            "describe  partitions with leader, replicas, ISR, and the "
            "topic's non-default configs\n"
            "alter     add partitions (CreatePartitions) and set/delete "
            "configs (IncrementalAlterConfigs)\n"
            "hot-keys  the keys carrying most records, from the broker's "
            "HTTP listener\n"
            "\n" SAMSA_CLI_CONN_HELP "\n" SAMSA_CLI_EXIT_TEXT);
}

typedef struct topic_args {
    samsa_cli_conn_opts_t conn;
    const char *names[MAX_ITEMS];
    int nnames;
    long long partitions;
    long long replication;
    const char *configs[MAX_ITEMS];
    int nconfigs;
    const char *deletes[MAX_ITEMS];
    int ndeletes;
} topic_args_t;

static int parse(int argc, char **argv, topic_args_t *a)
{
    const char *v = NULL;
    memset(a, 0, sizeof(*a));
    samsa_cli_conn_opts_init(&a->conn);
    a->partitions = -1;
    a->replication = -1;
    for (int i = 2; i < argc; i++) {
        int r;
        if (samsa_cli_is_help(argv[i])) {
            topic_usage(stdout);
            return 1;
        }
        /* Before the connection options: there `--config` names samsad's
         * YAML file, here it is a topic config (kafka-topics' --config). */
        if ((r = samsa_cli_opt(argc, argv, &i, "--config", &v)) != 0) {
            if (r < 0 || a->nconfigs >= MAX_ITEMS || strchr(v, '=') == NULL) {
                fprintf(stderr, "samsa topic: --config needs KEY=VALUE\n");
                return -1;
            }
            a->configs[a->nconfigs++] = v;
            continue;
        }
        if ((r = samsa_cli_conn_opt(argc, argv, &i, &a->conn)) != 0) {
            if (r < 0) {
                return -1;
            }
            continue;
        }
        if ((r = samsa_cli_opt(argc, argv, &i, "--partitions", &v)) != 0) {
            if (r < 0 || !samsa_cli_int("topic", "--partitions", v, 1, 1000000,
                                        &a->partitions)) {
                return -1;
            }
            continue;
        }
        if ((r = samsa_cli_opt(argc, argv, &i, "--replication-factor", &v)) !=
            0) {
            if (r < 0 || !samsa_cli_int("topic", "--replication-factor", v, 1,
                                        32767, &a->replication)) {
                return -1;
            }
            continue;
        }
        if ((r = samsa_cli_opt(argc, argv, &i, "--delete-config", &v)) != 0) {
            if (r < 0 || a->ndeletes >= MAX_ITEMS) {
                return -1;
            }
            a->deletes[a->ndeletes++] = v;
            continue;
        }
        if (argv[i][0] == '-' || a->nnames >= MAX_ITEMS) {
            fprintf(stderr, "samsa topic: unexpected argument '%s'\n", argv[i]);
            return -1;
        }
        a->names[a->nnames++] = argv[i];
    }
    return 0;
}

static int fail_code(const char *what, const char *name, int16_t ec,
                     samsa_str_t msg)
{
    fprintf(stderr, "samsa topic %s: %s: %s", what, name, samsa_err_name(ec));
    if (msg.len > 0) {
        fprintf(stderr, " (%.*s)", (int)msg.len, msg.ptr);
    }
    fputc('\n', stderr);
    return SAMSA_EXIT_ERROR;
}

/* The configs of --config k=v, then those of --delete-config k (deleted). */
static int32_t config_list(const topic_args_t *a, samsa_client_config_t *out)
{
    int32_t n = 0;
    for (int i = 0; i < a->nconfigs; i++, n++) {
        const char *eq = strchr(a->configs[i], '=');
        out[n].name =
            (samsa_str_t){a->configs[i], (int32_t)(eq - a->configs[i])};
        out[n].value = samsa_str_from_cstr(eq + 1);
    }
    for (int i = 0; i < a->ndeletes; i++, n++) {
        out[n].name = samsa_str_from_cstr(a->deletes[i]);
        out[n].value = SAMSA_STR_NULL;
    }
    return n;
}

static int do_create(samsa_client_t *c, topic_args_t *a)
{
    samsa_client_config_t cfg[2 * MAX_ITEMS];

    if (a->nnames != 1) {
        topic_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    config_list(a, cfg); /* the first nconfigs: a create sets, never deletes */
    if (samsa_client_create_topic(
            c, a->names[0], a->partitions > 0 ? (int32_t)a->partitions : 1,
            (int16_t)a->replication, cfg, a->nconfigs,
            a->conn.timeout_ms) != SAMSA_OK) {
        return samsa_cli_client_error("topic create", c);
    }
    printf("created topic %s\n", a->names[0]);
    return SAMSA_EXIT_OK;
}

static int do_delete(samsa_client_t *c, topic_args_t *a)
{
    samsa_DeleteTopicsRequest_t req;
    samsa_str_t names[MAX_ITEMS];
    samsa_DeleteTopicsRequest_DeleteTopicState_t st[MAX_ITEMS];
    samsa_DeleteTopicsResponse_t *resp = NULL;
    samsa_arena_t arena;
    int rc = SAMSA_EXIT_OK;

    if (a->nnames < 1) {
        topic_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    samsa_DeleteTopicsRequest_init(&req);
    for (int i = 0; i < a->nnames; i++) {
        names[i] = samsa_str_from_cstr(a->names[i]);
        samsa_DeleteTopicsRequest_DeleteTopicState_init(&st[i]);
        st[i].Name = names[i];
    }
    req.TopicNames.count = a->nnames;
    req.TopicNames.items = names;
    req.Topics.count = a->nnames;
    req.Topics.items = st;
    req.TimeoutMs = a->conn.timeout_ms;
    samsa_arena_init(&arena);
    if (samsa_client_call(c, samsa_client_controller(c),
                          SAMSA_API_DELETE_TOPICS, &req, &arena, (void **)&resp,
                          NULL) != SAMSA_OK) {
        rc = samsa_cli_client_error("topic delete", c);
    } else {
        for (int32_t i = 0; i < resp->Responses.count; i++) {
            const samsa_DeleteTopicsResponse_DeletableTopicResult_t *r =
                &resp->Responses.items[i];
            char *name = samsa_client_strdup(r->Name);
            if (r->ErrorCode != 0) {
                rc = fail_code("delete", name ? name : "?", r->ErrorCode,
                               r->ErrorMessage);
            } else {
                printf("deleted topic %s\n", name ? name : "?");
            }
            free(name);
        }
    }
    samsa_arena_destroy(&arena);
    return rc;
}

static int do_list(samsa_client_t *c)
{
    samsa_metadata_t *md = NULL;
    if (samsa_client_metadata(c, NULL, 0, false, &md) != SAMSA_OK) {
        return samsa_cli_client_error("topic list", c);
    }
    for (int32_t i = 0; i < md->ntopics; i++) {
        printf("%s\n", md->topics[i].name);
    }
    samsa_metadata_free(md);
    return SAMSA_EXIT_OK;
}

static void print_ids(const char *label, const int32_t *v, int32_t n)
{
    printf("\t%s: ", label);
    for (int32_t i = 0; i < n; i++) {
        printf("%s%d", i ? "," : "", v[i]);
    }
}

/* Non-default configs of one topic (DescribeConfigs); best effort. */
static void print_config(void *arg, samsa_str_t name, samsa_str_t value)
{
    const char **sep = arg;
    printf("%s%.*s=%.*s", *sep, (int)name.len, name.ptr,
           value.len > 0 ? (int)value.len : 0, value.len > 0 ? value.ptr : "");
    *sep = ",";
}

static void print_configs(samsa_client_t *c, const char *topic)
{
    const char *sep = "\tConfigs: ";
    (void)samsa_client_topic_configs(c, topic, print_config, &sep);
}

static int do_describe(samsa_client_t *c, topic_args_t *a)
{
    samsa_metadata_t *md = NULL;
    int rc = SAMSA_EXIT_OK;

    if (samsa_client_metadata(c, a->nnames ? a->names : NULL, a->nnames, false,
                              &md) != SAMSA_OK) {
        return samsa_cli_client_error("topic describe", c);
    }
    for (int32_t i = 0; i < md->ntopics; i++) {
        const samsa_md_topic_t *t = &md->topics[i];
        if (t->error != 0) {
            fprintf(stderr, "samsa topic describe: %s: %s\n", t->name,
                    samsa_err_name(t->error));
            rc = SAMSA_EXIT_ERROR;
            continue;
        }
        printf("Topic: %s\tPartitionCount: %d\tReplicationFactor: %d", t->name,
               t->npartitions,
               t->npartitions > 0 ? t->partitions[0].nreplicas : 0);
        print_configs(c, t->name);
        printf("\n");
        for (int32_t p = 0; p < t->npartitions; p++) {
            const samsa_md_partition_t *mp = &t->partitions[p];
            printf("\tTopic: %s\tPartition: %d\tLeader: %d", t->name, mp->id,
                   mp->leader);
            print_ids("Replicas", mp->replicas, mp->nreplicas);
            print_ids("Isr", mp->isr, mp->nisr);
            if (mp->error != 0) {
                printf("\tError: %s", samsa_err_name(mp->error));
            }
            printf("\n");
        }
    }
    samsa_metadata_free(md);
    return rc;
}

static int alter_partitions(samsa_client_t *c, topic_args_t *a)
{
    if (samsa_client_create_partitions(c, a->names[0], (int32_t)a->partitions,
                                       a->conn.timeout_ms) != SAMSA_OK) {
        return samsa_cli_client_error("topic alter", c);
    }
    printf("topic %s now has %lld partitions\n", a->names[0], a->partitions);
    return SAMSA_EXIT_OK;
}

static int alter_configs(samsa_client_t *c, topic_args_t *a)
{
    samsa_client_config_t cfg[2 * MAX_ITEMS];
    int32_t n = config_list(a, cfg);
    if (samsa_client_alter_topic_configs(c, a->names[0], cfg, n) != SAMSA_OK) {
        return samsa_cli_client_error("topic alter", c);
    }
    printf("updated %d config(s) of topic %s\n", (int)n, a->names[0]);
    return SAMSA_EXIT_OK;
}

static int do_alter(samsa_client_t *c, topic_args_t *a)
{
    int rc = SAMSA_EXIT_OK;
    if (a->nnames != 1 ||
        (a->partitions < 0 && a->nconfigs == 0 && a->ndeletes == 0)) {
        topic_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if (a->partitions > 0) {
        rc = alter_partitions(c, a);
    }
    if (rc == SAMSA_EXIT_OK && (a->nconfigs > 0 || a->ndeletes > 0)) {
        rc = alter_configs(c, a);
    }
    return rc;
}

static int topic_run(int argc, char **argv)
{
    topic_args_t a;
    samsa_client_t *c = NULL;
    int rc;

    if (argc < 2 || samsa_cli_is_help(argv[1])) {
        topic_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    if (strcmp(argv[1], "hot-keys") == 0) {
        return samsa_cli_topic_hot_keys(argc, argv);
    }
    rc = parse(argc, argv, &a);
    if (rc != 0) {
        if (rc < 0) {
            topic_usage(stderr);
        }
        return rc < 0 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "create") && strcmp(sub, "delete") && strcmp(sub, "list") &&
        strcmp(sub, "describe") && strcmp(sub, "alter")) {
        fprintf(stderr, "samsa topic: unknown subcommand '%s'\n", sub);
        topic_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if ((rc = samsa_cli_client("topic", &a.conn, &c)) != SAMSA_EXIT_OK) {
        return rc;
    }
    if (strcmp(sub, "create") == 0) {
        rc = do_create(c, &a);
    } else if (strcmp(sub, "delete") == 0) {
        rc = do_delete(c, &a);
    } else if (strcmp(sub, "list") == 0) {
        rc = do_list(c);
    } else if (strcmp(sub, "describe") == 0) {
        rc = do_describe(c, &a);
    } else {
        rc = do_alter(c, &a);
    }
    samsa_client_free(c);
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_topic = {
    .name = "topic",
    .summary = "create, delete, list, describe or alter topics",
    .run = topic_run,
};
