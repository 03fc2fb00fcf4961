/* SPDX-License-Identifier: Apache-2.0 */
/*
 * core/replica/fetcher.c - follower fetchers (Kafka's ReplicaFetcherThread):
 * num_replica_fetchers threads, each with its own epoll, one connection
 * per leader broker through the transport plugin, one Fetch v12 in flight
 * per connection (ReplicaId = this node, CurrentLeaderEpoch,
 * LastFetchedEpoch). An answer's records are appended as they are
 * (samsa_partition_append_replica), a DivergingEpoch truncates
 * (rules.c), OFFSET_OUT_OF_RANGE truncates to the leader's log start or
 * HW, and the follower's HW becomes min(leader HW, own LEO). Partition
 * errors back off that partition (replica_fetch_backoff_ms) until the
 * next image moves it; connection errors and silence beyond
 * replica_fetch_wait_max_ms + replica_socket_timeout_ms back off the
 * whole connection. These threads may block on the disk; never a reactor.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "protocol/api.h"
#include "protocol/arena.h"
#include "protocol/header.h"
#include "protocol/generated/messages.h"
#include "replica/replica_int.h"
#include "replica/sasl_login.h"
#include "util/err.h"
#include "util/clock.h"
#include "util/iobuf.h"
#include "util/log.h"

typedef struct link link_t;

typedef struct fpart {
    samsa_partition_t *part; /* key */
    samsa_topic_t *topic;    /* held */
    int32_t index;
    int32_t epoch; /* the leader's, from the image */
    int64_t delay_until;
    int64_t asked; /* FetchOffset of the fetch in flight (the LEO then) */
    bool in_sync;  /* reached the leader's HW at its last answer */
    link_t *link;
    struct fpart *next; /* in link->parts */
} fpart_t;

struct link {
    int32_t leader;
    char host[256];
    int32_t port;
    samsa_transport_conn_t *conn;
    int fd;
    uint32_t events; /* registered with epoll */
    bool in_flight;
    /* What is in flight: Fetch v12, or a SASL login step (SASL inter-broker
     * listener) until logged in; then a re-login is due at relogin_at. */
    int16_t api, version;
    bool logging_in;
    samsa_sasl_login_t login;
    int64_t relogin_at;
    int32_t corr;
    int64_t sent_ms;
    int64_t retry_at;
    uint8_t *out;
    size_t out_len, out_off;
    uint8_t size_buf[4];
    size_t size_got;
    uint8_t *in;
    size_t in_len, in_got;
    fpart_t *parts;
    link_t *next;
};

enum { CMD_ADD = 1, CMD_REMOVE = 2 };

typedef struct cmd {
    int op;
    samsa_partition_t *part;
    samsa_topic_t *topic; /* ADD: held, passed on */
    int32_t leader, port, epoch;
    char host[256];
    struct cmd *next;
} cmd_t;

struct samsa_fetcher {
    samsa_replica_mgr_t *rm;
    int id;
    pthread_t thread;
    int epfd, evfd;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    cmd_t *cmds, **tail;
    uint64_t submitted, done; /* commands; under mu */
    bool stop;
    link_t *links;
    int32_t next_corr;
    char client_id[64];
    samsa_arena_t arena;
    samsa_iobuf_t iob;
};

/* ------------------------------------------------------------------ */
/* Connections                                                        */
/* ------------------------------------------------------------------ */

static void set_events(samsa_fetcher_t *f, link_t *l, uint32_t want)
{
    uint32_t ev = (want & SAMSA_TRANSPORT_WANT_READ ? EPOLLIN : 0) |
                  (want & SAMSA_TRANSPORT_WANT_WRITE ? EPOLLOUT : 0);
    if (ev == l->events) {
        return;
    }
    struct epoll_event e = {.events = ev, .data.ptr = l};
    epoll_ctl(f->epfd, EPOLL_CTL_MOD, l->fd, &e);
    l->events = ev;
}

