/* SPDX-License-Identifier: Apache-2.0 */
/* core/security/quota.c - see quota.h. */
#include "security/quota.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "durable_file.h"
#include "util/rate.h"

/* The rate of one matched entity (its tags: the client's user and/or
 * client-id, "" where the entity has no such side). */
typedef struct sensor {
    struct sensor *next;
    int kind;
    char *user, *client;
    int64_t last_ms; /* last recorded */
    samsa_rate_t rate;
    samsa_rate_sample_t s[];
} sensor_t;

struct samsa_quotas {
    pthread_mutex_t lock;
    char path[4096]; /* "" = in memory */
    int32_t num;
    int64_t window_ms;
    samsa_quota_entry_t *entries;
    size_t count;
    sensor_t *sensors; /* one per quota'd entity in use; idle ones expire */
    /* Any quota set? Read without the lock, so requests of a broker with
     * no quotas never take it. */
    atomic_bool any;
};

/* Kafka drops a client's quota sensors after an hour without use. */
#define SENSOR_IDLE_MS (3600 * 1000)

static const char *const keys[SAMSA_QUOTA_KINDS] = {
    "producer_byte_rate", "consumer_byte_rate", "request_percentage"};

const char *samsa_quota_key(samsa_quota_kind_t kind)
{
    return kind < SAMSA_QUOTA_KINDS ? keys[kind] : NULL;
}

int samsa_quota_kind_of(const char *key)
{
    for (int k = 0; k < SAMSA_QUOTA_KINDS; k++) {
        if (strcmp(key, keys[k]) == 0) {
            return k;
        }
    }
    return -1;
}

static bool name_eq(const samsa_quota_name_t *a, const samsa_quota_name_t *b)
{
    if (a->present != b->present) {
        return false;
    }
    if (!a->present || (!a->name && !b->name)) {
        return true;
    }
    return a->name && b->name && strcmp(a->name, b->name) == 0;
}

static samsa_quota_entry_t *find(samsa_quotas_t *q,
                                 const samsa_quota_name_t *user,
                                 const samsa_quota_name_t *client)
{
    for (size_t i = 0; i < q->count; i++) {
        if (name_eq(&q->entries[i].user, user) &&
            name_eq(&q->entries[i].client, client)) {
            return &q->entries[i];
        }
    }
    return NULL;
}

/* ---- text form: KIND VALUE U|D|- [USER_HEX] C|D|- [CLIENT_HEX] ---------- */

static void put_name(FILE *f, const samsa_quota_name_t *n)
{
    if (!n->present) {
        fputs(" -", f);
    } else if (!n->name) {
        fputs(" D", f);
    } else {
        fputs(" N ", f);
        for (const unsigned char *p = (const unsigned char *)n->name; *p; p++) {
            fprintf(f, "%02x", *p);
        }
    }
}

static samsa_err_t get_name(char **cursor, samsa_quota_name_t *n)
{
    char *tag = strtok_r(NULL, " \n", cursor);
    if (!tag) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    n->present = strcmp(tag, "-") != 0;
    n->name = NULL;
    if (strcmp(tag, "N") != 0) {
        return strcmp(tag, "-") == 0 || strcmp(tag, "D") == 0
                   ? SAMSA_OK
                   : SAMSA_ERR_CORRUPT_MESSAGE;
    }
    char *h = strtok_r(NULL, " \n", cursor);
    size_t len = h ? strlen(h) : 1;
    if (len % 2) {
        return SAMSA_ERR_CORRUPT_MESSAGE;
    }
    char *s = malloc(len / 2 + 1);
    if (!s) {
        return SAMSA_ERR_NOMEM;
    }
    for (size_t i = 0; i < len / 2; i++) {
        unsigned v;
        if (sscanf(h + 2 * i, "%2x", &v) != 1) {
            free(s);
            return SAMSA_ERR_CORRUPT_MESSAGE;
        }
        s[i] = (char)v;
    }
    s[len / 2] = '\0';
    n->name = s;
    return SAMSA_OK;
}

