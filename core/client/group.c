/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/client/group.c - classic consumer groups: join (range assignor),
 * heartbeat, leave, offset commit/fetch, consumer protocol encoding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "util/err.h"
#include "util/clock.h"

#define PROTOCOL_TYPE "consumer"
#define ASSIGNOR      "range"

/* ------------------------------------------------------------ encoding */

static samsa_err_t finish_encoding(samsa_iobuf_t *io, samsa_err_t err,
                                   uint8_t **out, size_t *len)
{
    if (err == SAMSA_OK) {
        err = samsa_iobuf_flatten(io, out, len);
    }
    samsa_iobuf_clear(io);
    return err;
}

samsa_err_t samsa_consumer_subscription_encode(const char *const *topics,
                                               int ntopics, uint8_t **out,
                                               size_t *len)
{
    samsa_ConsumerProtocolSubscription_t s;
    samsa_str_t *names = calloc((size_t)ntopics + 1, sizeof(*names));
    samsa_iobuf_t io;
    samsa_err_t err;
    uint8_t ver[2] = {0, 0};

    if (names == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    samsa_iobuf_init(&io);
    samsa_ConsumerProtocolSubscription_init(&s);
    for (int i = 0; i < ntopics; i++) {
        names[i] = samsa_str_from_cstr(topics[i]);
    }
    s.Topics.count = ntopics;
    s.Topics.items = names;
    s.UserData = (samsa_bytes_t){NULL, -1};
    err = samsa_iobuf_write(&io, ver, 2);
    if (err == SAMSA_OK) {
        err = samsa_ConsumerProtocolSubscription_encode(&io, 0, &s);
    }
    free(names);
    return finish_encoding(&io, err, out, len);
}

samsa_err_t samsa_consumer_assignment_encode(const samsa_tp_t *tps, int n,
                                             uint8_t **out, size_t *len)
{
    samsa_ConsumerProtocolAssignment_t a;
    samsa_ConsumerProtocolAssignment_TopicPartition_t *tp =
        calloc((size_t)n + 1, sizeof(*tp));
    int32_t *parts = calloc((size_t)n + 1, sizeof(int32_t));
    samsa_iobuf_t io;
    samsa_err_t err;
    uint8_t ver[2] = {0, 0};
    int nt = 0, np = 0;

    if (tp == NULL || parts == NULL) {
        free(tp);
        free(parts);
        return SAMSA_ERR_NOMEM;
    }
    samsa_iobuf_init(&io);
    samsa_ConsumerProtocolAssignment_init(&a);
    for (int i = 0; i < n; i++) {
        bool seen = false;
        for (int k = 0; k < nt; k++) {
            seen |= samsa_str_eq_cstr(tp[k].Topic, tps[i].topic);
        }
        if (seen) {
            continue;
        }
        samsa_ConsumerProtocolAssignment_TopicPartition_init(&tp[nt]);
        tp[nt].Topic = samsa_str_from_cstr(tps[i].topic);
        tp[nt].Partitions.items = &parts[np];
        for (int j = i; j < n; j++) {
            if (strcmp(tps[j].topic, tps[i].topic) == 0) {
                parts[np++] = tps[j].partition;
                tp[nt].Partitions.count++;
            }
        }
        nt++;
    }
    a.AssignedPartitions.count = nt;
    a.AssignedPartitions.items = tp;
    a.UserData = (samsa_bytes_t){NULL, -1};
    err = samsa_iobuf_write(&io, ver, 2);
    if (err == SAMSA_OK) {
        err = samsa_ConsumerProtocolAssignment_encode(&io, 0, &a);
    }
    free(tp);
    free(parts);
    return finish_encoding(&io, err, out, len);
}

/* Newer versions only add fields at the end, so decode what we know. */
static samsa_err_t read_version(samsa_rbuf_t *rb, int16_t *v)
{
    samsa_err_t err = samsa_rbuf_read_i16(rb, v);
    if (err == SAMSA_OK && *v < 0) {
        err = SAMSA_ERR_PROTOCOL;
    }
    if (*v > 3) {
        *v = 3;
    }
    return err;
}

samsa_err_t
samsa_consumer_assignment_decode(const uint8_t *p, size_t len,
                                 samsa_arena_t *arena,
                                 samsa_ConsumerProtocolAssignment_t *out)
{
    samsa_rbuf_t rb;
    int16_t v = 0;
    samsa_err_t err;

    samsa_ConsumerProtocolAssignment_init(out);
    if (len == 0) {
        return SAMSA_OK; /* empty assignment */
    }
    samsa_rbuf_init(&rb, p, len);
    err = read_version(&rb, &v);
    if (err == SAMSA_OK) {
        err = samsa_ConsumerProtocolAssignment_decode(&rb, v, arena, out);
    }
    return err;
}

samsa_err_t
samsa_consumer_subscription_decode(const uint8_t *p, size_t len,
                                   samsa_arena_t *arena,
                                   samsa_ConsumerProtocolSubscription_t *out)
{
    samsa_rbuf_t rb;
    int16_t v = 0;
    samsa_err_t err;

    samsa_ConsumerProtocolSubscription_init(out);
    samsa_rbuf_init(&rb, p, len);
    err = read_version(&rb, &v);
    if (err == SAMSA_OK) {
        err = samsa_ConsumerProtocolSubscription_decode(&rb, v, arena, out);
    }
    return err;
}

/* ------------------------------------------------------------ assignor */

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

samsa_err_t samsa_range_assign(int nmembers, const char *const *member_ids,
                               const bool *subs, int ntopics,
                               const char *const *topics, const int32_t *counts,
                               samsa_tp_t **out, int *nout)
{
    const char **sorted = calloc((size_t)nmembers + 1, sizeof(*sorted));
    int *idx = calloc((size_t)nmembers + 1, sizeof(int));
    int *order = calloc((size_t)ntopics + 1, sizeof(int));
    samsa_err_t err = SAMSA_OK;

    if (sorted == NULL || idx == NULL || order == NULL) {
        err = SAMSA_ERR_NOMEM;
        goto out;
    }
    for (int m = 0; m < nmembers; m++) {
        out[m] = NULL;
        nout[m] = 0;
        sorted[m] = member_ids[m];
    }
    qsort(sorted, (size_t)nmembers, sizeof(*sorted), cmp_cstr);
    /* topics in name order, as Kafka iterates a sorted map */
    for (int t = 0; t < ntopics; t++) {
        order[t] = t;
    }
    for (int i = 1; i < ntopics; i++) {
        for (int j = i;
             j > 0 && strcmp(topics[order[j - 1]], topics[order[j]]) > 0; j--) {
            int x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    }
    for (int oi = 0; oi < ntopics; oi++) {
        int t = order[oi];
        int k = 0;
        for (int s = 0; s < nmembers; s++) {
            for (int m = 0; m < nmembers; m++) {
                if (member_ids[m] == sorted[s] && subs[m * ntopics + t]) {
                    idx[k++] = m;
                }
            }
        }
        if (k == 0) {
            continue;
        }
        int32_t per = counts[t] / k, extra = counts[t] % k;
        for (int i = 0; i < k; i++) {
            int m = idx[i];
            int32_t start = per * i + (i < extra ? i : extra);
            int32_t n = per + (i < extra ? 1 : 0);
            samsa_tp_t *v =
                realloc(out[m], sizeof(*v) * (size_t)(nout[m] + n + 1));
            if (v == NULL) {
                err = SAMSA_ERR_NOMEM;
                goto out;
            }
            out[m] = v;
            for (int32_t p = 0; p < n; p++) {
                v[nout[m]].topic = (char *)topics[t];
                v[nout[m]].partition = start + p;
                nout[m]++;
            }
        }
    }
out:
    free(sorted);
    free(idx);
    free(order);
    return err;
}

/* ------------------------------------------------------------ membership */

void samsa_client_member_clear(samsa_client_member_t *m)
{
    free(m->group);
    free(m->member_id);
    for (int i = 0; i < m->ntopics; i++) {
        free(m->topics[i]);
    }
    free(m->topics);
    for (int i = 0; i < m->nassigned; i++) {
        free(m->assigned[i].topic);
    }
    free(m->assigned);
    memset(m, 0, sizeof(*m));
}

/* Leader: compute every member's assignment (range, per topic). */
static samsa_err_t
leader_assign(void *arg, samsa_client_t *c, const samsa_JoinGroupResponse_t *jr,
              samsa_arena_t *arena,
              samsa_SyncGroupRequest_SyncGroupRequestAssignment_t *as,
              uint8_t **bufs)
{
    int nm = jr->Members.count;
    const char **ids = calloc((size_t)nm + 1, sizeof(*ids));
    char **mids = calloc((size_t)nm + 1, sizeof(*mids));
    const char **topics = NULL;
    int ntopics = 0;
    samsa_ConsumerProtocolSubscription_t *subs =
        calloc((size_t)nm + 1, sizeof(*subs));
    bool *subm = NULL;
    int32_t *counts = NULL;
    samsa_tp_t **out = calloc((size_t)nm + 1, sizeof(*out));
    int *nout = calloc((size_t)nm + 1, sizeof(int));
    samsa_metadata_t *md = NULL;
    samsa_err_t err = SAMSA_OK;
    char **tnames = NULL;

    (void)arg;

    if (ids == NULL || mids == NULL || subs == NULL || out == NULL ||
        nout == NULL) {
        err = SAMSA_ERR_NOMEM;
        goto out;
    }
    int cap = 0;
    for (int m = 0; m < nm; m++) {
        const samsa_bytes_t *md_bytes = &jr->Members.items[m].Metadata;
        mids[m] = samsa_client_strdup(jr->Members.items[m].MemberId);
        ids[m] = mids[m];
        err = samsa_consumer_subscription_decode(
            md_bytes->ptr, md_bytes->len > 0 ? (size_t)md_bytes->len : 0, arena,
            &subs[m]);
        if (err != SAMSA_OK) {
            err = samsa_client_fail(c, err, "member %s: bad subscription",
                                    mids[m]);
            goto out;
        }
        cap += subs[m].Topics.count > 0 ? subs[m].Topics.count : 0;
    }
    tnames = calloc((size_t)cap + 1, sizeof(*tnames));
    topics = calloc((size_t)cap + 1, sizeof(*topics));
    if (tnames == NULL || topics == NULL) {
        err = SAMSA_ERR_NOMEM;
        goto out;
    }
    for (int m = 0; m < nm; m++) {
        for (int32_t i = 0; i < subs[m].Topics.count; i++) {
            bool seen = false;
            for (int t = 0; t < ntopics; t++) {
                seen |= samsa_str_eq_cstr(subs[m].Topics.items[i], topics[t]);
            }
            if (!seen) {
                tnames[ntopics] = samsa_client_strdup(subs[m].Topics.items[i]);
                topics[ntopics] = tnames[ntopics];
                ntopics++;
            }
        }
    }
    subm = calloc((size_t)(nm * ntopics) + 1, sizeof(bool));
    counts = calloc((size_t)ntopics + 1, sizeof(int32_t));
    if (subm == NULL || counts == NULL) {
        err = SAMSA_ERR_NOMEM;
        goto out;
    }
    for (int m = 0; m < nm; m++) {
        for (int32_t i = 0; i < subs[m].Topics.count; i++) {
            for (int t = 0; t < ntopics; t++) {
                if (samsa_str_eq_cstr(subs[m].Topics.items[i], topics[t])) {
                    subm[m * ntopics + t] = true;
                }
            }
        }
    }
    err = samsa_client_metadata(c, topics, ntopics, false, &md);
    if (err != SAMSA_OK) {
        goto out;
    }
    for (int t = 0; t < ntopics; t++) {
        const samsa_md_topic_t *mt = samsa_metadata_topic(md, topics[t]);
        counts[t] = mt != NULL && mt->error == 0 ? mt->npartitions : 0;
    }
    err = samsa_range_assign(nm, ids, subm, ntopics, topics, counts, out, nout);
    for (int m = 0; m < nm && err == SAMSA_OK; m++) {
        size_t len = 0;
        samsa_SyncGroupRequest_SyncGroupRequestAssignment_init(&as[m]);
        as[m].MemberId = jr->Members.items[m].MemberId;
        err = samsa_consumer_assignment_encode(out[m], nout[m], &bufs[m], &len);
        as[m].Assignment = (samsa_bytes_t){bufs[m], (int32_t)len};
    }
out:
    for (int m = 0; m < nm; m++) {
        if (out != NULL) {
            free(out[m]);
        }
        if (mids != NULL) {
            free(mids[m]);
        }
    }
    for (int t = 0; tnames != NULL && t < ntopics; t++) {
        free(tnames[t]);
    }
    free(tnames);
    free(topics);
    free(ids);
    free(mids);
    free(subs);
    free(subm);
    free(counts);
    free(out);
    free(nout);
    samsa_metadata_free(md);
    return err;
}

static samsa_err_t set_assignment(samsa_client_member_t *m,
                                  const samsa_bytes_t *b, samsa_arena_t *arena)
{
    samsa_ConsumerProtocolAssignment_t a;
    samsa_err_t err = samsa_consumer_assignment_decode(
        b->ptr, b->len > 0 ? (size_t)b->len : 0, arena, &a);
    int n = 0;

    if (err != SAMSA_OK) {
        return samsa_client_fail(m->client, err,
                                 "bad assignment from the "
                                 "group leader");
    }
    for (int i = 0; i < m->nassigned; i++) {
        free(m->assigned[i].topic);
    }
    free(m->assigned);
    m->assigned = NULL;
    m->nassigned = 0;
    for (int32_t t = 0; t < a.AssignedPartitions.count; t++) {
        n += a.AssignedPartitions.items[t].Partitions.count;
    }
    m->assigned = calloc((size_t)n + 1, sizeof(*m->assigned));
    if (m->assigned == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    for (int32_t t = 0; t < a.AssignedPartitions.count; t++) {
        const samsa_ConsumerProtocolAssignment_TopicPartition_t *tp =
            &a.AssignedPartitions.items[t];
        for (int32_t k = 0; k < tp->Partitions.count; k++) {
            m->assigned[m->nassigned].topic = samsa_client_strdup(tp->Topic);
            m->assigned[m->nassigned].partition = tp->Partitions.items[k];
            m->nassigned++;
        }
    }
    return SAMSA_OK;
}

static samsa_err_t join_once(samsa_client_member_t *m, samsa_arena_t *arena,
                             const samsa_client_protocol_t *p,
                             samsa_bytes_t *assignment)
{
    samsa_client_t *c = m->client;
    samsa_JoinGroupRequest_t jreq;
    samsa_JoinGroupRequest_JoinGroupRequestProtocol_t
        protos[SAMSA_CLIENT_MAX_PROTOCOLS];
    samsa_JoinGroupResponse_t *jr = NULL;
    samsa_SyncGroupRequest_t sreq;
    samsa_SyncGroupResponse_t *sr = NULL;
    samsa_SyncGroupRequest_SyncGroupRequestAssignment_t *as = NULL;
    uint8_t **bufs = NULL;
    int nm = 0;
    samsa_err_t err;

    err = samsa_client_coordinator(c, m->group, &m->coordinator);
    if (err != SAMSA_OK) {
        return err;
    }
    samsa_JoinGroupRequest_init(&jreq);
    int nprotos = 1 + (p->nmore < SAMSA_CLIENT_MAX_PROTOCOLS - 1
                           ? p->nmore
                           : SAMSA_CLIENT_MAX_PROTOCOLS - 1);
    for (int i = 0; i < nprotos; i++) {
        samsa_JoinGroupRequest_JoinGroupRequestProtocol_init(&protos[i]);
        protos[i].Name =
            samsa_str_from_cstr(i == 0 ? p->name : p->more_names[i - 1]);
        protos[i].Metadata =
            i == 0 ? (samsa_bytes_t){p->meta, (int32_t)p->meta_len}
                   : (samsa_bytes_t){p->more_metas[i - 1],
                                     (int32_t)p->more_meta_lens[i - 1]};
    }
    jreq.GroupId = samsa_str_from_cstr(m->group);
    jreq.SessionTimeoutMs = m->session_timeout_ms;
    jreq.RebalanceTimeoutMs = m->rebalance_timeout_ms;
    jreq.MemberId = samsa_str_from_cstr(m->member_id ? m->member_id : "");
    jreq.ProtocolType = samsa_str_from_cstr(p->type);
    jreq.Protocols.count = nprotos;
    jreq.Protocols.items = protos;
    err = samsa_client_call(c, m->coordinator, SAMSA_API_JOIN_GROUP, &jreq,
                            arena, (void **)&jr, NULL);
    if (err != SAMSA_OK) {
        return err;
    }
    if (jr->ErrorCode == SAMSA_ERR_MEMBER_ID_REQUIRED ||
        (jr->ErrorCode == 0 && jr->MemberId.len > 0)) {
        free(m->member_id);
        m->member_id = samsa_client_strdup(jr->MemberId);
        if (m->member_id == NULL) {
            return SAMSA_ERR_NOMEM;
        }
    }
    if (jr->ErrorCode != 0) {
        return samsa_client_fail(c, (samsa_err_t)jr->ErrorCode,
                                 "JoinGroup %s: %s", m->group,
                                 samsa_err_name(jr->ErrorCode));
    }
    m->generation = jr->GenerationId;
    m->leader = samsa_str_eq(jr->Leader, jr->MemberId);
    /* v7+ names the chosen protocol; older coordinators chose ours. */
    samsa_str_t chosen =
        jr->ProtocolName.len > 0 ? jr->ProtocolName : protos[0].Name;
    snprintf(m->protocol, sizeof(m->protocol), "%.*s", (int)chosen.len,
             chosen.ptr);
    samsa_SyncGroupRequest_init(&sreq);
    sreq.GroupId = jreq.GroupId;
    sreq.GenerationId = m->generation;
    sreq.MemberId = samsa_str_from_cstr(m->member_id);
    sreq.ProtocolType = jreq.ProtocolType;
    sreq.ProtocolName = chosen;
    if (m->leader && !jr->SkipAssignment) {
        nm = jr->Members.count;
        as = calloc((size_t)nm + 1, sizeof(*as));
        bufs = calloc((size_t)nm + 1, sizeof(*bufs));
        if (as == NULL || bufs == NULL) {
            err = SAMSA_ERR_NOMEM;
            goto out;
        }
        err = p->assign(p->assign_arg, c, jr, arena, as, bufs);
        if (err != SAMSA_OK) {
            goto out;
        }
        sreq.Assignments.count = nm;
        sreq.Assignments.items = as;
    }
    err = samsa_client_call(c, m->coordinator, SAMSA_API_SYNC_GROUP, &sreq,
                            arena, (void **)&sr, NULL);
    if (err != SAMSA_OK) {
        goto out;
    }
    if (sr->ErrorCode != 0) {
        err =
            samsa_client_fail(c, (samsa_err_t)sr->ErrorCode, "SyncGroup %s: %s",
                              m->group, samsa_err_name(sr->ErrorCode));
        goto out;
    }
    *assignment = sr->Assignment;
    m->last_heartbeat_ms = samsa_mono_ms();
out:
    for (int i = 0; bufs != NULL && i < nm; i++) {
        free(bufs[i]);
    }
    free(bufs);
    free(as);
    return err;
}

/* First join: remember the group and the subscription. */
static samsa_err_t member_init(samsa_client_t *c, samsa_client_member_t *m,
                               const char *group, const char *const *topics,
                               int ntopics)
{
    if (m->group != NULL) {
        return SAMSA_OK;
    }
    m->client = c;
    m->group = strdup(group);
    m->topics = calloc((size_t)ntopics + 1, sizeof(char *));
    if (m->group == NULL || m->topics == NULL) {
        return SAMSA_ERR_NOMEM;
    }
    for (int i = 0; i < ntopics; i++) {
        m->topics[i] = strdup(topics[i]);
        if (m->topics[i] == NULL) {
            return SAMSA_ERR_NOMEM;
        }
        m->ntopics++;
    }
    if (m->session_timeout_ms <= 0) {
        m->session_timeout_ms = 10000;
    }
    if (m->rebalance_timeout_ms <= 0) {
        m->rebalance_timeout_ms = 10000;
    }
    m->generation = -1;
    return SAMSA_OK;
}

/* JoinGroup + SyncGroup, retrying what a rejoin fixes; the assignment
 * points into @p arena. */
static samsa_err_t join_loop(samsa_client_member_t *m, samsa_arena_t *arena,
                             const samsa_client_protocol_t *p,
                             samsa_bytes_t *assignment)
{
    samsa_err_t err = SAMSA_OK;
    for (int attempt = 0; attempt < 10; attempt++) {
        samsa_arena_reset(arena);
        err = join_once(m, arena, p, assignment);
        if (err == SAMSA_ERR_MEMBER_ID_REQUIRED ||
            err == SAMSA_ERR_REBALANCE_IN_PROGRESS) {
            continue;
        }
        if (err == SAMSA_ERR_UNKNOWN_MEMBER_ID ||
            err == SAMSA_ERR_ILLEGAL_GENERATION) {
            free(m->member_id);
            m->member_id = NULL;
            continue;
        }
        if (err == SAMSA_ERR_NOT_COORDINATOR ||
            err == SAMSA_ERR_COORDINATOR_NOT_AVAILABLE ||
            err == SAMSA_ERR_COORDINATOR_LOAD_IN_PROGRESS) {
            samsa_client_forget_coordinator(m->client);
            continue;
        }
        break;
    }
    return err;
}

samsa_err_t samsa_client_join(samsa_client_t *c, samsa_client_member_t *m,
                              const char *group, const char *const *topics,
                              int ntopics)
{
    samsa_arena_t arena;
    samsa_client_protocol_t p = {
        .type = PROTOCOL_TYPE, .name = ASSIGNOR, .assign = leader_assign};
    samsa_bytes_t assignment = {NULL, -1};
    samsa_err_t err = member_init(c, m, group, topics, ntopics);

    if (err == SAMSA_OK) {
        err = samsa_consumer_subscription_encode(
            (const char *const *)m->topics, m->ntopics, &p.meta, &p.meta_len);
    }
    if (err != SAMSA_OK) {
        return err;
    }
    samsa_arena_init(&arena);
    err = join_loop(m, &arena, &p, &assignment);
    if (err == SAMSA_OK) {
        err = set_assignment(m, &assignment, &arena);
    }
    free(p.meta);
    samsa_arena_destroy(&arena);
    return err;
}

samsa_err_t samsa_client_join_protocol(samsa_client_t *c,
                                       samsa_client_member_t *m,
                                       const char *group,
                                       const samsa_client_protocol_t *p,
                                       uint8_t **assignment, size_t *len)
{
    samsa_arena_t arena;
    samsa_bytes_t got = {NULL, -1};
    samsa_err_t err = member_init(c, m, group, NULL, 0);

    *assignment = NULL;
    *len = 0;
    if (err != SAMSA_OK) {
        return err;
    }
    samsa_arena_init(&arena);
    err = join_loop(m, &arena, p, &got);
    if (err == SAMSA_OK && got.len > 0) {
        *assignment = malloc((size_t)got.len);
        if (*assignment == NULL) {
            err = SAMSA_ERR_NOMEM;
        } else {
            memcpy(*assignment, got.ptr, (size_t)got.len);
            *len = (size_t)got.len;
        }
    }
    samsa_arena_destroy(&arena);
    return err;
}

samsa_err_t samsa_client_heartbeat(samsa_client_member_t *m, bool force)
{
    samsa_HeartbeatRequest_t req;
    samsa_HeartbeatResponse_t *resp = NULL;
    samsa_arena_t arena;
    int64_t now = samsa_mono_ms();
    samsa_err_t err;

    int every = m->heartbeat_interval_ms > 0 ? m->heartbeat_interval_ms
                                             : m->session_timeout_ms / 3;
    if (!force && now - m->last_heartbeat_ms < every) {
        return SAMSA_OK;
    }
    samsa_arena_init(&arena);
    samsa_HeartbeatRequest_init(&req);
    req.GroupId = samsa_str_from_cstr(m->group);
    req.GenerationId = m->generation;
    req.MemberId = samsa_str_from_cstr(m->member_id);
    err = samsa_client_call(m->client, m->coordinator, SAMSA_API_HEARTBEAT,
                            &req, &arena, (void **)&resp, NULL);
    if (err == SAMSA_OK && resp->ErrorCode != 0) {
        err = samsa_client_fail(m->client, (samsa_err_t)resp->ErrorCode,
                                "Heartbeat %s: %s", m->group,
                                samsa_err_name(resp->ErrorCode));
    }
    m->last_heartbeat_ms = now;
    samsa_arena_destroy(&arena);
    return err;
}

samsa_err_t samsa_client_leave(samsa_client_member_t *m)
{
    samsa_LeaveGroupRequest_t req;
    samsa_LeaveGroupRequest_MemberIdentity_t who;
    samsa_LeaveGroupResponse_t *resp = NULL;
    samsa_arena_t arena;
    samsa_err_t err = SAMSA_OK;

    if (m->member_id != NULL && m->client != NULL) {
        samsa_arena_init(&arena);
        samsa_LeaveGroupRequest_init(&req);
        samsa_LeaveGroupRequest_MemberIdentity_init(&who);
        who.MemberId = samsa_str_from_cstr(m->member_id);
        req.GroupId = samsa_str_from_cstr(m->group);
        req.MemberId = who.MemberId;
        req.Members.count = 1;
        req.Members.items = &who;
        err =
            samsa_client_call(m->client, m->coordinator, SAMSA_API_LEAVE_GROUP,
                              &req, &arena, (void **)&resp, NULL);
        if (err == SAMSA_OK && resp->ErrorCode != 0) {
            err = (samsa_err_t)resp->ErrorCode;
        }
        samsa_arena_destroy(&arena);
    }
    samsa_client_member_clear(m);
    return err;
}

/* ------------------------------------------------------------ offsets */

/* Group (topic, index) pairs by topic: fills topic index ranges. */
static int distinct_topics(const samsa_tp_t *tps, int n, int *first)
{
    int nt = 0;
    for (int i = 0; i < n; i++) {
        bool seen = false;
        for (int k = 0; k < nt; k++) {
            seen |= strcmp(tps[first[k]].topic, tps[i].topic) == 0;
        }
        if (!seen) {
            first[nt++] = i;
        }
    }
    return nt;
}

samsa_err_t samsa_client_commit(samsa_client_t *c, const char *group,
                                const samsa_client_member_t *m,
                                const samsa_tp_t *tps, const int64_t *offsets,
                                int n)
{
    return samsa_client_commit_meta(c, group, m, tps, offsets, NULL, n);
}

samsa_err_t samsa_client_commit_meta(samsa_client_t *c, const char *group,
                                     const samsa_client_member_t *m,
                                     const samsa_tp_t *tps,
                                     const int64_t *offsets,
                                     const char *const *metadata, int n)
{
    samsa_OffsetCommitRequest_t req;
    samsa_OffsetCommitRequest_OffsetCommitRequestTopic_t *t =
        calloc((size_t)n + 1, sizeof(*t));
    samsa_OffsetCommitRequest_OffsetCommitRequestPartition_t *p =
        calloc((size_t)n + 1, sizeof(*p));
    int *first = calloc((size_t)n + 1, sizeof(int));
    samsa_OffsetCommitResponse_t *resp = NULL;
    samsa_arena_t arena;
    int32_t node = -1;
    samsa_err_t err;
    int np = 0;

    samsa_arena_init(&arena);
    if (t == NULL || p == NULL || first == NULL) {
        err = SAMSA_ERR_NOMEM;
        goto out;
    }
    err = samsa_client_coordinator(c, group, &node);
    if (err != SAMSA_OK) {
        goto out;
    }
    samsa_OffsetCommitRequest_init(&req);
    req.GroupId = samsa_str_from_cstr(group);
    req.GenerationIdOrMemberEpoch = m != NULL ? m->generation : -1;
    req.MemberId = samsa_str_from_cstr(m != NULL ? m->member_id : "");
    int nt = distinct_topics(tps, n, first);
    for (int k = 0; k < nt; k++) {
        samsa_OffsetCommitRequest_OffsetCommitRequestTopic_init(&t[k]);
        t[k].Name = samsa_str_from_cstr(tps[first[k]].topic);
        t[k].Partitions.items = &p[np];
        for (int i = 0; i < n; i++) {
            if (strcmp(tps[i].topic, tps[first[k]].topic) != 0) {
                continue;
            }
            samsa_OffsetCommitRequest_OffsetCommitRequestPartition_init(&p[np]);
            p[np].PartitionIndex = tps[i].partition;
            p[np].CommittedOffset = offsets[i];
            p[np].CommittedMetadata = samsa_str_from_cstr(
                metadata != NULL && metadata[i] != NULL ? metadata[i] : "");
            np++;
            t[k].Partitions.count++;
        }
    }
    req.Topics.count = nt;
    req.Topics.items = t;
    err = samsa_client_call(c, node, SAMSA_API_OFFSET_COMMIT, &req, &arena,
                            (void **)&resp, NULL);
    for (int32_t i = 0; err == SAMSA_OK && i < resp->Topics.count; i++) {
        const samsa_OffsetCommitResponse_OffsetCommitResponseTopic_t *rt =
            &resp->Topics.items[i];
        for (int32_t k = 0; k < rt->Partitions.count; k++) {
            int16_t ec = rt->Partitions.items[k].ErrorCode;
            if (ec != 0) {
                err = samsa_client_fail(
                    c, (samsa_err_t)ec, "OffsetCommit %s %.*s/%d: %s", group,
                    (int)rt->Name.len, rt->Name.ptr,
                    rt->Partitions.items[k].PartitionIndex, samsa_err_name(ec));
                break;
            }
        }
    }
out:
    free(t);
    free(p);
    free(first);
    samsa_arena_destroy(&arena);
    return err;
}

samsa_err_t samsa_client_committed(samsa_client_t *c, const char *group,
                                   const samsa_tp_t *tps, int64_t *offsets,
                                   int n)
{
    return samsa_client_committed_meta(c, group, tps, offsets, NULL, NULL, n);
}

samsa_err_t samsa_client_committed_meta(samsa_client_t *c, const char *group,
                                        const samsa_tp_t *tps, int64_t *offsets,
                                        samsa_committed_meta_cb cb, void *arg,
                                        int n)
{
    samsa_OffsetFetchRequest_t req;
    samsa_OffsetFetchRequest_OffsetFetchRequestTopic_t *t =
        calloc((size_t)n + 1, sizeof(*t));
    int32_t *parts = calloc((size_t)n + 1, sizeof(int32_t));
    int *first = calloc((size_t)n + 1, sizeof(int));
    samsa_OffsetFetchResponse_t *resp = NULL;
    samsa_arena_t arena;
    int32_t node = -1;
    samsa_err_t err;
    int np = 0;

    samsa_arena_init(&arena);
    if (t == NULL || parts == NULL || first == NULL) {
        err = SAMSA_ERR_NOMEM;
        goto out;
    }
    err = samsa_client_coordinator(c, group, &node);
    if (err != SAMSA_OK) {
        goto out;
    }
    samsa_OffsetFetchRequest_init(&req);
    req.GroupId = samsa_str_from_cstr(group);
    int nt = distinct_topics(tps, n, first);
    for (int k = 0; k < nt; k++) {
        samsa_OffsetFetchRequest_OffsetFetchRequestTopic_init(&t[k]);
        t[k].Name = samsa_str_from_cstr(tps[first[k]].topic);
        t[k].PartitionIndexes.items = &parts[np];
        for (int i = 0; i < n; i++) {
            if (strcmp(tps[i].topic, tps[first[k]].topic) == 0) {
                parts[np++] = tps[i].partition;
                t[k].PartitionIndexes.count++;
            }
        }
    }
    req.Topics.count = nt;
    req.Topics.items = t;
    err = samsa_client_call(c, node, SAMSA_API_OFFSET_FETCH, &req, &arena,
                            (void **)&resp, NULL);
    if (err != SAMSA_OK) {
        goto out;
    }
    if (resp->ErrorCode != 0) {
        err = samsa_client_fail(c, (samsa_err_t)resp->ErrorCode,
                                "OffsetFetch %s: %s", group,
                                samsa_err_name(resp->ErrorCode));
        goto out;
    }
    for (int i = 0; i < n; i++) {
        offsets[i] = -1;
        for (int32_t k = 0; k < resp->Topics.count; k++) {
            const samsa_OffsetFetchResponse_OffsetFetchResponseTopic_t *rt =
                &resp->Topics.items[k];
            if (!samsa_str_eq_cstr(rt->Name, tps[i].topic)) {
                continue;
            }
            for (int32_t j = 0; j < rt->Partitions.count; j++) {
                if (rt->Partitions.items[j].PartitionIndex ==
                        tps[i].partition &&
                    rt->Partitions.items[j].ErrorCode == 0) {
                    offsets[i] = rt->Partitions.items[j].CommittedOffset;
                    if (cb != NULL && offsets[i] >= 0) {
                        cb(arg, i, rt->Partitions.items[j].Metadata);
                    }
                }
            }
        }
    }
out:
    free(t);
    free(parts);
    free(first);
    samsa_arena_destroy(&arena);
    return err;
}

samsa_err_t samsa_client_delete_group(samsa_client_t *c, const char *group)
{
    samsa_DeleteGroupsRequest_t req;
    samsa_DeleteGroupsResponse_t *resp = NULL;
    samsa_arena_t arena;
    int32_t node = -1;
    samsa_arena_init(&arena);
    samsa_err_t err = samsa_client_coordinator(c, group, &node);
    if (err == SAMSA_OK) {
        samsa_str_t name = samsa_str_from_cstr(group);
        samsa_DeleteGroupsRequest_init(&req);
        req.GroupsNames.count = 1;
        req.GroupsNames.items = &name;
        err = samsa_client_call(c, node, SAMSA_API_DELETE_GROUPS, &req, &arena,
                                (void **)&resp, NULL);
    }
    int16_t code = 0;
    if (err == SAMSA_OK && resp->Results.count > 0) {
        code = resp->Results.items[0].ErrorCode;
    }
    if (err == SAMSA_OK && code != 0 && code != SAMSA_ERR_GROUP_ID_NOT_FOUND) {
        err = samsa_client_fail(c, (samsa_err_t)code, "DeleteGroups %s: %s",
                                group, samsa_err_name(code));
    }
    samsa_arena_destroy(&arena);
    return err;
}