static void close_link(samsa_fetcher_t *f, link_t *l)
{
    if (l->conn) {
        epoll_ctl(f->epfd, EPOLL_CTL_DEL, l->fd, NULL);
        f->rm->tops->close(l->conn);
        l->conn = NULL;
        l->fd = -1;
    }
    free(l->out);
    free(l->in);
    l->out = l->in = NULL;
    l->out_len = l->out_off = l->in_len = l->in_got = l->size_got = 0;
    l->in_flight = false;
    l->logging_in = false;
    l->events = 0;
}

static void fail_link(samsa_fetcher_t *f, link_t *l, const char *what,
                      samsa_err_t err)
{
    samsa_log(SAMSA_LOG_DEBUG, "replica fetcher %d: leader %d at %s:%d: %s: %s",
              f->id, l->leader, l->host, l->port, what, samsa_err_str(err));
    close_link(f, l);
    l->retry_at = samsa_mono_ms() + f->rm->cfg.fetch_backoff_ms;
}

static bool open_link(samsa_fetcher_t *f, link_t *l)
{
    char errbuf[256] = "";
    samsa_err_t err = f->rm->tops->connect(f->rm->tstate, l->host, l->port,
                                           &l->conn, errbuf, sizeof(errbuf));
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_DEBUG, "replica fetcher %d: leader %d: %s", f->id,
                  l->leader, errbuf);
        l->conn = NULL;
        l->retry_at = samsa_mono_ms() + f->rm->cfg.fetch_backoff_ms;
        return false;
    }
    l->fd = f->rm->tops->pollable_fd(l->conn);
    struct epoll_event e = {.events = EPOLLOUT, .data.ptr = l};
    if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, l->fd, &e) != 0) {
        f->rm->tops->close(l->conn);
        l->conn = NULL;
        l->fd = -1;
        l->retry_at = samsa_mono_ms() + f->rm->cfg.fetch_backoff_ms;
        return false;
    }
    l->events = EPOLLOUT;
    const samsa_replica_config_t *cfg = &f->rm->cfg;
    l->logging_in = cfg->sasl_mechanism != NULL;
    l->relogin_at = 0;
    if (l->logging_in) {
        samsa_sasl_login_start(&l->login, cfg->sasl_mechanism,
                               cfg->sasl_username, cfg->sasl_password);
    }
    return true;
}

static uint32_t want_after_again(samsa_fetcher_t *f, link_t *l, uint32_t dflt)
{
    uint32_t w =
        f->rm->tops->want_events ? f->rm->tops->want_events(l->conn) : 0;
    return w ? w : dflt;
}

/* Send what is left of l->out; then wait for the answer. */
static void pump_send(samsa_fetcher_t *f, link_t *l)
{
    while (l->out_off < l->out_len) {
        struct iovec iov = {l->out + l->out_off, l->out_len - l->out_off};
        size_t sent = 0;
        samsa_err_t err = f->rm->tops->send(l->conn, &iov, 1, &sent);
        if (err == SAMSA_ERR_AGAIN) {
            set_events(f, l,
                       want_after_again(f, l, SAMSA_TRANSPORT_WANT_WRITE));
            return;
        }
        if (err != SAMSA_OK) {
            fail_link(f, l, "send", err);
            return;
        }
        l->out_off += sent;
    }
    free(l->out);
    l->out = NULL;
    l->out_len = l->out_off = 0;
    set_events(f, l, SAMSA_TRANSPORT_WANT_READ);
}

/* ------------------------------------------------------------------ */
/* Fetch requests                                                     */
/* ------------------------------------------------------------------ */

/* How long a partition the follower throttle holds back waits before it
 * is looked at again. */
#define THROTTLE_PAUSE_MS 100

static const char follower_list[] = "follower.replication.throttled.replicas";

/* Kafka's shouldFollowerThrottle: a partition behind its leader and
 * listed for this broker waits while the follower rate is over its
 * bound. */
static bool follower_throttled(samsa_fetcher_t *f, fpart_t *fp, bool over)
{
    return over && !fp->in_sync &&
           samsa_repl_throttled(&f->rm->follower_quota, fp->topic,
                                follower_list, fp->index, f->rm->b->node_id);
}

