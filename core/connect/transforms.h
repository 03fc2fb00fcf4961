/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/connect/transforms.h - a connector's chain of single-message
 * transforms, from Kafka Connect's keys: transforms=a,b;
 * transforms.a.type=CLASS; transforms.a.* (the transform's own keys);
 * transforms.a.predicate=P and transforms.a.negate=true|false;
 * predicates=P,...; predicates.P.type=CLASS; predicates.P.*. Each class
 * is served by the transform plugin instance whose transform_classes
 * option lists it (samsa/connect.h: create, apply, test, destroy).
 *
 * A chain belongs to one task thread (each task builds its own); REST
 * builds and frees one to validate a config. Records cross it as JSON
 * text (the Connect value) with their schemas (key_schema, value_schema;
 * see samsa_transform_ops_t).
 */
#ifndef SAMSA_CONNECT_TRANSFORMS_H
#define SAMSA_CONNECT_TRANSFORMS_H

#include <stddef.h>

#include <jansson.h>
#include <samsa/connect.h>

#include "registry/registry.h"
#include "util/err.h"

typedef struct samsa_connect_chain samsa_connect_chain_t;

/** Build the chain @p config (a connector's config object) describes;
 *  *out NULL when it names no transforms. SAMSA_ERR_CONFIG with Kafka
 *  Connect's kind of message (naming the key) for a bad or unknown one;
 *  @p errkey (may be NULL) receives that key. */
samsa_err_t samsa_connect_chain_new(const samsa_registry_t *reg,
                                    const json_t *config,
                                    samsa_connect_chain_t **out, char *errbuf,
                                    size_t errlen, char *errkey, size_t keylen);
void samsa_connect_chain_free(samsa_connect_chain_t *ch);

/** What to do with the record that came out of the chain (borrowed for
 *  the call). Its return value is the chain run's. */
typedef samsa_err_t (*samsa_connect_chain_fn)(void *arg,
                                              const samsa_connect_record_t *r);

/** Run @p in (key/value as JSON text) through the chain and hand the
 *  result to @p fn, unless a transform dropped it (*dropped then true).
 *  A transform's or predicate's failure: its code, with "transforms.ALIAS
 *  (CLASS) failed" in errbuf. */
samsa_err_t samsa_connect_chain_run(samsa_connect_chain_t *ch,
                                    const samsa_connect_record_t *in,
                                    samsa_connect_chain_fn fn, void *arg,
                                    bool *dropped, char *errbuf, size_t errlen);

#endif /* SAMSA_CONNECT_TRANSFORMS_H */
