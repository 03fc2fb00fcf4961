/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/store.h - Kafka Connect's internal topics: connect-configs,
 * connect-offsets and connect-status, compacted, one partition each, keys
 * and JSON values in Kafka Connect's formats. Created at start when
 * missing; replayed from the beginning so connectors resume.
 *
 * Thread-safe: one client and producer behind a lock; every put is
 * acknowledged (acks=all) before it returns. Reads are read_committed,
 * up to the last stable offset: the offsets exactly-once source tasks
 * write in their transactions count once committed (core/connect/eos.h).
 */
#ifndef SAMSA_CONNECT_STORE_H
#define SAMSA_CONNECT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/client.h"
#include "util/err.h"

#define SAMSA_CONNECT_CONFIGS_TOPIC "connect-configs"
#define SAMSA_CONNECT_OFFSETS_TOPIC "connect-offsets"
#define SAMSA_CONNECT_STATUS_TOPIC  "connect-status"

typedef struct samsa_connect_store samsa_connect_store_t;

/** The three topics' names: Kafka Connect's config.storage.topic,
 *  offset.storage.topic and status.storage.topic ("" = the default
 *  above), so several groups of workers can share one cluster. The
 *  store's functions take the default names as the three roles and use
 *  the configured topics. */
typedef struct samsa_connect_store_names {
    const char *configs, *offsets, *status;
} samsa_connect_store_names_t;

/** Connect with @p client (bootstrap and security; the client id is the
 *  store's own) and create the three topics if missing. @p names may be
 *  NULL (the defaults). */
samsa_err_t samsa_connect_store_open(const samsa_client_conf_t *client,
                                     const samsa_connect_store_names_t *names,
                                     samsa_connect_store_t **out, char *errbuf,
                                     size_t errlen);
void samsa_connect_store_close(samsa_connect_store_t *s);

/** Create @p topic as the internal topics are (compacted, one partition)
 *  unless it exists: a connector's own offsets.storage.topic. */
samsa_err_t samsa_connect_store_create(samsa_connect_store_t *s,
                                       const char *topic, char *errbuf,
                                       size_t errlen);

/** Write @p key -> @p value (NULL: a tombstone) to @p topic and wait for
 *  the acknowledgement. */
samsa_err_t samsa_connect_store_put(samsa_connect_store_t *s, const char *topic,
                                    const char *key, const char *value);

/** Kafka's fencable config writer (KafkaConfigBackingStore with
 *  exactly.once.source.support preparing or enabled): every write to
 *  connect-configs is then a transaction of a transactional producer
 *  with @p txn_id (Kafka's "connect-cluster-<group.id>"), so a leader
 *  that lost its place (a zombie) cannot write once a newer one claimed
 *  the id. NULL or "": plain writes (disabled). */
void samsa_connect_store_config_writer(samsa_connect_store_t *s,
                                       const char *txn_id);

/** @p lead: claim write privileges (a worker that became the leader, or
 *  a standalone one): make the writer now, its InitProducerId fencing
 *  the previous leader's; a failed write lets it go and the next write
 *  claims again. !@p lead: let them go (no longer the leader; writes
 *  are plain, as a follower's). No-op without a writer id. */
samsa_err_t samsa_connect_store_claim(samsa_connect_store_t *s, bool lead);

/** Every record of @p topic from the beginning up to its end at the call,
 *  in order; @p value NULL for a tombstone. Strings are borrowed. */
typedef void (*samsa_connect_replay_fn)(void *arg, const char *key,
                                        const char *value);
samsa_err_t samsa_connect_store_replay(samsa_connect_store_t *s,
                                       const char *topic,
                                       samsa_connect_replay_fn fn, void *arg);

/** Records of @p topic from *from up to its end at the call, in order,
 *  with their offsets (the tail every distributed worker follows);
 *  *from moves past what was read. Strings are borrowed. @p fn runs
 *  with the store's lock released, so it may write to the store (or
 *  wait for a thread that does). */
typedef void (*samsa_connect_read_fn)(void *arg, int64_t offset,
                                      const char *key, const char *value);
samsa_err_t samsa_connect_store_read(samsa_connect_store_t *s,
                                     const char *topic, int64_t *from,
                                     samsa_connect_read_fn fn, void *arg);

/** How long samsa_connect_store_read_stable() waits for an open
 *  transaction: the transaction timeout of the tasks' producers (60 s,
 *  connect/eos.h), after which the coordinator aborts it, and 10 s. */
#define SAMSA_CONNECT_STORE_STABLE_WAIT_MS 70000

/** The same, read with @p client (the caller's: the store's lock is not
 *  held, so a wait costs no other thread anything) up to the high
 *  watermark at the call: a transaction open below it (a dead worker's)
 *  is waited for until it ends, as Kafka's KafkaBasedLog.readToEnd with
 *  a read_committed consumer does, so no committed offset after it is
 *  missed. SAMSA_ERR_TIMEOUT after SAMSA_CONNECT_STORE_STABLE_WAIT_MS
 *  without progress. */
samsa_err_t samsa_connect_store_read_stable(samsa_connect_store_t *s,
                                            samsa_client_t *client,
                                            const char *topic, int64_t *from,
                                            samsa_connect_read_fn fn,
                                            void *arg);

#endif /* SAMSA_CONNECT_STORE_H */
