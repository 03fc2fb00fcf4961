/* SPDX-License-Identifier: Apache-2.0 */
/* The metadata image: records applied, leaders moved by fencing, snapshots
 * round-tripping, rack-aware placement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metadata/image.h"
#include "metadata/placement.h"

static samsa_err_t apply(samsa_meta_image_t *img, samsa_meta_rec_t rec)
{
    samsa_err_t outcome = SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    assert_int_equal(samsa_meta_image_apply(img, rec.p, rec.len, &outcome),
                     SAMSA_OK);
    free(rec.p);
    return outcome;
}

static void register_broker(samsa_meta_image_t *img, int32_t id,
                            const char *rack)
{
    samsa_meta_broker_t b = {.id = id,
                             .epoch = -1,
                             .host = "127.0.0.1",
                             .port = 9000 + id,
                             .rack = (char *)rack};
    samsa_meta_rec_t rec;
    assert_int_equal(samsa_mdrec_broker(&b, &rec), SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
}

static void create_topic(samsa_meta_image_t *img, const char *name,
                         int32_t partitions, int32_t rf, samsa_err_t want)
{
    samsa_meta_topic_t t = {.name = (char *)name};
    samsa_meta_rec_t rec;
    t.id[0] = (uint8_t)name[0];
    assert_int_equal(samsa_meta_place(img, &t, partitions, rf, 0), SAMSA_OK);
    assert_int_equal(samsa_mdrec_topic(&t, &rec), SAMSA_OK);
    for (int32_t i = 0; i < t.partition_count; i++) {
        free(t.partitions[i].replicas);
        free(t.partitions[i].isr);
    }
    free(t.partitions);
    assert_int_equal(apply(img, rec), want);
}

static samsa_meta_image_t *three_brokers(void)
{
    samsa_meta_image_t *img = samsa_meta_image_new();
    assert_non_null(img);
    register_broker(img, 1, "a");
    register_broker(img, 2, "a");
    register_broker(img, 3, "b");
    return img;
}

static void initial_isr_is_the_live_replicas(void **state)
{
    (void)state;
    samsa_meta_image_t *img = three_brokers();
    /* The image is private to the test: fence broker 2 in place. */
    ((samsa_meta_broker_t *)samsa_meta_broker(img, 2))->fenced = true;
    int32_t replicas[3] = {2, 3, 1};
    samsa_meta_partition_t p = {.replicas = replicas, .replica_count = 3};
    assert_int_equal(samsa_meta_initial_isr(img, &p), SAMSA_OK);
    assert_int_equal(p.isr_count, 2);
    assert_int_equal(p.isr[0], 3);
    assert_int_equal(p.isr[1], 1);
    assert_int_equal(p.leader, 3);
    free(p.isr);
    int32_t fenced_only[1] = {2};
    samsa_meta_partition_t q = {.replicas = fenced_only, .replica_count = 1};
    assert_int_equal(samsa_meta_initial_isr(img, &q),
                     SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT);
    assert_int_equal(q.leader, -1);
    free(q.isr);
    samsa_meta_image_put(img);
}

static void registration_gives_increasing_epochs(void **state)
{
    (void)state;
    samsa_meta_image_t *img = three_brokers();
    assert_int_equal(img->broker_count, 3);
    assert_int_equal(samsa_meta_broker(img, 1)->epoch, 1);
    assert_int_equal(samsa_meta_broker(img, 3)->epoch, 3);
    assert_string_equal(samsa_meta_broker(img, 3)->rack, "b");
    register_broker(img, 1, "a"); /* a restart re-registers */
    assert_int_equal(samsa_meta_broker(img, 1)->epoch, 4);
    assert_int_equal(img->broker_count, 3);
    samsa_meta_image_put(img);
}

static void placement_alternates_racks_and_spreads_leaders(void **state)
{
    (void)state;
    samsa_meta_image_t *img = three_brokers();
    samsa_meta_topic_t t = {0};
    assert_int_equal(samsa_meta_place(img, &t, 3, 2, 0), SAMSA_OK);
    /* order: 1 (a), 3 (b), 2 (a) */
    assert_int_equal(t.partitions[0].replicas[0], 1);
    assert_int_equal(t.partitions[0].replicas[1], 3);
    assert_int_equal(t.partitions[1].replicas[0], 3);
    assert_int_equal(t.partitions[1].replicas[1], 2);
    assert_int_equal(t.partitions[2].leader, 2);
    /* Every replica (all live) starts in the ISR, led by the first. The
     * racks are uneven (a, b, a): after 2 (a) comes 3 (b), not 1 (a) the
     * next in order, so each partition has a replica in both racks. */
    assert_int_equal(t.partitions[2].isr_count, 2);
    assert_int_equal(t.partitions[2].isr[0], 2);
    assert_int_equal(t.partitions[2].isr[1], 3);
    for (int32_t i = 0; i < t.partition_count; i++) {
        free(t.partitions[i].replicas);
        free(t.partitions[i].isr);
    }
    free(t.partitions);
    samsa_meta_topic_t big = {0};
    assert_int_equal(samsa_meta_place(img, &big, 1, 4, 0),
                     SAMSA_ERR_INVALID_REPLICATION_FACTOR);
    free(big.partitions);
    samsa_meta_image_put(img);
}

