/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink-lines: a sink connector template. Each task appends every record
 * it is given as one line "topic/partition/offset: value" to a file; the
 * lines are buffered by put() and written and synced by flush(), so the
 * worker commits the consumer group's offsets only for lines on disk.
 *
 * Copy this directory, rename "lines" everywhere, and replace deliver()
 * with writes to the external system. What stays the same for every sink
 * (see samsa/connect.h for the contracts):
 *   - init() reads and checks the options once; the instance state is then
 *     read-only, so tasks (one worker thread each) share it without locks;
 *   - task_start() copies what it keeps from the task info (a connector's
 *     own settings, e.g. "file" from the REST config, override the
 *     manifest's);
 *   - put() gets records it does not own: it copies what it needs before
 *     returning, and returns SAMSA_ERR_AGAIN to push back (the worker
 *     redelivers the same records after a back-off);
 *   - flush() makes everything put() so far durable, or fails;
 *   - every allocation goes through the services table.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <samsa/connect.h>

/* Instance: the validated options, shared read-only by all tasks. */
typedef struct lines {
    const samsa_services_t *svc;
    const char *file; /* owned by the config, valid until fini() */
    int64_t max_pending_bytes;
} lines_t;

struct samsa_connect_task {
    const lines_t *lines;
    FILE *fp;
    char *pending; /* lines put() but not yet flushed */
    size_t len, cap;
};

static samsa_err_t lines_init(const samsa_services_t *svc,
                              const samsa_instance_t *inst, void **state,
                              char *errbuf, size_t errbuf_size)
{
    lines_t *l = svc->alloc(sizeof(*l));
    if (l == NULL) {
        snprintf(errbuf, errbuf_size, "lines: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    l->svc = svc;
    if (svc->config_string(inst->config, "file", &l->file) ||
        svc->config_int(inst->config, "max_pending_bytes",
                        &l->max_pending_bytes)) {
        svc->free(l);
        snprintf(errbuf, errbuf_size, "lines: cannot read options");
        return SAMSA_ERR_CONFIG;
    }
    *state = l;
    return SAMSA_OK;
}

static void lines_fini(void *state)
{
    lines_t *l = state;
    if (l != NULL) {
        l->svc->free(l);
    }
}

static samsa_err_t lines_task_start(void *state,
                                    const samsa_connect_task_info_t *info,
                                    samsa_connect_task_t **out, char *errbuf,
                                    size_t errbuf_size)
{
    const lines_t *l = state;
    const char *file = l->file;
    for (uint64_t i = 0; i < info->config_count; i++) {
        if (strcmp(info->config[i].key, "file") == 0) {
            file = info->config[i].value; /* the connector's own setting */
        }
    }
    if (file == NULL || file[0] == '\0') {
        snprintf(errbuf, errbuf_size, "lines: no file to write to");
        return SAMSA_ERR_CONFIG;
    }
    samsa_connect_task_t *t = l->svc->alloc(sizeof(*t));
    if (t == NULL) {
        snprintf(errbuf, errbuf_size, "lines: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    memset(t, 0, sizeof(*t));
    t->lines = l;
    t->fp = fopen(file, "ab");
    if (t->fp == NULL) {
        snprintf(errbuf, errbuf_size, "lines: cannot open %s", file);
        l->svc->free(t);
        return SAMSA_ERR_IO;
    }
    *out = t;
    return SAMSA_OK;
}

/* Append @p n bytes to the task's pending buffer. */
static samsa_err_t append(samsa_connect_task_t *t, const void *p, size_t n)
{
    const samsa_services_t *svc = t->lines->svc;
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n) {
            cap *= 2;
        }
        char *np = svc->alloc(cap);
        if (np == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        if (t->len > 0) {
            memcpy(np, t->pending, t->len);
        }
        svc->free(t->pending);
        t->pending = np;
        t->cap = cap;
    }
    memcpy(t->pending + t->len, p, n);
    t->len += n;
    return SAMSA_OK;
}

static samsa_err_t lines_put(samsa_connect_task_t *t,
                             const samsa_connect_record_t *const *records,
                             size_t count)
{
    /* Push back instead of growing without bound: the worker calls
     * flush() and redelivers these records. */
    if (t->len > (size_t)t->lines->max_pending_bytes) {
        return SAMSA_ERR_AGAIN;
    }
    size_t undo = t->len; /* all of this call's records, or none */
    for (size_t i = 0; i < count; i++) {
        const samsa_connect_record_t *r = records[i];
        char head[160];
        int n = snprintf(head, sizeof(head), "%s/%" PRId32 "/%" PRId64 ": ",
                         r->topic, r->partition, r->offset);
        samsa_err_t err = append(t, head, (size_t)n);
        if (err == SAMSA_OK && r->value != NULL) {
            err = append(t, r->value, (size_t)r->value_len);
        }
        if (err == SAMSA_OK) {
            err = append(t, "\n", 1);
        }
        if (err != SAMSA_OK) {
            t->len = undo;
            return err;
        }
    }
    return SAMSA_OK;
}

/* Replace this with the external system's write and commit. */
static samsa_err_t deliver(samsa_connect_task_t *t)
{
    if (fwrite(t->pending, 1, t->len, t->fp) != t->len || fflush(t->fp) != 0 ||
        fsync(fileno(t->fp)) != 0) {
        return SAMSA_ERR_IO;
    }
    return SAMSA_OK;
}

static samsa_err_t lines_flush(samsa_connect_task_t *t)
{
    if (t->len == 0) {
        return SAMSA_OK;
    }
    samsa_err_t err = deliver(t);
    if (err == SAMSA_OK) {
        t->len = 0;
    }
    return err;
}

static void lines_task_stop(samsa_connect_task_t *t)
{
    /* The worker called flush() before; what is still pending was never
     * acknowledged and will be redelivered to the next task. */
    fclose(t->fp);
    t->lines->svc->free(t->pending);
    t->lines->svc->free(t);
}

static const samsa_option_t lines_options[] = {
    SAMSA_OPTION_STRING("file", "",
                        "File the lines are appended to; a connector's "
                        "\"file\" setting overrides it."),
    SAMSA_OPTION_INT("max_pending_bytes", "1048576", 1, INT64_MAX,
                     "Bytes buffered between flushes before put() pushes "
                     "back."),
    SAMSA_OPTION_END,
};

static const samsa_sink_ops_t lines_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_sink_ops_t),
    .task_start = lines_task_start,
    .put = lines_put,
    .flush = lines_flush,
    .task_stop = lines_task_stop,
};

static const samsa_plugin_t lines_desc = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SINK,
    .name = "sink-lines",
    .version = "0.1.0",
    .summary = "Template: records appended as lines to a file",
    .options = lines_options,
    .init = lines_init,
    .fini = lines_fini,
    .ops = &lines_ops,
};

SAMSA_PLUGIN_DECLARE(lines_desc)
