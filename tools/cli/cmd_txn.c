/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_txn.c - `samsa txn list|describe|abort`, as Kafka's
 * kafka-transactions.sh: ListTransactions (the --hung form asks for Ongoing
 * transactions open longer than --max-age-ms), DescribeTransactions, and
 * abort of a hung transaction with WriteTxnMarkers on one partition (its
 * producer found with DescribeProducers when given --start-offset).
 */
#include <inttypes.h>
#include <string.h>

#include "cmd_client.h"
#include "protocol/generated/messages.h"
#include "util/err.h"

/* transaction.max.timeout.ms: no transaction may stay open longer. */
#define DEFAULT_HUNG_MS 900000

typedef struct txn_args {
    samsa_cli_conn_opts_t conn;
    const char *id;
    bool hung;
    long long max_age_ms;
    const char *topic;
    long long partition, pid, epoch, coord_epoch, start_offset;
} txn_args_t;

static void txn_usage(FILE *out)
{
    fprintf(out,
            "usage: samsa txn list [--hung [--max-age-ms N]] [options]\n"
            "       samsa txn describe TRANSACTIONAL_ID [options]\n"
            "       samsa txn abort --topic T --partition P "
            "(--start-offset O |\n"
            "                       --producer-id ID --producer-epoch E "
            "[--coordinator-epoch C])\n"
            "\n"
            "list      transactional ids, producer ids and states; --hung "
            "only the\n"
            "          Ongoing transactions open longer than --max-age-ms "
            "(default %d)\n"
            "describe  state, producer, timeout, start time and partitions "
            "of one id\n"
            "abort     write an abort marker to one partition for a hung "
            "transaction:\n"
            "          the producer whose open transaction starts at "
            "--start-offset\n"
            "          (DescribeProducers), or the given producer id and "
            "epoch\n"
            "\n" SAMSA_CLI_CONN_HELP "\n" SAMSA_CLI_EXIT_TEXT,
            DEFAULT_HUNG_MS);
}

/* 1 handled, 0 not this option, -1 bad value (printed). */
static int int_opt(int argc, char **argv, int *i, const char *name,
                   long long min, long long max, long long *out)
{
    const char *v = NULL;
    int r = samsa_cli_opt(argc, argv, i, name, &v);
    if (r > 0 && !samsa_cli_int("txn", name, v, min, max, out)) {
        return -1;
    }
    return r;
}

static int parse(int argc, char **argv, txn_args_t *a)
{
    memset(a, 0, sizeof(*a));
    samsa_cli_conn_opts_init(&a->conn);
    a->max_age_ms = DEFAULT_HUNG_MS;
    a->partition = a->pid = a->epoch = a->start_offset = -1;
    for (int i = 2; i < argc; i++) {
        int r;
        if (samsa_cli_is_help(argv[i])) {
            txn_usage(stdout);
            return 1;
        }
        if ((r = samsa_cli_conn_opt(argc, argv, &i, &a->conn)) != 0 ||
            (r = samsa_cli_opt(argc, argv, &i, "--topic", &a->topic)) != 0 ||
            (r = int_opt(argc, argv, &i, "--max-age-ms", 0, INT64_MAX,
                         &a->max_age_ms)) != 0 ||
            (r = int_opt(argc, argv, &i, "--partition", 0, INT32_MAX,
                         &a->partition)) != 0 ||
            (r = int_opt(argc, argv, &i, "--producer-id", 0, INT64_MAX,
                         &a->pid)) != 0 ||
            (r = int_opt(argc, argv, &i, "--producer-epoch", 0, INT16_MAX,
                         &a->epoch)) != 0 ||
            (r = int_opt(argc, argv, &i, "--coordinator-epoch", 0, INT32_MAX,
                         &a->coord_epoch)) != 0 ||
            (r = int_opt(argc, argv, &i, "--start-offset", 0, INT64_MAX,
                         &a->start_offset)) != 0) {
            if (r < 0) {
                return -1;
            }
        } else if (strcmp(argv[i], "--hung") == 0) {
            a->hung = true;
        } else if (argv[i][0] != '-' && !a->id) {
            a->id = argv[i];
        } else {
            fprintf(stderr, "samsa txn: unexpected '%s'\n", argv[i]);
            return -1;
        }
    }
    return 0;
}

