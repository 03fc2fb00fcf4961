/* SPDX-License-Identifier: Apache-2.0 */
/* core/record/replay.c - see replay.h. */
#include "record/replay.h"

/* Kafka's EndTransactionMarker key: int16 version, int16 type (0 abort,
 * 1 commit). */
static bool marker_commit(const uint8_t *batch, const samsa_batch_hdr_t *h)
{
    samsa_record_iter_t ri;
    samsa_record_t rec;
    return samsa_record_iter_init(&ri, batch, samsa_batch_size(h)) ==
               SAMSA_OK &&
           samsa_record_iter_next(&ri, &rec) == SAMSA_OK && rec.key &&
           rec.key_len >= 4 && samsa_be16(rec.key + 2) == 1;
}

samsa_err_t samsa_records_replay_batches(const uint8_t *buf, size_t len,
                                         samsa_batch_record_fn fn, void *arg)
{
    samsa_batch_iter_t bi;
    samsa_batch_iter_init(&bi, buf, len);
    const uint8_t *batch;
    samsa_batch_hdr_t h;
    samsa_err_t err;
    while ((err = samsa_batch_iter_next(&bi, &batch, &h)) == SAMSA_OK) {
        samsa_replay_batch_t b = {
            .producer_id = h.producer_id,
            .producer_epoch = h.producer_epoch,
            .transactional =
                (h.attributes & SAMSA_BATCH_ATTR_TRANSACTIONAL) != 0,
            .control = (h.attributes & SAMSA_BATCH_ATTR_CONTROL) != 0,
        };
        if (b.control) {
            b.commit = marker_commit(batch, &h);
            err = fn(arg, &b, NULL);
            if (err != SAMSA_OK) {
                return err;
            }
            continue;
        }
        samsa_record_iter_t ri;
        if (samsa_record_iter_init(&ri, batch, samsa_batch_size(&h)) !=
            SAMSA_OK) {
            continue;
        }
        samsa_record_t rec;
        while ((err = samsa_record_iter_next(&ri, &rec)) == SAMSA_OK) {
            err = fn(arg, &b, &rec);
            if (err != SAMSA_OK) {
                return err;
            }
        }
        if (err != SAMSA_ERR_NOT_FOUND) {
            return err;
        }
    }
    return err == SAMSA_ERR_NOT_FOUND ? SAMSA_OK : err;
}

typedef struct plain {
    samsa_record_fn fn;
    void *arg;
} plain_t;

static samsa_err_t plain_record(void *arg, const samsa_replay_batch_t *b,
                                const samsa_record_t *rec)
{
    const plain_t *p = arg;
    return b->control ? SAMSA_OK : p->fn(p->arg, rec);
}

samsa_err_t samsa_records_replay(const uint8_t *buf, size_t len,
                                 samsa_record_fn fn, void *arg)
{
    plain_t p = {fn, arg};
    return samsa_records_replay_batches(buf, len, plain_record, &p);
}
