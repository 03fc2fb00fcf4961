/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/common/connect_setting.c - see connect_setting.h. */
#include "connect_setting.h"

#include <string.h>

const char *samsa_connect_setting(const samsa_connect_task_info_t *info,
                                  const char *key, const char *def)
{
    for (uint64_t i = 0; i < info->config_count; i++) {
        if (strcmp(info->config[i].key, key) == 0) {
            return info->config[i].value;
        }
    }
    return def;
}

char *samsa_connect_strdup(const samsa_services_t *svc, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = svc->alloc(n);
    if (d != NULL) {
        memcpy(d, s, n);
    }
    return d;
}