/* Frame @p body as request @p api v@p version and start sending it. */
static void send_request(samsa_fetcher_t *f, link_t *l, int16_t api,
                         int16_t version, const void *body, int64_t now)
{
    l->corr = f->next_corr++;
    if (f->next_corr == INT32_MAX) {
        f->next_corr = 1;
    }
    samsa_iobuf_clear(&f->iob);
    samsa_err_t err =
        samsa_request_frame(&f->iob, api, version, l->corr,
                            samsa_str_from_cstr(f->client_id), body);
    if (err == SAMSA_OK) {
        err = samsa_iobuf_flatten(&f->iob, &l->out, &l->out_len);
    }
    samsa_iobuf_clear(&f->iob);
    if (err != SAMSA_OK) {
        fail_link(f, l, "encode request", err);
        return;
    }
    l->api = api;
    l->version = version;
    l->out_off = 0;
    l->in_flight = true;
    l->sent_ms = now;
    pump_send(f, l);
}

static void send_login_step(samsa_fetcher_t *f, link_t *l, int64_t now)
{
    int16_t api = 0, version = 0;
    void *body = NULL;
    samsa_arena_reset(&f->arena);
    samsa_err_t err =
        samsa_sasl_login_request(&l->login, &f->arena, &api, &version, &body);
    if (err != SAMSA_OK) {
        fail_link(f, l, "SASL request", err);
        return;
    }
    send_request(f, l, api, version, body, now);
}

static void send_fetch(samsa_fetcher_t *f, link_t *l, int64_t now)
{
    if (l->logging_in) {
        send_login_step(f, l, now);
        return;
    }
    samsa_replica_config_t *cfg = &f->rm->cfg;
    bool over = samsa_repl_quota_exceeded(&f->rm->follower_quota, now);
    int n = 0;
    for (fpart_t *fp = l->parts; fp; fp = fp->next) {
        if (fp->delay_until <= now && follower_throttled(f, fp, over)) {
            fp->delay_until = now + THROTTLE_PAUSE_MS;
        }
        n += fp->delay_until <= now;
    }
    if (n == 0) {
        return;
    }
    samsa_arena_reset(&f->arena);
    samsa_FetchRequest_t req;
    samsa_FetchRequest_init(&req);
    req.ReplicaId = f->rm->b->node_id;
    req.MaxWaitMs = cfg->fetch_wait_max_ms;
    req.MinBytes = cfg->fetch_min_bytes;
    req.MaxBytes = cfg->fetch_response_max_bytes;
    req.IsolationLevel = 0;
    req.SessionId = 0;
    req.SessionEpoch = -1; /* no fetch session: full fetches */
    samsa_FetchRequest_FetchTopic_t *ts =
        samsa_arena_alloc(&f->arena, sizeof(*ts) * (size_t)n);
    samsa_FetchRequest_FetchPartition_t *ps =
        samsa_arena_alloc(&f->arena, sizeof(*ps) * (size_t)n);
    if (!ts || !ps) {
        return;
    }
    int i = 0;
    for (fpart_t *fp = l->parts; fp && i < n; fp = fp->next) {
        if (fp->delay_until > now) {
            continue;
        }
        samsa_FetchRequest_FetchTopic_init(&ts[i]);
        samsa_FetchRequest_FetchPartition_init(&ps[i]);
        ts[i].Topic = samsa_str_from_cstr(fp->topic->name);
        memcpy(ts[i].TopicId.b, fp->topic->id, 16);
        ts[i].Partitions.items = &ps[i];
        ts[i].Partitions.count = 1;
        ps[i].Partition = fp->index;
        ps[i].CurrentLeaderEpoch = fp->epoch;
        fp->asked = samsa_partition_leo(fp->part);
        ps[i].FetchOffset = fp->asked;
        ps[i].LastFetchedEpoch = samsa_partition_last_epoch(fp->part);
        ps[i].LogStartOffset = samsa_partition_log_start(fp->part);
        ps[i].PartitionMaxBytes = cfg->fetch_max_bytes;
        i++;
    }
    req.Topics.items = ts;
    req.Topics.count = i;
    req.ForgottenTopicsData.count = 0;
    send_request(f, l, SAMSA_API_FETCH, 12, &req, now);
}

/* ------------------------------------------------------------------ */
/* Answers                                                            */
/* ------------------------------------------------------------------ */

