/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_produce.c - `samsa produce`: one record per input line.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd_client.h"
#include "util/err.h"

#define MAX_HEADERS 64

static void produce_usage(FILE *out)
{
    fprintf(out,
            "usage: samsa produce --topic T [options] [< lines]\n"
            "\n"
            "Reads records from stdin (or --file), one per line.\n"
            "  -t, --topic T           topic to write to (required)\n"
            "  -f, --file PATH         read lines from PATH instead of stdin\n"
            "  -K, --key-separator S   split each line at the first S into "
            "key and value\n"
            "                          (a line without S is an error)\n"
            "  -H, --header K=V        add a header to every record "
            "(repeatable)\n"
            "  -p, --partition N       write every record to partition N\n"
            "  --partitioner NAME      partitioner instance from the conf "
            "dir (default hash)\n"
            "  -z, --compression C     none, gzip, snappy, lz4, zstd "
            "(default none)\n"
            "  --acks A                0, 1, all or -1 (default all)\n"
            "  --linger-ms N           batch for up to N ms (default 5)\n"
            "  --batch-size N          close a batch at N bytes "
            "(default 65536)\n"
            "  --null-value S          send lines equal to S as null "
            "values (tombstones)\n" SAMSA_CLI_CONN_HELP
            "  --conf-dir DIR / --plugin-dir DIR  where plugins come from\n"
            "\nPrints nothing on success; errors go to "
            "stderr.\n" SAMSA_CLI_EXIT_TEXT);
}

typedef struct produce_args {
    samsa_cli_conn_opts_t conn;
    const char *topic, *file, *key_sep, *partitioner, *null_value;
    samsa_client_header_t headers[MAX_HEADERS];
    size_t nheaders;
    long long partition, linger, batch_size;
    int codec;
    int acks;
} produce_args_t;

static int parse_header(const char *v, samsa_client_header_t *h)
{
    const char *eq = strchr(v, '=');
    if (eq == NULL) {
        fprintf(stderr, "samsa produce: --header needs KEY=VALUE\n");
        return -1;
    }
    h->key = v;
    h->key_len = (size_t)(eq - v);
    h->value = eq + 1;
    h->value_len = strlen(eq + 1);
    return 0;
}

static int parse_one(int argc, char **argv, int *i, produce_args_t *a)
{
    const char *v = NULL;
    int r;

    if ((r = samsa_cli_conn_opt(argc, argv, i, &a->conn)) != 0) {
        return r;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--topic", &a->topic)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-t", &a->topic)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "--file", &a->file)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-f", &a->file)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "--key-separator", &a->key_sep)) !=
            0 ||
        (r = samsa_cli_opt(argc, argv, i, "-K", &a->key_sep)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "--partitioner", &a->partitioner)) !=
            0 ||
        (r = samsa_cli_opt(argc, argv, i, "--null-value", &a->null_value)) !=
            0) {
        return r;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--header", &v)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-H", &v)) != 0) {
        if (r < 0 || a->nheaders >= MAX_HEADERS ||
            parse_header(v, &a->headers[a->nheaders]) < 0) {
            return -1;
        }
        a->nheaders++;
        return 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--partition", &v)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-p", &v)) != 0) {
        return r < 0 || !samsa_cli_int("produce", "--partition", v, 0,
                                       INT32_MAX, &a->partition)
                   ? -1
                   : 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--linger-ms", &v)) != 0) {
        return r < 0 || !samsa_cli_int("produce", "--linger-ms", v, 0, 3600000,
                                       &a->linger)
                   ? -1
                   : 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--batch-size", &v)) != 0) {
        return r < 0 || !samsa_cli_int("produce", "--batch-size", v, 1, 1 << 30,
                                       &a->batch_size)
                   ? -1
                   : 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--compression", &v)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-z", &v)) != 0) {
        if (r < 0 || (a->codec = samsa_cli_codec_id(v)) < 0) {
            fprintf(stderr, "samsa produce: unknown compression '%s'\n",
                    r < 0 ? "" : v);
            return -1;
        }
        return 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--acks", &v)) != 0) {
        if (r < 0) {
            return -1;
        }
        if (strcmp(v, "all") == 0 || strcmp(v, "-1") == 0) {
            a->acks = -1;
        } else if (strcmp(v, "0") == 0 || strcmp(v, "1") == 0) {
            a->acks = v[0] - '0';
        } else {
            fprintf(stderr, "samsa produce: --acks must be 0, 1 or all\n");
            return -1;
        }
        return 1;
    }
    fprintf(stderr, "samsa produce: unexpected argument '%s'\n", argv[*i]);
    return -1;
}

