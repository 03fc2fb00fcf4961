/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tools/cli/cmd_cluster_admin.c - `samsa cluster leaders|elect|reassign`:
 * partition leadership and replica moves, through the controller's
 * ElectLeaders, AlterPartitionReassignments and ListPartitionReassignments
 * (what kafka-leader-election.sh and kafka-reassign-partitions.sh send).
 */
#include "cmd_cluster_admin.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"

/* The controller's node id (admin requests go there). */
static int32_t controller(samsa_client_t *c)
{
    samsa_metadata_t *md = NULL;
    if (samsa_client_metadata(c, NULL, 0, false, &md) != SAMSA_OK) {
        return SAMSA_NODE_ANY;
    }
    samsa_metadata_free(md);
    return samsa_client_controller(c);
}

static void print_ids(const int32_t *ids, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        printf("%s%d", i ? "," : "", ids[i]);
    }
    if (n == 0) {
        printf("-");
    }
}

/* ------------------------------------------------------------------ */
/* Ongoing reassignments                                              */
/* ------------------------------------------------------------------ */

typedef samsa_ListPartitionReassignmentsResponse_OngoingPartitionReassignment_t
    ongoing_t;

static const ongoing_t *
ongoing_of(const samsa_ListPartitionReassignmentsResponse_t *r,
           const char *topic, int32_t partition)
{
    for (int32_t t = 0; r && t < r->Topics.count; t++) {
        if (!samsa_str_eq_cstr(r->Topics.items[t].Name, topic)) {
            continue;
        }
        for (int32_t i = 0; i < r->Topics.items[t].Partitions.count; i++) {
            if (r->Topics.items[t].Partitions.items[i].PartitionIndex ==
                partition) {
                return &r->Topics.items[t].Partitions.items[i];
            }
        }
    }
    return NULL;
}

/* ListPartitionReassignments of everything, into @p arena. */
static samsa_err_t
list_ongoing(samsa_client_t *c, samsa_arena_t *arena,
             samsa_ListPartitionReassignmentsResponse_t **out)
{
    samsa_ListPartitionReassignmentsRequest_t req;
    samsa_ListPartitionReassignmentsRequest_init(&req);
    req.Topics.count = -1;
    samsa_err_t err = samsa_client_call(c, controller(c),
                                        SAMSA_API_LIST_PARTITION_REASSIGNMENTS,
                                        &req, arena, (void **)out, NULL);
    if (err == SAMSA_OK && (*out)->ErrorCode != 0) {
        err = samsa_client_fail(c, (samsa_err_t)(*out)->ErrorCode,
                                "ListPartitionReassignments: %s",
                                samsa_err_name((*out)->ErrorCode));
    }
    return err;
}

/* ------------------------------------------------------------------ */
/* leaders                                                            */
/* ------------------------------------------------------------------ */

