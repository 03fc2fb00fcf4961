/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sdk/testkit/testkit.c - the test kit's broker and connector: a samsad
 * core in this process (memory storage, a loopback listener on a free
 * port, the Connect worker), the connector under test created in that
 * worker, records fed through the in-tree client, and waits that end on
 * the sink's committed offsets or the source's produced records.
 */
#define _GNU_SOURCE /* nftw, dladdr */
#include <dlfcn.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "broker/broker.h"
#include "connect/config_file.h"
#include "connect/connect.h"
#include "connect/store.h"
#include "testkit_int.h"
#include "util/clock.h"
#include "util/log.h"

/* How long the broker may take to come up and the worker to be ready. */
#define READY_TIMEOUT_MS 30000
#define WAIT_STEP_MS     20

struct samsa_testkit {
    char dir[PATH_MAX]; /* mkdtemp: samsa.yaml, conf.d/, data/ */
    samsa_broker_config_t cfg;
    samsa_broker_t *broker;
    samsa_client_t *client;
    char instance[256];   /* the connector's plugin instance */
    uint32_t kind;        /* SAMSA_KIND_SOURCE or SAMSA_KIND_SINK */
    char *name;           /* the connector's, once started */
    char *topics;         /* a sink's "topics" */
    json_t *fed;          /* topics records were fed to: name -> true */
    pthread_mutex_t lock; /* got: the put observer runs on task threads */
    kit_records_t got;    /* what put() was given, or what was produced */
    kit_records_t inputs; /* samsa_testkit_read_records()' records */
    void **keep;          /* and their arrays */
    size_t nkeep;
    const samsa_testkit_record_t **view;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static samsa_err_t write_file(const char *path, const char *text, char *errbuf,
                              size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) == EOF) {
        snprintf(errbuf, errlen, "cannot write %s: %m", path);
        if (f != NULL) {
            fclose(f);
        }
        return SAMSA_ERR_IO;
    }
    return fclose(f) == 0 ? SAMSA_OK : SAMSA_ERR_IO;
}

/* A YAML scalar for an option value: numbers and booleans plain (the
 * registry checks option types on the YAML scalar), anything else a
 * double-quoted string (JSON's escapes are YAML's). */
static samsa_err_t yaml_scalar(const char *value, char **out)
{
    char *end = NULL;
    (void)strtoll(value, &end, 10);
    if ((value[0] != '\0' && *end == '\0') || strcmp(value, "true") == 0 ||
        strcmp(value, "false") == 0) {
        *out = strdup(value);
    } else {
        json_t *s = json_string(value);
        *out = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
        json_decref(s);
    }
    return *out ? SAMSA_OK : SAMSA_ERR_NOMEM;
}

/* conf.d/: memory storage as the default engine ("segment"), the hash
 * partitioner, the basic transforms when installed, and the connector. */
