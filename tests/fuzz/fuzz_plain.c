/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the PLAIN token the sasl-plain plugin parses
 * (plugins/sasl-plain/plain_message.c), the whole input one
 * SaslAuthenticate auth_bytes. Anything may be refused; nothing may crash
 * or read out of bounds, and an accepted token's fields must lie inside
 * the input, the authcid non-empty, shorter than the limit and NUL-free.
 * libFuzzer hands over a buffer of exactly @p size bytes, so ASan catches
 * a read one byte past the end.
 */
#include <stdint.h>
#include <string.h>

#include "plain_message.h"

/* What plain.c passes: its principal buffer less "User:" and the NUL. */
#define USER_MAX 294

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    plain_message_t m;
    if (plain_parse_message(in, size, USER_MAX, &m) == SAMSA_OK) {
        const char *end = in + size;
        if (m.user_len == 0 || m.user_len >= USER_MAX || m.user < in ||
            m.user + m.user_len > end || memchr(m.user, '\0', m.user_len) ||
            m.password < m.user + m.user_len ||
            m.password + m.password_len != end) {
            __builtin_trap();
        }
    }
    return 0;
}
