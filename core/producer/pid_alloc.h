/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/producer/pid_alloc.h - producer id allocation for InitProducerId.
 *
 * Ids are 64-bit, monotonic and never reused, across restarts too: the
 * allocator hands them out of blocks and persists the start of the next
 * block (durably: temporary file, fsync, rename) before the first id of
 * the current block is given away. A crash therefore skips the rest of a
 * block, never repeats an id. Like Kafka's producer id manager, minus the
 * controller: a single broker owns the whole id space.
 *
 * Threads: safe from any thread (own mutex).
 */
#ifndef SAMSA_PRODUCER_PID_ALLOC_H
#define SAMSA_PRODUCER_PID_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

/* Kafka's ProducerIdsBlock size. */
#define SAMSA_PID_BLOCK_SIZE 1000

typedef struct samsa_pid_alloc samsa_pid_alloc_t;

/* Open the allocator persisted in file @p path (created on the first
 * allocation). block_size <= 0 means SAMSA_PID_BLOCK_SIZE. A damaged file
 * fails with SAMSA_ERR_KAFKA_STORAGE_ERROR and a reason in errbuf. */
samsa_err_t samsa_pid_alloc_open(const char *path, int64_t block_size,
                                 samsa_pid_alloc_t **out, char *errbuf,
                                 size_t errlen);
void samsa_pid_alloc_close(samsa_pid_alloc_t *a);

/* A new producer id. SAMSA_ERR_KAFKA_STORAGE_ERROR when the next block
 * cannot be persisted (no id is handed out then). */
samsa_err_t samsa_pid_alloc_next(samsa_pid_alloc_t *a, int64_t *id);

/* Whether @p id was handed out by this allocator (now or before a
 * restart): 0 <= id < the next id. */
bool samsa_pid_alloc_issued(samsa_pid_alloc_t *a, int64_t id);
/* The next id it would hand out: every id below was (maybe) issued. */
int64_t samsa_pid_alloc_peek(samsa_pid_alloc_t *a);

#endif /* SAMSA_PRODUCER_PID_ALLOC_H */
