/* SPDX-License-Identifier: Apache-2.0 */
/* Partition changes as KRaft makes them: partition epochs, ISR changes
 * checked when applied, fencing taking a broker out of every ISR but the
 * last member, reassignment completing once the target is in sync,
 * preferred, unclean and rebalance elections, snapshots keeping it all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metadata/image.h"
#include "metadata/partition_change.h"

static samsa_err_t apply(samsa_meta_image_t *img, samsa_meta_rec_t rec)
{
    samsa_err_t outcome = SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    assert_non_null(rec.p);
    assert_int_equal(samsa_meta_image_apply(img, rec.p, rec.len, &outcome),
                     SAMSA_OK);
    free(rec.p);
    return outcome;
}

static void add_broker(samsa_meta_image_t *img, int32_t id)
{
    samsa_meta_broker_t b = {
        .id = id, .epoch = -1, .host = "127.0.0.1", .port = 9000 + id};
    samsa_meta_rec_t rec;
    assert_int_equal(samsa_mdrec_broker(&b, &rec), SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
}

static samsa_err_t fence(samsa_meta_image_t *img, int32_t id, bool on)
{
    samsa_meta_rec_t rec;
    int64_t epoch = samsa_meta_broker(img, id)->epoch;
    assert_int_equal(samsa_mdrec_fence(id, epoch, on, &rec), SAMSA_OK);
    return apply(img, rec);
}

/* Topic @p name, one partition per entry of @p replicas (3 each, leader
 * the first, ISR the leader alone, as created). */