/* ListTransactions of one broker: its rows appended to *out. */
static int list_one(samsa_client_t *c, int32_t node, const txn_args_t *a,
                    samsa_arena_t *arena,
                    const samsa_ListTransactionsResponse_t **out)
{
    samsa_ListTransactionsRequest_t req;
    samsa_ListTransactionsRequest_init(&req);
    samsa_str_t ongoing = SAMSA_STR("Ongoing");
    req.DurationFilter = -1;
    if (a->hung) {
        req.StateFilters.items = &ongoing;
        req.StateFilters.count = 1;
        req.DurationFilter = a->max_age_ms;
    }
    samsa_ListTransactionsResponse_t *resp = NULL;
    int16_t version = 0;
    if (samsa_client_call(c, node, SAMSA_API_LIST_TRANSACTIONS, &req, arena,
                          (void **)&resp, &version) != SAMSA_OK) {
        return samsa_cli_client_error("txn list", c);
    }
    if (a->hung && version < 1) {
        /* v0 has no duration filter: every Ongoing one would show. */
        fprintf(stderr, "samsa txn list: the broker cannot filter by age "
                        "(ListTransactions v1)\n");
        return SAMSA_EXIT_ERROR;
    }
    if (resp->ErrorCode != 0) {
        fprintf(stderr, "samsa txn list: broker %d: %s\n", (int)node,
                samsa_err_name(resp->ErrorCode));
        return SAMSA_EXIT_ERROR;
    }
    *out = resp;
    return SAMSA_EXIT_OK;
}

/* As kafka-transactions.sh list: every broker coordinates the ids of the
 * __transaction_state partitions it leads, so each is asked. */
static int do_list(samsa_client_t *c, const txn_args_t *a)
{
    samsa_metadata_t *md = NULL;
    if (samsa_client_metadata(c, NULL, 0, false, &md) != SAMSA_OK) {
        return samsa_cli_client_error("txn list", c);
    }
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    int rc = SAMSA_EXIT_OK;
    printf("TRANSACTIONAL_ID\tPRODUCER_ID\tSTATE\n");
    for (int32_t b = 0; rc == SAMSA_EXIT_OK && b < md->nbrokers; b++) {
        const samsa_ListTransactionsResponse_t *resp = NULL;
        rc = list_one(c, md->brokers[b].id, a, &arena, &resp);
        for (int32_t i = 0; resp && i < resp->TransactionStates.count; i++) {
            const samsa_ListTransactionsResponse_TransactionState_t *ts =
                &resp->TransactionStates.items[i];
            printf("%.*s\t%" PRId64 "\t%.*s\n", (int)ts->TransactionalId.len,
                   ts->TransactionalId.ptr, ts->ProducerId,
                   (int)ts->TransactionState.len, ts->TransactionState.ptr);
        }
    }
    samsa_metadata_free(md);
    samsa_arena_destroy(&arena);
    return rc;
}

static int do_describe(samsa_client_t *c, const txn_args_t *a)
{
    samsa_DescribeTransactionsRequest_t req;
    samsa_DescribeTransactionsRequest_init(&req);
    samsa_str_t id = samsa_str_from_cstr(a->id);
    req.TransactionalIds.items = &id;
    req.TransactionalIds.count = 1;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_DescribeTransactionsResponse_t *resp = NULL;
    int rc = SAMSA_EXIT_OK;
    int32_t node = SAMSA_NODE_ANY;
    /* The id's transaction coordinator, as kafka-transactions.sh asks. */
    if (samsa_client_txn_coordinator(c, a->id, &node) != SAMSA_OK ||
        samsa_client_call(c, node, SAMSA_API_DESCRIBE_TRANSACTIONS, &req,
                          &arena, (void **)&resp, NULL) != SAMSA_OK) {
        rc = samsa_cli_client_error("txn describe", c);
    } else if (resp->TransactionStates.count != 1) {
        fprintf(stderr, "samsa txn describe: unexpected response\n");
        rc = SAMSA_EXIT_ERROR;
    } else if (resp->TransactionStates.items[0].ErrorCode != 0) {
        fprintf(stderr, "samsa txn describe: %s: %s\n", a->id,
                samsa_err_name(resp->TransactionStates.items[0].ErrorCode));
        rc = SAMSA_EXIT_ERROR;
    } else {
        const samsa_DescribeTransactionsResponse_TransactionState_t *ts =
            &resp->TransactionStates.items[0];
        printf("TransactionalId: %s\nState: %.*s\nProducerId: %" PRId64
               "\nProducerEpoch: %d\nTimeoutMs: %d\nStartTimeMs: %" PRId64
               "\nPartitions:",
               a->id, (int)ts->TransactionState.len, ts->TransactionState.ptr,
               ts->ProducerId, ts->ProducerEpoch, ts->TransactionTimeoutMs,
               ts->TransactionStartTimeMs);
        for (int32_t t = 0; t < ts->Topics.count; t++) {
            const samsa_DescribeTransactionsResponse_TopicData_t *td =
                &ts->Topics.items[t];
            for (int32_t p = 0; p < td->Partitions.count; p++) {
                printf(" %.*s-%d", (int)td->Topic.len, td->Topic.ptr,
                       td->Partitions.items[p]);
            }
        }
        printf("\n");
    }
    samsa_arena_destroy(&arena);
    return rc;
}

