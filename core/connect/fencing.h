/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/fencing.h - exactly-once sources' zombie fencing barrier
 * (KIP-618), as Kafka Connect's DistributedHerder and
 * KafkaConfigBackingStore keep it.
 *
 * Every "commit-NAME" record in connect-configs is a new generation of
 * NAME's task configs and leaves the connector "pending fencing". Before
 * any task of that generation makes its transactional producer, a
 * fencing round runs on the leader (PUT /connectors/NAME/fence, which a
 * task on another worker calls): it fences the transactional ids of the
 * previous generation's tasks 0 .. N-1 (InitProducerId on each, as
 * Admin.fenceProducers does), N being the last "tasks-fencing-NAME"
 * record's task-count, then writes "tasks-fencing-NAME" {"task-count":
 * tasks of the new generation}, which ends the pending state. With no
 * such record (a connector's first generation) nothing is fenced; with
 * one task before and one after, the new task fences its own id. The
 * record outlives a deleted connector, so a connector created again under
 * the same name fences the old one's tasks too.
 *
 * After its producer is initialised, a task checks that the generation
 * it started for is still the latest (Kafka's postProducerCheck), so a
 * late task of an old generation never runs beside the new one.
 *
 * Each worker follows connect-configs for this with its own cursor; the
 * state and the rounds are serialised by w->fence_lock, taken by task
 * threads and REST threads, never with w->admin or w->lock held.
 */
#ifndef SAMSA_CONNECT_FENCING_H
#define SAMSA_CONNECT_FENCING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct samsa_connect;

/* The leader's fencing round for connector @p name (see above). */
samsa_err_t samsa_connect_fencing_round(struct samsa_connect *w,
                                        const char *name, char *errbuf,
                                        size_t errlen);

/* A task's preflight: the round, on this worker when it leads (or is
 * standalone), else through the leader's REST API; retried while the
 * group has no leader, until @p stop is set or 30 s pass. *gen: the
 * generation of @p name's task configs the task starts for. */
samsa_err_t samsa_connect_fencing_before_task(struct samsa_connect *w,
                                              const char *name,
                                              atomic_bool *stop, int64_t *gen,
                                              char *errbuf, size_t errlen);

/* A task's post-producer check: SAMSA_ERR_CONFIG, with Kafka's message,
 * when @p name has a newer generation than @p gen. */
samsa_err_t samsa_connect_fencing_check(struct samsa_connect *w,
                                        const char *name, int32_t task,
                                        int64_t gen, char *errbuf,
                                        size_t errlen);

#endif /* SAMSA_CONNECT_FENCING_H */
