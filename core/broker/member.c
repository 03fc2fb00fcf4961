/* SPDX-License-Identifier: Apache-2.0 */
/* core/broker/member.c - see member.h. */
#include "broker/interbroker.h"
#include "broker/member.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/cluster.h"
#include "client/client.h"
#include "producer/pid_alloc.h"
#include "util/log.h"
#include "util/clock.h"

/* Retry cadence while not registered (or no controller is known). */
#define RETRY_MS           200
#define MAX_PENDING_TOPICS 64

struct samsa_member {
    samsa_broker_t *b;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    bool kick;                        /* run a round now */
    bool shutting_down;               /* samsa_member_shut_down */
    char *topics[MAX_PENDING_TOPICS]; /* auto-creations to forward */
    size_t ntopics;

    uint8_t incarnation[16];
    _Atomic bool proposing;        /* a direct registration is in flight */
    int64_t registered_wait_until; /* after a remote registration */
    samsa_client_t *client;
    int32_t client_node; /* controller the client talks to, -1 none */
    samsa_arena_t arena;
    bool was_fenced;
    /* The last refusal of this broker's login or rights logged at WARN
     * (0: none since the last success): said once, not every retry. */
    samsa_err_t refused_logged;
    /* This broker's producer-id block [pid_next, pid_end), from the
     * controller (a PRODUCER_IDS record); under lock. */
    int64_t pid_next, pid_end;
    _Atomic bool pid_asking; /* a direct block proposal is in flight */
};

/* Ask for the next block while this many ids are left. */
#define PID_LOW_WATER 100

static bool registered(samsa_member_t *mb, const samsa_meta_image_t *img,
                       const samsa_meta_broker_t **me)
{
    *me = samsa_meta_broker(img, mb->b->node_id);
    return *me && memcmp((*me)->incarnation, mb->incarnation, 16) == 0;
}

/* ------------------------------------------------------------------ */
/* This node is the controller: straight to the quorum                */
/* ------------------------------------------------------------------ */

static void direct_registered(void *arg, samsa_err_t err)
{
    samsa_member_t *mb = arg;
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_WARN, "cluster: registration failed: %s",
                  samsa_err_str(err));
    }
    atomic_store(&mb->proposing, false);
    /* Registered: ask for producer ids now rather than a retry later. */
    pthread_mutex_lock(&mb->lock);
    mb->kick = true;
    pthread_cond_signal(&mb->cond);
    pthread_mutex_unlock(&mb->lock);
}

/* Listeners registered: the broker's (not the controller's), at most
 * this many (a broker with more registers the first ones). */
#define MAX_LISTENERS 16

static size_t listener_count(const samsa_broker_t *b)
{
    return b->endpoint_count < MAX_LISTENERS ? b->endpoint_count
                                             : MAX_LISTENERS;
}

/* This broker's listeners as it registers them, into @p out
 * (listener_count() of them). */
static void own_listeners(const samsa_broker_t *b, samsa_meta_listener_t *out)
{
    for (size_t i = 0; i < listener_count(b); i++) {
        out[i] = (samsa_meta_listener_t){(char *)b->endpoints[i].name,
                                         (char *)b->endpoints[i].host,
                                         b->endpoints[i].port};
    }
}

static void register_direct(samsa_member_t *mb)
{
    samsa_broker_t *b = mb->b;
    samsa_meta_listener_t ls[MAX_LISTENERS];
    own_listeners(b, ls);
    samsa_meta_broker_t me = {.id = b->node_id,
                              .epoch = -1,
                              .host = b->advertised_host,
                              .port = b->advertised_port,
                              .rack = b->cfg->cluster.rack,
                              .listener_count = listener_count(b),
                              .listeners = ls};
    samsa_meta_rec_t rec;
    memcpy(me.incarnation, mb->incarnation, 16);
    if (atomic_exchange(&mb->proposing, true)) {
        return;
    }
    if (samsa_mdrec_broker(&me, &rec) != SAMSA_OK) {
        atomic_store(&mb->proposing, false);
        return;
    }
    samsa_meta_propose(b->meta, rec, direct_registered, mb);
}

