/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sink-file: Kafka's FileStreamSink. Appends each record's value (after
 * the connector's value converter) as one line to a file; flush() makes
 * the lines durable (one O_APPEND write, then fsync) before the worker
 * commits the consumer group's offsets. Lines gather in memory between
 * flushes and go out in one write(), so the tasks of a connector with
 * tasks.max > 1 appending to the same file never cut each other's lines.
 *
 * Task settings (Kafka's keys): file (required), topics (read by the
 * worker).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <samsa/connect.h>

typedef struct file_sink {
    const samsa_services_t *svc;
} file_sink_t;

struct samsa_connect_task {
    const samsa_services_t *svc;
    int fd;    /* O_APPEND */
    char *buf; /* lines put since the last flush */
    size_t len, cap;
};

static samsa_err_t fk_init(const samsa_services_t *svc,
                           const samsa_instance_t *inst, void **state,
                           char *errbuf, size_t errbuf_size)
{
    (void)inst;
    file_sink_t *fk = svc->alloc(sizeof(*fk));
    if (fk == NULL) {
        snprintf(errbuf, errbuf_size, "sink-file: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    fk->svc = svc;
    *state = fk;
    return SAMSA_OK;
}

static void fk_fini(void *state)
{
    file_sink_t *fk = state;
    if (fk != NULL) {
        fk->svc->free(fk);
    }
}

static samsa_err_t fk_task_start(void *state,
                                 const samsa_connect_task_info_t *info,
                                 samsa_connect_task_t **out, char *errbuf,
                                 size_t errbuf_size)
{
    file_sink_t *fk = state;
    const char *file = NULL;
    for (uint64_t i = 0; i < info->config_count; i++) {
        if (strcmp(info->config[i].key, "file") == 0) {
            file = info->config[i].value;
        }
    }
    if (file == NULL || file[0] == '\0') {
        snprintf(errbuf, errbuf_size, "FileStreamSink needs file");
        return SAMSA_ERR_CONFIG;
    }
    samsa_connect_task_t *t = fk->svc->alloc(sizeof(*t));
    if (t == NULL) {
        snprintf(errbuf, errbuf_size, "out of memory");
        return SAMSA_ERR_NOMEM;
    }
    t->svc = fk->svc;
    t->buf = NULL;
    t->len = t->cap = 0;
    t->fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (t->fd < 0) {
        snprintf(errbuf, errbuf_size, "cannot open %s: %m", file);
        fk->svc->free(t);
        return SAMSA_ERR_IO;
    }
    *out = t;
    return SAMSA_OK;
}

static samsa_err_t append(samsa_connect_task_t *t, const void *p, size_t n)
{
    if (t->len + n > t->cap) {
        size_t cap = (t->len + n) * 2;
        char *b = t->svc->realloc(t->buf, cap);
        if (b == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, p, n);
    t->len += n;
    return SAMSA_OK;
}

static samsa_err_t fk_put(samsa_connect_task_t *t,
                          const samsa_connect_record_t *const *records,
                          size_t count)
{
    samsa_err_t err = SAMSA_OK;
    for (size_t i = 0; err == SAMSA_OK && i < count; i++) {
        const samsa_connect_record_t *r = records[i];
        /* Kafka prints a null value as "null". */
        const void *v = r->value ? r->value : "null";
        size_t len = r->value ? (size_t)r->value_len : 4;
        err = append(t, v, len);
        if (err == SAMSA_OK) {
            err = append(t, "\n", 1);
        }
    }
    return err;
}

static samsa_err_t fk_flush(samsa_connect_task_t *t)
{
    size_t off = 0;
    while (off < t->len) {
        ssize_t n = write(t->fd, t->buf + off, t->len - off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            /* What was written stays; the rest is tried again. */
            memmove(t->buf, t->buf + off, t->len - off);
            t->len -= off;
            return SAMSA_ERR_IO;
        }
        off += (size_t)n;
    }
    t->len = 0;
    return fsync(t->fd) == 0 ? SAMSA_OK : SAMSA_ERR_IO;
}

static void fk_task_stop(samsa_connect_task_t *t)
{
    close(t->fd);
    t->svc->free(t->buf);
    t->svc->free(t);
}

static const samsa_option_t fk_options[] = {
    SAMSA_OPTION_LIST("connector_classes",
                      "[FileStreamSink, "
                      "org.apache.kafka.connect.file.FileStreamSinkConnector]",
                      "connector.class values this plugin answers to (Kafka's "
                      "short and full class names)."),
    SAMSA_OPTION_END,
};

static const samsa_sink_ops_t fk_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_sink_ops_t),
    .task_start = fk_task_start,
    .put = fk_put,
    .flush = fk_flush,
    .task_stop = fk_task_stop,
};

static const samsa_plugin_t fk_desc = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_SINK,
    .name = "sink-file",
    .version = "0.1.0",
    .summary = "Kafka's FileStreamSink: records of topics to lines of a file",
    .options = fk_options,
    .init = fk_init,
    .fini = fk_fini,
    .ops = &fk_ops,
};

SAMSA_PLUGIN_DECLARE(fk_desc)
