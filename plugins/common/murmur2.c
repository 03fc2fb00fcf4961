/* SPDX-License-Identifier: Apache-2.0 */
#include "murmur2.h"

uint32_t samsa_murmur2(const void *key, size_t len)
{
    const uint32_t seed = 0x9747b28cu;
    const uint32_t m = 0x5bd1e995u;
    const int r = 24;
    const unsigned char *data = key;
    /* Java takes the length as an int; keys are far below 2 GiB. */
    uint32_t h = seed ^ (uint32_t)len;
    size_t blocks = len / 4;
    for (size_t i = 0; i < blocks; i++) {
        const unsigned char *b = data + i * 4;
        uint32_t k = (uint32_t)b[0] | ((uint32_t)b[1] << 8) |
                     ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const unsigned char *tail = data + blocks * 4;
    switch (len % 4) {
    case 3:
        h ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        h ^= (uint32_t)tail[0];
        h *= m;
        break;
    default:
        break;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return h;
}

int32_t samsa_murmur2_partition(const void *key, size_t len, int32_t count)
{
    return (int32_t)((samsa_murmur2(key, len) & 0x7fffffffu) % (uint32_t)count);
}
