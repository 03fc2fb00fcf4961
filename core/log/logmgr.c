/* SPDX-License-Identifier: Apache-2.0 */
/* core/log/logmgr.c - see logmgr.h. */
#include "log/logmgr.h"
#include "log/partition_int.h"

#include "log/flusher.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durable_file.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/log_limit.h"

#define META_DIR          "__samsa_meta"
#define PRODUCERS_DIR     "producers"     /* per-partition producer snapshots */
#define EPOCHS_DIR        "leader-epochs" /* leader-epoch checkpoints */
#define PRODUCER_IDS_FILE "producer_ids"
#define MAX_PARTITIONS    100000

typedef struct samsa_offline_topic {
    char *name;
    char *reason;
} samsa_offline_topic_t;

struct samsa_logmgr {
    pthread_rwlock_t lock; /* guards topics/count */
    samsa_topic_t **topics;
    size_t count, cap;
    char *data_dir;
    char *meta_dir;
    samsa_engine_lookup_fn engine_lookup;
    void *engine_lookup_arg;
    /* Broker-level topic defaults: static config merged with the dynamic
     * broker configs, replaced at runtime (AlterConfigs on a BROKER). */
    pthread_rwlock_t defaults_lock;
    samsa_tcfg_t broker_defaults; /* guarded by defaults_lock */
    int64_t housekeep_ms;
    pthread_t housekeeper;
    bool housekeeper_running;
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_cond;
    bool stopping;
    pthread_mutex_t admin_lock; /* serializes create/delete/alter */
    samsa_flusher_t *flusher;
    /* Deleted topics still referenced by in-flight requests. Their data is
     * removed by the housekeeper once the last reference is gone, and their
     * names stay taken until then (Kafka: "marked for deletion"). */
    pthread_mutex_t dying_lock;
    samsa_topic_t **dying;
    size_t dying_count, dying_cap;
    bool wake;           /* guarded by stop_lock: run a pass now */
    char *producers_dir; /* <data_dir>/__samsa_meta/producers */
    char *epochs_dir;    /* <data_dir>/__samsa_meta/leader-epochs */
    int64_t producer_expiration_ms;
    samsa_pid_alloc_t *pids; /* InitProducerId */
    int32_t max_partitions;  /* max.broker.partitions */
    /* Topics whose metadata could not be loaded; guarded by lock. */
    samsa_offline_topic_t *offline;
    size_t offline_count, offline_cap;
    /* samsa_logmgr_set_leader_append_hook; arg is stored before fn. */
    _Atomic(samsa_leader_append_fn) leader_appended;
    void *_Atomic leader_appended_arg;
};

bool samsa_topic_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 249 || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------------- */
/* Topic objects                                                          */
/* ---------------------------------------------------------------------- */

/* Named by topic id, not name: "<name>-<partition>.snapshot" passes
 * NAME_MAX (255) for the longest names Kafka allows (249 characters). */
static void partition_file_path(samsa_partition_t *part, const char *dir,
                                const char *suffix, char *buf, size_t len)
{
    char id[33];
    for (int i = 0; i < 16; i++) {
        snprintf(id + 2 * i, 3, "%02x", part->topic->id[i]);
    }
    snprintf(buf, len, "%s/%s-%d%s", dir, id, part->index, suffix);
}

static void producer_snapshot_path(samsa_partition_t *part, char *buf,
                                   size_t len)
{
    partition_file_path(part, part->topic->mgr->producers_dir, ".snapshot", buf,
                        len);
}

/* The two snapshots taken as the log grows, beside the clean-shutdown one. */
static void producer_slot_path(samsa_partition_t *part, int slot, char *buf,
                               size_t len)
{
    partition_file_path(part, part->topic->mgr->producers_dir,
                        slot ? ".snapshot.b" : ".snapshot.a", buf, len);
}

/* Offsets between two producer snapshots: a crash replays about this
 * much, plus what was appended since the last housekeeping round. Half
 * the replayed tail used without a snapshot, so recovery reads no more
 * than before. */
#define PRODUCER_SNAPSHOT_INTERVAL 50000

void samsa_partition_snapshots_drop_above(samsa_partition_t *part,
                                          int64_t offset)
{
    part->truncations++;
    for (int slot = 0; slot < 2; slot++) {
        if (part->snap_at[slot] > offset) {
            char path[4096];
            producer_slot_path(part, slot, path, sizeof(path));
            unlink(path);
            part->snap_at[slot] = -1;
        }
    }
}

/* Housekeeper: delete the snapshots below the log start; write the
 * producer state to the older of the two slots once the log grew
 * PRODUCER_SNAPSHOT_INTERVAL past the newest. The copy
 * and its offset are taken under the append lock, so they match; the
 * write (fsync) happens outside it. A truncation meanwhile may have cut
 * the log below the copy: the file is then deleted. */
static void producers_snapshot(samsa_partition_t *part)
{
    pthread_mutex_lock(&part->append_lock);
    int64_t leo = samsa_partition_leo(part);
    int64_t start = atomic_load(&part->log_start_offset);
    for (int i = 0; i < 2; i++) {
        /* Below the log start (retention, DeleteRecords) it is useless:
         * recovery cannot replay what follows it. */
        if (part->snap_at[i] >= 0 && part->snap_at[i] < start) {
            char old[4096];
            producer_slot_path(part, i, old, sizeof(old));
            unlink(old);
            part->snap_at[i] = -1;
        }
    }
    int slot = part->snap_at[0] <= part->snap_at[1] ? 0 : 1;
    int64_t newest = part->snap_at[1 - slot];
    samsa_producer_state_t *copy = NULL;
    if (!part->snap_writing && part->producers && leo > 0 &&
        leo - (newest < 0 ? 0 : newest) >= PRODUCER_SNAPSHOT_INTERVAL &&
        samsa_producer_state_clone(part->producers, &copy) != SAMSA_OK) {
        copy = NULL;
    }
    uint64_t truncations = part->truncations;
    part->snap_writing |= copy != NULL;
    pthread_mutex_unlock(&part->append_lock);
    if (!copy) {
        return;
    }
    char path[4096];
    producer_slot_path(part, slot, path, sizeof(path));
    samsa_err_t err = samsa_producer_snapshot_write(copy, path, leo);
    samsa_producer_state_free(copy);
    pthread_mutex_lock(&part->append_lock);
    if (err == SAMSA_OK && truncations != part->truncations) {
        unlink(path);
        part->snap_at[slot] = -1;
    } else if (err == SAMSA_OK) {
        part->snap_at[slot] = leo;
    }
    part->snap_writing = false;
    pthread_mutex_unlock(&part->append_lock);
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_WARN,
                  "%s: cannot write the producer state snapshot: %s; "
                  "a crash replays from the previous one",
                  path, samsa_err_str(err));
    }
}

/* The leader-epoch cache's file goes with the partition; a change not
 * yet written (a failed write, the start moved) is written now. */
static void epochs_close(samsa_partition_t *part, bool remove)
{
    if (remove && part->epochs.path) {
        unlink(part->epochs.path);
    } else if (atomic_load(&part->epochs_dirty) &&
               samsa_epoch_cache_flush(&part->epochs) != SAMSA_OK) {
        samsa_log(SAMSA_LOG_WARN, "%s: cannot write the leader-epoch cache",
                  part->epochs.path);
    }
    samsa_epoch_cache_free(&part->epochs);
}

/* Idempotent producers: keep their state across a clean restart. */
static void producers_close(samsa_partition_t *part, bool remove)
{
    if (!part->producers) {
        return;
    }
    char path[4096];
    producer_snapshot_path(part, path, sizeof(path));
    if (remove) {
        unlink(path);
        for (int slot = 0; slot < 2; slot++) {
            producer_slot_path(part, slot, path, sizeof(path));
            unlink(path);
        }
    } else if (part->log) {
        samsa_log_offsets_t off;
        part->ops->offsets(part->log, &off);
        /* An empty log has nothing to rebuild from: no file (closing
         * 100,000 idle partitions writes 100,000 fewer files). */
        if (off.log_end_offset > 0 &&
            samsa_producer_snapshot_write(part->producers, path,
                                          off.log_end_offset) != SAMSA_OK) {
            samsa_log(SAMSA_LOG_WARN,
                      "%s: cannot write the producer state "
                      "snapshot; it will be rebuilt from the log",
                      path);
        }
    }
    samsa_producer_state_free(part->producers);
    part->producers = NULL;
}

static void partition_close(samsa_partition_t *part, bool remove)
{
    if (!part) {
        return;
    }
    producers_close(part, remove);
    samsa_producer_state_free(part->prod_stable);
    samsa_producer_state_free(part->prod_pending);
    epochs_close(part, remove);
    if (part->log) {
        if (remove) {
            part->ops->remove(part->log);
        } else {
            part->ops->close(part->log);
        }
    }
    pthread_mutex_destroy(&part->append_lock);
    pthread_mutex_destroy(&part->wait_lock);
    pthread_mutex_destroy(&part->flush_lock);
    free(part);
}