static void add_topic(samsa_meta_image_t *img, const char *name, int32_t n,
                      int32_t replicas[][3])
{
    samsa_meta_topic_t t = {.name = (char *)name, .partition_count = n};
    samsa_meta_partition_t parts[8];
    memset(parts, 0, sizeof(parts));
    for (int32_t i = 0; i < n; i++) {
        parts[i].leader = replicas[i][0];
        parts[i].replicas = replicas[i];
        parts[i].replica_count = 3;
        parts[i].isr = replicas[i];
        parts[i].isr_count = 1;
    }
    t.partitions = parts;
    samsa_meta_rec_t rec;
    assert_int_equal(samsa_mdrec_topic(&t, &rec), SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
}

static samsa_err_t set_isr(samsa_meta_image_t *img, const char *topic,
                           int32_t part, int32_t epoch, const int32_t *isr,
                           int32_t n)
{
    samsa_meta_ids_t ids = {isr, n};
    samsa_meta_partition_change_t c = {.topic = topic,
                                       .partition = part,
                                       .expect_epoch = epoch,
                                       .leader = SAMSA_META_LEADER_KEEP,
                                       .isr = &ids};
    samsa_meta_rec_t rec;
    assert_int_equal(samsa_mdrec_partition_change(&c, &rec), SAMSA_OK);
    return apply(img, rec);
}

static samsa_meta_image_t *cluster(void)
{
    samsa_meta_image_t *img = samsa_meta_image_new();
    assert_non_null(img);
    for (int32_t id = 1; id <= 4; id++) {
        add_broker(img, id);
    }
    int32_t r[2][3] = {{1, 2, 3}, {2, 3, 1}};
    add_topic(img, "t", 2, r);
    return img;
}

static const samsa_meta_partition_t *part(const samsa_meta_image_t *img,
                                          int32_t i)
{
    return samsa_meta_partition(img, "t", i);
}

static void isr_changes_are_checked_when_applied(void **state)
{
    (void)state;
    samsa_meta_image_t *img = cluster();
    const int32_t all[] = {1, 2, 3};
    assert_int_equal(part(img, 0)->partition_epoch, 0);
    assert_int_equal(set_isr(img, "t", 0, 0, all, 3), SAMSA_OK);
    assert_int_equal(part(img, 0)->isr_count, 3);
    assert_int_equal(part(img, 0)->partition_epoch, 1);
    assert_int_equal(part(img, 0)->leader_epoch, 0); /* same leader */
    /* Computed on epoch 0 again (a race): refused, nothing changes. */
    const int32_t two[] = {1, 2};
    assert_int_equal(set_isr(img, "t", 0, 0, two, 2),
                     SAMSA_ERR_INVALID_UPDATE_VERSION);
    assert_int_equal(part(img, 0)->isr_count, 3);
    /* Not a replica; a fenced broker joining; the same ISR again. */
    const int32_t stranger[] = {1, 4};
    assert_int_equal(set_isr(img, "t", 0, 1, stranger, 2),
                     SAMSA_ERR_INVALID_REQUEST);
    assert_int_equal(fence(img, 3, true), SAMSA_OK);
    assert_int_equal(part(img, 0)->isr_count, 2); /* 3 left it */
    int32_t e = part(img, 0)->partition_epoch;
    assert_int_equal(e, 2);
    assert_int_equal(set_isr(img, "t", 0, e, all, 3),
                     SAMSA_ERR_INELIGIBLE_REPLICA);
    assert_int_equal(set_isr(img, "t", 0, e, two, 2), SAMSA_OK);
    assert_int_equal(part(img, 0)->partition_epoch, e); /* no change */
    assert_int_equal(set_isr(img, "nope", 0, -1, two, 2),
                     SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    samsa_meta_image_put(img);
}

static void fencing_leaves_isrs_but_the_last_member(void **state)
{
    (void)state;
    samsa_meta_image_t *img = cluster();
    const int32_t all0[] = {1, 2, 3};
    assert_int_equal(set_isr(img, "t", 0, 0, all0, 3), SAMSA_OK);
    /* Partition 1: ISR {2} only. */
    assert_int_equal(fence(img, 1, true), SAMSA_OK);
    const samsa_meta_partition_t *p0 = part(img, 0);
    assert_int_equal(p0->leader, 2); /* next in replica order */
    assert_int_equal(p0->leader_epoch, 1);
    assert_int_equal(p0->isr_count, 2);
    assert_false(samsa_meta_ids_has(p0->isr, p0->isr_count, 1));
    assert_int_equal(part(img, 1)->leader, 2); /* untouched */
    assert_int_equal(part(img, 1)->partition_epoch, 0);
    /* Broker 2 is the last member of partition 1's ISR: it stays, and
     * the partition has no leader until 2 returns. */
    assert_int_equal(fence(img, 2, true), SAMSA_OK);
    assert_int_equal(part(img, 1)->leader, -1);
    assert_int_equal(part(img, 1)->isr_count, 1);
    assert_int_equal(part(img, 1)->isr[0], 2);
    assert_int_equal(part(img, 0)->leader, 3);
    assert_int_equal(part(img, 0)->isr_count, 1);
    /* Broker 1 returning does not rejoin an ISR by itself. */
    assert_int_equal(fence(img, 1, false), SAMSA_OK);
    assert_int_equal(part(img, 0)->leader, 3);
    assert_int_equal(fence(img, 2, false), SAMSA_OK);
    assert_int_equal(part(img, 1)->leader, 2);
    assert_int_equal(part(img, 1)->leader_epoch, 2);
    samsa_meta_image_put(img);
}

static void a_restarted_broker_leaves_isrs(void **state)
{
    (void)state;
    samsa_meta_image_t *img = cluster();
    const int32_t all0[] = {1, 2, 3};
    assert_int_equal(set_isr(img, "t", 0, 0, all0, 3), SAMSA_OK);
    add_broker(img, 1); /* registers again: a new epoch */
    assert_int_equal(part(img, 0)->leader, 2);
    assert_int_equal(part(img, 0)->isr_count, 2);
    samsa_meta_image_put(img);
}

static void reassignment_completes_once_the_target_is_in_sync(void **state)
{
    (void)state;
    samsa_meta_image_t *img = cluster();
    const int32_t all0[] = {1, 2, 3};
    assert_int_equal(set_isr(img, "t", 0, 0, all0, 3), SAMSA_OK);
    /* Target {4, 2, 3}: replicas target + removing, 4 adding, 1 leaving. */
    const int32_t reps[] = {4, 2, 3, 1}, add[] = {4}, rem[] = {1};
    samsa_meta_ids_t r = {reps, 4}, a = {add, 1}, d = {rem, 1};
    samsa_meta_partition_change_t c = {.topic = "t",
                                       .partition = 0,
                                       .expect_epoch = 1,
                                       .leader = SAMSA_META_LEADER_KEEP,
                                       .replicas = &r,
                                       .adding = &a,
                                       .removing = &d};
    samsa_meta_rec_t rec;
    assert_int_equal(samsa_mdrec_partition_change(&c, &rec), SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    assert_int_equal(part(img, 0)->replica_count, 4);
    assert_int_equal(part(img, 0)->adding_count, 1);
    assert_int_equal(part(img, 0)->leader, 1); /* still leads meanwhile */
    /* A snapshot keeps the reassignment and the epoch. */
    uint8_t *buf;
    size_t len;
    samsa_meta_image_t *back = NULL;
    assert_int_equal(samsa_meta_image_encode(img, &buf, &len), SAMSA_OK);
    assert_int_equal(samsa_meta_image_decode(buf, len, &back), SAMSA_OK);
    free(buf);
    assert_int_equal(samsa_meta_partition(back, "t", 0)->partition_epoch, 2);
    assert_int_equal(samsa_meta_partition(back, "t", 0)->removing[0], 1);
    samsa_meta_image_put(back);
    /* 4 caught up: the leader adds it, which completes the move. */
    const int32_t isr[] = {1, 2, 3, 4};
    assert_int_equal(set_isr(img, "t", 0, 2, isr, 4), SAMSA_OK);
    const samsa_meta_partition_t *p = part(img, 0);
    assert_int_equal(p->replica_count, 3);
    assert_int_equal(p->replicas[0], 4);
    assert_int_equal(p->adding_count + p->removing_count, 0);
    assert_int_equal(p->isr_count, 3);
    assert_false(samsa_meta_ids_has(p->isr, p->isr_count, 1));
    assert_int_equal(p->leader, 4); /* the first target replica in sync */
    assert_int_equal(p->leader_epoch, 1);
    samsa_meta_image_put(img);
}

static void preferred_and_unclean_elections(void **state)
{
    (void)state;
    samsa_meta_image_t *img = cluster();
    samsa_meta_rec_t rec;
    const int32_t all0[] = {1, 2, 3};
    assert_int_equal(set_isr(img, "t", 0, 0, all0, 3), SAMSA_OK);
    assert_int_equal(samsa_meta_elect_preferred(img, "t", 0, &rec),
                     SAMSA_ERR_ELECTION_NOT_NEEDED);
    assert_int_equal(fence(img, 1, true), SAMSA_OK);
    assert_int_equal(samsa_meta_elect_preferred(img, "t", 0, &rec),
                     SAMSA_ERR_PREFERRED_LEADER_NOT_AVAILABLE);
    /* 1 back and in sync again: the rebalance check moves it back. */
    assert_int_equal(fence(img, 1, false), SAMSA_OK);
    int32_t e = part(img, 0)->partition_epoch;
    assert_int_equal(set_isr(img, "t", 0, e, all0, 3), SAMSA_OK);
    samsa_meta_rec_t recs[4];
    size_t n = 9;
    assert_int_equal(samsa_meta_rebalance_checks(img, 10, recs, 4, &n),
                     SAMSA_OK);
    assert_int_equal(n, 1);
    assert_int_equal(apply(img, recs[0]), SAMSA_OK);
    assert_int_equal(part(img, 0)->leader, 1);
    assert_int_equal(samsa_meta_rebalance_checks(img, 10, recs, 4, &n),
                     SAMSA_OK);
    assert_int_equal(n, 0);

    /* Partition 1's ISR is {2}; 2 is fenced: no clean leader. */
    assert_int_equal(fence(img, 2, true), SAMSA_OK);
    assert_int_equal(part(img, 1)->leader, -1);
    assert_int_equal(samsa_meta_unclean_checks(img, false, recs, 4, &n),
                     SAMSA_OK);
    assert_int_equal(n, 0); /* off by default */
    /* The topic's config wins over the broker default, written in any
     * case (Kafka parses booleans so). */
    assert_int_equal(samsa_mdrec_topic_config(
                         "t", "unclean.leader.election.enable", "FALSE", &rec),
                     SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    assert_int_equal(samsa_meta_unclean_checks(img, true, recs, 4, &n),
                     SAMSA_OK);
    assert_int_equal(n, 0);
    assert_int_equal(samsa_mdrec_topic_config(
                         "t", "unclean.leader.election.enable", "TRUE", &rec),
                     SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    assert_int_equal(samsa_meta_unclean_checks(img, false, recs, 4, &n),
                     SAMSA_OK);
    assert_int_equal(n, 1);
    assert_int_equal(apply(img, recs[0]), SAMSA_OK);
    const samsa_meta_partition_t *p1 = part(img, 1);
    assert_int_equal(p1->leader, 3); /* first live replica */
    assert_int_equal(p1->isr_count, 1);
    assert_int_equal(p1->isr[0], 3);
    assert_int_equal(samsa_meta_elect_unclean(img, "t", 1, &rec),
                     SAMSA_ERR_ELECTION_NOT_NEEDED);
    samsa_meta_image_put(img);
}

static void reassign_builds_kafkas_target_model(void **state)
{
    (void)state;
    samsa_meta_image_t *img = cluster();
    samsa_meta_rec_t rec;
    const char *why = NULL;
    const int32_t all0[] = {1, 2, 3};
    assert_int_equal(set_isr(img, "t", 0, 0, all0, 3), SAMSA_OK);
    assert_int_equal(samsa_meta_reassign(img, "t", 0, NULL, &rec, &why),
                     SAMSA_ERR_NO_REASSIGNMENT_IN_PROGRESS);
    const int32_t bad[] = {1, 1}, ghost[] = {1, 9}, same[] = {1, 2, 3};
    samsa_meta_ids_t t_bad = {bad, 2}, t_ghost = {ghost, 2}, t_same = {same, 3};
    assert_int_equal(samsa_meta_reassign(img, "t", 0, &t_bad, &rec, &why),
                     SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT);
    assert_int_equal(samsa_meta_reassign(img, "t", 0, &t_ghost, &rec, &why),
                     SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT);
    assert_non_null(why);
    assert_int_equal(samsa_meta_reassign(img, "t", 0, &t_same, &rec, &why),
                     SAMSA_OK);
    assert_null(rec.p); /* already so */

    /* {1,2,3} -> {4,1}: 4 added, 2 and 3 leaving; then cancelled. */
    const int32_t to[] = {4, 1};
    samsa_meta_ids_t t_to = {to, 2};
    assert_int_equal(samsa_meta_reassign(img, "t", 0, &t_to, &rec, &why),
                     SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    const samsa_meta_partition_t *p = part(img, 0);
    assert_int_equal(p->replica_count, 4);
    assert_int_equal(p->replicas[0], 4);
    assert_int_equal(p->adding_count, 1);
    assert_int_equal(p->removing_count, 2);
    assert_int_equal(samsa_meta_reassign(img, "t", 0, NULL, &rec, &why),
                     SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    p = part(img, 0);
    assert_int_equal(p->replica_count, 3);
    assert_int_equal(p->replicas[0], 1);
    assert_int_equal(p->adding_count + p->removing_count, 0);
    assert_int_equal(p->leader, 1);

    /* A shrink whose target is in sync completes at once. */
    const int32_t shrink[] = {2, 1};
    samsa_meta_ids_t t_shrink = {shrink, 2};
    assert_int_equal(samsa_meta_reassign(img, "t", 0, &t_shrink, &rec, &why),
                     SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    p = part(img, 0);
    assert_int_equal(p->replica_count, 2);
    assert_int_equal(p->replicas[0], 2);
    assert_int_equal(p->isr_count, 2);
    assert_int_equal(p->leader, 1); /* still in sync: keeps leading */
    samsa_meta_image_put(img);
}

static void an_unregistered_broker_leaves_isrs_and_the_image(void **state)
{
    (void)state;
    samsa_meta_image_t *img = cluster();
    samsa_meta_rec_t rec;
    const int32_t all0[] = {1, 2, 3};
    assert_int_equal(set_isr(img, "t", 0, 0, all0, 3), SAMSA_OK);
    assert_int_equal(samsa_mdrec_unregister(1, &rec), SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    assert_null(samsa_meta_broker(img, 1));
    assert_int_equal(img->broker_count, 3);
    assert_int_equal(part(img, 0)->leader, 2);
    assert_false(
        samsa_meta_ids_has(part(img, 0)->isr, part(img, 0)->isr_count, 1));
    assert_int_equal(samsa_mdrec_unregister(1, &rec), SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_ERR_BROKER_ID_NOT_REGISTERED);
    samsa_meta_image_put(img);
}

static void a_change_that_does_not_decode_is_refused(void **state)
{
    (void)state;
    samsa_meta_image_t *img = cluster();
    samsa_err_t outcome;
    const uint8_t cut[] = {
        SAMSA_MDREC_FORMAT, SAMSA_MDREC_PARTITION_CHANGE, 0, 1, 't', 0, 0};
    assert_int_equal(samsa_meta_image_apply(img, cut, sizeof(cut), &outcome),
                     SAMSA_ERR_CORRUPT);
    samsa_meta_image_put(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(isr_changes_are_checked_when_applied),
        cmocka_unit_test(fencing_leaves_isrs_but_the_last_member),
        cmocka_unit_test(a_restarted_broker_leaves_isrs),
        cmocka_unit_test(reassignment_completes_once_the_target_is_in_sync),
        cmocka_unit_test(preferred_and_unclean_elections),
        cmocka_unit_test(reassign_builds_kafkas_target_model),
        cmocka_unit_test(an_unregistered_broker_leaves_isrs_and_the_image),
        cmocka_unit_test(a_change_that_does_not_decode_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
