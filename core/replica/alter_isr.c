/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/replica/alter_isr.c - the ISR thread: every half
 * replica_lag_time_max_ms (Kafka's isr-expiration task) it proposes to
 * remove the followers that lag, and whenever a change is pending
 * (expansions are queued by follower fetches on the reactors) it sends
 * Kafka's AlterPartition to the active controller through the in-tree
 * client, as the member thread talks to it. The answer's ISR and
 * partition epoch become the leader's; INVALID_UPDATE_VERSION or
 * FENCED_LEADER_EPOCH drop the proposal (the next image tells the truth);
 * anything else is retried on the next round. The thread also raises the
 * HW of every led partition each round, a safety net: appends (through
 * core/log's leader-append hook) and follower fetches move it themselves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/member.h"
#include "client/client.h"
#include "metadata/quorum.h"
#include "registry/metrics.h"
#include "replica/replica_int.h"
#include "util/clock.h"
#include "util/log.h"

typedef struct alter_item {
    samsa_led_t *led; /* held */
    int32_t leader_epoch;
    int32_t partition_epoch;
    int32_t *isr; /* proposed (a copy) */
    int nisr;
} alter_item_t;

typedef struct isr_ctx {
    samsa_client_t *client;
    int32_t node;
    samsa_arena_t arena;
} isr_ctx_t;

static bool same_ids(const int32_t *a, int na, const int32_t *b, int nb)
{
    if (na != nb) {
        return false;
    }
    for (int i = 0; i < na; i++) {
        if (!samsa_replica_has(b, nb, a[i])) {
            return false;
        }
    }
    return true;
}

/* Caller holds led->lock: propose the ISR without the laggards. */
static void propose_shrink(samsa_replica_mgr_t *rm, samsa_led_t *led,
                           int64_t now)
{
    int32_t *out = calloc((size_t)led->nf + 1, sizeof(*out));
    if (!out) {
        return;
    }
    int64_t leo = samsa_partition_leo(led->part);
    int n =
        samsa_replica_out_of_sync(leo, led->fs, led->nf, led->isr, led->nisr,
                                  now, rm->cfg.lag_time_max_ms, out);
    int32_t *p = n > 0 ? calloc((size_t)led->nisr, sizeof(*p)) : NULL;
    if (!p) {
        free(out);
        return;
    }
    int np = 0;
    for (int i = 0; i < led->nisr; i++) {
        if (!samsa_replica_has(out, n, led->isr[i])) {
            p[np++] = led->isr[i];
        }
    }
    free(led->proposed);
    led->proposed = p;
    led->nproposed = np;
    led->alter_pending = true; /* the maximal ISR stays the current one */
    free(out);
    samsa_log(SAMSA_LOG_INFO,
              "replica: %s-%d: %d follower(s) lag more than %lld ms, "
              "shrinking the ISR from %d to %d",
              led->name, led->index, n, (long long)rm->cfg.lag_time_max_ms,
              led->nisr, np);
}

static void apply_answer(samsa_replica_mgr_t *rm, alter_item_t *it,
                         const samsa_AlterPartitionResponse_PartitionData_t *pd)
{
    samsa_led_t *led = it->led;
    pthread_mutex_lock(&led->lock);
    if (pd->ErrorCode == SAMSA_OK && pd->LeaderEpoch == led->leader_epoch) {
        if (pd->PartitionEpoch >= led->partition_epoch) {
            int before = led->nisr;
            int n = pd->Isr.count > 0 ? pd->Isr.count : 0;
            int32_t *isr = n > 0 ? calloc((size_t)n, sizeof(int32_t)) : NULL;
            int32_t *max = n > 0 ? calloc((size_t)n, sizeof(int32_t)) : NULL;
            led->partition_epoch = pd->PartitionEpoch;
            if (isr && max) {
                for (int i = 0; i < n; i++) {
                    isr[i] = max[i] = pd->Isr.items[i];
                }
                free(led->isr);
                free(led->maximal);
                led->isr = isr;
                led->maximal = max;
                led->nisr = led->nmax = n;
            } else {
                free(isr);
                free(max);
            }
            samsa_led_count_isr_change(rm, before, led->nisr);
            samsa_log(SAMSA_LOG_INFO,
                      "replica: %s-%d: ISR now %d replica(s) "
                      "(partition epoch %d)",
                      led->name, led->index, led->nisr, led->partition_epoch);
        }
        led->alter_pending = false;
    } else if (pd->ErrorCode == SAMSA_ERR_INVALID_UPDATE_VERSION ||
               pd->ErrorCode == SAMSA_ERR_FENCED_LEADER_EPOCH ||
               pd->ErrorCode == SAMSA_ERR_INELIGIBLE_REPLICA ||
               pd->ErrorCode == SAMSA_OK) {
        /* Stale, or a member the controller will not take (fenced): back
         * to the committed ISR, as Kafka's Partition does, and wait for
         * the image to bring the current state. Retried, an addition
         * refused for ever would keep the maximal ISR, which the HW
         * waits for, holding a broker that may be gone. */
        samsa_log(SAMSA_LOG_INFO,
                  "replica: %s-%d: AlterPartition refused (%s); waiting "
                  "for metadata",
                  led->name, led->index, samsa_err_str(pd->ErrorCode));
        led->alter_pending = false;
        free(led->maximal);
        led->maximal = calloc((size_t)led->nisr + 1, sizeof(int32_t));
        if (led->maximal) {
            memcpy(led->maximal, led->isr, sizeof(int32_t) * (size_t)led->nisr);
        }
        led->nmax = led->maximal ? led->nisr : 0;
    } else {
        samsa_log(SAMSA_LOG_DEBUG, "replica: %s-%d: AlterPartition: %s",
                  led->name, led->index, samsa_err_str(pd->ErrorCode));
    }
    pthread_mutex_unlock(&led->lock);
}

/* One AlterPartition request with every pending change; answers applied. */
static void send_alter(samsa_replica_mgr_t *rm, isr_ctx_t *cx,
                       alter_item_t *items, int n)
{
    samsa_broker_t *b = rm->b;
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    int32_t ctrl = samsa_meta_controller(b->meta);
    const samsa_meta_broker_t *cb =
        ctrl >= 0 ? samsa_meta_controller_node(img, ctrl) : NULL;
    const samsa_meta_broker_t *me = samsa_meta_broker(img, b->node_id);
    samsa_client_t *c =
        cb && me ? samsa_member_controller_client(b, cb, &cx->client, &cx->node)
                 : NULL;
    if (!c) {
        samsa_meta_image_put(img);
        return;
    }
    samsa_AlterPartitionRequest_t req;
    samsa_AlterPartitionRequest_init(&req);
    req.BrokerId = b->node_id;
    req.BrokerEpoch = me->epoch;
    /* One topic entry per partition: simple, and the controller takes
     * repeated topics as Kafka's does. */
    samsa_AlterPartitionRequest_TopicData_t *ts =
        samsa_arena_alloc(&cx->arena, sizeof(*ts) * (size_t)n);
    samsa_AlterPartitionRequest_PartitionData_t *ps =
        samsa_arena_alloc(&cx->arena, sizeof(*ps) * (size_t)n);
    if (!ts || !ps) {
        samsa_meta_image_put(img);
        return;
    }
    for (int i = 0; i < n; i++) {
        alter_item_t *it = &items[i];
        samsa_AlterPartitionRequest_TopicData_init(&ts[i]);
        samsa_AlterPartitionRequest_PartitionData_init(&ps[i]);
        ts[i].TopicName = samsa_str_from_cstr(it->led->name);
        memcpy(ts[i].TopicId.b, it->led->topic_id, 16);
        ts[i].Partitions.items = &ps[i];
        ts[i].Partitions.count = 1;
        ps[i].PartitionIndex = it->led->index;
        ps[i].LeaderEpoch = it->leader_epoch;
        ps[i].PartitionEpoch = it->partition_epoch;
        ps[i].NewIsr.items = it->isr;
        ps[i].NewIsr.count = it->nisr;
        samsa_AlterPartitionRequest_BrokerState_t *bs = samsa_arena_alloc(
            &cx->arena, sizeof(*bs) * (size_t)(it->nisr > 0 ? it->nisr : 1));
        for (int k = 0; bs && k < it->nisr; k++) {
            const samsa_meta_broker_t *rb = samsa_meta_broker(img, it->isr[k]);
            bs[k].BrokerId = it->isr[k];
            bs[k].BrokerEpoch = rb ? rb->epoch : -1;
        }
        ps[i].NewIsrWithEpochs.items = bs;
        ps[i].NewIsrWithEpochs.count = bs ? it->nisr : 0;
    }
    req.Topics.items = ts;
    req.Topics.count = n;
    samsa_meta_image_put(img);
    void *resp = NULL;
    samsa_err_t err =
        samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_ALTER_PARTITION, &req,
                          &cx->arena, &resp, NULL);
    samsa_AlterPartitionResponse_t *r = resp;
    if (err == SAMSA_OK && r->ErrorCode != SAMSA_OK) {
        err = r->ErrorCode;
    }
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_DEBUG, "replica: AlterPartition to %d: %s",
                  cx->node, samsa_err_str(err));
        samsa_client_free(cx->client);
        cx->client = NULL;
        cx->node = -1;
        return;
    }
    for (int32_t t = 0; t < r->Topics.count; t++) {
        const samsa_AlterPartitionResponse_TopicData_t *td =
            &r->Topics.items[t];
        for (int32_t p = 0; p < td->Partitions.count; p++) {
            const samsa_AlterPartitionResponse_PartitionData_t *pd =
                &td->Partitions.items[p];
            for (int i = 0; i < n; i++) {
                samsa_led_t *led = items[i].led;
                bool named =
                    td->TopicName.len > 0
                        ? (size_t)td->TopicName.len == strlen(led->name) &&
                              memcmp(td->TopicName.ptr, led->name,
                                     (size_t)td->TopicName.len) == 0
                        : memcmp(td->TopicId.b, led->topic_id, 16) == 0;
                if (named && pd->PartitionIndex == led->index) {
                    apply_answer(rm, &items[i], pd);
                    break;
                }
            }
        }
    }
}