static void topic_free(samsa_topic_t *t)
{
    bool remove = atomic_load(&t->deleted);
    for (int32_t i = 0; i < t->partition_count; i++) {
        partition_close(t->partitions[i], remove);
    }
    free(t->partitions);
    for (size_t i = 0; i < t->retired_count; i++) {
        free(t->retired[i]);
    }
    free(t->retired);
    samsa_tcfg_free(&t->config);
    pthread_mutex_destroy(&t->config_lock);
    free(t->engine);
    free(t->name);
    free(t);
}

void samsa_topic_hold(samsa_topic_t *topic)
{
    atomic_fetch_add(&topic->refs, 1);
}

static void wake_housekeeper(samsa_logmgr_t *mgr)
{
    pthread_mutex_lock(&mgr->stop_lock);
    mgr->wake = true;
    pthread_cond_broadcast(&mgr->stop_cond);
    pthread_mutex_unlock(&mgr->stop_lock);
}

void samsa_topic_put(samsa_topic_t *topic)
{
    if (!topic || atomic_fetch_sub(&topic->refs, 1) != 1) {
        return;
    }
    if (atomic_load(&topic->deleted)) {
        /* Removing files is slow work: it belongs to the housekeeper, not
         * to the reactor that happened to drop the last reference. */
        wake_housekeeper(topic->mgr);
        return;
    }
    topic_free(topic);
}

/* Free deleted topics nobody references any more (all when force). */
static void reap_dying(samsa_logmgr_t *mgr, bool force)
{
    pthread_mutex_lock(&mgr->dying_lock);
    size_t keep = 0;
    for (size_t i = 0; i < mgr->dying_count; i++) {
        samsa_topic_t *t = mgr->dying[i];
        if (force || atomic_load(&t->refs) == 0) {
            topic_free(t);
        } else {
            mgr->dying[keep++] = t;
        }
    }
    mgr->dying_count = keep;
    pthread_mutex_unlock(&mgr->dying_lock);
}

static bool name_dying(samsa_logmgr_t *mgr, const char *name)
{
    pthread_mutex_lock(&mgr->dying_lock);
    bool found = false;
    for (size_t i = 0; i < mgr->dying_count && !found; i++) {
        found = strcmp(mgr->dying[i]->name, name) == 0;
    }
    pthread_mutex_unlock(&mgr->dying_lock);
    return found;
}

samsa_partition_t *samsa_topic_partition(samsa_topic_t *topic, int32_t index)
{
    if (index < 0 || index >= topic->partition_count) {
        return NULL;
    }
    return topic->partitions[index];
}

static void set_flush_policy(samsa_partition_t *part,
                             const samsa_log_config_t *lc)
{
    atomic_store(&part->flush_messages, lc->flush_messages);
    atomic_store(&part->flush_ms, lc->flush_ms);
    atomic_store(&part->last_flush_ms, samsa_mono_ms());
}

static samsa_err_t replay_producers(void *arg, const uint8_t *buf, size_t len)
{
    return samsa_producer_replay(arg, buf, len, samsa_wall_ms());
}

/* Producer state @p st of the log as it is: the newest usable snapshot
 * (the clean-shutdown one at @p snapshot_path, the periodic ones), then
 * what follows it; without one the tail. */
static samsa_err_t producers_rebuild(samsa_partition_t *part,
                                     samsa_producer_state_t *st,
                                     const char *snapshot_path)
{
    samsa_log_offsets_t off;
    part->ops->offsets(part->log, &off);
    char slots[2][4096];
    producer_slot_path(part, 0, slots[0], sizeof(slots[0]));
    producer_slot_path(part, 1, slots[1], sizeof(slots[1]));
    const char *const periodic[2] = {slots[0], slots[1]};
    int64_t from;
    samsa_producer_rebuild_begin(st, snapshot_path, periodic, part->snap_at, 2,
                                 off.log_start_offset, off.log_end_offset, 0,
                                 &from);
    samsa_err_t err = samsa_partition_read_all(part, from, off.log_end_offset,
                                               replay_producers, st);
    samsa_producer_expire(st, samsa_wall_ms());
    return err;
}

bool samsa_partition_txn_indexed(const samsa_partition_t *part)
{
    const samsa_storage_ops_t *ops = part->ops;
    return SAMSA_ABI_HAS(samsa_storage_ops_t, ops, txn_index_collect) &&
           ops->txn_index_append && ops->txn_index_collect;
}

samsa_err_t samsa_partition_txn_index_sync(samsa_partition_t *part)
{
    static samsa_log_limit_t failed = SAMSA_LOG_LIMIT_INIT(10, 60000);
    if (!samsa_partition_txn_indexed(part)) {
        return SAMSA_OK; /* the producer state's list is the index */
    }
    samsa_aborted_txn_t txns[16];
    samsa_err_t err = SAMSA_OK;
    size_t n, done = 0;
    while (err == SAMSA_OK &&
           (n = samsa_producer_aborted_oldest(part->producers, txns, 16)) > 0) {
        for (done = 0; err == SAMSA_OK && done < n; done++) {
            err = part->ops->txn_index_append(part->log, &txns[done]);
        }
        done -= err != SAMSA_OK;
        samsa_producer_aborted_drop(part->producers, done);
    }
    if (err != SAMSA_OK) {
        /* Kept in the list, which fetches read too (samsa_partition_
         * aborted_txns); tried again after the next append. */
        samsa_log_limited(&failed, SAMSA_LOG_ERROR,
                          "%s-%d: cannot record aborted transaction "
                          "(producer %" PRId64 ", offsets %" PRId64 "..%" PRId64
                          ") in the transaction index: %s; kept in memory",
                          part->topic->name, part->index,
                          txns[done].producer_id, txns[done].first_offset,
                          txns[done].last_offset, samsa_err_str(err));
    }
    return err;
}

samsa_err_t samsa_partition_producers_reload(samsa_partition_t *part,
                                             samsa_producer_state_t *base,
                                             int64_t base_at)
{
    samsa_producer_state_t *fresh;
    samsa_err_t err =
        base ? samsa_producer_state_clone(base, &fresh)
             : samsa_producer_state_new(
                   part->topic->mgr->producer_expiration_ms, &fresh);
    if (err != SAMSA_OK) {
        return err;
    }
    if (base) {
        err = samsa_partition_read_all(part, base_at, samsa_partition_leo(part),
                                       replay_producers, fresh);
        samsa_producer_expire(fresh, samsa_wall_ms());
    } else {
        err = producers_rebuild(part, fresh, NULL);
    }
    samsa_producer_state_swap(part->producers, fresh);
    samsa_producer_state_free(fresh);
    /* Markers replayed after the cut are indexed already: ignored. A
     * failure keeps the rest in memory (logged). */
    (void)samsa_partition_txn_index_sync(part);
    return err;
}

void samsa_partition_start_moved(samsa_partition_t *part)
{
    samsa_log_offsets_t off;
    part->ops->offsets(part->log, &off);
    atomic_store(&part->log_start_offset, off.log_start_offset);
    samsa_producer_aborted_trim(part->producers, off.log_start_offset);
    if (samsa_epoch_cache_truncate_start(&part->epochs, off.log_start_offset)) {
        atomic_store(&part->epochs_dirty, true);
    }
}

/* The epoch of the log's first batch (-1: none or unreadable). */
static int32_t first_batch_epoch(samsa_partition_t *part,
                                 const samsa_log_offsets_t *off)
{
    samsa_storage_read_t rd;
    if (samsa_partition_read(part, off->log_start_offset, off->log_end_offset,
                             1, SAMSA_READ_MIN_ONE, &rd) != SAMSA_OK) {
        return -1;
    }
    uint8_t hdr[SAMSA_BATCH_OFF_MAGIC];
    int32_t epoch = -1;
    if (rd.slice_count > 0 && rd.slices[0].len >= (int64_t)sizeof(hdr)) {
        const samsa_slice_t *sl = &rd.slices[0];
        if (sl->fd < 0) {
            memcpy(hdr, sl->buf, sizeof(hdr));
            epoch = (int32_t)samsa_be32(hdr + SAMSA_BATCH_OFF_LEADER_EPOCH);
        } else if (pread(sl->fd, hdr, sizeof(hdr), sl->pos) ==
                   (ssize_t)sizeof(hdr)) {
            epoch = (int32_t)samsa_be32(hdr + SAMSA_BATCH_OFF_LEADER_EPOCH);
        }
    }
    samsa_partition_read_release(part, &rd);
    return epoch;
}

/* The leader-epoch cache of a freshly opened log: the checkpoint, cut to
 * what the log still holds (recovery may have cut its tail). A log without
 * one (standalone, or written before the cache existed) starts with the
 * epoch of its first batch at its start, in memory only: standalone
 * partitions write every batch in epoch 0 and never need the file. */
