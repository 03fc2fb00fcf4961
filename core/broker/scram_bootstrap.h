/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/broker/scram_bootstrap.h - the SCRAM credentials of `samsa storage
 * format --add-scram` (Kafka's kafka-storage format --add-scram): what
 * this node's first leadership of a new metadata log writes into it, and
 * the check, once the log is read, that this node was formatted with the
 * users the log was started with.
 *
 * As in Kafka, every voter is formatted alike before its first start and
 * whichever leads first writes its own bootstrap; a log started by a voter
 * formatted otherwise (or not at all) holds that voter's, and the others
 * would silently lack theirs. The first leader therefore also writes a
 * marker naming itself and the users and mechanisms it bootstrapped
 * (image_security.h), and a voter whose own differ says so at ERROR.
 * Salts are drawn per format, so only users and mechanisms are compared.
 *
 * Owner: the broker (samsa_cluster_open, then the quorum thread).
 */
#ifndef SAMSA_BROKER_SCRAM_BOOTSTRAP_H
#define SAMSA_BROKER_SCRAM_BOOTSTRAP_H

#include "broker/broker.h"
#include "metadata/quorum.h"

/* The records this node writes into a new log (quorum.h's bootstrap):
 * its formatted credentials, if any, then the marker. *recs and each
 * record's bytes are malloc'd (cleanse and free). Remembers this node's
 * users for samsa_scram_bootstrap_check. SAMSA_ERR_CONFIG (errbuf names
 * the file) when the bootstrap file does not read. */
samsa_err_t samsa_scram_bootstrap_records(samsa_broker_t *b,
                                          samsa_meta_rec_t **recs,
                                          size_t *count, char *errbuf,
                                          size_t errlen);

/* With each new image (quorum thread): the first one holding the marker
 * decides, once per process, whether to say that this node's bootstrap
 * differs from the log's. */
void samsa_scram_bootstrap_check(samsa_broker_t *b,
                                 const samsa_meta_image_t *img);

#endif /* SAMSA_BROKER_SCRAM_BOOTSTRAP_H */
