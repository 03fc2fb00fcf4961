/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/log/partition_repl.c - the replication side of a partition (see
 * logmgr.h, "Replication"): the high watermark of replicated partitions,
 * leader and follower roles, the leader-epoch cache, follower appends and
 * truncation. No network or quorum knowledge: core/replica drives it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "durable_file.h"

#include "log/flusher.h"
#include "log/partition_int.h"
#include "util/clock.h"
#include "util/log.h"

void samsa_partition_set_replicated(samsa_partition_t *part, bool on)
{
    atomic_store(&part->replicated, on);
}

bool samsa_partition_is_replicated(samsa_partition_t *part)
{
    return atomic_load(&part->replicated);
}

int64_t samsa_partition_leo(samsa_partition_t *part)
{
    samsa_log_offsets_t off;
    part->ops->offsets(part->log, &off);
    return off.log_end_offset;
}

/* Offsets between two copies of the producer state (see
 * producers_checkpoint): a truncation replays at most about this much
 * more than what it cuts. */
#define PRODUCER_CHECKPOINT_INTERVAL 10000

static void producer_copy_drop(samsa_producer_state_t **st)
{
    samsa_producer_state_free(*st);
    *st = NULL;
}

/* Keep copies of the producer state for truncations, which never cut
 * below the HW in the normal course: a copy taken at the log end becomes
 * the stable one once the HW reaches it. append_lock held. */
static void producers_checkpoint(samsa_partition_t *part, int64_t hw,
                                 int64_t leo)
{
    if (part->prod_pending && part->prod_pending_at <= hw) {
        samsa_producer_state_free(part->prod_stable);
        part->prod_stable = part->prod_pending;
        part->prod_stable_at = part->prod_pending_at;
        part->prod_pending = NULL;
    }
    int64_t last = part->prod_stable ? part->prod_stable_at : 0;
    if (!part->prod_pending && leo > last &&
        (!part->prod_stable || leo - last >= PRODUCER_CHECKPOINT_INTERVAL) &&
        samsa_producer_state_clone(part->producers, &part->prod_pending) ==
            SAMSA_OK) {
        part->prod_pending_at = leo;
        if (leo <= hw) {
            producers_checkpoint(part, hw, leo);
        }
    }
}

/* Producer state as of the new log end @p leo: the newest copy at or
 * below it plus what follows, else the crash-recovery rebuild. Copies
 * past the cut go. append_lock held. */
static samsa_err_t producers_rewind(samsa_partition_t *part, int64_t leo)
{
    if (part->prod_pending && part->prod_pending_at > leo) {
        producer_copy_drop(&part->prod_pending);
    }
    if (part->prod_stable && part->prod_stable_at > leo) {
        producer_copy_drop(&part->prod_stable);
    }
    if (part->prod_pending) {
        return samsa_partition_producers_reload(part, part->prod_pending,
                                                part->prod_pending_at);
    }
    if (part->prod_stable) {
        return samsa_partition_producers_reload(part, part->prod_stable,
                                                part->prod_stable_at);
    }
    return samsa_partition_producers_reload(part, NULL, 0);
}

void samsa_partition_set_hw(samsa_partition_t *part, int64_t hw)
{
    /* Under the append lock: a truncation between reading the LEO and
     * raising the HW would leave the HW past the new log end. */
    pthread_mutex_lock(&part->append_lock);
    int64_t leo = samsa_partition_leo(part);
    if (hw > leo) {
        hw = leo;
    }
    bool moved = hw > atomic_load(&part->high_watermark);
    if (moved) {
        atomic_store(&part->high_watermark, hw);
        producers_checkpoint(part, hw, leo);
    }
    pthread_mutex_unlock(&part->append_lock);
    if (moved) {
        samsa_partition_wake(part);
    }
}

/* Write the cache after a change; append_lock held. A failed write is
 * retried at the next change or at close (the cache stays dirty). */
static samsa_err_t epochs_flush(samsa_partition_t *part)
{
    samsa_err_t err = samsa_epoch_cache_flush(&part->epochs);
    atomic_store(&part->epochs_dirty, err != SAMSA_OK);
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_WARN,
                  "%s-%d: cannot write the leader-epoch checkpoint %s",
                  part->topic->name, part->index, part->epochs.path);
    }
    return err;
}

/* Start @p epoch in the cache (append_lock held); the checkpoint's new
 * content into @p f when it needs writing (else f->path stays NULL). No
 * leader append (at the old epoch) comes between this and the end of
 * samsa_partitions_become_leader: it would rewrite the cache under the
 * new epoch's entry. */