static samsa_err_t write_manifest(samsa_testkit_t *kit,
                                  const samsa_testkit_opts_t *opts,
                                  const char *plugin_dir, const char *so,
                                  char *errbuf, size_t errlen)
{
    char path[PATH_MAX + 64];
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    samsa_err_t err = text ? SAMSA_OK : SAMSA_ERR_NOMEM;
#define APPEND(...)                                                            \
    do {                                                                       \
        int n_ = snprintf(NULL, 0, __VA_ARGS__);                               \
        if (err == SAMSA_OK && len + (size_t)n_ + 1 > cap) {                   \
            cap = (len + (size_t)n_ + 1) * 2;                                  \
            char *t_ = realloc(text, cap);                                     \
            err = t_ ? SAMSA_OK : SAMSA_ERR_NOMEM;                             \
            text = t_ ? t_ : text;                                             \
        }                                                                      \
        if (err == SAMSA_OK) {                                                 \
            len += (size_t)snprintf(text + len, cap - len, __VA_ARGS__);       \
        }                                                                      \
    } while (0)
    APPEND("plugins:\n"
           "  - name: segment\n    plugin: storage-memory\n    config: {}\n"
           "  - name: hash\n    plugin: partitioner-hash\n    config: {}\n");
    snprintf(path, sizeof(path), "%s/transforms-basic.so", plugin_dir);
    if (access(path, R_OK) == 0) {
        APPEND("  - name: transforms-basic\n    plugin: transforms-basic\n"
               "    config: {}\n");
    }
    APPEND("  - name: %s\n    plugin: \"%s\"\n    config:%s\n", kit->instance,
           so, opts->plugin_option_count ? "" : " {}");
    for (size_t i = 0; err == SAMSA_OK && i < opts->plugin_option_count; i++) {
        char *v = NULL;
        err = yaml_scalar(opts->plugin_options[i].value, &v);
        APPEND("      %s: %s\n", opts->plugin_options[i].key, v ? v : "");
        free(v);
    }
#undef APPEND
    snprintf(path, sizeof(path), "%s/conf.d/10-testkit.yaml", kit->dir);
    if (err == SAMSA_OK) {
        err = write_file(path, text, errbuf, errlen);
    } else {
        snprintf(errbuf, errlen, "out of memory");
    }
    free(text);
    return err;
}

/* samsa.yaml: the Connect worker on, groups without the initial delay. */
static samsa_err_t write_broker_yaml(samsa_testkit_t *kit,
                                     const samsa_testkit_opts_t *opts,
                                     char *errbuf, size_t errlen)
{
    static const char *const levels[] = {"warn", "error", "warn", "info",
                                         "debug"};
    int lvl =
        opts->log_level >= SAMSA_LOG_ERROR && opts->log_level <= SAMSA_LOG_DEBUG
            ? opts->log_level
            : 0;
    char text[512], path[PATH_MAX + 16];
    snprintf(text, sizeof(text),
             "connect_enabled: true\n"
             "group_initial_rebalance_delay_ms: 0\n"
             "num_partitions: %d\n"
             "reactors: 1\n"
             "log_level: %s\n",
             opts->partitions > 0 ? (int)opts->partitions : 1, levels[lvl]);
    snprintf(path, sizeof(path), "%s/samsa.yaml", kit->dir);
    return write_file(path, text, errbuf, errlen);
}

/* The kind of the connector's plugin instance, once loaded. */
static uint32_t instance_kind(const samsa_testkit_t *kit)
{
    const samsa_registry_t *reg = kit->broker->reg;
    for (size_t i = 0; i < samsa_registry_count(reg); i++) {
        const samsa_registry_entry_t *e = samsa_registry_at(reg, i);
        if (strcmp(e->name, kit->instance) == 0) {
            return e->kind;
        }
    }
    return 0;
}

static void on_put(void *ctx, const char *connector, int32_t task_id,
                   const samsa_connect_record_t *const *recs, size_t n)
{
    samsa_testkit_t *kit = ctx;
    (void)connector;
    (void)task_id;
    pthread_mutex_lock(&kit->lock);
    for (size_t i = 0; i < n; i++) {
        if (kit_records_add_connect(&kit->got, recs[i]) != SAMSA_OK) {
            samsa_log(SAMSA_LOG_ERROR, "testkit: out of memory");
        }
    }
    pthread_mutex_unlock(&kit->lock);
}

