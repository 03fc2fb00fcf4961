/* SPDX-License-Identifier: Apache-2.0 */
/* test_memory.c - the conformance table against storage-memory.so. */
#include <stdio.h>
#include <stdlib.h>

#include "conformance.h"

int main(void)
{
    const char *dir = getenv("SAMSA_TEST_PLUGIN_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/storage-memory.so", dir ? dir : ".");
    sc_caps_t caps = {.persistent = false, .segmented = false};
    return sc_run(path, &caps);
}
