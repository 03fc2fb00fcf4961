/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/fencing.c - see fencing.h. */
#include "connect/fencing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client.h"
#include "connect/eos.h"
#include "connect/forward.h"
#include "connect/worker_int.h"
#include "util/log.h"
#include "util/clock.h"

/* How long a task waits for a leader to fence its connector's previous
 * generation before it fails (and restarts by itself later). */
#define FENCE_WAIT_MS    30000
#define FENCE_BACKOFF_MS 250

/* w->fencing[name]: {"gen": commits seen, "tasks": the latest commit's
 * task count, "pending": no tasks-fencing record since it, "count": the
 * last tasks-fencing record's task-count (absent: none)}. */
static json_t *entry(json_t *all, const char *name)
{
    json_t *e = json_object_get(all, name);
    if (e == NULL) {
        e = json_pack("{s:I,s:i,s:b}", "gen", (json_int_t)0, "tasks", 0,
                      "pending", 0);
        if (e == NULL || json_object_set_new(all, name, e) != 0) {
            return NULL;
        }
    }
    return e;
}

static void on_config(void *arg, int64_t offset, const char *key,
                      const char *value)
{
    (void)offset;
    json_t *all = arg;
    bool commit = strncmp(key, "commit-", 7) == 0;
    bool fenced = strncmp(key, "tasks-fencing-", 14) == 0;
    if (value == NULL || (!commit && !fenced)) {
        return;
    }
    json_t *v = json_loads(value, 0, NULL);
    json_t *e = entry(all, key + (commit ? 7 : 14));
    if (e != NULL && commit) {
        json_int_t gen = json_integer_value(json_object_get(e, "gen"));
        json_object_set_new(e, "gen", json_integer(gen + 1));
        json_object_set_new(
            e, "tasks",
            json_integer(json_integer_value(json_object_get(v, "tasks"))));
        json_object_set_new(e, "pending", json_true());
    } else if (e != NULL && json_is_integer(json_object_get(v, "task-count"))) {
        json_object_set(e, "count", json_object_get(v, "task-count"));
        json_object_set_new(e, "pending", json_false());
    }
    json_decref(v);
}

/* Read connect-configs up to its end into w->fencing. w->fence_lock. */
static samsa_err_t refresh(samsa_connect_t *w)
{
    if (w->fencing == NULL && (w->fencing = json_object()) == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    return samsa_connect_store_read(w->store, SAMSA_CONNECT_CONFIGS_TOPIC,
                                    &w->fencing_pos, on_config, w->fencing);
}

/* InitProducerId on the transactional ids of tasks 0 .. @p count - 1. */
static samsa_err_t fence_tasks(samsa_connect_t *w, const char *name,
                               int32_t count, char *errbuf, size_t errlen)
{
    samsa_client_t *client = NULL;
    samsa_err_t err = samsa_connect_client_new(w, "connect-fence", &client);
    for (int32_t i = 0; err == SAMSA_OK && i < count; i++) {
        char id[800];
        int64_t pid;
        int16_t epoch;
        samsa_connect_eos_txn_id(w->dist.group_id, name, i, id, sizeof(id));
        err = samsa_client_init_producer_id(
            client, id, SAMSA_CONNECT_EOS_TXN_TIMEOUT_MS, &pid, &epoch);
        if (err != SAMSA_OK) {
            snprintf(errbuf, errlen,
                     "Failed to perform zombie fencing: cannot fence the "
                     "producer %.200s: %.200s",
                     id, samsa_client_errmsg(client));
        }
    }
    if (err != SAMSA_OK && client == NULL) {
        snprintf(errbuf, errlen, "Failed to perform zombie fencing: %s",
                 samsa_err_str(err));
    }
    samsa_client_free(client);
    return err;
}

samsa_err_t samsa_connect_fencing_round(samsa_connect_t *w, const char *name,
                                        char *errbuf, size_t errlen)
{
    pthread_mutex_lock(&w->fence_lock);
    samsa_err_t err = refresh(w);
    json_t *e = err == SAMSA_OK ? json_object_get(w->fencing, name) : NULL;
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen,
                 "Failed to read to end of config topic before performing "
                 "zombie fencing: %s",
                 samsa_err_str(err));
    } else if (e != NULL && json_is_true(json_object_get(e, "pending"))) {
        json_t *count = json_object_get(e, "count");
        int32_t before = (int32_t)json_integer_value(count);
        int32_t tasks =
            (int32_t)json_integer_value(json_object_get(e, "tasks"));
        /* No record: no transactional producer of it was ever made. One
         * task before and after: the new one fences its own id. */
        if (count != NULL && !(before == 1 && tasks == 1)) {
            err = fence_tasks(w, name, before, errbuf, errlen);
        }
        char key[600], value[64];
        snprintf(key, sizeof(key), "tasks-fencing-%s", name);
        snprintf(value, sizeof(value), "{\"task-count\":%d}", (int)tasks);
        if (err == SAMSA_OK) {
            err = samsa_connect_store_put(w->store, SAMSA_CONNECT_CONFIGS_TOPIC,
                                          key, value);
            if (err != SAMSA_OK) {
                snprintf(errbuf, errlen,
                         "Failed to write the task count record of %s: %s",
                         name, samsa_err_str(err));
            }
        }
        if (err == SAMSA_OK) {
            samsa_log(SAMSA_LOG_INFO,
                      "connect: %s: fenced the %d task(s) of the previous "
                      "generation, task count now %d",
                      name, count != NULL ? (int)before : 0, (int)tasks);
            err = refresh(w);
        }
    }
    pthread_mutex_unlock(&w->fence_lock);
    return err;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

