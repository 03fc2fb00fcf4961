/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Malformed input never crashes and never allocates much: truncation at
 * every byte, huge array counts, bad lengths and varints, corrupted bytes.
 * Also the primitive layer (varints, arena, writer with encode_ext). Run
 * under ASan (-DSAMSA_SANITIZE=ON) for the "never reads out of bounds"
 * half of the claim.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto_testutil.h"
#include "protocol/header.h"

static void every_truncation_of_every_message_fails_cleanly(void **st)
{
    (void)st;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    long cases = 0;
    for (int i = 0; i < SAMSA_MSG_DESC_COUNT; i++) {
        const samsa_msg_desc_t *d = samsa_msg_descs[i];
        for (int16_t v = d->vmin; v <= d->vmax; v++) {
            for (uint32_t seed = 1; seed <= 3; seed++) {
                void *msg = samsa_arena_alloc(&arena, d->body->size);
                proto_testfill(d, v, &arena, seed, msg);
                size_t len;
                samsa_err_t err;
                uint8_t *b = proto_encode_flat(d, v, msg, &len, &err);
                assert_int_equal(err, SAMSA_OK);
                for (size_t cut = 0; cut < len; cut++) {
                    /* A copy of exactly `cut` bytes so ASan sees any
                     * read past the end. */
                    uint8_t *t = malloc(cut ? cut : 1);
                    memcpy(t, b, cut);
                    samsa_rbuf_t rb;
                    samsa_rbuf_init(&rb, t, cut);
                    void *out = samsa_arena_alloc(&arena, d->body->size);
                    err = samsa_msg_decode(d, &rb, v, &arena, out);
                    if (err == SAMSA_OK) {
                        fail_msg("%s v%d: prefix %zu of %zu decoded", d->name,
                                 v, cut, len);
                    }
                    free(t);
                    cases++;
                }
                free(b);
                samsa_arena_reset(&arena);
            }
        }
    }
    samsa_arena_destroy(&arena);
    assert_true(cases > 10000);
}

static void corrupted_bytes_never_crash(void **st)
{
    (void)st;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    static const uint8_t patterns[] = {0xff, 0x80, 0x7f, 0x00, 0x01};
    for (int i = 0; i < SAMSA_MSG_DESC_COUNT; i++) {
        const samsa_msg_desc_t *d = samsa_msg_descs[i];
        for (int16_t v = d->vmin; v <= d->vmax; v++) {
            void *msg = samsa_arena_alloc(&arena, d->body->size);
            proto_testfill(d, v, &arena, 7, msg);
            size_t len;
            samsa_err_t err;
            uint8_t *b = proto_encode_flat(d, v, msg, &len, &err);
            assert_int_equal(err, SAMSA_OK);
            uint8_t *t = malloc(len ? len : 1);
            for (size_t pos = 0; pos < len; pos++) {
                for (size_t k = 0; k < sizeof(patterns); k++) {
                    memcpy(t, b, len);
                    t[pos] = patterns[k];
                    samsa_rbuf_t rb;
                    samsa_rbuf_init(&rb, t, len);
                    void *out = samsa_arena_alloc(&arena, d->body->size);
                    err = samsa_msg_decode(d, &rb, v, &arena, out);
                    assert_true(err == SAMSA_OK || err == SAMSA_ERR_PROTOCOL);
                    assert_true(rb.p >= t && rb.p <= t + len);
                }
                samsa_arena_reset(&arena);
            }
            free(t);
            free(b);
        }
    }
    samsa_arena_destroy(&arena);
}

