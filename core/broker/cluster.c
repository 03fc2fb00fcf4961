/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/cluster.c - see cluster.h: opening the quorum, keeping the
 * local logs in step with the image, leader checks, topic records. */
#include "broker/interbroker.h"
#include "broker/cluster.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "broker/coord_follow.h"
#include "broker/member.h"
#include "broker/scram_bootstrap.h"
#include "group/coordinator.h"
#include "metadata/partition_change.h"
#include "metadata/placement.h"
#include "txn/coordinator.h"
#include "util/clock.h"
#include "util/java_hash.h"
#include "replica/replica.h"
#include "security/credentials.h"
#include "util/log.h"

/* ------------------------------------------------------------------ */
/* Local logs follow the image                                        */
/* ------------------------------------------------------------------ */

static void create_local(samsa_broker_t *b, const samsa_meta_topic_t *t)
{
    samsa_tcfg_t cfg = {0};
    char errbuf[256] = "";
    samsa_err_t err = SAMSA_OK;
    for (size_t i = 0; err == SAMSA_OK && i < t->config_count; i++) {
        err = samsa_tcfg_set(&cfg, t->configs[i].key, t->configs[i].value);
    }
    if (err == SAMSA_OK) {
        /* The controller's topic id: every broker's log has the same. */
        err = samsa_logmgr_create_topic_id(b->logs, t->name, t->id,
                                           t->partition_count, &cfg, errbuf,
                                           sizeof(errbuf));
    }
    samsa_tcfg_free(&cfg);
    if (err == SAMSA_OK) {
        samsa_log(SAMSA_LOG_INFO,
                  "cluster: created local logs of topic '%s' "
                  "(%d partitions)",
                  t->name, t->partition_count);
    } else if (err != SAMSA_ERR_TOPIC_ALREADY_EXISTS) {
        samsa_log(SAMSA_LOG_ERROR,
                  "cluster: cannot create local logs of topic '%s': %s",
                  t->name, errbuf[0] ? errbuf : samsa_err_str(err));
    }
}

/*
 * A local log of topic @p t's name whose id is not @p t's: with an id the
 * controller assigned, it is the log of an earlier topic of that name
 * (deleted and created again while this broker did not follow), deleted
 * here as Kafka deletes stray logs; true then. A log from before ids came
 * from the controller (no id_assigned) is kept.
 */
static bool drop_stray(samsa_broker_t *b, samsa_topic_t *local,
                       const samsa_meta_topic_t *t)
{
    if (memcmp(local->id, t->id, 16) == 0 || !local->id_assigned) {
        return false;
    }
    samsa_log(SAMSA_LOG_WARN,
              "cluster: local logs of '%s' belong to an earlier topic of "
              "that name (another topic id): deleting them",
              t->name);
    samsa_logmgr_delete_topic(b->logs, t->name);
    return true;
}

static bool same_configs(const samsa_meta_topic_t *a,
                         const samsa_meta_topic_t *b)
{
    if (a->config_count != b->config_count) {
        return false;
    }
    for (size_t i = 0; i < a->config_count; i++) {
        if (strcmp(a->configs[i].key, b->configs[i].key) != 0 ||
            strcmp(a->configs[i].value, b->configs[i].value) != 0) {
            return false;
        }
    }
    return true;
}

/* The topic's committed configs replace the local logs' overrides. */
static void apply_configs(samsa_broker_t *b, const samsa_meta_topic_t *t)
{
    samsa_tcfg_kv_t *kv = calloc(t->config_count + 1, sizeof(*kv));
    char errbuf[256] = "";
    if (!kv) {
        return;
    }
    for (size_t i = 0; i < t->config_count; i++) {
        kv[i] = (samsa_tcfg_kv_t){t->configs[i].key, t->configs[i].value};
    }
    samsa_err_t err =
        samsa_logmgr_alter_config(b->logs, t->name, kv, t->config_count, false,
                                  false, errbuf, sizeof(errbuf));
    if (err != SAMSA_OK && err != SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION) {
        samsa_log(SAMSA_LOG_ERROR,
                  "cluster: cannot apply the configs of topic '%s': %s",
                  t->name, errbuf[0] ? errbuf : samsa_err_str(err));
    }
    free(kv);
}

/*
 * Bring the local logs from image @p prev to @p next: create the logs of
 * topics this broker holds replicas of and has none of (or a stray one),
 * delete those of removed topics, apply changed configs. Partitions are
 * created together (the log manager's unit is the topic), so a broker
 * holding one replica of a topic keeps empty logs for the others; only the
 * partitions it leads are served.
 */
static void sync_local(samsa_broker_t *b, const samsa_meta_image_t *prev,
                       const samsa_meta_image_t *next)
{
    for (size_t i = 0; i < next->topic_count; i++) {
        const samsa_meta_topic_t *t = &next->topics[i];
        if (!samsa_meta_topic_hosted(t, b->node_id)) {
            continue;
        }
        const samsa_meta_topic_t *old = samsa_meta_topic(prev, t->name);
        samsa_topic_t *local = samsa_logmgr_topic_get(b->logs, t->name);
        int32_t have = local ? local->partition_count : 0;
        bool stray = local && drop_stray(b, local, t);
        samsa_topic_put(local);
        if (!local || stray) {
            create_local(b, t);
        } else if (have < t->partition_count) {
            char errbuf[256] = "";
            samsa_err_t err = samsa_logmgr_add_partitions(
                b->logs, t->name, t->partition_count, false, errbuf,
                sizeof(errbuf));
            samsa_log(err == SAMSA_OK ? SAMSA_LOG_INFO : SAMSA_LOG_ERROR,
                      "cluster: topic '%s' to %d partitions locally: %s",
                      t->name, t->partition_count,
                      err == SAMSA_OK ? "done" : errbuf);
        } else if (old && samsa_meta_topic_hosted(old, b->node_id) &&
                   !same_configs(old, t)) {
            apply_configs(b, t);
        }
    }
    for (size_t i = 0; prev && i < prev->topic_count; i++) {
        const char *name = prev->topics[i].name;
        if (!samsa_meta_topic(next, name) &&
            samsa_logmgr_delete_topic(b->logs, name) == SAMSA_OK) {
            samsa_log(SAMSA_LOG_INFO, "cluster: deleted local logs of '%s'",
                      name);
        }
    }
}

