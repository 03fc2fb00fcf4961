/* SPDX-License-Identifier: Apache-2.0 */
/* client_first.c - see client_first.h. */
#include "client_first.h"

#include <string.h>
#include <strings.h>

#define SEP '\x01'

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool value_char(char c)
{
    return (c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t' || c == '\r' ||
           c == '\n';
}

static bool token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* "Bearer <token>": Kafka's AUTH_PATTERN, scheme compared as written. */
static bool parse_auth(const char *v, size_t n, oauth_client_first_t *out)
{
    if (n < 7 || strncasecmp(v, "Bearer", 6) != 0 || v[6] != ' ') {
        return false;
    }
    size_t i = 6;
    while (i < n && v[i] == ' ') {
        i++;
    }
    if (i == n) {
        return false;
    }
    for (size_t j = i; j < n; j++) {
        if (!token_char(v[j])) {
            return false;
        }
    }
    out->token = v + i;
    out->token_len = n - i;
    return true;
}

bool oauth_client_first_parse(const char *msg, size_t len,
                              oauth_client_first_t *out)
{
    memset(out, 0, sizeof(*out));
    const char *p = msg, *end = msg + len;
    if (len < 3 || p[0] != 'n' || p[1] != ',') {
        return false;
    }
    p += 2;
    if (end - p >= 2 && p[0] == 'a' && p[1] == '=') {
        p += 2;
        const char *comma = memchr(p, ',', (size_t)(end - p));
        if (!comma || comma == p) {
            return false;
        }
        out->authzid = p;
        out->authzid_len = (size_t)(comma - p);
        p = comma;
    }
    if (p == end || *p++ != ',' || p == end || *p++ != SEP) {
        return false;
    }
    bool have_auth = false;
    while (p < end && *p != SEP) {
        const char *key = p;
        while (p < end && key_char(*p)) {
            p++;
        }
        size_t key_len = (size_t)(p - key);
        if (key_len == 0 || p == end || *p++ != '=') {
            return false;
        }
        const char *val = p;
        while (p < end && value_char(*p)) {
            p++;
        }
        size_t val_len = (size_t)(p - val);
        if (val_len == 0 || p == end || *p++ != SEP) {
            return false;
        }
        if (key_len == 4 && memcmp(key, "auth", 4) == 0) {
            if (have_auth || !parse_auth(val, val_len, out)) {
                return false;
            }
            have_auth = true;
        }
    }
    /* The closing separator ends the message. */
    return have_auth && p < end && *p == SEP && p + 1 == end;
}
