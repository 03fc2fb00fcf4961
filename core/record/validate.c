/* SPDX-License-Identifier: Apache-2.0 */
/* core/record/validate.c - see validate.h. */
#include "record/validate.h"

#include <stdbool.h>

#include "records_v2.h"

/* Record fields in wire order; each but ATTR is a zig-zag varint. */
enum step {
    STEP_LENGTH,     /* record length, between records */
    STEP_ATTR,       /* attributes: one plain byte */
    STEP_TS_DELTA,   /* varlong */
    STEP_OFF_DELTA,  /* must equal the record's index */
    STEP_KEY_LEN,    /* -1 = null, then the key bytes */
    STEP_VALUE_LEN,  /* -1 = null, then the value bytes */
    STEP_HDR_COUNT,  /* >= 0 */
    STEP_HKEY_LEN,   /* >= 0, then the header key bytes */
    STEP_HVALUE_LEN, /* -1 = null, then the header value bytes */
    STEP_FAILED,
};

void samsa_records_check_init(samsa_records_check_t *chk, int32_t record_count)
{
    *chk =
        (samsa_records_check_t){.expected = record_count, .step = STEP_LENGTH};
}

static samsa_err_t failed(const samsa_records_check_t *chk)
{
    return chk->null_key ? SAMSA_ERR_INVALID_RECORD : SAMSA_ERR_CORRUPT_MESSAGE;
}

static samsa_err_t fail(samsa_records_check_t *chk)
{
    chk->step = STEP_FAILED;
    return failed(chk);
}

/* A record's key length: refuse a null key where keys are required. */
static bool key_ok(samsa_records_check_t *chk, int64_t len)
{
    if (len == -1 && chk->key_required) {
        chk->null_key = true;
        return false;
    }
    return true;
}

/* A key or value of len bytes (-1 = null when nullable) follows. */
static bool blob(samsa_records_check_t *chk, int64_t len, bool nullable)
{
    if (len < 0) {
        return nullable && len == -1;
    }
    if (len > chk->rec_left) {
        return false;
    }
    chk->skip = len;
    chk->rec_left -= len;
    return true;
}

/* The headers (or the record) may end here: close the record when its
 * length is used up exactly. */
static bool after_field(samsa_records_check_t *chk)
{
    if (chk->headers_left > 0) {
        chk->step = STEP_HKEY_LEN;
        return true;
    }
    if (chk->rec_left != 0) {
        return false; /* bytes the record's fields do not account for */
    }
    chk->seen++;
    chk->step = STEP_LENGTH;
    return true;
}

/* One complete varint field with zig-zag value v. */
static bool on_value(samsa_records_check_t *chk, int64_t v)
{
    switch (chk->step) {
    case STEP_LENGTH:
        /* The smallest record has six one-byte fields. */
        if (v < 6) {
            return false;
        }
        chk->rec_left = v;
        chk->step = STEP_ATTR;
        return true;
    case STEP_TS_DELTA:
        chk->step = STEP_OFF_DELTA;
        return true;
    case STEP_OFF_DELTA:
        /* With lastOffsetDelta = recordCount - 1 (batch.c) this keeps
         * every record inside the offsets the batch header claims. */
        chk->step = STEP_KEY_LEN;
        return v == chk->seen;
    case STEP_KEY_LEN:
        chk->step = STEP_VALUE_LEN;
        return key_ok(chk, v) && blob(chk, v, true);
    case STEP_VALUE_LEN:
        chk->step = STEP_HDR_COUNT;
        return blob(chk, v, true);
    case STEP_HDR_COUNT:
        /* Each header takes at least two bytes. */
        if (v < 0 || v > chk->rec_left / 2) {
            return false;
        }
        chk->headers_left = (int32_t)v;
        return after_field(chk);
    case STEP_HKEY_LEN:
        chk->step = STEP_HVALUE_LEN;
        return blob(chk, v, false);
    case STEP_HVALUE_LEN:
        chk->headers_left--;
        if (!blob(chk, v, true)) {
            return false;
        }
        return after_field(chk);
    default:
        return false;
    }
}

/* What the fast path made of the bytes at a record's start. */
enum fast { FAST_DONE, FAST_SLOW, FAST_FAIL };

/* A key or value length (-1 = null when nullable) and its bytes, inside
 * [*q, end). */
static bool fast_blob(const uint8_t **q, const uint8_t *end, bool nullable)
{
    int32_t n;
    size_t used = samsa_get_varint(*q, (size_t)(end - *q), &n);
    if (used == 0) {
        return false;
    }
    *q += used;
    if (n < 0) {
        return nullable && n == -1;
    }
    if (n > end - *q) {
        return false;
    }
    *q += n;
    return true;
}

/*
 * One whole record straight from the buffer, when all of it is there (the
 * usual case: a plain batch, or a record inside one decompressed piece).
 * The same rules as the byte-at-a-time path below, which takes over when a
 * record is cut across pieces (FAST_SLOW); tests/fuzz/fuzz_batch.c checks
 * that both give one verdict.
 */