/* Does the image make this broker a replica of @p t's partition @p p? */
static bool holds(const samsa_meta_topic_t *t, int32_t p, int32_t me)
{
    return p < t->partition_count &&
           samsa_meta_ids_has(t->partitions[p].replicas,
                              t->partitions[p].replica_count, me);
}

/* A partition moved away from a topic this broker still holds other
 * partitions of: its log is emptied (the log manager's unit is the topic:
 * an empty log at offset 0 stays, as for the topic's partitions never
 * held here), as Kafka deletes a removed replica's log (StopReplica with
 * delete). A later replica here starts from the leader's log start. */
static void empty_moved_partitions(samsa_broker_t *b,
                                   const samsa_meta_topic_t *old,
                                   const samsa_meta_topic_t *t)
{
    samsa_topic_t *local = NULL;
    for (int32_t p = 0; p < old->partition_count; p++) {
        if (!holds(old, p, b->node_id) || holds(t, p, b->node_id)) {
            continue;
        }
        local = local ? local : samsa_logmgr_topic_get(b->logs, t->name);
        samsa_partition_t *part =
            local ? samsa_topic_partition(local, p) : NULL;
        if (!part) {
            continue;
        }
        samsa_err_t err = samsa_partition_truncate_fully(part, 0);
        samsa_log(err == SAMSA_OK ? SAMSA_LOG_INFO : SAMSA_LOG_ERROR,
                  "cluster: %s-%d has no replica here any more: log "
                  "deleted%s%s",
                  t->name, p, err == SAMSA_OK ? "" : ": ",
                  err == SAMSA_OK ? "" : samsa_err_str(err));
    }
    samsa_topic_put(local);
}

/*
 * After replication let go of them (so no fetcher touches them): the local
 * logs of topics this broker held a replica of in @p prev and holds none
 * of in @p next (reassigned away) are deleted, as Kafka deletes a removed
 * replica's log; partitions moved away from a topic still held here are
 * emptied. Internal topics are kept (their coordinators unload on their
 * own schedule).
 */
static void drop_moved_away(samsa_broker_t *b, const samsa_meta_image_t *prev,
                            const samsa_meta_image_t *next)
{
    for (size_t i = 0; prev && i < next->topic_count; i++) {
        const samsa_meta_topic_t *t = &next->topics[i];
        const samsa_meta_topic_t *old = samsa_meta_topic(prev, t->name);
        if (!old || strncmp(t->name, "__", 2) == 0 ||
            memcmp(old->id, t->id, 16) != 0 ||
            !samsa_meta_topic_hosted(old, b->node_id)) {
            continue;
        }
        if (samsa_meta_topic_hosted(t, b->node_id)) {
            empty_moved_partitions(b, old, t);
        } else if (samsa_logmgr_delete_topic(b->logs, t->name) == SAMSA_OK) {
            samsa_log(SAMSA_LOG_INFO,
                      "cluster: deleted local logs of '%s' (no replica "
                      "here any more)",
                      t->name);
        }
    }
}

/*
 * The applier: a thread that runs sync_local, so file creation and fsync
 * never hold up the quorum's thread (a 600-partition topic took long
 * enough there to cost the leader its heartbeats). Images it did not get
 * to are skipped: it always goes from what it applied to the newest.
 */
typedef struct samsa_applier {
    samsa_broker_t *b;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    samsa_meta_image_t *want; /* newest image, not applied yet */
    samsa_meta_image_t *done; /* last applied (NULL: none) */
    /* Images applied so far, and its condition (CLOCK_MONOTONIC): what
     * a Produce waiting for a takeover waits on (samsa_cluster_
     * applied_wait). */
    uint64_t applied;
    uint64_t applied_index; /* the metadata index of the last applied */
    pthread_cond_t applied_cond;
} samsa_applier_t;

/* Does @p img hold this process's registration? Then every record
 * committed before it is applied: the images of a restart's replay
 * (leaders, ISRs and configs of long ago) are behind. */
static bool caught_up(samsa_broker_t *b, const samsa_meta_image_t *img)
{
    if (atomic_load(&b->meta_caught_up)) {
        return true;
    }
    const samsa_meta_broker_t *me = samsa_meta_broker(img, b->node_id);
    if (!me || memcmp(me->incarnation, b->incarnation, 16) != 0) {
        return false;
    }
    samsa_log(SAMSA_LOG_INFO,
              "cluster: caught up with the metadata log at index %llu: "
              "leading and following partitions from now",
              (unsigned long long)img->index);
    atomic_store(&b->meta_caught_up, true);
    return true;
}

