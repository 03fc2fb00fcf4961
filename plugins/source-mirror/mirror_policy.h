/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_policy.h - which topics and groups are
 * mirrored (MM2's topics / topics.exclude / groups / groups.exclude:
 * comma-separated names or regexes, each matching a whole name; POSIX
 * extended regexes here, Java's in Kafka) and what a topic is called on
 * the target (MM2's DefaultReplicationPolicy "<alias><separator><topic>"
 * or IdentityReplicationPolicy). Task thread.
 */
#ifndef SAMSA_MIRROR_POLICY_H
#define SAMSA_MIRROR_POLICY_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#define SAMSA_MIRROR_MAX_PATTERNS 32

typedef struct samsa_mirror_filter {
    regex_t include[SAMSA_MIRROR_MAX_PATTERNS];
    size_t ninclude;
    regex_t exclude[SAMSA_MIRROR_MAX_PATTERNS];
    size_t nexclude;
} samsa_mirror_filter_t;

/* Compile @p include and @p exclude (comma-separated lists). On a bad
 * pattern: -1 with "KEY: PATTERN: why" in @p errbuf (@p what names the
 * setting), nothing left to free. */
int samsa_mirror_filter_init(samsa_mirror_filter_t *f, const char *what,
                             const char *include, const char *exclude,
                             char *errbuf, size_t errlen);
void samsa_mirror_filter_free(samsa_mirror_filter_t *f);
bool samsa_mirror_filter_match(const samsa_mirror_filter_t *f,
                               const char *name);

typedef struct samsa_mirror_policy {
    bool identity;      /* IdentityReplicationPolicy */
    char alias[128];    /* source.cluster.alias */
    char target[128];   /* target.cluster.alias ("" : no cycle check) */
    char separator[16]; /* replication.policy.separator */
} samsa_mirror_policy_t;

/* From replication.policy.class (Kafka's short or full class names).
 * -1 with the reason in @p errbuf for another class. */
int samsa_mirror_policy_init(samsa_mirror_policy_t *p, const char *cls,
                             const char *alias, const char *target,
                             const char *separator, char *errbuf,
                             size_t errlen);

/* The remote topic name of @p topic into @p out; false when it must not
 * be mirrored: an internal topic (samsa_mirror_internal_topic), or one
 * that came from the target, over any number of hops (a cycle). */
bool samsa_mirror_remote_topic(const samsa_mirror_policy_t *p,
                               const char *topic, char *out, size_t outlen);

/* The source topic whose remote topic is @p remote, into @p out; false
 * when @p remote is no remote topic of this source. */
bool samsa_mirror_upstream_topic(const samsa_mirror_policy_t *p,
                                 const char *remote, char *out, size_t outlen);

/* MM2's ReplicationPolicy.isInternalTopic: never mirrored, whatever
 * topics says ("__...", "....", "...-internal", "....internal"). */
bool samsa_mirror_internal_topic(const char *topic);

/* MM2's isHeartbeatsTopic: "heartbeats" once every source alias prefix
 * is taken off ("heartbeats", "east.heartbeats", "west.east.heartbeats"). */
bool samsa_mirror_heartbeats_topic(const samsa_mirror_policy_t *p,
                                   const char *topic);

#endif /* SAMSA_MIRROR_POLICY_H */