static enum fast fast_record(samsa_records_check_t *chk, const uint8_t *p,
                             size_t len, size_t *used)
{
    int32_t rlen;
    size_t n = samsa_get_varint(p, len, &rlen);
    if (n == 0) {
        return len < SAMSA_VARINT_MAX ? FAST_SLOW : FAST_FAIL;
    }
    if (rlen < 6) {
        return FAST_FAIL;
    }
    if ((size_t)rlen > len - n) {
        return FAST_SLOW;
    }
    const uint8_t *q = p + n + 1; /* past the attributes */
    const uint8_t *end = p + n + rlen;
    int64_t ts_delta;
    int32_t v;
    size_t k = samsa_get_varlong(q, (size_t)(end - q), &ts_delta);
    if (k == 0) {
        return FAST_FAIL;
    }
    q += k;
    k = samsa_get_varint(q, (size_t)(end - q), &v);
    if (k == 0 || v != chk->seen) {
        return FAST_FAIL;
    }
    q += k;
    int32_t key_len;
    if (samsa_get_varint(q, (size_t)(end - q), &key_len) != 0 &&
        !key_ok(chk, key_len)) {
        return FAST_FAIL;
    }
    if (!fast_blob(&q, end, true) || !fast_blob(&q, end, true)) {
        return FAST_FAIL;
    }
    k = samsa_get_varint(q, (size_t)(end - q), &v);
    if (k == 0) {
        return FAST_FAIL;
    }
    q += k;
    if (v < 0 || v > (end - q) / 2) {
        return FAST_FAIL;
    }
    for (int32_t h = 0; h < v; h++) {
        if (!fast_blob(&q, end, false) || !fast_blob(&q, end, true)) {
            return FAST_FAIL;
        }
    }
    if (q != end) {
        return FAST_FAIL;
    }
    chk->seen++;
    *used = n + (size_t)rlen;
    return FAST_DONE;
}

samsa_err_t samsa_records_check_feed(samsa_records_check_t *chk,
                                     const uint8_t *p, size_t len)
{
    if (chk->step == STEP_FAILED) {
        return failed(chk);
    }
    chk->total += (int64_t)len;
    size_t i = 0;
    while (i < len) {
        if (chk->skip > 0) {
            size_t n =
                (uint64_t)chk->skip < len - i ? (size_t)chk->skip : len - i;
            chk->skip -= (int64_t)n;
            i += n;
            continue;
        }
        if (chk->step == STEP_LENGTH && chk->acc_len == 0) {
            if (chk->seen == chk->expected) {
                return fail(chk); /* bytes after the last record */
            }
            size_t used = 0;
            enum fast f = fast_record(chk, p + i, len - i, &used);
            if (f == FAST_FAIL) {
                return fail(chk);
            }
            if (f == FAST_DONE) {
                i += used;
                continue;
            }
        }
        uint8_t b = p[i++];
        if (chk->step == STEP_LENGTH) {
            if (chk->seen == chk->expected) {
                return fail(chk); /* bytes after the last record */
            }
        } else if (chk->rec_left-- <= 0) {
            return fail(chk); /* a field runs past the record's length */
        }
        if (chk->step == STEP_ATTR) {
            chk->step = STEP_TS_DELTA;
            continue;
        }
        unsigned max =
            chk->step == STEP_TS_DELTA ? SAMSA_VARLONG_MAX : SAMSA_VARINT_MAX;
        chk->acc |= (uint64_t)(b & 0x7f) << (7 * chk->acc_len);
        chk->acc_len++;
        if (b & 0x80) {
            if (chk->acc_len == max) {
                return fail(chk); /* longer than the type allows */
            }
            continue;
        }
        uint64_t u = chk->acc;
        bool too_big = max == SAMSA_VARINT_MAX
                           ? u > UINT32_MAX
                           : (chk->acc_len == SAMSA_VARLONG_MAX && b > 1);
        chk->acc = 0;
        chk->acc_len = 0;
        if (too_big) {
            return fail(chk);
        }
        int64_t v = max == SAMSA_VARINT_MAX
                        ? (int64_t)(int32_t)(((uint32_t)u >> 1) ^
                                             (0u - ((uint32_t)u & 1)))
                        : (int64_t)((u >> 1) ^ (0 - (u & 1)));
        if (!on_value(chk, v)) {
            return fail(chk);
        }
    }
    return SAMSA_OK;
}

samsa_err_t samsa_records_check_end(const samsa_records_check_t *chk)
{
    if (chk->step == STEP_FAILED) {
        return failed(chk);
    }
    bool whole = chk->step == STEP_LENGTH && chk->acc_len == 0 &&
                 chk->skip == 0 && chk->seen == chk->expected;
    return whole ? SAMSA_OK : SAMSA_ERR_CORRUPT_MESSAGE;
}

samsa_err_t samsa_records_check_all(int32_t record_count, const uint8_t *p,
                                    size_t len)
{
    samsa_records_check_t chk;
    samsa_records_check_init(&chk, record_count);
    samsa_err_t err = samsa_records_check_feed(&chk, p, len);
    return err != SAMSA_OK ? err : samsa_records_check_end(&chk);
}
