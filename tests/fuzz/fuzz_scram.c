/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the SCRAM client messages the sasl-scram plugin parses
 * (plugins/sasl-scram/scram_messages.c) and its base64 decoder. Input up to
 * the first NUL is a client-first message, the rest a client-final one;
 * anything may be refused, nothing may crash, read out of bounds or leave
 * a field unterminated.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scram_messages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char msg[SCRAM_MSG_MAX];
    if (size >= sizeof(msg)) {
        return 0;
    }
    memcpy(msg, data, size);
    msg[size] = '\0';
    scram_client_first_t first;
    if (scram_parse_client_first(msg, &first)) {
        /* Fields are terminated and inside their buffers. */
        if (strlen(first.user) >= sizeof(first.user) ||
            strlen(first.nonce) >= sizeof(first.nonce) ||
            first.gs2_len > size) {
            __builtin_trap();
        }
    }
    size_t n = strlen(msg);
    if (n + 1 < size) {
        scram_client_final_t fin;
        if (scram_parse_client_final(msg + n + 1, &fin) &&
            (fin.proof_len > sizeof(fin.proof) ||
             fin.without_proof_len > size)) {
            __builtin_trap();
        }
    }
    unsigned char out[64];
    long got = scram_b64_decode(msg, n, out, sizeof(out));
    if (got > (long)sizeof(out)) {
        __builtin_trap();
    }
    return 0;
}