samsa_err_t samsa_quotas_commit(samsa_quotas_t *q)
{
    if (!q->path[0]) {
        return SAMSA_OK;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_lock(&q->lock);
    fputs("# samsad client quotas: key value user(-|D|N hex) "
          "client(-|D|N hex)\n",
          f);
    for (size_t i = 0; i < q->count; i++) {
        const samsa_quota_entry_t *e = &q->entries[i];
        for (int k = 0; k < SAMSA_QUOTA_KINDS; k++) {
            if (isnan(e->value[k])) {
                continue;
            }
            fprintf(f, "%s %.17g", keys[k], e->value[k]);
            put_name(f, &e->user);
            put_name(f, &e->client);
            fputc('\n', f);
        }
    }
    pthread_mutex_unlock(&q->lock);
    if (fclose(f) != 0) {
        free(buf);
        return SAMSA_ERR_NOMEM;
    }
    int rc = samsa_file_replace(q->path, NULL, buf, len, true);
    free(buf);
    return rc == 0 ? SAMSA_OK : SAMSA_ERR_KAFKA_STORAGE_ERROR;
}

static samsa_err_t load(samsa_quotas_t *q, FILE *f, char *errbuf,
                        size_t errbuf_size)
{
    char line[2048];
    unsigned lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') {
            continue;
        }
        char *cursor = NULL;
        char *key = strtok_r(line, " \n", &cursor);
        char *val = strtok_r(NULL, " \n", &cursor);
        samsa_quota_name_t user = {0}, client = {0};
        int kind = key ? samsa_quota_kind_of(key) : -1;
        samsa_err_t err = kind < 0 || !val ? SAMSA_ERR_CORRUPT_MESSAGE
                                           : get_name(&cursor, &user);
        if (err == SAMSA_OK) {
            err = get_name(&cursor, &client);
        }
        if (err == SAMSA_OK) {
            err = samsa_quotas_set(q, &user, &client, kind, strtod(val, NULL),
                                   false);
        }
        free((char *)user.name);
        free((char *)client.name);
        if (err != SAMSA_OK) {
            snprintf(errbuf, errbuf_size,
                     "%s:%u: damaged client quota line; restore the file "
                     "from a backup or remove the line and set the quota "
                     "again",
                     q->path, lineno);
            return err == SAMSA_ERR_NOMEM ? err : SAMSA_ERR_KAFKA_STORAGE_ERROR;
        }
    }
    return SAMSA_OK;
}

samsa_err_t samsa_quotas_open(const char *data_dir, int32_t window_num,
                              int64_t window_ms, samsa_quotas_t **out,
                              char *errbuf, size_t errbuf_size)
{
    samsa_quotas_t *q = calloc(1, sizeof(*q));
    if (!q) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_init(&q->lock, NULL);
    atomic_init(&q->any, false);
    q->num = window_num < 2 ? 2 : window_num;
    q->window_ms = window_ms < 1 ? 1 : window_ms;
    if (data_dir) {
        snprintf(q->path, sizeof(q->path), "%s/__samsa_meta", data_dir);
        mkdir(q->path, 0755);
        snprintf(q->path, sizeof(q->path), "%s/__samsa_meta/client_quotas",
                 data_dir);
        FILE *f = fopen(q->path, "r");
        samsa_err_t err = SAMSA_OK;
        if (f) {
            err = load(q, f, errbuf, errbuf_size);
            fclose(f);
        } else if (errno != ENOENT) {
            snprintf(errbuf, errbuf_size, "%s: %s", q->path, strerror(errno));
            err = SAMSA_ERR_KAFKA_STORAGE_ERROR;
        }
        if (err != SAMSA_OK) {
            samsa_quotas_close(q);
            return err;
        }
    }
    *out = q;
    return SAMSA_OK;
}

static void entry_free(samsa_quota_entry_t *e)
{
    free((char *)e->user.name);
    free((char *)e->client.name);
}

void samsa_quotas_close(samsa_quotas_t *q)
{
    if (!q) {
        return;
    }
    for (size_t i = 0; i < q->count; i++) {
        entry_free(&q->entries[i]);
    }
    free(q->entries);
    while (q->sensors) {
        sensor_t *s = q->sensors;
        q->sensors = s->next;
        free(s->user);
        free(s->client);
        free(s);
    }
    pthread_mutex_destroy(&q->lock);
    free(q);
}

