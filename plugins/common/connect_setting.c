/* SPDX-License-Identifier: Apache-2.0 */
/* plugins/common/connect_setting.c - see connect_setting.h. */
#include "connect_setting.h"

#include <string.h>

const char *samsa_connect_kv_get(const samsa_connect_kv_t *kv, uint64_t n,
                                 const char *key, const char *def)
{
    for (uint64_t i = 0; i < n; i++) {
        if (strcmp(kv[i].key, key) == 0) {
            return kv[i].value;
        }
    }
    return def;
}

const char *samsa_connect_setting(const samsa_connect_task_info_t *info,
                                  const char *key, const char *def)
{
    return samsa_connect_kv_get(info->config, info->config_count, key, def);
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