int samsa_cli_cluster_leaders(samsa_client_t *c, const char *topic,
                              bool under_only)
{
    samsa_metadata_t *md = NULL;
    const char *const one[] = {topic};
    if (samsa_client_metadata(c, topic ? one : NULL, topic ? 1 : 0, false,
                              &md) != SAMSA_OK) {
        return samsa_cli_client_error("cluster leaders", c);
    }
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_ListPartitionReassignmentsResponse_t *moves = NULL;
    if (list_ongoing(c, &arena, &moves) != SAMSA_OK) {
        moves = NULL; /* shown without them (an older broker) */
    }
    int rc = SAMSA_EXIT_OK;
    int32_t off_preferred = 0, offline = 0, under = 0;
    printf("TOPIC\tPARTITION\tLEADER\tREPLICAS\tISR\tNOTE\n");
    for (int32_t t = 0; t < md->ntopics; t++) {
        const samsa_md_topic_t *mt = &md->topics[t];
        if (mt->error != 0) {
            fprintf(stderr, "samsa cluster leaders: %s: %s\n", mt->name,
                    samsa_err_name(mt->error));
            rc = SAMSA_EXIT_ERROR;
            continue;
        }
        for (int32_t i = 0; i < mt->npartitions; i++) {
            const samsa_md_partition_t *p = &mt->partitions[i];
            const ongoing_t *o = ongoing_of(moves, mt->name, p->id);
            /* Replicas still joining by a reassignment do not count. */
            int32_t want = p->nreplicas - (o ? o->AddingReplicas.count : 0);
            bool short_isr = p->nisr < want;
            under += short_isr;
            if (under_only && !short_isr) {
                continue;
            }
            printf("%s\t%d\t%d\t", mt->name, p->id, p->leader);
            print_ids(p->replicas, p->nreplicas);
            printf("\t");
            print_ids(p->isr, p->nisr);
            if (p->leader < 0) {
                printf("\toffline");
                offline++;
            } else if (p->nreplicas > 0 && p->replicas[0] != p->leader) {
                printf("\tnot the preferred leader (%d)", p->replicas[0]);
                off_preferred++;
            } else {
                printf("\t-");
            }
            if (short_isr) {
                printf("; under-replicated");
            }
            if (o) {
                printf("; reassigning: adding ");
                print_ids(o->AddingReplicas.items, o->AddingReplicas.count);
                printf(" removing ");
                print_ids(o->RemovingReplicas.items, o->RemovingReplicas.count);
            }
            printf("\n");
        }
    }
    printf("%d partition(s) led elsewhere than their preferred replica, "
           "%d offline, %d under-replicated\n",
           off_preferred, offline, under);
    samsa_arena_destroy(&arena);
    samsa_metadata_free(md);
    return rc;
}

/* ------------------------------------------------------------------ */
/* elect                                                              */
/* ------------------------------------------------------------------ */

int samsa_cli_cluster_elect(samsa_client_t *c, bool unclean, const char *topic,
                            int32_t partition)
{
    samsa_ElectLeadersRequest_t req;
    samsa_ElectLeadersRequest_init(&req);
    req.ElectionType = unclean ? 1 : 0;
    samsa_ElectLeadersRequest_TopicPartitions_t tp;
    samsa_ElectLeadersRequest_TopicPartitions_init(&tp);
    samsa_metadata_t *md = NULL;
    int32_t *parts = NULL;
    req.TopicPartitions.count = -1; /* all */
    int32_t asked = partition;
    if (topic && partition >= 0) {
        /* Straight to the controller, as kafka-leader-election.sh sends
         * it: the node answering Metadata may not have applied a topic
         * the controller just created (it would say it is unknown). */
        tp.Partitions.items = &asked;
        tp.Partitions.count = 1;
    } else if (topic) {
        const char *const one[] = {topic};
        const samsa_md_topic_t *mt = NULL;
        if (samsa_client_metadata(c, one, 1, false, &md) != SAMSA_OK) {
            return samsa_cli_client_error("cluster elect", c);
        }
        mt = samsa_metadata_topic(md, topic);
        if (!mt || mt->error != 0) {
            fprintf(stderr, "samsa cluster elect: %s: %s\n", topic,
                    samsa_err_name(mt ? mt->error
                                      : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION));
            samsa_metadata_free(md);
            return SAMSA_EXIT_ERROR;
        }
        parts = calloc((size_t)mt->npartitions + 1, sizeof(int32_t));
        if (!parts) {
            samsa_metadata_free(md);
            return SAMSA_EXIT_ERROR;
        }
        for (int32_t i = 0; i < mt->npartitions; i++) {
            parts[i] = mt->partitions[i].id;
        }
        tp.Partitions.items = parts;
        tp.Partitions.count = mt->npartitions;
    }
    if (topic) {
        tp.Topic = samsa_str_from_cstr(topic);
        req.TopicPartitions.items = &tp;
        req.TopicPartitions.count = 1;
    }
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_ElectLeadersResponse_t *resp = NULL;
    int rc = SAMSA_EXIT_OK;
    const char *kind = unclean ? "unclean" : "preferred";
    if (samsa_client_call(c, controller(c), SAMSA_API_ELECT_LEADERS, &req,
                          &arena, (void **)&resp, NULL) != SAMSA_OK) {
        rc = samsa_cli_client_error("cluster elect", c);
    } else if (resp->ErrorCode != 0) {
        fprintf(stderr, "samsa cluster elect: %s\n",
                samsa_err_name(resp->ErrorCode));
        rc = SAMSA_EXIT_ERROR;
    } else {
        int elected = 0;
        for (int32_t t = 0; t < resp->ReplicaElectionResults.count; t++) {
            const samsa_ElectLeadersResponse_ReplicaElectionResult_t *tr =
                &resp->ReplicaElectionResults.items[t];
            for (int32_t i = 0; i < tr->PartitionResult.count; i++) {
                const samsa_ElectLeadersResponse_PartitionResult_t *pr =
                    &tr->PartitionResult.items[i];
                printf("%.*s-%d: ", (int)tr->Topic.len, tr->Topic.ptr,
                       pr->PartitionId);
                if (pr->ErrorCode == 0) {
                    printf("%s leader elected\n", kind);
                    elected++;
                } else if (pr->ErrorCode == SAMSA_ERR_ELECTION_NOT_NEEDED) {
                    printf("already led by a valid leader\n");
                } else {
                    printf("%s\n", samsa_err_name(pr->ErrorCode));
                    rc = SAMSA_EXIT_ERROR;
                }
            }
        }
        printf("%d %s election(s) done\n", elected, kind);
    }
    samsa_arena_destroy(&arena);
    free(parts);
    samsa_metadata_free(md);
    return rc;
}

