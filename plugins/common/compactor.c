/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compactor.c - per-batch log compaction (see compactor.h).
 */
#include "compactor.h"

#include <stdlib.h>
#include <string.h>

void sb_cp_init(sb_compactor_t *c, const samsa_services_t *svc, int64_t horizon)
{
    memset(c, 0, sizeof(*c));
    c->svc = svc;
    c->horizon = horizon;
    /* A minor 0 host has no codec services: compressed batches stay. */
    c->codecs = svc != NULL &&
                SAMSA_ABI_HAS(samsa_services_t, svc, codec_decompress) &&
                SAMSA_ABI_HAS(samsa_services_t, svc, codec_compress) &&
                svc->codec_decompress != NULL && svc->codec_compress != NULL;
}

void sb_cp_free(sb_compactor_t *c)
{
    sb_km_free(&c->km);
    sb_km_free(&c->pids);
    free(c->out);
    free(c->recs);
    memset(c, 0, sizeof(*c));
}

static bool grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap) {
        return true;
    }
    uint8_t *p = realloc(*buf, need);
    if (p == NULL) {
        return false;
    }
    *buf = p;
    *cap = need;
    return true;
}

static int codec_of(const sb_info_t *b)
{
    return b->attrs & SAMSA_BATCH_ATTR_CODEC_MASK;
}

/* Open the records of a batch for iteration. A compressed batch is
 * decompressed into *plain (services memory, freed by the caller); false
 * when its records cannot be read here (control, transactional, codec
 * unavailable or failing), and the batch is then kept whole. */
static bool open_records(sb_compactor_t *c, const uint8_t *batch,
                         const sb_info_t *b, sb_iter_t *it, void **plain)
{
    *plain = NULL;
    if (b->attrs &
        (SAMSA_BATCH_ATTR_CONTROL | SAMSA_BATCH_ATTR_TRANSACTIONAL)) {
        return false;
    }
    if (sb_iter_init(it, batch, b)) {
        return true;
    }
    if (!c->codecs || codec_of(b) > 4) {
        return false;
    }
    size_t len = 0;
    if (c->svc->codec_decompress(codec_of(b), batch + SAMSA_BATCH_HEADER_SIZE,
                                 (size_t)b->size - SAMSA_BATCH_HEADER_SIZE,
                                 SB_MAX_BATCH, plain, &len) != SAMSA_OK) {
        *plain = NULL;
        return false;
    }
    sb_iter_plain(it, *plain, len);
    return true;
}

static void note_producer(sb_compactor_t *c, const uint8_t *batch,
                          const sb_info_t *b, bool *ok)
{
    int64_t pid = (int64_t)samsa_be64(batch + SAMSA_BATCH_OFF_PRODUCER_ID);
    if (pid >= 0 &&
        !sb_km_put(&c->pids, batch + SAMSA_BATCH_OFF_PRODUCER_ID, 8, b->base)) {
        *ok = false;
    }
}

samsa_err_t sb_cp_map(sb_compactor_t *c, const uint8_t *batch,
                      const sb_info_t *b)
{
    bool ok = true;
    sb_iter_t it;
    sb_record_t rec;
    void *plain;
    note_producer(c, batch, b, &ok);
    if (!ok) {
        return SAMSA_ERR_NOMEM;
    }
    if (!open_records(c, batch, b, &it, &plain)) {
        return SAMSA_OK;
    }
    while (ok && sb_iter_next(&it, &rec) == 1) {
        if (rec.key != NULL) {
            ok = sb_km_put(&c->km, rec.key, (uint32_t)rec.key_len, rec.offset);
        }
    }
    if (plain != NULL) {
        c->svc->free(plain);
    }
    return ok ? SAMSA_OK : SAMSA_ERR_NOMEM;
}

/* Kafka's rule (LogCleaner.shouldRetainRecord): a record goes when a later
 * offset holds its key, or when it is the latest and a tombstone past the
 * horizon. A key the map lacks (a batch pass 1 could not read) stays. */
static bool keep_record(sb_compactor_t *c, const sb_info_t *b,
                        const sb_record_t *rec)
{
    if (rec->key == NULL) {
        return true;
    }
    int64_t latest = sb_km_get(&c->km, rec->key, (uint32_t)rec->key_len);
    if (latest > rec->offset) {
        return false;
    }
    return !(rec->tombstone && b->max_ts < c->horizon);
}

/* Kafka's DefaultRecordBatch.writeEmptyHeader: same offsets, producer and
 * max timestamp, no codec, no base timestamp, no records. */