static samsa_err_t lead_prepare(samsa_partition_t *part, int32_t epoch,
                                samsa_file_write_t *f)
{
    atomic_store(&part->follower, true);
    if (epoch > samsa_epoch_cache_latest(&part->epochs) &&
        samsa_epoch_cache_assign(&part->epochs, epoch,
                                 samsa_partition_leo(part))) {
        atomic_store(&part->epochs_dirty, true);
    }
    if (!part->epochs.path || !atomic_load(&part->epochs_dirty)) {
        atomic_store(&part->epochs_dirty, false);
        return SAMSA_OK;
    }
    char *text = NULL;
    samsa_err_t err = samsa_epoch_cache_render(&part->epochs, &text, &f->len);
    if (err == SAMSA_OK) {
        f->path = part->epochs.path;
        f->data = text;
    }
    return err;
}

/* Whether the cache changed since @p f was rendered from it (the log
 * start moved meanwhile, say): then it is still to be written. */
static bool changed_since(samsa_partition_t *part, const samsa_file_write_t *f)
{
    char *now = NULL;
    size_t len = 0;
    if (samsa_epoch_cache_render(&part->epochs, &now, &len) != SAMSA_OK) {
        return true;
    }
    bool changed = len != f->len || memcmp(now, f->data, len) != 0;
    free(now);
    return changed;
}

/*
 * Kafka's makeLeaders for many partitions at once: a partition leads at
 * its new epoch only once its leader-epoch checkpoint holding that epoch
 * is durable (LeaderEpochFileCache.assign flushes before the leader
 * appends; a crash must not forget an epoch a follower may have seen),
 * and the checkpoints of the whole set are written together
 * (samsa_files_replace), not one fsync after another. A checkpoint that
 * cannot be written keeps its partition from leading (a storage error);
 * the cache stays dirty and the next try writes it.
 */
void samsa_partitions_become_leader(samsa_partition_t *const *parts,
                                    const int32_t *epochs, size_t n,
                                    samsa_err_t *errs)
{
    samsa_file_write_t *files = calloc(n ? n : 1, sizeof(*files));
    for (size_t i = 0; i < n; i++) {
        errs[i] = !files          ? SAMSA_ERR_NOMEM
                  : epochs[i] < 0 ? SAMSA_ERR_INVALID_REQUEST
                                  : SAMSA_OK;
        if (errs[i] != SAMSA_OK) {
            continue;
        }
        pthread_mutex_lock(&parts[i]->append_lock);
        errs[i] = lead_prepare(parts[i], epochs[i], &files[i]);
        pthread_mutex_unlock(&parts[i]->append_lock);
    }
    if (!files) {
        return;
    }
    /* Compacted: samsa_files_replace takes the ones to write. */
    samsa_file_write_t *todo = calloc(n ? n : 1, sizeof(*todo));
    size_t *slot = calloc(n ? n : 1, sizeof(*slot));
    size_t nt = 0;
    for (size_t i = 0; todo && slot && i < n; i++) {
        if (files[i].path) {
            slot[i] = nt;
            todo[nt++] = files[i];
        }
    }
    if (todo && slot) {
        samsa_files_replace(todo, nt);
    }
    for (size_t i = 0; i < n; i++) {
        if (errs[i] != SAMSA_OK) {
            continue;
        }
        samsa_partition_t *part = parts[i];
        int rc = !files[i].path ? 0 : todo && slot ? todo[slot[i]].rc : ENOMEM;
        pthread_mutex_lock(&part->append_lock);
        if (rc != 0) {
            errs[i] = SAMSA_ERR_KAFKA_STORAGE_ERROR;
            samsa_log(SAMSA_LOG_WARN,
                      "%s-%d: cannot write the leader-epoch checkpoint %s: "
                      "%s; not leading epoch %d",
                      part->topic->name, part->index, part->epochs.path,
                      strerror(rc), epochs[i]);
        } else {
            atomic_store(&part->epochs_dirty,
                         files[i].path && changed_since(part, &files[i]));
            atomic_store(&part->leader_epoch, epochs[i]);
            atomic_store(&part->follower, false);
        }
        pthread_mutex_unlock(&part->append_lock);
        free((void *)files[i].data);
    }
    free(todo);
    free(slot);
    free(files);
}

samsa_err_t samsa_partition_become_leader(samsa_partition_t *part,
                                          int32_t epoch)
{
    samsa_err_t err;
    samsa_partitions_become_leader(&part, &epoch, 1, &err);
    return err;
}

