/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_consume.c - `samsa consume`: print records, optionally as
 * a member of a consumer group (offsets committed on the way out).
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_client.h"
#include "records_v2.h"
#include "util/err.h"
#include "util/clock.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void consume_usage(FILE *out)
{
    fprintf(out,
            "usage: samsa consume --topic T [options]\n"
            "\n"
            "  -t, --topic T          topic to read (required)\n"
            "  -p, --partition N      only partition N (default: all)\n"
            "  --from-beginning       start at the first offset (default: "
            "the end; with\n"
            "                         --group, where no offset was "
            "committed)\n"
            "  -o, --offset N         start at offset N (needs --partition)\n"
            "  -g, --group G          consume as a member of group G "
            "(range assignor);\n"
            "                         offsets are committed every second "
            "and at exit\n"
            "  -n, --max-messages N   exit after N records\n"
            "  -e, --exit-at-end      exit when every partition is read "
            "to its end\n"
            "  --timeout-ms N         exit after N ms without a record\n"
            "  --format F             value (default), key-value, json\n"
            "  -K, --key-separator S  between key and value for key-value "
            "(default ':')\n" SAMSA_CLI_CONN_HELP
            "\njson prints one object a line: topic, partition, offset, "
            "timestamp,\ntimestamp_type, key, value (strings or null), "
            "headers ([{key, value}]).\n" SAMSA_CLI_EXIT_TEXT);
}

enum { FMT_VALUE, FMT_KEY_VALUE, FMT_JSON };

typedef struct consume_args {
    samsa_cli_conn_opts_t conn;
    const char *topic, *group, *key_sep;
    long long partition, offset, max, idle_ms;
    bool from_beginning, exit_at_end;
    int format;
} consume_args_t;

typedef struct consume_state {
    consume_args_t *a;
    long long seen;
    int64_t last_record_ms;
} consume_state_t;

static int parse_one(int argc, char **argv, int *i, consume_args_t *a)
{
    const char *v = NULL;
    int r;

    if ((r = samsa_cli_conn_opt(argc, argv, i, &a->conn)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "--topic", &a->topic)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-t", &a->topic)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "--group", &a->group)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-g", &a->group)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "--key-separator", &a->key_sep)) !=
            0 ||
        (r = samsa_cli_opt(argc, argv, i, "-K", &a->key_sep)) != 0) {
        return r;
    }
    if (strcmp(argv[*i], "--from-beginning") == 0) {
        a->from_beginning = true;
        return 1;
    }
    if (strcmp(argv[*i], "--exit-at-end") == 0 || strcmp(argv[*i], "-e") == 0) {
        a->exit_at_end = true;
        return 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--partition", &v)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-p", &v)) != 0) {
        return r < 0 || !samsa_cli_int("consume", "--partition", v, 0,
                                       INT32_MAX, &a->partition)
                   ? -1
                   : 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--offset", &v)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-o", &v)) != 0) {
        return r < 0 || !samsa_cli_int("consume", "--offset", v, 0, INT64_MAX,
                                       &a->offset)
                   ? -1
                   : 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--max-messages", &v)) != 0 ||
        (r = samsa_cli_opt(argc, argv, i, "-n", &v)) != 0) {
        return r < 0 || !samsa_cli_int("consume", "--max-messages", v, 1,
                                       INT64_MAX, &a->max)
                   ? -1
                   : 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--timeout-ms", &v)) != 0) {
        return r < 0 || !samsa_cli_int("consume", "--timeout-ms", v, 1,
                                       INT64_MAX, &a->idle_ms)
                   ? -1
                   : 1;
    }
    if ((r = samsa_cli_opt(argc, argv, i, "--format", &v)) != 0) {
        if (r < 0) {
            return -1;
        }
        if (strcmp(v, "value") == 0) {
            a->format = FMT_VALUE;
        } else if (strcmp(v, "key-value") == 0 || strcmp(v, "key:value") == 0) {
            a->format = FMT_KEY_VALUE;
        } else if (strcmp(v, "json") == 0) {
            a->format = FMT_JSON;
        } else {
            fprintf(stderr, "samsa consume: unknown format '%s'\n", v);
            return -1;
        }
        return 1;
    }
    fprintf(stderr, "samsa consume: unexpected argument '%s'\n", argv[*i]);
    return -1;
}

