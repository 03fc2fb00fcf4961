/* SPDX-License-Identifier: Apache-2.0 */
/* core/metadata/partition_change.c - see partition_change.h. */
#include "metadata/partition_change.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/iobuf.h"

enum {
    HAS_ISR = 1,
    HAS_REPLICAS = 2,
    HAS_ADDING = 4,
    HAS_REMOVING = 8,
};

bool samsa_meta_ids_has(const int32_t *ids, int32_t n, int32_t id)
{
    for (int32_t i = 0; i < n; i++) {
        if (ids[i] == id) {
            return true;
        }
    }
    return false;
}

bool samsa_meta_broker_live(const samsa_meta_image_t *img, int32_t id)
{
    const samsa_meta_broker_t *b = samsa_meta_broker(img, id);
    return b && !b->fenced;
}

/* ------------------------------------------------------------------ */
/* The record                                                         */
/* ------------------------------------------------------------------ */

static void put_ids(samsa_wbuf_t *w, const samsa_meta_ids_t *l)
{
    if (!l) {
        return;
    }
    samsa_wbuf_i32(w, l->count);
    for (int32_t i = 0; i < l->count; i++) {
        samsa_wbuf_i32(w, l->ids[i]);
    }
}

samsa_err_t samsa_mdrec_partition_change(const samsa_meta_partition_change_t *c,
                                         samsa_meta_rec_t *out)
{
    samsa_iobuf_t io;
    samsa_wbuf_t w;
    samsa_iobuf_init(&io);
    samsa_wbuf_init(&w, &io);
    samsa_wbuf_i8(&w, SAMSA_MDREC_FORMAT);
    samsa_wbuf_i8(&w, SAMSA_MDREC_PARTITION_CHANGE);
    samsa_wbuf_str(&w, false, samsa_str_from_cstr(c->topic));
    samsa_wbuf_i32(&w, c->partition);
    samsa_wbuf_i32(&w, c->expect_epoch);
    samsa_wbuf_i32(&w, c->leader);
    samsa_wbuf_i8(&w, (int8_t)((c->isr ? HAS_ISR : 0) |
                               (c->replicas ? HAS_REPLICAS : 0) |
                               (c->adding ? HAS_ADDING : 0) |
                               (c->removing ? HAS_REMOVING : 0)));
    put_ids(&w, c->isr);
    put_ids(&w, c->replicas);
    put_ids(&w, c->adding);
    put_ids(&w, c->removing);
    samsa_err_t err = samsa_wbuf_flush(&w);
    out->p = NULL;
    out->len = 0;
    if (err == SAMSA_OK) {
        err = samsa_iobuf_flatten(&io, &out->p, &out->len);
    }
    samsa_iobuf_clear(&io);
    return err;
}

/* ------------------------------------------------------------------ */
/* Partition states                                                   */
/* ------------------------------------------------------------------ */

/* An id list owned by a partition state being built. */
typedef struct list {
    int32_t *ids;
    int32_t n;
} list_t;

static samsa_err_t list_set(list_t *l, const int32_t *ids, int32_t n)
{
    int32_t *d = malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (!d) {
        return SAMSA_ERR_NOMEM;
    }
    if (n > 0) {
        memcpy(d, ids, sizeof(int32_t) * (size_t)n);
    }
    free(l->ids);
    l->ids = d;
    l->n = n;
    return SAMSA_OK;
}

/* Drop @p id from @p ids (count *n) in place. */
static void ids_remove(int32_t *ids, int32_t *n, int32_t id)
{
    int32_t k = 0;
    for (int32_t i = 0; i < *n; i++) {
        if (ids[i] != id) {
            ids[k++] = ids[i];
        }
    }
    *n = k;
}

static bool leader_fits(const samsa_meta_image_t *img,
                        const samsa_meta_partition_t *p, int32_t id)
{
    return id >= 0 && samsa_meta_ids_has(p->isr, p->isr_count, id) &&
           samsa_meta_ids_has(p->replicas, p->replica_count, id) &&
           samsa_meta_broker_live(img, id);
}

/* Keep a leader that is a live ISR member, or take the first replica (in
 * replica order, so the preferred one first) that is; -1 when none is. */