samsa_err_t samsa_partition_become_follower(samsa_partition_t *part,
                                            int32_t epoch)
{
    if (epoch < 0) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    pthread_mutex_lock(&part->append_lock);
    atomic_store(&part->leader_epoch, epoch);
    atomic_store(&part->follower, true);
    pthread_mutex_unlock(&part->append_lock);
    /* acks=all answers parked here learn now that it is led elsewhere, as
     * Kafka completes its delayed produces at a leadership change, rather
     * than at their next recheck: a broker in controlled shutdown closes
     * its connections soon after. */
    samsa_partition_wake(part);
    return SAMSA_OK;
}

bool samsa_partition_is_follower(samsa_partition_t *part)
{
    return atomic_load(&part->follower);
}

void samsa_partition_epoch_end(samsa_partition_t *part, int32_t epoch,
                               int32_t *epoch_out, int64_t *end_offset)
{
    samsa_epoch_cache_end_offset(
        &part->epochs, epoch, samsa_partition_leo(part), epoch_out, end_offset);
}

int32_t samsa_partition_last_epoch(samsa_partition_t *part)
{
    return samsa_epoch_cache_latest(&part->epochs);
}

/* How many bytes of @p batches are whole, checked batches continuing the
 * log at @p leo; *err says why it stopped short of a cut-off tail. */
static size_t replica_batches_check(const uint8_t *batches, size_t len,
                                    int64_t leo, samsa_err_t *err,
                                    int64_t *records)
{
    *err = SAMSA_OK;
    *records = 0;
    int64_t expect = leo;
    size_t at = 0;
    while (at < len) {
        samsa_batch_hdr_t h;
        samsa_err_t perr = samsa_batch_parse(batches + at, len - at, &h);
        if (perr == SAMSA_ERR_AGAIN ||
            (perr != SAMSA_OK && len - at < SAMSA_BATCH_HEADER_SIZE)) {
            break; /* the cut-off tail of a fetch response */
        }
        if (perr != SAMSA_OK || !samsa_batch_crc_ok(batches + at, &h) ||
            !samsa_batch_offsets_ok(&h)) {
            *err = SAMSA_ERR_CORRUPT_MESSAGE;
            return 0;
        }
        /* At or past the LEO: a compacted leader log keeps offsets with
         * gaps between batches. */
        if (h.base_offset < expect) {
            *err = SAMSA_ERR_OFFSET_OUT_OF_RANGE;
            return 0;
        }
        expect = samsa_batch_last_offset(&h) + 1;
        *records += (int64_t)h.last_offset_delta + 1;
        at += samsa_batch_size(&h);
    }
    return at;
}

/* The engine's append for batches that may skip offsets (append_sparse);
 * an engine without it takes only batches continuing the log. */
static samsa_err_t engine_append(samsa_partition_t *part,
                                 const uint8_t *batches, size_t len,
                                 int64_t leo)
{
    if (SAMSA_ABI_HAS(samsa_storage_ops_t, part->ops, append_sparse) &&
        part->ops->append_sparse) {
        return part->ops->append_sparse(part->log, batches, len);
    }
    samsa_err_t err = part->ops->append(part->log, batches, len);
    return err == SAMSA_ERR_INVALID_REQUEST &&
                   (int64_t)samsa_be64(batches + SAMSA_BATCH_OFF_BASE_OFFSET) !=
                       leo
               ? SAMSA_ERR_OFFSET_OUT_OF_RANGE
               : err;
}

/* Start the epochs of @p batches (whole, checked) in the cache; true
 * when it changed. */
static bool epochs_assign_batches(samsa_partition_t *part,
                                  const uint8_t *batches, size_t len)
{
    bool changed = false;
    for (size_t at = 0; at < len;) {
        samsa_batch_hdr_t h;
        (void)samsa_batch_parse(batches + at, len - at, &h);
        changed |= samsa_epoch_cache_assign(&part->epochs, h.leader_epoch,
                                            h.base_offset);
        at += samsa_batch_size(&h);
    }
    return changed;
}

samsa_err_t samsa_partition_append_replica(samsa_partition_t *part,
                                           const uint8_t *batches, size_t len)
{
    pthread_mutex_lock(&part->append_lock);
    samsa_err_t err;
    int64_t records;
    int64_t leo = samsa_partition_leo(part);
    size_t whole = replica_batches_check(batches, len, leo, &err, &records);
    if (err == SAMSA_OK && whole > 0) {
        /* The cache is written first: after a crash it may name an epoch
         * the log lost (cut at open), never miss one the log has. */
        if (epochs_assign_batches(part, batches, whole)) {
            (void)epochs_flush(part); /* logged; retried at the next change */
        }
        err = engine_append(part, batches, whole, leo);
        if (err != SAMSA_OK &&
            samsa_epoch_cache_truncate_end(&part->epochs, leo)) {
            (void)epochs_flush(part);
        }
    }
    if (err == SAMSA_OK && whole > 0) {
        /* The leader checked sequences; a follower only records them, so
         * it can take over with the same duplicate detection. */
        (void)samsa_producer_record(part->producers, batches, whole,
                                    samsa_wall_ms());
        /* Followers keep the index too (they may lead next). */
        (void)samsa_partition_txn_index_sync(part);
    }
    pthread_mutex_unlock(&part->append_lock);
    if (err == SAMSA_OK && whole > 0) {
        (void)samsa_flusher_note_append(samsa_logmgr_flusher(part->topic->mgr),
                                        part, records);
    }
    return err;
}