static void huge_array_counts_fail_fast_without_allocating(void **st)
{
    (void)st;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    arena.limit = 1 << 16;
    samsa_MetadataRequest_t req;
    samsa_rbuf_t rb;

    /* Metadata v1: Topics int32 count 0x7fffffff, then a few bytes. */
    static const uint8_t v1[] = {0x7f, 0xff, 0xff, 0xff, 0x00, 0x01, 'a'};
    samsa_rbuf_init(&rb, v1, sizeof(v1));
    assert_int_equal(samsa_MetadataRequest_decode(&rb, 1, &arena, &req),
                     SAMSA_ERR_PROTOCOL);
    /* Count -2: invalid; -1 is null, allowed from v1 only. */
    static const uint8_t neg[] = {0xff, 0xff, 0xff, 0xfe};
    samsa_rbuf_init(&rb, neg, sizeof(neg));
    assert_int_equal(samsa_MetadataRequest_decode(&rb, 1, &arena, &req),
                     SAMSA_ERR_PROTOCOL);
    static const uint8_t null_arr[] = {0xff, 0xff, 0xff, 0xff};
    samsa_rbuf_init(&rb, null_arr, sizeof(null_arr));
    assert_int_equal(samsa_MetadataRequest_decode(&rb, 0, &arena, &req),
                     SAMSA_ERR_PROTOCOL);
    samsa_rbuf_init(&rb, null_arr, sizeof(null_arr));
    assert_int_equal(samsa_MetadataRequest_decode(&rb, 1, &arena, &req),
                     SAMSA_OK);
    assert_int_equal(req.Topics.count, -1);

    /* Metadata v9: compact count 0xfffffffe (uvarint ff ff ff ff 0f). */
    static const uint8_t v9[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x00};
    samsa_rbuf_init(&rb, v9, sizeof(v9));
    assert_int_equal(samsa_MetadataRequest_decode(&rb, 9, &arena, &req),
                     SAMSA_ERR_PROTOCOL);

    /* Fetch v4 int32 arrays of int64-size elements: count must fit. */
    static const uint8_t i32arr[] = {0x00, 0x00, 0x10, 0x00, 0, 0, 0, 0};
    samsa_rbuf_init(&rb, i32arr, sizeof(i32arr));
    samsa_int32_array_t unused;
    (void)unused;
    int32_t count;
    assert_int_equal(samsa_rbuf_read_array_len(&rb, false, false, 4, &count),
                     SAMSA_ERR_PROTOCOL);
    samsa_rbuf_init(&rb, i32arr, sizeof(i32arr));
    assert_int_equal(samsa_rbuf_read_array_len(&rb, false, false, 1, &count),
                     SAMSA_ERR_PROTOCOL);
    assert_true(arena.total < 1024);
    samsa_arena_destroy(&arena);
}

