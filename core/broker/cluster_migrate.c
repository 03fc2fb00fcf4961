/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/cluster_migrate.c - samsa_cluster_migrate_standalone
 * (cluster.h): a standalone node's data dir made a lone voter's.
 *
 * A standalone node keeps its topics in the log manager's files only. The
 * first time it starts as a lone voter its metadata log is empty, and a
 * topic missing from the image would be neither led nor served. So, as
 * the controller and before it registers, it writes what the files hold
 * to the log (at every start, what is still missing, so a first start cut
 * short resumes): one TOPIC record per local topic (its id from the .meta
 * file, its partitions led by this node alone, its config overrides),
 * committed offsets included (they are __consumer_offsets' records), and
 * a PRODUCER_IDS record covering every id the standalone allocator
 * handed out, so no id is issued twice. Nothing on disk is removed or
 * rewritten: the applier finds each topic's logs already there with the
 * same id. Stores the log does not take over yet (SCRAM credentials,
 * client quotas, ACLs, dynamic broker configs) stop the first start with
 * a clear error rather than being left behind unseen.
 */
#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "broker/cluster.h"
#include "producer/pid_alloc.h"
#include "util/clock.h"
#include "util/log.h"

/* How long the first start may take to become controller and commit. */
#define MIGRATE_MS 10000

typedef struct migration {
    sem_t done;
    _Atomic int failed; /* the first record's error */
    _Atomic int refs;   /* the waiter + one per proposal */
} migration_t;

static void migration_unref(migration_t *m)
{
    if (atomic_fetch_sub(&m->refs, 1) == 1) {
        sem_destroy(&m->done);
        free(m);
    }
}

static void record_done(void *arg, samsa_err_t err)
{
    migration_t *m = arg;
    if (err != SAMSA_OK) {
        int none = SAMSA_OK;
        atomic_compare_exchange_strong(&m->failed, &none, (int)err);
    }
    sem_post(&m->done);
    migration_unref(m);
}

static void propose(samsa_broker_t *b, migration_t *m, samsa_meta_rec_t rec)
{
    atomic_fetch_add(&m->refs, 1);
    samsa_meta_propose(b->meta, rec, record_done, m);
}

/* The TOPIC record of local topic @p local: this node its only replica
 * and leader, at leader epoch 0 as a standalone partition's batches. */
static samsa_err_t topic_record(samsa_broker_t *b, samsa_topic_t *local,
                                samsa_meta_rec_t *out)
{
    int32_t n = local->partition_count;
    samsa_meta_partition_t *parts = calloc((size_t)n + 1, sizeof(*parts));
    samsa_meta_config_t *configs = NULL;
    int32_t me = b->node_id;
    samsa_err_t err = parts ? SAMSA_OK : SAMSA_ERR_NOMEM;
    for (int32_t p = 0; p < n && parts; p++) {
        parts[p] = (samsa_meta_partition_t){.leader = me,
                                            .replica_count = 1,
                                            .replicas = &me,
                                            .isr_count = 1,
                                            .isr = &me};
    }
    pthread_mutex_lock(&local->config_lock);
    size_t nc = local->config.count;
    configs = err == SAMSA_OK ? calloc(nc + 1, sizeof(*configs)) : NULL;
    for (size_t i = 0; configs && i < nc; i++) {
        configs[i] = (samsa_meta_config_t){local->config.items[i].name,
                                           local->config.items[i].value};
    }
    if (err == SAMSA_OK && configs) {
        samsa_meta_topic_t t = {.name = local->name,
                                .partition_count = n,
                                .partitions = parts,
                                .config_count = nc,
                                .configs = configs};
        memcpy(t.id, local->id, 16);
        err = samsa_mdrec_topic(&t, out);
    } else {
        err = SAMSA_ERR_NOMEM;
    }
    pthread_mutex_unlock(&local->config_lock);
    free(configs);
    free(parts);
    return err;
}

/* A standalone store the metadata log does not take over yet, non-empty:
 * its path in @p errbuf. */
static bool unmigrated_store(samsa_broker_t *b, char *errbuf, size_t errlen)
{
    static const char *const stores[] = {"scram_credentials", "client_quotas",
                                         "acls", "broker_configs"};
    for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++) {
        struct stat st;
        char path[4096];
        snprintf(path, sizeof(path), "%s/__samsa_meta/%s", b->cfg->data_dir,
                 stores[i]);
        if (stat(path, &st) == 0 && st.st_size > 0) {
            snprintf(errbuf, errlen,
                     "%s: this standalone node's %s cannot be moved into the "
                     "metadata log yet; remove process_roles from samsa.yaml "
                     "to keep running standalone (nothing was changed)",
                     path, stores[i]);
            return true;
        }
    }
    return false;
}