/* The log was cut: HW, epoch cache, producer state and log start follow.
 * append_lock held. */
static samsa_err_t after_truncation(samsa_partition_t *part)
{
    int64_t leo = samsa_partition_leo(part);
    if (atomic_load(&part->high_watermark) > leo) {
        atomic_store(&part->high_watermark, leo);
    }
    /* What is appended again below the old log end is not flushed. */
    pthread_mutex_lock(&part->flush_lock);
    if (part->flushed_through > leo) {
        part->flushed_through = leo;
    }
    pthread_mutex_unlock(&part->flush_lock);
    samsa_err_t err = SAMSA_OK;
    if (samsa_epoch_cache_truncate_end(&part->epochs, leo)) {
        err = epochs_flush(part);
    }
    samsa_partition_start_moved(part);
    samsa_partition_snapshots_drop_above(part, leo);
    samsa_err_t perr = producers_rewind(part, leo);
    return err != SAMSA_OK ? err : perr;
}

static samsa_err_t truncate_fully_locked(samsa_partition_t *part,
                                         int64_t start_offset)
{
    if (start_offset < 0) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    samsa_err_t err;
    if (SAMSA_ABI_HAS(samsa_storage_ops_t, part->ops, truncate_fully) &&
        part->ops->truncate_fully) {
        err = part->ops->truncate_fully(part->log, start_offset);
    } else {
        /* An engine without the op can only restart where its log
         * starts or ends. */
        samsa_log_offsets_t off;
        part->ops->offsets(part->log, &off);
        err = part->ops->truncate(part->log, off.log_start_offset);
        part->ops->offsets(part->log, &off);
        if (err == SAMSA_OK && start_offset != off.log_end_offset) {
            err = start_offset > off.log_end_offset
                      ? SAMSA_ERR_KAFKA_STORAGE_ERROR
                      : part->ops->truncate(part->log, start_offset);
        }
    }
    /* Nothing of the old log is left: neither are its epochs, nor its
     * producers. */
    samsa_epoch_cache_clear(&part->epochs);
    producer_copy_drop(&part->prod_pending);
    producer_copy_drop(&part->prod_stable);
    atomic_store(&part->high_watermark, samsa_partition_leo(part));
    /* The state before the new start describes another log (Kafka's
     * truncateFullyAndStartAt deletes every snapshot). */
    samsa_partition_snapshots_drop_above(part, start_offset - 1);
    samsa_err_t aerr = after_truncation(part);
    if (aerr == SAMSA_OK) {
        aerr = epochs_flush(part);
    }
    return err != SAMSA_OK ? err : aerr;
}

samsa_err_t samsa_partition_truncate_fully(samsa_partition_t *part,
                                           int64_t start_offset)
{
    pthread_mutex_lock(&part->append_lock);
    samsa_err_t err = truncate_fully_locked(part, start_offset);
    pthread_mutex_unlock(&part->append_lock);
    return err;
}

samsa_err_t samsa_partition_truncate_to(samsa_partition_t *part, int64_t offset)
{
    if (offset < 0) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    pthread_mutex_lock(&part->append_lock);
    samsa_log_offsets_t off;
    part->ops->offsets(part->log, &off);
    samsa_err_t err = SAMSA_OK;
    if (offset < off.log_start_offset) {
        err = truncate_fully_locked(part, offset);
    } else if (offset < off.log_end_offset) {
        err = part->ops->truncate(part->log, offset);
        samsa_err_t aerr = after_truncation(part);
        if (err == SAMSA_OK) {
            err = aerr;
        }
    } else if (samsa_epoch_cache_truncate_end(&part->epochs,
                                              off.log_end_offset)) {
        /* Nothing to cut, but an epoch may start at the log end with no
         * record in it: this replica led it and lost the leadership before
         * appending (Kafka's truncateTo does the same). Kept, it would be
         * the follower's LastFetchedEpoch, which the leader does not know:
         * DivergingEpoch at this same offset on every fetch, for ever. */
        err = epochs_flush(part);
    }
    pthread_mutex_unlock(&part->append_lock);
    return err;
}