static void round_once(samsa_replica_mgr_t *rm, isr_ctx_t *cx, bool shrink)
{
    samsa_led_t **leds = NULL;
    size_t n = samsa_led_list(rm, &leds);
    alter_item_t *items = calloc(n ? n : 1, sizeof(*items));
    int ni = 0;
    int64_t now = samsa_mono_ms();
    for (size_t i = 0; items && i < n; i++) {
        samsa_led_t *led = leds[i];
        pthread_mutex_lock(&led->lock);
        samsa_led_update_hw(rm, led, now);
        if (shrink && !led->alter_pending) {
            propose_shrink(rm, led, now);
        }
        if (led->alter_pending &&
            !same_ids(led->proposed, led->nproposed, led->isr, led->nisr)) {
            alter_item_t *it = &items[ni];
            it->isr = calloc((size_t)led->nproposed + 1, sizeof(int32_t));
            if (it->isr) {
                memcpy(it->isr, led->proposed,
                       sizeof(int32_t) * (size_t)led->nproposed);
                it->nisr = led->nproposed;
                it->led = led;
                it->leader_epoch = led->leader_epoch;
                it->partition_epoch = led->partition_epoch;
                atomic_fetch_add(&led->refs, 1);
                ni++;
            }
        } else if (led->alter_pending) {
            led->alter_pending = false; /* nothing left to change */
        }
        pthread_mutex_unlock(&led->lock);
        samsa_led_put(led);
    }
    free(leds);
    if (ni > 0) {
        send_alter(rm, cx, items, ni);
        samsa_arena_reset(&cx->arena);
    }
    for (int i = 0; i < ni; i++) {
        free(items[i].isr);
        samsa_led_put(items[i].led);
    }
    free(items);
    samsa_led_count_under_replicated(rm);
}

