/* SPDX-License-Identifier: Apache-2.0 */
#include "json_field.h"

#include <string.h>

typedef struct jp {
    const char *p;
    const char *end;
} jp_t;

static void skip_ws(jp_t *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
                               *jp->p == '\n' || *jp->p == '\r')) {
        jp->p++;
    }
}

/* At the opening quote: moves past the closing one; body in *s / *n. */
static bool scan_string(jp_t *jp, const char **s, size_t *n)
{
    if (jp->p >= jp->end || *jp->p != '"') {
        return false;
    }
    const char *start = ++jp->p;
    while (jp->p < jp->end) {
        char c = *jp->p;
        if (c == '"') {
            *s = start;
            *n = (size_t)(jp->p - start);
            jp->p++;
            return true;
        }
        if ((unsigned char)c < 0x20 || (c == '\\' && jp->end - jp->p < 2)) {
            return false;
        }
        jp->p += c == '\\' ? 2 : 1;
    }
    return false;
}

static bool is_scalar_char(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' ||
           c == '+' || c == '.' || c == 'E';
}

static bool skip_value(jp_t *jp, int depth);

/* Skips the members or elements of an object/array (at its opener). */
static bool skip_container(jp_t *jp, int depth)
{
    char close = *jp->p == '{' ? '}' : ']';
    bool object = close == '}';
    jp->p++;
    skip_ws(jp);
    if (jp->p < jp->end && *jp->p == close) {
        jp->p++;
        return true;
    }
    for (;;) {
        const char *s;
        size_t n;
        skip_ws(jp);
        if (object) {
            if (!scan_string(jp, &s, &n)) {
                return false;
            }
            skip_ws(jp);
            if (jp->p >= jp->end || *jp->p++ != ':') {
                return false;
            }
        }
        if (!skip_value(jp, depth + 1)) {
            return false;
        }
        skip_ws(jp);
        if (jp->p >= jp->end) {
            return false;
        }
        char c = *jp->p++;
        if (c == close) {
            return true;
        }
        if (c != ',') {
            return false;
        }
    }
}

static bool skip_value(jp_t *jp, int depth)
{
    if (depth > JSON_MAX_DEPTH) {
        return false;
    }
    skip_ws(jp);
    if (jp->p >= jp->end) {
        return false;
    }
    const char *s;
    size_t n;
    switch (*jp->p) {
    case '"':
        return scan_string(jp, &s, &n);
    case '{':
    case '[':
        return skip_container(jp, depth);
    default:
        if (!is_scalar_char(*jp->p)) {
            return false;
        }
        while (jp->p < jp->end && is_scalar_char(*jp->p)) {
            jp->p++;
        }
        return true;
    }
}

static unsigned hex4(const char *p)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v |= (unsigned)(c - 'A' + 10);
        } else {
            return 0x110000; /* invalid marker */
        }
    }
    return v;
}

static size_t put_utf8(unsigned cp, char *dst)
{
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xc0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xe0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        dst[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    dst[0] = (char)(0xf0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    dst[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* One \uXXXX escape (with its low surrogate when paired) at s[i] == 'u'. */
static bool unescape_u(const char *s, size_t len, size_t *i, char *dst,
                       size_t *o)
{
    if (*i + 4 >= len) {
        return false;
    }
    unsigned cp = hex4(s + *i + 1);
    *i += 4;
    if (cp >= 0xd800 && cp < 0xdc00 && *i + 6 < len && s[*i + 1] == '\\' &&
        s[*i + 2] == 'u') {
        unsigned lo = hex4(s + *i + 3);
        if (lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            *i += 6;
        }
    }
    if (cp > 0x10ffff) {
        return false;
    }
    *o += put_utf8(cp, dst + *o);
    return true;
}

size_t json_value_text(const json_value_t *value, char *dst)
{
    const char *s = value->start;
    size_t len = value->len;
    if (!value->is_string) {
        memcpy(dst, s, len);
        return len;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\\') {
            dst[o++] = s[i];
            continue;
        }
        if (++i >= len) {
            return (size_t)-1;
        }
        static const char from[] = "\"\\/bfnrt";
        static const char to[] = "\"\\/\b\f\n\r\t";
        const char *hit = strchr(from, s[i]);
        if (hit != NULL && s[i] != '\0') {
            dst[o++] = to[hit - from];
        } else if (s[i] != 'u' || !unescape_u(s, len, &i, dst, &o)) {
            return (size_t)-1;
        }
    }
    return o;
}

/* Compares a raw (possibly escaped) member name with a path segment. */
static bool name_equals(const char *raw, size_t raw_len, const char *seg,
                        size_t seg_len)
{
    if (memchr(raw, '\\', raw_len) == NULL) {
        return raw_len == seg_len && memcmp(raw, seg, seg_len) == 0;
    }
    char buf[256];
    if (raw_len > sizeof(buf)) {
        return false;
    }
    json_value_t v = {raw, raw_len, true};
    size_t n = json_value_text(&v, buf);
    return n == seg_len && memcmp(buf, seg, seg_len) == 0;
}

/* In the object at jp->p, finds member @p seg; leaves jp at its value. */
static bool find_member(jp_t *jp, const char *seg, size_t seg_len, int depth)
{
    skip_ws(jp);
    if (jp->p >= jp->end || *jp->p != '{') {
        return false;
    }
    jp->p++;
    skip_ws(jp);
    if (jp->p < jp->end && *jp->p == '}') {
        return false;
    }
    for (;;) {
        const char *name;
        size_t name_len;
        skip_ws(jp);
        if (!scan_string(jp, &name, &name_len)) {
            return false;
        }
        skip_ws(jp);
        if (jp->p >= jp->end || *jp->p++ != ':') {
            return false;
        }
        skip_ws(jp);
        if (name_equals(name, name_len, seg, seg_len)) {
            return true;
        }
        if (!skip_value(jp, depth + 1)) {
            return false;
        }
        skip_ws(jp);
        if (jp->p >= jp->end || *jp->p != ',') {
            return false; /* '}' (not found) or malformed */
        }
        jp->p++;
    }
}

bool json_find(const char *json, size_t len, const char *path,
               json_value_t *out)
{
    jp_t jp = {json, json + len};
    int depth = 0;
    const char *seg = path;
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t seg_len = dot != NULL ? (size_t)(dot - seg) : strlen(seg);
        if (depth >= JSON_MAX_DEPTH || !find_member(&jp, seg, seg_len, depth)) {
            return false;
        }
        depth++;
        if (dot == NULL) {
            break;
        }
        seg = dot + 1;
    }
    const char *start = jp.p;
    if (!skip_value(&jp, depth)) {
        return false;
    }
    /* The value must be followed by its object's next member or end, so a
     * document cut inside a number is not read as a shorter number. */
    const char *after = jp.p;
    skip_ws(&jp);
    if (jp.p >= jp.end || (*jp.p != ',' && *jp.p != '}')) {
        return false;
    }
    jp.p = after;
    if (*start == '"') {
        out->start = start + 1;
        out->len = (size_t)(jp.p - start) - 2;
        out->is_string = true;
    } else {
        out->start = start;
        out->len = (size_t)(jp.p - start);
        out->is_string = false;
        if (out->len == 4 && memcmp(start, "null", 4) == 0) {
            return false;
        }
    }
    return true;
}
