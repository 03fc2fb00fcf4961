/* SPDX-License-Identifier: Apache-2.0 */
/* core/util/part_states.c - see part_states.h. */
#include "util/part_states.h"

#include <stdlib.h>
#include <string.h>

samsa_err_t samsa_part_states_grow(samsa_part_states_t *ps, int32_t n)
{
    if (n <= ps->n) {
        return SAMSA_OK;
    }
    uint8_t *st = realloc(ps->st, (size_t)n);
    if (!st) {
        return SAMSA_ERR_NOMEM;
    }
    memset(st + ps->n, SAMSA_PART_NONE, (size_t)(n - ps->n));
    ps->st = st;
    ps->n = n;
    return SAMSA_OK;
}

uint8_t samsa_part_state(const samsa_part_states_t *ps, int32_t p)
{
    return p >= 0 && p < ps->n ? ps->st[p] : SAMSA_PART_NONE;
}

samsa_err_t samsa_part_serving(const samsa_part_states_t *ps, int32_t p)
{
    switch (samsa_part_state(ps, p)) {
    case SAMSA_PART_LOADED:
        return SAMSA_OK;
    case SAMSA_PART_LOADING:
        return SAMSA_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    default:
        return SAMSA_ERR_NOT_COORDINATOR;
    }
}

void samsa_part_states_free(samsa_part_states_t *ps)
{
    free(ps->st);
    ps->st = NULL;
    ps->n = 0;
}