samsa_err_t samsa_quotas_check(const char *key, double value, bool remove,
                               const char **message)
{
    int kind = samsa_quota_kind_of(key);
    if (kind < 0) {
        *message = "Invalid configuration key: not producer_byte_rate, "
                   "consumer_byte_rate or request_percentage";
        return SAMSA_ERR_INVALID_REQUEST;
    }
    if (remove) {
        return SAMSA_OK;
    }
    if (!(value > 0) || isinf(value)) {
        *message = "Quota value must be positive";
        return SAMSA_ERR_INVALID_REQUEST;
    }
    if (kind != SAMSA_QUOTA_REQUEST && value != floor(value)) {
        *message = "Byte rate quotas must be whole numbers of bytes";
        return SAMSA_ERR_INVALID_REQUEST;
    }
    return SAMSA_OK;
}

static char *dup_name(const char *s, bool *nomem)
{
    char *d = s ? strdup(s) : NULL;
    *nomem = *nomem || (s && !d);
    return d;
}

samsa_err_t samsa_quotas_set(samsa_quotas_t *q, const samsa_quota_name_t *user,
                             const samsa_quota_name_t *client, int kind,
                             double value, bool remove)
{
    if (kind < 0 || kind >= SAMSA_QUOTA_KINDS) {
        return SAMSA_ERR_INVALID_REQUEST;
    }
    samsa_err_t err = SAMSA_OK;
    pthread_mutex_lock(&q->lock);
    samsa_quota_entry_t *e = find(q, user, client);
    if (!e && !remove) {
        samsa_quota_entry_t *grown =
            realloc(q->entries, (q->count + 1) * sizeof(*grown));
        bool nomem = !grown;
        if (grown) {
            q->entries = grown;
            e = &q->entries[q->count];
            *e = (samsa_quota_entry_t){.user = *user, .client = *client};
            e->user.name = dup_name(user->name, &nomem);
            e->client.name = dup_name(client->name, &nomem);
            for (int k = 0; k < SAMSA_QUOTA_KINDS; k++) {
                e->value[k] = NAN;
            }
            if (nomem) {
                entry_free(e);
                e = NULL;
            } else {
                q->count++;
            }
        }
        err = nomem ? SAMSA_ERR_NOMEM : SAMSA_OK;
    }
    if (e) {
        e->value[kind] = remove ? NAN : value;
        bool any = false;
        for (int k = 0; k < SAMSA_QUOTA_KINDS; k++) {
            any = any || !isnan(e->value[k]);
        }
        if (!any) { /* an entity without values is no entity */
            entry_free(e);
            *e = q->entries[--q->count];
        }
    }
    atomic_store(&q->any, q->count > 0);
    pthread_mutex_unlock(&q->lock);
    return err;
}

/* ---- resolution and rates ------------------------------------------------ */

/* The most specific entity setting @p kind for the client, in Kafka's
 * order; NULL when none does. */
static const samsa_quota_entry_t *resolve(samsa_quotas_t *q, int kind,
                                          const char *user, const char *client)
{
    const samsa_quota_name_t none = {false, NULL}, dflt = {true, NULL};
    const samsa_quota_name_t u = {true, user}, c = {true, client};
    const samsa_quota_name_t *order[8][2] = {
        {&u, &c},       {&u, &dflt},    {&u, &none}, {&dflt, &c},
        {&dflt, &dflt}, {&dflt, &none}, {&none, &c}, {&none, &dflt}};
    for (size_t i = 0; i < 8; i++) {
        samsa_quota_entry_t *e = find(q, order[i][0], order[i][1]);
        if (e && !isnan(e->value[kind])) {
            return e;
        }
    }
    return NULL;
}

static sensor_t *sensor_of(samsa_quotas_t *q, int kind, const char *user,
                           const char *client, int64_t now_ms)
{
    for (sensor_t **pp = &q->sensors; *pp;) {
        sensor_t *s = *pp;
        if (s->kind == kind && strcmp(s->user, user) == 0 &&
            strcmp(s->client, client) == 0) {
            s->last_ms = now_ms;
            return s;
        }
        if (now_ms - s->last_ms > SENSOR_IDLE_MS) {
            *pp = s->next;
            free(s->user);
            free(s->client);
            free(s);
            continue;
        }
        pp = &s->next;
    }
    sensor_t *s =
        calloc(1, sizeof(*s) + (size_t)q->num * sizeof(samsa_rate_sample_t));
    if (!s) {
        return NULL;
    }
    s->kind = kind;
    s->user = strdup(user);
    s->client = strdup(client);
    if (!s->user || !s->client) {
        free(s->user);
        free(s->client);
        free(s);
        return NULL;
    }
    samsa_rate_init(&s->rate, s->s, q->num, q->window_ms, now_ms);
    /* Kafka pads a young span to num - 1 windows, so a new client may send
     * that many windows' quota at once; the burst sits in one sample, and
     * each time it ages out (every num windows) as much is let in again:
     * a flooding producer got 1.10-1.13x its quota over 30 s. Produce and
     * request time pad to one window. Fetch keeps Kafka's padding: a
     * throttled fetch is answered empty, so a batch must fit in what the
     * padded span allows (samsa_quotas_window_max). */
    if (kind != SAMSA_QUOTA_FETCH) {
        s->rate.min_windows = 1;
    }
    s->last_ms = now_ms;
    s->next = q->sensors;
    q->sensors = s;
    return s;
}