/* Wait (bounded) until this node leads the quorum: true. */
static bool await_controller(samsa_broker_t *b, int64_t until)
{
    while (samsa_meta_controller(b->meta) != b->node_id) {
        if (samsa_mono_ms() >= until) {
            return false;
        }
        struct timespec pause = {0, 1000000}; /* 1 ms */
        nanosleep(&pause, NULL);
    }
    return true;
}

samsa_err_t samsa_cluster_migrate_standalone(samsa_broker_t *b, char *errbuf,
                                             size_t errlen)
{
    int64_t until = samsa_mono_ms() + MIGRATE_MS;
    if (!await_controller(b, until)) {
        snprintf(errbuf, errlen,
                 "not the controller of its own quorum after "
                 "%d ms",
                 MIGRATE_MS);
        return SAMSA_ERR_REQUEST_TIMED_OUT;
    }
    samsa_topic_t **topics = NULL;
    size_t count = 0;
    if (samsa_logmgr_list(b->logs, &topics, &count) != SAMSA_OK) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    /* No broker ever registered: the first start on this log. */
    bool first = img->broker_count == 0;
    /* Standalone topics: ids minted here, never assigned by a controller
     * (a cluster node's local topics all were), and not in the log yet
     * (a start cut short moved some). */
    size_t keep = 0;
    for (size_t i = 0; i < count; i++) {
        if (!topics[i]->id_assigned &&
            !samsa_meta_topic(img, topics[i]->name)) {
            topics[keep++] = topics[i];
        } else {
            samsa_topic_put(topics[i]);
        }
    }
    count = keep;
    int64_t pids = samsa_pid_alloc_peek(samsa_logmgr_producer_ids(b->logs));
    if (pids <= img->next_producer_id) {
        pids = 0;
    }
    samsa_meta_image_put(img);
    if (first && unmigrated_store(b, errbuf, errlen)) {
        samsa_logmgr_list_free(topics, count);
        return SAMSA_ERR_CONFIG;
    }
    if (count == 0 && pids == 0) {
        samsa_logmgr_list_free(topics, count);
        return SAMSA_OK;
    }
    migration_t *m = calloc(1, sizeof(*m));
    if (!m) {
        samsa_logmgr_list_free(topics, count);
        return SAMSA_ERR_NOMEM;
    }
    sem_init(&m->done, 0, 0);
    atomic_init(&m->refs, 1);
    size_t proposed = 0;
    samsa_err_t err = SAMSA_OK;
    for (size_t i = 0; i < count && err == SAMSA_OK; i++) {
        samsa_meta_rec_t rec;
        err = topic_record(b, topics[i], &rec);
        if (err == SAMSA_OK) {
            propose(b, m, rec);
            proposed++;
        }
    }
    samsa_meta_rec_t rec;
    if (err == SAMSA_OK && pids > 0 &&
        (err = samsa_mdrec_producer_ids(b->node_id, 0, pids, &rec)) ==
            SAMSA_OK) {
        propose(b, m, rec);
        proposed++;
    }
    for (size_t i = 0; i < proposed && err == SAMSA_OK; i++) {
        struct timespec ts =
            samsa_deadline(CLOCK_REALTIME, until - samsa_mono_ms());
        while (sem_timedwait(&m->done, &ts) != 0) {
            if (errno != EINTR) {
                err = SAMSA_ERR_REQUEST_TIMED_OUT;
                break;
            }
        }
    }
    if (err == SAMSA_OK) {
        err = (samsa_err_t)atomic_load(&m->failed);
    }
    if (err == SAMSA_OK) {
        samsa_log(SAMSA_LOG_INFO,
                  "cluster: moved this standalone node's %zu topics (and "
                  "producer ids below %lld) into the metadata log",
                  count, (long long)pids);
    } else {
        snprintf(errbuf, errlen,
                 "moving this standalone node's %zu topics into the metadata "
                 "log failed: %s (nothing on disk was changed)",
                 count, samsa_err_str(err));
    }
    migration_unref(m);
    samsa_logmgr_list_free(topics, count);
    return err;
}
