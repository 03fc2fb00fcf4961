/* SPDX-License-Identifier: Apache-2.0 */
/*
 * partitioner-compound: the partition key is built from several fields of
 * a JSON object (the record value by default, or the key), joined with a
 * separator, then placed with the Java hash: a record whose value has
 * {"region":"eu","user":{"id":42}} with fields [region, user.id] and
 * separator "|" goes where the Java client would put key "eu|42".
 * Missing fields fall back to the record key's hash (sticky if keyless).
 */
#include <stdio.h>
#include <string.h>

#include <samsa/partitioner.h>

#include "json_field.h"
#include "murmur2.h"
#include "topic_state.h"

#define COMPOUND_STACK 512

typedef struct compound_state {
    const samsa_services_t *svc;
    const char *const *fields; /* owned by the config until fini */
    size_t field_count;
    bool from_key;
    const char *separator;
    size_t separator_len;
    topic_state_t *topics;
    uint64_t batch_bytes;
} compound_state_t;

static const samsa_option_t compound_options[] = {
    {"fields", SAMSA_OPT_LIST, SAMSA_OPT_REQUIRED, NULL, 0, 0,
     "JSON member names whose values form the key, in order; dotted paths "
     "(user.id) reach into nested objects."},
    SAMSA_OPTION_STRING("source", "value",
                        "Where the JSON object is: value (the record value) "
                        "or key (the record key)."),
    SAMSA_OPTION_STRING("separator", "|",
                        "Put between field values when composing the key."),
    SAMSA_OPTION_INT("batch_bytes", "16384", 1, 1073741824,
                     "Fallback for keyless records without the fields: "
                     "sticky batch size, as partitioner-hash."),
    SAMSA_OPTION_END,
};

static void compound_fini(void *state)
{
    compound_state_t *st = state;
    if (st != NULL) {
        topic_state_destroy(st->topics);
        st->svc->free(st);
    }
}

static samsa_err_t read_options(const samsa_services_t *svc,
                                const samsa_config_t *cfg, compound_state_t *st,
                                char *errbuf, size_t errbuf_size)
{
    const char *source = NULL;
    int64_t batch = 0;
    samsa_err_t err =
        svc->config_list(cfg, "fields", &st->fields, &st->field_count);
    if (err == SAMSA_OK) {
        err = svc->config_string(cfg, "source", &source);
    }
    if (err == SAMSA_OK) {
        err = svc->config_string(cfg, "separator", &st->separator);
    }
    if (err == SAMSA_OK) {
        err = svc->config_int(cfg, "batch_bytes", &batch);
    }
    if (err != SAMSA_OK) {
        snprintf(errbuf, errbuf_size, "compound: options: %s",
                 svc->err_str(err));
        return err;
    }
    if (st->field_count == 0) {
        snprintf(errbuf, errbuf_size, "compound: fields is empty");
        return SAMSA_ERR_CONFIG;
    }
    for (size_t i = 0; i < st->field_count; i++) {
        size_t n = strlen(st->fields[i]);
        if (n == 0 || st->fields[i][0] == '.' || st->fields[i][n - 1] == '.' ||
            strstr(st->fields[i], "..") != NULL) {
            snprintf(errbuf, errbuf_size, "compound: bad field path \"%s\"",
                     st->fields[i]);
            return SAMSA_ERR_CONFIG;
        }
    }
    if (strcmp(source, "value") != 0 && strcmp(source, "key") != 0) {
        snprintf(errbuf, errbuf_size,
                 "compound: source is \"%s\", expected value or key", source);
        return SAMSA_ERR_CONFIG;
    }
    st->from_key = strcmp(source, "key") == 0;
    st->separator_len = strlen(st->separator);
    st->batch_bytes = (uint64_t)(batch < 1 ? 1 : batch);
    return SAMSA_OK;
}