static fpart_t *find_part(link_t *l, samsa_str_t topic, int32_t index)
{
    for (fpart_t *fp = l->parts; fp; fp = fp->next) {
        if (fp->index == index &&
            (size_t)topic.len == strlen(fp->topic->name) &&
            memcmp(topic.ptr, fp->topic->name, (size_t)topic.len) == 0) {
            return fp;
        }
    }
    return NULL;
}

/* The whole batches at the start of @p p (a leader may end an answer
 * with a partial one). */
static size_t whole_batches(const uint8_t *p, size_t len, int64_t *first)
{
    size_t off = 0;
    *first = -1;
    while (len - off >= 12) {
        const uint8_t *h = p + off;
        int64_t base = 0;
        for (int k = 0; k < 8; k++) {
            base = (int64_t)((uint64_t)base << 8 | h[k]);
        }
        uint32_t blen = (uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 |
                        (uint32_t)h[10] << 8 | h[11];
        if ((size_t)blen + 12 > len - off) {
            break;
        }
        if (*first < 0) {
            *first = base;
        }
        off += (size_t)blen + 12;
    }
    return off;
}

static void truncate_to(samsa_fetcher_t *f, fpart_t *fp, int64_t offset,
                        const char *why)
{
    samsa_err_t err = samsa_partition_truncate_to(fp->part, offset);
    samsa_log(err == SAMSA_OK ? SAMSA_LOG_INFO : SAMSA_LOG_ERROR,
              "replica fetcher %d: %s-%d: truncated to %lld (%s)%s%s", f->id,
              fp->topic->name, fp->index, (long long)offset, why,
              err == SAMSA_OK ? "" : ": ",
              err == SAMSA_OK ? "" : samsa_err_str(err));
}

static void diverged(samsa_fetcher_t *f, fpart_t *fp,
                     const samsa_FetchResponse_EpochEndOffset_t *de)
{
    int32_t le = -1;
    int64_t lend = -1;
    int64_t leo = samsa_partition_leo(fp->part);
    bool done = false;
    samsa_partition_epoch_end(fp->part, de->Epoch, &le, &lend);
    int64_t off = samsa_replica_truncation_offset(de->Epoch, de->EndOffset, le,
                                                  lend, leo, &done);
    /* At the log end too: an epoch this replica started there without a
     * record goes (samsa_partition_truncate_to). */
    if (off <= leo) {
        truncate_to(f, fp, off < 0 ? 0 : off, "diverging epoch");
    }
}

static void out_of_range(samsa_fetcher_t *f, fpart_t *fp,
                         const samsa_FetchResponse_PartitionData_t *pd)
{
    int64_t leo = samsa_partition_leo(fp->part);
    if (pd->LogStartOffset > leo) {
        samsa_err_t err =
            samsa_partition_truncate_fully(fp->part, pd->LogStartOffset);
        samsa_log(err == SAMSA_OK ? SAMSA_LOG_INFO : SAMSA_LOG_ERROR,
                  "replica fetcher %d: %s-%d: behind the leader's log start "
                  "%lld: log restarted there (%s)",
                  f->id, fp->topic->name, fp->index,
                  (long long)pd->LogStartOffset, samsa_err_str(err));
    } else if (pd->HighWatermark >= 0 && pd->HighWatermark < leo) {
        truncate_to(f, fp, pd->HighWatermark, "ahead of the leader");
    } else {
        fp->delay_until = samsa_mono_ms() + f->rm->cfg.fetch_backoff_ms;
    }
}

static void handle_partition(samsa_fetcher_t *f, fpart_t *fp,
                             const samsa_FetchResponse_PartitionData_t *pd)
{
    if (pd->ErrorCode == SAMSA_ERR_OFFSET_OUT_OF_RANGE) {
        out_of_range(f, fp, pd);
        return;
    }
    if (pd->ErrorCode != SAMSA_OK) {
        /* FENCED/UNKNOWN_LEADER_EPOCH, NOT_LEADER...: the next image
         * says where to fetch from; until then, back off. */
        samsa_log(SAMSA_LOG_DEBUG, "replica fetcher %d: %s-%d: %s", f->id,
                  fp->topic->name, fp->index, samsa_err_str(pd->ErrorCode));
        fp->delay_until = samsa_mono_ms() + f->rm->cfg.fetch_backoff_ms;
        return;
    }
    if (pd->DivergingEpoch.Epoch >= 0 || pd->DivergingEpoch.EndOffset >= 0) {
        diverged(f, fp, &pd->DivergingEpoch);
        return;
    }
    if (pd->Records.ptr && pd->Records.len > 0) {
        int64_t first = -1;
        size_t len =
            whole_batches(pd->Records.ptr, (size_t)pd->Records.len, &first);
        /* An answer to a fetch from before a truncation: drop it. The
         * first batch may start past the offset asked for: a compacted
         * leader's log has gaps, and the follower keeps them. */
        if (len > 0 && fp->asked == samsa_partition_leo(fp->part) &&
            first >= fp->asked) {
            samsa_err_t err =
                samsa_partition_append_replica(fp->part, pd->Records.ptr, len);
            if (err != SAMSA_OK) {
                samsa_log(SAMSA_LOG_WARN,
                          "replica fetcher %d: %s-%d: append at %lld: %s",
                          f->id, fp->topic->name, fp->index, (long long)first,
                          samsa_err_str(err));
                fp->delay_until = samsa_mono_ms() + f->rm->cfg.fetch_backoff_ms;
                return;
            }
            if (samsa_repl_throttled(&f->rm->follower_quota, fp->topic,
                                     follower_list, fp->index,
                                     f->rm->b->node_id)) {
                samsa_repl_quota_record(&f->rm->follower_quota, (double)len,
                                        samsa_mono_ms());
            }
        }
    }
    fp->in_sync = pd->HighWatermark >= 0 &&
                  samsa_partition_leo(fp->part) >= pd->HighWatermark;
    if (pd->HighWatermark >= 0) {
        samsa_partition_set_hw(fp->part, pd->HighWatermark);
    }
    /* The leader's log start (DeleteRecords) moves ours, within what we
     * have committed (Kafka's maybeIncrementLogStartOffset). */
    if (pd->LogStartOffset > samsa_partition_log_start(fp->part) &&
        pd->LogStartOffset <= samsa_partition_hw(fp->part)) {
        int64_t low = -1;
        (void)samsa_partition_delete_records(fp->part, pd->LogStartOffset,
                                             &low);
    }
}

static void answer_done(link_t *l)
{
    free(l->in);
    l->in = NULL;
    l->in_len = l->in_got = l->size_got = 0;
    l->in_flight = false;
}

/* A login step answered: on to the next step, or to fetching once logged
 * in (and back to a fresh login before the session the leader granted
 * ends, since an expired session is closed at its next request). A
 * refusal is logged at WARN, as a refused certificate is: otherwise the
 * follower would silently stay out of the ISR. */
static void login_answer(samsa_fetcher_t *f, link_t *l, const void *resp)
{
    char why[512] = "";
    samsa_err_t err =
        samsa_sasl_login_answer(&l->login, resp, why, sizeof(why));
    answer_done(l);
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_WARN,
                  "replica fetcher %d: leader %d at %s:%d refused the "
                  "login: %s (%s)",
                  f->id, l->leader, l->host, l->port, why, samsa_err_name(err));
        fail_link(f, l, "SASL login", err);
        return;
    }
    if (samsa_sasl_login_done(&l->login)) {
        l->logging_in = false;
        int64_t life = l->login.session_lifetime_ms;
        l->relogin_at = life > 0 ? samsa_mono_ms() + life - life / 10 : 0;
    }
}