static void create_direct(samsa_member_t *mb, const samsa_meta_image_t *img,
                          const char *topic)
{
    samsa_cluster_topic_spec_t spec = {
        .name = topic, .partitions = -1, .replication_factor = -1};
    (void)samsa_cluster_internal_spec(mb->b, topic, &spec);
    samsa_meta_rec_t rec;
    const char *why = NULL;
    samsa_err_t err = samsa_cluster_topic_record(mb->b, img, &spec, &rec, &why);
    if (err == SAMSA_OK) {
        samsa_log(SAMSA_LOG_INFO, "controller: auto-creating topic '%s'",
                  topic);
        samsa_meta_propose(mb->b->meta, rec, NULL, NULL);
    } else if (err != SAMSA_ERR_TOPIC_ALREADY_EXISTS) {
        samsa_log(SAMSA_LOG_WARN, "controller: cannot auto-create '%s': %s",
                  topic, why ? why : samsa_err_str(err));
    }
}

static void pid_block_install(samsa_member_t *mb, int64_t start, int64_t len)
{
    pthread_mutex_lock(&mb->lock);
    if (mb->pid_next >= mb->pid_end - PID_LOW_WATER) {
        mb->pid_next = start;
        mb->pid_end = start + len;
    }
    pthread_mutex_unlock(&mb->lock);
}

static bool pid_block_low(samsa_member_t *mb)
{
    pthread_mutex_lock(&mb->lock);
    bool low = mb->pid_end - mb->pid_next < PID_LOW_WATER;
    pthread_mutex_unlock(&mb->lock);
    return low;
}

typedef struct pid_ask {
    samsa_member_t *mb;
    int64_t start;
} pid_ask_t;

static void pid_block_done(void *arg, samsa_err_t err)
{
    pid_ask_t *ask = arg;
    if (err == SAMSA_OK) {
        pid_block_install(ask->mb, ask->start, SAMSA_PID_BLOCK_SIZE);
    }
    atomic_store(&ask->mb->pid_asking, false);
    free(ask);
}

static void pid_block_direct(samsa_member_t *mb, const samsa_meta_image_t *img)
{
    samsa_meta_rec_t rec;
    pid_ask_t *ask = malloc(sizeof(*ask));
    if (!ask || atomic_exchange(&mb->pid_asking, true)) {
        free(ask);
        return;
    }
    *ask = (pid_ask_t){mb, img->next_producer_id};
    if (samsa_mdrec_producer_ids(mb->b->node_id, ask->start,
                                 SAMSA_PID_BLOCK_SIZE, &rec) != SAMSA_OK) {
        pid_block_done(ask, SAMSA_ERR_NOMEM);
        return;
    }
    samsa_meta_propose(mb->b->meta, rec, pid_block_done, ask);
}

/* ------------------------------------------------------------------ */
/* Another node is the controller: Kafka requests to it               */
/* ------------------------------------------------------------------ */

samsa_client_t *samsa_member_controller_client(samsa_broker_t *b,
                                               const samsa_meta_broker_t *ctrl,
                                               samsa_client_t **client,
                                               int32_t *node)
{
    if (*client && *node == ctrl->id) {
        return *client;
    }
    samsa_client_free(*client);
    *client = NULL;
    *node = -1;
    char bootstrap[300];
    char client_id[64];
    snprintf(bootstrap, sizeof(bootstrap),
             strchr(ctrl->host, ':') ? "[%s]:%d" : "%s:%d", ctrl->host,
             ctrl->port);
    snprintf(client_id, sizeof(client_id), "samsa-broker-%d", b->node_id);
    int64_t hb = b->cfg->cluster.broker_heartbeat_interval_ms;
    samsa_client_conf_t conf = {.bootstrap = bootstrap,
                                .client_id = client_id,
                                .timeout_ms = (int)(hb > 1000 ? hb : 1000)};
    samsa_interbroker_client_conf(b->cfg, b->client_tls, &conf);
    if (samsa_client_new(&conf, client) != SAMSA_OK) {
        *client = NULL;
        return NULL;
    }
    *node = ctrl->id;
    return *client;
}