static bool write_empty(sb_compactor_t *c, const uint8_t *batch, size_t *len)
{
    if (!grow(&c->out, &c->out_cap, SAMSA_BATCH_HEADER_SIZE)) {
        return false;
    }
    memcpy(c->out, batch, SAMSA_BATCH_HEADER_SIZE);
    uint16_t attrs = (uint16_t)(((batch[SAMSA_BATCH_OFF_ATTRIBUTES] << 8) |
                                 batch[SAMSA_BATCH_OFF_ATTRIBUTES + 1]) &
                                ~SAMSA_BATCH_ATTR_CODEC_MASK);
    c->out[SAMSA_BATCH_OFF_ATTRIBUTES] = (uint8_t)(attrs >> 8);
    c->out[SAMSA_BATCH_OFF_ATTRIBUTES + 1] = (uint8_t)attrs;
    samsa_put_be64(c->out + SAMSA_BATCH_OFF_BASE_TIMESTAMP, (uint64_t)-1);
    samsa_put_be32(c->out + SAMSA_BATCH_OFF_LENGTH,
                   SAMSA_BATCH_HEADER_SIZE - SAMSA_BATCH_LOG_OVERHEAD);
    samsa_put_be32(c->out + SAMSA_BATCH_OFF_RECORD_COUNT, 0);
    sb_crc_set(c->out, SAMSA_BATCH_HEADER_SIZE);
    *len = SAMSA_BATCH_HEADER_SIZE;
    return true;
}

static bool producer_last_batch(sb_compactor_t *c, const uint8_t *batch,
                                const sb_info_t *b)
{
    int64_t pid = (int64_t)samsa_be64(batch + SAMSA_BATCH_OFF_PRODUCER_ID);
    return pid >= 0 && sb_km_get(&c->pids, batch + SAMSA_BATCH_OFF_PRODUCER_ID,
                                 8) == b->base;
}

/* Header of @p batch plus @p body into c->out, with new length, count,
 * max timestamp and CRC. A CreateTime batch's max timestamp becomes that of
 * the records it keeps, as Kafka's cleaner writes it; a LogAppendTime
 * batch keeps the broker's stamp. */
static bool write_batch(sb_compactor_t *c, const uint8_t *batch,
                        const sb_info_t *b, const void *body, size_t body_len,
                        int32_t kept, int64_t max_ts, size_t *len)
{
    if (!grow(&c->out, &c->out_cap, SAMSA_BATCH_HEADER_SIZE + body_len)) {
        return false;
    }
    memcpy(c->out, batch, SAMSA_BATCH_HEADER_SIZE);
    memcpy(c->out + SAMSA_BATCH_HEADER_SIZE, body, body_len);
    *len = SAMSA_BATCH_HEADER_SIZE + body_len;
    samsa_put_be32(c->out + SAMSA_BATCH_OFF_LENGTH,
                   (uint32_t)(*len - SAMSA_BATCH_LOG_OVERHEAD));
    samsa_put_be32(c->out + SAMSA_BATCH_OFF_RECORD_COUNT, (uint32_t)kept);
    if (!(b->attrs & SAMSA_BATCH_ATTR_LOG_APPEND_TIME)) {
        samsa_put_be64(c->out + SAMSA_BATCH_OFF_MAX_TIMESTAMP,
                       (uint64_t)max_ts);
    }
    sb_crc_set(c->out, *len);
    return true;
}

samsa_err_t sb_cp_filter(sb_compactor_t *c, const uint8_t *batch,
                         const sb_info_t *b, int *result, size_t *out_len)
{
    sb_iter_t it;
    sb_record_t rec;
    void *plain, *z = NULL;
    size_t zlen = 0;
    *result = SB_CP_KEEP;
    if (!open_records(c, batch, b, &it, &plain)) {
        return SAMSA_OK;
    }
    samsa_err_t err = SAMSA_OK;
    size_t len = 0;
    int32_t kept = 0;
    int64_t max_ts = -1;
    int rc;
    /* The kept records never outgrow the records they come from. */
    if (!grow(&c->recs, &c->recs_cap, sb_iter_left(&it) + 1)) {
        err = SAMSA_ERR_NOMEM;
        goto out;
    }
    while ((rc = sb_iter_next(&it, &rec)) == 1) {
        if (keep_record(c, b, &rec)) {
            memcpy(c->recs + len, rec.raw, rec.raw_len);
            len += rec.raw_len;
            kept++;
            max_ts = rec.ts > max_ts ? rec.ts : max_ts;
        }
    }
    if (rc < 0 || kept == b->count) {
        goto out;
    }
    if (kept == 0) {
        if (!producer_last_batch(c, batch, b)) {
            *result = SB_CP_DROP;
        } else if (write_empty(c, batch, out_len)) {
            *result = SB_CP_REWRITE;
        } else {
            err = SAMSA_ERR_NOMEM;
        }
        goto out;
    }
    if (codec_of(b) == 0) {
        if (!write_batch(c, batch, b, c->recs, len, kept, max_ts, out_len)) {
            err = SAMSA_ERR_NOMEM;
            goto out;
        }
        *result = SB_CP_REWRITE;
        goto out;
    }
    /* Same codec as the original batch, so the attributes stay true. */
    if (c->svc->codec_compress(codec_of(b), c->recs, len, &z, &zlen) !=
        SAMSA_OK) {
        goto out; /* keep it whole */
    }
    if (write_batch(c, batch, b, z, zlen, kept, max_ts, out_len)) {
        *result = SB_CP_REWRITE;
    } else {
        err = SAMSA_ERR_NOMEM;
    }
    c->svc->free(z);
out:
    if (plain != NULL) {
        c->svc->free(plain);
    }
    return err;
}