/* ------------------------------------------------------------------ */
/* reassign                                                           */
/* ------------------------------------------------------------------ */

static int reassign_list(samsa_client_t *c)
{
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_ListPartitionReassignmentsResponse_t *r = NULL;
    int rc = SAMSA_EXIT_OK;
    if (list_ongoing(c, &arena, &r) != SAMSA_OK) {
        rc = samsa_cli_client_error("cluster reassign", c);
    } else {
        int n = 0;
        printf("TOPIC\tPARTITION\tREPLICAS\tADDING\tREMOVING\n");
        for (int32_t t = 0; t < r->Topics.count; t++) {
            for (int32_t i = 0; i < r->Topics.items[t].Partitions.count;
                 i++, n++) {
                const ongoing_t *o = &r->Topics.items[t].Partitions.items[i];
                printf("%.*s\t%d\t", (int)r->Topics.items[t].Name.len,
                       r->Topics.items[t].Name.ptr, o->PartitionIndex);
                print_ids(o->Replicas.items, o->Replicas.count);
                printf("\t");
                print_ids(o->AddingReplicas.items, o->AddingReplicas.count);
                printf("\t");
                print_ids(o->RemovingReplicas.items, o->RemovingReplicas.count);
                printf("\n");
            }
        }
        printf("%d reassignment(s) in progress\n", n);
    }
    samsa_arena_destroy(&arena);
    return rc;
}

/* Whether Metadata shows @p topic/@p partition on exactly the @p n
 * brokers of @p want (in any order). */
static bool replicas_are(samsa_client_t *c, const char *topic,
                         int32_t partition, const int32_t *want, int n)
{
    samsa_metadata_t *md = NULL;
    const char *topics[] = {topic};
    if (samsa_client_metadata(c, topics, 1, false, &md) != SAMSA_OK) {
        return false;
    }
    const samsa_md_topic_t *t = samsa_metadata_topic(md, topic);
    bool same = false;
    for (int32_t i = 0; t && i < t->npartitions; i++) {
        const samsa_md_partition_t *p = &t->partitions[i];
        if (p->id != partition || p->nreplicas != n) {
            continue;
        }
        same = true;
        for (int j = 0; j < n && same; j++) {
            bool found = false;
            for (int k = 0; k < n && !found; k++) {
                found = p->replicas[k] == want[j];
            }
            same = found;
        }
    }
    samsa_metadata_free(md);
    return same;
}

/* Poll until @p topic/@p partition has no reassignment in progress and
 * Metadata shows it on the requested replicas: "no longer listed" alone
 * is also what a cancelled move, or one a new controller dropped, looks
 * like. */