static void bad_lengths_and_varints_are_rejected(void **st)
{
    (void)st;
    samsa_rbuf_t rb;
    samsa_str_t s;
    samsa_bytes_t b;
    uint32_t u;
    uint64_t ul;

    static const uint8_t neg2[] = {0xff, 0xfe, 'a'};
    samsa_rbuf_init(&rb, neg2, sizeof(neg2));
    assert_int_equal(samsa_rbuf_read_str(&rb, true, &s), SAMSA_ERR_PROTOCOL);
    assert_ptr_equal(rb.p, neg2); /* cursor unchanged on error */

    static const uint8_t nul[] = {0xff, 0xff};
    samsa_rbuf_init(&rb, nul, sizeof(nul));
    assert_int_equal(samsa_rbuf_read_str(&rb, false, &s), SAMSA_ERR_PROTOCOL);
    samsa_rbuf_init(&rb, nul, sizeof(nul));
    assert_int_equal(samsa_rbuf_read_str(&rb, true, &s), SAMSA_OK);
    assert_int_equal(s.len, -1);

    static const uint8_t longer[] = {0x00, 0x05, 'a', 'b'};
    samsa_rbuf_init(&rb, longer, sizeof(longer));
    assert_int_equal(samsa_rbuf_read_str(&rb, false, &s), SAMSA_ERR_PROTOCOL);

    static const uint8_t bneg[] = {0x80, 0x00, 0x00, 0x00};
    samsa_rbuf_init(&rb, bneg, sizeof(bneg));
    assert_int_equal(samsa_rbuf_read_bytes(&rb, true, &b), SAMSA_ERR_PROTOCOL);

    /* compact: 0 = null; non-nullable null is an error. */
    static const uint8_t c0[] = {0x00};
    samsa_rbuf_init(&rb, c0, 1);
    assert_int_equal(samsa_rbuf_read_cstr(&rb, false, &s), SAMSA_ERR_PROTOCOL);
    samsa_rbuf_init(&rb, c0, 1);
    assert_int_equal(samsa_rbuf_read_cbytes(&rb, true, &b), SAMSA_OK);
    assert_int_equal(b.len, -1);

    /* varints: 6 bytes, 33 bits, truncated. */
    static const uint8_t v6[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    samsa_rbuf_init(&rb, v6, sizeof(v6));
    assert_int_equal(samsa_rbuf_read_uvarint(&rb, &u), SAMSA_ERR_PROTOCOL);
    static const uint8_t v33[] = {0xff, 0xff, 0xff, 0xff, 0x1f};
    samsa_rbuf_init(&rb, v33, sizeof(v33));
    assert_int_equal(samsa_rbuf_read_uvarint(&rb, &u), SAMSA_ERR_PROTOCOL);
    static const uint8_t vmax[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    samsa_rbuf_init(&rb, vmax, sizeof(vmax));
    assert_int_equal(samsa_rbuf_read_uvarint(&rb, &u), SAMSA_OK);
    assert_int_equal(u, 0xffffffffu);
    samsa_rbuf_init(&rb, vmax, 3);
    assert_int_equal(samsa_rbuf_read_uvarint(&rb, &u), SAMSA_ERR_PROTOCOL);
    static const uint8_t l11[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                  0x80, 0x80, 0x80, 0x80, 0x01};
    samsa_rbuf_init(&rb, l11, sizeof(l11));
    assert_int_equal(samsa_rbuf_read_uvarlong(&rb, &ul), SAMSA_ERR_PROTOCOL);

    /* zig-zag */
    static const uint8_t zz[] = {0x01, 0x02, 0x03};
    int32_t i;
    samsa_rbuf_init(&rb, zz, sizeof(zz));
    assert_int_equal(samsa_rbuf_read_varint(&rb, &i), SAMSA_OK);
    assert_int_equal(i, -1);
    assert_int_equal(samsa_rbuf_read_varint(&rb, &i), SAMSA_OK);
    assert_int_equal(i, 1);
    assert_int_equal(samsa_rbuf_read_varint(&rb, &i), SAMSA_OK);
    assert_int_equal(i, -2);
}

static void tagged_fields_out_of_order_or_oversized_are_rejected(void **st)
{
    (void)st;
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    samsa_ApiVersionsRequest_t req;
    samsa_rbuf_t rb;
    /* two compact strings "" "", then tags 3 then 1 */
    static const uint8_t order[] = {0x01, 0x01, 0x02, 0x03, 0x00, 0x01, 0x00};
    samsa_rbuf_init(&rb, order, sizeof(order));
    assert_int_equal(samsa_ApiVersionsRequest_decode(&rb, 3, &arena, &req),
                     SAMSA_ERR_PROTOCOL);
    static const uint8_t dup[] = {0x01, 0x01, 0x02, 0x03, 0x00, 0x03, 0x00};
    samsa_rbuf_init(&rb, dup, sizeof(dup));
    assert_int_equal(samsa_ApiVersionsRequest_decode(&rb, 3, &arena, &req),
                     SAMSA_ERR_PROTOCOL);
    static const uint8_t big[] = {0x01, 0x01, 0x01, 0x03, 0x09, 0x00};
    samsa_rbuf_init(&rb, big, sizeof(big));
    assert_int_equal(samsa_ApiVersionsRequest_decode(&rb, 3, &arena, &req),
                     SAMSA_ERR_PROTOCOL);
    static const uint8_t ok[] = {0x01, 0x01, 0x02, 0x01,
                                 0x00, 0x03, 0x01, 0x00};
    samsa_rbuf_init(&rb, ok, sizeof(ok));
    assert_int_equal(samsa_ApiVersionsRequest_decode(&rb, 3, &arena, &req),
                     SAMSA_OK);
    assert_int_equal(samsa_rbuf_left(&rb), 0);
    /* Unsupported version */
    samsa_rbuf_init(&rb, ok, sizeof(ok));
    assert_int_equal(samsa_ApiVersionsRequest_decode(&rb, 4, &arena, &req),
                     SAMSA_ERR_UNSUPPORTED_VERSION);
    samsa_arena_destroy(&arena);
}

static void truncated_headers_fail(void **st)
{
    (void)st;
    static const uint8_t h[] = {0x00, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01,
                                0x00, 0x02, 'a',  'b',  0x01, 0x05, 0x01, 0x00};
    for (size_t cut = 0; cut < sizeof(h); cut++) {
        uint8_t *t = malloc(cut ? cut : 1);
        memcpy(t, h, cut);
        samsa_rbuf_t rb;
        samsa_rbuf_init(&rb, t, cut);
        samsa_req_header_t hdr;
        assert_int_equal(samsa_req_header_parse(&rb, &hdr), SAMSA_ERR_PROTOCOL);
        assert_ptr_equal(rb.p, t);
        free(t);
    }
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, h, sizeof(h));
    samsa_req_header_t hdr;
    assert_int_equal(samsa_req_header_parse(&rb, &hdr), SAMSA_OK);
    assert_int_equal(hdr.header_version, 2);
    assert_int_equal(samsa_rbuf_left(&rb), 0); /* unknown tag 5 skipped */
}

/* ------------------------------------------------------------ writer */

static const uint8_t EXT_DATA[] = "0123456789";

static void ext_append(samsa_iobuf_t *out, void *arg)
{
    (void)arg;
    samsa_iobuf_append_ref(out, EXT_DATA, 10, NULL, NULL);
}

static void records_encode_ext_splices_bytes_in_place(void **st)
{
    (void)st;
    samsa_FetchResponse_t r;
    samsa_FetchResponse_init(&r);
    samsa_FetchResponse_PartitionData_t p[2];
    samsa_FetchResponse_FetchableTopicResponse_t t;
    samsa_FetchResponse_FetchableTopicResponse_init(&t);
    t.Topic = SAMSA_STR("t");
    t.Partitions.count = 2;
    t.Partitions.items = p;
    for (int i = 0; i < 2; i++) {
        samsa_FetchResponse_PartitionData_init(&p[i]);
        p[i].PartitionIndex = i;
        p[i].Records.len = 10;
        p[i].Records.encode_ext = ext_append;
    }
    r.Responses.count = 1;
    r.Responses.items = &t;
    for (int16_t v = 4; v <= 16; v += 12) {
        samsa_iobuf_t io;
        samsa_iobuf_init(&io);
        assert_int_equal(samsa_FetchResponse_encode(&io, v, &r), SAMSA_OK);
        assert_int_equal(samsa_iobuf_len(&io), samsa_FetchResponse_size(v, &r));
        uint8_t *flat;
        size_t len;
        assert_int_equal(samsa_iobuf_flatten(&io, &flat, &len), SAMSA_OK);
        samsa_arena_t arena;
        samsa_arena_init(&arena);
        samsa_rbuf_t rb;
        samsa_rbuf_init(&rb, flat, len);
        samsa_FetchResponse_t back;
        assert_int_equal(samsa_FetchResponse_decode(&rb, v, &arena, &back),
                         SAMSA_OK);
        assert_int_equal(samsa_rbuf_left(&rb), 0);
        assert_int_equal(back.Responses.items[0].Partitions.count, 2);
        for (int i = 0; i < 2; i++) {
            samsa_records_t *rec =
                &back.Responses.items[0].Partitions.items[i].Records;
            assert_int_equal(rec->len, 10);
            assert_memory_equal(rec->ptr, EXT_DATA, 10);
        }
        free(flat);
        samsa_arena_destroy(&arena);
        samsa_iobuf_clear(&io);
    }
}

static void encode_rejects_null_in_non_nullable_field(void **st)
{
    (void)st;
    samsa_MetadataRequest_t req;
    samsa_MetadataRequest_init(&req);
    req.Topics.count = -1; /* null: only valid from v1 */
    samsa_iobuf_t io;
    samsa_iobuf_init(&io);
    assert_int_equal(samsa_MetadataRequest_encode(&io, 0, &req),
                     SAMSA_ERR_INVAL);
    samsa_iobuf_clear(&io);
    samsa_iobuf_init(&io);
    assert_int_equal(samsa_MetadataRequest_encode(&io, 1, &req), SAMSA_OK);
    assert_int_equal(samsa_iobuf_len(&io), 4);
    samsa_iobuf_clear(&io);

    /* Non-ignorable field set in a version that lacks it. */
    samsa_MetadataRequest_init(&req);
    req.AllowAutoTopicCreation = false; /* v4+, not ignorable */
    const char *field;
    assert_int_equal(
        samsa_msg_check_version(&samsa_MetadataRequest_desc, 3, &req, &field),
        SAMSA_ERR_UNSUPPORTED_VERSION);
    assert_string_equal(field, "AllowAutoTopicCreation");
    assert_int_equal(
        samsa_msg_check_version(&samsa_MetadataRequest_desc, 4, &req, &field),
        SAMSA_OK);
}

static void big_messages_use_few_iobuf_chunks(void **st)
{
    (void)st;
    enum { N = 5000 };
    samsa_MetadataResponse_t r;
    samsa_MetadataResponse_init(&r);
    samsa_MetadataResponse_MetadataResponseTopic_t *t = calloc(N, sizeof(*t));
    for (int i = 0; i < N; i++) {
        samsa_MetadataResponse_MetadataResponseTopic_init(&t[i]);
        t[i].Name = SAMSA_STR("some-topic-name");
    }
    r.Topics.count = N;
    r.Topics.items = t;
    samsa_iobuf_t io;
    samsa_iobuf_init(&io);
    assert_int_equal(samsa_MetadataResponse_encode(&io, 12, &r), SAMSA_OK);
    assert_int_equal(samsa_iobuf_len(&io), samsa_MetadataResponse_size(12, &r));
    /* Geometric chunk growth: a few chunks, not one per field. */
    assert_true(io.count < 12);
    samsa_iobuf_clear(&io);
    free(t);
}

static void arena_grows_resets_and_respects_its_limit(void **st)
{
    (void)st;
    samsa_arena_t a;
    samsa_arena_init(&a);
    for (int i = 0; i < 1000; i++) {
        uint8_t *p = samsa_arena_alloc(&a, (size_t)(i % 97) + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 8, 0);
        memset(p, 0xab, (size_t)(i % 97) + 1);
    }
    void *big = samsa_arena_alloc(&a, 1 << 20);
    assert_non_null(big);
    memset(big, 1, 1 << 20);
    samsa_arena_reset(&a);
    assert_int_equal(a.total, 0);
    assert_non_null(samsa_arena_calloc(&a, 10, 10));
    a.limit = 100;
    assert_null(samsa_arena_alloc(&a, 200));
    assert_null(samsa_arena_calloc(&a, SIZE_MAX / 2, 4));
    samsa_arena_destroy(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_truncation_of_every_message_fails_cleanly),
        cmocka_unit_test(corrupted_bytes_never_crash),
        cmocka_unit_test(huge_array_counts_fail_fast_without_allocating),
        cmocka_unit_test(bad_lengths_and_varints_are_rejected),
        cmocka_unit_test(tagged_fields_out_of_order_or_oversized_are_rejected),
        cmocka_unit_test(truncated_headers_fail),
        cmocka_unit_test(records_encode_ext_splices_bytes_in_place),
        cmocka_unit_test(encode_rejects_null_in_non_nullable_field),
        cmocka_unit_test(big_messages_use_few_iobuf_chunks),
        cmocka_unit_test(arena_grows_resets_and_respects_its_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