static samsa_client_t *controller_client(samsa_member_t *mb,
                                         const samsa_meta_broker_t *ctrl)
{
    return samsa_member_controller_client(mb->b, ctrl, &mb->client,
                                          &mb->client_node);
}

static void drop_client(samsa_member_t *mb)
{
    samsa_client_free(mb->client);
    mb->client = NULL;
    mb->client_node = -1;
}

static void register_remote(samsa_member_t *mb, samsa_client_t *c)
{
    samsa_broker_t *b = mb->b;
    samsa_BrokerRegistrationRequest_t req;
    /* The inter-broker listener first (the controller keeps it as the
     * broker's address), then every listener (Metadata answers clients
     * with the one they asked on). */
    samsa_BrokerRegistrationRequest_Listener_t l[MAX_LISTENERS + 1];
    void *resp = NULL;
    samsa_BrokerRegistrationRequest_init(&req);
    samsa_BrokerRegistrationRequest_Listener_init(&l[0]);
    req.BrokerId = b->node_id;
    req.ClusterId = samsa_str_from_cstr(b->cluster_id);
    memcpy(req.IncarnationId.b, mb->incarnation, 16);
    l[0].Name = samsa_str_from_cstr(
        b->cfg->listeners[b->cfg->cluster.inter_broker_listener].name);
    l[0].Host = samsa_str_from_cstr(b->advertised_host);
    l[0].Port = (uint16_t)b->advertised_port;
    for (size_t i = 0; i < listener_count(b); i++) {
        samsa_BrokerRegistrationRequest_Listener_init(&l[i + 1]);
        l[i + 1].Name = samsa_str_from_cstr(b->endpoints[i].name);
        l[i + 1].Host = samsa_str_from_cstr(b->endpoints[i].host);
        l[i + 1].Port = (uint16_t)b->endpoints[i].port;
    }
    req.Listeners.items = l;
    req.Listeners.count = (int32_t)listener_count(b) + 1;
    req.Features.count = 0;
    req.Rack = samsa_str_from_cstr(b->cfg->cluster.rack);
    samsa_err_t err =
        samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_BROKER_REGISTRATION,
                          &req, &mb->arena, &resp, NULL);
    if (err == SAMSA_OK) {
        err = ((samsa_BrokerRegistrationResponse_t *)resp)->ErrorCode;
    }
    if (err == SAMSA_OK) {
        /* Committed: wait for the image here to show it rather than
         * register again. */
        mb->registered_wait_until = samsa_mono_ms() + 2000;
        mb->refused_logged = SAMSA_OK;
    } else {
        /* A refused login or missing right does not heal by retrying:
         * the operator must hear of it (once); elections and restarts
         * pass by themselves. */
        bool refused = err == SAMSA_ERR_SASL_AUTHENTICATION_FAILED ||
                       err == SAMSA_ERR_UNSUPPORTED_SASL_MECHANISM ||
                       err == SAMSA_ERR_ILLEGAL_SASL_STATE ||
                       err == SAMSA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        bool say = refused && err != mb->refused_logged;
        samsa_log(say ? SAMSA_LOG_WARN : SAMSA_LOG_DEBUG,
                  "cluster: registration with %d: %s%s%s%s", mb->client_node,
                  samsa_err_str(err), say ? " (" : "",
                  say ? samsa_client_errmsg(c) : "",
                  say ? "); retrying: check sasl_mechanism_inter_broker_"
                        "protocol, sasl_inter_broker_username/password and "
                        "that the user exists (for SCRAM in a new cluster: "
                        "samsa storage format --add-scram) and is a super "
                        "user or holds ClusterAction"
                      : "");
        if (say) {
            mb->refused_logged = err;
        }
        drop_client(mb);
    }
}