static void json_bytes_or_null(FILE *out, const void *p, int32_t len)
{
    if (p == NULL || len < 0) {
        fputs("null", out);
    } else {
        samsa_cli_json_str(out, p, (size_t)len);
    }
}

static void print_json(const samsa_client_record_t *r)
{
    const uint8_t *hp = r->headers, *hend = r->headers + r->headers_len;
    samsa_record_header_t h;

    fputs("{\"topic\":", stdout);
    samsa_cli_json_str(stdout, r->topic, strlen(r->topic));
    printf(",\"partition\":%d,\"offset\":%" PRId64 ",\"timestamp\":%" PRId64
           ",\"timestamp_type\":\"%s\",\"key\":",
           r->partition, r->offset, r->timestamp,
           r->timestamp_type ? "LogAppendTime" : "CreateTime");
    json_bytes_or_null(stdout, r->key, r->key_len);
    fputs(",\"value\":", stdout);
    json_bytes_or_null(stdout, r->value, r->value_len);
    fputs(",\"headers\":[", stdout);
    for (int32_t i = 0; i < r->header_count; i++) {
        if (samsa_record_header_next(&hp, hend, &h) != SAMSA_OK) {
            break;
        }
        fputs(i ? ",{\"key\":" : "{\"key\":", stdout);
        samsa_cli_json_str(stdout, h.key, (size_t)h.key_len);
        fputs(",\"value\":", stdout);
        json_bytes_or_null(stdout, h.value, h.value_len);
        fputc('}', stdout);
    }
    fputs("]}\n", stdout);
}

static int on_record(void *opaque, const samsa_client_record_t *r)
{
    consume_state_t *st = opaque;
    const consume_args_t *a = st->a;

    if (a->format == FMT_JSON) {
        print_json(r);
    } else {
        if (a->format == FMT_KEY_VALUE) {
            if (r->key != NULL) {
                fwrite(r->key, 1, (size_t)r->key_len, stdout);
            }
            fputs(a->key_sep, stdout);
        }
        if (r->value != NULL) {
            fwrite(r->value, 1, (size_t)r->value_len, stdout);
        }
        fputc('\n', stdout);
    }
    st->seen++;
    st->last_record_ms = samsa_mono_ms();
    return a->max > 0 && st->seen >= a->max;
}

/* Positions for every partition of the topic (or the one asked for). */
static int make_positions(consume_args_t *a, samsa_client_t *c,
                          const samsa_md_topic_t *t, samsa_fetch_pos_t **pos,
                          int *npos)
{
    *pos = calloc((size_t)t->npartitions + 1, sizeof(**pos));
    *npos = 0;
    if (*pos == NULL) {
        return SAMSA_EXIT_ERROR;
    }
    for (int32_t i = 0; i < t->npartitions; i++) {
        const samsa_md_partition_t *mp = &t->partitions[i];
        if (a->partition >= 0 && mp->id != a->partition) {
            continue;
        }
        samsa_fetch_pos_t *p = &(*pos)[(*npos)++];
        p->topic = t->name;
        p->partition = mp->id;
        p->high_watermark = -1;
        if (a->offset >= 0) {
            p->offset = a->offset;
        } else if (samsa_client_list_offset(c, t->name, mp->id, mp->leader,
                                            a->from_beginning
                                                ? SAMSA_OFFSET_BEGINNING
                                                : SAMSA_OFFSET_END,
                                            &p->offset) != SAMSA_OK) {
            return samsa_cli_client_error("consume", c);
        }
    }
    if (*npos == 0) {
        fprintf(stderr, "samsa consume: topic %s has no partition %lld\n",
                t->name, a->partition);
        return SAMSA_EXIT_ERROR;
    }
    return SAMSA_EXIT_OK;
}

