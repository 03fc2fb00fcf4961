/* SPDX-License-Identifier: Apache-2.0 */
/* core/util/err.c - samsa_err_name() and samsa_err_str() from errors.h. */
#include "util/err.h"

#include <stddef.h>

typedef struct err_row {
    int value;
    const char *name;
    const char *desc;
} err_row_t;

#define ERR_ROW_(name, value, desc) {(value), #name, (desc)},

static const err_row_t err_rows[] = {SAMSA_KAFKA_ERRORS(ERR_ROW_)
                                         SAMSA_INTERNAL_ERRORS(ERR_ROW_)};

#undef ERR_ROW_

static const err_row_t *err_find(samsa_err_t err)
{
    /* A linear scan over ~140 rows; errors are off the fast path. */
    for (size_t i = 0; i < sizeof(err_rows) / sizeof(err_rows[0]); i++) {
        if (err_rows[i].value == (int)err) {
            return &err_rows[i];
        }
    }
    return NULL;
}

const char *samsa_err_name(samsa_err_t err)
{
    const err_row_t *row = err_find(err);
    return row ? row->name : "UNKNOWN_ERROR_CODE";
}

const char *samsa_err_str(samsa_err_t err)
{
    const err_row_t *row = err_find(err);
    return row ? row->desc : "unknown error code";
}

samsa_err_t samsa_err_to_wire(samsa_err_t err)
{
    if (SAMSA_ERR_IS_KAFKA(err)) {
        return err;
    }
    switch (err) {
    case SAMSA_ERR_IO:
    case SAMSA_ERR_NO_SPACE:
    case SAMSA_ERR_CORRUPT:
        return SAMSA_ERR_KAFKA_STORAGE_ERROR;
    case SAMSA_ERR_TOO_LARGE:
        return SAMSA_ERR_MESSAGE_TOO_LARGE;
    case SAMSA_ERR_TIMEOUT:
        return SAMSA_ERR_REQUEST_TIMED_OUT;
    case SAMSA_ERR_UNSUPPORTED:
        return SAMSA_ERR_UNSUPPORTED_VERSION;
    default:
        return SAMSA_ERR_UNKNOWN_SERVER_ERROR;
    }
}