/* The controller answered a heartbeat sent at @p sent_ms: alive, and
 * unfenced unless @p fenced. */
static void heartbeat_answered(samsa_member_t *mb, int64_t sent_ms, bool fenced)
{
    if (!fenced) {
        atomic_store(&mb->b->heartbeat_lease_ms,
                     sent_ms + mb->b->cfg->cluster.broker_session_timeout_ms);
    }
}

static void heartbeat_remote(samsa_member_t *mb, samsa_client_t *c,
                             int64_t epoch, const samsa_meta_image_t *img,
                             bool shut_down)
{
    int64_t sent = samsa_mono_ms();
    samsa_BrokerHeartbeatRequest_t req;
    void *resp = NULL;
    samsa_BrokerHeartbeatRequest_init(&req);
    req.BrokerId = mb->b->node_id;
    req.BrokerEpoch = epoch;
    req.CurrentMetadataOffset = (int64_t)img->index;
    req.WantShutDown = shut_down;
    samsa_err_t err =
        samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_BROKER_HEARTBEAT, &req,
                          &mb->arena, &resp, NULL);
    if (err == SAMSA_OK) {
        err = ((samsa_BrokerHeartbeatResponse_t *)resp)->ErrorCode;
    }
    if (err == SAMSA_OK) {
        heartbeat_answered(mb, sent,
                           ((samsa_BrokerHeartbeatResponse_t *)resp)->IsFenced);
    }
    if (err != SAMSA_OK) {
        samsa_log(SAMSA_LOG_DEBUG, "cluster: heartbeat to %d: %s",
                  mb->client_node, samsa_err_str(err));
        drop_client(mb);
    }
}

static void pid_block_remote(samsa_member_t *mb, samsa_client_t *c,
                             int64_t epoch)
{
    samsa_AllocateProducerIdsRequest_t req;
    void *resp = NULL;
    samsa_AllocateProducerIdsRequest_init(&req);
    req.BrokerId = mb->b->node_id;
    req.BrokerEpoch = epoch;
    samsa_err_t err =
        samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_ALLOCATE_PRODUCER_IDS,
                          &req, &mb->arena, &resp, NULL);
    samsa_AllocateProducerIdsResponse_t *r = resp;
    if (err == SAMSA_OK && r->ErrorCode == 0 && r->ProducerIdLen > 0) {
        pid_block_install(mb, r->ProducerIdStart, r->ProducerIdLen);
    } else if (err != SAMSA_OK) {
        drop_client(mb);
    }
}

static void create_remote(samsa_member_t *mb, samsa_client_t *c,
                          const char *topic)
{
    samsa_CreateTopicsRequest_t req;
    samsa_CreateTopicsRequest_CreatableTopic_t t;
    samsa_CreateTopicsRequest_CreateableTopicConfig_t cfgs[4];
    samsa_cluster_topic_spec_t spec = {.partitions = -1,
                                       .replication_factor = -1};
    void *resp = NULL;
    samsa_CreateTopicsRequest_init(&req);
    samsa_CreateTopicsRequest_CreatableTopic_init(&t);
    (void)samsa_cluster_internal_spec(mb->b, topic, &spec);
    t.Name = samsa_str_from_cstr(topic);
    t.NumPartitions = spec.partitions;
    t.ReplicationFactor = (int16_t)spec.replication_factor;
    t.Assignments.count = 0;
    t.Configs.count = 0;
    for (size_t i = 0; i < spec.config_count && i < 4; i++) {
        samsa_CreateTopicsRequest_CreateableTopicConfig_init(&cfgs[i]);
        cfgs[i].Name = samsa_str_from_cstr(spec.configs[i].key);
        cfgs[i].Value = samsa_str_from_cstr(spec.configs[i].value);
        t.Configs.items = cfgs;
        t.Configs.count = (int32_t)i + 1;
    }
    req.Topics.items = &t;
    req.Topics.count = 1;
    req.timeoutMs = 10000;
    if (samsa_client_call(c, SAMSA_NODE_ANY, SAMSA_API_CREATE_TOPICS, &req,
                          &mb->arena, &resp, NULL) != SAMSA_OK) {
        drop_client(mb);
    }
}