static samsa_err_t epochs_open(samsa_partition_t *part)
{
    char path[4096];
    partition_file_path(part, part->topic->mgr->epochs_dir, "", path,
                        sizeof(path));
    samsa_err_t err = samsa_epoch_cache_init(&part->epochs, path);
    if (err != SAMSA_OK) {
        return err;
    }
    samsa_log_offsets_t off;
    part->ops->offsets(part->log, &off);
    err = samsa_epoch_cache_load(&part->epochs);
    if (err == SAMSA_ERR_CORRUPT_MESSAGE) {
        samsa_log(SAMSA_LOG_WARN,
                  "%s: damaged leader-epoch checkpoint; starting "
                  "from the log's first batch",
                  path);
    }
    bool dirty =
        samsa_epoch_cache_truncate_end(&part->epochs, off.log_end_offset);
    dirty |=
        samsa_epoch_cache_truncate_start(&part->epochs, off.log_start_offset);
    if (samsa_epoch_cache_latest(&part->epochs) < 0) {
        int32_t first = off.log_end_offset > off.log_start_offset
                            ? first_batch_epoch(part, &off)
                            : -1;
        samsa_epoch_cache_assign(&part->epochs, first >= 0 ? first : 0,
                                 off.log_start_offset);
    }
    atomic_store(&part->epochs_dirty, dirty);
    atomic_store(&part->leader_epoch, samsa_epoch_cache_latest(&part->epochs));
    return SAMSA_OK;
}

static samsa_err_t partition_open(samsa_logmgr_t *mgr, samsa_topic_t *t,
                                  int32_t index, samsa_partition_t **out,
                                  char *errbuf, size_t errlen)
{
    const samsa_storage_ops_t *ops;
    void *state;
    samsa_err_t err =
        mgr->engine_lookup(mgr->engine_lookup_arg, t->engine, &ops, &state);
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen, "storage engine '%s' is not loaded",
                 t->engine);
        return SAMSA_ERR_INVALID_CONFIG;
    }
    samsa_partition_t *part = calloc(1, sizeof(*part));
    if (!part) {
        return SAMSA_ERR_NOMEM;
    }
    part->topic = t;
    part->index = index;
    part->ops = ops;
    part->snap_at[0] = part->snap_at[1] = -1;
    pthread_mutex_init(&part->append_lock, NULL);
    pthread_mutex_init(&part->wait_lock, NULL);
    pthread_mutex_init(&part->flush_lock, NULL);
    err = samsa_epoch_cache_init(&part->epochs, NULL);
    if (err != SAMSA_OK) {
        partition_close(part, false);
        return err;
    }

    samsa_log_config_t lc;
    pthread_rwlock_rdlock(&mgr->defaults_lock);
    samsa_tcfg_to_log_config(&t->config, &mgr->broker_defaults, &lc);
    pthread_rwlock_unlock(&mgr->defaults_lock);
    set_flush_policy(part, &lc);
    err = ops->open(state, t->name, index, &lc, &part->log, errbuf, errlen);
    if (err != SAMSA_OK) {
        part->log = NULL;
        partition_close(part, false);
        return err;
    }
    samsa_log_offsets_t off;
    ops->offsets(part->log, &off);
    atomic_store(&part->high_watermark, off.log_end_offset);
    atomic_store(&part->log_start_offset, off.log_start_offset);
    err =
        samsa_producer_state_new(mgr->producer_expiration_ms, &part->producers);
    if (err == SAMSA_OK) {
        char path[4096];
        producer_snapshot_path(part, path, sizeof(path));
        if (producers_rebuild(part, part->producers, path) != SAMSA_OK) {
            /* Partial state only costs duplicate detection for producers
             * not rebuilt; they are accepted as unknown (Kafka 2.5+). */
            samsa_log(SAMSA_LOG_WARN,
                      "%s-%d: producer state rebuilt only "
                      "partly (log read failed)",
                      t->name, index);
        }
        /* Recovery: markers of the replayed tail whose index entry a
         * crash lost are indexed again (the others are ignored); what the
         * engine refuses stays in memory (logged). */
        (void)samsa_partition_txn_index_sync(part);
    }
    if (err == SAMSA_OK) {
        samsa_epoch_cache_free(&part->epochs);
        err = epochs_open(part);
    }
    if (err != SAMSA_OK) {
        partition_close(part, false);
        return err;
    }
    *out = part;
    return SAMSA_OK;
}

/* ---------------------------------------------------------------------- */
/* Metadata files                                                         */
/* ---------------------------------------------------------------------- */

static int mkdir_p(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
                return -1;
            }
            *p = '/';
        }
    }
    return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/* Writes are serialized by admin_lock, so one fixed temporary name serves
 * every topic: "<name>.meta.tmp" would pass NAME_MAX (255) for names of
 * 247-249 characters, which Kafka allows. */
#define META_TMP ".meta-write.tmp"

static samsa_err_t meta_write(samsa_logmgr_t *mgr, samsa_topic_t *t,
                              char *errbuf, size_t errlen)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/%s.meta", mgr->meta_dir, t->name);
    snprintf(tmp, sizeof(tmp), "%s/%s", mgr->meta_dir, META_TMP);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        return SAMSA_ERR_NOMEM;
    }
    fprintf(f, "id=");
    for (int i = 0; i < 16; i++) {
        fprintf(f, "%02x", t->id[i]);
    }
    fprintf(f, "\n%spartitions=%d\nengine=%s\n",
            t->id_assigned ? "id_assigned=1\n" : "", t->partition_count,
            t->engine);
    pthread_mutex_lock(&t->config_lock);
    for (size_t i = 0; i < t->config.count; i++) {
        fprintf(f, "config.%s=%s\n", t->config.items[i].name,
                t->config.items[i].value);
    }
    pthread_mutex_unlock(&t->config_lock);
    if (fclose(f) != 0) {
        free(text);
        return SAMSA_ERR_NOMEM;
    }
    int rc = samsa_file_replace(path, tmp, text, len, true);
    free(text);
    if (rc != 0) {
        snprintf(errbuf, errlen, "cannot write %s: %s", path, strerror(rc));
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    return SAMSA_OK;
}

