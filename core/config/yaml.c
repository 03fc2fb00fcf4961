/* SPDX-License-Identifier: Apache-2.0 */
/* core/config/yaml.c - libyaml events -> samsa_ynode_t tree. */
#include "config/yaml.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* Nesting bound: config files are shallow; this stops stack exhaustion on
 * hostile input. */
#define YAML_MAX_DEPTH 64

typedef struct yparse {
    yaml_parser_t parser;
    const char *file;
    char *errbuf;
    size_t errbuf_size;
    samsa_err_t err;
} yparse_t;

static samsa_err_t yfail(yparse_t *p, samsa_err_t err, uint32_t line,
                         const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static samsa_err_t yfail(yparse_t *p, samsa_err_t err, uint32_t line,
                         const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (p->err == SAMSA_OK && p->errbuf_size > 0) {
        snprintf(p->errbuf, p->errbuf_size, "%s:%u: %s", p->file, line, msg);
    }
    if (p->err == SAMSA_OK) {
        p->err = err;
    }
    return p->err;
}

static samsa_err_t next_event(yparse_t *p, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&p->parser, ev)) {
        return yfail(p, SAMSA_ERR_CONFIG,
                     (uint32_t)p->parser.problem_mark.line + 1,
                     "YAML syntax error: %s%s%s",
                     p->parser.problem ? p->parser.problem : "unknown",
                     p->parser.context ? " " : "",
                     p->parser.context ? p->parser.context : "");
    }
    return SAMSA_OK;
}

static void node_free(samsa_ynode_t *n)
{
    if (n == NULL) {
        return;
    }
    for (size_t i = 0; i < n->count; i++) {
        if (n->keys) {
            node_free(n->keys[i]);
        }
        node_free(n->items[i]);
    }
    free(n->keys);
    free(n->items);
    free(n->value);
    free(n);
}

static samsa_ynode_t *node_new(yparse_t *p, samsa_ynode_type_t type,
                               const yaml_mark_t *mark)
{
    samsa_ynode_t *n = calloc(1, sizeof(*n));

    if (n == NULL) {
        yfail(p, SAMSA_ERR_NOMEM, (uint32_t)mark->line + 1, "out of memory");
        return NULL;
    }
    n->type = type;
    n->file = p->file;
    n->line = (uint32_t)mark->line + 1;
    n->column = (uint32_t)mark->column + 1;
    return n;
}

static samsa_err_t node_append(yparse_t *p, samsa_ynode_t *parent,
                               samsa_ynode_t *key, samsa_ynode_t *item)
{
    size_t n = parent->count + 1;
    samsa_ynode_t **items = realloc(parent->items, n * sizeof(*items));

    if (items == NULL) {
        return yfail(p, SAMSA_ERR_NOMEM, parent->line, "out of memory");
    }
    parent->items = items;
    if (parent->type == SAMSA_YNODE_MAP) {
        samsa_ynode_t **keys = realloc(parent->keys, n * sizeof(*keys));
        if (keys == NULL) {
            return yfail(p, SAMSA_ERR_NOMEM, parent->line, "out of memory");
        }
        parent->keys = keys;
        keys[parent->count] = key;
    }
    items[parent->count] = item;
    parent->count = n;
    return SAMSA_OK;
}

static samsa_err_t parse_node(yparse_t *p, yaml_event_t *ev, int depth,
                              samsa_ynode_t **out);

static samsa_err_t parse_seq(yparse_t *p, samsa_ynode_t *seq, int depth)
{
    for (;;) {
        yaml_event_t ev;
        samsa_ynode_t *item = NULL;

        if (next_event(p, &ev) != SAMSA_OK) {
            return p->err;
        }
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return SAMSA_OK;
        }
        parse_node(p, &ev, depth + 1, &item);
        yaml_event_delete(&ev);
        if (p->err != SAMSA_OK || node_append(p, seq, NULL, item)) {
            node_free(item);
            return p->err;
        }
    }
}

