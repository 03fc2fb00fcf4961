/* SPDX-License-Identifier: Apache-2.0 */
/* fixture-codec: identity codec registered as Kafka codec id 1 (gzip),
 * allocating its output through the services table. */
#include <string.h>

#include <samsa/codec.h>

static samsa_err_t codec_init(const samsa_services_t *svc,
                              const samsa_instance_t *inst, void **state,
                              char *errbuf, size_t errbuf_size)
{
    (void)inst;
    (void)errbuf;
    (void)errbuf_size;
    *state = (void *)svc;
    return SAMSA_OK;
}

static void codec_fini(void *state)
{
    (void)state;
}

static samsa_err_t copy_out(const samsa_services_t *svc, const void *in,
                            size_t len, void **out, size_t *out_len)
{
    *out = svc->alloc(len ? len : 1);
    if (*out == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    memcpy(*out, in, len);
    *out_len = len;
    return SAMSA_OK;
}

static samsa_err_t codec_compress(void *state, const void *in, size_t in_len,
                                  void **out, size_t *out_len)
{
    return copy_out(state, in, in_len, out, out_len);
}

static samsa_err_t codec_decompress(void *state, const void *in, size_t in_len,
                                    size_t max_out, void **out, size_t *out_len)
{
    if (in_len > max_out) {
        return SAMSA_ERR_TOO_LARGE;
    }
    return copy_out(state, in, in_len, out, out_len);
}

static const samsa_codec_ops_t ops = {
    .hdr = SAMSA_ABI_HEADER(samsa_codec_ops_t),
    .codec_id = SAMSA_CODEC_GZIP,
    .compress = codec_compress,
    .decompress = codec_decompress,
};

static const samsa_plugin_t plugin = {
    .hdr = SAMSA_ABI_HEADER(samsa_plugin_t),
    .kind = SAMSA_KIND_CODEC,
    .name = "fixture-codec",
    .version = "0.1",
    .summary = "Test fixture: identity codec as id 1",
    .init = codec_init,
    .fini = codec_fini,
    .ops = &ops,
};

SAMSA_PLUGIN_DECLARE(plugin)