/* The producer whose open transaction on the partition starts at
 * a->start_offset: fills pid, epoch, coordinator epoch. */
static int find_producer(samsa_client_t *c, int32_t node, txn_args_t *a)
{
    samsa_DescribeProducersRequest_t req;
    samsa_DescribeProducersRequest_TopicRequest_t t;
    samsa_DescribeProducersRequest_init(&req);
    samsa_DescribeProducersRequest_TopicRequest_init(&t);
    int32_t part = (int32_t)a->partition;
    t.Name = samsa_str_from_cstr(a->topic);
    t.PartitionIndexes.items = &part;
    t.PartitionIndexes.count = 1;
    req.Topics.items = &t;
    req.Topics.count = 1;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_DescribeProducersResponse_t *resp = NULL;
    int rc = SAMSA_EXIT_ERROR;
    if (samsa_client_call(c, node, SAMSA_API_DESCRIBE_PRODUCERS, &req, &arena,
                          (void **)&resp, NULL) != SAMSA_OK) {
        rc = samsa_cli_client_error("txn abort", c);
    } else if (resp->Topics.count != 1 ||
               resp->Topics.items[0].Partitions.count != 1) {
        fprintf(stderr, "samsa txn abort: unexpected response\n");
    } else if (resp->Topics.items[0].Partitions.items[0].ErrorCode != 0) {
        fprintf(stderr, "samsa txn abort: %s-%d: %s\n", a->topic, part,
                samsa_err_name(
                    resp->Topics.items[0].Partitions.items[0].ErrorCode));
    } else {
        const samsa_DescribeProducersResponse_PartitionResponse_t *pr =
            &resp->Topics.items[0].Partitions.items[0];
        for (int32_t i = 0; i < pr->ActiveProducers.count; i++) {
            const samsa_DescribeProducersResponse_ProducerState_t *ps =
                &pr->ActiveProducers.items[i];
            if (ps->CurrentTxnStartOffset == a->start_offset) {
                a->pid = ps->ProducerId;
                a->epoch = ps->ProducerEpoch;
                a->coord_epoch = ps->CoordinatorEpoch;
                rc = SAMSA_EXIT_OK;
            }
        }
        if (rc != SAMSA_EXIT_OK) {
            fprintf(stderr,
                    "samsa txn abort: no open transaction starts at offset "
                    "%lld of %s-%d\n",
                    a->start_offset, a->topic, part);
        }
    }
    samsa_arena_destroy(&arena);
    return rc;
}

