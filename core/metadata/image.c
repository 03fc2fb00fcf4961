/* SPDX-License-Identifier: Apache-2.0 */
/* core/metadata/image.c - see image.h. */
#include "metadata/image.h"

#include <stdlib.h>
#include <string.h>

#include "metadata/image_controllers.h"
#include "metadata/image_security.h"
#include "metadata/mdrec_codec.h"
#include "metadata/partition_change.h"
#include "protocol/buf.h"
#include "util/iobuf.h"

/* ------------------------------------------------------------------ */
/* Life cycle                                                         */
/* ------------------------------------------------------------------ */

static void broker_free(samsa_meta_broker_t *b)
{
    free(b->host);
    free(b->rack);
    for (size_t i = 0; b->listeners && i < b->listener_count; i++) {
        free(b->listeners[i].name);
        free(b->listeners[i].host);
    }
    free(b->listeners);
}

static void partition_free(samsa_meta_partition_t *p)
{
    free(p->replicas);
    free(p->isr);
    free(p->adding);
    free(p->removing);
}

static void topic_free(samsa_meta_topic_t *t)
{
    for (int32_t i = 0; t->partitions && i < t->partition_count; i++) {
        partition_free(&t->partitions[i]);
    }
    free(t->partitions);
    for (size_t i = 0; i < t->config_count; i++) {
        free(t->configs[i].key);
        free(t->configs[i].value);
    }
    free(t->configs);
    free(t->name);
}

samsa_meta_image_t *samsa_meta_image_new(void)
{
    samsa_meta_image_t *img = calloc(1, sizeof(*img));
    if (img) {
        atomic_init(&img->refs, 1);
        img->next_broker_epoch = 1;
    }
    return img;
}

void samsa_meta_image_hold(samsa_meta_image_t *img)
{
    atomic_fetch_add(&img->refs, 1);
}

void samsa_meta_image_put(samsa_meta_image_t *img)
{
    if (!img || atomic_fetch_sub(&img->refs, 1) != 1) {
        return;
    }
    for (size_t i = 0; i < img->broker_count; i++) {
        broker_free(&img->brokers[i]);
    }
    free(img->brokers);
    for (size_t i = 0; i < img->topic_count; i++) {
        topic_free(&img->topics[i]);
    }
    free(img->topics);
    samsa_meta_controllers_free(img);
    samsa_meta_security_put(img->security);
    free(img);
}

static char *dup_or_null(const char *s, bool *ok)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d) {
        *ok = false;
    }
    return d;
}

static int32_t *dup_ids(const int32_t *ids, int32_t n, bool *ok)
{
    int32_t *d = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (!d) {
        *ok = false;
        return NULL;
    }
    if (n > 0) {
        memcpy(d, ids, sizeof(int32_t) * (size_t)n);
    }
    return d;
}

static samsa_meta_listener_t *listeners_copy(const samsa_meta_broker_t *b,
                                             bool *ok)
{
    samsa_meta_listener_t *l =
        calloc(b->listener_count + 1, sizeof(*b->listeners));
    *ok = *ok && l;
    for (size_t i = 0; l && i < b->listener_count; i++) {
        l[i].name = dup_or_null(b->listeners[i].name, ok);
        l[i].host = dup_or_null(b->listeners[i].host, ok);
        l[i].port = b->listeners[i].port;
    }
    return l;
}

static bool topic_copy(samsa_meta_topic_t *dst, const samsa_meta_topic_t *src)
{
    bool ok = true;
    *dst = *src;
    dst->name = dup_or_null(src->name, &ok);
    dst->partitions =
        calloc((size_t)src->partition_count + 1, sizeof(*dst->partitions));
    dst->configs = calloc(src->config_count + 1, sizeof(*dst->configs));
    if (!dst->partitions || !dst->configs) {
        dst->partition_count = 0;
        dst->config_count = 0;
        return false;
    }
    for (int32_t i = 0; i < src->partition_count; i++) {
        const samsa_meta_partition_t *sp = &src->partitions[i];
        samsa_meta_partition_t *dp = &dst->partitions[i];
        *dp = *sp;
        dp->replicas = dup_ids(sp->replicas, sp->replica_count, &ok);
        dp->isr = dup_ids(sp->isr, sp->isr_count, &ok);
        dp->adding = dup_ids(sp->adding, sp->adding_count, &ok);
        dp->removing = dup_ids(sp->removing, sp->removing_count, &ok);
    }
    for (size_t i = 0; i < src->config_count; i++) {
        dst->configs[i].key = dup_or_null(src->configs[i].key, &ok);
        dst->configs[i].value = dup_or_null(src->configs[i].value, &ok);
    }
    return ok;
}