static void *applier_main(void *arg)
{
    samsa_applier_t *ap = arg;
    pthread_mutex_lock(&ap->lock);
    for (;;) {
        while (!ap->stop && !ap->want) {
            pthread_cond_wait(&ap->cond, &ap->lock);
        }
        if (!ap->want) {
            break;
        }
        samsa_meta_image_t *next = ap->want;
        ap->want = NULL;
        pthread_mutex_unlock(&ap->lock);
        sync_local(ap->b, ap->done, next);
        samsa_cluster_broker_configs_apply(ap->b, ap->done, next);
        if (caught_up(ap->b, next)) {
            /* Leadership from an old image would serve (and acknowledge)
             * what the current leader then makes it truncate. */
            samsa_replica_apply_image(ap->b->replica, next);
        }
        drop_moved_away(ap->b, ap->done, next);
        /* The coordinators' loads read the logs just made. */
        samsa_coord_follow_kick(atomic_load(&ap->b->coord_follow));
        samsa_meta_image_t *was = ap->done;
        pthread_mutex_lock(&ap->lock);
        ap->done = next; /* under the lock: samsa_cluster_applied_index */
        ap->applied++;
        ap->applied_index = next->index;
        pthread_cond_broadcast(&ap->applied_cond);
        samsa_meta_image_put(was);
    }
    pthread_mutex_unlock(&ap->lock);
    return NULL;
}

/* On the quorum thread, with each new image: hand it to the applier. */
static void on_image(void *arg, const samsa_meta_image_t *prev,
                     const samsa_meta_image_t *next)
{
    samsa_applier_t *ap = arg;
    samsa_cluster_security_apply(ap->b, prev, next);
    samsa_scram_bootstrap_check(ap->b, next);
    samsa_meta_image_t *img = (samsa_meta_image_t *)next;
    samsa_meta_image_hold(img);
    pthread_mutex_lock(&ap->lock);
    samsa_meta_image_t *skipped = ap->want;
    ap->want = img;
    pthread_cond_signal(&ap->cond);
    pthread_mutex_unlock(&ap->lock);
    samsa_meta_image_put(skipped);
}

static samsa_err_t applier_start(samsa_broker_t *b)
{
    samsa_applier_t *ap = calloc(1, sizeof(*ap));
    if (!ap) {
        return SAMSA_ERR_NOMEM;
    }
    ap->b = b;
    pthread_mutex_init(&ap->lock, NULL);
    pthread_cond_init(&ap->cond, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ap->applied_cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&ap->thread, NULL, applier_main, ap) != 0) {
        pthread_cond_destroy(&ap->applied_cond);
        pthread_cond_destroy(&ap->cond);
        pthread_mutex_destroy(&ap->lock);
        free(ap);
        return SAMSA_ERR_IO;
    }
    b->applier = ap;
    return SAMSA_OK;
}

/* After the quorum closed (no more images): finish and free. */
static void applier_stop(samsa_applier_t *ap)
{
    if (!ap) {
        return;
    }
    pthread_mutex_lock(&ap->lock);
    ap->stop = true;
    pthread_cond_signal(&ap->cond);
    pthread_cond_broadcast(&ap->applied_cond);
    pthread_mutex_unlock(&ap->lock);
    pthread_join(ap->thread, NULL);
    samsa_meta_image_put(ap->want);
    samsa_meta_image_put(ap->done);
    pthread_cond_destroy(&ap->applied_cond);
    pthread_cond_destroy(&ap->cond);
    pthread_mutex_destroy(&ap->lock);
    free(ap);
}

/* An SSL controller listener carries Raft through transport-tls
 * (metadata/raft_transport.h); PLAINTEXT keeps libraft's own TCP (SASL
 * there is refused when the config is resolved). */
static samsa_err_t controller_transport(samsa_broker_t *b,
                                        samsa_meta_options_t *mo, char *errbuf,
                                        size_t errlen)
{
    int cl = b->cfg->cluster.controller_listener;
    if (cl < 0) {
        return SAMSA_OK; /* solo: nobody connects, libraft's TCP on loopback */
    }
    samsa_security_protocol_t proto =
        (samsa_security_protocol_t)b->cfg->security.protocol[cl];
    if (proto == SAMSA_SECURITY_PLAINTEXT) {
        return SAMSA_OK;
    }
    if (!b->cfg->cluster.controller_role) {
        /* The accepting voters admit the configured voters only. */
        snprintf(errbuf, errlen,
                 "controller listener %s: a broker-only node receives the "
                 "metadata log in clear text only so far; map it to "
                 "PLAINTEXT in listener_security_protocol_map",
                 b->cfg->listeners[cl].name);
        return SAMSA_ERR_CONFIG;
    }
    const samsa_registry_entry_t *e =
        samsa_interbroker_transport(b->reg, b->cfg, cl);
    if (!e) {
        snprintf(errbuf, errlen,
                 "controller listener %s is SSL but no transport-tls "
                 "instance is loaded (conf.d/51-transport-tls.yaml)",
                 b->cfg->listeners[cl].name);
        return SAMSA_ERR_CONFIG;
    }
    mo->transport_ops = (const samsa_transport_ops_t *)e->ops;
    mo->transport_state = e->state;
    samsa_log(SAMSA_LOG_INFO,
              "metadata quorum: Raft over TLS (transport instance '%s') on "
              "controller listener %s",
              e->name, b->cfg->listeners[cl].name);
    return SAMSA_OK;
}