static samsa_err_t parse_map(yparse_t *p, samsa_ynode_t *map, int depth)
{
    for (;;) {
        yaml_event_t ev;
        samsa_ynode_t *key = NULL, *val = NULL;

        if (next_event(p, &ev) != SAMSA_OK) {
            return p->err;
        }
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return SAMSA_OK;
        }
        parse_node(p, &ev, depth + 1, &key);
        yaml_event_delete(&ev);
        if (p->err == SAMSA_OK && key->type != SAMSA_YNODE_SCALAR) {
            yfail(p, SAMSA_ERR_CONFIG, key->line,
                  "mapping keys must be scalars, found a %s",
                  samsa_ynode_type_name(key));
        }
        if (p->err == SAMSA_OK) {
            const samsa_ynode_t *prev = samsa_ynode_get(map, key->value);
            if (prev != NULL) {
                yfail(p, SAMSA_ERR_CONFIG, key->line,
                      "duplicate key '%s' (first set at line %u)", key->value,
                      prev->line);
            }
        }
        if (p->err == SAMSA_OK && next_event(p, &ev) == SAMSA_OK) {
            parse_node(p, &ev, depth + 1, &val);
            yaml_event_delete(&ev);
        }
        if (p->err != SAMSA_OK || node_append(p, map, key, val)) {
            node_free(key);
            node_free(val);
            return p->err;
        }
    }
}

static samsa_err_t parse_node(yparse_t *p, yaml_event_t *ev, int depth,
                              samsa_ynode_t **out)
{
    samsa_ynode_t *n = NULL;
    uint32_t line = (uint32_t)ev->start_mark.line + 1;

    *out = NULL;
    if (depth > YAML_MAX_DEPTH) {
        return yfail(p, SAMSA_ERR_CONFIG, line, "nesting deeper than %d",
                     YAML_MAX_DEPTH);
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n = node_new(p, SAMSA_YNODE_SCALAR, &ev->start_mark);
        if (n == NULL) {
            return p->err;
        }
        n->value = strndup((const char *)ev->data.scalar.value,
                           ev->data.scalar.length);
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        if (n->value == NULL) {
            yfail(p, SAMSA_ERR_NOMEM, line, "out of memory");
        }
        break;
    case YAML_SEQUENCE_START_EVENT:
        n = node_new(p, SAMSA_YNODE_SEQ, &ev->start_mark);
        if (n != NULL) {
            parse_seq(p, n, depth);
        }
        break;
    case YAML_MAPPING_START_EVENT:
        n = node_new(p, SAMSA_YNODE_MAP, &ev->start_mark);
        if (n != NULL) {
            parse_map(p, n, depth);
        }
        break;
    case YAML_ALIAS_EVENT:
        return yfail(p, SAMSA_ERR_CONFIG, line,
                     "aliases (*name) are not supported in Samsa config");
    default:
        return yfail(p, SAMSA_ERR_CONFIG, line, "unexpected YAML event %d",
                     (int)ev->type);
    }
    if (p->err != SAMSA_OK) {
        node_free(n);
        return p->err;
    }
    *out = n;
    return SAMSA_OK;
}

/* stream-start, [document-start node document-end], stream-end */
static samsa_err_t parse_stream(yparse_t *p, samsa_ynode_t **root)
{
    yaml_event_t ev;
    int docs = 0;

    *root = NULL;
    while (next_event(p, &ev) == SAMSA_OK) {
        yaml_event_type_t type = ev.type;
        uint32_t line = (uint32_t)ev.start_mark.line + 1;

        if (type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            return SAMSA_OK;
        }
        if (type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            yaml_event_delete(&ev);
            return yfail(p, SAMSA_ERR_CONFIG, line,
                         "only one YAML document per file is allowed");
        }
        if (type == YAML_SCALAR_EVENT || type == YAML_SEQUENCE_START_EVENT ||
            type == YAML_MAPPING_START_EVENT || type == YAML_ALIAS_EVENT) {
            parse_node(p, &ev, 0, root);
        }
        yaml_event_delete(&ev);
        if (p->err != SAMSA_OK) {
            return p->err;
        }
    }
    return p->err;
}

static samsa_err_t load(yparse_t *p, samsa_ydoc_t **out)
{
    samsa_ydoc_t *doc = calloc(1, sizeof(*doc));

    if (doc == NULL) {
        return yfail(p, SAMSA_ERR_NOMEM, 0, "out of memory");
    }
    doc->file = strdup(p->file);
    if (doc->file == NULL) {
        free(doc);
        return yfail(p, SAMSA_ERR_NOMEM, 0, "out of memory");
    }
    p->file = doc->file;
    if (parse_stream(p, &doc->root) != SAMSA_OK) {
        node_free(doc->root);
        doc->root = NULL;
        samsa_yaml_free(doc);
        return p->err;
    }
    *out = doc;
    return SAMSA_OK;
}