samsa_meta_image_t *samsa_meta_image_clone(const samsa_meta_image_t *img)
{
    samsa_meta_image_t *c = samsa_meta_image_new();
    bool ok = c != NULL;
    if (!ok) {
        return NULL;
    }
    c->index = img->index;
    c->next_broker_epoch = img->next_broker_epoch;
    c->next_producer_id = img->next_producer_id;
    c->security = img->security;
    if (c->security) {
        atomic_fetch_add(&c->security->refs, 1);
    }
    c->brokers = calloc(img->broker_count + 1, sizeof(*c->brokers));
    c->topics = calloc(img->topic_count + 1, sizeof(*c->topics));
    if (!c->brokers || !c->topics) {
        samsa_meta_image_put(c);
        return NULL;
    }
    for (size_t i = 0; i < img->broker_count; i++) {
        c->brokers[i] = img->brokers[i];
        c->brokers[i].host = dup_or_null(img->brokers[i].host, &ok);
        c->brokers[i].rack = dup_or_null(img->brokers[i].rack, &ok);
        c->brokers[i].listeners = listeners_copy(&img->brokers[i], &ok);
        c->broker_count = i + 1;
    }
    for (size_t i = 0; ok && i < img->topic_count; i++) {
        ok = topic_copy(&c->topics[i], &img->topics[i]);
        c->topic_count = i + 1;
    }
    ok = ok && samsa_meta_controllers_copy(c, img);
    if (!ok) {
        samsa_meta_image_put(c);
        return NULL;
    }
    return c;
}

/* ------------------------------------------------------------------ */
/* Lookups                                                            */
/* ------------------------------------------------------------------ */

const samsa_meta_broker_t *samsa_meta_broker(const samsa_meta_image_t *img,
                                             int32_t id)
{
    for (size_t i = 0; img && i < img->broker_count; i++) {
        if (img->brokers[i].id == id) {
            return &img->brokers[i];
        }
    }
    return NULL;
}