static void *isr_main(void *arg)
{
    samsa_replica_mgr_t *rm = arg;
    isr_ctx_t cx = {.node = -1};
    samsa_arena_init(&cx.arena);
    int64_t every = rm->cfg.lag_time_max_ms / 2;
    every = every < 10 ? 10 : every;
    int64_t tick = every < 250 ? every : 250;
    int64_t next_shrink = samsa_mono_ms() + every;
    pthread_mutex_lock(&rm->isr_mu);
    while (!rm->isr_stop) {
        rm->isr_kick = false;
        pthread_mutex_unlock(&rm->isr_mu);
        int64_t now = samsa_mono_ms();
        bool shrink = now >= next_shrink;
        if (shrink) {
            next_shrink = now + every;
        }
        round_once(rm, &cx, shrink);
        struct timespec until = samsa_deadline(CLOCK_REALTIME, tick);
        pthread_mutex_lock(&rm->isr_mu);
        while (!rm->isr_stop && !rm->isr_kick &&
               pthread_cond_timedwait(&rm->isr_cond, &rm->isr_mu, &until) !=
                   ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&rm->isr_mu);
    samsa_client_free(cx.client);
    samsa_arena_destroy(&cx.arena);
    return NULL;
}

void samsa_isr_kick(samsa_replica_mgr_t *rm)
{
    pthread_mutex_lock(&rm->isr_mu);
    rm->isr_kick = true;
    pthread_cond_signal(&rm->isr_cond);
    pthread_mutex_unlock(&rm->isr_mu);
}

samsa_err_t samsa_isr_start(samsa_replica_mgr_t *rm)
{
    pthread_mutex_init(&rm->isr_mu, NULL);
    pthread_cond_init(&rm->isr_cond, NULL);
    if (pthread_create(&rm->isr_thread, NULL, isr_main, rm) != 0) {
        return SAMSA_ERR_IO;
    }
    rm->isr_started = true;
    return SAMSA_OK;
}

void samsa_isr_stop(samsa_replica_mgr_t *rm)
{
    if (!rm->isr_started) {
        return;
    }
    pthread_mutex_lock(&rm->isr_mu);
    rm->isr_stop = true;
    pthread_cond_signal(&rm->isr_cond);
    pthread_mutex_unlock(&rm->isr_mu);
    pthread_join(rm->isr_thread, NULL);
    rm->isr_started = false;
}
