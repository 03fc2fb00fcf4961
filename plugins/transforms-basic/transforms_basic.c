/* SPDX-License-Identifier: Apache-2.0 */
/*
 * transforms-basic: Kafka Connect's single-message transforms and
 * predicates in one plugin, answering to Kafka's class names so connector
 * configs work unchanged: InsertField, ReplaceField, MaskField,
 * ValueToKey, ExtractField, HoistField ($Key and $Value), TimestampRouter,
 * RegexRouter, Filter, and the predicates TopicNameMatches, HasHeaderKey
 * and RecordIsTombstone. With the records' schemas (ABI minor 7) as
 * Kafka's Struct path, else as its Map path (see fields.c). This file: the
 * descriptor, create/apply/release/ test/destroy dispatch and the helpers; the
 * types are in fields.c, routers.c and filter.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xform.h"

typedef struct basic {
    const samsa_services_t *svc;
    const samsa_instance_t *inst;
} basic_t;

static samsa_err_t tb_init(const samsa_services_t *svc,
                           const samsa_instance_t *inst, void **state,
                           char *errbuf, size_t errbuf_size)
{
    basic_t *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        snprintf(errbuf, errbuf_size, "transforms-basic: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    b->svc = svc;
    b->inst = inst;
    *state = b;
    return SAMSA_OK;
}

static void tb_fini(void *state)
{
    free(state);
}

/* ------------------------------------------------------------------ */
/* Helpers (xform.h)                                                    */
/* ------------------------------------------------------------------ */

const char *xform_get(const xform_t *x, const char *key)
{
    for (uint64_t i = 0; i < x->config_count; i++) {
        if (strcmp(x->config[i].key, key) == 0) {
            return x->config[i].value;
        }
    }
    return NULL;
}

samsa_err_t xform_string(xform_t *x, const char *key, const char *def,
                         bool required, char **out, char *errbuf, size_t errlen)
{
    const char *v = xform_get(x, key);
    if (v == NULL || v[0] == '\0') {
        v = def;
    }
    if (v == NULL) {
        if (required) {
            snprintf(errbuf, errlen,
                     "Missing required configuration \"%s\" which has no "
                     "default value.",
                     key);
            return SAMSA_ERR_CONFIG;
        }
        *out = NULL;
        return SAMSA_OK;
    }
    *out = strdup(v);
    if (*out == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    /* InsertField's "name!" (required) / "name?" (optional) markers. */
    size_t n = strlen(*out);
    if (strstr(key, ".field") && n > 1 &&
        ((*out)[n - 1] == '!' || (*out)[n - 1] == '?')) {
        (*out)[n - 1] = '\0';
    }
    return SAMSA_OK;
}

samsa_err_t xform_list(xform_t *x, const char *key, char **out, size_t *n,
                       char *errbuf, size_t errlen)
{
    const char *v = xform_get(x, key);
    *n = 0;
    for (const char *p = v; p != NULL && *p != '\0';) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && *p == ' ') {
            p++;
        }
        const char *e = end;
        while (e > p && e[-1] == ' ') {
            e--;
        }
        if (e > p) {
            if (*n == XFORM_MAX_FIELDS) {
                snprintf(errbuf, errlen, "%s: more than %d entries", key,
                         XFORM_MAX_FIELDS);
                return SAMSA_ERR_CONFIG;
            }
            out[*n] = strndup(p, (size_t)(e - p));
            if (out[*n] == NULL) {
                return SAMSA_ERR_NOMEM;
            }
            (*n)++;
        }
        p = comma ? comma + 1 : NULL;
    }
    return SAMSA_OK;
}

void xform_fail(xform_t *x, const char *fmt, ...)
{
    if (x->warned) {
        return;
    }
    x->warned = true;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    x->svc->log(NULL, SAMSA_LOG_WARN, "%s: %s (logged once per use)",
                x->type->name, msg);
}