static void topics_configs_and_removal(void **state)
{
    (void)state;
    samsa_meta_image_t *img = three_brokers();
    samsa_meta_rec_t rec;
    create_topic(img, "orders", 3, 1, SAMSA_OK);
    create_topic(img, "audit", 1, 3, SAMSA_OK);
    create_topic(img, "orders", 1, 1, SAMSA_ERR_TOPIC_ALREADY_EXISTS);
    assert_int_equal(img->topic_count, 2);
    assert_string_equal(img->topics[0].name, "audit"); /* sorted */
    assert_true(samsa_meta_topic_hosted(samsa_meta_topic(img, "audit"), 2));
    assert_int_equal(
        samsa_mdrec_topic_config("orders", "retention.ms", "5", &rec),
        SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    assert_string_equal(samsa_meta_topic(img, "orders")->configs[0].value, "5");
    assert_int_equal(
        samsa_mdrec_topic_config("orders", "retention.ms", NULL, &rec),
        SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    assert_int_equal(samsa_meta_topic(img, "orders")->config_count, 0);
    assert_int_equal(samsa_mdrec_remove_topic("audit", &rec), SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    assert_null(samsa_meta_topic(img, "audit"));
    assert_int_equal(samsa_mdrec_remove_topic("audit", &rec), SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    samsa_meta_image_put(img);
}

static void fencing_takes_leadership_away_until_the_broker_returns(void **st)
{
    (void)st;
    samsa_meta_image_t *img = three_brokers();
    samsa_meta_rec_t rec;
    create_topic(img, "t", 3, 1, SAMSA_OK);
    const samsa_meta_partition_t *p0 = samsa_meta_partition(img, "t", 0);
    int32_t leader = p0->leader;
    int64_t epoch = samsa_meta_broker(img, leader)->epoch;
    assert_int_equal(samsa_mdrec_fence(leader, epoch + 7, true, &rec),
                     SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_ERR_STALE_BROKER_EPOCH);
    assert_int_equal(samsa_mdrec_fence(leader, epoch, true, &rec), SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    p0 = samsa_meta_partition(img, "t", 0);
    assert_int_equal(p0->leader, -1); /* ISR had only the leader */
    assert_int_equal(p0->leader_epoch, 1);
    assert_int_equal(samsa_mdrec_fence(leader, epoch, false, &rec), SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    p0 = samsa_meta_partition(img, "t", 0);
    assert_int_equal(p0->leader, leader);
    assert_int_equal(p0->leader_epoch, 2);
    samsa_meta_image_put(img);
}

static void snapshot_round_trips_and_clone_is_deep(void **state)
{
    (void)state;
    samsa_meta_image_t *img = three_brokers();
    samsa_meta_rec_t rec;
    create_topic(img, "t", 4, 2, SAMSA_OK);
    assert_int_equal(
        samsa_mdrec_topic_config("t", "cleanup.policy", "compact", &rec),
        SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    assert_int_equal(samsa_mdrec_producer_ids(1, 0, 1000, &rec), SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    uint8_t *p;
    size_t len;
    samsa_meta_image_t *back = NULL;
    assert_int_equal(samsa_meta_image_encode(img, &p, &len), SAMSA_OK);
    assert_int_equal(samsa_meta_image_decode(p, len, &back), SAMSA_OK);
    assert_int_equal(samsa_meta_image_decode(p, len - 1, &back),
                     SAMSA_ERR_CORRUPT);
    free(p);
    assert_int_equal(back->broker_count, 3);
    assert_int_equal(back->next_broker_epoch, img->next_broker_epoch);
    assert_int_equal(back->next_producer_id, 1000);
    const samsa_meta_topic_t *t = samsa_meta_topic(back, "t");
    assert_int_equal(t->partition_count, 4);
    assert_int_equal(t->partitions[3].replicas[1],
                     samsa_meta_partition(img, "t", 3)->replicas[1]);
    assert_string_equal(t->configs[0].value, "compact");
    samsa_meta_image_t *c = samsa_meta_image_clone(back);
    samsa_meta_image_put(back);
    assert_string_equal(samsa_meta_topic(c, "t")->name, "t");
    samsa_meta_image_put(c);
    samsa_meta_image_put(img);
}

/* A controller-only node's endpoint: found by id where brokers send their
 * requests, replaced when it moves, kept in snapshots and clones; a
 * registered broker's own address wins, and it is no broker. */
static void controller_endpoints_are_kept(void **state)
{
    (void)state;
    samsa_meta_image_t *img = three_brokers();
    samsa_meta_rec_t rec;
    assert_null(samsa_meta_controller_node(img, 7));
    assert_int_equal(samsa_mdrec_controller(7, "10.0.0.7", 9092, &rec),
                     SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    assert_int_equal(samsa_mdrec_controller(5, "10.0.0.5", 9092, &rec),
                     SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    assert_int_equal(samsa_mdrec_controller(7, "10.0.0.8", 9093, &rec),
                     SAMSA_OK);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    assert_null(samsa_meta_broker(img, 7));
    assert_int_equal(img->broker_count, 3);
    assert_int_equal(samsa_meta_controller_node(img, 1)->port, 9001);
    uint8_t *p;
    size_t len;
    samsa_meta_image_t *back = NULL;
    assert_int_equal(samsa_meta_image_encode(img, &p, &len), SAMSA_OK);
    assert_int_equal(samsa_meta_image_decode(p, len, &back), SAMSA_OK);
    free(p);
    samsa_meta_image_t *c = samsa_meta_image_clone(back);
    samsa_meta_image_put(back);
    assert_int_equal(c->controller_count, 2);
    assert_int_equal(c->controllers[0].id, 5);
    const samsa_meta_broker_t *ctrl = samsa_meta_controller_node(c, 7);
    assert_string_equal(ctrl->host, "10.0.0.8");
    assert_int_equal(ctrl->port, 9093);
    samsa_meta_image_put(c);
    samsa_meta_image_put(img);
}

static void partitions_are_added_once(void **state)
{
    (void)state;
    samsa_meta_image_t *img = three_brokers();
    samsa_meta_rec_t rec;
    create_topic(img, "grow", 2, 2, SAMSA_OK);
    samsa_meta_topic_t add = {.name = "grow"};
    assert_int_equal(samsa_meta_place(img, &add, 3, 2, 1), SAMSA_OK);
    assert_int_equal(samsa_mdrec_partitions(&add, 2, &rec), SAMSA_OK);
    samsa_meta_rec_t again = {malloc(rec.len), rec.len};
    memcpy(again.p, rec.p, rec.len);
    assert_int_equal(apply(img, rec), SAMSA_OK);
    const samsa_meta_topic_t *t = samsa_meta_topic(img, "grow");
    assert_int_equal(t->partition_count, 5);
    assert_int_equal(t->partitions[4].replica_count, 2);
    assert_int_equal(t->partitions[4].leader, t->partitions[4].replicas[0]);
    /* The same addition again (a race) no longer starts at the end. */
    assert_int_equal(apply(img, again), SAMSA_ERR_INVALID_PARTITIONS);
    assert_int_equal(samsa_meta_topic(img, "grow")->partition_count, 5);
    for (int32_t i = 0; i < add.partition_count; i++) {
        free(add.partitions[i].replicas);
        free(add.partitions[i].isr);
    }
    free(add.partitions);
    samsa_meta_image_put(img);
}

static void garbage_records_are_refused(void **state)
{
    (void)state;
    samsa_meta_image_t *img = samsa_meta_image_new();
    samsa_err_t outcome;
    const uint8_t bad_format[] = {9, 1};
    const uint8_t short_topic[] = {1, SAMSA_MDREC_TOPIC, 0, 1, 'x', 0xff};
    const uint8_t unknown_type[] = {1, 99, 1, 2, 3};
    assert_int_equal(samsa_meta_image_apply(img, bad_format, 2, &outcome),
                     SAMSA_ERR_CORRUPT);
    assert_int_not_equal(
        samsa_meta_image_apply(img, short_topic, sizeof(short_topic), &outcome),
        SAMSA_OK);
    assert_int_equal(samsa_meta_image_apply(img, unknown_type,
                                            sizeof(unknown_type), &outcome),
                     SAMSA_OK);
    assert_int_equal(img->topic_count, 0);
    samsa_meta_image_put(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registration_gives_increasing_epochs),
        cmocka_unit_test(placement_alternates_racks_and_spreads_leaders),
        cmocka_unit_test(initial_isr_is_the_live_replicas),
        cmocka_unit_test(topics_configs_and_removal),
        cmocka_unit_test(
            fencing_takes_leadership_away_until_the_broker_returns),
        cmocka_unit_test(snapshot_round_trips_and_clone_is_deep),
        cmocka_unit_test(controller_endpoints_are_kept),
        cmocka_unit_test(partitions_are_added_once),
        cmocka_unit_test(garbage_records_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
