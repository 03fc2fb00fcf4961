/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/transforms-basic/filter.c - Filter (drops every record it is
 * applied to: used with a predicate) and the predicates TopicNameMatches,
 * HasHeaderKey and RecordIsTombstone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xform.h"

static samsa_err_t filter_apply(xform_t *x, const samsa_connect_record_t *in,
                                samsa_connect_record_t *out, bool *drop)
{
    (void)x;
    (void)in;
    (void)out;
    *drop = true;
    return SAMSA_OK;
}

static samsa_err_t topic_configure(xform_t *x, char *eb, size_t el)
{
    char *pattern = NULL;
    samsa_err_t err = xform_string(x, "pattern", NULL, true, &pattern, eb, el);
    if (err == SAMSA_OK) {
        err = xform_regex(x, pattern, eb, el);
    }
    free(pattern);
    return err;
}

static samsa_err_t topic_test(xform_t *x, const samsa_connect_record_t *in,
                              bool *match)
{
    *match = in->topic != NULL && regexec(&x->re, in->topic, 0, NULL, 0) == 0;
    return SAMSA_OK;
}

static samsa_err_t header_configure(xform_t *x, char *eb, size_t el)
{
    return xform_string(x, "name", NULL, true, &x->field, eb, el);
}

static samsa_err_t header_test(xform_t *x, const samsa_connect_record_t *in,
                               bool *match)
{
    *match = false;
    for (uint64_t i = 0; i < in->header_count; i++) {
        if (strcmp(in->headers[i].key, x->field) == 0) {
            *match = true;
        }
    }
    return SAMSA_OK;
}

static samsa_err_t tombstone_test(xform_t *x, const samsa_connect_record_t *in,
                                  bool *match)
{
    (void)x;
    *match = in->value == NULL;
    return SAMSA_OK;
}

/* clang-format off */
const xform_type_t xform_filter_types[] = {
    {"Filter", false, false, NULL, filter_apply, NULL},
    {"TopicNameMatches", false, true, topic_configure, NULL, topic_test},
    {"HasHeaderKey", false, true, header_configure, NULL, header_test},
    {"RecordIsTombstone", false, true, NULL, NULL, tombstone_test},
    {NULL, false, false, NULL, NULL, NULL},
};
/* clang-format on */