/* ------------------------------------------------------------------ */
/* The thread                                                         */
/* ------------------------------------------------------------------ */

static size_t take_topics(samsa_member_t *mb, char **out)
{
    pthread_mutex_lock(&mb->lock);
    size_t n = mb->ntopics;
    memcpy(out, mb->topics, n * sizeof(char *));
    mb->ntopics = 0;
    pthread_mutex_unlock(&mb->lock);
    return n;
}

static void round_once(samsa_member_t *mb, bool *ok)
{
    samsa_broker_t *b = mb->b;
    samsa_meta_image_t *img = samsa_meta_image_get(b->meta);
    int32_t ctrl = samsa_meta_controller(b->meta);
    const samsa_meta_broker_t *me = NULL;
    bool reg = registered(mb, img, &me);
    char *topics[MAX_PENDING_TOPICS];
    size_t nt = take_topics(mb, topics);
    pthread_mutex_lock(&mb->lock);
    bool shut = mb->shutting_down;
    pthread_mutex_unlock(&mb->lock);

    *ok = reg && ctrl >= 0 && !shut;
    if (ctrl == b->node_id) {
        bool fenced = false;
        if (!reg && !shut) {
            register_direct(mb);
        } else if (reg) {
            int64_t sent = samsa_mono_ms();
            if (samsa_meta_heartbeat(b->meta, b->node_id, me->epoch, shut,
                                     &fenced) == SAMSA_OK) {
                heartbeat_answered(mb, sent, fenced);
            }
        }
        for (size_t i = 0; i < nt; i++) {
            create_direct(mb, img, topics[i]);
        }
        if (reg && pid_block_low(mb)) {
            pid_block_direct(mb, img);
        }
    } else if (ctrl >= 0 && samsa_meta_controller_node(img, ctrl)) {
        samsa_client_t *c =
            controller_client(mb, samsa_meta_controller_node(img, ctrl));
        if (c && !reg && !shut &&
            samsa_mono_ms() >= mb->registered_wait_until) {
            register_remote(mb, c);
        } else if (c && reg) {
            heartbeat_remote(mb, c, me->epoch, img, shut);
        }
        for (size_t i = 0; mb->client && i < nt; i++) {
            create_remote(mb, mb->client, topics[i]);
        }
        if (mb->client && reg && pid_block_low(mb)) {
            pid_block_remote(mb, mb->client, me->epoch);
        }
        samsa_arena_reset(&mb->arena);
    }
    if (reg && me->fenced != mb->was_fenced) {
        samsa_log(me->fenced ? SAMSA_LOG_WARN : SAMSA_LOG_INFO,
                  "cluster: this broker is %s (epoch %lld)",
                  me->fenced ? "fenced" : "unfenced", (long long)me->epoch);
        mb->was_fenced = me->fenced;
    }
    for (size_t i = 0; i < nt; i++) {
        free(topics[i]);
    }
    samsa_meta_image_put(img);
}

