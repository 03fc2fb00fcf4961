/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/common/connect_setting.h - a connector task's setting by key,
 * for the in-tree connector plugins (source-file, sink-http,
 * sink-postgres). Pure function; any thread.
 */
#ifndef SAMSA_COMMON_CONNECT_SETTING_H
#define SAMSA_COMMON_CONNECT_SETTING_H

#include <samsa/connect.h>

/** The value of @p key in the task's settings, or @p def. Borrowed from
 *  @p info. */
const char *samsa_connect_setting(const samsa_connect_task_info_t *info,
                                  const char *key, const char *def);

#endif /* SAMSA_COMMON_CONNECT_SETTING_H */
