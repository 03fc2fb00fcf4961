/* SPDX-License-Identifier: Apache-2.0 */
/* test_segment.c - the conformance table against storage-segment.so. */
#include <stdio.h>
#include <stdlib.h>

#include "conformance.h"

int main(void)
{
    const char *dir = getenv("SAMSA_TEST_PLUGIN_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/storage-segment.so", dir ? dir : ".");
    sc_caps_t caps = {.persistent = true, .segmented = true};
    return sc_run(path, &caps);
}
