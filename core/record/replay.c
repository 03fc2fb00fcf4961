/* SPDX-License-Identifier: Apache-2.0 */
/* core/record/replay.c - see replay.h. */
#include "record/replay.h"

samsa_err_t samsa_records_replay(const uint8_t *buf, size_t len,
                                 samsa_record_fn fn, void *arg)
{
    samsa_batch_iter_t bi;
    samsa_batch_iter_init(&bi, buf, len);
    const uint8_t *batch;
    samsa_batch_hdr_t h;
    samsa_err_t err;
    while ((err = samsa_batch_iter_next(&bi, &batch, &h)) == SAMSA_OK) {
        samsa_record_iter_t ri;
        if (h.attributes & SAMSA_BATCH_ATTR_CONTROL ||
            samsa_record_iter_init(&ri, batch, samsa_batch_size(&h)) !=
                SAMSA_OK) {
            continue;
        }
        samsa_record_t rec;
        while ((err = samsa_record_iter_next(&ri, &rec)) == SAMSA_OK) {
            err = fn(arg, &rec);
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