static int reassign_wait(samsa_client_t *c, const samsa_cli_reassign_t *a,
                         int timeout_ms)
{
    for (int waited = 0;; waited += 200) {
        samsa_arena_t arena;
        samsa_arena_init(&arena);
        samsa_ListPartitionReassignmentsResponse_t *r = NULL;
        samsa_err_t err = list_ongoing(c, &arena, &r);
        bool going = err == SAMSA_OK && ongoing_of(r, a->topic, a->partition);
        samsa_arena_destroy(&arena);
        if (err != SAMSA_OK) {
            return samsa_cli_client_error("cluster reassign", c);
        }
        if (!going && replicas_are(c, a->topic, a->partition, a->replicas,
                                   a->nreplicas)) {
            printf("%s-%d: reassignment complete\n", a->topic, a->partition);
            return SAMSA_EXIT_OK;
        }
        if (waited >= timeout_ms) {
            fprintf(stderr,
                    going ? "samsa cluster reassign: %s-%d still in progress "
                            "after %d ms (new replicas catch up, then join "
                            "the ISR)\n"
                          : "samsa cluster reassign: %s-%d is no longer "
                            "moving but not on the requested brokers after "
                            "%d ms (cancelled, or replaced by another "
                            "reassignment?)\n",
                    a->topic, a->partition, timeout_ms);
            return SAMSA_EXIT_ERROR;
        }
        usleep(200 * 1000);
    }
}

int samsa_cli_cluster_reassign(samsa_client_t *c, const samsa_cli_reassign_t *a)
{
    if (a->list) {
        return reassign_list(c);
    }
    samsa_AlterPartitionReassignmentsRequest_t req;
    samsa_AlterPartitionReassignmentsRequest_init(&req);
    samsa_AlterPartitionReassignmentsRequest_ReassignableTopic_t t;
    samsa_AlterPartitionReassignmentsRequest_ReassignableTopic_init(&t);
    samsa_AlterPartitionReassignmentsRequest_ReassignablePartition_t p;
    samsa_AlterPartitionReassignmentsRequest_ReassignablePartition_init(&p);
    p.PartitionIndex = a->partition;
    p.Replicas.items = (int32_t *)a->replicas;
    p.Replicas.count = a->cancel ? -1 : a->nreplicas;
    t.Name = samsa_str_from_cstr(a->topic);
    t.Partitions.items = &p;
    t.Partitions.count = 1;
    req.Topics.items = &t;
    req.Topics.count = 1;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_AlterPartitionReassignmentsResponse_t *resp = NULL;
    int rc = SAMSA_EXIT_OK;
    int16_t err = 0;
    samsa_str_t msg = SAMSA_STR_NULL;
    if (samsa_client_call(c, controller(c),
                          SAMSA_API_ALTER_PARTITION_REASSIGNMENTS, &req, &arena,
                          (void **)&resp, NULL) != SAMSA_OK) {
        rc = samsa_cli_client_error("cluster reassign", c);
    } else if (resp->ErrorCode != 0) {
        err = resp->ErrorCode;
        msg = resp->ErrorMessage;
    } else if (resp->Responses.count == 1 &&
               resp->Responses.items[0].Partitions.count == 1) {
        err = resp->Responses.items[0].Partitions.items[0].ErrorCode;
        msg = resp->Responses.items[0].Partitions.items[0].ErrorMessage;
    }
    if (rc == SAMSA_EXIT_OK && err != 0) {
        fprintf(stderr, "samsa cluster reassign: %s-%d: %s%s%.*s\n", a->topic,
                a->partition, samsa_err_name(err), msg.len > 0 ? ": " : "",
                msg.len > 0 ? (int)msg.len : 0, msg.len > 0 ? msg.ptr : "");
        rc = SAMSA_EXIT_ERROR;
    } else if (rc == SAMSA_EXIT_OK) {
        printf("%s-%d: %s\n", a->topic, a->partition,
               a->cancel ? "reassignment cancelled" : "reassignment started");
        if (a->wait_ms > 0 && !a->cancel) {
            rc = reassign_wait(c, a, a->wait_ms);
        }
    }
    samsa_arena_destroy(&arena);
    return rc;
}
