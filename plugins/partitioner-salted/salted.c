/* SPDX-License-Identifier: Apache-2.0 */
/*
 * partitioner-salted: spreads hot keys over several partitions. A key is
 * hot when listed in `hot_keys` or, with `rate_threshold` > 0, when it is
 * seen more than that many times per second. A hot key goes to
 *     java_hash(key + "#" + bucket)   with bucket = 0..salt_buckets-1,
 * round robin per key, so it covers up to salt_buckets partitions; every
 * other key uses the plain Java hash (partitioner-hash). The record's key
 * is never changed: only its placement differs.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <samsa/partitioner.h>

#include "murmur2.h"
#include "rate.h"
#include "topic_state.h"

#define RATE_SLOTS 4096
/* Salted keys up to this size are composed on the stack. */
#define SALT_STACK 256

typedef struct hot_key {
    const char *key; /* owned by the config, valid until fini */
    size_t len;
    uint64_t fp;
    _Atomic uint32_t bucket;
} hot_key_t;

typedef struct salted_state {
    const samsa_services_t *svc;
    hot_key_t *hot;
    size_t hot_count;
    uint32_t buckets;
    uint64_t rate_threshold; /* 0 = off */
    rate_table_t *rates;     /* NULL when rate_threshold is 0 */
    topic_state_t *topics;   /* keyless records: sticky */
    uint64_t batch_bytes;
} salted_state_t;

static const samsa_option_t salted_options[] = {
    SAMSA_OPTION_LIST("hot_keys", NULL,
                      "Keys (as UTF-8 strings) that are always spread over "
                      "salt_buckets partitions."),
    SAMSA_OPTION_INT("salt_buckets", "4", 1, 1024,
                     "How many salted variants (key#0..key#N-1) a hot key "
                     "is spread over, so at most N partitions."),
    SAMSA_OPTION_INT("rate_threshold", "0", 0, INT64_MAX,
                     "Records per second per key above which an unlisted "
                     "key counts as hot; 0 turns rate detection off."),
    SAMSA_OPTION_INT("batch_bytes", "16384", 1, 1073741824,
                     "Keyless records stick to one partition for this many "
                     "bytes (as partitioner-hash)."),
    SAMSA_OPTION_END,
};

static void salted_fini(void *state)
{
    salted_state_t *st = state;
    if (st == NULL) {
        return;
    }
    rate_table_destroy(st->rates);
    topic_state_destroy(st->topics);
    st->svc->free(st->hot);
    st->svc->free(st);
}

static samsa_err_t read_options(const samsa_services_t *svc,
                                const samsa_config_t *cfg, salted_state_t *st,
                                const char *const **keys, size_t *count)
{
    int64_t buckets = 0, rate = 0, batch = 0;
    samsa_err_t err = svc->config_list(cfg, "hot_keys", keys, count);
    if (err == SAMSA_OK) {
        err = svc->config_int(cfg, "salt_buckets", &buckets);
    }
    if (err == SAMSA_OK) {
        err = svc->config_int(cfg, "rate_threshold", &rate);
    }
    if (err == SAMSA_OK) {
        err = svc->config_int(cfg, "batch_bytes", &batch);
    }
    if (err == SAMSA_OK &&
        (buckets < 1 || buckets > 1024 || rate < 0 || batch < 1)) {
        err = SAMSA_ERR_CONFIG;
    }
    st->buckets = (uint32_t)buckets;
    st->rate_threshold = (uint64_t)rate;
    st->batch_bytes = (uint64_t)batch;
    return err;
}

