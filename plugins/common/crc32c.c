/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/common/crc32c.c - see crc32c.h. */
#include "crc32c.h"

#include <isa-l/crc.h>

uint32_t samsa_crc32c(uint32_t crc, const void *data, size_t len)
{
    /* crc32_iscsi neither inverts its seed nor its result, and takes an
     * int length: invert around it, and feed it at most 1 GiB a call. */
    const unsigned char *p = data;
    uint32_t c = ~crc;
    while (len > 0) {
        int n = len > (size_t)1 << 30 ? 1 << 30 : (int)len;
        c = crc32_iscsi((unsigned char *)p, n, c);
        p += n;
        len -= (size_t)n;
    }
    return ~c;
}