static void handle_answer(samsa_fetcher_t *f, link_t *l)
{
    samsa_rbuf_t rb;
    int32_t corr = -1;
    samsa_rbuf_init(&rb, l->in, l->in_len);
    samsa_arena_reset(&f->arena);
    void *out = NULL;
    samsa_err_t err = samsa_resp_header_parse(&rb, l->api, l->version, &corr);
    if (err == SAMSA_OK && corr != l->corr) {
        err = SAMSA_ERR_PROTOCOL;
    }
    if (err == SAMSA_OK) {
        err = samsa_response_decode(l->api, l->version, &rb, &f->arena, &out);
    }
    if (err != SAMSA_OK) {
        fail_link(f, l, l->logging_in ? "SASL answer" : "Fetch answer", err);
        return;
    }
    if (l->logging_in) {
        login_answer(f, l, out);
        return;
    }
    samsa_FetchResponse_t *resp = out;
    if (resp->ErrorCode != SAMSA_OK) {
        fail_link(f, l, "Fetch", resp->ErrorCode);
        return;
    }
    for (int32_t t = 0; t < resp->Responses.count; t++) {
        const samsa_FetchResponse_FetchableTopicResponse_t *tr =
            &resp->Responses.items[t];
        for (int32_t p = 0; p < tr->Partitions.count; p++) {
            const samsa_FetchResponse_PartitionData_t *pd =
                &tr->Partitions.items[p];
            fpart_t *fp = find_part(l, tr->Topic, pd->PartitionIndex);
            if (fp) {
                handle_partition(f, fp, pd);
            }
        }
    }
    answer_done(l);
}

