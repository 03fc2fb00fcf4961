/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: a request frame through samsa_request_parse, the
 * function the broker's pipeline (core/broker/request.c) calls: header,
 * served-version check, body decode. It serves every version Kafka
 * defines, a superset of any broker's dispatch table.
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
#include "protocol/request.h"

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

static bool serves_all(int16_t api_key, int16_t api_version)
{
    return samsa_api_version_valid(api_key, api_version);
}

static void check_canonical(int16_t key, int16_t ver, const void *body,
                            samsa_arena_t *arena)
{
    size_t len1, len2;
    uint8_t *b1 = encode_flat(key, ver, body, &len1);
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, b1, len1);
    void *again;
    if (samsa_request_decode(key, ver, &rb, arena, &again) != SAMSA_OK ||
        samsa_rbuf_left(&rb) != 0) {
        abort(); /* cannot read back our own output */
    }
    uint8_t *b2 = encode_flat(key, ver, again, &len2);
    if (len1 != len2 || memcmp(b1, b2, len1) != 0) {
        abort(); /* encoding is not canonical */
    }
    free(b1);
    free(b2);
}

/* Bodies of every (key, version), whatever the header says. */
static void decode_body(int16_t key, int16_t ver, const uint8_t *p, size_t n,
                        samsa_arena_t *arena)
{
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, p, n);
    void *body;
    if (samsa_request_decode(key, ver, &rb, arena, &body) == SAMSA_OK) {
        check_canonical(key, ver, body, arena);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    arena.limit = 64u << 20; /* a garbage count must never get near this */

    samsa_req_header_t h;
    void *body;
    samsa_err_t err;
    samsa_request_verdict_t v =
        samsa_request_parse(data, size, serves_all, &arena, &h, &body, &err);
    if (v == SAMSA_REQUEST_OK) {
        check_canonical(h.api_key, h.api_version, body, &arena);
    } else if (v != SAMSA_REQUEST_BAD_BODY && size >= 2) {
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