samsa_err_t samsa_cluster_open(samsa_broker_t *b, char *errbuf, size_t errlen)
{
    const samsa_cluster_config_t *cc = &b->cfg->cluster;
    if (!samsa_cluster_is_quorum(cc)) {
        if (cc->standalone_store) {
            samsa_log(SAMSA_LOG_WARN,
                      "samsad: running standalone, without the metadata "
                      "quorum: %s, written by an earlier release's "
                      "standalone node, cannot be moved into the metadata "
                      "log yet",
                      cc->standalone_store);
        }
        return SAMSA_OK;
    }
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/__samsa_meta/raft", b->cfg->data_dir);
    samsa_meta_options_t mo = {
        .node_id = b->node_id,
        .voters = cc->voters,
        .voter_count = cc->voter_count,
        .bind_host = cc->controller_listener < 0
                         ? NULL
                         : b->cfg->listeners[cc->controller_listener].host,
        .listen_port = cc->controller_listener < 0
                           ? 0
                           : b->cfg->listeners[cc->controller_listener].port,
        .dir = dir,
        .session_timeout_ms = cc->broker_session_timeout_ms,
        .heartbeat_interval_ms = cc->broker_heartbeat_interval_ms,
        .session_probe = cc->broker_session_probe,
        .unclean_leader_election = cc->unclean_leader_election,
        .rebalance_interval_ms =
            cc->auto_leader_rebalance
                ? cc->leader_imbalance_check_interval_seconds * 1000
                : 0,
        .imbalance_pct = (int32_t)cc->leader_imbalance_per_broker_percentage,
        .on_image = on_image,
    };
    /* Nothing of the per-node stores counts in a cluster: the log's
     * ACLs, credentials and quotas replace them as it is read. */
    samsa_cluster_security_apply(b, NULL, NULL);
    samsa_meta_rec_t *boot = NULL;
    samsa_err_t berr = samsa_scram_bootstrap_records(
        b, &boot, &mo.bootstrap_count, errbuf, errlen);
    if (berr != SAMSA_OK) {
        return berr;
    }
    mo.bootstrap = boot;
    if (getrandom(b->incarnation, sizeof(b->incarnation), 0) !=
        (ssize_t)sizeof(b->incarnation)) {
        snprintf(errbuf, errlen, "getrandom: %s", strerror(errno));
        return SAMSA_ERR_IO;
    }
    atomic_store(&b->meta_caught_up, false);
    samsa_err_t err = samsa_replica_start(b, &b->replica, errbuf, errlen);
    if (err == SAMSA_OK) {
        err = applier_start(b);
    }
    mo.on_image_arg = b->applier;
    if (err == SAMSA_OK) {
        err = controller_transport(b, &mo, errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        err = samsa_meta_open(&mo, &b->meta, errbuf, errlen);
    }
    for (size_t i = 0; i < mo.bootstrap_count; i++) {
        OPENSSL_cleanse(mo.bootstrap[i].p, mo.bootstrap[i].len);
        free(mo.bootstrap[i].p);
    }
    free((void *)mo.bootstrap);
    if (err != SAMSA_OK) {
        applier_stop(b->applier);
        b->applier = NULL;
        samsa_replica_stop(b->replica);
        b->replica = NULL;
    }
    return err;
}

samsa_err_t samsa_cluster_start(samsa_broker_t *b)
{
    if (!b->meta) {
        return SAMSA_OK;
    }
    if (b->cfg->cluster.solo) {
        char errbuf[1024] = "";
        samsa_err_t err =
            samsa_cluster_migrate_standalone(b, errbuf, sizeof(errbuf));
        if (err != SAMSA_OK) {
            samsa_log(SAMSA_LOG_ERROR, "samsad: %s", errbuf);
            return err;
        }
    }
    if (!b->cfg->cluster.broker_role) {
        /* A controller-only node registers no broker: brokers find it by
         * the endpoint it writes to the log when it leads. */
        return samsa_meta_set_endpoint(b->meta, b->advertised_host,
                                       b->advertised_port);
    }
    return samsa_member_start(b, &b->member);
}

/* Whether the coordinators have loaded every partition of their
 * internal topics that @p img makes this broker lead, and written the
 * markers of what the loads ended (a single node does both before it
 * serves). */
static bool coordinators_loaded(samsa_broker_t *b,
                                const samsa_meta_image_t *img)
{
    for (int txn = 0; txn < 2; txn++) {
        const samsa_meta_topic_t *t = samsa_meta_topic(
            img, txn ? SAMSA_TXN_STATE_TOPIC : SAMSA_OFFSETS_TOPIC);
        for (int32_t p = 0; t && p < t->partition_count; p++) {
            if (t->partitions[p].leader == b->node_id &&
                !(txn ? samsa_txn_partition_loaded(b->txn, p)
                      : samsa_group_partition_loaded(b->groups, p))) {
                return false;
            }
        }
    }
    return !samsa_txn_markers_pending(b->txn);
}

bool samsa_cluster_await_lone_voter(samsa_broker_t *b, int timeout_ms)
{
    if (!b->member ||
        !samsa_cluster_is_lone_voter(&b->cfg->cluster, b->node_id)) {
        return false;
    }
    int64_t until = samsa_mono_ms() + timeout_ms;
    for (;;) {
        samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
        bool ready = atomic_load(&b->meta_caught_up) &&
                     samsa_member_active(b->member, img) &&
                     samsa_member_has_producer_ids(b->member) && b->groups &&
                     b->txn && coordinators_loaded(b, img);
        samsa_meta_image_put(img);
        if (ready || samsa_mono_ms() >= until) {
            return ready;
        }
        struct timespec pause = {0, 1000000}; /* 1 ms */
        nanosleep(&pause, NULL);
    }
}

/* The metadata index the applier has applied through (0: none). */
static uint64_t applied_index(samsa_broker_t *b)
{
    samsa_applier_t *ap = b->applier;
    pthread_mutex_lock(&ap->lock);
    uint64_t index = ap->applied_index;
    pthread_mutex_unlock(&ap->lock);
    return index;
}

/* Whether the current image has this broker leading nothing (fenced, or
 * never registered by this process); *index gets that image's index. */
static bool leads_nothing(samsa_broker_t *b, uint64_t *index)
{
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    bool nothing = !samsa_member_active(b->member, img);
    *index = img->index;
    samsa_meta_image_put(img);
    return nothing;
}

static void pause_ms(long ms)
{
    struct timespec pause = {0, ms * 1000000L};
    nanosleep(&pause, NULL);
}

/* The broker's part: fenced, and its own applier past the image that
 * says so; false at @p until. */
static bool move_leaderships(samsa_broker_t *b, int64_t until)
{
    samsa_member_shut_down(b->member);
    uint64_t at = 0;
    bool moved = false;
    while (!(moved = leads_nothing(b, &at)) && samsa_mono_ms() < until) {
        pause_ms(5);
    }
    /* Its partitions become followers here too, so requests still on the
     * way are told NOT_LEADER_OR_FOLLOWER (and parked acks=all answers
     * too) before the listeners close. */
    while (moved && atomic_load(&b->meta_caught_up) && applied_index(b) < at &&
           samsa_mono_ms() < until) {
        pause_ms(5);
    }
    return moved;
}

bool samsa_cluster_controlled_shutdown(samsa_broker_t *b, int64_t timeout_ms)
{
    if (!b->meta) {
        return true;
    }
    int64_t start = samsa_mono_ms();
    int64_t until = start + timeout_ms;
    /* A controller-only node has no broker part, only the quorum's. */
    bool broker = b->member && b->applier;
    bool moved = !broker || move_leaderships(b, until);
    int64_t moved_ms = samsa_mono_ms() - start;
    /* A lone voter (a single node) has nobody to hand the quorum to. */
    if (moved && samsa_meta_controller(b->meta) == b->node_id &&
        !samsa_cluster_is_lone_voter(&b->cfg->cluster, b->node_id)) {
        samsa_meta_hand_off(b->meta);
        while (samsa_meta_controller(b->meta) == b->node_id &&
               samsa_mono_ms() < until) {
            pause_ms(5);
        }
    }
    int32_t ctrl = samsa_meta_controller(b->meta);
    if (!broker) {
        samsa_log(SAMSA_LOG_INFO,
                  "cluster: controlled shutdown: controller %d after %lld ms",
                  ctrl, (long long)(samsa_mono_ms() - start));
    } else if (moved) {
        samsa_log(SAMSA_LOG_INFO,
                  "cluster: controlled shutdown: this broker leads no "
                  "partition after %lld ms; controller %d after %lld ms",
                  (long long)moved_ms, ctrl,
                  (long long)(samsa_mono_ms() - start));
    } else {
        samsa_log(SAMSA_LOG_WARN,
                  "cluster: controlled shutdown: the controller did not "
                  "move this broker's leaderships within %lld ms; stopping "
                  "anyway (they move when its session ends)",
                  (long long)timeout_ms);
    }
    return moved;
}

void samsa_cluster_close(samsa_broker_t *b)
{
    samsa_member_stop(b->member);
    samsa_meta_close(b->meta);
    b->meta = NULL;
    applier_stop(b->applier);
    b->applier = NULL;
    samsa_replica_stop(b->replica);
    b->replica = NULL;
    samsa_member_free(b->member);
    b->member = NULL;
}

/* A lease granted once (see heartbeat_lease_ms) and run out. Before the
 * first answered heartbeat the catch-up gate alone counts: the image
 * holding this process's registration is no stale one. */
static bool lease_expired(samsa_broker_t *b)
{
    int64_t lease = atomic_load(&b->heartbeat_lease_ms);
    return lease != 0 && samsa_mono_ms() >= lease;
}

samsa_err_t samsa_cluster_leader_check(samsa_broker_t *b, const char *topic,
                                       int32_t partition)
{
    if (!b->meta) {
        return SAMSA_OK;
    }
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    const samsa_meta_topic_t *t = samsa_meta_topic(img, topic);
    samsa_err_t err = SAMSA_OK;
    if (!atomic_load(&b->meta_caught_up)) {
        /* Replaying the metadata log: its topics and leaders are of the
         * past (a topic not replayed yet is not unknown either). */
        err = SAMSA_ERR_NOT_LEADER_OR_FOLLOWER;
    } else if (lease_expired(b)) {
        /* No heartbeat answered for a session: the controller may have
         * fenced us and moved our leaderships, the image not showing it
         * yet (woken from a stop). Kafka's zombie leader would append
         * and then fail (OUT_OF_ORDER_SEQUENCE for an idempotent
         * producer misdirected by its stale Metadata answer). */
        err = SAMSA_ERR_NOT_LEADER_OR_FOLLOWER;
    } else if (!t || partition < 0 || partition >= t->partition_count) {
        err = SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if (t->partitions[partition].leader < 0) {
        err = SAMSA_ERR_LEADER_NOT_AVAILABLE;
    } else if (t->partitions[partition].leader != b->node_id) {
        err = SAMSA_ERR_NOT_LEADER_OR_FOLLOWER;
    }
    /* Replication off (no transport plugin: b->replica NULL), an RF>1
     * partition lives on its leader alone, as before replication. */
    bool replicated = err == SAMSA_OK && b->replica &&
                      t->partitions[partition].replica_count > 1;
    int32_t epoch =
        err == SAMSA_OK ? t->partitions[partition].leader_epoch : -1;
    samsa_meta_image_put(img);
    if (err == SAMSA_OK) {
        /* Led here, but the applier may not have made its logs (or taken
         * the leadership) yet: a retriable answer rather than
         * UNKNOWN_TOPIC_OR_PARTITION, or than an append no follower
         * waits for. */
        samsa_topic_t *local = samsa_logmgr_topic_get(b->logs, topic);
        samsa_partition_t *part =
            local ? samsa_topic_partition(local, partition) : NULL;
        /* RF 1 included: the epoch's start is in its cache (replica/
         * transitions.c) before it answers for it. */
        bool taken =
            !part || !b->replica ||
            (replicated ? samsa_replica_leader_epoch(b->replica, part) >= 0
                        : samsa_partition_leader_epoch(part) >= epoch);
        err = part && taken ? SAMSA_OK
              : !local && samsa_logmgr_topic_offline(b->logs, topic, NULL, 0)
                  ? SAMSA_ERR_KAFKA_STORAGE_ERROR /* not coming: repair */
                  : SAMSA_ERR_LEADER_NOT_AVAILABLE;
        samsa_topic_put(local);
    }
    return err;
}

bool samsa_cluster_takeover_pending(samsa_broker_t *b, const char *topic,
                                    int32_t partition)
{
    if (!b->meta || !b->replica || !atomic_load(&b->meta_caught_up) ||
        lease_expired(b)) {
        return false; /* samsa_cluster_leader_check answers these */
    }
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    const samsa_meta_topic_t *t = samsa_meta_topic(img, topic);
    int32_t epoch = -1;
    if (t && partition >= 0 && partition < t->partition_count &&
        t->partitions[partition].leader == b->node_id &&
        t->partitions[partition].replica_count > 1) {
        epoch = t->partitions[partition].leader_epoch;
    }
    samsa_meta_image_put(img);
    if (epoch < 0) {
        return false;
    }
    samsa_topic_t *local = samsa_logmgr_topic_get(b->logs, topic);
    samsa_partition_t *part =
        local ? samsa_topic_partition(local, partition) : NULL;
    bool pending =
        !part || samsa_replica_leader_epoch(b->replica, part) < epoch;
    samsa_topic_put(local);
    return pending;
}

uint64_t samsa_cluster_applied(samsa_broker_t *b)
{
    samsa_applier_t *ap = b->applier;
    if (!ap) {
        return 0;
    }
    pthread_mutex_lock(&ap->lock);
    uint64_t n = ap->applied;
    pthread_mutex_unlock(&ap->lock);
    return n;
}

uint64_t samsa_cluster_applied_index(samsa_broker_t *b)
{
    samsa_applier_t *ap = b->applier;
    if (!ap) {
        return 0;
    }
    pthread_mutex_lock(&ap->lock);
    uint64_t index = ap->done ? ap->done->index : 0;
    pthread_mutex_unlock(&ap->lock);
    return index;
}

bool samsa_cluster_applied_reach(samsa_broker_t *b, uint64_t index,
                                 int64_t deadline_ms)
{
    samsa_applier_t *ap = b->applier;
    if (!ap) {
        return false;
    }
    pthread_mutex_lock(&ap->lock);
    while ((!ap->done || ap->done->index < index) && !ap->stop) {
        int64_t left = deadline_ms - samsa_mono_ms();
        if (left <= 0) {
            break;
        }
        struct timespec ts = samsa_deadline(CLOCK_MONOTONIC, left);
        (void)pthread_cond_timedwait(&ap->applied_cond, &ap->lock, &ts);
    }
    bool reached = ap->done && ap->done->index >= index;
    pthread_mutex_unlock(&ap->lock);
    return reached;
}

bool samsa_cluster_applied_wait(samsa_broker_t *b, uint64_t seen,
                                int64_t deadline_ms)
{
    samsa_applier_t *ap = b->applier;
    if (!ap) {
        return false;
    }
    pthread_mutex_lock(&ap->lock);
    while (ap->applied == seen && !ap->stop) {
        int64_t left = deadline_ms - samsa_mono_ms();
        if (left <= 0) {
            break;
        }
        struct timespec ts = samsa_deadline(CLOCK_MONOTONIC, left);
        (void)pthread_cond_timedwait(&ap->applied_cond, &ap->lock, &ts);
    }
    bool moved = ap->applied != seen;
    pthread_mutex_unlock(&ap->lock);
    return moved;
}

bool samsa_cluster_leader_settling(samsa_broker_t *b, const char *topic,
                                   int32_t partition)
{
    if (!b->meta) {
        return false;
    }
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    const samsa_meta_topic_t *t = samsa_meta_topic(img, topic);
    bool mine = t && partition >= 0 && partition < t->partition_count &&
                t->partitions[partition].leader == b->node_id;
    samsa_meta_image_put(img);
    return mine;
}

/* Kafka's internal topic configs (GroupMetadataManager /
 * TransactionLog): compacted, 100 MiB segments. */
static const samsa_meta_config_t internal_configs[] = {
    {(char *)"cleanup.policy", (char *)"compact"},
    {(char *)"segment.bytes", (char *)"104857600"},
};

bool samsa_cluster_internal_spec(samsa_broker_t *b, const char *name,
                                 samsa_cluster_topic_spec_t *spec)
{
    const samsa_broker_config_t *cfg = b->cfg;
    bool offsets = strcmp(name, SAMSA_OFFSETS_TOPIC) == 0;
    if (!offsets && strcmp(name, SAMSA_TXN_STATE_TOPIC) != 0) {
        return false;
    }
    *spec = (samsa_cluster_topic_spec_t){
        .name = offsets ? SAMSA_OFFSETS_TOPIC : SAMSA_TXN_STATE_TOPIC,
        .partitions = offsets ? cfg->offsets_topic_num_partitions
                              : cfg->transaction_state_log_num_partitions,
        .replication_factor =
            offsets ? cfg->offsets_topic_replication_factor
                    : cfg->transaction_state_log_replication_factor,
        .configs = internal_configs,
        .config_count = sizeof(internal_configs) / sizeof(internal_configs[0]),
    };
    /* Kafka refuses to make them while fewer brokers than the factor are
     * live (clients get COORDINATOR_NOT_AVAILABLE until enough join); a
     * lone voter without a controller listener is all there will ever
     * be, so its factor is 1 whatever the default (3) says. */
    if (cfg->cluster.solo) {
        spec->replication_factor = 1;
    }
    return true;
}

samsa_err_t samsa_cluster_coordinator(samsa_req_t *req, bool txn,
                                      samsa_str_t key, int32_t *node,
                                      samsa_str_t *host, int32_t *port)
{
    samsa_broker_t *b = req->broker;
    if (!b->meta) {
        return SAMSA_OK;
    }
    const char *name = txn ? SAMSA_TXN_STATE_TOPIC : SAMSA_OFFSETS_TOPIC;
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    const samsa_meta_topic_t *t = samsa_meta_topic(img, name);
    const samsa_meta_broker_t *mb = NULL;
    if (t && t->partition_count > 0) {
        int32_t p = samsa_internal_partition_for(samsa_req_cstr(req, key),
                                                 t->partition_count);
        mb = samsa_meta_broker(img, t->partitions[p].leader);
    }
    samsa_err_t err = SAMSA_OK;
    if (!t) {
        /* Kafka creates the internal topics on the first FindCoordinator;
         * the controller refuses while fewer brokers than the replication
         * factor are live, and the clients retry meanwhile. */
        samsa_cluster_request_topic(b, name);
        err = SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    } else if (!mb || mb->fenced) {
        err = SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    } else if (mb->id != b->node_id) {
        *node = mb->id;
        *host = samsa_req_str(req, mb->host);
        *port = mb->port;
    }
    samsa_meta_image_put(img);
    return err;
}

bool samsa_cluster_coordinator_settling(samsa_broker_t *b, bool txn,
                                        const char *key)
{
    if (!b->meta) {
        return false;
    }
    const char *name = txn ? SAMSA_TXN_STATE_TOPIC : SAMSA_OFFSETS_TOPIC;
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    const samsa_meta_topic_t *t = samsa_meta_topic(img, name);
    bool settling = true;
    if (!t || t->partition_count <= 0) {
        samsa_cluster_request_topic(b, name);
    } else {
        int32_t p = samsa_internal_partition_for(key, t->partition_count);
        int32_t leader = t->partitions[p].leader;
        const samsa_meta_broker_t *mb = samsa_meta_broker(img, leader);
        if (!mb || mb->fenced || leader != b->node_id) {
            /* Another broker's (NOT_COORDINATOR is right), or leaderless
             * until a failover, which a client's retry outlasts better
             * than a parked connection. */
            settling = false;
        } else {
            settling =
                txn ? b->txn && !samsa_txn_partition_loaded(b->txn, p)
                    : b->groups && !samsa_group_partition_loaded(b->groups, p);
        }
    }
    samsa_meta_image_put(img);
    return settling;
}

samsa_err_t samsa_cluster_producer_id(samsa_broker_t *b, int64_t *pid)
{
    if (!b->member) {
        return SAMSA_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    return samsa_member_producer_id(b->member, pid);
}

bool samsa_cluster_pid_issued(samsa_broker_t *b, int64_t pid)
{
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    bool issued = pid >= 0 && pid < img->next_producer_id;
    samsa_meta_image_put(img);
    return issued;
}

samsa_err_t samsa_cluster_controller_client(samsa_broker_t *b,
                                            const samsa_meta_image_t *img,
                                            int timeout_ms,
                                            samsa_client_t **out)
{
    const samsa_meta_broker_t *ctrl =
        samsa_meta_controller_node(img, samsa_meta_controller(b->meta));
    if (!ctrl) {
        return SAMSA_ERR_NOT_CONTROLLER;
    }
    char bootstrap[300];
    snprintf(bootstrap, sizeof(bootstrap),
             strchr(ctrl->host, ':') ? "[%s]:%d" : "%s:%d", ctrl->host,
             ctrl->port);
    samsa_client_conf_t conf = {.bootstrap = bootstrap,
                                .client_id = "samsa-broker",
                                .timeout_ms = timeout_ms};
    samsa_interbroker_client_conf(b->cfg, b->client_tls, &conf);
    return samsa_client_new(&conf, out) == SAMSA_OK ? SAMSA_OK
                                                    : SAMSA_ERR_NOMEM;
}

void samsa_cluster_request_topic(samsa_broker_t *b, const char *topic)
{
    if (b->member) {
        samsa_member_request_topic(b->member, topic);
    }
}

/* ------------------------------------------------------------------ */
/* Topic records                                                      */
/* ------------------------------------------------------------------ */

static samsa_err_t explicit_assignment(const samsa_meta_image_t *img,
                                       samsa_meta_topic_t *t,
                                       const samsa_int32_array_t *as, int32_t n,
                                       const char **why)
{
    t->partitions = calloc((size_t)n, sizeof(*t->partitions));
    if (!t->partitions) {
        return SAMSA_ERR_NOMEM;
    }
    t->partition_count = n;
    for (int32_t p = 0; p < n; p++) {
        samsa_meta_partition_t *mp = &t->partitions[p];
        const samsa_int32_array_t *ids = &as[p];
        if (ids->count <= 0 || ids->count != as[0].count) {
            *why = "every partition needs the same number (> 0) of replicas";
            return SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        for (int32_t r = 0; r < ids->count; r++) {
            if (!samsa_meta_broker(img, ids->items[r])) {
                *why = "a replica names a broker that is not registered";
                return SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT;
            }
        }
        mp->replicas = calloc((size_t)ids->count, sizeof(int32_t));
        if (!mp->replicas) {
            return SAMSA_ERR_NOMEM;
        }
        memcpy(mp->replicas, ids->items, sizeof(int32_t) * (size_t)ids->count);
        mp->replica_count = ids->count;
        samsa_err_t err = samsa_meta_initial_isr(img, mp);
        if (err == SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT) {
            *why = "every broker of a partition's assignment is fenced";
        }
        if (err != SAMSA_OK) {
            return err;
        }
    }
    return SAMSA_OK;
}

/* Partition replicas @p img gives broker @p id. */
static int64_t replicas_on(const samsa_meta_image_t *img, int32_t id)
{
    int64_t n = 0;
    for (size_t i = 0; i < img->topic_count; i++) {
        const samsa_meta_topic_t *t = &img->topics[i];
        for (int32_t p = 0; p < t->partition_count; p++) {
            n += samsa_meta_ids_has(t->partitions[p].replicas,
                                    t->partitions[p].replica_count, id);
        }
    }
    return n;
}

samsa_err_t samsa_cluster_partition_limit(samsa_broker_t *b,
                                          const samsa_meta_image_t *img,
                                          const samsa_meta_topic_t *add,
                                          const char **why)
{
    int64_t max = b->cfg->max_broker_partitions;
    for (int32_t p = 0; p < add->partition_count; p++) {
        const samsa_meta_partition_t *mp = &add->partitions[p];
        for (int32_t r = 0; r < mp->replica_count; r++) {
            int32_t id = mp->replicas[r];
            bool seen = false; /* counted at an earlier partition */
            for (int32_t q = 0; q < p && !seen; q++) {
                seen = samsa_meta_ids_has(add->partitions[q].replicas,
                                          add->partitions[q].replica_count, id);
            }
            if (seen) {
                continue;
            }
            int64_t more = 0;
            for (int32_t q = p; q < add->partition_count; q++) {
                more +=
                    samsa_meta_ids_has(add->partitions[q].replicas,
                                       add->partitions[q].replica_count, id);
            }
            if (replicas_on(img, id) + more > max) {
                *why = "a broker would hold more partitions than "
                       "max_broker_partitions";
                return SAMSA_ERR_POLICY_VIOLATION;
            }
        }
    }
    return SAMSA_OK;
}

samsa_err_t samsa_cluster_topic_record(samsa_broker_t *b,
                                       const samsa_meta_image_t *img,
                                       const samsa_cluster_topic_spec_t *spec,
                                       samsa_meta_rec_t *out, const char **why)
{
    samsa_meta_topic_t t = {.name = (char *)spec->name,
                            .configs = (samsa_meta_config_t *)spec->configs,
                            .config_count = spec->config_count};
    int32_t n = spec->partitions;
    int32_t rf = spec->replication_factor;
    samsa_err_t err = SAMSA_OK;
    uint32_t start = 0;

    out->p = NULL;
    if (samsa_meta_topic(img, spec->name)) {
        *why = "topic already exists";
        return SAMSA_ERR_TOPIC_ALREADY_EXISTS;
    }
    if (getrandom(t.id, sizeof(t.id), 0) != sizeof(t.id) ||
        getrandom(&start, sizeof(start), 0) != sizeof(start)) {
        return SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
    t.id[6] = (uint8_t)((t.id[6] & 0x0f) | 0x40); /* UUID v4 */
    t.id[8] = (uint8_t)((t.id[8] & 0x3f) | 0x80);
    if (spec->assignment) {
        err = explicit_assignment(img, &t, spec->assignment, n, why);
    } else {
        n = n == -1 ? b->cfg->num_partitions : n;
        rf = rf == -1 ? b->cfg->default_replication_factor : rf;
        err = samsa_meta_place(img, &t, n, rf, start);
        if (err == SAMSA_ERR_INVALID_REPLICATION_FACTOR) {
            *why = "replication factor is larger than the live brokers";
        } else if (err == SAMSA_ERR_INVALID_PARTITIONS) {
            *why = "partitions must be at least 1";
        }
    }
    if (err == SAMSA_OK) {
        err = samsa_cluster_partition_limit(b, img, &t, why);
    }
    if (err == SAMSA_OK) {
        err = samsa_mdrec_topic(&t, out);
    }
    for (int32_t i = 0; t.partitions && i < t.partition_count; i++) {
        free(t.partitions[i].replicas);
        free(t.partitions[i].isr);
    }
    free(t.partitions);
    return err;
}