samsa_err_t xform_load(xform_t *x, const samsa_connect_record_t *in,
                       json_t **out, json_t **schema)
{
    const void *p = x->type->key ? in->key : in->value;
    uint64_t len = x->type->key ? in->key_len : in->value_len;
    *out = NULL;
    if (schema != NULL) {
        *schema = NULL;
        const char *text = NULL;
        if (SAMSA_ABI_HAS(samsa_connect_record_t, in, value_schema)) {
            text = x->type->key ? in->key_schema : in->value_schema;
        }
        if (text != NULL) {
            *schema = json_loads(text, 0, NULL);
            if (*schema == NULL || !json_is_object(*schema)) {
                json_decref(*schema);
                *schema = NULL;
                xform_fail(x, "the %s's schema is not a JSON object",
                           x->type->key ? "key" : "value");
                return SAMSA_ERR_INVAL;
            }
        }
    }
    if (p == NULL) {
        return SAMSA_OK;
    }
    *out = json_loadb(p, (size_t)len, JSON_DECODE_ANY, NULL);
    if (*out == NULL) {
        xform_fail(x, "the %s is not JSON", x->type->key ? "key" : "value");
        if (schema != NULL) {
            json_decref(*schema);
            *schema = NULL;
        }
        return SAMSA_ERR_INVAL;
    }
    if (json_is_null(*out)) {
        json_decref(*out);
        *out = NULL;
    }
    return SAMSA_OK;
}

char *xform_keep(xform_t *x, char *s)
{
    for (int i = 0; s != NULL && i < XFORM_SCRATCH; i++) {
        if (x->scratch[i] == NULL) {
            x->scratch[i] = s;
            return s;
        }
    }
    free(s);
    return NULL;
}

samsa_err_t xform_store(xform_t *x, samsa_connect_record_t *out, json_t *v,
                        bool key)
{
    char *text = NULL;
    if (v != NULL) {
        text = xform_keep(x, json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY));
        json_decref(v);
        if (text == NULL) {
            return SAMSA_ERR_NOMEM;
        }
    }
    if (key) {
        out->key = text;
        out->key_len = text ? strlen(text) : 0;
    } else {
        out->value = text;
        out->value_len = text ? strlen(text) : 0;
    }
    return SAMSA_OK;
}

samsa_err_t xform_store_schema(xform_t *x, samsa_connect_record_t *out,
                               json_t *s, bool key)
{
    if (!SAMSA_ABI_HAS(samsa_connect_record_t, out, value_schema)) {
        json_decref(s);
        return SAMSA_OK; /* an older host: no schemas to keep */
    }
    char *text = NULL;
    if (s != NULL) {
        text = xform_keep(x, json_dumps(s, JSON_COMPACT));
        json_decref(s);
        if (text == NULL) {
            return SAMSA_ERR_NOMEM;
        }
    }
    if (key) {
        out->key_schema = text;
    } else {
        out->value_schema = text;
    }
    return SAMSA_OK;
}

samsa_err_t xform_regex(xform_t *x, const char *pattern, char *errbuf,
                        size_t errlen)
{
    size_t n = strlen(pattern) + 8;
    char *whole = malloc(n);
    if (whole == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    snprintf(whole, n, "^(%s)$", pattern);
    int rc = regcomp(&x->re, whole, REG_EXTENDED);
    free(whole);
    if (rc != 0) {
        char why[200];
        regerror(rc, &x->re, why, sizeof(why));
        snprintf(errbuf, errlen, "invalid regular expression %s: %s", pattern,
                 why);
        return SAMSA_ERR_CONFIG;
    }
    x->has_re = true;
    return SAMSA_OK;
}

/* ------------------------------------------------------------------ */
/* Ops                                                                  */
/* ------------------------------------------------------------------ */

static const xform_type_t *find_type(const char *cls)
{
    /* Kafka's full names end in the simple name after the last dot. */
    const char *dot = strrchr(cls, '.');
    const char *simple = dot ? dot + 1 : cls;
    const xform_type_t *tables[] = {xform_field_types, xform_router_types,
                                    xform_filter_types};
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        for (const xform_type_t *ty = tables[t]; ty->name != NULL; ty++) {
            if (strcmp(ty->name, simple) == 0) {
                return ty;
            }
        }
    }
    return NULL;
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(l[i]);
    }
}