static int32_t clean_leader(const samsa_meta_image_t *img,
                            const samsa_meta_partition_t *p)
{
    if (leader_fits(img, p, p->leader)) {
        return p->leader;
    }
    for (int32_t i = 0; i < p->replica_count; i++) {
        if (leader_fits(img, p, p->replicas[i])) {
            return p->replicas[i];
        }
    }
    return -1;
}

static bool same_ids(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
    return na == nb &&
           (na == 0 || memcmp(a, b, sizeof(int32_t) * (size_t)na) == 0);
}

void samsa_meta_brokers_changed(samsa_meta_image_t *img, int32_t leaving)
{
    for (size_t t = 0; t < img->topic_count; t++) {
        samsa_meta_topic_t *topic = &img->topics[t];
        for (int32_t i = 0; i < topic->partition_count; i++) {
            samsa_meta_partition_t *p = &topic->partitions[i];
            bool changed = false;
            if (leaving >= 0 && p->isr_count > 1 &&
                samsa_meta_ids_has(p->isr, p->isr_count, leaving)) {
                ids_remove(p->isr, &p->isr_count, leaving);
                changed = true;
            }
            int32_t leader = clean_leader(img, p);
            if (leader != p->leader) {
                p->leader = leader;
                p->leader_epoch++;
                changed = true;
            }
            p->partition_epoch += changed;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Applying a PARTITION_CHANGE                                        */
/* ------------------------------------------------------------------ */

typedef struct change {
    char *topic;
    int32_t partition;
    int32_t expect_epoch;
    int32_t leader;
    int8_t flags;
    list_t isr, replicas, adding, removing;
} change_t;

static void change_free(change_t *c)
{
    free(c->topic);
    free(c->isr.ids);
    free(c->replicas.ids);
    free(c->adding.ids);
    free(c->removing.ids);
}

static samsa_err_t get_ids(samsa_rbuf_t *rb, list_t *l)
{
    int32_t n = 0;
    samsa_err_t err = samsa_rbuf_read_i32(rb, &n);
    if (err != SAMSA_OK || n < 0 || (size_t)n > samsa_rbuf_left(rb) / 4) {
        return err != SAMSA_OK ? err : SAMSA_ERR_CORRUPT;
    }
    l->ids = malloc(sizeof(int32_t) * (size_t)(n + 1));
    if (!l->ids) {
        return SAMSA_ERR_NOMEM;
    }
    for (int32_t i = 0; err == SAMSA_OK && i < n; i++) {
        err = samsa_rbuf_read_i32(rb, &l->ids[i]);
    }
    l->n = n;
    return err;
}

static samsa_err_t change_decode(samsa_rbuf_t *rb, change_t *c)
{
    samsa_str_t name = {0};
    samsa_err_t err = samsa_rbuf_read_str(rb, false, &name);
    if (err == SAMSA_OK) {
        c->topic = strndup(name.ptr, (size_t)name.len);
        err = c->topic ? SAMSA_OK : SAMSA_ERR_NOMEM;
    }
    if (err == SAMSA_OK) {
        err = samsa_rbuf_read_i32(rb, &c->partition);
    }
    if (err == SAMSA_OK) {
        err = samsa_rbuf_read_i32(rb, &c->expect_epoch);
    }
    if (err == SAMSA_OK) {
        err = samsa_rbuf_read_i32(rb, &c->leader);
    }
    if (err == SAMSA_OK) {
        err = samsa_rbuf_read_i8(rb, &c->flags);
    }
    if (err == SAMSA_OK && (c->flags & HAS_ISR)) {
        err = get_ids(rb, &c->isr);
    }
    if (err == SAMSA_OK && (c->flags & HAS_REPLICAS)) {
        err = get_ids(rb, &c->replicas);
    }
    if (err == SAMSA_OK && (c->flags & HAS_ADDING)) {
        err = get_ids(rb, &c->adding);
    }
    if (err == SAMSA_OK && (c->flags & HAS_REMOVING)) {
        err = get_ids(rb, &c->removing);
    }
    return err;
}

static bool subset_unique(const list_t *a, const list_t *of)
{
    for (int32_t i = 0; i < a->n; i++) {
        if (!samsa_meta_ids_has(of->ids, of->n, a->ids[i]) ||
            samsa_meta_ids_has(a->ids, i, a->ids[i])) {
            return false;
        }
    }
    return true;
}

/* Kafka's completeReassignment: once every target replica is in the ISR,
 * the removed ones go (from the replicas and the ISR). */
static void complete_reassignment(change_t *n)
{
    if (n->adding.n == 0 && n->removing.n == 0) {
        return;
    }
    for (int32_t i = 0; i < n->replicas.n; i++) {
        int32_t r = n->replicas.ids[i];
        if (!samsa_meta_ids_has(n->removing.ids, n->removing.n, r) &&
            !samsa_meta_ids_has(n->isr.ids, n->isr.n, r)) {
            return; /* a target replica has not caught up yet */
        }
    }
    for (int32_t i = 0; i < n->removing.n; i++) {
        ids_remove(n->replicas.ids, &n->replicas.n, n->removing.ids[i]);
        ids_remove(n->isr.ids, &n->isr.n, n->removing.ids[i]);
    }
    n->adding.n = 0;
    n->removing.n = 0;
}

/* The partition's next state from @p c over @p p, in @p n (whose lists
 * the caller frees). */
static samsa_err_t next_state(const samsa_meta_partition_t *p, change_t *c,
                              change_t *n)
{
    samsa_err_t err = SAMSA_OK;
    const list_t *src[4] = {&c->isr, &c->replicas, &c->adding, &c->removing};
    list_t *dst[4] = {&n->isr, &n->replicas, &n->adding, &n->removing};
    const int32_t *cur[4] = {p->isr, p->replicas, p->adding, p->removing};
    int32_t curn[4] = {p->isr_count, p->replica_count, p->adding_count,
                       p->removing_count};
    for (int k = 0; err == SAMSA_OK && k < 4; k++) {
        bool given = (c->flags & (1 << k)) != 0;
        err = given ? list_set(dst[k], src[k]->ids, src[k]->n)
                    : list_set(dst[k], cur[k], curn[k]);
    }
    return err;
}

/* SAMSA_OK, or why @p n cannot be the partition's state. */
static samsa_err_t check_state(const samsa_meta_image_t *img,
                               const samsa_meta_partition_t *p,
                               const change_t *c, const change_t *n)
{
    if (n->replicas.n <= 0 || !subset_unique(&n->replicas, &n->replicas) ||
        !subset_unique(&n->isr, &n->replicas) ||
        !subset_unique(&n->adding, &n->replicas) ||
        !subset_unique(&n->removing, &n->replicas)) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    for (int32_t i = 0; i < n->isr.n; i++) {
        int32_t id = n->isr.ids[i];
        if (!samsa_meta_ids_has(p->isr, p->isr_count, id) &&
            !samsa_meta_broker_live(img, id)) {
            return SAMSA_ERR_INELIGIBLE_REPLICA;
        }
    }
    if (c->leader >= 0 &&
        (!samsa_meta_ids_has(n->isr.ids, n->isr.n, c->leader) ||
         !samsa_meta_broker_live(img, c->leader))) {
        return SAMSA_ERR_INELIGIBLE_REPLICA;
    }
    return SAMSA_OK;
}

/* Move @p n's lists into @p p (taking them). */
static void commit_state(samsa_meta_partition_t *p, change_t *n)
{
    int32_t **dst[4] = {&p->isr, &p->replicas, &p->adding, &p->removing};
    int32_t *dstn[4] = {&p->isr_count, &p->replica_count, &p->adding_count,
                        &p->removing_count};
    list_t *src[4] = {&n->isr, &n->replicas, &n->adding, &n->removing};
    for (int k = 0; k < 4; k++) {
        free(*dst[k]);
        *dst[k] = src[k]->ids;
        *dstn[k] = src[k]->n;
        src[k]->ids = NULL;
    }
}

samsa_err_t samsa_meta_apply_partition_change(samsa_meta_image_t *img,
                                              samsa_rbuf_t *rb,
                                              samsa_err_t *outcome)
{
    change_t c = {0}, n = {0};
    samsa_err_t err = change_decode(rb, &c);
    const samsa_meta_topic_t *t =
        err == SAMSA_OK ? samsa_meta_topic(img, c.topic) : NULL;
    samsa_meta_partition_t *p = NULL;
    if (err == SAMSA_OK && t && c.partition >= 0 &&
        c.partition < t->partition_count) {
        p = &((samsa_meta_topic_t *)t)->partitions[c.partition];
    }
    if (err != SAMSA_OK) {
        *outcome = err;
    } else if (!p) {
        *outcome = SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if (c.expect_epoch >= 0 && c.expect_epoch != p->partition_epoch) {
        *outcome = SAMSA_ERR_INVALID_UPDATE_VERSION;
    } else {
        err = next_state(p, &c, &n);
        *outcome = err == SAMSA_OK ? check_state(img, p, &c, &n) : err;
    }
    if (err == SAMSA_OK && *outcome == SAMSA_OK) {
        complete_reassignment(&n);
        samsa_meta_partition_t probe = *p;
        probe.isr = n.isr.ids;
        probe.isr_count = n.isr.n;
        probe.replicas = n.replicas.ids;
        probe.replica_count = n.replicas.n;
        if (c.leader != SAMSA_META_LEADER_KEEP &&
            (c.leader < 0 || leader_fits(img, &probe, c.leader))) {
            probe.leader = c.leader;
        } else {
            probe.leader = clean_leader(img, &probe);
        }
        bool changed =
            probe.leader != p->leader ||
            !same_ids(n.isr.ids, n.isr.n, p->isr, p->isr_count) ||
            !same_ids(n.replicas.ids, n.replicas.n, p->replicas,
                      p->replica_count) ||
            !same_ids(n.adding.ids, n.adding.n, p->adding, p->adding_count) ||
            !same_ids(n.removing.ids, n.removing.n, p->removing,
                      p->removing_count);
        if (changed) {
            if (probe.leader != p->leader) {
                p->leader = probe.leader;
                p->leader_epoch++;
            }
            p->partition_epoch++;
            commit_state(p, &n);
        }
    }
    change_free(&c);
    change_free(&n);
    if (err == SAMSA_OK || err == SAMSA_ERR_NOMEM) {
        return err;
    }
    return SAMSA_ERR_CORRUPT;
}

/* ------------------------------------------------------------------ */
/* Elections the controller proposes                                  */
/* ------------------------------------------------------------------ */

static samsa_err_t leader_record(const char *topic, int32_t partition,
                                 const samsa_meta_partition_t *p,
                                 int32_t leader, bool alone,
                                 samsa_meta_rec_t *out)
{
    samsa_meta_ids_t isr = {&leader, 1};
    samsa_meta_partition_change_t c = {.topic = topic,
                                       .partition = partition,
                                       .expect_epoch = p->partition_epoch,
                                       .leader = leader,
                                       .isr = alone ? &isr : NULL};
    return samsa_mdrec_partition_change(&c, out);
}

static samsa_err_t to_elect(const samsa_meta_image_t *img, const char *topic,
                            int32_t partition, samsa_meta_rec_t *out,
                            const samsa_meta_partition_t **p)
{
    out->p = NULL;
    *p = samsa_meta_partition(img, topic, partition);
    return *p ? SAMSA_OK : SAMSA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

samsa_err_t samsa_meta_elect_preferred(const samsa_meta_image_t *img,
                                       const char *topic, int32_t partition,
                                       samsa_meta_rec_t *out)
{
    const samsa_meta_partition_t *p = NULL;
    samsa_err_t err = to_elect(img, topic, partition, out, &p);
    if (err != SAMSA_OK) {
        return err;
    }
    int32_t pref = p->replica_count > 0 ? p->replicas[0] : -1;
    if (pref == p->leader) {
        return SAMSA_ERR_ELECTION_NOT_NEEDED;
    }
    if (!leader_fits(img, p, pref)) {
        return SAMSA_ERR_PREFERRED_LEADER_NOT_AVAILABLE;
    }
    return leader_record(topic, partition, p, pref, false, out);
}

samsa_err_t samsa_meta_elect_unclean(const samsa_meta_image_t *img,
                                     const char *topic, int32_t partition,
                                     samsa_meta_rec_t *out)
{
    const samsa_meta_partition_t *p = NULL;
    samsa_err_t err = to_elect(img, topic, partition, out, &p);
    if (err != SAMSA_OK) {
        return err;
    }
    if (p->leader >= 0 && samsa_meta_broker_live(img, p->leader)) {
        return SAMSA_ERR_ELECTION_NOT_NEEDED;
    }
    int32_t clean = clean_leader(img, p);
    if (clean >= 0) {
        return leader_record(topic, partition, p, clean, false, out);
    }
    for (int32_t i = 0; i < p->replica_count; i++) {
        if (samsa_meta_broker_live(img, p->replicas[i])) {
            return leader_record(topic, partition, p, p->replicas[i], true,
                                 out);
        }
    }
    return SAMSA_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE;
}

bool samsa_meta_unclean_enabled(const samsa_meta_topic_t *t,
                                bool broker_default)
{
    for (size_t i = 0; i < t->config_count; i++) {
        if (strcmp(t->configs[i].key, "unclean.leader.election.enable") == 0 &&
            t->configs[i].value) {
            return strcasecmp(t->configs[i].value, "true") == 0;
        }
    }
    return broker_default;
}

samsa_err_t samsa_meta_unclean_checks(const samsa_meta_image_t *img,
                                      bool broker_default,
                                      samsa_meta_rec_t *out, size_t max,
                                      size_t *n)
{
    samsa_err_t err = SAMSA_OK;
    *n = 0;
    for (size_t t = 0; err == SAMSA_OK && t < img->topic_count; t++) {
        const samsa_meta_topic_t *topic = &img->topics[t];
        if (!samsa_meta_unclean_enabled(topic, broker_default)) {
            continue;
        }
        for (int32_t i = 0; i < topic->partition_count && *n < max; i++) {
            samsa_err_t e =
                samsa_meta_elect_unclean(img, topic->name, i, &out[*n]);
            if (e == SAMSA_OK) {
                (*n)++;
            } else if (e == SAMSA_ERR_NOMEM) {
                err = e;
                break;
            }
        }
    }
    return err;
}

samsa_err_t samsa_meta_rebalance_checks(const samsa_meta_image_t *img,
                                        int32_t pct, samsa_meta_rec_t *out,
                                        size_t max, size_t *n)
{
    samsa_err_t err = SAMSA_OK;
    *n = 0;
    for (size_t b = 0; err == SAMSA_OK && b < img->broker_count; b++) {
        int32_t id = img->brokers[b].id;
        size_t preferred = 0, elsewhere = 0;
        for (size_t t = 0; t < img->topic_count; t++) {
            const samsa_meta_topic_t *topic = &img->topics[t];
            for (int32_t i = 0; i < topic->partition_count; i++) {
                const samsa_meta_partition_t *p = &topic->partitions[i];
                if (p->replica_count > 0 && p->replicas[0] == id) {
                    preferred++;
                    elsewhere += p->leader != id;
                }
            }
        }
        if (preferred == 0 || elsewhere * 100 <= (size_t)pct * preferred) {
            continue;
        }
        for (size_t t = 0; t < img->topic_count && *n < max; t++) {
            const samsa_meta_topic_t *topic = &img->topics[t];
            for (int32_t i = 0; i < topic->partition_count && *n < max; i++) {
                const samsa_meta_partition_t *p = &topic->partitions[i];
                if (p->replica_count == 0 || p->replicas[0] != id) {
                    continue;
                }
                samsa_err_t e =
                    samsa_meta_elect_preferred(img, topic->name, i, &out[*n]);
                if (e == SAMSA_OK) {
                    (*n)++;
                } else if (e == SAMSA_ERR_NOMEM) {
                    err = e;
                    break;
                }
            }
        }
    }
    return err;
}

/* ------------------------------------------------------------------ */
/* Reassignments                                                      */
/* ------------------------------------------------------------------ */

/* @p from without the ids of @p minus, in order, into @p out. */
static int32_t ids_minus(const int32_t *from, int32_t n, const int32_t *minus,
                         int32_t nminus, int32_t *out)
{
    int32_t k = 0;
    for (int32_t i = 0; i < n; i++) {
        if (!samsa_meta_ids_has(minus, nminus, from[i])) {
            out[k++] = from[i];
        }
    }
    return k;
}

static samsa_err_t check_target(const samsa_meta_image_t *img,
                                const samsa_meta_ids_t *target,
                                const char **why)
{
    if (target->count <= 0) {
        *why = "the replica list is empty";
        return SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT;
    }
    for (int32_t i = 0; i < target->count; i++) {
        if (samsa_meta_ids_has(target->ids, i, target->ids[i])) {
            *why = "the replica list has a broker twice";
            return SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        if (!samsa_meta_broker(img, target->ids[i])) {
            *why = "a replica names a broker that is not registered";
            return SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
    }
    return SAMSA_OK;
}

samsa_err_t samsa_meta_reassign(const samsa_meta_image_t *img,
                                const char *topic, int32_t partition,
                                const samsa_meta_ids_t *target,
                                samsa_meta_rec_t *out, const char **why)
{
    const samsa_meta_partition_t *p = NULL;
    samsa_err_t err = to_elect(img, topic, partition, out, &p);
    if (err != SAMSA_OK) {
        return err;
    }
    bool ongoing = p->adding_count > 0 || p->removing_count > 0;
    if (!target && !ongoing) {
        return SAMSA_ERR_NO_REASSIGNMENT_IN_PROGRESS;
    }
    if (target && (err = check_target(img, target, why)) != SAMSA_OK) {
        return err;
    }
    size_t cap = (size_t)(p->replica_count + (target ? target->count : 0) + 1);
    int32_t *orig = calloc(cap, sizeof(int32_t));
    int32_t *merged = calloc(cap, sizeof(int32_t));
    int32_t *adding = calloc(cap, sizeof(int32_t));
    int32_t *removing = calloc(cap, sizeof(int32_t));
    int32_t *isr = calloc(cap, sizeof(int32_t));
    if (!orig || !merged || !adding || !removing || !isr) {
        err = SAMSA_ERR_NOMEM;
        goto out;
    }
    /* The replicas before any ongoing reassignment. */
    int32_t norig = ids_minus(p->replicas, p->replica_count, p->adding,
                              p->adding_count, orig);
    samsa_meta_ids_t want = target ? *target : (samsa_meta_ids_t){orig, norig};
    int32_t nadd = ids_minus(want.ids, want.count, orig, norig, adding);
    int32_t nrem = ids_minus(orig, norig, want.ids, want.count, removing);
    memcpy(merged, want.ids, sizeof(int32_t) * (size_t)want.count);
    memcpy(merged + want.count, removing, sizeof(int32_t) * (size_t)nrem);
    int32_t nmerged = want.count + nrem;
    int32_t nisr = 0;
    for (int32_t i = 0; i < p->isr_count; i++) {
        if (samsa_meta_ids_has(merged, nmerged, p->isr[i])) {
            isr[nisr++] = p->isr[i];
        }
    }
    if (nisr == 0) {
        *why = "no replica of the new list is in sync: it would have no "
               "leader";
        err = SAMSA_ERR_INVALID_REPLICA_ASSIGNMENT;
        goto out;
    }
    if (!ongoing && nadd == 0 && nrem == 0 &&
        same_ids(merged, nmerged, p->replicas, p->replica_count)) {
        goto out; /* already so */
    }
    samsa_meta_ids_t r = {merged, nmerged}, a = {adding, nadd},
                     d = {removing, nrem}, i = {isr, nisr};
    samsa_meta_partition_change_t c = {.topic = topic,
                                       .partition = partition,
                                       .expect_epoch = p->partition_epoch,
                                       .leader = SAMSA_META_LEADER_KEEP,
                                       .isr = &i,
                                       .replicas = &r,
                                       .adding = &a,
                                       .removing = &d};
    err = samsa_mdrec_partition_change(&c, out);
out:
    free(orig);
    free(merged);
    free(adding);
    free(removing);
    free(isr);
    return err;
}
