/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/validate.c - see validate.h. */
#include "connect/validate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/converter.h"
#include "connect/eos.h"
#include "connect/errors.h"
#include "connect/limits.h"
#include "connect/secrets.h"
#include "connect/transforms.h"

/* The worker's keys, as Kafka Connect's ConnectorConfig defines them. */
typedef struct def {
    const char *name, *type, *dflt, *importance, *group, *doc;
    bool required, sink_only;
} def_t;

static const def_t defs[] = {
    {"name", "STRING", NULL, "HIGH", "Common",
     "Globally unique name to use for this connector.", true, false},
    {"connector.class", "STRING", NULL, "HIGH", "Common",
     "Name or alias of the class for this connector.", true, false},
    {"tasks.max", "INT", "1", "HIGH", "Common",
     "Maximum number of tasks to use for this connector.", false, false},
    {"key.converter", "CLASS", NULL, "LOW", "Common",
     "Converter class for the keys.", false, false},
    {"value.converter", "CLASS", NULL, "LOW", "Common",
     "Converter class for the values.", false, false},
    {"header.converter", "CLASS", NULL, "LOW", "Common",
     "Converter class for the header values (default "
     "SimpleHeaderConverter: as they are).",
     false, false},
    {"transforms", "LIST", "", "LOW", "Transforms",
     "Aliases for the transformations to be applied to records.", false, false},
    {"predicates", "LIST", "", "LOW", "Predicates",
     "Aliases for the predicates used by transformations.", false, false},
    {"errors.tolerance", "STRING", "none", "MEDIUM", "Error Handling",
     "none: an error fails the task; all: problematic records are skipped.",
     false, false},
    {"errors.log.enable", "BOOLEAN", "false", "MEDIUM", "Error Handling",
     "Log each error and the failed operation.", false, false},
    {"errors.deadletterqueue.topic.name", "STRING", "", "MEDIUM",
     "Error Handling", "The topic for records a sink could not process.", false,
     true},
    {"errors.deadletterqueue.context.headers.enable", "BOOLEAN", "false",
     "MEDIUM", "Error Handling",
     "Add __connect.errors.* headers with the error context.", false, true},
    {"topics", "LIST", "", "HIGH", "Common",
     "List of topics to consume, separated by commas.", false, true},
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

static const char *str_of(const json_t *config, const char *key)
{
    return json_string_value(json_object_get(config, key));
}

/* Append @p msg to the errors of @p key (created when not listed). */
static void add_error(json_t *errs, const char *key, const char *msg)
{
    json_t *l = json_object_get(errs, key);
    if (l == NULL) {
        l = json_array();
        json_object_set_new(errs, key, l);
    }
    json_array_append_new(l, json_string(msg));
}

static void check_tasks_max(const json_t *config, json_t *errs)
{
    const char *v = str_of(config, "tasks.max");
    if (v == NULL) {
        return;
    }
    char *end = NULL, msg[200];
    errno = 0;
    long n = strtol(v, &end, 10);
    if (end == v || *end != '\0' || errno != 0 || n > 2147483647L) {
        snprintf(msg, sizeof(msg),
                 "Invalid value %s for configuration tasks.max: Not a "
                 "number of type INT",
                 v);
        add_error(errs, "tasks.max", msg);
    } else if (n < 1) {
        snprintf(msg, sizeof(msg),
                 "Invalid value %ld for configuration tasks.max: Value "
                 "must be at least 1",
                 n);
        add_error(errs, "tasks.max", msg);
    }
}

/* Every error of @p config, key -> [messages]. */
static json_t *collect_errors(const samsa_connect_t *w,
                              const samsa_registry_entry_t *plugin,
                              const json_t *config)
{
    json_t *errs = json_object();
    char msg[600], key[400];
    for (size_t i = 0; i < NDEFS; i++) {
        const char *v = str_of(config, defs[i].name);
        if (defs[i].required && (v == NULL || v[0] == '\0')) {
            snprintf(msg, sizeof(msg),
                     "Missing required configuration \"%s\" which has no "
                     "default value.",
                     defs[i].name);
            add_error(errs, defs[i].name, msg);
        }
    }
    check_tasks_max(config, errs);
    samsa_converter_t conv;
    const char *which[] = {"key", "value", "header"};
    for (int i = 0; i < 3; i++) {
        if (samsa_converter_from_config(config, which[i], &conv, msg,
                                        sizeof(msg)) != SAMSA_OK) {
            snprintf(key, sizeof(key), "%s.converter", which[i]);
            add_error(errs, key, msg);
        }
    }
    samsa_connect_errors_t e;
    if (samsa_connect_errors_from_config(config, &e, msg, sizeof(msg)) !=
        SAMSA_OK) {
        add_error(errs, "errors.tolerance", msg);
    }
    samsa_connect_limits_t lim;
    if (samsa_connect_limits_from_config(config, 1, NULL, &lim, msg,
                                         sizeof(msg)) != SAMSA_OK) {
        /* The message opens with the key. */
        snprintf(key, sizeof(key), "%.*s", (int)strcspn(msg, " "), msg);
        add_error(errs, key, msg);
    }
    if (plugin->kind == SAMSA_KIND_SINK) {
        const char *topics = str_of(config, "topics");
        if (str_of(config, "topics.regex") != NULL) {
            add_error(errs, "topics.regex",
                      "topics.regex is not supported by this worker; list "
                      "the topics in topics");
        } else if (topics == NULL || strspn(topics, " ,") == strlen(topics)) {
            add_error(errs, "topics",
                      "Must configure one of topics or topics.regex");
        }
    }
    samsa_connect_eos_validate(w->eos, plugin, config, errs, add_error);
    samsa_connect_chain_t *chain = NULL;
    msg[0] = key[0] = '\0';
    samsa_err_t err = samsa_connect_chain_new(w->reg, config, &chain, msg,
                                              sizeof(msg), key, sizeof(key));
    samsa_connect_chain_free(chain);
    if (err != SAMSA_OK) {
        add_error(errs, key[0] ? key : "transforms",
                  msg[0] ? msg : samsa_err_str(err));
    }
    return errs;
}

static json_t *config_info(const def_t *d, const char *name, int order,
                           const json_t *config, json_t *errs)
{
    json_t *e = json_object_get(errs, name);
    const char *v = str_of(config, name); /* config is redacted */
    json_t *def =
        json_pack("{s:s,s:s,s:b,s:s?,s:s,s:s,s:s,s:s,s:s,s:[],s:i}", "name",
                  name, "type", d ? d->type : "STRING", "required",
                  d ? d->required : 0, "default_value", d ? d->dflt : NULL,
                  "importance", d ? d->importance : "LOW", "documentation",
                  d ? d->doc : "", "group", d ? d->group : "Other", "width",
                  "NONE", "display_name", name, "dependents", "order", order);
    json_t *val = json_pack("{s:s,s:s?,s:[],s:o,s:b}", "name", name, "value", v,
                            "recommended_values", "errors",
                            e ? json_incref(e) : json_array(), "visible", 1);
    return json_pack("{s:o,s:o}", "definition", def, "value", val);
}

json_t *samsa_connect_validate(const samsa_connect_t *w,
                               const samsa_registry_entry_t *plugin,
                               const json_t *config, int *errors)
{
    json_t *errs = collect_errors(w, plugin, config);
    json_t *shown = samsa_connect_redact(config);
    json_t *configs = json_array();
    int order = 1;
    *errors = 0;
    for (size_t i = 0; i < NDEFS; i++) {
        if (defs[i].sink_only && plugin->kind != SAMSA_KIND_SINK) {
            continue;
        }
        json_array_append_new(
            configs, config_info(&defs[i], defs[i].name, order++, shown, errs));
    }
    /* Errors on keys outside the table (transforms.A.type, ...). */
    const char *k;
    json_t *l;
    json_object_foreach(errs, k, l)
    {
        *errors += (int)json_array_size(l);
        bool listed = false;
        for (size_t i = 0; i < NDEFS; i++) {
            listed = listed ||
                     (strcmp(defs[i].name, k) == 0 &&
                      (!defs[i].sink_only || plugin->kind == SAMSA_KIND_SINK));
        }
        if (!listed) {
            json_array_append_new(configs,
                                  config_info(NULL, k, order++, shown, errs));
        }
    }
    json_t *out = json_pack("{s:s,s:i,s:[s,s,s,s],s:o}", "name",
                            samsa_connect_class_name(plugin), "error_count",
                            *errors, "groups", "Common", "Transforms",
                            "Predicates", "Error Handling", "configs", configs);
    json_decref(errs);
    json_decref(shown);
    return out;
}

void samsa_connect_validate_message(const json_t *infos, char *buf, size_t len)
{
    int n = (int)json_integer_value(json_object_get(infos, "error_count"));
    size_t w = (size_t)snprintf(buf, len,
                                "Connector configuration is invalid and "
                                "contains the following %d error(s):",
                                n);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(infos, "configs"), i, c)
    {
        size_t j;
        json_t *e;
        json_array_foreach(
            json_object_get(json_object_get(c, "value"), "errors"), j, e)
        {
            if (w < len) {
                w += (size_t)snprintf(buf + w, len - w, "\n%s",
                                      json_string_value(e));
            }
        }
    }
    if (w < len) {
        snprintf(buf + w, len - w,
                 "\nYou can also find the above list of errors at the "
                 "endpoint `/connector-plugins/{connectorType}/config/"
                 "validate`");
    }
}
