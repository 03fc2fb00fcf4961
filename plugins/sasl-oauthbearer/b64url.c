/* SPDX-License-Identifier: Apache-2.0 */
/* b64url.c - see b64url.h. */
#include "b64url.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

bool b64url_decode(const char *in, size_t len, uint8_t *out, size_t *out_len)
{
    if (len % 4 == 1 || len > (size_t)1 << 28) {
        return false;
    }
    size_t padded = (len + 3) / 4 * 4;
    char *std = malloc(padded + 1);
    if (!std) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '-') {
            c = '+';
        } else if (c == '_') {
            c = '/';
        } else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                     (c >= '0' && c <= '9'))) {
            free(std);
            return false;
        }
        std[i] = c;
    }
    memset(std + len, '=', padded - len);
    /* EVP_DecodeBlock counts the padding's zero bytes: take them off. */
    int n = padded
                ? EVP_DecodeBlock(out, (const unsigned char *)std, (int)padded)
                : 0;
    free(std);
    if (n < 0) {
        return false;
    }
    *out_len = (size_t)n - (padded - len);
    return true;
}