static samsa_err_t salted_init(const samsa_services_t *svc,
                               const samsa_instance_t *inst, void **state,
                               char *errbuf, size_t errbuf_size)
{
    salted_state_t *st = svc->alloc(sizeof(*st));
    if (st == NULL) {
        snprintf(errbuf, errbuf_size, "salted: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    memset(st, 0, sizeof(*st));
    st->svc = svc;
    const char *const *keys = NULL;
    size_t count = 0;
    samsa_err_t err = read_options(svc, inst->config, st, &keys, &count);
    if (err != SAMSA_OK) {
        snprintf(errbuf, errbuf_size, "salted: invalid options (%s)",
                 svc->err_str(err));
        goto fail;
    }
    err = SAMSA_ERR_NOMEM;
    snprintf(errbuf, errbuf_size, "salted: out of memory");
    st->hot = svc->alloc((count > 0 ? count : 1) * sizeof(*st->hot));
    if (st->hot == NULL || topic_state_create(svc, &st->topics) != SAMSA_OK ||
        (st->rate_threshold > 0 &&
         rate_table_create(svc, RATE_SLOTS, &st->rates) != SAMSA_OK)) {
        goto fail;
    }
    for (size_t i = 0; i < count; i++) {
        st->hot[i].key = keys[i];
        st->hot[i].len = strlen(keys[i]);
        st->hot[i].fp = rate_fingerprint(keys[i], st->hot[i].len);
        atomic_init(&st->hot[i].bucket, 0);
    }
    st->hot_count = count;
    errbuf[0] = '\0';
    *state = st;
    return SAMSA_OK;
fail:
    salted_fini(st);
    return err;
}

static hot_key_t *listed(salted_state_t *st, const void *key, size_t len)
{
    if (st->hot_count == 0) {
        return NULL;
    }
    uint64_t fp = rate_fingerprint(key, len);
    for (size_t i = 0; i < st->hot_count; i++) {
        hot_key_t *h = &st->hot[i];
        if (h->fp == fp && h->len == len && memcmp(h->key, key, len) == 0) {
            return h;
        }
    }
    return NULL;
}

/* Java hash of key + "#" + bucket (decimal). */
static samsa_err_t salted_partition_of(const samsa_services_t *svc,
                                       const void *key, size_t len,
                                       uint32_t bucket, int32_t count,
                                       int32_t *partition)
{
    char suffix[16];
    int n = snprintf(suffix, sizeof(suffix), "#%u", bucket);
    size_t total = len + (size_t)n;
    char stack[SALT_STACK];
    char *buf = total <= sizeof(stack) ? stack : svc->alloc(total);
    if (buf == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    if (len > 0) {
        memcpy(buf, key, len);
    }
    memcpy(buf + len, suffix, (size_t)n);
    *partition = samsa_murmur2_partition(buf, total, count);
    if (buf != stack) {
        svc->free(buf);
    }
    return SAMSA_OK;
}

static samsa_err_t salted_partition(void *state,
                                    const samsa_partition_input_t *in,
                                    int32_t *partition)
{
    salted_state_t *st = state;
    samsa_err_t err = topic_state_check_input(in);
    if (err != SAMSA_OK) {
        return err;
    }
    if (in->key == NULL) {
        return topic_state_sticky(st->topics, in, st->batch_bytes, partition);
    }
    size_t len = (size_t)in->key_len;
    uint32_t bucket = 0;
    bool hot = false;
    hot_key_t *h = listed(st, in->key, len);
    if (h != NULL) {
        bucket = atomic_fetch_add(&h->bucket, 1);
        hot = true;
    } else if (st->rates != NULL) {
        hot = rate_table_hit(st->rates, in->key, len, st->svc->monotonic_ms(),
                             st->rate_threshold, &bucket);
    }
    if (!hot) {
        *partition = samsa_murmur2_partition(in->key, len, in->partition_count);
        return SAMSA_OK;
    }
    return salted_partition_of(st->svc, in->key, len, bucket % st->buckets,
                               in->partition_count, partition);
}

static void salted_batch_done(void *state, const char *topic, int32_t partition,
                              uint64_t bytes)
{
    salted_state_t *st = state;
    (void)bytes;
    topic_state_batch_done(st->topics, topic, partition);
}

static const samsa_partitioner_ops_t salted_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_partitioner_ops_t),
    .partition = salted_partition,
    .batch_done = salted_batch_done,
};

static const samsa_plugin_t salted_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_PARTITIONER,
    .name = "partitioner-salted",
    .version = "1.0.0",
    .summary = "Java hash, but hot keys spread over N salted sub-keys",
    .options = salted_options,
    .init = salted_init,
    .fini = salted_fini,
    .ops = &salted_ops,
};

SAMSA_PLUGIN_DECLARE(salted_plugin)