static void pump_recv(samsa_fetcher_t *f, link_t *l)
{
    for (;;) {
        void *dst;
        size_t want;
        if (l->size_got < 4) {
            dst = l->size_buf + l->size_got;
            want = 4 - l->size_got;
        } else {
            dst = l->in + l->in_got;
            want = l->in_len - l->in_got;
        }
        size_t got = 0;
        samsa_err_t err = f->rm->tops->recv(l->conn, dst, want, &got);
        if (err == SAMSA_ERR_AGAIN) {
            set_events(f, l, want_after_again(f, l, SAMSA_TRANSPORT_WANT_READ));
            return;
        }
        if (err != SAMSA_OK) {
            fail_link(f, l, "receive", err);
            return;
        }
        if (l->size_got < 4) {
            l->size_got += got;
            if (l->size_got == 4) {
                uint32_t sz = (uint32_t)l->size_buf[0] << 24 |
                              (uint32_t)l->size_buf[1] << 16 |
                              (uint32_t)l->size_buf[2] << 8 | l->size_buf[3];
                if (sz < 4 || sz > (1u << 30) || !(l->in = malloc(sz))) {
                    fail_link(f, l, "answer size", SAMSA_ERR_PROTOCOL);
                    return;
                }
                l->in_len = sz;
                l->in_got = 0;
            }
            continue;
        }
        l->in_got += got;
        if (l->in_got == l->in_len) {
            handle_answer(f, l);
            return;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Commands from the applier                                          */
/* ------------------------------------------------------------------ */

static link_t *find_link(samsa_fetcher_t *f, int32_t leader)
{
    for (link_t *l = f->links; l; l = l->next) {
        if (l->leader == leader) {
            return l;
        }
    }
    return NULL;
}

static fpart_t *unlink_part(samsa_fetcher_t *f, samsa_partition_t *part)
{
    for (link_t *l = f->links; l; l = l->next) {
        for (fpart_t **pp = &l->parts; *pp; pp = &(*pp)->next) {
            if ((*pp)->part == part) {
                fpart_t *fp = *pp;
                *pp = fp->next;
                fp->next = NULL;
                fp->link = NULL;
                return fp;
            }
        }
    }
    return NULL;
}

static void apply_cmd(samsa_fetcher_t *f, cmd_t *c)
{
    fpart_t *fp = unlink_part(f, c->part);
    if (c->op == CMD_REMOVE) {
        if (fp) {
            samsa_topic_put(fp->topic);
            free(fp);
        }
        return;
    }
    if (!fp) {
        fp = calloc(1, sizeof(*fp));
        if (!fp) {
            samsa_topic_put(c->topic);
            return;
        }
        fp->part = c->part;
        fp->topic = c->topic;
        fp->index = samsa_partition_index(c->part);
    } else {
        samsa_topic_put(c->topic); /* it already holds one */
    }
    fp->epoch = c->epoch;
    fp->delay_until = 0;
    link_t *l = find_link(f, c->leader);
    if (l && (strcmp(l->host, c->host) != 0 || l->port != c->port)) {
        close_link(f, l); /* the leader came back elsewhere */
        l->retry_at = 0;
    }
    if (!l) {
        l = calloc(1, sizeof(*l));
        if (!l) {
            samsa_topic_put(fp->topic);
            free(fp);
            return;
        }
        l->leader = c->leader;
        l->fd = -1;
        l->next = f->links;
        f->links = l;
    }
    snprintf(l->host, sizeof(l->host), "%s", c->host);
    l->port = c->port;
    fp->link = l;
    fp->next = l->parts;
    l->parts = fp;
}

static void take_cmds(samsa_fetcher_t *f)
{
    uint64_t v;
    (void)!read(f->evfd, &v, sizeof(v));
    pthread_mutex_lock(&f->mu);
    cmd_t *list = f->cmds;
    f->cmds = NULL;
    f->tail = &f->cmds;
    pthread_mutex_unlock(&f->mu);
    uint64_t n = 0;
    while (list) {
        cmd_t *c = list;
        list = c->next;
        apply_cmd(f, c);
        free(c);
        n++;
    }
    if (n) {
        pthread_mutex_lock(&f->mu);
        f->done += n;
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->mu);
    }
}

static uint64_t submit(samsa_fetcher_t *f, cmd_t *c)
{
    pthread_mutex_lock(&f->mu);
    *f->tail = c;
    f->tail = &c->next;
    uint64_t seq = ++f->submitted;
    pthread_mutex_unlock(&f->mu);
    uint64_t one = 1;
    (void)!write(f->evfd, &one, sizeof(one));
    return seq;
}

void samsa_fetcher_add(samsa_fetcher_t *f, samsa_topic_t *topic,
                       samsa_partition_t *part, int32_t leader,
                       const char *host, int32_t port, int32_t epoch)
{
    cmd_t *c = calloc(1, sizeof(*c));
    if (!c) {
        return;
    }
    samsa_topic_hold(topic);
    *c = (cmd_t){.op = CMD_ADD,
                 .part = part,
                 .topic = topic,
                 .leader = leader,
                 .port = port,
                 .epoch = epoch};
    snprintf(c->host, sizeof(c->host), "%s", host);
    submit(f, c);
}

void samsa_fetcher_remove(samsa_fetcher_t *f, samsa_partition_t *part)
{
    cmd_t *c = calloc(1, sizeof(*c));
    if (!c) {
        return;
    }
    *c = (cmd_t){.op = CMD_REMOVE, .part = part};
    uint64_t seq = submit(f, c);
    pthread_mutex_lock(&f->mu);
    while (f->done < seq && !f->stop) {
        pthread_cond_wait(&f->cond, &f->mu);
    }
    pthread_mutex_unlock(&f->mu);
}

samsa_fetcher_t *samsa_fetcher_for(samsa_replica_mgr_t *rm, const char *topic,
                                   int32_t index)
{
    /* Java's String.hashCode, as Kafka's fetcher id. */
    int32_t h = 0;
    for (const char *p = topic; *p; p++) {
        h = (int32_t)((uint32_t)h * 31u + (uint8_t)*p);
    }
    uint32_t k = (uint32_t)(31 * (int64_t)h + index);
    return rm->fetchers[k % (uint32_t)rm->nfetchers];
}

/* ------------------------------------------------------------------ */
/* The thread                                                         */
/* ------------------------------------------------------------------ */

static int64_t service_links(samsa_fetcher_t *f)
{
    int64_t now = samsa_mono_ms();
    int64_t wait = 100;
    int64_t silent =
        (int64_t)f->rm->cfg.fetch_wait_max_ms + f->rm->cfg.socket_timeout_ms;
    for (link_t **lp = &f->links; *lp;) {
        link_t *l = *lp;
        if (!l->parts) {
            close_link(f, l);
            *lp = l->next;
            free(l);
            continue;
        }
        lp = &l->next;
        if (l->conn && !l->in_flight && l->relogin_at > 0 &&
            now >= l->relogin_at) {
            close_link(f, l); /* a new connection logs in afresh */
            l->retry_at = now;
        }
        if (!l->conn && now >= l->retry_at) {
            open_link(f, l);
        }
        if (l->conn && !l->in_flight) {
            send_fetch(f, l, now);
        }
        if (l->in_flight && now - l->sent_ms > silent) {
            fail_link(f, l, "no answer", SAMSA_ERR_REQUEST_TIMED_OUT);
        }
        if (!l->conn && l->retry_at > now && l->retry_at - now < wait) {
            wait = l->retry_at - now;
        }
        for (fpart_t *fp = l->parts; l->conn && !l->in_flight && fp;
             fp = fp->next) {
            if (fp->delay_until > now && fp->delay_until - now < wait) {
                wait = fp->delay_until - now;
            }
        }
    }
    return wait < 1 ? 1 : wait;
}

static void *fetcher_main(void *arg)
{
    samsa_fetcher_t *f = arg;
    struct epoll_event evs[64];
    for (;;) {
        take_cmds(f);
        pthread_mutex_lock(&f->mu);
        bool stop = f->stop;
        pthread_mutex_unlock(&f->mu);
        if (stop) {
            break;
        }
        int64_t wait = service_links(f);
        int n = epoll_wait(f->epfd, evs, 64, (int)wait);
        for (int i = 0; i < n; i++) {
            link_t *l = evs[i].data.ptr;
            if (!l || !l->conn) {
                continue; /* the eventfd, or closed meanwhile */
            }
            if (l->out_len > l->out_off) {
                pump_send(f, l);
            } else if (l->in_flight && l->conn) {
                pump_recv(f, l);
                if (l->conn && !l->in_flight) {
                    send_fetch(f, l, samsa_mono_ms());
                }
            } else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                /* Nothing asked: the leader closed (or broke) the idle
                 * connection. */
                fail_link(f, l, "idle connection", SAMSA_ERR_CLOSED);
            } else {
                set_events(f, l, SAMSA_TRANSPORT_WANT_READ);
            }
        }
    }
    for (link_t *l = f->links; l;) {
        link_t *next = l->next;
        for (fpart_t *fp = l->parts; fp;) {
            fpart_t *fn = fp->next;
            samsa_topic_put(fp->topic);
            free(fp);
            fp = fn;
        }
        close_link(f, l);
        free(l);
        l = next;
    }
    f->links = NULL;
    return NULL;
}

samsa_err_t samsa_fetcher_start(samsa_replica_mgr_t *rm, int id,
                                samsa_fetcher_t **out)
{
    samsa_fetcher_t *f = calloc(1, sizeof(*f));
    if (!f) {
        return SAMSA_ERR_NOMEM;
    }
    f->rm = rm;
    f->id = id;
    f->next_corr = 1;
    f->tail = &f->cmds;
    snprintf(f->client_id, sizeof(f->client_id), "samsa-replica-%d-%d",
             rm->b->node_id, id);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cond, NULL);
    samsa_arena_init(&f->arena);
    samsa_iobuf_init(&f->iob);
    f->epfd = epoll_create1(EPOLL_CLOEXEC);
    f->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
    if (f->epfd < 0 || f->evfd < 0 ||
        epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->evfd, &e) != 0 ||
        pthread_create(&f->thread, NULL, fetcher_main, f) != 0) {
        if (f->epfd >= 0) {
            close(f->epfd);
        }
        if (f->evfd >= 0) {
            close(f->evfd);
        }
        samsa_arena_destroy(&f->arena);
        free(f);
        return SAMSA_ERR_IO;
    }
    *out = f;
    return SAMSA_OK;
}

void samsa_fetcher_stop(samsa_fetcher_t *f)
{
    if (!f) {
        return;
    }
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
    uint64_t one = 1;
    (void)!write(f->evfd, &one, sizeof(one));
    pthread_join(f->thread, NULL);
    for (cmd_t *c = f->cmds; c;) {
        cmd_t *next = c->next;
        if (c->topic) {
            samsa_topic_put(c->topic);
        }
        free(c);
        c = next;
    }
    close(f->epfd);
    close(f->evfd);
    samsa_iobuf_clear(&f->iob);
    samsa_arena_destroy(&f->arena);
    pthread_cond_destroy(&f->cond);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