static void meta_remove(samsa_logmgr_t *mgr, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.meta", mgr->meta_dir, name);
    unlink(path);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

static samsa_topic_t *topic_new(samsa_logmgr_t *mgr, const char *name)
{
    samsa_topic_t *t = calloc(1, sizeof(*t));
    if (!t) {
        return NULL;
    }
    t->name = strdup(name);
    t->mgr = mgr;
    atomic_store(&t->refs, 1);
    pthread_mutex_init(&t->config_lock, NULL);
    t->internal = name[0] == '_' && name[1] == '_';
    if (!t->name) {
        free(t);
        return NULL;
    }
    return t;
}

/* Undo the opening of a partition that is being created: its files go,
 * unless the engine already held data for it (never ours to delete). */
static void partition_discard(samsa_partition_t *part)
{
    samsa_log_offsets_t off = {0};
    if (part->log) {
        part->ops->offsets(part->log, &off);
    }
    partition_close(part, off.log_end_offset == 0 && off.log_start_offset == 0);
}

/* Open partitions [from, to) of @p t; on failure the ones opened are
 * discarded (a half-created topic leaves no directories behind). */
static samsa_err_t topic_open_partitions(samsa_logmgr_t *mgr, samsa_topic_t *t,
                                         int32_t from, int32_t to, char *errbuf,
                                         size_t errlen)
{
    samsa_partition_t **parts =
        realloc(t->partitions, (size_t)to * sizeof(*parts));
    if (!parts) {
        return SAMSA_ERR_NOMEM;
    }
    t->partitions = parts;
    for (int32_t i = from; i < to; i++) {
        samsa_err_t err =
            partition_open(mgr, t, i, &t->partitions[i], errbuf, errlen);
        if (err != SAMSA_OK) {
            for (int32_t j = from; j < i; j++) {
                partition_discard(t->partitions[j]);
            }
            return err;
        }
    }
    return SAMSA_OK;
}

/* Open partitions [count, new_total) into a new array without holding the
 * table lock (opening thousands takes seconds, and every lookup takes that
 * lock), then publish the array and the count under it. The old array is
 * retired, not freed: a reader may still be indexing it. */
static samsa_err_t topic_grow(samsa_logmgr_t *mgr, samsa_topic_t *t,
                              int32_t new_total, char *errbuf, size_t errlen)
{
    int32_t from = t->partition_count;
    samsa_partition_t **parts = calloc((size_t)new_total, sizeof(*parts));
    void **retired =
        realloc(t->retired, (t->retired_count + 1) * sizeof(*retired));
    if (!parts || !retired) {
        free(parts);
        return SAMSA_ERR_NOMEM;
    }
    t->retired = retired;
    memcpy(parts, t->partitions, (size_t)from * sizeof(*parts));
    for (int32_t i = from; i < new_total; i++) {
        samsa_err_t err = partition_open(mgr, t, i, &parts[i], errbuf, errlen);
        if (err != SAMSA_OK) {
            for (int32_t j = from; j < i; j++) {
                partition_discard(parts[j]);
            }
            free(parts);
            return err;
        }
    }
    pthread_rwlock_wrlock(&mgr->lock);
    t->retired[t->retired_count++] = t->partitions;
    t->partitions = parts;
    t->partition_count = new_total;
    pthread_rwlock_unlock(&mgr->lock);
    return SAMSA_OK;
}

/* New partitions must start empty: data found there belongs to a topic
 * whose metadata was lost, and adopting it with default settings would
 * hide that. */
static samsa_err_t check_no_old_data(samsa_topic_t *t, int32_t from, int32_t to,
                                     char *errbuf, size_t errlen)
{
    for (int32_t i = from; i < to; i++) {
        samsa_log_offsets_t off;
        t->partitions[i]->ops->offsets(t->partitions[i]->log, &off);
        if (off.log_end_offset > 0 || off.log_start_offset > 0) {
            snprintf(errbuf, errlen,
                     "storage engine '%s' already holds data for %s-%d "
                     "(offsets %lld..%lld) but %s/%s.meta is missing: "
                     "restore that file (then restart) or remove the data",
                     t->engine, t->name, i, (long long)off.log_start_offset,
                     (long long)off.log_end_offset, t->mgr->meta_dir, t->name);
            return SAMSA_ERR_KAFKA_STORAGE_ERROR;
        }
    }
    return SAMSA_OK;
}

static samsa_err_t table_add(samsa_logmgr_t *mgr, samsa_topic_t *t)
{
    if (mgr->count == mgr->cap) {
        size_t ncap = mgr->cap ? mgr->cap * 2 : 16;
        samsa_topic_t **n = realloc(mgr->topics, ncap * sizeof(*n));
        if (!n) {
            return SAMSA_ERR_NOMEM;
        }
        mgr->topics = n;
        mgr->cap = ncap;
    }
    mgr->topics[mgr->count++] = t;
    return SAMSA_OK;
}

/* Strict parse of one "key=value" line of a .meta file into @p t; false
 * when the line is not one this file format has. */
static bool meta_parse_line(samsa_topic_t *t, char *line, int32_t *partitions)
{
    char *eq = strchr(line, '=');
    if (!eq) {
        return line[0] == 0;
    }
    *eq = 0;
    const char *v = eq + 1;
    if (strcmp(line, "id") == 0) {
        if (strlen(v) != 32) {
            return false;
        }
        for (int i = 0; i < 16; i++) {
            int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                return false;
            }
            t->id[i] = (uint8_t)(hi << 4 | lo);
        }
        return true;
    }
    if (strcmp(line, "id_assigned") == 0) {
        t->id_assigned = true;
        return strcmp(v, "1") == 0;
    }
    if (strcmp(line, "partitions") == 0) {
        char *end;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < 1 || n > MAX_PARTITIONS) {
            return false;
        }
        *partitions = (int32_t)n;
        return true;
    }
    if (strcmp(line, "engine") == 0) {
        free(t->engine);
        t->engine = strdup(v);
        return t->engine && v[0];
    }
    if (strncmp(line, "config.", 7) == 0) {
        char why[256];
        return samsa_tcfg_validate(line + 7, v, why, sizeof(why)) == SAMSA_OK &&
               samsa_tcfg_set(&t->config, line + 7, v) == SAMSA_OK;
    }
    return false;
}

static samsa_err_t meta_load_one(samsa_logmgr_t *mgr, const char *name,
                                 samsa_topic_t **out, char *errbuf,
                                 size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.meta", mgr->meta_dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    samsa_topic_t *t = topic_new(mgr, name);
    if (!t) {
        fclose(f);
        return SAMSA_ERR_NOMEM;
    }
    int32_t partitions = 0;
    bool has_id = false;
    char line[8192];
    int lineno = 0;
    samsa_err_t err = SAMSA_OK;
    while (err == SAMSA_OK && fgets(line, sizeof(line), f)) {
        lineno++;
        line[strcspn(line, "\n")] = 0;
        has_id = has_id || strncmp(line, "id=", 3) == 0;
        if (!meta_parse_line(t, line, &partitions)) {
            snprintf(errbuf, errlen, "%s:%d: damaged line", path, lineno);
            err = SAMSA_ERR_KAFKA_STORAGE_ERROR;
        }
    }
    fclose(f);
    if (err == SAMSA_OK && (!has_id || partitions < 1 || !t->engine)) {
        snprintf(errbuf, errlen, "%s: damaged: %s is missing", path,
                 !has_id          ? "id"
                 : partitions < 1 ? "partitions"
                                  : "engine");
        err = SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    if (err == SAMSA_OK) {
        err = topic_open_partitions(mgr, t, 0, partitions, errbuf, errlen);
    }
    if (err != SAMSA_OK) {
        topic_free(t);
        return err;
    }
    t->partition_count = partitions;
    *out = t;
    return SAMSA_OK;
}

/* A topic whose metadata cannot be loaded stays offline (its name taken,
 * its data untouched) while every other topic serves. */
static samsa_err_t offline_add(samsa_logmgr_t *mgr, const char *name,
                               const char *reason)
{
    pthread_rwlock_wrlock(&mgr->lock);
    samsa_err_t err = SAMSA_OK;
    if (mgr->offline_count == mgr->offline_cap) {
        size_t ncap = mgr->offline_cap ? mgr->offline_cap * 2 : 8;
        samsa_offline_topic_t *n = realloc(mgr->offline, ncap * sizeof(*n));
        if (!n) {
            err = SAMSA_ERR_NOMEM;
        } else {
            mgr->offline = n;
            mgr->offline_cap = ncap;
        }
    }
    if (err == SAMSA_OK) {
        samsa_offline_topic_t *o = &mgr->offline[mgr->offline_count];
        o->name = strdup(name);
        o->reason = strdup(reason);
        if (!o->name || !o->reason) {
            free(o->name);
            free(o->reason);
            err = SAMSA_ERR_NOMEM;
        } else {
            mgr->offline_count++;
        }
    }
    pthread_rwlock_unlock(&mgr->lock);
    return err;
}

bool samsa_logmgr_topic_offline(samsa_logmgr_t *mgr, const char *name,
                                char *reason, size_t len)
{
    bool found = false;
    pthread_rwlock_rdlock(&mgr->lock);
    for (size_t i = 0; i < mgr->offline_count && !found; i++) {
        found = strcmp(mgr->offline[i].name, name) == 0;
        if (found && reason) {
            snprintf(reason, len, "%s", mgr->offline[i].reason);
        }
    }
    pthread_rwlock_unlock(&mgr->lock);
    return found;
}

static samsa_err_t meta_load_all(samsa_logmgr_t *mgr, char *errbuf,
                                 size_t errlen)
{
    DIR *d = opendir(mgr->meta_dir);
    if (!d) {
        snprintf(errbuf, errlen, "%s: %s", mgr->meta_dir, strerror(errno));
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    struct dirent *de;
    samsa_err_t err = SAMSA_OK;
    while (err == SAMSA_OK && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".meta") != 0) {
            continue;
        }
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(n - 5), de->d_name);
        if (!samsa_topic_name_valid(name)) {
            samsa_log(SAMSA_LOG_WARN,
                      "%s/%s: ignored: '%s' is not a legal topic name",
                      mgr->meta_dir, de->d_name, name);
            continue;
        }
        samsa_topic_t *t;
        char why[8192] = "";
        err = meta_load_one(mgr, name, &t, why, sizeof(why));
        if (err == SAMSA_OK) {
            err = table_add(mgr, t);
        } else if (err != SAMSA_ERR_NOMEM) {
            samsa_log(SAMSA_LOG_ERROR,
                      "topic '%s' is offline: %s. Its data is left as it "
                      "is. To repair: correct %s/%s.meta (lines id=<32 hex>, "
                      "partitions=<n>, engine=<name>, config.<key>=<value>) "
                      "or restore it from a backup, then restart; to drop "
                      "the topic, remove that file and its partition "
                      "directories",
                      name, why, mgr->meta_dir, name);
            err = offline_add(mgr, name, why);
        }
    }
    closedir(d);
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen, "%s: %s", mgr->meta_dir,
                 "out of memory loading topic metadata");
    }
    return err;
}

/* ---------------------------------------------------------------------- */
/* Housekeeping                                                           */
/* ---------------------------------------------------------------------- */

static void housekeep_partition(samsa_partition_t *part, int64_t now,
                                bool compact)
{
    part->ops->housekeep(part->log, now);
    if (compact && part->ops->compact) {
        part->ops->compact(part->log, now);
    }
    samsa_partition_start_moved(part);
    producers_snapshot(part);
}

void samsa_logmgr_housekeep_now(samsa_logmgr_t *mgr)
{
    samsa_topic_t **topics;
    size_t count;
    if (samsa_logmgr_list(mgr, &topics, &count) != SAMSA_OK) {
        return;
    }
    int64_t now = samsa_wall_ms();
    for (size_t i = 0; i < count; i++) {
        samsa_topic_t *t = topics[i];
        char policy[64];
        samsa_topic_config_string(t, "cleanup.policy", policy, sizeof(policy));
        bool compact = strstr(policy, "compact") != NULL;
        for (int32_t p = 0; p < t->partition_count; p++) {
            housekeep_partition(t->partitions[p], now, compact);
        }
    }
    samsa_logmgr_list_free(topics, count);
}