int32_t samsa_quotas_record(samsa_quotas_t *q, samsa_quota_kind_t kind,
                            const char *user, const char *client_id,
                            double amount, int64_t now_ms)
{
    if (!q || kind >= SAMSA_QUOTA_KINDS || !atomic_load(&q->any)) {
        return 0;
    }
    const char *client = client_id ? client_id : "";
    int32_t throttle = 0;
    pthread_mutex_lock(&q->lock);
    const samsa_quota_entry_t *e =
        q->count ? resolve(q, kind, user, client) : NULL;
    if (e) {
        double bound = e->value[kind];
        sensor_t *s = sensor_of(q, kind, e->user.present ? user : "",
                                e->client.present ? client : "", now_ms);
        double span = 0;
        double rate =
            s ? samsa_rate_record(&s->rate, amount, now_ms, &span) : 0;
        if (rate > bound) {
            double t = (rate - bound) / bound * span;
            double max = (double)q->num * (double)q->window_ms;
            throttle = (int32_t)llround(t < max ? t : max);
        }
    }
    pthread_mutex_unlock(&q->lock);
    return throttle;
}

double samsa_quotas_window_max(samsa_quotas_t *q, samsa_quota_kind_t kind,
                               const char *user, const char *client_id)
{
    if (!q || kind >= SAMSA_QUOTA_KINDS || !atomic_load(&q->any)) {
        return INFINITY;
    }
    pthread_mutex_lock(&q->lock);
    const samsa_quota_entry_t *e =
        q->count ? resolve(q, kind, user, client_id ? client_id : "") : NULL;
    double max = e ? e->value[kind] * (double)(q->num - 1) *
                         (double)q->window_ms / 1000.0
                   : INFINITY;
    pthread_mutex_unlock(&q->lock);
    return max;
}

/* A deep copy of @p n entries, or NULL on out of memory. */
static samsa_quota_entry_t *entries_copy(const samsa_quota_entry_t *src,
                                         size_t n)
{
    samsa_quota_entry_t *copy = calloc(n ? n : 1, sizeof(*copy));
    bool nomem = !copy;
    size_t i = 0;
    for (; copy && i < n; i++) {
        copy[i] = src[i];
        copy[i].user.name = dup_name(src[i].user.name, &nomem);
        copy[i].client.name = dup_name(src[i].client.name, &nomem);
    }
    if (nomem) {
        samsa_quotas_entries_free(copy, i);
        return NULL;
    }
    return copy;
}

samsa_err_t samsa_quotas_entries(samsa_quotas_t *q, samsa_quota_entry_t **out,
                                 size_t *count)
{
    pthread_mutex_lock(&q->lock);
    samsa_quota_entry_t *copy = entries_copy(q->entries, q->count);
    size_t n = q->count;
    pthread_mutex_unlock(&q->lock);
    if (!copy) {
        return SAMSA_ERR_NOMEM;
    }
    *out = copy;
    *count = n;
    return SAMSA_OK;
}

void samsa_quotas_entries_free(samsa_quota_entry_t *e, size_t count)
{
    for (size_t i = 0; e && i < count; i++) {
        entry_free(&e[i]);
    }
    free(e);
}

samsa_err_t samsa_quotas_replace(samsa_quotas_t *q,
                                 const samsa_quota_entry_t *entries,
                                 size_t count)
{
    samsa_quota_entry_t *next = entries_copy(entries, count);
    if (!next) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_lock(&q->lock);
    samsa_quota_entry_t *old = q->entries;
    size_t old_count = q->count;
    q->entries = next;
    q->count = count;
    atomic_store(&q->any, count > 0);
    pthread_mutex_unlock(&q->lock);
    samsa_quotas_entries_free(old, old_count);
    return SAMSA_OK;
}
