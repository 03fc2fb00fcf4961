/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/metadata/image_controllers.h - the controllers' endpoints in the
 * metadata image (Kafka's RegisterControllerRecord): where brokers send
 * BrokerRegistration, BrokerHeartbeat and forwarded admin requests when
 * the controller is a controller-only node, which is no registered broker.
 * A controller-only node registers its endpoint when it becomes the
 * leader. For image.c; lookups for everyone are in image.h.
 */
#ifndef SAMSA_METADATA_IMAGE_CONTROLLERS_H
#define SAMSA_METADATA_IMAGE_CONTROLLERS_H

#include "metadata/image.h"
#include "metadata/mdrec_codec.h"

/* Apply a CONTROLLER record's body (after format and type). */
samsa_err_t samsa_meta_controllers_apply(samsa_meta_image_t *img,
                                         samsa_mddec_t *d,
                                         samsa_err_t *outcome);
/* Deep copy of @p src's controllers into @p dst (which has none). */
bool samsa_meta_controllers_copy(samsa_meta_image_t *dst,
                                 const samsa_meta_image_t *src);
void samsa_meta_controllers_free(samsa_meta_image_t *img);
/* Each controller as a record, to @p put (a snapshot). */
samsa_err_t
samsa_meta_controllers_encode(const samsa_meta_image_t *img,
                              samsa_err_t (*put)(void *arg, samsa_meta_rec_t *),
                              void *arg);

#endif /* SAMSA_METADATA_IMAGE_CONTROLLERS_H */
