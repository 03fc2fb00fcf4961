/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/common/connect_setting.h - a connector task's setting by key,
 * and a copy of a setting's text the task keeps, for the in-tree connector
 * plugins (source-file, source-mirror, sink-http, sink-postgres). Any
 * thread.
 */
#ifndef SAMSA_COMMON_CONNECT_SETTING_H
#define SAMSA_COMMON_CONNECT_SETTING_H

#include <samsa/connect.h>

/** The value of @p key in the task's settings, or @p def. Borrowed from
 *  @p info. */
const char *samsa_connect_setting(const samsa_connect_task_info_t *info,
                                  const char *key, const char *def);
/** The same in a settings array (what task_count and
 *  exactly_once_support are given). */
const char *samsa_connect_kv_get(const samsa_connect_kv_t *kv, uint64_t n,
                                 const char *key, const char *def);

/** A copy of @p s in memory from @p svc (freed with svc->free), or NULL
 *  when out of memory. */
char *samsa_connect_strdup(const samsa_services_t *svc, const char *s);

#endif /* SAMSA_COMMON_CONNECT_SETTING_H */
