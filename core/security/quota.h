/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/security/quota.h - client quotas (Kafka's producer_byte_rate,
 * consumer_byte_rate, request_percentage) per user and client-id.
 *
 * Configured quotas: entities of a user (named or the default) and/or a
 * client-id (named or the default), each with some of the three keys.
 * A connection's quota of one kind comes from the most specific entity that
 * sets it, in Kafka's order: user+client-id, user+default client,
 * user, default user+client-id, default user+default client, default user,
 * client-id, default client. The rate is measured per matched entity (so
 * every client of a client-id quota shares one rate, as in Kafka).
 *
 * Rates are Kafka's sampled rate: quota.window.num samples of
 * quota.window.size.seconds; the rate is the samples' total over their
 * span, counted as at least (num - 1) full windows for fetch, as Kafka,
 * and one window for produce and request time (Kafka's padding lets a new
 * producer send num - 1 windows' quota at once, and again each time that
 * burst ages out: 1.1x the quota over 30 s). A request that brings the rate
 * over the quota gets a throttle time of (rate - quota) / quota * span, at most
 * num * size (Kafka's QuotaUtils.boundedThrottleTime): the broker answers at
 * once with it in ThrottleTimeMs and then mutes the connection for that long
 * (KIP-219).
 *
 * Storage, standalone: <data_dir>/__samsa_meta/client_quotas, replaced
 * durably on every change. In a cluster (quorum mode) the metadata log
 * keeps them (CLIENT_QUOTA records, core/metadata/image_security.h): the
 * store is opened in memory and replaced from each new image
 * (samsa_quotas_replace, core/broker/cluster_security.c).
 *
 * Threads: recording takes a mutex and never does I/O (reactors); changes
 * block on fsync and run on the admin worker.
 */
#ifndef SAMSA_SECURITY_QUOTA_H
#define SAMSA_SECURITY_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <samsa/errors.h>

typedef struct samsa_quotas samsa_quotas_t;

typedef enum samsa_quota_kind {
    SAMSA_QUOTA_PRODUCE = 0, /* producer_byte_rate */
    SAMSA_QUOTA_FETCH = 1,   /* consumer_byte_rate */
    SAMSA_QUOTA_REQUEST = 2, /* request_percentage */
    SAMSA_QUOTA_KINDS = 3
} samsa_quota_kind_t;

/** The key of @p kind ("producer_byte_rate", ...); the kind of @p key, or
 *  -1 when it is not one. */
const char *samsa_quota_key(samsa_quota_kind_t kind);
int samsa_quota_kind_of(const char *key);

/* One side of an entity: absent, the default (<default>), or a name. */
typedef struct samsa_quota_name {
    bool present;
    const char *name; /* NULL = the default */
} samsa_quota_name_t;

/* An entity and its values (NAN = not set). */
typedef struct samsa_quota_entry {
    samsa_quota_name_t user, client;
    double value[SAMSA_QUOTA_KINDS];
} samsa_quota_entry_t;

/** Open the store of @p data_dir (NULL: in memory only; for unit tests)
 *  with Kafka's window (@p window_num samples of @p window_ms each). */
samsa_err_t samsa_quotas_open(const char *data_dir, int32_t window_num,
                              int64_t window_ms, samsa_quotas_t **out,
                              char *errbuf, size_t errbuf_size);
void samsa_quotas_close(samsa_quotas_t *q);

/**
 * Record @p amount (bytes) of @p kind for a client at @p now_ms (monotonic)
 * and return the throttle time in ms (0: within its quota, or none). A
 * negative @p amount takes back what was recorded (a throttled fetch is
 * answered empty).
 * @p user without "User:", @p client_id may be NULL.
 */
int32_t samsa_quotas_record(samsa_quotas_t *q, samsa_quota_kind_t kind,
                            const char *user, const char *client_id,
                            double amount, int64_t now_ms);

/** quota x (num - 1) windows: the most @p kind the client may take at
 *  once (Kafka caps a fetch's MaxBytes with it); INFINITY without one. */
double samsa_quotas_window_max(samsa_quotas_t *q, samsa_quota_kind_t kind,
                               const char *user, const char *client_id);

/**
 * Set (@p remove false) or remove one key of an entity; with @p apply
 * false only validate. Persists after each entity (samsa_quotas_commit).
 * @return SAMSA_OK; INVALID_REQUEST (unknown key, a value out of range:
 *         byte rates are positive integers, request_percentage positive).
 */
samsa_err_t samsa_quotas_check(const char *key, double value, bool remove,
                               const char **message);
samsa_err_t samsa_quotas_set(samsa_quotas_t *q, const samsa_quota_name_t *user,
                             const samsa_quota_name_t *client, int kind,
                             double value, bool remove);
/** Write the store durably; KAFKA_STORAGE_ERROR on failure. */
samsa_err_t samsa_quotas_commit(samsa_quotas_t *q);

/** Make the configured entities exactly @p entries (copied); the rates
 *  measured so far are kept. NOMEM leaves them unchanged. Any thread. */
samsa_err_t samsa_quotas_replace(samsa_quotas_t *q,
                                 const samsa_quota_entry_t *entries,
                                 size_t count);

/** A copy of every configured entity (malloc'd, names included: free with
 *  samsa_quotas_entries_free). */
samsa_err_t samsa_quotas_entries(samsa_quotas_t *q, samsa_quota_entry_t **out,
                                 size_t *count);
void samsa_quotas_entries_free(samsa_quota_entry_t *e, size_t count);

#endif /* SAMSA_SECURITY_QUOTA_H */