samsa_err_t samsa_connect_fencing_before_task(samsa_connect_t *w,
                                              const char *name,
                                              atomic_bool *stop, int64_t *gen,
                                              char *errbuf, size_t errlen)
{
    pthread_mutex_lock(&w->fence_lock);
    samsa_err_t err = refresh(w);
    json_t *e = err == SAMSA_OK ? json_object_get(w->fencing, name) : NULL;
    *gen = json_integer_value(json_object_get(e, "gen"));
    pthread_mutex_unlock(&w->fence_lock);
    int64_t deadline = samsa_mono_ms() + FENCE_WAIT_MS;
    while (err == SAMSA_OK) {
        char url[400] = "";
        samsa_connect_leader_t who =
            samsa_connect_cluster_leader(w, url, sizeof(url));
        if (who == SAMSA_CONNECT_LEADER_SELF) {
            return samsa_connect_fencing_round(w, name, errbuf, errlen);
        }
        int status = 409;
        if (who == SAMSA_CONNECT_LEADER_OTHER) {
            status = samsa_connect_forward_call(w, "PUT", url, name, "fence",
                                                errbuf, errlen);
        } else {
            snprintf(errbuf, errlen,
                     "Failed to perform zombie fencing: no leader known");
        }
        if (status >= 200 && status < 300) {
            return SAMSA_OK;
        }
        if (status == 400 || status == 404) {
            return SAMSA_ERR_CONFIG; /* not a source, or gone */
        }
        if (atomic_load(stop) || samsa_mono_ms() >= deadline) {
            return SAMSA_ERR_TIMEOUT;
        }
        /* 409: the group is rebalancing, or the leader moved; 500: the
         * leader cannot be reached or failed the round. */
        sleep_ms(FENCE_BACKOFF_MS);
    }
    snprintf(errbuf, errlen, "Failed to read to end of config topic: %s",
             samsa_err_str(err));
    return err;
}

samsa_err_t samsa_connect_fencing_check(samsa_connect_t *w, const char *name,
                                        int32_t task, int64_t gen, char *errbuf,
                                        size_t errlen)
{
    pthread_mutex_lock(&w->fence_lock);
    samsa_err_t err = refresh(w);
    json_t *e = err == SAMSA_OK ? json_object_get(w->fencing, name) : NULL;
    int64_t now = json_integer_value(json_object_get(e, "gen"));
    pthread_mutex_unlock(&w->fence_lock);
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen, "Failed to read to end of config topic: %s",
                 samsa_err_str(err));
    } else if (now != gen) {
        snprintf(errbuf, errlen,
                 "Cannot start source task %s-%d with exactly-once support as "
                 "the connector has already generated a new set of task "
                 "configs",
                 name, (int)task);
        err = SAMSA_ERR_CONFIG;
    }
    return err;
}
