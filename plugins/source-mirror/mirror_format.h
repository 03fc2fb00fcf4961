/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_format.h - MirrorMaker 2's record formats,
 * byte for byte, so Kafka's MirrorClient / RemoteClusterUtils and MM2's
 * own connectors read what Samsa writes (and the reverse). They are
 * Kafka's old protocol Structs: STRING is an int16 length then UTF-8,
 * INT16/32/64 big-endian, fields in schema order.
 *
 *   OffsetSync  (mm2-offset-syncs.<target>.internal, partition 0)
 *     key   topic STRING, partition INT32
 *     value upstreamOffset INT64, offset INT64
 *   Checkpoint  (<source>.checkpoints.internal)
 *     key   group STRING, topic STRING, partition INT32
 *     value version INT16 (0), upstreamOffset INT64, offset INT64,
 *           metadata STRING
 *   Heartbeat   (heartbeats)
 *     key   sourceClusterAlias STRING, targetClusterAlias STRING
 *     value version INT16 (0), timestamp INT64
 *
 * Pure functions. The encoders write into @p out (@p cap bytes) and
 * return the length, or 0 when it does not fit (or a string is longer
 * than a STRING holds).
 */
#ifndef SAMSA_MIRROR_FORMAT_H
#define SAMSA_MIRROR_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

size_t samsa_mirror_offset_sync_key(uint8_t *out, size_t cap, const char *topic,
                                    int32_t partition);
size_t samsa_mirror_offset_sync_value(uint8_t *out, size_t cap, int64_t up,
                                      int64_t down);
/* Decode an OffsetSync; false for anything else (the topic's name into
 * @p topic, at most @p topic_cap bytes with the NUL). */
bool samsa_mirror_offset_sync_decode(const void *key, size_t key_len,
                                     const void *value, size_t value_len,
                                     char *topic, size_t topic_cap,
                                     int32_t *partition, int64_t *up,
                                     int64_t *down);

size_t samsa_mirror_checkpoint_key(uint8_t *out, size_t cap, const char *group,
                                   const char *topic, int32_t partition);
size_t samsa_mirror_checkpoint_value(uint8_t *out, size_t cap, int64_t up,
                                     int64_t down, const char *metadata);
/* Decode a Checkpoint (its metadata left out); false for anything else. */
bool samsa_mirror_checkpoint_decode(const void *key, size_t key_len,
                                    const void *value, size_t value_len,
                                    char *group, size_t group_cap, char *topic,
                                    size_t topic_cap, int32_t *partition,
                                    int64_t *up, int64_t *down);

size_t samsa_mirror_heartbeat_key(uint8_t *out, size_t cap, const char *source,
                                  const char *target);
size_t samsa_mirror_heartbeat_value(uint8_t *out, size_t cap,
                                    int64_t timestamp_ms);

#endif /* SAMSA_MIRROR_FORMAT_H */