/* Set up the producer: plugins, partitioner, codec. */
static int make_producer(produce_args_t *a, samsa_client_t *c,
                         samsa_registry_t **reg, samsa_producer_t **p)
{
    samsa_producer_conf_t conf;
    int rc;

    samsa_producer_conf_init(&conf);
    conf.acks = (int16_t)a->acks;
    if (a->linger >= 0) {
        conf.linger_ms = (int)a->linger;
    }
    if (a->batch_size > 0) {
        conf.batch_size = (size_t)a->batch_size;
    }
    conf.codec = a->codec;
    if (a->partition < 0 || a->codec != 0) {
        if ((rc = samsa_cli_registry("produce", &a->conn.paths, reg)) !=
            SAMSA_EXIT_OK) {
            return rc;
        }
    }
    if (a->partition < 0) {
        const samsa_registry_entry_t *e =
            samsa_registry_find(*reg, SAMSA_KIND_PARTITIONER, a->partitioner);
        if (e == NULL) {
            fprintf(stderr,
                    "samsa produce: no partitioner instance '%s' in the conf "
                    "dir (see `samsa plugin list`)\n",
                    a->partitioner);
            return SAMSA_EXIT_USAGE;
        }
        conf.partitioner = samsa_entry_partitioner_ops(e);
        conf.partitioner_state = e->state;
    }
    if (a->codec != 0) {
        void *state = NULL;
        conf.codec_ops = samsa_cli_codec_lookup(*reg, a->codec, &state);
        conf.codec_state = state;
        if (conf.codec_ops == NULL) {
            fprintf(stderr,
                    "samsa produce: no codec plugin for compression "
                    "type %d in the conf dir\n",
                    a->codec);
            return SAMSA_EXIT_ERROR;
        }
    }
    if (samsa_producer_new(c, &conf, p) != SAMSA_OK) {
        fprintf(stderr, "samsa produce: out of memory\n");
        return SAMSA_EXIT_ERROR;
    }
    return SAMSA_EXIT_OK;
}

static int produce_lines(produce_args_t *a, samsa_client_t *c,
                         samsa_producer_t *p, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    size_t seplen = a->key_sep ? strlen(a->key_sep) : 0;
    int rc = SAMSA_EXIT_OK;

    while ((n = getline(&line, &cap, in)) >= 0) {
        const char *key = NULL, *value = line;
        int32_t klen = -1, vlen;
        lineno++;
        if (n > 0 && line[n - 1] == '\n') {
            line[--n] = '\0';
        }
        if (n > 0 && line[n - 1] == '\r') {
            line[--n] = '\0';
        }
        vlen = (int32_t)n;
        if (seplen > 0) {
            char *sep = strstr(line, a->key_sep);
            if (sep == NULL) {
                fprintf(stderr,
                        "samsa produce: line %ld has no key separator '%s'\n",
                        lineno, a->key_sep);
                rc = SAMSA_EXIT_ERROR;
                break;
            }
            key = line;
            klen = (int32_t)(sep - line);
            value = sep + seplen;
            vlen = (int32_t)(n - klen - (ssize_t)seplen);
        }
        if (a->null_value != NULL && strcmp(value, a->null_value) == 0) {
            value = NULL;
            vlen = -1;
        }
        if (samsa_producer_produce(p, a->topic, (int32_t)a->partition, key,
                                   klen, value, vlen, a->headers, a->nheaders,
                                   -1) != SAMSA_OK) {
            rc = samsa_cli_client_error("produce", c);
            break;
        }
    }
    free(line);
    if (samsa_producer_flush(p) != SAMSA_OK && rc == SAMSA_EXIT_OK) {
        rc = samsa_cli_client_error("produce", c);
    }
    return rc;
}

static int produce_run(int argc, char **argv)
{
    produce_args_t a;
    samsa_client_t *c = NULL;
    samsa_registry_t *reg = NULL;
    samsa_producer_t *p = NULL;
    FILE *in = stdin;
    int rc;

    memset(&a, 0, sizeof(a));
    samsa_cli_conn_opts_init(&a.conn);
    a.partition = -1;
    a.linger = -1;
    a.acks = -1;
    a.partitioner = "hash";
    for (int i = 1; i < argc; i++) {
        if (samsa_cli_is_help(argv[i])) {
            produce_usage(stdout);
            return SAMSA_EXIT_OK;
        }
        if (parse_one(argc, argv, &i, &a) < 0) {
            produce_usage(stderr);
            return SAMSA_EXIT_USAGE;
        }
    }
    if (a.topic == NULL) {
        fprintf(stderr, "samsa produce: --topic is required\n");
        produce_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if (a.key_sep != NULL && a.key_sep[0] == '\0') {
        fprintf(stderr, "samsa produce: empty --key-separator\n");
        return SAMSA_EXIT_USAGE;
    }
    if (a.file != NULL && (in = fopen(a.file, "r")) == NULL) {
        perror(a.file);
        return SAMSA_EXIT_ERROR;
    }
    rc = samsa_cli_client("produce", &a.conn, &c);
    if (rc == SAMSA_EXIT_OK) {
        rc = make_producer(&a, c, &reg, &p);
    }
    if (rc == SAMSA_EXIT_OK) {
        rc = produce_lines(&a, c, p, in);
    }
    samsa_producer_free(p);
    samsa_client_free(c);
    samsa_registry_shutdown(reg);
    if (in != stdin) {
        fclose(in);
    }
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_produce = {
    .name = "produce",
    .summary = "write records read from stdin or a file",
    .run = produce_run,
};