/* Group mode: positions from the assignment and committed offsets. */
static int group_positions(consume_args_t *a, samsa_client_t *c,
                           const samsa_metadata_t *md, samsa_client_member_t *m,
                           samsa_fetch_pos_t **pos, int *npos)
{
    int64_t *committed = NULL;
    free(*pos);
    *pos = calloc((size_t)m->nassigned + 1, sizeof(**pos));
    committed = calloc((size_t)m->nassigned + 1, sizeof(int64_t));
    *npos = 0;
    if (*pos == NULL || committed == NULL) {
        free(committed);
        return SAMSA_EXIT_ERROR;
    }
    if (m->nassigned > 0 &&
        samsa_client_committed(c, a->group, m->assigned, committed,
                               m->nassigned) != SAMSA_OK) {
        free(committed);
        return samsa_cli_client_error("consume", c);
    }
    const samsa_md_topic_t *t = samsa_metadata_topic(md, a->topic);
    for (int i = 0; i < m->nassigned; i++) {
        samsa_fetch_pos_t *p = &(*pos)[(*npos)++];
        int32_t leader = -1;
        p->topic = t->name;
        p->partition = m->assigned[i].partition;
        p->high_watermark = -1;
        p->offset = committed[i];
        for (int32_t k = 0; k < t->npartitions; k++) {
            if (t->partitions[k].id == p->partition) {
                leader = t->partitions[k].leader;
            }
        }
        if (p->offset < 0 &&
            samsa_client_list_offset(c, t->name, p->partition, leader,
                                     a->from_beginning ? SAMSA_OFFSET_BEGINNING
                                                       : SAMSA_OFFSET_END,
                                     &p->offset) != SAMSA_OK) {
            free(committed);
            return samsa_cli_client_error("consume", c);
        }
    }
    free(committed);
    return SAMSA_EXIT_OK;
}

static int commit_positions(consume_args_t *a, samsa_client_t *c,
                            const samsa_client_member_t *m,
                            const samsa_fetch_pos_t *pos, int npos)
{
    samsa_tp_t *tps = calloc((size_t)npos + 1, sizeof(*tps));
    int64_t *offs = calloc((size_t)npos + 1, sizeof(int64_t));
    int rc = SAMSA_EXIT_OK;

    if (tps == NULL || offs == NULL) {
        rc = SAMSA_EXIT_ERROR;
    }
    for (int i = 0; rc == SAMSA_EXIT_OK && i < npos; i++) {
        tps[i].topic = (char *)pos[i].topic;
        tps[i].partition = pos[i].partition;
        offs[i] = pos[i].offset;
    }
    if (rc == SAMSA_EXIT_OK && npos > 0 &&
        samsa_client_commit(c, a->group, m, tps, offs, npos) != SAMSA_OK) {
        rc = samsa_cli_client_error("consume", c);
    }
    free(tps);
    free(offs);
    return rc;
}

static bool all_at_end(const samsa_fetch_pos_t *pos, int npos)
{
    for (int i = 0; i < npos; i++) {
        if (pos[i].high_watermark < 0 ||
            pos[i].offset < pos[i].high_watermark) {
            return false;
        }
    }
    return true;
}

