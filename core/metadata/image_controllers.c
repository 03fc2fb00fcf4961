/* SPDX-License-Identifier: Apache-2.0 */
/* core/metadata/image_controllers.c - see image_controllers.h. */
#include "metadata/image_controllers.h"

#include <stdlib.h>
#include <string.h>

samsa_err_t samsa_mdrec_controller(int32_t id, const char *host, int32_t port,
                                   samsa_meta_rec_t *out)
{
    samsa_mdenc_t e;
    samsa_mdenc_start(&e, SAMSA_MDREC_CONTROLLER);
    samsa_wbuf_i32(&e.w, id);
    samsa_mdenc_str(&e, host);
    samsa_wbuf_i32(&e.w, port);
    return samsa_mdenc_finish(&e, out);
}

const samsa_meta_broker_t *
samsa_meta_controller_node(const samsa_meta_image_t *img, int32_t id)
{
    const samsa_meta_broker_t *b = samsa_meta_broker(img, id);
    for (size_t i = 0; !b && img && i < img->controller_count; i++) {
        if (img->controllers[i].id == id) {
            b = &img->controllers[i];
        }
    }
    return b;
}

samsa_err_t samsa_meta_controllers_apply(samsa_meta_image_t *img,
                                         samsa_mddec_t *d, samsa_err_t *outcome)
{
    int32_t id = samsa_mddec_i32(d);
    char *host = samsa_mddec_str(d);
    int32_t port = samsa_mddec_i32(d);
    if (d->err != SAMSA_OK || !host) {
        free(host);
        return d->err != SAMSA_OK ? d->err : SAMSA_ERR_CORRUPT;
    }
    size_t at = 0;
    while (at < img->controller_count && img->controllers[at].id < id) {
        at++;
    }
    if (at < img->controller_count && img->controllers[at].id == id) {
        free(img->controllers[at].host);
    } else {
        samsa_meta_broker_t *n =
            realloc(img->controllers, (img->controller_count + 1) * sizeof(*n));
        if (!n) {
            free(host);
            return SAMSA_ERR_NOMEM;
        }
        memmove(&n[at + 1], &n[at], (img->controller_count - at) * sizeof(*n));
        img->controllers = n;
        img->controller_count++;
    }
    img->controllers[at] = (samsa_meta_broker_t){
        .id = id, .epoch = -1, .host = host, .port = port};
    *outcome = SAMSA_OK;
    return SAMSA_OK;
}

bool samsa_meta_controllers_copy(samsa_meta_image_t *dst,
                                 const samsa_meta_image_t *src)
{
    if (src->controller_count == 0) {
        return true;
    }
    dst->controllers = calloc(src->controller_count, sizeof(*dst->controllers));
    if (!dst->controllers) {
        return false;
    }
    for (size_t i = 0; i < src->controller_count; i++) {
        dst->controllers[i] =
            (samsa_meta_broker_t){.id = src->controllers[i].id,
                                  .epoch = -1,
                                  .host = strdup(src->controllers[i].host),
                                  .port = src->controllers[i].port};
        dst->controller_count = i + 1;
        if (!dst->controllers[i].host) {
            return false;
        }
    }
    return true;
}

void samsa_meta_controllers_free(samsa_meta_image_t *img)
{
    for (size_t i = 0; i < img->controller_count; i++) {
        free(img->controllers[i].host);
    }
    free(img->controllers);
    img->controllers = NULL;
    img->controller_count = 0;
}

samsa_err_t
samsa_meta_controllers_encode(const samsa_meta_image_t *img,
                              samsa_err_t (*put)(void *arg, samsa_meta_rec_t *),
                              void *arg)
{
    samsa_err_t err = SAMSA_OK;
    for (size_t i = 0; err == SAMSA_OK && i < img->controller_count; i++) {
        const samsa_meta_broker_t *c = &img->controllers[i];
        samsa_meta_rec_t rec;
        err = samsa_mdrec_controller(c->id, c->host, c->port, &rec);
        if (err == SAMSA_OK) {
            err = put(arg, &rec);
        }
    }
    return err;
}