/* Index of @p name, or where it would go (*found false). */
static size_t topic_slot(const samsa_meta_image_t *img, const char *name,
                         bool *found)
{
    size_t lo = 0, hi = img->topic_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(img->topics[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *found = false;
    return lo;
}

const samsa_meta_topic_t *samsa_meta_topic(const samsa_meta_image_t *img,
                                           const char *name)
{
    bool found = false;
    size_t i = img ? topic_slot(img, name, &found) : 0;
    return found ? &img->topics[i] : NULL;
}

const samsa_meta_topic_t *samsa_meta_topic_by_id(const samsa_meta_image_t *img,
                                                 const uint8_t id[16])
{
    for (size_t i = 0; img && i < img->topic_count; i++) {
        if (memcmp(img->topics[i].id, id, 16) == 0) {
            return &img->topics[i];
        }
    }
    return NULL;
}

const samsa_meta_partition_t *
samsa_meta_partition(const samsa_meta_image_t *img, const char *name,
                     int32_t index)
{
    const samsa_meta_topic_t *t = samsa_meta_topic(img, name);
    if (!t || index < 0 || index >= t->partition_count) {
        return NULL;
    }
    return &t->partitions[index];
}

void samsa_meta_broker_endpoint(const samsa_meta_broker_t *b, const char *name,
                                const char **host, int32_t *port)
{
    *host = b->host;
    *port = b->port;
    for (size_t i = 0; name && i < b->listener_count; i++) {
        if (strcmp(b->listeners[i].name, name) == 0) {
            *host = b->listeners[i].host;
            *port = b->listeners[i].port;
        }
    }
}

bool samsa_meta_topic_hosted(const samsa_meta_topic_t *t, int32_t id)
{
    for (int32_t i = 0; i < t->partition_count; i++) {
        if (samsa_meta_ids_has(t->partitions[i].replicas,
                               t->partitions[i].replica_count, id)) {
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* Records: encoding                                                  */
/* ------------------------------------------------------------------ */

/* The shared record codec (mdrec_codec.h), by this file's short names. */
typedef samsa_mdenc_t enc_t;
typedef samsa_mddec_t dec_t;
#define enc_start  samsa_mdenc_start
#define enc_str    samsa_mdenc_str
#define enc_finish samsa_mdenc_finish
#define dec_i8     samsa_mddec_i8
#define dec_i32    samsa_mddec_i32
#define dec_i64    samsa_mddec_i64
#define dec_raw    samsa_mddec_raw
#define dec_str    samsa_mddec_str

static void enc_ids(enc_t *e, const int32_t *ids, int32_t n)
{
    samsa_wbuf_i32(&e->w, n);
    for (int32_t i = 0; i < n; i++) {
        samsa_wbuf_i32(&e->w, ids[i]);
    }
}

static void enc_partition(enc_t *e, const samsa_meta_partition_t *p);

samsa_err_t samsa_mdrec_broker(const samsa_meta_broker_t *b,
                               samsa_meta_rec_t *out)
{
    enc_t e;
    enc_start(&e, SAMSA_MDREC_BROKER);
    samsa_wbuf_i32(&e.w, b->id);
    samsa_wbuf_i64(&e.w, b->epoch);
    samsa_wbuf_raw(&e.w, b->incarnation, 16);
    enc_str(&e, b->host);
    samsa_wbuf_i32(&e.w, b->port);
    enc_str(&e, b->rack);
    samsa_wbuf_i8(&e.w, b->fenced);
    samsa_wbuf_i32(&e.w, (int32_t)b->listener_count);
    for (size_t i = 0; i < b->listener_count; i++) {
        enc_str(&e, b->listeners[i].name);
        enc_str(&e, b->listeners[i].host);
        samsa_wbuf_i32(&e.w, b->listeners[i].port);
    }
    return enc_finish(&e, out);
}

samsa_err_t samsa_mdrec_fence(int32_t id, int64_t epoch, bool fence,
                              samsa_meta_rec_t *out)
{
    enc_t e;
    enc_start(&e,
              fence ? SAMSA_MDREC_FENCE_BROKER : SAMSA_MDREC_UNFENCE_BROKER);
    samsa_wbuf_i32(&e.w, id);
    samsa_wbuf_i64(&e.w, epoch);
    return enc_finish(&e, out);
}

samsa_err_t samsa_mdrec_unregister(int32_t id, samsa_meta_rec_t *out)
{
    enc_t e;
    enc_start(&e, SAMSA_MDREC_UNREGISTER_BROKER);
    samsa_wbuf_i32(&e.w, id);
    return enc_finish(&e, out);
}

samsa_err_t samsa_mdrec_topic(const samsa_meta_topic_t *t,
                              samsa_meta_rec_t *out)
{
    enc_t e;
    enc_start(&e, SAMSA_MDREC_TOPIC);
    enc_str(&e, t->name);
    samsa_wbuf_raw(&e.w, t->id, 16);
    samsa_wbuf_i32(&e.w, t->partition_count);
    for (int32_t i = 0; i < t->partition_count; i++) {
        enc_partition(&e, &t->partitions[i]);
    }
    samsa_wbuf_i32(&e.w, (int32_t)t->config_count);
    for (size_t i = 0; i < t->config_count; i++) {
        enc_str(&e, t->configs[i].key);
        enc_str(&e, t->configs[i].value);
    }
    /* Then, per partition, its epoch and the replicas a reassignment adds
     * and removes (records written before these end with the configs). */
    samsa_wbuf_i32(&e.w, t->partition_count);
    for (int32_t i = 0; i < t->partition_count; i++) {
        const samsa_meta_partition_t *p = &t->partitions[i];
        samsa_wbuf_i32(&e.w, p->partition_epoch);
        enc_ids(&e, p->adding, p->adding_count);
        enc_ids(&e, p->removing, p->removing_count);
    }
    return enc_finish(&e, out);
}

static void enc_partition(enc_t *e, const samsa_meta_partition_t *p)
{
    samsa_wbuf_i32(&e->w, p->leader);
    samsa_wbuf_i32(&e->w, p->leader_epoch);
    enc_ids(e, p->replicas, p->replica_count);
    enc_ids(e, p->isr, p->isr_count);
}

samsa_err_t samsa_mdrec_partitions(const samsa_meta_topic_t *t, int32_t first,
                                   samsa_meta_rec_t *out)
{
    enc_t e;
    enc_start(&e, SAMSA_MDREC_PARTITIONS);
    enc_str(&e, t->name);
    samsa_wbuf_i32(&e.w, first);
    samsa_wbuf_i32(&e.w, t->partition_count);
    for (int32_t i = 0; i < t->partition_count; i++) {
        enc_partition(&e, &t->partitions[i]);
    }
    return enc_finish(&e, out);
}

samsa_err_t samsa_mdrec_remove_topic(const char *name, samsa_meta_rec_t *out)
{
    enc_t e;
    enc_start(&e, SAMSA_MDREC_REMOVE_TOPIC);
    enc_str(&e, name);
    return enc_finish(&e, out);
}

samsa_err_t samsa_mdrec_topic_config(const char *topic, const char *key,
                                     const char *value, samsa_meta_rec_t *out)
{
    enc_t e;
    enc_start(&e, SAMSA_MDREC_TOPIC_CONFIG);
    enc_str(&e, topic);
    enc_str(&e, key);
    enc_str(&e, value);
    return enc_finish(&e, out);
}

samsa_err_t samsa_mdrec_producer_ids(int32_t broker, int64_t start,
                                     int64_t count, samsa_meta_rec_t *out)
{
    enc_t e;
    enc_start(&e, SAMSA_MDREC_PRODUCER_IDS);
    samsa_wbuf_i32(&e.w, broker);
    samsa_wbuf_i64(&e.w, start);
    samsa_wbuf_i64(&e.w, count);
    return enc_finish(&e, out);
}

static samsa_err_t mdrec_counters(const samsa_meta_image_t *img,
                                  samsa_meta_rec_t *out)
{
    enc_t e;
    enc_start(&e, SAMSA_MDREC_COUNTERS);
    samsa_wbuf_i64(&e.w, img->next_broker_epoch);
    samsa_wbuf_i64(&e.w, img->next_producer_id);
    return enc_finish(&e, out);
}

/* ------------------------------------------------------------------ */
/* Records: applying                                                  */
/* ------------------------------------------------------------------ */

static int32_t *dec_ids(dec_t *d, int32_t *n)
{
    *n = dec_i32(d);
    if (d->err != SAMSA_OK || *n < 0 ||
        (size_t)*n > samsa_rbuf_left(&d->rb) / 4) {
        d->err = d->err ? d->err : SAMSA_ERR_CORRUPT;
        *n = 0;
        return NULL;
    }
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)(*n + 1));
    if (!ids) {
        d->err = SAMSA_ERR_NOMEM;
        *n = 0;
        return NULL;
    }
    for (int32_t i = 0; i < *n; i++) {
        ids[i] = dec_i32(d);
    }
    return ids;
}

static samsa_meta_broker_t *broker_mut(samsa_meta_image_t *img, int32_t id)
{
    return (samsa_meta_broker_t *)samsa_meta_broker(img, id);
}

static samsa_err_t apply_broker(samsa_meta_image_t *img, dec_t *d,
                                samsa_err_t *outcome)
{
    samsa_meta_broker_t b = {0};
    b.id = dec_i32(d);
    b.epoch = dec_i64(d);
    dec_raw(d, b.incarnation, 16);
    b.host = dec_str(d);
    b.port = dec_i32(d);
    b.rack = dec_str(d);
    b.fenced = dec_i8(d) != 0;
    /* Listeners, when the record has them (older ones end here). */
    int32_t nl = samsa_rbuf_left(&d->rb) > 0 ? dec_i32(d) : 0;
    if (d->err == SAMSA_OK &&
        (nl < 0 || (size_t)nl > samsa_rbuf_left(&d->rb) / 8)) {
        d->err = SAMSA_ERR_CORRUPT;
    }
    if (d->err == SAMSA_OK) {
        b.listeners = calloc((size_t)nl + 1, sizeof(*b.listeners));
        d->err = b.listeners ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    for (int32_t i = 0; d->err == SAMSA_OK && i < nl; i++) {
        b.listeners[i].name = dec_str(d);
        b.listeners[i].host = dec_str(d);
        b.listeners[i].port = dec_i32(d);
        b.listener_count = (size_t)i + 1;
        if (d->err == SAMSA_OK &&
            (!b.listeners[i].name || !b.listeners[i].host)) {
            d->err = SAMSA_ERR_CORRUPT;
        }
    }
    if (d->err != SAMSA_OK || !b.host) {
        broker_free(&b);
        return d->err ? d->err : SAMSA_ERR_CORRUPT;
    }
    if (b.epoch < 0) { /* a registration: the log gives the epoch */
        b.epoch = img->next_broker_epoch++;
        b.fenced = false;
    } else if (b.epoch >= img->next_broker_epoch) {
        img->next_broker_epoch = b.epoch + 1;
    }
    samsa_meta_broker_t *old = broker_mut(img, b.id);
    /* A restarted broker may lack what it acknowledged before: it leaves
     * the ISRs (as fencing does) and rejoins them by catching up. */
    int32_t restarted = old && old->epoch != b.epoch ? b.id : -1;
    if (old) {
        broker_free(old);
        *old = b;
    } else {
        samsa_meta_broker_t *nb =
            realloc(img->brokers, (img->broker_count + 1) * sizeof(*nb));
        if (!nb) {
            broker_free(&b);
            return SAMSA_ERR_NOMEM;
        }
        size_t at = 0;
        while (at < img->broker_count && nb[at].id < b.id) {
            at++;
        }
        memmove(&nb[at + 1], &nb[at], (img->broker_count - at) * sizeof(*nb));
        nb[at] = b;
        img->brokers = nb;
        img->broker_count++;
    }
    *outcome = SAMSA_OK;
    samsa_meta_brokers_changed(img, restarted);
    return SAMSA_OK;
}

static samsa_err_t apply_fence(samsa_meta_image_t *img, dec_t *d, bool fence,
                               samsa_err_t *outcome)
{
    int32_t id = dec_i32(d);
    int64_t epoch = dec_i64(d);
    if (d->err != SAMSA_OK) {
        return d->err;
    }
    samsa_meta_broker_t *b = broker_mut(img, id);
    if (!b) {
        *outcome = SAMSA_ERR_BROKER_ID_NOT_REGISTERED;
    } else if (b->epoch != epoch) {
        *outcome = SAMSA_ERR_STALE_BROKER_EPOCH;
    } else {
        b->fenced = fence;
        samsa_meta_brokers_changed(img, fence ? id : -1);
        *outcome = SAMSA_OK;
    }
    return SAMSA_OK;
}

/* The per-partition epochs and reassignment state after a TOPIC record's
 * configs, when present (a count of 0 is the record's zero padding). */
static void dec_partition_states(dec_t *d, samsa_meta_topic_t *t)
{
    if (d->err != SAMSA_OK || samsa_rbuf_left(&d->rb) < 4) {
        return;
    }
    int32_t n = dec_i32(d);
    if (n != 0 && n != t->partition_count) {
        d->err = SAMSA_ERR_CORRUPT;
    }
    for (int32_t i = 0; d->err == SAMSA_OK && i < n; i++) {
        samsa_meta_partition_t *p = &t->partitions[i];
        p->partition_epoch = dec_i32(d);
        p->adding = dec_ids(d, &p->adding_count);
        p->removing = dec_ids(d, &p->removing_count);
    }
}

static samsa_err_t apply_unregister(samsa_meta_image_t *img, dec_t *d,
                                    samsa_err_t *outcome)
{
    int32_t id = dec_i32(d);
    samsa_meta_broker_t *b = d->err == SAMSA_OK ? broker_mut(img, id) : NULL;
    if (d->err != SAMSA_OK) {
        return d->err;
    }
    if (!b) {
        *outcome = SAMSA_ERR_BROKER_ID_NOT_REGISTERED;
        return SAMSA_OK;
    }
    size_t at = (size_t)(b - img->brokers);
    broker_free(b);
    memmove(b, b + 1, (img->broker_count - at - 1) * sizeof(*b));
    img->broker_count--;
    samsa_meta_brokers_changed(img, id);
    *outcome = SAMSA_OK;
    return SAMSA_OK;
}

static samsa_err_t apply_topic(samsa_meta_image_t *img, dec_t *d,
                               samsa_err_t *outcome)
{
    samsa_meta_topic_t t = {0};
    t.name = dec_str(d);
    dec_raw(d, t.id, 16);
    t.partition_count = dec_i32(d);
    if (d->err == SAMSA_OK &&
        (!t.name || t.partition_count < 0 ||
         (size_t)t.partition_count > samsa_rbuf_left(&d->rb) / 16)) {
        d->err = SAMSA_ERR_CORRUPT;
    }
    if (d->err == SAMSA_OK) {
        t.partitions =
            calloc((size_t)t.partition_count + 1, sizeof(*t.partitions));
        d->err = t.partitions ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    for (int32_t i = 0; d->err == SAMSA_OK && i < t.partition_count; i++) {
        samsa_meta_partition_t *p = &t.partitions[i];
        p->leader = dec_i32(d);
        p->leader_epoch = dec_i32(d);
        p->replicas = dec_ids(d, &p->replica_count);
        p->isr = dec_ids(d, &p->isr_count);
    }
    int32_t nconf = dec_i32(d);
    if (d->err == SAMSA_OK &&
        (nconf < 0 || (size_t)nconf > samsa_rbuf_left(&d->rb) / 4)) {
        d->err = SAMSA_ERR_CORRUPT;
    }
    if (d->err == SAMSA_OK) {
        t.configs = calloc((size_t)nconf + 1, sizeof(*t.configs));
        d->err = t.configs ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    for (int32_t i = 0; d->err == SAMSA_OK && i < nconf; i++) {
        t.configs[i].key = dec_str(d);
        t.configs[i].value = dec_str(d);
        t.config_count = (size_t)i + 1;
    }
    dec_partition_states(d, &t);
    bool found = false;
    size_t at = d->err == SAMSA_OK ? topic_slot(img, t.name, &found) : 0;
    if (d->err != SAMSA_OK || found) {
        if (!t.partitions) {
            t.partition_count = 0;
        }
        topic_free(&t);
        *outcome = SAMSA_ERR_TOPIC_ALREADY_EXISTS;
        return d->err;
    }
    samsa_meta_topic_t *nt =
        realloc(img->topics, (img->topic_count + 1) * sizeof(*nt));
    if (!nt) {
        topic_free(&t);
        return SAMSA_ERR_NOMEM;
    }
    memmove(&nt[at + 1], &nt[at], (img->topic_count - at) * sizeof(*nt));
    nt[at] = t;
    img->topics = nt;
    img->topic_count++;
    *outcome = SAMSA_OK;
    return SAMSA_OK;
}

static samsa_err_t apply_partitions(samsa_meta_image_t *img, dec_t *d,
                                    samsa_err_t *outcome)
{
    char *name = dec_str(d);
    int32_t first = dec_i32(d);
    int32_t n = dec_i32(d);
    bool found = false;
    size_t at = name ? topic_slot(img, name, &found) : 0;
    free(name);
    if (d->err == SAMSA_OK &&
        (n < 0 || (size_t)n > samsa_rbuf_left(&d->rb) / 16)) {
        d->err = SAMSA_ERR_CORRUPT;
    }
    if (d->err != SAMSA_OK) {
        return d->err;
    }
    samsa_meta_topic_t *t = found ? &img->topics[at] : NULL;
    if (!t || first != t->partition_count) {
        /* Gone, or raced by another addition: nothing applied. */
        *outcome = t ? SAMSA_ERR_INVALID_PARTITIONS
                     : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return SAMSA_OK;
    }
    samsa_meta_partition_t *np = realloc(
        t->partitions, sizeof(*np) * (size_t)(t->partition_count + n + 1));
    if (!np) {
        return SAMSA_ERR_NOMEM;
    }
    t->partitions = np;
    for (int32_t i = 0; d->err == SAMSA_OK && i < n; i++) {
        samsa_meta_partition_t *p = &np[t->partition_count];
        memset(p, 0, sizeof(*p));
        p->leader = dec_i32(d);
        p->leader_epoch = dec_i32(d);
        p->replicas = dec_ids(d, &p->replica_count);
        p->isr = dec_ids(d, &p->isr_count);
        t->partition_count++;
    }
    *outcome = SAMSA_OK;
    samsa_meta_brokers_changed(img, -1);
    return d->err;
}

static samsa_err_t apply_remove_topic(samsa_meta_image_t *img, dec_t *d,
                                      samsa_err_t *outcome)
{
    char *name = dec_str(d);
    bool found = false;
    size_t at = name ? topic_slot(img, name, &found) : 0;
    free(name);
    if (d->err != SAMSA_OK) {
        return d->err;
    }
    if (!found) {
        *outcome = SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return SAMSA_OK;
    }
    topic_free(&img->topics[at]);
    memmove(&img->topics[at], &img->topics[at + 1],
            (img->topic_count - at - 1) * sizeof(*img->topics));
    img->topic_count--;
    *outcome = SAMSA_OK;
    return SAMSA_OK;
}

static samsa_err_t apply_topic_config(samsa_meta_image_t *img, dec_t *d,
                                      samsa_err_t *outcome)
{
    char *name = dec_str(d);
    char *key = dec_str(d);
    char *value = dec_str(d);
    bool found = false;
    size_t at = name ? topic_slot(img, name, &found) : 0;
    samsa_err_t err = d->err != SAMSA_OK ? d->err
                      : key == NULL      ? SAMSA_ERR_CORRUPT
                                         : SAMSA_OK;
    free(name);
    if (err != SAMSA_OK || !found) {
        *outcome = SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        free(key);
        free(value);
        return err;
    }
    samsa_meta_topic_t *t = &img->topics[at];
    size_t k = 0;
    while (k < t->config_count && strcmp(t->configs[k].key, key) != 0) {
        k++;
    }
    if (k < t->config_count) {
        free(t->configs[k].value);
        free(key);
        if (value) {
            t->configs[k].value = value;
        } else {
            free(t->configs[k].key);
            t->configs[k] = t->configs[--t->config_count];
        }
    } else if (value) {
        samsa_meta_config_t *nc =
            realloc(t->configs, (t->config_count + 1) * sizeof(*nc));
        if (!nc) {
            free(key);
            free(value);
            return SAMSA_ERR_NOMEM;
        }
        nc[t->config_count++] = (samsa_meta_config_t){key, value};
        t->configs = nc;
    } else {
        free(key);
    }
    *outcome = SAMSA_OK;
    return SAMSA_OK;
}

samsa_err_t samsa_meta_image_apply(samsa_meta_image_t *img, const uint8_t *rec,
                                   size_t len, samsa_err_t *outcome)
{
    dec_t d = {.err = SAMSA_OK};
    samsa_rbuf_init(&d.rb, rec, len);
    int8_t format = dec_i8(&d);
    int8_t type = dec_i8(&d);
    *outcome = SAMSA_OK;
    if (d.err != SAMSA_OK || format != SAMSA_MDREC_FORMAT) {
        return SAMSA_ERR_CORRUPT;
    }
    switch (type) {
    case SAMSA_MDREC_BROKER:
        return apply_broker(img, &d, outcome);
    case SAMSA_MDREC_FENCE_BROKER:
    case SAMSA_MDREC_UNFENCE_BROKER:
        return apply_fence(img, &d, type == SAMSA_MDREC_FENCE_BROKER, outcome);
    case SAMSA_MDREC_TOPIC:
        return apply_topic(img, &d, outcome);
    case SAMSA_MDREC_REMOVE_TOPIC:
        return apply_remove_topic(img, &d, outcome);
    case SAMSA_MDREC_PARTITIONS:
        return apply_partitions(img, &d, outcome);
    case SAMSA_MDREC_TOPIC_CONFIG:
        return apply_topic_config(img, &d, outcome);
    case SAMSA_MDREC_PARTITION_CHANGE:
        return samsa_meta_apply_partition_change(img, &d.rb, outcome);
    case SAMSA_MDREC_UNREGISTER_BROKER:
        return apply_unregister(img, &d, outcome);
    case SAMSA_MDREC_CONTROLLER:
        return samsa_meta_controllers_apply(img, &d, outcome);
    case SAMSA_MDREC_PRODUCER_IDS: {
        (void)dec_i32(&d);
        int64_t start = dec_i64(&d);
        int64_t count = dec_i64(&d);
        if (d.err == SAMSA_OK && start >= img->next_producer_id) {
            img->next_producer_id = start + count;
        } else if (d.err == SAMSA_OK) {
            *outcome = SAMSA_ERR_UNKNOWN_SERVER_ERROR; /* block taken */
        }
        return d.err;
    }
    case SAMSA_MDREC_COUNTERS: {
        int64_t epoch = dec_i64(&d);
        int64_t pid = dec_i64(&d);
        if (d.err == SAMSA_OK) {
            img->next_broker_epoch = epoch;
            img->next_producer_id = pid;
        }
        return d.err;
    }
    default:
        if (type >= SAMSA_MDREC_SECURITY_FIRST &&
            type <= SAMSA_MDREC_SECURITY_LAST) {
            return samsa_meta_security_apply(img, rec, len, outcome);
        }
        /* A newer node's record type: skipping it keeps this node going;
         * the image just lacks what it describes. */
        return SAMSA_OK;
    }
}

/* ------------------------------------------------------------------ */
/* Snapshots                                                          */
/* ------------------------------------------------------------------ */

static samsa_err_t put_rec(samsa_iobuf_t *io, samsa_err_t err,
                           samsa_meta_rec_t *rec)
{
    uint8_t n[4];
    if (err == SAMSA_OK) {
        n[0] = (uint8_t)(rec->len >> 24);
        n[1] = (uint8_t)(rec->len >> 16);
        n[2] = (uint8_t)(rec->len >> 8);
        n[3] = (uint8_t)rec->len;
        err = samsa_iobuf_write(io, n, 4);
    }
    if (err == SAMSA_OK) {
        err = samsa_iobuf_write(io, rec->p, rec->len);
    }
    free(rec->p);
    rec->p = NULL;
    return err;
}

static samsa_err_t put_security(void *io, samsa_meta_rec_t *rec)
{
    return put_rec(io, SAMSA_OK, rec);
}

samsa_err_t samsa_meta_image_encode(const samsa_meta_image_t *img,
                                    uint8_t **out, size_t *len)
{
    samsa_iobuf_t io;
    samsa_meta_rec_t rec = {0};
    samsa_iobuf_init(&io);
    samsa_err_t err = put_rec(&io, mdrec_counters(img, &rec), &rec);
    for (size_t i = 0; err == SAMSA_OK && i < img->broker_count; i++) {
        err = put_rec(&io, samsa_mdrec_broker(&img->brokers[i], &rec), &rec);
    }
    for (size_t i = 0; err == SAMSA_OK && i < img->topic_count; i++) {
        err = put_rec(&io, samsa_mdrec_topic(&img->topics[i], &rec), &rec);
    }
    if (err == SAMSA_OK) {
        err = samsa_meta_controllers_encode(img, put_security, &io);
    }
    if (err == SAMSA_OK) {
        err = samsa_meta_security_encode(img->security, put_security, &io);
    }
    if (err == SAMSA_OK) {
        err = samsa_iobuf_flatten(&io, out, len);
    }
    samsa_iobuf_clear(&io);
    return err;
}

samsa_err_t samsa_meta_image_decode(const uint8_t *p, size_t len,
                                    samsa_meta_image_t **out)
{
    samsa_meta_image_t *img = samsa_meta_image_new();
    samsa_err_t err = img ? SAMSA_OK : SAMSA_ERR_NOMEM;
    size_t off = 0;
    while (err == SAMSA_OK && off < len) {
        samsa_err_t outcome;
        if (len - off < 4) {
            err = SAMSA_ERR_CORRUPT;
            break;
        }
        size_t n = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 |
                   (size_t)p[off + 2] << 8 | p[off + 3];
        off += 4;
        if (n == 0) {
            break; /* zero padding after the last record */
        }
        if (n > len - off) {
            err = SAMSA_ERR_CORRUPT;
            break;
        }
        err = samsa_meta_image_apply(img, p + off, n, &outcome);
        off += n;
    }
    if (err != SAMSA_OK) {
        samsa_meta_image_put(img);
        return err;
    }
    *out = img;
    return SAMSA_OK;
}
