/* SPDX-License-Identifier: Apache-2.0 */
/* fixture-no-entry: a shared object without samsa_plugin_descriptor. */
#include <samsa/abi.h>

SAMSA_EXPORT int samsa_not_a_plugin(void);

SAMSA_EXPORT int samsa_not_a_plugin(void)
{
    return 42;
}