/* Broker flags: everything in the kit's temp dir, free loopback ports. */
static samsa_err_t start_broker(samsa_testkit_t *kit, const char *plugin_dir,
                                char *errbuf, size_t errlen)
{
    char yaml[PATH_MAX + 16], data[PATH_MAX + 16], conf[PATH_MAX + 16];
    snprintf(yaml, sizeof(yaml), "%s/samsa.yaml", kit->dir);
    snprintf(data, sizeof(data), "%s/data", kit->dir);
    snprintf(conf, sizeof(conf), "%s/conf.d", kit->dir);
    char *argv[] = {"samsa-testkit",
                    "--config",
                    yaml,
                    "--data-dir",
                    data,
                    "--conf-dir",
                    conf,
                    "--plugin-dir",
                    (char *)plugin_dir,
                    "--listen",
                    "127.0.0.1:0",
                    "--http-listen",
                    "127.0.0.1:0",
                    NULL};
    samsa_err_t err =
        samsa_broker_config_load((int)(sizeof(argv) / sizeof(argv[0])) - 1,
                                 argv, &kit->cfg, errbuf, errlen);
    if (err != SAMSA_OK) {
        return err;
    }
    samsa_log_set_level((samsa_log_level_t)kit->cfg.log_level);
    err = samsa_broker_create(&kit->cfg, &kit->broker, errbuf, errlen);
    if (err != SAMSA_OK) {
        return err;
    }
    kit->kind = instance_kind(kit);
    if (kit->kind != SAMSA_KIND_SOURCE && kit->kind != SAMSA_KIND_SINK) {
        snprintf(errbuf, errlen, "%s is not a source or sink connector",
                 kit->instance);
        return SAMSA_ERR_CONFIG;
    }
    samsa_connect_observe_puts(kit->broker->connect, on_put, kit);
    err = samsa_broker_start(kit->broker);
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen, "the broker did not start: %s",
                 samsa_err_str(err));
        return err;
    }
    char bootstrap[300];
    snprintf(bootstrap, sizeof(bootstrap), "127.0.0.1:%d",
             (int)kit->broker->advertised_port);
    samsa_client_conf_t cc = {.bootstrap = bootstrap,
                              .client_id = "samsa-testkit"};
    err = samsa_client_new(&cc, &kit->client);
    for (int64_t t0 = samsa_mono_ms();
         err == SAMSA_OK && !samsa_connect_ready(kit->broker->connect);
         sleep_ms(WAIT_STEP_MS)) {
        if (samsa_mono_ms() - t0 > READY_TIMEOUT_MS) {
            snprintf(errbuf, errlen, "the Connect worker was not ready in %d s",
                     READY_TIMEOUT_MS / 1000);
            err = SAMSA_ERR_TIMEOUT;
        }
    }
    return err;
}

/* The broker's plugins: $SAMSA_PLUGIN_DIR; else, for the installed
 * libsamsa-testkit.so (<libdir>/samsa/), the plugins/ beside it, so a
 * prefix moved as a whole still works; else samsad's default. */
static const char *default_plugin_dir(char *buf, size_t len)
{
    const char *env = getenv("SAMSA_PLUGIN_DIR");
    Dl_info info;
    if (env != NULL && env[0] != '\0') {
        return env;
    }
    if (dladdr((void *)samsa_testkit_open, &info) != 0 &&
        info.dli_fname != NULL &&
        strstr(info.dli_fname, "/libsamsa-testkit.so") != NULL) {
        snprintf(buf, len, "%.*s/plugins",
                 (int)(strrchr(info.dli_fname, '/') - info.dli_fname),
                 info.dli_fname);
        struct stat st;
        if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode)) {
            return buf;
        }
    }
    return samsa_default_plugin_dir();
}

