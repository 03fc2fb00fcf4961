/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/limits.c - per-connector rate and memory limits (see
 * limits.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connect/limits.h"
#include "util/clock.h"

#define KEY_RECORDS  "samsa.max.records.per.second"
#define KEY_BYTES    "samsa.max.bytes.per.second"
#define KEY_BUFFERED "samsa.max.buffered.bytes"
#define WAIT_STEP_MS 50

/* A non-negative integer setting (absent: 0). */
static samsa_err_t read_limit(const json_t *config, const char *key,
                              int64_t *out, char *errbuf, size_t errlen)
{
    const char *v = json_string_value(json_object_get(config, key));
    *out = 0;
    if (v == NULL || v[0] == '\0') {
        return SAMSA_OK;
    }
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (end == v || *end != '\0' || n < 0 || errno != 0) {
        snprintf(errbuf, errlen,
                 "%s %s: expected a non-negative integer (0: no limit)", key,
                 v);
        return SAMSA_ERR_CONFIG;
    }
    *out = n;
    return SAMSA_OK;
}

samsa_err_t samsa_connect_limits_from_config(const json_t *config,
                                             int32_t ntasks,
                                             samsa_connect_usage_t *usage,
                                             samsa_connect_limits_t *out,
                                             char *errbuf, size_t errlen)
{
    int64_t records = 0, bytes = 0, buffered = 0;
    samsa_err_t err = read_limit(config, KEY_RECORDS, &records, errbuf, errlen);
    if (err == SAMSA_OK) {
        err = read_limit(config, KEY_BYTES, &bytes, errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        err = read_limit(config, KEY_BUFFERED, &buffered, errbuf, errlen);
    }
    if (err != SAMSA_OK) {
        return err;
    }
    double share = ntasks > 0 ? (double)ntasks : 1.0;
    memset(out, 0, sizeof(*out));
    out->records_per_s = (double)records / share;
    out->bytes_per_s = (double)bytes / share;
    out->max_buffered = buffered > 0 ? (int64_t)((double)buffered / share) : 0;
    if (buffered > 0 && out->max_buffered == 0) {
        out->max_buffered = 1;
    }
    /* Full buckets: one second's worth at the start. */
    out->record_tokens = out->records_per_s;
    out->byte_tokens = out->bytes_per_s;
    out->refilled_ms = samsa_mono_ms();
    out->usage = usage;
    if (usage != NULL) {
        atomic_store(&usage->records, 0);
        atomic_store(&usage->bytes, 0);
        atomic_store(&usage->throttled_ms, 0);
        atomic_store(&usage->buffered, 0);
        atomic_store(&usage->buffered_max, 0);
    }
    return SAMSA_OK;
}

/* Add what the time since the last refill earned, up to a second's worth. */
static void refill(samsa_connect_limits_t *l)
{
    int64_t now = samsa_mono_ms();
    double secs = (double)(now - l->refilled_ms) / 1000.0;
    l->refilled_ms = now;
    l->record_tokens += secs * l->records_per_s;
    if (l->record_tokens > l->records_per_s) {
        l->record_tokens = l->records_per_s;
    }
    l->byte_tokens += secs * l->bytes_per_s;
    if (l->byte_tokens > l->bytes_per_s) {
        l->byte_tokens = l->bytes_per_s;
    }
}

void samsa_connect_limits_take(samsa_connect_limits_t *l, int64_t records,
                               int64_t bytes, const atomic_bool *stop)
{
    if (l->usage != NULL) {
        atomic_fetch_add(&l->usage->records, records);
        atomic_fetch_add(&l->usage->bytes, bytes);
    }
    if (l->records_per_s <= 0 && l->bytes_per_s <= 0) {
        return;
    }
    refill(l);
    l->record_tokens -= l->records_per_s > 0 ? (double)records : 0;
    l->byte_tokens -= l->bytes_per_s > 0 ? (double)bytes : 0;
    int64_t started = samsa_mono_ms();
    while ((l->record_tokens < 0 || l->byte_tokens < 0) && !atomic_load(stop)) {
        struct timespec ts = {.tv_nsec = WAIT_STEP_MS * 1000000L};
        nanosleep(&ts, NULL);
        refill(l);
    }
    if (l->usage != NULL) {
        atomic_fetch_add(&l->usage->throttled_ms, samsa_mono_ms() - started);
    }
}

bool samsa_connect_limits_full(const samsa_connect_limits_t *l, int64_t more)
{
    int64_t now = l->usage != NULL ? atomic_load(&l->usage->buffered) : 0;
    return l->max_buffered > 0 && now > 0 && now + more > l->max_buffered;
}

void samsa_connect_limits_buffered(samsa_connect_limits_t *l, int64_t bytes)
{
    if (l->usage == NULL) {
        return;
    }
    atomic_store(&l->usage->buffered, bytes);
    if (bytes > atomic_load(&l->usage->buffered_max)) {
        atomic_store(&l->usage->buffered_max, bytes);
    }
}

/* The setting as a number, 0 when absent or bad. */
static json_t *limit_json(const json_t *config, const char *key)
{
    int64_t v = 0;
    char ignored[160];
    read_limit(config, key, &v, ignored, sizeof(ignored));
    return json_integer(v);
}

json_t *samsa_connect_limits_json(const json_t *config,
                                  const samsa_connect_usage_t *const *usage,
                                  int32_t n)
{
    json_t *tasks = json_array();
    for (int32_t i = 0; i < n; i++) {
        const samsa_connect_usage_t *u = usage[i];
        json_array_append_new(
            tasks,
            json_pack("{s:i,s:I,s:I,s:I,s:I,s:I}", "id", (int)i, "records",
                      (json_int_t)atomic_load(&u->records), "bytes",
                      (json_int_t)atomic_load(&u->bytes), "throttled_ms",
                      (json_int_t)atomic_load(&u->throttled_ms),
                      "buffered_bytes", (json_int_t)atomic_load(&u->buffered),
                      "buffered_bytes_max",
                      (json_int_t)atomic_load(&u->buffered_max)));
    }
    return json_pack("{s:o,s:o,s:o,s:o}", KEY_RECORDS,
                     limit_json(config, KEY_RECORDS), KEY_BYTES,
                     limit_json(config, KEY_BYTES), KEY_BUFFERED,
                     limit_json(config, KEY_BUFFERED), "tasks", tasks);
}