samsa_err_t samsa_yaml_load_string(const char *name, const char *text,
                                   size_t len, samsa_ydoc_t **doc, char *errbuf,
                                   size_t errbuf_size)
{
    yparse_t p = {.file = name, .errbuf = errbuf, .errbuf_size = errbuf_size};

    *doc = NULL;
    if (!yaml_parser_initialize(&p.parser)) {
        return yfail(&p, SAMSA_ERR_NOMEM, 0, "out of memory");
    }
    yaml_parser_set_input_string(&p.parser, (const unsigned char *)text, len);
    load(&p, doc);
    yaml_parser_delete(&p.parser);
    return p.err;
}

samsa_err_t samsa_yaml_load_file(const char *path, samsa_ydoc_t **doc,
                                 char *errbuf, size_t errbuf_size)
{
    yparse_t p = {.file = path, .errbuf = errbuf, .errbuf_size = errbuf_size};
    FILE *fp;

    *doc = NULL;
    fp = fopen(path, "rb");
    if (fp == NULL) {
        snprintf(errbuf, errbuf_size, "%s: cannot open: %s", path,
                 strerror(errno));
        return SAMSA_ERR_IO;
    }
    if (!yaml_parser_initialize(&p.parser)) {
        fclose(fp);
        return yfail(&p, SAMSA_ERR_NOMEM, 0, "out of memory");
    }
    yaml_parser_set_input_file(&p.parser, fp);
    load(&p, doc);
    yaml_parser_delete(&p.parser);
    fclose(fp);
    return p.err;
}

void samsa_yaml_free(samsa_ydoc_t *doc)
{
    if (doc == NULL) {
        return;
    }
    node_free(doc->root);
    free(doc->file);
    free(doc);
}

const samsa_ynode_t *samsa_ynode_get(const samsa_ynode_t *map, const char *key)
{
    if (map == NULL || map->type != SAMSA_YNODE_MAP) {
        return NULL;
    }
    for (size_t i = 0; i < map->count; i++) {
        if (strcmp(map->keys[i]->value, key) == 0) {
            return map->items[i];
        }
    }
    return NULL;
}

bool samsa_ynode_is_null(const samsa_ynode_t *node)
{
    if (node == NULL) {
        return true;
    }
    if (node->type != SAMSA_YNODE_SCALAR || node->quoted) {
        return false;
    }
    return node->value[0] == '\0' || strcmp(node->value, "~") == 0 ||
           strcmp(node->value, "null") == 0 ||
           strcmp(node->value, "Null") == 0 || strcmp(node->value, "NULL") == 0;
}

static bool word_in(const char *s, const char *const *words)
{
    for (; *words != NULL; words++) {
        if (strcmp(s, *words) == 0) {
            return true;
        }
    }
    return false;
}

bool samsa_ynode_bool(const samsa_ynode_t *node, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes",
                                      "YES",  "on",   "On",   "ON",  NULL};
    static const char *const no[] = {"false", "False", "FALSE", "no",  "No",
                                     "NO",    "off",   "Off",   "OFF", NULL};

    if (node == NULL || node->type != SAMSA_YNODE_SCALAR || node->quoted) {
        return false;
    }
    if (word_in(node->value, yes)) {
        *out = true;
        return true;
    }
    if (word_in(node->value, no)) {
        *out = false;
        return true;
    }
    return false;
}

bool samsa_ynode_int(const samsa_ynode_t *node, int64_t *out)
{
    char *end;
    long long v;

    if (node == NULL || node->type != SAMSA_YNODE_SCALAR || node->quoted ||
        node->value[0] == '\0') {
        return false;
    }
    errno = 0;
    v = strtoll(node->value, &end, 0);
    /* strtoll base 0 reads a leading 0 as octal; YAML 1.2 does not. */
    if (errno != 0 || *end != '\0' ||
        (node->value[0] == '0' && node->value[1] >= '0' &&
         node->value[1] <= '9')) {
        return false;
    }
    *out = (int64_t)v;
    return true;
}

bool samsa_ynode_double(const samsa_ynode_t *node, double *out)
{
    char *end;
    double v;

    if (node == NULL || node->type != SAMSA_YNODE_SCALAR || node->quoted ||
        node->value[0] == '\0') {
        return false;
    }
    errno = 0;
    v = strtod(node->value, &end);
    if (errno != 0 || *end != '\0' || isnan(v)) {
        return false;
    }
    *out = v;
    return true;
}

const char *samsa_ynode_type_name(const samsa_ynode_t *node)
{
    if (node == NULL) {
        return "nothing";
    }
    switch (node->type) {
    case SAMSA_YNODE_SCALAR:
        return "scalar";
    case SAMSA_YNODE_SEQ:
        return "sequence";
    case SAMSA_YNODE_MAP:
        return "mapping";
    }
    return "node";
}