static void tb_destroy(void *xf)
{
    xform_t *x = xf;
    if (x == NULL) {
        return;
    }
    free(x->field);
    free(x->topic_field);
    free(x->partition_field);
    free(x->offset_field);
    free(x->timestamp_field);
    free(x->static_field);
    free(x->static_value);
    free_list(x->fields, x->nfields);
    free_list(x->include, x->ninclude);
    free_list(x->rename_from, x->nrenames);
    free_list(x->rename_to, x->nrenames);
    free(x->replacement);
    free(x->format);
    free(x->ts_format);
    if (x->has_re) {
        regfree(&x->re);
    }
    for (int i = 0; i < XFORM_SCRATCH; i++) {
        free(x->scratch[i]);
    }
    free(x);
}

static samsa_err_t tb_create(void *state, const char *type,
                             const samsa_connect_kv_t *config, uint64_t count,
                             void **xf, char *errbuf, size_t errbuf_size)
{
    basic_t *b = state;
    const xform_type_t *ty = find_type(type);
    if (ty == NULL) {
        snprintf(errbuf, errbuf_size, "transforms-basic has no class %s", type);
        return SAMSA_ERR_CONFIG;
    }
    xform_t *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    x->svc = b->svc;
    x->type = ty;
    x->config = config;
    x->config_count = count;
    samsa_err_t err =
        ty->configure ? ty->configure(x, errbuf, errbuf_size) : SAMSA_OK;
    x->config = NULL;
    x->config_count = 0;
    if (err != SAMSA_OK) {
        tb_destroy(x);
        return err;
    }
    *xf = x;
    return SAMSA_OK;
}

static samsa_err_t tb_apply(void *xf, const samsa_connect_record_t *in,
                            samsa_connect_record_t *out, bool *drop)
{
    xform_t *x = xf;
    if (x->type->apply == NULL) {
        xform_fail(x, "a predicate is not a transform");
        return SAMSA_ERR_INVAL;
    }
    return x->type->apply(x, in, out, drop);
}

static void tb_release(void *xf, samsa_connect_record_t *out)
{
    (void)out;
    xform_t *x = xf;
    for (int i = 0; i < XFORM_SCRATCH; i++) {
        free(x->scratch[i]);
        x->scratch[i] = NULL;
    }
}

static samsa_err_t tb_test(void *xf, const samsa_connect_record_t *in,
                           bool *match)
{
    xform_t *x = xf;
    if (x->type->test == NULL) {
        xform_fail(x, "a transform is not a predicate");
        return SAMSA_ERR_INVAL;
    }
    return x->type->test(x, in, match);
}

#define T     "org.apache.kafka.connect.transforms."
#define KV(n) T n "$Key, " T n "$Value, " n "$Key, " n "$Value"

/* clang-format off */
static const samsa_option_t tb_options[] = {
    SAMSA_OPTION_LIST(
        "transform_classes",
        "[" KV("InsertField") ", " KV("ReplaceField") ", " KV("MaskField")
        ", " KV("ExtractField") ", " KV("HoistField")
        ", " T "ValueToKey, ValueToKey"
        ", " T "TimestampRouter, TimestampRouter"
        ", " T "RegexRouter, RegexRouter"
        ", " T "Filter, Filter"
        ", " T "predicates.TopicNameMatches, TopicNameMatches"
        ", " T "predicates.HasHeaderKey, HasHeaderKey"
        ", " T "predicates.RecordIsTombstone, RecordIsTombstone]",
        "transforms.NAME.type / predicates.NAME.type values this plugin "
        "answers to (Kafka's full and simple class names)."),
    SAMSA_OPTION_END,
};
/* clang-format on */

static const samsa_transform_ops_t tb_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_transform_ops_t),
    .apply = tb_apply,
    .release = tb_release,
    .create = tb_create,
    .test = tb_test,
    .destroy = tb_destroy,
};

static const samsa_plugin_t tb_desc = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_TRANSFORM,
    .name = "transforms-basic",
    .version = "0.1.0",
    .summary = "Kafka Connect's single-message transforms and predicates",
    .options = tb_options,
    .init = tb_init,
    .fini = tb_fini,
    .ops = &tb_ops,
};

SAMSA_PLUGIN_DECLARE(tb_desc)