static void *housekeeper_main(void *arg)
{
    samsa_logmgr_t *mgr = arg;
    pthread_mutex_lock(&mgr->stop_lock);
    while (!mgr->stopping) {
        struct timespec ts = samsa_deadline(CLOCK_REALTIME, mgr->housekeep_ms);
        int rc = 0;
        while (!mgr->stopping && !mgr->wake && rc == 0) {
            rc = pthread_cond_timedwait(&mgr->stop_cond, &mgr->stop_lock, &ts);
        }
        if (mgr->stopping) {
            break;
        }
        bool woken = mgr->wake;
        mgr->wake = false;
        pthread_mutex_unlock(&mgr->stop_lock);
        reap_dying(mgr, false);
        if (!woken) {
            samsa_logmgr_housekeep_now(mgr);
        }
        pthread_mutex_lock(&mgr->stop_lock);
    }
    pthread_mutex_unlock(&mgr->stop_lock);
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Manager                                                                */
/* ---------------------------------------------------------------------- */

/* Idempotent producers: the id allocator and the snapshot directory. */
static samsa_err_t producers_open(samsa_logmgr_t *mgr,
                                  const samsa_logmgr_options_t *opts,
                                  char *errbuf, size_t errlen)
{
    mgr->producer_expiration_ms = opts->producer_id_expiration_ms;
    size_t len = strlen(opts->data_dir) + sizeof(META_DIR) +
                 sizeof(PRODUCERS_DIR) + sizeof(PRODUCER_IDS_FILE) + 8;
    mgr->producers_dir = malloc(len);
    char *ids = malloc(len);
    samsa_err_t err = SAMSA_ERR_NOMEM;
    if (mgr->producers_dir && ids) {
        snprintf(mgr->producers_dir, len, "%s/%s/%s", opts->data_dir, META_DIR,
                 PRODUCERS_DIR);
        snprintf(ids, len, "%s/%s/%s", opts->data_dir, META_DIR,
                 PRODUCER_IDS_FILE);
        err = samsa_pid_alloc_open(ids, 0, &mgr->pids, errbuf, errlen);
    }
    if (err == SAMSA_OK && mkdir_p(mgr->producers_dir) < 0) {
        snprintf(errbuf, errlen, "cannot create %s: %s", mgr->producers_dir,
                 strerror(errno));
        err = SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    free(ids);
    if (err == SAMSA_OK) {
        size_t elen =
            strlen(opts->data_dir) + sizeof(META_DIR) + sizeof(EPOCHS_DIR) + 2;
        mgr->epochs_dir = malloc(elen);
        err = mgr->epochs_dir ? SAMSA_OK : SAMSA_ERR_NOMEM;
        if (err == SAMSA_OK) {
            snprintf(mgr->epochs_dir, elen, "%s/%s/%s", opts->data_dir,
                     META_DIR, EPOCHS_DIR);
            if (mkdir_p(mgr->epochs_dir) < 0) {
                snprintf(errbuf, errlen, "cannot create %s: %s",
                         mgr->epochs_dir, strerror(errno));
                err = SAMSA_ERR_KAFKA_STORAGE_ERROR;
            }
        }
    }
    return err;
}

samsa_pid_alloc_t *samsa_logmgr_producer_ids(samsa_logmgr_t *mgr)
{
    return mgr->pids;
}

samsa_err_t samsa_logmgr_open(const samsa_logmgr_options_t *opts,
                              samsa_logmgr_t **out, char *errbuf, size_t errlen)
{
    samsa_logmgr_t *mgr = calloc(1, sizeof(*mgr));
    if (!mgr) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_rwlock_init(&mgr->lock, NULL);
    pthread_rwlock_init(&mgr->defaults_lock, NULL);
    pthread_mutex_init(&mgr->stop_lock, NULL);
    pthread_cond_init(&mgr->stop_cond, NULL);
    pthread_mutex_init(&mgr->admin_lock, NULL);
    pthread_mutex_init(&mgr->dying_lock, NULL);
    mgr->engine_lookup = opts->engine_lookup;
    mgr->max_partitions =
        opts->max_partitions > 0 ? opts->max_partitions : MAX_PARTITIONS;
    mgr->engine_lookup_arg = opts->engine_lookup_arg;
    mgr->housekeep_ms =
        opts->housekeep_interval_ms > 0 ? opts->housekeep_interval_ms : 5000;
    mgr->data_dir = strdup(opts->data_dir);
    size_t mlen = strlen(opts->data_dir) + sizeof(META_DIR) + 16;
    mgr->meta_dir = malloc(mlen);
    samsa_err_t err =
        samsa_tcfg_copy(&mgr->broker_defaults, opts->broker_defaults);
    if (!mgr->data_dir || !mgr->meta_dir || err != SAMSA_OK) {
        samsa_logmgr_close(mgr);
        return SAMSA_ERR_NOMEM;
    }
    snprintf(mgr->meta_dir, mlen, "%s/%s/topics", opts->data_dir, META_DIR);
    if (mkdir_p(mgr->meta_dir) < 0) {
        snprintf(errbuf, errlen, "cannot create %s: %s", mgr->meta_dir,
                 strerror(errno));
        samsa_logmgr_close(mgr);
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    err = producers_open(mgr, opts, errbuf, errlen);
    if (err != SAMSA_OK) {
        samsa_logmgr_close(mgr);
        return err;
    }
    err = meta_load_all(mgr, errbuf, errlen);
    if (err != SAMSA_OK) {
        samsa_logmgr_close(mgr);
        return err;
    }
    if (pthread_create(&mgr->housekeeper, NULL, housekeeper_main, mgr) != 0) {
        samsa_logmgr_close(mgr);
        return SAMSA_ERR_NOMEM;
    }
    mgr->housekeeper_running = true;
    if (samsa_flusher_start(mgr, &mgr->flusher) != SAMSA_OK) {
        samsa_logmgr_close(mgr);
        return SAMSA_ERR_NOMEM;
    }
    *out = mgr;
    return SAMSA_OK;
}

void samsa_logmgr_close(samsa_logmgr_t *mgr)
{
    if (!mgr) {
        return;
    }
    samsa_flusher_stop(mgr->flusher);
    mgr->flusher = NULL;
    if (mgr->housekeeper_running) {
        pthread_mutex_lock(&mgr->stop_lock);
        mgr->stopping = true;
        pthread_cond_broadcast(&mgr->stop_cond);
        pthread_mutex_unlock(&mgr->stop_lock);
        pthread_join(mgr->housekeeper, NULL);
    }
    for (size_t i = 0; i < mgr->count; i++) {
        samsa_topic_put(mgr->topics[i]);
    }
    free(mgr->topics);
    for (size_t i = 0; i < mgr->offline_count; i++) {
        free(mgr->offline[i].name);
        free(mgr->offline[i].reason);
    }
    free(mgr->offline);
    reap_dying(mgr, true);
    free(mgr->dying);
    pthread_mutex_destroy(&mgr->dying_lock);
    samsa_tcfg_free(&mgr->broker_defaults);
    pthread_rwlock_destroy(&mgr->defaults_lock);
    pthread_rwlock_destroy(&mgr->lock);
    pthread_mutex_destroy(&mgr->stop_lock);
    pthread_cond_destroy(&mgr->stop_cond);
    pthread_mutex_destroy(&mgr->admin_lock);
    free(mgr->data_dir);
    free(mgr->meta_dir);
    samsa_pid_alloc_close(mgr->pids);
    free(mgr->producers_dir);
    free(mgr->epochs_dir);
    free(mgr);
}

/* Hand a topic's effective settings to its partitions' engine and flush
 * policy. Caller holds admin_lock. */
static void reconfigure(samsa_logmgr_t *mgr, samsa_topic_t *t)
{
    samsa_log_config_t lc;
    pthread_mutex_lock(&t->config_lock);
    pthread_rwlock_rdlock(&mgr->defaults_lock);
    samsa_tcfg_to_log_config(&t->config, &mgr->broker_defaults, &lc);
    pthread_rwlock_unlock(&mgr->defaults_lock);
    pthread_mutex_unlock(&t->config_lock);
    for (int32_t i = 0; i < t->partition_count; i++) {
        t->partitions[i]->ops->configure(t->partitions[i]->log, &lc);
        set_flush_policy(t->partitions[i], &lc);
    }
}

void samsa_logmgr_set_producer_id_expiration(samsa_logmgr_t *mgr,
                                             int64_t expiration_ms)
{
    /* admin_lock: partitions are opened under it, so none misses it. */
    pthread_mutex_lock(&mgr->admin_lock);
    mgr->producer_expiration_ms = expiration_ms;
    samsa_topic_t **topics = NULL;
    size_t count = 0;
    if (samsa_logmgr_list(mgr, &topics, &count) == SAMSA_OK) {
        for (size_t k = 0; k < count; k++) {
            for (int32_t i = 0; i < topics[k]->partition_count; i++) {
                samsa_partition_t *part = topics[k]->partitions[i];
                if (part->producers) {
                    samsa_producer_state_set_expiration(part->producers,
                                                        expiration_ms);
                }
            }
        }
        samsa_logmgr_list_free(topics, count);
    }
    pthread_mutex_unlock(&mgr->admin_lock);
}

samsa_err_t samsa_logmgr_broker_defaults_copy(samsa_logmgr_t *mgr,
                                              samsa_tcfg_t *out)
{
    pthread_rwlock_rdlock(&mgr->defaults_lock);
    samsa_err_t err = samsa_tcfg_copy(out, &mgr->broker_defaults);
    pthread_rwlock_unlock(&mgr->defaults_lock);
    return err;
}

void samsa_logmgr_set_leader_append_hook(samsa_logmgr_t *mgr,
                                         samsa_leader_append_fn fn, void *arg)
{
    if (!mgr) {
        return;
    }
    if (fn) {
        atomic_store(&mgr->leader_appended_arg, arg);
    }
    atomic_store(&mgr->leader_appended, fn);
}

samsa_err_t samsa_logmgr_set_broker_defaults(samsa_logmgr_t *mgr,
                                             const samsa_tcfg_t *defaults)
{
    samsa_tcfg_t next;
    samsa_err_t err = samsa_tcfg_copy(&next, defaults);
    if (err != SAMSA_OK) {
        return err;
    }
    /* admin_lock: no topic is created or altered meanwhile, so every
     * partition ends up configured from the new defaults. */
    pthread_mutex_lock(&mgr->admin_lock);
    pthread_rwlock_wrlock(&mgr->defaults_lock);
    samsa_tcfg_free(&mgr->broker_defaults);
    mgr->broker_defaults = next;
    pthread_rwlock_unlock(&mgr->defaults_lock);
    samsa_topic_t **topics = NULL;
    size_t count = 0;
    err = samsa_logmgr_list(mgr, &topics, &count);
    for (size_t k = 0; err == SAMSA_OK && k < count; k++) {
        reconfigure(mgr, topics[k]);
    }
    if (err == SAMSA_OK) {
        samsa_logmgr_list_free(topics, count);
    }
    pthread_mutex_unlock(&mgr->admin_lock);
    return err;
}

static samsa_topic_t *find_locked(samsa_logmgr_t *mgr, const char *name,
                                  size_t *pos)
{
    for (size_t i = 0; i < mgr->count; i++) {
        if (strcmp(mgr->topics[i]->name, name) == 0) {
            if (pos) {
                *pos = i;
            }
            return mgr->topics[i];
        }
    }
    return NULL;
}

samsa_topic_t *samsa_logmgr_topic_get(samsa_logmgr_t *mgr, const char *name)
{
    pthread_rwlock_rdlock(&mgr->lock);
    samsa_topic_t *t = find_locked(mgr, name, NULL);
    if (t) {
        samsa_topic_hold(t);
    }
    pthread_rwlock_unlock(&mgr->lock);
    return t;
}

samsa_topic_t *samsa_logmgr_topic_get_by_id(samsa_logmgr_t *mgr,
                                            const uint8_t id[16])
{
    samsa_topic_t *t = NULL;
    pthread_rwlock_rdlock(&mgr->lock);
    for (size_t i = 0; i < mgr->count; i++) {
        if (memcmp(mgr->topics[i]->id, id, 16) == 0) {
            t = mgr->topics[i];
            samsa_topic_hold(t);
            break;
        }
    }
    pthread_rwlock_unlock(&mgr->lock);
    return t;
}

static int topic_cmp(const void *a, const void *b)
{
    const samsa_topic_t *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

samsa_err_t samsa_logmgr_list(samsa_logmgr_t *mgr, samsa_topic_t ***topics,
                              size_t *count)
{
    pthread_rwlock_rdlock(&mgr->lock);
    samsa_topic_t **list = malloc((mgr->count + 1) * sizeof(*list));
    if (!list) {
        pthread_rwlock_unlock(&mgr->lock);
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < mgr->count; i++) {
        list[i] = mgr->topics[i];
        samsa_topic_hold(list[i]);
    }
    *count = mgr->count;
    pthread_rwlock_unlock(&mgr->lock);
    qsort(list, *count, sizeof(*list), topic_cmp);
    *topics = list;
    return SAMSA_OK;
}

void samsa_logmgr_list_free(samsa_topic_t **topics, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        samsa_topic_put(topics[i]);
    }
    free(topics);
}

/* max.broker.partitions: may @p more partitions be added? admin_lock held
 * (no topic grows meanwhile). */
static samsa_err_t check_broker_limit(samsa_logmgr_t *mgr, int64_t more,
                                      char *errbuf, size_t errlen)
{
    int64_t total = 0;
    pthread_rwlock_rdlock(&mgr->lock);
    for (size_t i = 0; i < mgr->count; i++) {
        total += mgr->topics[i]->partition_count;
    }
    pthread_rwlock_unlock(&mgr->lock);
    if (total + more > mgr->max_partitions) {
        snprintf(errbuf, errlen,
                 "this broker holds %lld partitions; %lld more would pass "
                 "max_broker_partitions (%d)",
                 (long long)total, (long long)more, mgr->max_partitions);
        return SAMSA_ERR_POLICY_VIOLATION;
    }
    return SAMSA_OK;
}

static samsa_err_t validate_configs(const samsa_tcfg_t *config, char *errbuf,
                                    size_t errlen)
{
    for (size_t i = 0; config && i < config->count; i++) {
        samsa_err_t err = samsa_tcfg_validate(
            config->items[i].name, config->items[i].value, errbuf, errlen);
        if (err != SAMSA_OK) {
            return err;
        }
    }
    return SAMSA_OK;
}

/* @p id NULL: mint one. */
static samsa_err_t create_topic(samsa_logmgr_t *mgr, const char *name,
                                const uint8_t *id, int32_t partitions,
                                const samsa_tcfg_t *config, bool validate_only,
                                char *errbuf, size_t errlen)
{
    if (!samsa_topic_name_valid(name)) {
        snprintf(errbuf, errlen,
                 "topic name '%s' is illegal: it must be "
                 "1-249 characters of [a-zA-Z0-9._-]",
                 name);
        return SAMSA_ERR_INVALID_TOPIC_EXCEPTION;
    }
    if (partitions < 1 || partitions > MAX_PARTITIONS) {
        snprintf(errbuf, errlen,
                 "number of partitions must be between 1 "
                 "and %d",
                 MAX_PARTITIONS);
        return SAMSA_ERR_INVALID_PARTITIONS;
    }
    samsa_err_t err = validate_configs(config, errbuf, errlen);
    if (err != SAMSA_OK) {
        return err;
    }
    char why[512];
    if (samsa_logmgr_topic_offline(mgr, name, why, sizeof(why))) {
        snprintf(errbuf, errlen, "topic '%s' exists but is offline: %s", name,
                 why);
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    pthread_mutex_lock(&mgr->admin_lock);
    samsa_topic_t *existing = samsa_logmgr_topic_get(mgr, name);
    if (existing) {
        samsa_topic_put(existing);
        pthread_mutex_unlock(&mgr->admin_lock);
        snprintf(errbuf, errlen, "topic '%s' already exists", name);
        return SAMSA_ERR_TOPIC_ALREADY_EXISTS;
    }
    /* A deleted topic nobody holds any more can go now, so a delete and
     * re-create in a row works; one still in use keeps its name taken. */
    reap_dying(mgr, false);
    if (name_dying(mgr, name)) {
        pthread_mutex_unlock(&mgr->admin_lock);
        snprintf(errbuf, errlen, "topic '%s' is marked for deletion", name);
        return SAMSA_ERR_TOPIC_ALREADY_EXISTS;
    }
    err = check_broker_limit(mgr, partitions, errbuf, errlen);
    if (validate_only || err != SAMSA_OK) {
        pthread_mutex_unlock(&mgr->admin_lock);
        return err;
    }
    samsa_topic_t *t = topic_new(mgr, name);
    err = t ? samsa_tcfg_copy(&t->config, config) : SAMSA_ERR_NOMEM;
    if (err == SAMSA_OK) {
        pthread_rwlock_rdlock(&mgr->defaults_lock);
        const char *engine = samsa_tcfg_effective(
            &t->config, &mgr->broker_defaults, "samsa.storage.engine", NULL);
        t->engine = strdup(engine);
        pthread_rwlock_unlock(&mgr->defaults_lock);
        if (id) {
            memcpy(t->id, id, sizeof(t->id));
            t->id_assigned = true;
        } else if (getrandom(t->id, sizeof(t->id), 0) != sizeof(t->id)) {
            err = SAMSA_ERR_IO;
        } else {
            t->id[6] = (uint8_t)((t->id[6] & 0x0f) | 0x40); /* UUID v4 */
            t->id[8] = (uint8_t)((t->id[8] & 0x3f) | 0x80);
        }
    }
    if (err == SAMSA_OK) {
        err = topic_open_partitions(mgr, t, 0, partitions, errbuf, errlen);
        if (err == SAMSA_OK) {
            t->partition_count = partitions;
        }
    }
    bool old_data = false;
    if (err == SAMSA_OK) {
        err = check_no_old_data(t, 0, partitions, errbuf, errlen);
        old_data = err != SAMSA_OK;
    }
    if (err == SAMSA_OK) {
        err = meta_write(mgr, t, errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        pthread_rwlock_wrlock(&mgr->lock);
        err = table_add(mgr, t);
        pthread_rwlock_unlock(&mgr->lock);
    }
    if (err != SAMSA_OK && t) {
        if (!old_data) {
            meta_remove(mgr, name);
        }
        for (int32_t i = 0; i < t->partition_count; i++) {
            partition_discard(t->partitions[i]);
        }
        t->partition_count = 0;
        topic_free(t);
    }
    if (old_data) {
        samsa_log(SAMSA_LOG_ERROR, "topic '%s' is offline: %s", name, errbuf);
        if (offline_add(mgr, name, errbuf) != SAMSA_OK) {
            err = SAMSA_ERR_NOMEM;
        }
    }
    pthread_mutex_unlock(&mgr->admin_lock);
    return err;
}

samsa_err_t samsa_logmgr_create_topic(samsa_logmgr_t *mgr, const char *name,
                                      int32_t partitions,
                                      const samsa_tcfg_t *config,
                                      bool validate_only, char *errbuf,
                                      size_t errlen)
{
    return create_topic(mgr, name, NULL, partitions, config, validate_only,
                        errbuf, errlen);
}

samsa_err_t samsa_logmgr_create_topic_id(samsa_logmgr_t *mgr, const char *name,
                                         const uint8_t id[16],
                                         int32_t partitions,
                                         const samsa_tcfg_t *config,
                                         char *errbuf, size_t errlen)
{
    return create_topic(mgr, name, id, partitions, config, false, errbuf,
                        errlen);
}

samsa_err_t samsa_logmgr_delete_topic(samsa_logmgr_t *mgr, const char *name)
{
    pthread_mutex_lock(&mgr->admin_lock);
    pthread_rwlock_wrlock(&mgr->lock);
    size_t pos;
    samsa_topic_t *t = find_locked(mgr, name, &pos);
    if (t) {
        mgr->topics[pos] = mgr->topics[--mgr->count];
    }
    pthread_rwlock_unlock(&mgr->lock);
    if (!t) {
        pthread_mutex_unlock(&mgr->admin_lock);
        return SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    meta_remove(mgr, name);
    atomic_store(&t->deleted, true);
    pthread_mutex_lock(&mgr->dying_lock);
    samsa_err_t err = SAMSA_OK;
    if (mgr->dying_count == mgr->dying_cap) {
        size_t ncap = mgr->dying_cap ? mgr->dying_cap * 2 : 8;
        samsa_topic_t **n = realloc(mgr->dying, ncap * sizeof(*n));
        if (n) {
            mgr->dying = n;
            mgr->dying_cap = ncap;
        } else {
            err = SAMSA_ERR_NOMEM;
        }
    }
    if (err == SAMSA_OK) {
        mgr->dying[mgr->dying_count++] = t;
    }
    pthread_mutex_unlock(&mgr->dying_lock);
    pthread_mutex_unlock(&mgr->admin_lock);
    if (err != SAMSA_OK) {
        /* No room to defer: free now (only this thread holds it then). */
        atomic_store(&t->deleted, false);
        samsa_topic_put(t);
        return SAMSA_OK;
    }
    /* The data goes when the last in-flight request lets go of the topic. */
    samsa_topic_put(t);
    return SAMSA_OK;
}

samsa_err_t samsa_logmgr_add_partitions(samsa_logmgr_t *mgr, const char *name,
                                        int32_t new_total, bool validate_only,
                                        char *errbuf, size_t errlen)
{
    samsa_topic_t *t = samsa_logmgr_topic_get(mgr, name);
    if (!t) {
        snprintf(errbuf, errlen, "topic '%s' does not exist", name);
        return SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    pthread_mutex_lock(&mgr->admin_lock);
    samsa_err_t err = SAMSA_OK;
    if (new_total <= t->partition_count || new_total > MAX_PARTITIONS) {
        snprintf(errbuf, errlen,
                 "topic has %d partitions; the new count "
                 "must be larger (and at most %d)",
                 t->partition_count, MAX_PARTITIONS);
        err = SAMSA_ERR_INVALID_PARTITIONS;
    }
    if (err == SAMSA_OK) {
        err = check_broker_limit(mgr, new_total - t->partition_count, errbuf,
                                 errlen);
    }
    if (err == SAMSA_OK && !validate_only) {
        err = topic_grow(mgr, t, new_total, errbuf, errlen);
        if (err == SAMSA_OK) {
            err = meta_write(mgr, t, errbuf, errlen);
        }
    }
    pthread_mutex_unlock(&mgr->admin_lock);
    samsa_topic_put(t);
    return err;
}

#define ENGINE_KEY "samsa.storage.engine"

/* Whether @p a and @p b give a topic the same storage engine. Called with
 * the topic's config_lock held. */
static bool same_engine(samsa_logmgr_t *mgr, const samsa_tcfg_t *a,
                        const samsa_tcfg_t *b)
{
    pthread_rwlock_rdlock(&mgr->defaults_lock);
    const char *ea = samsa_tcfg_effective(a, &mgr->broker_defaults,
                                          "samsa.storage.engine", NULL);
    const char *eb = samsa_tcfg_effective(b, &mgr->broker_defaults,
                                          "samsa.storage.engine", NULL);
    bool same = (ea == NULL && eb == NULL) ||
                (ea != NULL && eb != NULL && strcmp(ea, eb) == 0);
    pthread_rwlock_unlock(&mgr->defaults_lock);
    return same;
}

samsa_err_t samsa_logmgr_alter_config(samsa_logmgr_t *mgr, const char *name,
                                      const samsa_tcfg_kv_t *changes,
                                      size_t count, bool incremental,
                                      bool validate_only, char *errbuf,
                                      size_t errlen)
{
    samsa_err_t err = SAMSA_OK;
    for (size_t i = 0; err == SAMSA_OK && i < count; i++) {
        err = samsa_tcfg_validate(changes[i].name, changes[i].value, errbuf,
                                  errlen);
    }
    if (err != SAMSA_OK) {
        return err;
    }
    samsa_topic_t *t = samsa_logmgr_topic_get(mgr, name);
    if (!t) {
        snprintf(errbuf, errlen, "topic '%s' does not exist", name);
        return SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    pthread_mutex_lock(&mgr->admin_lock);
    samsa_tcfg_t next;
    pthread_mutex_lock(&t->config_lock);
    err = samsa_tcfg_copy(&next, incremental ? &t->config : NULL);
    bool names_engine = false;
    for (size_t i = 0; err == SAMSA_OK && i < count; i++) {
        err = samsa_tcfg_set(&next, changes[i].name, changes[i].value);
        names_engine |= strcmp(changes[i].name, ENGINE_KEY) == 0;
    }
    if (err == SAMSA_OK && !incremental && !names_engine) {
        /* A replace (AlterConfigs) resets what it does not name, but the
         * engine is the topic's for good: it stays. */
        err = samsa_tcfg_set(&next, ENGINE_KEY,
                             samsa_tcfg_get(&t->config, ENGINE_KEY));
    }
    if (err == SAMSA_OK && !same_engine(mgr, &t->config, &next)) {
        /* Setting it to what it is (a mirror copying a topic's configs
         * does) changes nothing and is fine. */
        snprintf(errbuf, errlen,
                 "samsa.storage.engine cannot change "
                 "after the topic is created");
        err = SAMSA_ERR_INVALID_CONFIG;
    }
    if (err != SAMSA_OK || validate_only) {
        samsa_tcfg_free(&next);
        pthread_mutex_unlock(&t->config_lock);
        pthread_mutex_unlock(&mgr->admin_lock);
        samsa_topic_put(t);
        return err;
    }
    if (err == SAMSA_OK) {
        samsa_tcfg_free(&t->config);
        t->config = next;
    } else {
        samsa_tcfg_free(&next);
    }
    pthread_mutex_unlock(&t->config_lock);
    if (err == SAMSA_OK) {
        reconfigure(mgr, t);
        err = meta_write(mgr, t, errbuf, errlen);
    }
    pthread_mutex_unlock(&mgr->admin_lock);
    samsa_topic_put(t);
    return err;
}

samsa_err_t samsa_topic_config_copy(samsa_topic_t *topic, samsa_tcfg_t *out)
{
    pthread_mutex_lock(&topic->config_lock);
    samsa_err_t err = samsa_tcfg_copy(out, &topic->config);
    pthread_mutex_unlock(&topic->config_lock);
    return err;
}

int64_t samsa_topic_config_long(samsa_topic_t *topic, const char *name)
{
    pthread_mutex_lock(&topic->config_lock);
    pthread_rwlock_rdlock(&topic->mgr->defaults_lock);
    int64_t v = samsa_tcfg_effective_long(&topic->config,
                                          &topic->mgr->broker_defaults, name);
    pthread_rwlock_unlock(&topic->mgr->defaults_lock);
    pthread_mutex_unlock(&topic->config_lock);
    return v;
}

void samsa_topic_config_string(samsa_topic_t *topic, const char *name,
                               char *buf, size_t len)
{
    pthread_mutex_lock(&topic->config_lock);
    pthread_rwlock_rdlock(&topic->mgr->defaults_lock);
    const char *v = samsa_tcfg_effective(
        &topic->config, &topic->mgr->broker_defaults, name, NULL);
    snprintf(buf, len, "%s", v ? v : "");
    pthread_rwlock_unlock(&topic->mgr->defaults_lock);
    pthread_mutex_unlock(&topic->config_lock);
}

/* ---------------------------------------------------------------------- */
/* Partitions                                                             */
/* ---------------------------------------------------------------------- */

samsa_flusher_t *samsa_logmgr_flusher(samsa_logmgr_t *mgr)
{
    return mgr->flusher;
}

void samsa_partition_wake(samsa_partition_t *part)
{
    pthread_mutex_lock(&part->wait_lock);
    for (samsa_part_waiter_t *w = part->waiters; w; w = w->next) {
        w->notify(w);
    }
    pthread_mutex_unlock(&part->wait_lock);
}

samsa_err_t samsa_partition_append(samsa_partition_t *part, uint8_t *batches,
                                   size_t len, int64_t log_append_time,
                                   int64_t *base_offset, int64_t *flush_ticket)
{
    return samsa_partition_append_guarded(part, batches, len, log_append_time,
                                          -1, 0, base_offset, flush_ticket);
}

uint64_t samsa_partition_txn_guard(samsa_partition_t *part)
{
    return samsa_producer_guard(part->producers);
}

samsa_err_t samsa_partition_append_guarded(samsa_partition_t *part,
                                           uint8_t *batches, size_t len,
                                           int64_t log_append_time, int64_t pid,
                                           uint64_t guard, int64_t *base_offset,
                                           int64_t *flush_ticket)
{
    if (flush_ticket) {
        *flush_ticket = -1;
    }
    pthread_mutex_lock(&part->append_lock);
    if (atomic_load(&part->follower)) {
        pthread_mutex_unlock(&part->append_lock);
        return SAMSA_ERR_NOT_LEADER_OR_FOLLOWER; /* the leader appends */
    }
    /* Idempotent producers: the check and the record of the batch happen
     * in this critical section, so two copies of one batch racing on two
     * connections cannot both be appended. */
    samsa_producer_verdict_t verdict;
    samsa_err_t err =
        samsa_producer_check(part->producers, batches, len, &verdict);
    if (err == SAMSA_OK && !verdict.duplicate && guard != 0 &&
        !samsa_producer_guard_holds(part->producers, pid, guard)) {
        err = SAMSA_ERR_INVALID_TXN_STATE; /* a marker ended it meanwhile */
    }
    if (err != SAMSA_OK || verdict.duplicate) {
        if (err == SAMSA_OK) {
            *base_offset = verdict.base_offset; /* retried: already here */
        }
        pthread_mutex_unlock(&part->append_lock);
        return err;
    }
    samsa_log_offsets_t off;
    part->ops->offsets(part->log, &off);
    int64_t next_offset =
        samsa_batches_assign(batches, len, off.log_end_offset,
                             atomic_load(&part->leader_epoch), log_append_time);
    err = part->ops->append(part->log, batches, len);
    if (err == SAMSA_OK) {
        /* Out of memory here only loses duplicate detection for this
         * producer: its next batch is accepted as from an unknown one. */
        (void)samsa_producer_record(part->producers, batches, len,
                                    samsa_wall_ms());
        /* Before the HW passes an abort marker. What the engine refuses
         * stays in the producer state's list, which fetches read too, and
         * is tried again after the next append (logged). */
        (void)samsa_partition_txn_index_sync(part);
        /* Single replica: everything appended is committed. A
         * replicated partition's HW is the ISR's minimum, which
         * core/replica sets (samsa_partition_set_hw). */
        if (!atomic_load(&part->replicated)) {
            samsa_log_offsets_t after;
            part->ops->offsets(part->log, &after);
            atomic_store(&part->high_watermark, after.log_end_offset);
        }
        *base_offset = off.log_end_offset;
    }
    pthread_mutex_unlock(&part->append_lock);
    if (err == SAMSA_OK) {
        samsa_partition_wake(part);
        samsa_logmgr_t *mgr = part->topic->mgr;
        samsa_leader_append_fn hook = atomic_load(&mgr->leader_appended);
        if (hook && atomic_load(&part->replicated)) {
            /* Outside append_lock: the HW is raised under it. */
            hook(atomic_load(&mgr->leader_appended_arg), part);
        }
        bool due = samsa_flusher_note_append(mgr->flusher, part,
                                             next_offset - *base_offset);
        if (due && flush_ticket) {
            *flush_ticket = next_offset;
        }
    }
    return err;
}

int64_t samsa_partition_lso(samsa_partition_t *part)
{
    int64_t hw = atomic_load(&part->high_watermark);
    int64_t first = samsa_producer_first_unstable(part->producers);
    /* A transaction whose start retention or DeleteRecords removed holds
     * the LSO at the log start, not below it (Kafka's UnifiedLog clamps
     * the first unstable offset the same way). */
    int64_t start = atomic_load(&part->log_start_offset);
    if (first >= 0 && first < start) {
        first = start;
    }
    return first >= 0 && first < hw ? first : hw;
}

size_t samsa_partition_producers(samsa_partition_t *part,
                                 samsa_producer_info_t *out, size_t max)
{
    return samsa_producer_list(part->producers, out, max);
}

samsa_err_t samsa_partition_aborted_txns(samsa_partition_t *part, int64_t from,
                                         int64_t to, samsa_aborted_txn_t *out,
                                         size_t max, size_t *count)
{
    /* Entries of aborted records below the log start are kept until
     * their segment goes; nobody reads there. */
    int64_t start = atomic_load(&part->log_start_offset);
    if (from < start) {
        from = start;
    }
    size_t n = 0;
    if (samsa_partition_txn_indexed(part)) {
        samsa_err_t err =
            part->ops->txn_index_collect(part->log, from, to, out, max, &n);
        if (err != SAMSA_OK) {
            return err;
        }
    }
    /* With an index, the list holds only what it could not take yet:
     * newer markers than every indexed one. */
    *count = n + samsa_producer_aborted_range(part->producers, from, to,
                                              n < max ? out + n : NULL,
                                              n < max ? max - n : 0);
    return SAMSA_OK;
}

void samsa_partition_offsets(samsa_partition_t *part, samsa_log_offsets_t *out)
{
    part->ops->offsets(part->log, out);
}

samsa_err_t samsa_partition_delete_records(samsa_partition_t *part,
                                           int64_t offset, int64_t *low)
{
    pthread_mutex_lock(&part->append_lock);
    int64_t hw = atomic_load(&part->high_watermark);
    if (offset == -1) {
        offset = hw;
    }
    samsa_err_t err = SAMSA_OK;
    if (offset < 0 || offset > hw) {
        err = SAMSA_ERR_OFFSET_OUT_OF_RANGE;
    } else {
        samsa_log_offsets_t off;
        part->ops->offsets(part->log, &off);
        if (offset > off.log_start_offset) {
            err = part->ops->set_start_offset(part->log, offset);
        }
    }
    samsa_partition_start_moved(part);
    *low = samsa_partition_log_start(part);
    pthread_mutex_unlock(&part->append_lock);
    return err;
}

void samsa_partition_wait_add(samsa_partition_t *part, samsa_part_waiter_t *w)
{
    pthread_mutex_lock(&part->wait_lock);
    w->prev = NULL;
    w->next = part->waiters;
    if (part->waiters) {
        part->waiters->prev = w;
    }
    part->waiters = w;
    pthread_mutex_unlock(&part->wait_lock);
}

void samsa_partition_wait_remove(samsa_partition_t *part,
                                 samsa_part_waiter_t *w)
{
    pthread_mutex_lock(&part->wait_lock);
    if (w->prev) {
        w->prev->next = w->next;
    } else if (part->waiters == w) {
        part->waiters = w->next;
    }
    if (w->next) {
        w->next->prev = w->prev;
    }
    w->prev = w->next = NULL;
    pthread_mutex_unlock(&part->wait_lock);
}

int64_t samsa_logmgr_flush_count(samsa_logmgr_t *mgr)
{
    return samsa_flusher_count(mgr->flusher);
}
