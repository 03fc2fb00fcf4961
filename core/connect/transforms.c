/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/transforms.c - see transforms.h. */
#include "connect/transforms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/worker_int.h"

/* Kafka Connect has no limit; a chain this long is a mistake. */
#define MAX_STEPS 32
#define ALIAS_MAX 128

typedef struct use {
    char alias[ALIAS_MAX];
    const char *type; /* borrowed from the config */
    const samsa_transform_ops_t *ops;
    void *xform;  /* create()'s, or the instance state */
    bool created; /* destroy() it */
    bool schemas; /* built against ABI minor 7+: sets the schemas */
} use_t;

typedef struct step {
    use_t t;
    int pred; /* index into preds, or -1 */
    bool negate;
} step_t;

struct samsa_connect_chain {
    size_t nsteps, npreds;
    step_t steps[MAX_STEPS];
    use_t preds[MAX_STEPS];
};

static const char *str_of(const json_t *config, const char *key)
{
    const json_t *v = json_object_get(config, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The aliases of a comma-separated list, trimmed; -1 past @p max. */
static int split_aliases(const char *list, char out[][ALIAS_MAX], int max)
{
    int n = 0;
    const char *p = list;
    while (p != NULL && *p != '\0') {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }
        const char *e = end;
        while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }
        if (e > p) {
            if (n == max || (size_t)(e - p) >= ALIAS_MAX) {
                return -1;
            }
            memcpy(out[n], p, (size_t)(e - p));
            out[n][e - p] = '\0';
            n++;
        }
        p = comma ? comma + 1 : NULL;
    }
    return n;
}

/* Create one use: prefix is "transforms." or "predicates.". */
static samsa_err_t use_create(const samsa_registry_t *reg, const json_t *config,
                              const char *prefix, const char *alias,
                              bool predicate, use_t *u, char *errbuf,
                              size_t errlen, char *errkey, size_t keylen)
{
    char key[ALIAS_MAX + 32];
    snprintf(u->alias, sizeof(u->alias), "%s", alias);
    snprintf(key, sizeof(key), "%s%s.type", prefix, alias);
    snprintf(errkey, keylen, "%s", key);
    u->type = str_of(config, key);
    if (u->type == NULL) {
        snprintf(errbuf, errlen,
                 "Missing required configuration \"%s\" which has no default "
                 "value.",
                 key);
        return SAMSA_ERR_CONFIG;
    }
    const samsa_registry_entry_t *e = NULL;
    for (size_t i = 0; i < samsa_registry_count(reg) && e == NULL; i++) {
        const samsa_registry_entry_t *c = samsa_registry_at(reg, i);
        if (c->inited && c->kind == SAMSA_KIND_TRANSFORM &&
            samsa_connect_answers_to(c, "transform_classes", u->type)) {
            e = c;
        }
    }
    if (e == NULL) {
        snprintf(errbuf, errlen,
                 "Invalid value %s for configuration %s: Class %s could not "
                 "be found.",
                 u->type, key, u->type);
        return SAMSA_ERR_CONFIG;
    }
    u->ops = e->ops;
    u->schemas = e->plugin_abi_minor >= 7;
    if (predicate && u->ops->test == NULL) {
        snprintf(errbuf, errlen,
                 "Invalid value %s for configuration %s: not a predicate",
                 u->type, key);
        return SAMSA_ERR_CONFIG;
    }
    if (u->ops->create == NULL) {
        u->xform = e->state;
        return SAMSA_OK;
    }
    /* The use's own keys, prefix removed. */
    size_t plen = (size_t)snprintf(key, sizeof(key), "%s%s.", prefix, alias);
    samsa_connect_kv_t kv[128];
    uint64_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)config, k, v)
    {
        if (n < 128 && strncmp(k, key, plen) == 0 && json_is_string(v) &&
            strcmp(k + plen, "type") != 0) {
            kv[n].key = k + plen;
            kv[n].value = json_string_value(v);
            n++;
        }
    }
    char why[400] = "";
    samsa_err_t err =
        u->ops->create(e->state, u->type, kv, n, &u->xform, why, sizeof(why));
    if (err != SAMSA_OK) {
        snprintf(errbuf, errlen, "Invalid configuration for %s%s (%s): %s",
                 prefix, alias, u->type, why[0] ? why : samsa_err_str(err));
        return SAMSA_ERR_CONFIG;
    }
    u->created = u->ops->destroy != NULL;
    return SAMSA_OK;
}

static void use_destroy(use_t *u)
{
    if (u->created) {
        u->ops->destroy(u->xform);
        u->created = false;
    }
}

void samsa_connect_chain_free(samsa_connect_chain_t *ch)
{
    if (ch == NULL) {
        return;
    }
    for (size_t i = 0; i < ch->nsteps; i++) {
        use_destroy(&ch->steps[i].t);
    }
    for (size_t i = 0; i < ch->npreds; i++) {
        use_destroy(&ch->preds[i]);
    }
    free(ch);
}

