/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/config_file.c - a connector config from a .properties or
 * JSON file (see config_file.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/config_file.h"

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) {
        s++;
    }
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) {
        *--e = '\0';
    }
    return s;
}

/* "key=value" lines (also "key: value"), # and ! comments. */
static samsa_err_t load_properties(const char *path, json_t **out, char *errbuf,
                                   size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
        return SAMSA_ERR_IO;
    }
    json_t *cfg = json_object();
    char line[8192];
    samsa_err_t err = cfg ? SAMSA_OK : SAMSA_ERR_NOMEM;
    while (err == SAMSA_OK && fgets(line, sizeof(line), f)) {
        char *s = trim(line);
        size_t k = strcspn(s, "=:");
        if (*s == '\0' || *s == '#' || *s == '!' || s[k] == '\0') {
            continue;
        }
        s[k] = '\0';
        if (json_object_set_new(cfg, trim(s), json_string(trim(s + k + 1)))) {
            err = SAMSA_ERR_NOMEM;
        }
    }
    fclose(f);
    if (err != SAMSA_OK) {
        json_decref(cfg);
        snprintf(errbuf, errlen, "%s: out of memory", path);
        return err;
    }
    *out = cfg;
    return SAMSA_OK;
}

/* A JSON config's values as Kafka Connect reads them: strings. */
static samsa_err_t stringify(const char *path, json_t *cfg, char *errbuf,
                             size_t errlen)
{
    const char *k;
    json_t *v;
    json_object_foreach(cfg, k, v)
    {
        if (json_is_string(v)) {
            continue;
        }
        if (!json_is_number(v) && !json_is_boolean(v)) {
            snprintf(errbuf, errlen,
                     "%s: \"%s\": a config value is a string, a number or "
                     "a boolean",
                     path, k);
            return SAMSA_ERR_CONFIG;
        }
        char *text = json_dumps(v, JSON_ENCODE_ANY);
        if (text == NULL || json_object_set_new(cfg, k, json_string(text))) {
            free(text);
            return SAMSA_ERR_NOMEM;
        }
        free(text);
    }
    return SAMSA_OK;
}

samsa_err_t samsa_connect_config_load(const char *path, json_t **config,
                                      char *errbuf, size_t errlen)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    *config = NULL;
    if (doc == NULL) {
        const char *dot = strrchr(path, '.');
        if (dot && strcmp(dot, ".json") == 0) {
            snprintf(errbuf, errlen, "%s:%d: %s", path, jerr.line, jerr.text);
            return SAMSA_ERR_CONFIG;
        }
        return load_properties(path, config, errbuf, errlen);
    }
    json_t *cfg = json_object_get(doc, "config");
    if (cfg != NULL) {
        /* The create body: the config, named by the body's "name". */
        json_t *name = json_object_get(doc, "name");
        if (!json_is_object(cfg) || (name != NULL && !json_is_string(name))) {
            snprintf(errbuf, errlen,
                     "%s: expected {\"name\": \"...\", \"config\": {...}}",
                     path);
            json_decref(doc);
            return SAMSA_ERR_CONFIG;
        }
        json_incref(cfg);
        if (name != NULL) {
            json_object_set(cfg, "name", name);
        }
        json_decref(doc);
        doc = cfg;
    } else if (!json_is_object(doc)) {
        snprintf(errbuf, errlen, "%s: expected a JSON object", path);
        json_decref(doc);
        return SAMSA_ERR_CONFIG;
    }
    samsa_err_t err = stringify(path, doc, errbuf, errlen);
    if (err != SAMSA_OK) {
        if (err == SAMSA_ERR_NOMEM) {
            snprintf(errbuf, errlen, "%s: out of memory", path);
        }
        json_decref(doc);
        return err;
    }
    *config = doc;
    return SAMSA_OK;
}