static int consume_loop(consume_args_t *a, samsa_client_t *c,
                        samsa_registry_t *reg, samsa_metadata_t *md)
{
    samsa_fetch_conf_t fc;
    samsa_fetch_pos_t *pos = NULL;
    samsa_client_member_t m;
    consume_state_t st = {.a = a, .last_record_ms = samsa_mono_ms()};
    int64_t last_commit = samsa_mono_ms();
    int npos = 0, rc;
    const char *topics[1] = {a->topic};

    memset(&m, 0, sizeof(m));
    samsa_fetch_conf_init(&fc);
    fc.codec = samsa_cli_codec_lookup;
    fc.codec_arg = reg;
    if (a->idle_ms > 0 && a->idle_ms < fc.max_wait_ms) {
        fc.max_wait_ms = (int)a->idle_ms;
    }
    if (a->group != NULL) {
        if (samsa_client_join(c, &m, a->group, topics, 1) != SAMSA_OK) {
            return samsa_cli_client_error("consume", c);
        }
        rc = group_positions(a, c, md, &m, &pos, &npos);
    } else {
        rc = make_positions(a, c, samsa_metadata_topic(md, a->topic), &pos,
                            &npos);
    }
    while (rc == SAMSA_EXIT_OK && !stop_flag) {
        if (npos > 0 && samsa_client_fetch(c, md, &fc, pos, npos, on_record,
                                           &st) != SAMSA_OK) {
            rc = samsa_cli_client_error("consume", c);
            break;
        }
        fflush(stdout);
        for (int i = 0; i < npos; i++) {
            if (pos[i].error == SAMSA_ERR_OFFSET_OUT_OF_RANGE) {
                fprintf(stderr,
                        "samsa consume: %s/%d: offset %" PRId64
                        " out of range\n",
                        pos[i].topic, pos[i].partition, pos[i].offset);
                rc = SAMSA_EXIT_ERROR;
            }
        }
        if ((a->max > 0 && st.seen >= a->max) ||
            (a->exit_at_end && all_at_end(pos, npos)) ||
            (a->idle_ms > 0 &&
             samsa_mono_ms() - st.last_record_ms >= a->idle_ms)) {
            break;
        }
        if (npos == 0 && a->group == NULL) {
            break;
        }
        if (a->group != NULL) {
            if (samsa_mono_ms() - last_commit >= 1000) {
                rc = commit_positions(a, c, &m, pos, npos);
                last_commit = samsa_mono_ms();
            }
            samsa_err_t err = samsa_client_heartbeat(&m, false);
            if (err == SAMSA_ERR_REBALANCE_IN_PROGRESS) {
                commit_positions(a, c, &m, pos, npos);
                if (samsa_client_join(c, &m, a->group, topics, 1) != SAMSA_OK) {
                    rc = samsa_cli_client_error("consume", c);
                    break;
                }
                rc = group_positions(a, c, md, &m, &pos, &npos);
            } else if (err != SAMSA_OK) {
                rc = samsa_cli_client_error("consume", c);
            }
        }
    }
    if (a->group != NULL) {
        if (m.member_id != NULL && rc == SAMSA_EXIT_OK) {
            rc = commit_positions(a, c, &m, pos, npos);
        }
        samsa_client_leave(&m);
    }
    free(pos);
    return rc;
}

static int consume_run(int argc, char **argv)
{
    consume_args_t a;
    samsa_client_t *c = NULL;
    samsa_registry_t *reg = NULL;
    samsa_metadata_t *md = NULL;
    struct sigaction sa;
    int rc;

    memset(&a, 0, sizeof(a));
    samsa_cli_conn_opts_init(&a.conn);
    a.partition = -1;
    a.offset = -1;
    a.key_sep = ":";
    for (int i = 1; i < argc; i++) {
        if (samsa_cli_is_help(argv[i])) {
            consume_usage(stdout);
            return SAMSA_EXIT_OK;
        }
        if (parse_one(argc, argv, &i, &a) < 0) {
            consume_usage(stderr);
            return SAMSA_EXIT_USAGE;
        }
    }
    if (a.topic == NULL || (a.offset >= 0 && a.partition < 0) ||
        (a.group != NULL && (a.partition >= 0 || a.offset >= 0))) {
        fprintf(stderr, "samsa consume: %s\n",
                a.topic == NULL ? "--topic is required"
                : a.group != NULL
                    ? "--group assigns partitions: no --partition/--offset"
                    : "--offset needs --partition");
        consume_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* Codecs are needed only for compressed batches; without plugins the
     * consumer still reads uncompressed topics. */
    if (samsa_cli_registry("consume", &a.conn.paths, &reg) != SAMSA_EXIT_OK) {
        fprintf(stderr, "samsa consume: continuing without codec plugins\n");
        reg = NULL;
    }
    rc = samsa_cli_client("consume", &a.conn, &c);
    if (rc == SAMSA_EXIT_OK &&
        samsa_client_metadata(c, &a.topic, 1, false, &md) != SAMSA_OK) {
        rc = samsa_cli_client_error("consume", c);
    }
    if (rc == SAMSA_EXIT_OK) {
        const samsa_md_topic_t *t = samsa_metadata_topic(md, a.topic);
        if (t == NULL || t->error != 0) {
            fprintf(stderr, "samsa consume: topic %s: %s\n", a.topic,
                    samsa_err_name(t ? t->error
                                     : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION));
            rc = SAMSA_EXIT_ERROR;
        }
    }
    if (rc == SAMSA_EXIT_OK) {
        rc = consume_loop(&a, c, reg, md);
    }
    samsa_metadata_free(md);
    samsa_client_free(c);
    samsa_registry_shutdown(reg);
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_consume = {
    .name = "consume",
    .summary = "print records (value, key-value or JSON), alone or in a "
               "group",
    .run = consume_run,
};