samsa_err_t samsa_testkit_open(const samsa_testkit_opts_t *opts,
                               samsa_testkit_t **out, char *errbuf,
                               size_t errlen)
{
    *out = NULL;
    if (opts == NULL || opts->plugin_path == NULL) {
        snprintf(errbuf, errlen, "no connector .so given");
        return SAMSA_ERR_INVAL;
    }
    char so[PATH_MAX];
    if (realpath(opts->plugin_path, so) == NULL) {
        snprintf(errbuf, errlen, "%s: %m", opts->plugin_path);
        return SAMSA_ERR_NOT_FOUND;
    }
    samsa_testkit_t *kit = calloc(1, sizeof(*kit));
    if (kit == NULL || (kit->fed = json_object()) == NULL) {
        free(kit);
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_init(&kit->lock, NULL);
    /* The instance is named after the .so, as a manifest names it. */
    const char *base = strrchr(so, '/') ? strrchr(so, '/') + 1 : so;
    snprintf(
        kit->instance, sizeof(kit->instance), "%.*s",
        (int)(strlen(base) > 3 && strcmp(base + strlen(base) - 3, ".so") == 0
                  ? strlen(base) - 3
                  : strlen(base)),
        base);
    /* A peer closing a socket must not kill the test (the broker's
     * sockets set MSG_NOSIGNAL; the client's may not everywhere). */
    signal(SIGPIPE, SIG_IGN);
    const char *tmp = getenv("TMPDIR");
    snprintf(kit->dir, sizeof(kit->dir), "%s/samsa-testkit.XXXXXX",
             tmp && tmp[0] ? tmp : "/tmp");
    samsa_err_t err = SAMSA_OK;
    char sub[PATH_MAX + 16];
    snprintf(sub, sizeof(sub), "%s/conf.d", kit->dir);
    if (mkdtemp(kit->dir) == NULL ||
        (snprintf(sub, sizeof(sub), "%s/conf.d", kit->dir),
         mkdir(sub, 0700) != 0)) {
        snprintf(errbuf, errlen, "cannot create a temp dir in %s: %m",
                 tmp && tmp[0] ? tmp : "/tmp");
        kit->dir[0] = '\0';
        err = SAMSA_ERR_IO;
    }
    char dir_buf[PATH_MAX];
    const char *plugin_dir = opts->plugin_dir
                                 ? opts->plugin_dir
                                 : default_plugin_dir(dir_buf, sizeof(dir_buf));
    if (err == SAMSA_OK) {
        err = write_manifest(kit, opts, plugin_dir, so, errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        err = write_broker_yaml(kit, opts, errbuf, errlen);
    }
    if (err == SAMSA_OK) {
        err = start_broker(kit, plugin_dir, errbuf, errlen);
    }
    if (err != SAMSA_OK) {
        samsa_testkit_close(kit);
        return err;
    }
    *out = kit;
    return SAMSA_OK;
}

/* ------------------------------------------------------------------ */
/* The connector                                                       */
/* ------------------------------------------------------------------ */

static samsa_err_t start_json(samsa_testkit_t *kit, json_t *config,
                              char *errbuf, size_t errlen)
{
    if (kit->name != NULL) {
        snprintf(errbuf, errlen, "the connector %s is already started",
                 kit->name);
        return SAMSA_ERR_EXISTS;
    }
    const char *name = json_string_value(json_object_get(config, "name"));
    kit->name = strdup(name ? name : "test");
    if (json_object_get(config, "connector.class") == NULL) {
        json_object_set_new(config, "connector.class",
                            json_string(kit->instance));
    }
    const char *topics = json_string_value(json_object_get(config, "topics"));
    kit->topics = topics ? strdup(topics) : NULL;
    if (kit->name == NULL || (topics && kit->topics == NULL)) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = samsa_connect_apply(kit->broker->connect, kit->name,
                                          config, errbuf, errlen);
    if (err != SAMSA_OK) {
        free(kit->name);
        kit->name = NULL;
    }
    return err;
}

samsa_err_t samsa_testkit_start(samsa_testkit_t *kit,
                                const samsa_connect_kv_t *config, size_t count,
                                char *errbuf, size_t errlen)
{
    json_t *cfg = json_object();
    for (size_t i = 0; cfg != NULL && i < count; i++) {
        if (json_object_set_new(cfg, config[i].key,
                                json_string(config[i].value)) != 0) {
            json_decref(cfg);
            cfg = NULL;
        }
    }
    if (cfg == NULL) {
        snprintf(errbuf, errlen, "out of memory (or a value is not UTF-8)");
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = start_json(kit, cfg, errbuf, errlen);
    json_decref(cfg);
    return err;
}

samsa_err_t samsa_testkit_start_file(samsa_testkit_t *kit, const char *path,
                                     char *errbuf, size_t errlen)
{
    json_t *cfg = NULL;
    samsa_err_t err = samsa_connect_config_load(path, &cfg, errbuf, errlen);
    if (err == SAMSA_OK) {
        err = start_json(kit, cfg, errbuf, errlen);
    }
    json_decref(cfg);
    return err;
}

/* SAMSA_ERR_IO with the trace when a task failed. */
static samsa_err_t check_tasks(samsa_testkit_t *kit, char *errbuf,
                               size_t errlen)
{
    int running = 0;
    bool failed = false;
    char trace[1024] = "";
    samsa_err_t err =
        samsa_connect_task_states(kit->broker->connect, kit->name, &running,
                                  &failed, trace, sizeof(trace));
    if (err == SAMSA_OK && failed) {
        snprintf(errbuf, errlen, "connector %s failed: %s", kit->name, trace);
        err = SAMSA_ERR_IO;
    }
    return err;
}

/* ------------------------------------------------------------------ */
/* Sinks                                                               */
/* ------------------------------------------------------------------ */

samsa_err_t samsa_testkit_feed(samsa_testkit_t *kit,
                               const samsa_testkit_record_t *recs, size_t n,
                               char *errbuf, size_t errlen)
{
    char first[256] = "";
    if (kit->topics != NULL) {
        snprintf(first, sizeof(first), "%.*s", (int)strcspn(kit->topics, ", "),
                 kit->topics);
    }
    samsa_producer_t *p = NULL;
    samsa_err_t err =
        samsa_connect_producer_new(kit->broker->reg, kit->client, &p);
    for (size_t i = 0; err == SAMSA_OK && i < n; i++) {
        const samsa_testkit_record_t *r = &recs[i];
        const char *topic = r->topic ? r->topic : first;
        samsa_client_header_t hs[64];
        size_t nh = r->header_count < 64 ? r->header_count : 64;
        for (size_t j = 0; j < nh; j++) {
            hs[j] =
                (samsa_client_header_t){.key = r->headers[j].key,
                                        .key_len = strlen(r->headers[j].key),
                                        .value = r->headers[j].value,
                                        .value_len = r->headers[j].value_len};
        }
        if (topic[0] == '\0') {
            snprintf(errbuf, errlen,
                     "record %zu has no topic and the connector no topics",
                     i + 1);
            err = SAMSA_ERR_INVAL;
            break;
        }
        json_object_set_new(kit->fed, topic, json_true());
        err = samsa_producer_produce(
            p, topic, r->partition, r->key, r->key ? (int32_t)r->key_len : -1,
            r->value, r->value ? (int32_t)r->value_len : -1, nh ? hs : NULL, nh,
            r->timestamp >= 0 ? r->timestamp : -1);
    }
    if (err == SAMSA_OK) {
        err = samsa_producer_flush(p);
    }
    if (err != SAMSA_OK && errbuf[0] == '\0') {
        snprintf(errbuf, errlen, "cannot produce: %s",
                 samsa_client_errmsg(kit->client));
    }
    samsa_producer_free(p);
    return err;
}

/* Whether group connect-NAME committed up to the end of every partition
 * of @p topic. */
static samsa_err_t topic_consumed(samsa_testkit_t *kit, const char *topic,
                                  bool *done)
{
    samsa_metadata_t *md = NULL;
    const char *one[] = {topic};
    samsa_err_t err = samsa_client_metadata(kit->client, one, 1, false, &md);
    const samsa_md_topic_t *mt = md ? samsa_metadata_topic(md, topic) : NULL;
    char group[600];
    snprintf(group, sizeof(group), "connect-%s", kit->name);
    *done = err == SAMSA_OK && mt != NULL;
    for (int i = 0; *done && i < mt->npartitions; i++) {
        samsa_tp_t tp = {.topic = (char *)topic,
                         .partition = mt->partitions[i].id};
        int64_t end = 0, committed = -1;
        err = samsa_client_list_offset(kit->client, topic, tp.partition,
                                       mt->partitions[i].leader,
                                       SAMSA_OFFSET_END, &end);
        if (err == SAMSA_OK && end > 0) {
            err =
                samsa_client_committed(kit->client, group, &tp, &committed, 1);
        }
        *done = err == SAMSA_OK && committed >= end;
    }
    samsa_metadata_free(md);
    return err;
}

samsa_err_t samsa_testkit_wait_sink(samsa_testkit_t *kit, int64_t timeout_ms,
                                    char *errbuf, size_t errlen)
{
    if (kit->name == NULL || kit->kind != SAMSA_KIND_SINK) {
        snprintf(errbuf, errlen, "no sink connector started");
        return SAMSA_ERR_INVAL;
    }
    int64_t deadline = samsa_mono_ms() + timeout_ms;
    for (;;) {
        samsa_err_t err = check_tasks(kit, errbuf, errlen);
        bool all = err == SAMSA_OK;
        const char *topic;
        json_t *v;
        json_object_foreach(kit->fed, topic, v)
        {
            bool done = false;
            /* A failed lookup (the group not there yet) is "not yet". */
            if (all && topic_consumed(kit, topic, &done) == SAMSA_OK) {
                all = done;
            } else {
                all = false;
            }
        }
        if (err != SAMSA_OK || all) {
            return err;
        }
        if (samsa_mono_ms() >= deadline) {
            snprintf(errbuf, errlen,
                     "the sink did not consume everything in %lld ms",
                     (long long)timeout_ms);
            return SAMSA_ERR_TIMEOUT;
        }
        sleep_ms(WAIT_STEP_MS * 5);
    }
}

/* ------------------------------------------------------------------ */
/* Sources                                                             */
/* ------------------------------------------------------------------ */

static bool internal_topic(const samsa_md_topic_t *t)
{
    return t->internal || strncmp(t->name, "__", 2) == 0 ||
           strcmp(t->name, SAMSA_CONNECT_CONFIGS_TOPIC) == 0 ||
           strcmp(t->name, SAMSA_CONNECT_OFFSETS_TOPIC) == 0 ||
           strcmp(t->name, SAMSA_CONNECT_STATUS_TOPIC) == 0;
}

/* The source's partitions (every topic but the internal ones), with
 * their end offsets in high_watermark and the beginning in offset. */
static samsa_err_t source_positions(samsa_testkit_t *kit, samsa_metadata_t **md,
                                    samsa_fetch_pos_t **pos, int *npos,
                                    int64_t *total)
{
    *pos = NULL;
    *npos = 0;
    *total = 0;
    samsa_err_t err = samsa_client_metadata(kit->client, NULL, 0, false, md);
    int cap = 0;
    for (int i = 0; err == SAMSA_OK && i < (*md)->ntopics; i++) {
        if (!internal_topic(&(*md)->topics[i])) {
            cap += (*md)->topics[i].npartitions;
        }
    }
    if (err == SAMSA_OK &&
        (*pos = calloc((size_t)cap + 1, sizeof(**pos))) == NULL) {
        err = SAMSA_ERR_NOMEM;
    }
    for (int i = 0; err == SAMSA_OK && i < (*md)->ntopics; i++) {
        const samsa_md_topic_t *t = &(*md)->topics[i];
        for (int j = 0;
             err == SAMSA_OK && !internal_topic(t) && j < t->npartitions; j++) {
            samsa_fetch_pos_t *p = &(*pos)[(*npos)++];
            p->topic = t->name;
            p->partition = t->partitions[j].id;
            err = samsa_client_list_offset(kit->client, t->name, p->partition,
                                           t->partitions[j].leader,
                                           SAMSA_OFFSET_BEGINNING, &p->offset);
            if (err == SAMSA_OK) {
                err = samsa_client_list_offset(
                    kit->client, t->name, p->partition, t->partitions[j].leader,
                    SAMSA_OFFSET_END, &p->high_watermark);
            }
            *total += p->high_watermark - p->offset;
        }
    }
    return err;
}

typedef struct read_ctx {
    samsa_testkit_t *kit;
    const samsa_fetch_pos_t *ends; /* the snapshot's end offsets */
    int n;
    samsa_err_t err;
} read_ctx_t;

static int on_produced(void *opaque, const samsa_client_record_t *r)
{
    read_ctx_t *rc = opaque;
    for (int i = 0; i < rc->n; i++) {
        if (rc->ends[i].partition == r->partition &&
            strcmp(rc->ends[i].topic, r->topic) == 0 &&
            r->offset < rc->ends[i].high_watermark) {
            rc->err = kit_records_add_client(&rc->kit->got, r);
        }
    }
    return rc->err != SAMSA_OK;
}

static int by_position(const void *a, const void *b)
{
    const samsa_testkit_record_t *x = *(samsa_testkit_record_t *const *)a;
    const samsa_testkit_record_t *y = *(samsa_testkit_record_t *const *)b;
    int c = strcmp(x->topic, y->topic);
    if (c == 0) {
        c = (x->partition > y->partition) - (x->partition < y->partition);
    }
    return c != 0 ? c : (x->offset > y->offset) - (x->offset < y->offset);
}

/* Read every source partition from its beginning to its end offset. */
static samsa_err_t read_produced(samsa_testkit_t *kit, samsa_metadata_t *md,
                                 samsa_fetch_pos_t *pos, int npos)
{
    samsa_fetch_pos_t *ends = malloc(((size_t)npos + 1) * sizeof(*ends));
    if (ends == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    memcpy(ends, pos, (size_t)npos * sizeof(*ends));
    samsa_fetch_conf_t fc;
    samsa_fetch_conf_init(&fc);
    fc.max_wait_ms = 100;
    read_ctx_t rc = {.kit = kit, .ends = ends, .n = npos};
    pthread_mutex_lock(&kit->lock);
    kit_records_clear(&kit->got);
    samsa_err_t err = SAMSA_OK;
    for (;;) {
        bool more = false;
        for (int i = 0; i < npos; i++) {
            more = more || pos[i].offset < ends[i].high_watermark;
        }
        if (!more || err != SAMSA_OK) {
            break;
        }
        err = samsa_client_fetch(kit->client, md, &fc, pos, npos, on_produced,
                                 &rc);
        if (err == SAMSA_OK) {
            err = rc.err;
        }
    }
    /* A fetch interleaves partitions: report by topic, partition, offset. */
    qsort(kit->got.v, kit->got.n, sizeof(*kit->got.v), by_position);
    pthread_mutex_unlock(&kit->lock);
    free(ends);
    return err;
}

samsa_err_t samsa_testkit_wait_source(samsa_testkit_t *kit, int64_t min_records,
                                      int64_t timeout_ms, char *errbuf,
                                      size_t errlen)
{
    if (kit->name == NULL || kit->kind != SAMSA_KIND_SOURCE) {
        snprintf(errbuf, errlen, "no source connector started");
        return SAMSA_ERR_INVAL;
    }
    int64_t deadline = samsa_mono_ms() + timeout_ms;
    samsa_metadata_t *md = NULL;
    samsa_fetch_pos_t *pos = NULL;
    int npos = 0;
    int64_t total = 0;
    samsa_err_t err = SAMSA_OK;
    for (;;) {
        err = check_tasks(kit, errbuf, errlen);
        samsa_metadata_free(md);
        md = NULL;
        free(pos);
        pos = NULL;
        if (err == SAMSA_OK) {
            err = source_positions(kit, &md, &pos, &npos, &total);
        }
        if (err != SAMSA_OK || (min_records > 0 && total >= min_records)) {
            break;
        }
        if (samsa_mono_ms() >= deadline) {
            break;
        }
        sleep_ms(WAIT_STEP_MS * 5);
    }
    if (err == SAMSA_OK) {
        err = read_produced(kit, md, pos, npos);
        if (err != SAMSA_OK) {
            snprintf(errbuf, errlen, "cannot read the source's topics: %s",
                     samsa_client_errmsg(kit->client));
        }
    } else if (errbuf[0] == '\0') {
        snprintf(errbuf, errlen, "cannot list the source's topics: %s",
                 samsa_client_errmsg(kit->client));
    }
    if (err == SAMSA_OK && min_records > 0 && total < min_records) {
        snprintf(errbuf, errlen,
                 "the source produced %lld of %lld records in %lld ms",
                 (long long)total, (long long)min_records,
                 (long long)timeout_ms);
        err = SAMSA_ERR_TIMEOUT;
    }
    samsa_metadata_free(md);
    free(pos);
    return err;
}

/* ------------------------------------------------------------------ */
/* Records and the end                                                 */
/* ------------------------------------------------------------------ */

void samsa_testkit_records(samsa_testkit_t *kit,
                           const samsa_testkit_record_t *const **records,
                           size_t *count)
{
    pthread_mutex_lock(&kit->lock);
    free(kit->view);
    kit->view = malloc((kit->got.n + 1) * sizeof(*kit->view));
    *count = kit->view ? kit->got.n : 0;
    for (size_t i = 0; i < *count; i++) {
        kit->view[i] = kit->got.v[i];
    }
    pthread_mutex_unlock(&kit->lock);
    *records = (const samsa_testkit_record_t *const *)kit->view;
}

samsa_err_t samsa_testkit_read_records(samsa_testkit_t *kit, FILE *in,
                                       int lines,
                                       const samsa_testkit_record_t **records,
                                       size_t *count, char *errbuf,
                                       size_t errlen)
{
    kit_records_t l = {0};
    samsa_err_t err = kit_records_read(&l, in, lines, errbuf, errlen);
    /* One contiguous array, as samsa_testkit_feed() takes it, pointing
     * into l's blocks; both kept until close. */
    samsa_testkit_record_t *flat =
        err == SAMSA_OK ? calloc(l.n + 1, sizeof(*flat)) : NULL;
    void **keep =
        flat ? realloc(kit->keep, (kit->nkeep + 1) * sizeof(*kit->keep)) : NULL;
    size_t added = l.n;
    if (keep != NULL) {
        kit->keep = keep;
        keep[kit->nkeep++] = flat;
        err = kit_records_take(&kit->inputs, &l);
    } else if (err == SAMSA_OK) {
        free(flat);
        err = SAMSA_ERR_NOMEM;
    }
    if (err != SAMSA_OK) {
        if (err == SAMSA_ERR_NOMEM) {
            snprintf(errbuf, errlen, "out of memory");
        }
        kit_records_clear(&l);
        return err;
    }
    size_t n = kit->inputs.n;
    *count = 0;
    for (size_t i = n - added; i < n; i++) {
        flat[(*count)++] = *kit->inputs.v[i];
    }
    kit_records_clear(&l);
    *records = flat;
    return SAMSA_OK;
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void samsa_testkit_close(samsa_testkit_t *kit)
{
    if (kit == NULL) {
        return;
    }
    if (kit->broker != NULL) {
        samsa_broker_stop(kit->broker);
        samsa_broker_destroy(kit->broker);
    }
    samsa_client_free(kit->client);
    samsa_broker_config_free(&kit->cfg);
    if (kit->dir[0] != '\0') {
        nftw(kit->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    for (size_t i = 0; i < kit->nkeep; i++) {
        free(kit->keep[i]);
    }
    free(kit->keep);
    kit_records_clear(&kit->got);
    kit_records_clear(&kit->inputs);
    free(kit->view);
    free(kit->name);
    free(kit->topics);
    json_decref(kit->fed);
    pthread_mutex_destroy(&kit->lock);
    free(kit);
}
