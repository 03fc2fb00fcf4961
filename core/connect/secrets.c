/* SPDX-License-Identifier: Apache-2.0 */
/* core/connect/secrets.c - see secrets.h. */
#define _GNU_SOURCE /* strcasestr */
#include "connect/secrets.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Values shorter than this are not scrubbed from text: "1" or "on" would
 * blot out half a message and reveal nothing worth hiding. */
#define SCRUB_MIN 4
/* A properties or secret file larger than this is refused. */
#define FILE_MAX (1 << 20)

samsa_err_t samsa_connect_provider_enable(samsa_connect_providers_t *p,
                                          const char *name, char *errbuf,
                                          size_t errlen)
{
    if (strcmp(name, "file") == 0) {
        p->file = true;
    } else if (strcmp(name, "dir") == 0) {
        p->dir = true;
    } else if (strcmp(name, "env") == 0) {
        p->env = true;
    } else {
        snprintf(errbuf, errlen,
                 "config_providers: unknown provider %s (file, dir and env "
                 "are available)",
                 name);
        return SAMSA_ERR_CONFIG;
    }
    return SAMSA_OK;
}

bool samsa_connect_sensitive(const char *key)
{
    return strcasestr(key, "password") != NULL ||
           strcasestr(key, "secret") != NULL;
}

/* A whole file, NUL-terminated; NULL if unreadable or too large. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *buf = malloc(FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, FILE_MAX + 1, f) : 0;
    bool bad = buf == NULL || ferror(f) || n > FILE_MAX;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* The value of @p key in Java properties text (key=value or key: value,
 * # and ! comments), or NULL. malloc'd. */
static char *property(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        const char *stop = end ? end : line + strlen(line);
        while (line < stop && isspace((unsigned char)*line)) {
            line++;
        }
        if (line < stop && *line != '#' && *line != '!' &&
            (size_t)(stop - line) > klen && strncmp(line, key, klen) == 0) {
            const char *p = line + klen;
            while (p < stop && (*p == ' ' || *p == '\t')) {
                p++;
            }
            if (p < stop && (*p == '=' || *p == ':')) {
                p++;
                while (p < stop && (*p == ' ' || *p == '\t')) {
                    p++;
                }
                const char *e = stop;
                while (e > p && (e[-1] == '\r' || e[-1] == ' ')) {
                    e--;
                }
                return strndup(p, (size_t)(e - p));
            }
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

/* The value of one reference, or NULL (leave it as written). *err set for
 * an unreadable file. */
static char *lookup(const samsa_connect_providers_t *p, const char *provider,
                    const char *path, const char *key, samsa_err_t *err)
{
    if (strcmp(provider, "env") == 0 && p->env) {
        const char *v = getenv(key);
        return v ? strdup(v) : NULL;
    }
    if ((strcmp(provider, "file") == 0 && p->file) ||
        (strcmp(provider, "dir") == 0 && p->dir)) {
        char full[4200];
        bool dir = provider[0] == 'd';
        if (dir) {
            if (strchr(key, '/') != NULL) {
                *err = SAMSA_ERR_CONFIG; /* no way out of the directory */
                return NULL;
            }
            snprintf(full, sizeof(full), "%s/%s", path, key);
        }
        char *text = slurp(dir ? full : path);
        if (text == NULL) {
            *err = SAMSA_ERR_CONFIG;
            return NULL;
        }
        char *v = dir ? text : property(text, key);
        if (!dir) {
            free(text);
        }
        return v;
    }
    return NULL;
}

/* Resolve the references in one value: ${provider:path:key} or
 * ${provider:key}. malloc'd result. */
static char *resolve_value(const samsa_connect_providers_t *p, const char *in,
                           json_t *secrets, samsa_err_t *err)
{
    size_t cap = strlen(in) + 1, len = 0;
    char *out = malloc(cap);
    const char *s = in;
    while (out != NULL && *s != '\0') {
        const char *open = strstr(s, "${");
        const char *close = open ? strchr(open, '}') : NULL;
        const char *piece = close ? open : s + strlen(s);
        char *value = NULL;
        if (close != NULL) {
            char ref[4200];
            snprintf(ref, sizeof(ref), "%.*s", (int)(close - open - 2),
                     open + 2);
            char *c1 = strchr(ref, ':');
            char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            if (c1 != NULL) {
                *c1 = '\0';
                if (c2 != NULL) {
                    *c2 = '\0';
                }
                value =
                    lookup(p, ref, c2 ? c1 + 1 : "", c2 ? c2 + 1 : c1 + 1, err);
            }
        }
        /* The text before the reference, then its value or itself. */
        size_t plain = (size_t)(piece - s);
        const char *add = value ? value : piece;
        size_t addlen = value   ? strlen(value)
                        : close ? (size_t)(close + 1 - piece)
                                : 0;
        if (len + plain + addlen + 1 > cap) {
            cap = (len + plain + addlen + 1) * 2;
            char *n = realloc(out, cap);
            if (n == NULL) {
                free(out);
                free(value);
                return NULL;
            }
            out = n;
        }
        memcpy(out + len, s, plain);
        memcpy(out + len + plain, add, addlen);
        len += plain + addlen;
        if (value != NULL) {
            json_array_append_new(secrets, json_string(value));
        }
        free(value);
        s = close ? close + 1 : piece;
    }
    if (out != NULL) {
        out[len] = '\0';
    }
    return out;
}

samsa_err_t samsa_connect_resolve(const samsa_connect_providers_t *p,
                                  const json_t *config, json_t **out,
                                  json_t **secrets, char *errbuf, size_t errlen)
{
    *out = json_object();
    json_t *found = json_array();
    samsa_err_t err = *out && found ? SAMSA_OK : SAMSA_ERR_NOMEM;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)config, k, v)
    {
        if (err != SAMSA_OK) {
            break;
        }
        const char *text = json_string_value(v);
        if (text == NULL || strstr(text, "${") == NULL) {
            json_object_set(*out, k, v);
            continue;
        }
        char *r = resolve_value(p, text, found, &err);
        if (err == SAMSA_ERR_CONFIG) {
            snprintf(errbuf, errlen,
                     "cannot resolve the config provider reference in %s "
                     "(a file that cannot be read)",
                     k);
        } else if (r == NULL) {
            err = SAMSA_ERR_NOMEM;
        } else {
            json_object_set_new(*out, k, json_string(r));
        }
        free(r);
    }
    if (err != SAMSA_OK) {
        json_decref(*out);
        json_decref(found);
        *out = NULL;
        found = NULL;
    }
    if (secrets != NULL) {
        *secrets = found;
    } else {
        json_decref(found);
    }
    return err;
}

