/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/group/subscription.c - the topics of a ConsumerProtocolSubscription
 * (messages/ConsumerProtocolSubscription.json, not flexible): int16
 * version, then an int32-counted array of int16-length strings; later
 * fields (user data, owned partitions, generation, rack) are not needed.
 */
#include "group/coordinator.h"

#include <stdlib.h>
#include <string.h>

#include "record/batch.h"

void samsa_group_topics_free(char **topics, size_t count)
{
    for (size_t i = 0; topics && i < count; i++) {
        free(topics[i]);
    }
    free(topics);
}

samsa_err_t samsa_consumer_subscription_topics(const uint8_t *p, size_t len,
                                               char ***topics, size_t *count)
{
    *topics = NULL;
    *count = 0;
    if (!p || len < 6 || (int16_t)samsa_be16(p) < 0) {
        return SAMSA_ERR_CORRUPT;
    }
    int32_t n = (int32_t)samsa_be32(p + 2);
    size_t at = 6;
    if (n < 0 || (size_t)n > (len - at) / 2) {
        return SAMSA_ERR_CORRUPT;
    }
    char **out = calloc(n ? (size_t)n : 1, sizeof(*out));
    if (!out) {
        return SAMSA_ERR_NOMEM;
    }
    for (int32_t i = 0; i < n; i++) {
        if (len - at < 2) {
            samsa_group_topics_free(out, (size_t)i);
            return SAMSA_ERR_CORRUPT;
        }
        int16_t sl = (int16_t)samsa_be16(p + at);
        at += 2;
        if (sl < 0 || (size_t)sl > len - at) {
            samsa_group_topics_free(out, (size_t)i);
            return SAMSA_ERR_CORRUPT;
        }
        out[i] = malloc((size_t)sl + 1);
        if (!out[i]) {
            samsa_group_topics_free(out, (size_t)i);
            return SAMSA_ERR_NOMEM;
        }
        memcpy(out[i], p + at, (size_t)sl);
        out[i][sl] = '\0';
        at += (size_t)sl;
    }
    *topics = out;
    *count = (size_t)n;
    return SAMSA_OK;
}
