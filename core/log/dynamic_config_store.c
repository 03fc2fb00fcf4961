/* SPDX-License-Identifier: Apache-2.0 */
/* core/log/dynamic_config_store.c - see dynamic_config_store.h. */
#define _GNU_SOURCE
#include "log/dynamic_config_store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "durable_file.h"

#define STORE_DIR  "__samsa_meta"
#define STORE_FILE "broker_configs"

struct samsa_dyncfg {
    pthread_mutex_t lock;
    char *dir;  /* <data_dir>/__samsa_meta */
    char *path; /* <dir>/broker_configs */
    int32_t node_id;
    samsa_tcfg_t scopes[2]; /* by samsa_dyncfg_scope_t */
    char **others;          /* lines of other brokers, kept as they are */
    size_t nothers;
};

/* One "name=value" after its prefix. */
static samsa_err_t parse_kv(samsa_tcfg_t *into, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        return SAMSA_ERR_CORRUPT;
    }
    char *name = strndup(kv, (size_t)(eq - kv));
    if (!name) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = samsa_tcfg_set(into, name, eq + 1);
    free(name);
    return err;
}

static samsa_err_t parse_line(samsa_dyncfg_t *s, char *line)
{
    char own[32];
    snprintf(own, sizeof(own), "broker.%d.", s->node_id);
    if (strncmp(line, "default.", 8) == 0) {
        return parse_kv(&s->scopes[SAMSA_DYNCFG_DEFAULT], line + 8);
    }
    if (strncmp(line, own, strlen(own)) == 0) {
        return parse_kv(&s->scopes[SAMSA_DYNCFG_BROKER], line + strlen(own));
    }
    if (strncmp(line, "broker.", 7) != 0 || !strchr(line, '=')) {
        return SAMSA_ERR_CORRUPT;
    }
    char **n = realloc(s->others, (s->nothers + 1) * sizeof(*n));
    if (!n) {
        return SAMSA_ERR_NOMEM;
    }
    s->others = n;
    n[s->nothers] = strdup(line);
    if (!n[s->nothers]) {
        return SAMSA_ERR_NOMEM;
    }
    s->nothers++;
    return SAMSA_OK;
}

static samsa_err_t load(samsa_dyncfg_t *s, char *errbuf, size_t errlen)
{
    FILE *f = fopen(s->path, "r");
    if (!f) {
        if (errno == ENOENT) {
            return SAMSA_OK;
        }
        snprintf(errbuf, errlen, "cannot read %s: %s", s->path,
                 strerror(errno));
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned lineno = 0;
    samsa_err_t err = SAMSA_OK;
    while (err == SAMSA_OK && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n') {
            line[--n] = '\0';
        }
        if (n == 0 || line[0] == '#') {
            continue;
        }
        err = parse_line(s, line);
        if (err == SAMSA_ERR_CORRUPT) {
            snprintf(errbuf, errlen,
                     "%s:%u: not default.<name>=<value> or "
                     "broker.<id>.<name>=<value>; fix or delete the line "
                     "(that key then falls back to samsa.yaml)",
                     s->path, lineno);
            err = SAMSA_ERR_CONFIG;
        }
    }
    free(line);
    fclose(f);
    return err;
}