static samsa_err_t compound_init(const samsa_services_t *svc,
                                 const samsa_instance_t *inst, void **state,
                                 char *errbuf, size_t errbuf_size)
{
    compound_state_t *st = svc->alloc(sizeof(*st));
    if (st == NULL) {
        snprintf(errbuf, errbuf_size, "compound: out of memory");
        return SAMSA_ERR_NOMEM;
    }
    memset(st, 0, sizeof(*st));
    st->svc = svc;
    samsa_err_t err = read_options(svc, inst->config, st, errbuf, errbuf_size);
    if (err == SAMSA_OK) {
        err = topic_state_create(svc, &st->topics);
        if (err != SAMSA_OK) {
            snprintf(errbuf, errbuf_size, "compound: out of memory");
        }
    }
    if (err != SAMSA_OK) {
        compound_fini(st);
        return err;
    }
    *state = st;
    return SAMSA_OK;
}

/*
 * Composes the key into @p buf (at least len + fields * separator bytes).
 * Returns false when a field is missing, null or malformed.
 */
static bool compose(const compound_state_t *st, const char *json, size_t len,
                    char *buf, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < st->field_count; i++) {
        json_value_t v;
        if (!json_find(json, len, st->fields[i], &v)) {
            return false;
        }
        if (i > 0) {
            memcpy(buf + o, st->separator, st->separator_len);
            o += st->separator_len;
        }
        size_t n = json_value_text(&v, buf + o);
        if (n == (size_t)-1) {
            return false;
        }
        o += n;
    }
    *out_len = o;
    return true;
}

/* Java hash of the composed key; false when the fields are not there. */
static samsa_err_t compound_hash(const compound_state_t *st,
                                 const samsa_partition_input_t *in, bool *found,
                                 int32_t *partition)
{
    const char *json = st->from_key ? in->key : in->value;
    size_t len = (size_t)(st->from_key ? in->key_len : in->value_len);
    *found = false;
    if (json == NULL || len == 0) {
        return SAMSA_OK;
    }
    /* Each value's text is a slice of the document and unescaping never
     * grows, so the document's length bounds every field's output. */
    size_t need =
        len * st->field_count + st->separator_len * (st->field_count - 1);
    char stack[COMPOUND_STACK];
    char *buf = need <= sizeof(stack) ? stack : st->svc->alloc(need);
    if (buf == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    size_t key_len = 0;
    if (compose(st, json, len, buf, &key_len)) {
        *found = true;
        *partition = samsa_murmur2_partition(buf, key_len, in->partition_count);
    }
    if (buf != stack) {
        st->svc->free(buf);
    }
    return SAMSA_OK;
}

static samsa_err_t compound_partition(void *state,
                                      const samsa_partition_input_t *in,
                                      int32_t *partition)
{
    compound_state_t *st = state;
    samsa_err_t err = topic_state_check_input(in);
    if (err != SAMSA_OK) {
        return err;
    }
    bool found = false;
    err = compound_hash(st, in, &found, partition);
    if (err != SAMSA_OK || found) {
        return err;
    }
    if (in->key != NULL) {
        *partition = samsa_murmur2_partition(in->key, (size_t)in->key_len,
                                             in->partition_count);
        return SAMSA_OK;
    }
    return topic_state_sticky(st->topics, in, st->batch_bytes, partition);
}

static void compound_batch_done(void *state, const char *topic,
                                int32_t partition, uint64_t bytes)
{
    compound_state_t *st = state;
    (void)bytes;
    topic_state_batch_done(st->topics, topic, partition);
}

static const samsa_partitioner_ops_t compound_ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_partitioner_ops_t),
    .partition = compound_partition,
    .batch_done = compound_batch_done,
};

static const samsa_plugin_t compound_plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_PARTITIONER,
    .name = "partitioner-compound",
    .version = "1.0.0",
    .summary = "Java hash of a key composed from JSON fields",
    .options = compound_options,
    .init = compound_init,
    .fini = compound_fini,
    .ops = &compound_ops,
};

SAMSA_PLUGIN_DECLARE(compound_plugin)
