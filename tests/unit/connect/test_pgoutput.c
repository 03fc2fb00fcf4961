/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source-postgres's pgoutput decoder: well-formed messages decode to the
 * rows PostgreSQL sent, and every malformed one (each truncation of a
 * valid message, an unknown tuple kind, a length past the end, a change
 * before its Relation) is refused with a reason instead of read past the
 * buffer or turned into a half row. Run under ASan in CI, which is what
 * catches an over-read here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pgoutput.h"

/* A message under construction, big-endian as pgoutput writes it. */
typedef struct msg {
    uint8_t b[512];
    size_t n;
} msg_t;

static void put_n(msg_t *m, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        m->b[m->n++] = (uint8_t)(v >> (8 * i));
    }
}

static void put_str(msg_t *m, const char *s)
{
    size_t len = strlen(s) + 1;
    memcpy(m->b + m->n, s, len);
    m->n += len;
}

static void put_text(msg_t *m, const char *s)
{
    put_n(m, 't', 1);
    put_n(m, strlen(s), 4);
    memcpy(m->b + m->n, s, strlen(s));
    m->n += strlen(s);
}

/* Relation 16384 public.items (id int4 key, ok bool, price float8,
 * note text). */
static msg_t relation(void)
{
    msg_t m = {0};
    put_n(&m, 'R', 1);
    put_n(&m, 16384, 4);
    put_str(&m, "public");
    put_str(&m, "items");
    put_n(&m, 'd', 1);
    put_n(&m, 4, 2);
    const struct {
        int key;
        const char *name;
        uint32_t type;
    } cols[] = {
        {1, "id", 23}, {0, "ok", 16}, {0, "price", 701}, {0, "note", 25}};
    for (int i = 0; i < 4; i++) {
        put_n(&m, (uint64_t)cols[i].key, 1);
        put_str(&m, cols[i].name);
        put_n(&m, cols[i].type, 4);
        put_n(&m, 0xffffffff, 4);
    }
    return m;
}

/* The four columns of one row; note NULL sends a null, "u" an unchanged
 * TOAST value. */
static void put_row(msg_t *m, const char *id, const char *note)
{
    put_n(m, 4, 2);
    put_text(m, id);
    put_text(m, "t");
    put_text(m, "9.5");
    if (note == NULL) {
        put_n(m, 'n', 1);
    } else if (strcmp(note, "u") == 0) {
        put_n(m, 'u', 1);
    } else {
        put_text(m, note);
    }
}

static msg_t insert(void)
{
    msg_t m = {0};
    put_n(&m, 'I', 1);
    put_n(&m, 16384, 4);
    put_n(&m, 'N', 1);
    put_row(&m, "7", "hello");
    return m;
}

static msg_t update_with_old_key(void)
{
    msg_t m = {0};
    put_n(&m, 'U', 1);
    put_n(&m, 16384, 4);
    put_n(&m, 'K', 1);
    put_n(&m, 1, 2);
    put_text(&m, "7");
    put_n(&m, 'N', 1);
    put_row(&m, "8", "u");
    return m;
}

static msg_t delete_by_key(void)
{
    msg_t m = {0};
    put_n(&m, 'D', 1);
    put_n(&m, 16384, 4);
    put_n(&m, 'K', 1);
    put_n(&m, 1, 2);
    put_text(&m, "8");
    return m;
}

static msg_t begin(void)
{
    msg_t m = {0};
    put_n(&m, 'B', 1);
    put_n(&m, 0x16B3748, 8);
    put_n(&m, 725000000000000LL, 8);
    put_n(&m, 731, 4);
    return m;
}

static msg_t commit(void)
{
    msg_t m = {0};
    put_n(&m, 'C', 1);
    put_n(&m, 0, 1);
    put_n(&m, 0x16B3748, 8);
    put_n(&m, 0x16B3778, 8);
    put_n(&m, 725000000000000LL, 8);
    return m;
}

static int decode(samsa_pgo_t *d, const msg_t *m, size_t len,
                  samsa_pgo_msg_t *out, char *err)
{
    /* A heap copy of exactly @p len bytes, so ASan sees any over-read. */
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    memcpy(buf, m->b, len);
    int rc = samsa_pgo_decode(d, buf, len, out, err, 128);
    free(buf);
    return rc;
}

static samsa_pgo_t *decoder_with_relation(void)
{
    samsa_pgo_t *d = samsa_pgo_new();
    assert_non_null(d);
    msg_t rel = relation();
    samsa_pgo_msg_t out;
    char err[128];
    assert_int_equal(decode(d, &rel, rel.n, &out, err), 0);
    assert_int_equal(out.type, 0);
    return d;
}

static void rows_decode_with_their_types(void **state)
{
    (void)state;
    samsa_pgo_t *d = decoder_with_relation();
    samsa_pgo_msg_t out;
    char err[128];

    msg_t m = insert();
    assert_int_equal(decode(d, &m, m.n, &out, err), 0);
    assert_int_equal(out.type, 'I');
    assert_string_equal(out.schema, "public");
    assert_string_equal(out.table, "items");
    assert_int_equal(json_integer_value(json_object_get(out.after, "id")), 7);
    assert_true(json_is_true(json_object_get(out.after, "ok")));
    assert_true(json_real_value(json_object_get(out.after, "price")) == 9.5);
    assert_string_equal(json_string_value(json_object_get(out.after, "note")),
                        "hello");
    assert_int_equal(json_object_size(out.key), 1);
    assert_int_equal(json_integer_value(json_object_get(out.key, "id")), 7);
    assert_null(out.before);
    samsa_pgo_msg_clear(&out);

    m = update_with_old_key();
    assert_int_equal(decode(d, &m, m.n, &out, err), 0);
    assert_int_equal(out.type, 'U');
    assert_int_equal(json_integer_value(json_object_get(out.old_key, "id")), 7);
    assert_int_equal(json_integer_value(json_object_get(out.key, "id")), 8);
    /* An unchanged TOAST value is left out, not sent as null. */
    assert_null(json_object_get(out.after, "note"));
    samsa_pgo_msg_clear(&out);

    m = delete_by_key();
    assert_int_equal(decode(d, &m, m.n, &out, err), 0);
    assert_int_equal(out.type, 'D');
    assert_int_equal(json_integer_value(json_object_get(out.key, "id")), 8);
    assert_null(out.after);
    samsa_pgo_msg_clear(&out);

    m = begin();
    assert_int_equal(decode(d, &m, m.n, &out, err), 0);
    assert_int_equal(out.type, 'B');
    assert_int_equal(out.xid, 731);
    m = commit();
    assert_int_equal(decode(d, &m, m.n, &out, err), 0);
    assert_int_equal(out.type, 'C');
    assert_int_equal(out.end_lsn, 0x16B3778);
    samsa_pgo_free(d);
}

