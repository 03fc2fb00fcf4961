/* SPDX-License-Identifier: Apache-2.0 */
/* tests/plugins/stub.h - shared bits of the broken fixture plugins. */
#ifndef SAMSA_TEST_FIXTURE_STUB_H
#define SAMSA_TEST_FIXTURE_STUB_H

#include <samsa/partitioner.h>

static samsa_err_t stub_init(const samsa_services_t *svc,
                             const samsa_instance_t *inst, void **state,
                             char *errbuf, size_t errbuf_size)
{
    (void)svc;
    (void)inst;
    (void)errbuf;
    (void)errbuf_size;
    *state = NULL;
    return SAMSA_OK;
}

static void stub_fini(void *state)
{
    (void)state;
}

__attribute__((unused)) static samsa_err_t
stub_partition(void *state, const samsa_partition_input_t *in,
               int32_t *partition)
{
    (void)state;
    (void)in;
    *partition = 0;
    return SAMSA_OK;
}

#endif
