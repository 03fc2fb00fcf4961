/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/util/part_states.h - what a coordinator (group, transaction) does
 * with each partition of its internal topic in a cluster: not led here,
 * loading, or loaded; and the error a request for a key in it gets. Not
 * thread-safe: the owner's lock guards it.
 */
#ifndef SAMSA_UTIL_PART_STATES_H
#define SAMSA_UTIL_PART_STATES_H

#include <stdint.h>

#include <samsa/errors.h>

/* NONE: not led here (NOT_COORDINATOR); LOADING: led, being replayed
 * (COORDINATOR_LOAD_IN_PROGRESS); LOADED: served. */
#define SAMSA_PART_NONE    0
#define SAMSA_PART_LOADING 1
#define SAMSA_PART_LOADED  2

typedef struct samsa_part_states {
    uint8_t *st;
    int32_t n;
} samsa_part_states_t;

/* Room for @p n partitions (new ones NONE). NOMEM. */
samsa_err_t samsa_part_states_grow(samsa_part_states_t *ps, int32_t n);
/* The state of @p p (NONE outside the table). */
uint8_t samsa_part_state(const samsa_part_states_t *ps, int32_t p);
/* SAMSA_OK (loaded), COORDINATOR_LOAD_IN_PROGRESS or NOT_COORDINATOR. */
samsa_err_t samsa_part_serving(const samsa_part_states_t *ps, int32_t p);
void samsa_part_states_free(samsa_part_states_t *ps);

#endif /* SAMSA_UTIL_PART_STATES_H */