/* Every proper prefix of a valid message is refused with a reason. */
static void every_truncation_is_refused(void **state)
{
    (void)state;
    msg_t (*makers[])(void) = {relation,      insert, update_with_old_key,
                               delete_by_key, begin,  commit};
    for (size_t k = 0; k < sizeof(makers) / sizeof(makers[0]); k++) {
        msg_t m = makers[k]();
        for (size_t len = 0; len < m.n; len++) {
            samsa_pgo_t *d = decoder_with_relation();
            samsa_pgo_msg_t out;
            char err[128] = "";
            assert_int_equal(decode(d, &m, len, &out, err), -1);
            assert_true(strncmp(err, "pgoutput: ", 10) == 0);
            assert_null(out.key);
            assert_null(out.after);
            samsa_pgo_free(d);
        }
    }
}

static void bad_tuples_are_refused(void **state)
{
    (void)state;
    samsa_pgo_t *d = decoder_with_relation();
    samsa_pgo_msg_t out;
    char err[128];

    /* A binary column value: never asked for, so malformed. */
    msg_t m = {0};
    put_n(&m, 'I', 1);
    put_n(&m, 16384, 4);
    put_n(&m, 'N', 1);
    put_n(&m, 1, 2);
    put_n(&m, 'b', 1);
    put_n(&m, 1, 4);
    put_n(&m, 0, 1);
    assert_int_equal(decode(d, &m, m.n, &out, err), -1);

    /* A text length past the end of the message. */
    m = (msg_t){0};
    put_n(&m, 'I', 1);
    put_n(&m, 16384, 4);
    put_n(&m, 'N', 1);
    put_n(&m, 1, 2);
    put_n(&m, 't', 1);
    put_n(&m, 0x7fffffff, 4);
    put_str(&m, "short");
    assert_int_equal(decode(d, &m, m.n, &out, err), -1);

    /* An insert whose tuple is not a new tuple ('N'). */
    m = (msg_t){0};
    put_n(&m, 'I', 1);
    put_n(&m, 16384, 4);
    put_n(&m, 'K', 1);
    put_row(&m, "1", "x");
    assert_int_equal(decode(d, &m, m.n, &out, err), -1);

    /* A delete without its old key or row. */
    m = (msg_t){0};
    put_n(&m, 'D', 1);
    put_n(&m, 16384, 4);
    put_n(&m, 'N', 1);
    put_row(&m, "1", "x");
    assert_int_equal(decode(d, &m, m.n, &out, err), -1);
    assert_null(out.key);

    /* More columns than the relation has: the extra ones are dropped,
     * the known ones kept. */
    m = (msg_t){0};
    put_n(&m, 'I', 1);
    put_n(&m, 16384, 4);
    put_n(&m, 'N', 1);
    put_n(&m, 5, 2);
    put_text(&m, "3");
    put_text(&m, "f");
    put_text(&m, "1");
    put_text(&m, "n");
    put_text(&m, "extra");
    assert_int_equal(decode(d, &m, m.n, &out, err), 0);
    assert_int_equal(json_object_size(out.after), 4);
    samsa_pgo_msg_clear(&out);
    samsa_pgo_free(d);
}

static void a_change_needs_its_relation(void **state)
{
    (void)state;
    samsa_pgo_t *d = samsa_pgo_new();
    samsa_pgo_msg_t out;
    char err[128];
    msg_t m = insert();
    assert_int_equal(decode(d, &m, m.n, &out, err), -1);
    assert_non_null(strstr(err, "16384"));

    /* A redefinition replaces the cached relation. */
    msg_t rel = relation();
    assert_int_equal(decode(d, &rel, rel.n, &out, err), 0);
    msg_t rel2 = {0};
    put_n(&rel2, 'R', 1);
    put_n(&rel2, 16384, 4);
    put_str(&rel2, "public");
    put_str(&rel2, "renamed");
    put_n(&rel2, 'd', 1);
    put_n(&rel2, 1, 2);
    put_n(&rel2, 1, 1);
    put_str(&rel2, "id");
    put_n(&rel2, 23, 4);
    put_n(&rel2, 0xffffffff, 4);
    assert_int_equal(decode(d, &rel2, rel2.n, &out, err), 0);
    assert_int_equal(decode(d, &m, m.n, &out, err), 0);
    assert_string_equal(out.table, "renamed");
    assert_int_equal(json_object_size(out.after), 1);
    samsa_pgo_msg_clear(&out);
    samsa_pgo_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_decode_with_their_types),
        cmocka_unit_test(every_truncation_is_refused),
        cmocka_unit_test(bad_tuples_are_refused),
        cmocka_unit_test(a_change_needs_its_relation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