/* A value that is only a reference is safe to show. */
static bool is_reference(const char *v)
{
    size_t n = strlen(v);
    return n > 3 && strncmp(v, "${", 2) == 0 && v[n - 1] == '}' &&
           strchr(v + 2, '}') == v + n - 1;
}

json_t *samsa_connect_redact(const json_t *config)
{
    json_t *out = json_deep_copy(config);
    const char *k;
    json_t *v;
    json_object_foreach(out, k, v)
    {
        const char *text = json_string_value(v);
        if (text && samsa_connect_sensitive(k) && !is_reference(text)) {
            json_string_set(v, SAMSA_CONNECT_HIDDEN);
        }
    }
    return out;
}

void samsa_connect_unredact(json_t *config, const json_t *old)
{
    const char *k;
    json_t *v;
    json_object_foreach(config, k, v)
    {
        const json_t *was = json_object_get(old, k);
        if (samsa_connect_sensitive(k) && was != NULL && json_is_string(v) &&
            strcmp(json_string_value(v), SAMSA_CONNECT_HIDDEN) == 0) {
            json_string_set(v, json_string_value(was));
        }
    }
}

void samsa_connect_scrub(char *text, size_t cap, const json_t *secrets)
{
    size_t i;
    json_t *s;
    const size_t hl = strlen(SAMSA_CONNECT_HIDDEN);
    json_array_foreach(secrets, i, s)
    {
        const char *v = json_string_value(s);
        size_t vl = v ? strlen(v) : 0;
        if (vl < SCRUB_MIN) {
            continue;
        }
        for (char *at = strstr(text, v); at != NULL; at = strstr(at, v)) {
            if ((size_t)(at - text) + hl + 1 > cap) {
                *at = '\0'; /* no room for the mark: cut the text there */
                break;
            }
            size_t tail = strlen(at + vl);
            if ((size_t)(at - text) + hl + tail + 1 > cap) {
                tail = cap - (size_t)(at - text) - hl - 1; /* cut */
            }
            memmove(at + hl, at + vl, tail);
            at[hl + tail] = '\0';
            memcpy(at, SAMSA_CONNECT_HIDDEN, hl);
            at += hl;
        }
    }
}