static void *member_main(void *arg)
{
    samsa_member_t *mb = arg;
    int64_t interval = mb->b->cfg->cluster.broker_heartbeat_interval_ms;
    pthread_mutex_lock(&mb->lock);
    while (!mb->stop) {
        mb->kick = false;
        pthread_mutex_unlock(&mb->lock);
        bool ok = false;
        round_once(mb, &ok);
        int64_t wait = ok ? interval : RETRY_MS;
        struct timespec until = samsa_deadline(CLOCK_REALTIME, wait);
        pthread_mutex_lock(&mb->lock);
        while (!mb->stop && mb->ntopics == 0 && !mb->kick &&
               pthread_cond_timedwait(&mb->cond, &mb->lock, &until) !=
                   ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&mb->lock);
    return NULL;
}

samsa_err_t samsa_member_start(samsa_broker_t *b, samsa_member_t **out)
{
    samsa_member_t *mb = calloc(1, sizeof(*mb));
    if (!mb) {
        return SAMSA_ERR_NOMEM;
    }
    mb->b = b;
    mb->client_node = -1;
    samsa_arena_init(&mb->arena);
    pthread_mutex_init(&mb->lock, NULL);
    pthread_cond_init(&mb->cond, NULL);
    memcpy(mb->incarnation, b->incarnation, 16);
    if (pthread_create(&mb->thread, NULL, member_main, mb) != 0) {
        samsa_arena_destroy(&mb->arena);
        free(mb);
        return SAMSA_ERR_IO;
    }
    *out = mb;
    return SAMSA_OK;
}

void samsa_member_shut_down(samsa_member_t *mb)
{
    if (!mb) {
        return;
    }
    pthread_mutex_lock(&mb->lock);
    mb->shutting_down = true;
    mb->kick = true;
    pthread_cond_signal(&mb->cond);
    pthread_mutex_unlock(&mb->lock);
}

void samsa_member_stop(samsa_member_t *mb)
{
    if (!mb) {
        return;
    }
    pthread_mutex_lock(&mb->lock);
    mb->stop = true;
    pthread_cond_signal(&mb->cond);
    pthread_mutex_unlock(&mb->lock);
    pthread_join(mb->thread, NULL);
}

void samsa_member_free(samsa_member_t *mb)
{
    if (!mb) {
        return;
    }
    for (size_t i = 0; i < mb->ntopics; i++) {
        free(mb->topics[i]);
    }
    samsa_client_free(mb->client);
    samsa_arena_destroy(&mb->arena);
    pthread_cond_destroy(&mb->cond);
    pthread_mutex_destroy(&mb->lock);
    free(mb);
}

samsa_err_t samsa_member_producer_id(samsa_member_t *mb, int64_t *pid)
{
    pthread_mutex_lock(&mb->lock);
    samsa_err_t err = SAMSA_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    if (mb->pid_next < mb->pid_end) {
        *pid = mb->pid_next++;
        err = SAMSA_OK;
    }
    if (mb->pid_end - mb->pid_next < PID_LOW_WATER) {
        mb->kick = true; /* ask for the next block now */
        pthread_cond_signal(&mb->cond);
    }
    pthread_mutex_unlock(&mb->lock);
    return err;
}

bool samsa_member_has_producer_ids(samsa_member_t *mb)
{
    pthread_mutex_lock(&mb->lock);
    bool some = mb->pid_next < mb->pid_end;
    pthread_mutex_unlock(&mb->lock);
    return some;
}

bool samsa_member_active(samsa_member_t *mb, const samsa_meta_image_t *img)
{
    const samsa_meta_broker_t *me = NULL;
    return mb && registered(mb, img, &me) && !me->fenced;
}

void samsa_member_request_topic(samsa_member_t *mb, const char *topic)
{
    pthread_mutex_lock(&mb->lock);
    bool known = false;
    for (size_t i = 0; i < mb->ntopics; i++) {
        known = known || strcmp(mb->topics[i], topic) == 0;
    }
    if (!known && mb->ntopics < MAX_PENDING_TOPICS) {
        char *copy = strdup(topic);
        if (copy) {
            mb->topics[mb->ntopics++] = copy;
            pthread_cond_signal(&mb->cond);
        }
    }
    pthread_mutex_unlock(&mb->lock);
}
