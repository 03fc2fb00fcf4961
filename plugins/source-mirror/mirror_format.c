/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/source-mirror/mirror_format.c - MM2's OffsetSync, Checkpoint
 * and Heartbeat records (see mirror_format.h).
 */
#include <string.h>

#include "mirror_format.h"

#define FORMAT_VERSION 0

/* A bounded writer: ok turns false once something did not fit. */
typedef struct wr {
    uint8_t *p;
    size_t len, cap;
    bool ok;
} wr_t;

static void put_be(wr_t *w, uint64_t v, size_t bytes)
{
    if (!w->ok || w->cap - w->len < bytes) {
        w->ok = false;
        return;
    }
    for (size_t i = 0; i < bytes; i++) {
        w->p[w->len + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    }
    w->len += bytes;
}

static void put_str(wr_t *w, const char *s)
{
    size_t n = strlen(s);
    if (n > INT16_MAX) {
        w->ok = false;
        return;
    }
    put_be(w, n, 2);
    if (w->ok && w->cap - w->len < n) {
        w->ok = false;
    }
    if (w->ok) {
        memcpy(w->p + w->len, s, n);
        w->len += n;
    }
}

static size_t done(const wr_t *w)
{
    return w->ok ? w->len : 0;
}

size_t samsa_mirror_offset_sync_key(uint8_t *out, size_t cap, const char *topic,
                                    int32_t partition)
{
    wr_t w = {.p = out, .cap = cap, .ok = true};
    put_str(&w, topic);
    put_be(&w, (uint32_t)partition, 4);
    return done(&w);
}

size_t samsa_mirror_offset_sync_value(uint8_t *out, size_t cap, int64_t up,
                                      int64_t down)
{
    wr_t w = {.p = out, .cap = cap, .ok = true};
    put_be(&w, (uint64_t)up, 8);
    put_be(&w, (uint64_t)down, 8);
    return done(&w);
}

static uint64_t get_be(const uint8_t *p, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

bool samsa_mirror_offset_sync_decode(const void *key, size_t key_len,
                                     const void *value, size_t value_len,
                                     char *topic, size_t topic_cap,
                                     int32_t *partition, int64_t *up,
                                     int64_t *down)
{
    const uint8_t *k = key, *v = value;
    if (k == NULL || v == NULL || key_len < 2 || value_len != 16) {
        return false;
    }
    size_t n = (size_t)get_be(k, 2);
    if (n > INT16_MAX || key_len != 2 + n + 4 || n + 1 > topic_cap) {
        return false;
    }
    memcpy(topic, k + 2, n);
    topic[n] = '\0';
    *partition = (int32_t)(uint32_t)get_be(k + 2 + n, 4);
    *up = (int64_t)get_be(v, 8);
    *down = (int64_t)get_be(v + 8, 8);
    return *partition >= 0 && *up >= 0 && *down >= 0;
}

size_t samsa_mirror_checkpoint_key(uint8_t *out, size_t cap, const char *group,
                                   const char *topic, int32_t partition)
{
    wr_t w = {.p = out, .cap = cap, .ok = true};
    put_str(&w, group);
    put_str(&w, topic);
    put_be(&w, (uint32_t)partition, 4);
    return done(&w);
}

size_t samsa_mirror_checkpoint_value(uint8_t *out, size_t cap, int64_t up,
                                     int64_t down, const char *metadata)
{
    wr_t w = {.p = out, .cap = cap, .ok = true};
    put_be(&w, FORMAT_VERSION, 2);
    put_be(&w, (uint64_t)up, 8);
    put_be(&w, (uint64_t)down, 8);
    put_str(&w, metadata);
    return done(&w);
}

/* A STRING at @p *at of @p buf (@p len bytes) into @p out (@p cap with
 * the NUL); false when it does not fit either. */
static bool get_str(const uint8_t *buf, size_t len, size_t *at, char *out,
                    size_t cap)
{
    if (len - *at < 2) {
        return false;
    }
    size_t n = (size_t)get_be(buf + *at, 2);
    if (n > INT16_MAX || len - *at - 2 < n || n + 1 > cap) {
        return false;
    }
    memcpy(out, buf + *at + 2, n);
    out[n] = '\0';
    *at += 2 + n;
    return true;
}

bool samsa_mirror_checkpoint_decode(const void *key, size_t key_len,
                                    const void *value, size_t value_len,
                                    char *group, size_t group_cap, char *topic,
                                    size_t topic_cap, int32_t *partition,
                                    int64_t *up, int64_t *down)
{
    const uint8_t *k = key, *v = value;
    size_t at = 0;
    if (k == NULL || v == NULL || value_len < 20 ||
        get_be(v, 2) != FORMAT_VERSION ||
        !get_str(k, key_len, &at, group, group_cap) ||
        !get_str(k, key_len, &at, topic, topic_cap) || key_len - at != 4) {
        return false;
    }
    *partition = (int32_t)(uint32_t)get_be(k + at, 4);
    *up = (int64_t)get_be(v + 2, 8);
    *down = (int64_t)get_be(v + 10, 8);
    return *partition >= 0 && *up >= 0 && *down >= 0;
}

size_t samsa_mirror_heartbeat_key(uint8_t *out, size_t cap, const char *source,
                                  const char *target)
{
    wr_t w = {.p = out, .cap = cap, .ok = true};
    put_str(&w, source);
    put_str(&w, target);
    return done(&w);
}

size_t samsa_mirror_heartbeat_value(uint8_t *out, size_t cap,
                                    int64_t timestamp_ms)
{
    wr_t w = {.p = out, .cap = cap, .ok = true};
    put_be(&w, FORMAT_VERSION, 2);
    put_be(&w, (uint64_t)timestamp_ms, 8);
    return done(&w);
}