samsa_err_t samsa_dyncfg_open(const char *data_dir, int32_t node_id,
                              samsa_dyncfg_t **out, char *errbuf, size_t errlen)
{
    samsa_dyncfg_t *s = calloc(1, sizeof(*s));
    if (!s) {
        return SAMSA_ERR_NOMEM;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->node_id = node_id;
    if (!data_dir) {
        *out = s; /* in memory: the metadata log keeps them */
        return SAMSA_OK;
    }
    if (asprintf(&s->dir, "%s/%s", data_dir, STORE_DIR) < 0) {
        s->dir = NULL;
    }
    if (!s->dir || asprintf(&s->path, "%s/%s", s->dir, STORE_FILE) < 0) {
        s->path = NULL;
        samsa_dyncfg_close(s);
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = load(s, errbuf, errlen);
    if (err != SAMSA_OK) {
        samsa_dyncfg_close(s);
        return err;
    }
    *out = s;
    return SAMSA_OK;
}

void samsa_dyncfg_close(samsa_dyncfg_t *s)
{
    if (!s) {
        return;
    }
    samsa_tcfg_free(&s->scopes[0]);
    samsa_tcfg_free(&s->scopes[1]);
    for (size_t i = 0; i < s->nothers; i++) {
        free(s->others[i]);
    }
    free(s->others);
    free(s->dir);
    free(s->path);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

samsa_err_t samsa_dyncfg_copy(samsa_dyncfg_t *s, samsa_dyncfg_scope_t scope,
                              samsa_tcfg_t *out)
{
    pthread_mutex_lock(&s->lock);
    samsa_err_t err = samsa_tcfg_copy(out, &s->scopes[scope]);
    pthread_mutex_unlock(&s->lock);
    return err;
}

static void write_scope(FILE *f, const char *prefix, const samsa_tcfg_t *c)
{
    for (size_t i = 0; i < c->count; i++) {
        fprintf(f, "%s%s=%s\n", prefix, c->items[i].name, c->items[i].value);
    }
}

/* The file's text with @p scope replaced by @p next. Caller holds lock. */
static samsa_err_t render(samsa_dyncfg_t *s, samsa_dyncfg_scope_t scope,
                          const samsa_tcfg_t *next, char **text, size_t *len)
{
    FILE *f = open_memstream(text, len);
    if (!f) {
        return SAMSA_ERR_NOMEM;
    }
    char own[32];
    snprintf(own, sizeof(own), "broker.%d.", s->node_id);
    fprintf(f, "# Dynamic broker configs (AlterConfigs on BROKER "
               "resources); written by samsad.\n");
    write_scope(f, "default.",
                scope == SAMSA_DYNCFG_DEFAULT
                    ? next
                    : &s->scopes[SAMSA_DYNCFG_DEFAULT]);
    write_scope(f, own,
                scope == SAMSA_DYNCFG_BROKER ? next
                                             : &s->scopes[SAMSA_DYNCFG_BROKER]);
    for (size_t i = 0; i < s->nothers; i++) {
        fprintf(f, "%s\n", s->others[i]);
    }
    if (fclose(f) != 0) {
        free(*text);
        return SAMSA_ERR_NOMEM;
    }
    return SAMSA_OK;
}

samsa_err_t samsa_dyncfg_replace(samsa_dyncfg_t *s, samsa_dyncfg_scope_t scope,
                                 const samsa_tcfg_t *next, char *errbuf,
                                 size_t errlen)
{
    for (size_t i = 0; i < next->count; i++) {
        if (strchr(next->items[i].name, '\n') ||
            strchr(next->items[i].name, '=') ||
            strchr(next->items[i].value, '\n')) {
            snprintf(errbuf, errlen, "%s: a newline is not allowed",
                     next->items[i].name);
            return SAMSA_ERR_INVALID_CONFIG;
        }
    }
    samsa_tcfg_t copy;
    samsa_err_t err = samsa_tcfg_copy(&copy, next);
    if (err != SAMSA_OK) {
        return err;
    }
    pthread_mutex_lock(&s->lock);
    char *text = NULL;
    size_t len = 0;
    err = s->path ? render(s, scope, next, &text, &len) : SAMSA_OK;
    if (err == SAMSA_OK && s->path) {
        int rc = 0;
        if (mkdir(s->dir, 0755) < 0 && errno != EEXIST) {
            rc = errno;
        }
        if (rc == 0) {
            rc = samsa_file_replace(s->path, NULL, text, len, true);
        }
        if (rc != 0) {
            snprintf(errbuf, errlen, "cannot write %s: %s", s->path,
                     strerror(rc));
            err = SAMSA_ERR_KAFKA_STORAGE_ERROR;
        }
        free(text);
    }
    if (err == SAMSA_OK) {
        samsa_tcfg_free(&s->scopes[scope]);
        s->scopes[scope] = copy;
    } else {
        samsa_tcfg_free(&copy);
    }
    pthread_mutex_unlock(&s->lock);
    return err;
}
