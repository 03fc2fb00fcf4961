/* SPDX-License-Identifier: Apache-2.0 */
/* core/util/java_hash.c - see java_hash.h. */
#include "util/java_hash.h"

#include <stddef.h>

/* One code point from UTF-8 at *p (advanced); U+FFFD for a bad byte. */
static uint32_t next_code_point(const unsigned char **pp)
{
    const unsigned char *p = *pp;
    uint32_t c = p[0];
    size_t n = c < 0x80         ? 0
               : (c >> 5) == 6  ? 1
               : (c >> 4) == 14 ? 2
               : (c >> 3) == 30 ? 3
                                : 4;
    if (n == 4) {
        *pp = p + 1;
        return 0xfffd;
    }
    c = n == 0 ? c : c & (0x3fu >> n);
    for (size_t i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *pp = p + 1;
            return 0xfffd;
        }
        c = (c << 6) | (p[i] & 0x3fu);
    }
    *pp = p + n + 1;
    return c;
}

int32_t samsa_java_string_hash(const char *s)
{
    uint32_t h = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t c = next_code_point(&p);
        if (c >= 0x10000) { /* a surrogate pair in UTF-16 */
            c -= 0x10000;
            h = h * 31u + (0xd800u | (c >> 10));
            h = h * 31u + (0xdc00u | (c & 0x3ffu));
        } else {
            h = h * 31u + c;
        }
    }
    return (int32_t)h;
}

int32_t samsa_internal_partition_for(const char *key, int32_t partitions)
{
    int32_t h = samsa_java_string_hash(key);
    int32_t a = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
    return a % (partitions > 0 ? partitions : 1);
}