samsa_err_t samsa_connect_chain_new(const samsa_registry_t *reg,
                                    const json_t *config,
                                    samsa_connect_chain_t **out, char *errbuf,
                                    size_t errlen, char *errkey, size_t keylen)
{
    char keybuf[ALIAS_MAX + 32];
    if (errkey == NULL) {
        errkey = keybuf;
        keylen = sizeof(keybuf);
    }
    *out = NULL;
    char names[MAX_STEPS][ALIAS_MAX];
    char pnames[MAX_STEPS][ALIAS_MAX];
    const char *list = str_of(config, "transforms");
    int n = split_aliases(list, names, MAX_STEPS);
    int np = split_aliases(str_of(config, "predicates"), pnames, MAX_STEPS);
    if (n < 0 || np < 0) {
        snprintf(errkey, keylen, "%s", n < 0 ? "transforms" : "predicates");
        snprintf(errbuf, errlen, "%s: at most %d aliases of at most %d bytes",
                 errkey, MAX_STEPS, ALIAS_MAX - 1);
        return SAMSA_ERR_CONFIG;
    }
    if (n == 0 && np == 0) {
        return SAMSA_OK;
    }
    samsa_connect_chain_t *ch = calloc(1, sizeof(*ch));
    if (ch == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_err_t err = SAMSA_OK;
    for (int i = 0; err == SAMSA_OK && i < np; i++) {
        for (int j = 0; j < i; j++) {
            if (strcmp(pnames[i], pnames[j]) == 0) {
                snprintf(errkey, keylen, "predicates");
                snprintf(errbuf, errlen,
                         "Invalid value %s for configuration predicates: "
                         "Duplicate alias provided.",
                         str_of(config, "predicates"));
                err = SAMSA_ERR_CONFIG;
            }
        }
        if (err == SAMSA_OK) {
            err = use_create(reg, config, "predicates.", pnames[i], true,
                             &ch->preds[i], errbuf, errlen, errkey, keylen);
            ch->npreds = (size_t)i + (err == SAMSA_OK);
        }
    }
    for (int i = 0; err == SAMSA_OK && i < n; i++) {
        for (int j = 0; j < i; j++) {
            if (strcmp(names[i], names[j]) == 0) {
                snprintf(errkey, keylen, "transforms");
                snprintf(errbuf, errlen,
                         "Invalid value %s for configuration transforms: "
                         "Duplicate alias provided.",
                         list);
                err = SAMSA_ERR_CONFIG;
            }
        }
        step_t *s = &ch->steps[i];
        s->pred = -1;
        char key[sizeof(names) + 32]; /* (GCC bounds the alias so) */
        snprintf(key, sizeof(key), "transforms.%s.predicate", names[i]);
        const char *pred = str_of(config, key);
        for (size_t j = 0; pred && j < ch->npreds; j++) {
            if (strcmp(ch->preds[j].alias, pred) == 0) {
                s->pred = (int)j;
            }
        }
        if (err == SAMSA_OK && pred != NULL && pred[0] && s->pred < 0) {
            snprintf(errkey, keylen, "%s", key);
            snprintf(errbuf, errlen,
                     "Invalid value %s for configuration %s: there is no "
                     "predicate of that alias in predicates",
                     pred, key);
            err = SAMSA_ERR_CONFIG;
        }
        snprintf(key, sizeof(key), "transforms.%s.negate", names[i]);
        const char *neg = str_of(config, key);
        if (err == SAMSA_OK && neg != NULL && strcmp(neg, "true") != 0 &&
            strcmp(neg, "false") != 0) {
            snprintf(errkey, keylen, "%s", key);
            snprintf(errbuf, errlen,
                     "Invalid value %s for configuration %s: Expected value "
                     "to be either true or false",
                     neg, key);
            err = SAMSA_ERR_CONFIG;
        }
        s->negate = neg != NULL && strcmp(neg, "true") == 0;
        if (err == SAMSA_OK) {
            err = use_create(reg, config, "transforms.", names[i], false, &s->t,
                             errbuf, errlen, errkey, keylen);
            ch->nsteps = (size_t)i + (err == SAMSA_OK);
        }
    }
    if (err != SAMSA_OK) {
        samsa_connect_chain_free(ch);
        return err;
    }
    *out = ch;
    return SAMSA_OK;
}

samsa_err_t samsa_connect_chain_run(samsa_connect_chain_t *ch,
                                    const samsa_connect_record_t *in,
                                    samsa_connect_chain_fn fn, void *arg,
                                    bool *dropped, char *errbuf, size_t errlen)
{
    samsa_connect_record_t outs[MAX_STEPS];
    bool applied[MAX_STEPS] = {false};
    const samsa_connect_record_t *cur = in;
    samsa_err_t err = SAMSA_OK;
    bool drop = false;
    size_t i = 0;
    for (; ch != NULL && i < ch->nsteps && err == SAMSA_OK && !drop; i++) {
        step_t *s = &ch->steps[i];
        const use_t *u = &s->t;
        if (s->pred >= 0) {
            use_t *p = &ch->preds[s->pred];
            bool match = false;
            err = p->ops->test(p->xform, cur, &match);
            if (err != SAMSA_OK) {
                snprintf(errbuf, errlen, "predicates.%s (%s) failed: %s",
                         p->alias, p->type, samsa_err_str(err));
                break;
            }
            if (match == s->negate) {
                continue; /* the predicate says: not this record */
            }
        }
        outs[i] = *cur;
        applied[i] = true;
        err = u->ops->apply(u->xform, cur, &outs[i], &drop);
        if (!u->schemas) {
            /* It knows no schemas: what it changed has none now. */
            if (outs[i].key != cur->key) {
                outs[i].key_schema = NULL;
            }
            if (outs[i].value != cur->value) {
                outs[i].value_schema = NULL;
            }
        }
        if (err == SAMSA_OK && !drop) {
            cur = &outs[i];
        }
        if (err != SAMSA_OK) {
            snprintf(errbuf, errlen, "transforms.%s (%s) failed: %s", u->alias,
                     u->type, samsa_err_str(err));
        }
    }
    *dropped = drop;
    if (err == SAMSA_OK && !drop) {
        err = fn(arg, cur);
    }
    /* Released last to first: a later out may point into an earlier one. */
    while (i-- > 0) {
        if (applied[i] && ch->steps[i].t.ops->release != NULL) {
            ch->steps[i].t.ops->release(ch->steps[i].t.xform, &outs[i]);
        }
    }
    return err;
}
