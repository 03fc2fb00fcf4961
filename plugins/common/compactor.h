/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compactor.h - per-batch log compaction shared by storage-segment and
 * storage-memory (both compile compactor.c; plugins share source, never
 * symbols).
 *
 * Pass 1 (sb_cp_map) notes every key's latest offset and every producer's
 * last batch; pass 2 (sb_cp_filter) keeps, per key, only records at or
 * after that offset, and drops tombstones whose batch is older than the
 * horizon. Compressed batches are opened through the host's codec services
 * (ABI minor 1) and rewritten with the same codec; on a minor 0 host, with
 * no codec plugin for the id, or when anything about them fails, they are
 * kept whole. Control and transactional batches are always kept whole.
 *
 * Rewritten batches keep baseOffset, lastOffsetDelta (a batch keeps
 * spanning its original offsets, like Kafka's cleaner), producer fields,
 * timestamps and the kept records' bytes; length, recordCount and CRC are
 * new. A batch left with no record is dropped, unless it is its producer's
 * last batch in the log: then, like Kafka's LogCleaner (RETAIN_EMPTY), an
 * empty header stays so the producer's last sequence survives.
 */
#ifndef SB_COMPACTOR_H
#define SB_COMPACTOR_H

#include <samsa/plugin.h>

#include "records_v2.h"
#include "keymap.h"

typedef struct sb_compactor {
    const samsa_services_t *svc;
    bool codecs;      /* svc offers codec_decompress/codec_compress */
    int64_t horizon;  /* tombstones in batches older than this go */
    sb_keymap_t km;   /* key -> latest offset */
    sb_keymap_t pids; /* producer id (8 bytes BE) -> last batch base */
    uint8_t *out;     /* the filtered batch (malloc) */
    size_t out_cap;
    uint8_t *recs; /* kept records before compression (malloc) */
    size_t recs_cap;
} sb_compactor_t;

/** sb_cp_filter results. */
#define SB_CP_KEEP    0 /* keep the batch as it is */
#define SB_CP_DROP    1 /* every record went: drop the batch */
#define SB_CP_REWRITE 2 /* c->out holds the new batch */

void sb_cp_init(sb_compactor_t *c, const samsa_services_t *svc,
                int64_t horizon);
void sb_cp_free(sb_compactor_t *c);

/** Pass 1 over one whole batch (@p batch, b->size bytes). */
samsa_err_t sb_cp_map(sb_compactor_t *c, const uint8_t *batch,
                      const sb_info_t *b);

/** Pass 2: filter one whole batch into *result (SB_CP_*); with
 *  SB_CP_REWRITE the new batch is c->out, *out_len bytes. Fails only with
 *  SAMSA_ERR_NOMEM: any other trouble (codec missing or failing, malformed
 *  records) keeps the batch. */
samsa_err_t sb_cp_filter(sb_compactor_t *c, const uint8_t *batch,
                         const sb_info_t *b, int *result, size_t *out_len);

#endif /* SB_COMPACTOR_H */