static int do_abort(samsa_client_t *c, txn_args_t *a)
{
    samsa_metadata_t *md = NULL;
    const char *topics[] = {a->topic};
    if (samsa_client_metadata(c, topics, 1, false, &md) != SAMSA_OK) {
        return samsa_cli_client_error("txn abort", c);
    }
    const samsa_md_topic_t *mt = samsa_metadata_topic(md, a->topic);
    int32_t node = -1;
    for (int32_t i = 0; mt && i < mt->npartitions; i++) {
        if (mt->partitions[i].id == a->partition) {
            node = mt->partitions[i].leader;
        }
    }
    samsa_metadata_free(md);
    if (node < 0) {
        fprintf(stderr,
                "samsa txn abort: %s-%lld: no such partition or no "
                "leader\n",
                a->topic, a->partition);
        return SAMSA_EXIT_ERROR;
    }
    int rc;
    if (a->start_offset >= 0 &&
        (rc = find_producer(c, node, a)) != SAMSA_EXIT_OK) {
        return rc;
    }
    samsa_WriteTxnMarkersRequest_t req;
    samsa_WriteTxnMarkersRequest_WritableTxnMarker_t m;
    samsa_WriteTxnMarkersRequest_WritableTxnMarkerTopic_t t;
    samsa_WriteTxnMarkersRequest_init(&req);
    samsa_WriteTxnMarkersRequest_WritableTxnMarker_init(&m);
    samsa_WriteTxnMarkersRequest_WritableTxnMarkerTopic_init(&t);
    int32_t part = (int32_t)a->partition;
    t.Name = samsa_str_from_cstr(a->topic);
    t.PartitionIndexes.items = &part;
    t.PartitionIndexes.count = 1;
    m.ProducerId = a->pid;
    m.ProducerEpoch = (int16_t)a->epoch;
    m.CoordinatorEpoch = (int32_t)a->coord_epoch;
    m.TransactionResult = false; /* abort */
    m.Topics.items = &t;
    m.Topics.count = 1;
    req.Markers.items = &m;
    req.Markers.count = 1;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_WriteTxnMarkersResponse_t *resp = NULL;
    rc = SAMSA_EXIT_ERROR;
    if (samsa_client_call(c, node, SAMSA_API_WRITE_TXN_MARKERS, &req, &arena,
                          (void **)&resp, NULL) != SAMSA_OK) {
        rc = samsa_cli_client_error("txn abort", c);
    } else if (resp->Markers.count != 1 ||
               resp->Markers.items[0].Topics.count != 1 ||
               resp->Markers.items[0].Topics.items[0].Partitions.count != 1) {
        fprintf(stderr, "samsa txn abort: unexpected response\n");
    } else {
        int16_t e = resp->Markers.items[0]
                        .Topics.items[0]
                        .Partitions.items[0]
                        .ErrorCode;
        if (e != 0) {
            fprintf(stderr, "samsa txn abort: %s-%d: %s\n", a->topic, part,
                    samsa_err_name(e));
        } else {
            printf("aborted producer %lld epoch %lld on %s-%d\n", a->pid,
                   a->epoch, a->topic, part);
            rc = SAMSA_EXIT_OK;
        }
    }
    samsa_arena_destroy(&arena);
    return rc;
}

static int txn_run(int argc, char **argv)
{
    txn_args_t a;
    samsa_client_t *c = NULL;
    if (argc < 2 || samsa_cli_is_help(argv[1])) {
        txn_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    int rc = parse(argc, argv, &a);
    if (rc != 0) {
        if (rc < 0) {
            txn_usage(stderr);
        }
        return rc < 0 ? SAMSA_EXIT_USAGE : SAMSA_EXIT_OK;
    }
    const char *sub = argv[1];
    bool is_list = strcmp(sub, "list") == 0;
    bool is_desc = strcmp(sub, "describe") == 0;
    bool is_abort = strcmp(sub, "abort") == 0;
    bool by_producer = a.pid >= 0 && a.epoch >= 0;
    if ((!is_list && !is_desc && !is_abort) || (is_list && a.id) ||
        (is_desc && !a.id) || (is_abort && a.id) ||
        (is_abort && (!a.topic || a.partition < 0 ||
                      by_producer == (a.start_offset >= 0)))) {
        txn_usage(stderr);
        return SAMSA_EXIT_USAGE;
    }
    if ((rc = samsa_cli_client("txn", &a.conn, &c)) != SAMSA_EXIT_OK) {
        return rc;
    }
    rc = is_list   ? do_list(c, &a)
         : is_desc ? do_describe(c, &a)
                   : do_abort(c, &a);
    samsa_client_free(c);
    return rc;
}

const samsa_cli_cmd_t samsa_cli_cmd_txn = {
    .name = "txn",
    .summary = "list, describe or abort (hung) transactions",
    .run = txn_run,
};
