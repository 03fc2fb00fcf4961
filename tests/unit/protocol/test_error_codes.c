/* SPDX-License-Identifier: Apache-2.0 */
/*
 * No Samsa-internal error code (errors.h, <= -1000) ever reaches the wire:
 * every "...ErrorCode" field of every response, at every version and at any
 * depth, is filled with internal codes, encoded, decoded and checked. This
 * covers every handler's error path at the one point where codes are
 * encoded (core/protocol/schema.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto_testutil.h"
#include "util/err.h"

#define SEEDS 6

typedef struct walk {
    int16_t v;
    int16_t set;   /* value to store, or INT16_MIN to only check */
    int16_t worst; /* smallest error code seen */
    int count;     /* error code fields visited */
} walk_t;

static void walk_struct(const samsa_struct_desc_t *sd, walk_t *w, void *s);

static void walk_field(const samsa_field_desc_t *f, walk_t *w, void *p)
{
    if (f->type == SAMSA_FT_INT16 && proto_is_error_code(f)) {
        int16_t *code = p;
        if (w->set != INT16_MIN) {
            *code = w->set;
        }
        if (*code < w->worst) {
            w->worst = *code;
        }
        w->count++;
    } else if (f->type == SAMSA_FT_STRUCT) {
        void *sub = (f->flags & SAMSA_FF_PTR) ? *(void **)p : p;
        if (sub) {
            walk_struct(f->sub, w, sub);
        }
    } else if (f->type == SAMSA_FT_ARRAY && f->elem == SAMSA_FT_STRUCT) {
        samsa_array_t *a = p;
        for (int32_t i = 0; i < a->count; i++) {
            walk_struct(f->sub, w, (char *)a->items + (size_t)i * f->sub->size);
        }
    }
}

static void walk_struct(const samsa_struct_desc_t *sd, walk_t *w, void *s)
{
    for (uint16_t i = 0; i < sd->nfields; i++) {
        const samsa_field_desc_t *f = &sd->fields[i];
        if (samsa_ver_in(w->v, f->vmin, f->vmax)) {
            walk_field(f, w, (char *)s + f->offset);
        }
    }
}

/* Fill @p d at version @p v, put @p code in every error code field, encode
 * and decode; returns the fields set and the smallest code decoded. */
static int check_one(const samsa_msg_desc_t *d, int16_t v, uint32_t seed,
                     int16_t code, int16_t *worst)
{
    samsa_arena_t arena;
    samsa_arena_init(&arena);
    void *msg = samsa_arena_alloc(&arena, d->body->size);
    void *back = samsa_arena_alloc(&arena, d->body->size);
    proto_testfill(d, v, &arena, seed, msg);
    walk_t set = {.v = v, .set = code, .worst = INT16_MAX};
    walk_struct(d->body, &set, msg);

    size_t len = 0;
    samsa_err_t err;
    uint8_t *buf = proto_encode_flat(d, v, msg, &len, &err);
    if (err != SAMSA_OK) {
        fail_msg("%s v%d: encode: %d", d->name, v, err);
    }
    samsa_rbuf_t rb;
    samsa_rbuf_init(&rb, buf, len);
    err = samsa_msg_decode(d, &rb, v, &arena, back);
    if (err != SAMSA_OK) {
        fail_msg("%s v%d: decode: %d", d->name, v, err);
    }
    walk_t check = {.v = v, .set = INT16_MIN, .worst = INT16_MAX};
    walk_struct(d->body, &check, back);
    if (check.count != set.count) {
        fail_msg("%s v%d: %d error codes written, %d read", d->name, v,
                 set.count, check.count);
    }
    *worst = check.worst;
    free(buf);
    samsa_arena_destroy(&arena);
    return set.count;
}

static void internal_codes_never_reach_the_wire(void **state)
{
    (void)state;
    static const int16_t internal[] = {SAMSA_ERR_NOMEM, SAMSA_ERR_INVAL,
                                       SAMSA_ERR_IO, SAMSA_ERR_CORRUPT,
                                       SAMSA_ERR_TIMEOUT};
    int fields = 0, responses = 0;
    for (int i = 0; i < SAMSA_MSG_DESC_COUNT; i++) {
        const samsa_msg_desc_t *d = samsa_msg_descs[i];
        if (d->kind != SAMSA_MSG_RESPONSE) {
            continue;
        }
        responses++;
        for (int16_t v = d->vmin; v <= d->vmax; v++) {
            for (uint32_t seed = 1; seed <= SEEDS; seed++) {
                int16_t code = internal[seed % 5];
                int16_t worst;
                int n = check_one(d, v, seed, code, &worst);
                fields += n;
                if (n > 0 && worst < SAMSA_ERR_KAFKA_MIN) {
                    fail_msg("%s v%d: internal code %d sent as %d", d->name, v,
                             code, worst);
                }
                if (n > 0 &&
                    worst != (int16_t)samsa_err_to_wire((samsa_err_t)code)) {
                    fail_msg("%s v%d: %d sent as %d", d->name, v, code, worst);
                }
            }
        }
    }
    assert_true(responses > 60);
    assert_true(fields > 1000);
}

static void kafka_codes_pass_unchanged(void **state)
{
    (void)state;
    for (int i = 0; i < SAMSA_MSG_DESC_COUNT; i++) {
        const samsa_msg_desc_t *d = samsa_msg_descs[i];
        if (d->kind != SAMSA_MSG_RESPONSE) {
            continue;
        }
        int16_t worst;
        if (check_one(d, d->vmax, 3, SAMSA_ERR_UNKNOWN_SERVER_ERROR, &worst) >
            0) {
            assert_int_equal(worst, SAMSA_ERR_UNKNOWN_SERVER_ERROR);
        }
        if (check_one(d, d->vmax, 4, SAMSA_ERR_INVALID_TOPIC_EXCEPTION,
                      &worst) > 0) {
            assert_int_equal(worst, SAMSA_ERR_INVALID_TOPIC_EXCEPTION);
        }
    }
}

static void mapping_is_kafka_for_every_internal_code(void **state)
{
    (void)state;
    for (int e = SAMSA_ERR_TIMEOUT; e <= SAMSA_ERR_INTERNAL_BASE; e++) {
        samsa_err_t w = samsa_err_to_wire((samsa_err_t)e);
        assert_true(SAMSA_ERR_IS_KAFKA(w));
        assert_int_not_equal(w, SAMSA_OK);
    }
    assert_int_equal(samsa_err_to_wire(SAMSA_ERR_IO),
                     SAMSA_ERR_KAFKA_STORAGE_ERROR);
    assert_int_equal(samsa_err_to_wire(SAMSA_ERR_CORRUPT_MESSAGE),
                     SAMSA_ERR_CORRUPT_MESSAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(internal_codes_never_reach_the_wire),
        cmocka_unit_test(kafka_codes_pass_unchanged),
        cmocka_unit_test(mapping_is_kafka_for_every_internal_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
