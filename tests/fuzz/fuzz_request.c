/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: decode a request frame (header + body) for any API key
 * and version, as the broker's request pipeline does.
 *
 * Input layout: a raw request frame without the 4-byte size prefix. To let
 * the fuzzer reach every (key, version) even when the header names an
 * unknown one, a frame whose header is not decodable is re-tried with the
 * first two bytes picking the key and version (mod the table).
 * Every successful decode is re-encoded; that output must decode and
 * re-encode to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/generated/messages.h"
#include "protocol/header.h"

/* Encode, then check that our own output is canonical: it decodes and
 * re-encodes to the same bytes. (The input itself need not round-trip:
 * unknown tags are dropped and over-long varints are normalised.) */
static uint8_t *encode_flat(int16_t key, int16_t ver, const void *body,
                            size_t *len)
{
    samsa_iobuf_t io;
    samsa_iobuf_init(&io);
    uint8_t *out = NULL;
    if (samsa_request_encode(key, ver, &io, body) != SAMSA_OK ||
        samsa_iobuf_flatten(&io, &out, len) != SAMSA_OK) {
        abort(); /* decoded something we cannot encode */
    }
    samsa_iobuf_clear(&io);
    return out;
}

static void decode_body(int16_t key, int16_t ver, const uint8_t *p, size_t n,
                        samsa_arena_t *arena)
{
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, p, n);
    void *body;
    if (samsa_request_decode(key, ver, &rb, arena, &body) != SAMSA_OK) {
        return;
    }
    size_t len1, len2;
    uint8_t *b1 = encode_flat(key, ver, body, &len1);
    samsa_rbuf_init(&rb, b1, len1);
    if (samsa_request_decode(key, ver, &rb, arena, &body) != SAMSA_OK ||
        samsa_rbuf_left(&rb) != 0) {
        abort(); /* cannot read back our own output */
    }
    uint8_t *b2 = encode_flat(key, ver, body, &len2);
    if (len1 != len2 || memcmp(b1, b2, len1) != 0) {
        abort(); /* encoding is not canonical */
    }
    free(b1);
    free(b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    arena.limit = 64u << 20; /* a garbage count must never get near this */

    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, data, size);
    samsa_req_header_t h;
    if (samsa_req_header_parse(&rb, &h) == SAMSA_OK && h.version_supported) {
        decode_body(h.api_key, h.api_version, rb.p, samsa_rbuf_left(&rb),
                    &arena);
    } else if (size >= 2) {
        const samsa_api_info_t *api =
            &samsa_api_table[data[0] % SAMSA_API_COUNT];
        int span = api->max_version - api->min_version + 1;
        int16_t ver = (int16_t)(api->min_version + data[1] % span);
        samsa_arena_reset(&arena);
        decode_body(api->api_key, ver, data + 2, size - 2, &arena);
    }
    samsa_arena_destroy(&arena);
    return 0;
}
