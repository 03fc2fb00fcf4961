/* SPDX-License-Identifier: Apache-2.0 */
/* The metadata quorum on libraft with one voter: it elects itself,
 * commits proposals into the published image, keeps them across a restart
 * and bounds its log with a snapshot; where a new controller starts the
 * session clock of the node that led before it. */
#include <dirent.h>
#include <netinet/in.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "metadata/quorum.h"

typedef struct fx {
    char dir[256];
    samsa_voter_t voter;
    samsa_meta_options_t opts;
    sem_t done;
    _Atomic int images;
} fx_t;

static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static void on_image(void *arg, const samsa_meta_image_t *prev,
                     const samsa_meta_image_t *next)
{
    fx_t *f = arg;
    (void)prev;
    (void)next;
    f->images++;
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/samsa-quorum-XXXXXX");
    if (!mkdtemp(f->dir)) {
        return -1;
    }
    f->voter = (samsa_voter_t){.id = 0, .host = "127.0.0.1"};
    f->voter.port = free_port();
    f->opts = (samsa_meta_options_t){.node_id = 0,
                                     .voters = &f->voter,
                                     .voter_count = 1,
                                     .dir = f->dir,
                                     .session_timeout_ms = 60000,
                                     .on_image = on_image,
                                     .on_image_arg = f};
    sem_init(&f->done, 0, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    sem_destroy(&f->done);
    free(f);
    return system(cmd) == 0 ? 0 : -1;
}

static samsa_meta_t *open_quorum(fx_t *f)
{
    samsa_meta_t *m = NULL;
    char err[512] = "";
    if (samsa_meta_open(&f->opts, &m, err, sizeof(err)) != SAMSA_OK) {
        fail_msg("open: %s", err);
    }
    /* One voter elects itself at start; allow for a loaded machine. */
    for (int i = 0; i < 1000 && samsa_meta_controller(m) != 0; i++) {
        usleep(10000);
    }
    assert_int_equal(samsa_meta_controller(m), 0);
    return m;
}

static samsa_err_t last_outcome;

static void done(void *arg, samsa_err_t err)
{
    fx_t *f = arg;
    last_outcome = err;
    sem_post(&f->done);
}

static samsa_err_t propose_wait(fx_t *f, samsa_meta_t *m, samsa_meta_rec_t rec)
{
    samsa_meta_propose(m, rec, done, f);
    sem_wait(&f->done);
    return last_outcome;
}

static void commits_proposals_and_keeps_them(void **state)
{
    fx_t *f = *state;
    samsa_meta_t *m = open_quorum(f);
    samsa_meta_broker_t b = {.id = 0, .epoch = -1, .host = "h", .port = 1};
    samsa_meta_topic_t t = {.name = "orders", .partition_count = 0};
    samsa_meta_rec_t rec;
    bool fenced = true;

    assert_int_equal(samsa_meta_heartbeat(m, 0, 1, false, &fenced),
                     SAMSA_ERR_BROKER_ID_NOT_REGISTERED);
    assert_int_equal(samsa_mdrec_broker(&b, &rec), SAMSA_OK);
    assert_int_equal(propose_wait(f, m, rec), SAMSA_OK);
    assert_int_equal(samsa_mdrec_topic(&t, &rec), SAMSA_OK);
    assert_int_equal(propose_wait(f, m, rec), SAMSA_OK);
    assert_int_equal(samsa_mdrec_topic(&t, &rec), SAMSA_OK);
    assert_int_equal(propose_wait(f, m, rec), SAMSA_ERR_TOPIC_ALREADY_EXISTS);
    samsa_meta_image_t *img = samsa_meta_image_get(m);
    assert_non_null(samsa_meta_topic(img, "orders"));
    int64_t epoch = samsa_meta_broker(img, 0)->epoch;
    samsa_meta_image_put(img);
    assert_int_equal(samsa_meta_heartbeat(m, 0, epoch, false, &fenced),
                     SAMSA_OK);
    assert_false(fenced);
    assert_int_equal(samsa_meta_heartbeat(m, 0, epoch + 1, false, &fenced),
                     SAMSA_ERR_STALE_BROKER_EPOCH);
    samsa_meta_quorum_t q;
    samsa_meta_quorum_get(m, &q);
    assert_int_equal(q.leader_id, 0);
    assert_int_equal(q.voter_count, 1);
    assert_true(q.leader_epoch >= 1);
    samsa_meta_close(m);

    f->images = 0;
    m = open_quorum(f); /* replays its log */
    for (int i = 0; i < 1000; i++) {
        img = samsa_meta_image_get(m);
        bool back = samsa_meta_topic(img, "orders") != NULL;
        samsa_meta_image_put(img);
        if (back) {
            break;
        }
        usleep(10000);
    }
    img = samsa_meta_image_get(m);
    assert_non_null(samsa_meta_topic(img, "orders"));
    assert_int_equal(samsa_meta_broker(img, 0)->epoch, epoch);
    samsa_meta_image_put(img);
    assert_true(f->images > 0);
    samsa_meta_close(m);
}

static bool has_snapshot(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    bool found = false;
    while (d && (e = readdir(d)) != NULL) {
        found = found || strncmp(e->d_name, "snapshot-", 9) == 0;
    }
    if (d) {
        closedir(d);
    }
    return found;
}

static void a_snapshot_bounds_the_log(void **state)
{
    fx_t *f = *state;
    samsa_meta_t *m = open_quorum(f);
    samsa_meta_topic_t t = {.name = "cfg"};
    samsa_meta_rec_t rec;
    assert_int_equal(samsa_mdrec_topic(&t, &rec), SAMSA_OK);
    assert_int_equal(propose_wait(f, m, rec), SAMSA_OK);
    /* More records than the snapshot threshold (512), pipelined. */
    for (int i = 0; i < 600; i++) {
        char v[16];
        snprintf(v, sizeof(v), "%d", i);
        assert_int_equal(
            samsa_mdrec_topic_config("cfg", "retention.ms", v, &rec), SAMSA_OK);
        samsa_meta_propose(m, rec, i == 599 ? done : NULL, f);
    }
    sem_wait(&f->done);
    assert_int_equal(last_outcome, SAMSA_OK);
    for (int i = 0; i < 500 && !has_snapshot(f->dir); i++) {
        usleep(10000);
    }
    assert_true(has_snapshot(f->dir));
    samsa_meta_close(m);
    m = open_quorum(f); /* restores from the snapshot plus the tail */
    samsa_meta_image_t *img = NULL;
    for (int i = 0; i < 1000; i++) {
        img = samsa_meta_image_get(m);
        const samsa_meta_topic_t *ct = samsa_meta_topic(img, "cfg");
        if (ct && ct->config_count == 1 &&
            strcmp(ct->configs[0].value, "599") == 0) {
            break;
        }
        samsa_meta_image_put(img);
        img = NULL;
        usleep(10000);
    }
    assert_non_null(img);
    samsa_meta_image_put(img);
    samsa_meta_close(m);
}

/* A new controller times the node that led before it from when that
 * node was last heard, so a controller killed with its broker is fenced a
 * session after its death, not a session after the election; a live old
 * leader still gets the grace to heartbeat the new controller. */
static void old_leader_clock_starts_at_its_last_word(void **state)
{
    (void)state;
    /* Default keys: 9000 ms session, 2 x 2000 ms grace. Heard 1800 ms
     * before the election: fenced 9000 ms after it went silent. */
    assert_int_equal(samsa_meta_session_start(100000, 98200, 9000, 4000),
                     98200);
    /* Heard long ago (a leader before a long candidacy): the grace from
     * now, never straight away. */
    assert_int_equal(samsa_meta_session_start(100000, 80000, 9000, 4000),
                     95000);
    /* A grace longer than the session never puts the clock past now. */
    assert_int_equal(samsa_meta_session_start(100000, 98200, 3000, 4000),
                     100000);
    assert_int_equal(samsa_meta_session_start(100000, 100500, 9000, 4000),
                     100000);
}

static bool fenced_in_image(samsa_meta_t *m, int32_t id)
{
    samsa_meta_image_t *img = samsa_meta_image_get(m);
    const samsa_meta_broker_t *b = samsa_meta_broker(img, id);
    bool fenced = b == NULL || b->fenced;
    samsa_meta_image_put(img);
    return fenced;
}

/* Heartbeat broker @p id (epoch @p epoch) until the image has it unfenced
 * (bounded: 5 s). */
static void heartbeat_until_unfenced(samsa_meta_t *m, int32_t id, int64_t epoch)
{
    for (int i = 0; i < 250 && fenced_in_image(m, id); i++) {
        bool fenced = true;
        assert_int_equal(samsa_meta_heartbeat(m, id, epoch, false, &fenced),
                         SAMSA_OK);
        usleep(20000);
    }
    assert_false(fenced_in_image(m, id));
}

/* Register broker @p id (a new epoch each call) and heartbeat it until
 * unfenced; its epoch. */
static int64_t register_live(fx_t *f, samsa_meta_t *m, int32_t id)
{
    samsa_meta_broker_t b = {.id = id, .epoch = -1, .host = "h", .port = 1};
    samsa_meta_rec_t rec;
    assert_int_equal(samsa_mdrec_broker(&b, &rec), SAMSA_OK);
    assert_int_equal(propose_wait(f, m, rec), SAMSA_OK);
    samsa_meta_image_t *img = samsa_meta_image_get(m);
    int64_t epoch = samsa_meta_broker(img, id)->epoch;
    samsa_meta_image_put(img);
    heartbeat_until_unfenced(m, id, epoch);
    return epoch;
}

/* A controller whose own broker stopped listening (shutting down) hears no
 * heartbeats: it must not fence the brokers it cannot hear. The same
 * silence fences them while it listens. */
static void a_deaf_controller_fences_nobody(void **state)
{
    fx_t *f = *state;
    f->opts.session_timeout_ms = 300;
    f->opts.heartbeat_interval_ms = 100;
    samsa_meta_t *m = open_quorum(f);
    int64_t epoch = register_live(f, m, 7);

    /* Listening: silence past the session fences it (bounded: 5 s). */
    for (int i = 0; i < 250 && !fenced_in_image(m, 7); i++) {
        usleep(20000);
    }
    assert_true(fenced_in_image(m, 7));

    /* Deaf: five sessions of silence fence nothing. */
    heartbeat_until_unfenced(m, 7, epoch);
    samsa_meta_deafen(m);
    usleep(1500 * 1000);
    assert_false(fenced_in_image(m, 7));
    samsa_meta_close(m);
}

static bool has_topic(samsa_meta_t *m, const char *name)
{
    samsa_meta_image_t *img = samsa_meta_image_get(m);
    bool found = samsa_meta_topic(img, name) != NULL;
    samsa_meta_image_put(img);
    return found;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A follower applies a record as soon as the leader committed it, not at
 * the leader's next heartbeat (libraft sends the commit index only with
 * an AppendEntries: brokers named a dead leader 88 ms after others named
 * the new one). Heartbeats here are 2.5 s apart, so a standby that saw
 * each record within 1.25 s was told of its commit at once. */
static void followers_learn_commits_at_once(void **state)
{
    fx_t *f = *state;
    f->opts.raft_heartbeat_ms = 2500;
    samsa_meta_t *m = open_quorum(f);
    char dir[300];
    snprintf(dir, sizeof(dir), "%s/standby", f->dir);
    samsa_meta_options_t so = f->opts;
    so.node_id = 1;
    so.dir = dir;
    so.bind_host = "127.0.0.1";
    so.listen_port = free_port();
    samsa_meta_t *sb = NULL;
    char err[512] = "";
    if (samsa_meta_open(&so, &sb, err, sizeof(err)) != SAMSA_OK) {
        fail_msg("open the standby: %s", err);
    }
    samsa_meta_rec_t rec;
    samsa_meta_topic_t t = {.name = "first"};
    assert_int_equal(samsa_mdrec_topic(&t, &rec), SAMSA_OK);
    assert_int_equal(propose_wait(f, m, rec), SAMSA_OK);
    /* Admitted (it introduces itself every second) and caught up: a
     * rejected first AppendEntries waits a heartbeat. Bounded: 30 s. */
    for (int i = 0; i < 3000 && !has_topic(sb, "first"); i++) {
        usleep(10000);
    }
    assert_true(has_topic(sb, "first"));
    for (int k = 0; k < 3; k++) {
        char name[16];
        snprintf(name, sizeof(name), "t%d", k);
        t.name = name;
        assert_int_equal(samsa_mdrec_topic(&t, &rec), SAMSA_OK);
        assert_int_equal(propose_wait(f, m, rec), SAMSA_OK);
        int64_t committed = now_ms();
        while (!has_topic(sb, name) && now_ms() - committed < 5000) {
            usleep(2000);
        }
        int64_t took = now_ms() - committed;
        if (took >= 1250) {
            fail_msg("the standby applied %s %lld ms after the commit", name,
                     (long long)took);
        }
    }
    samsa_meta_close(sb);
    samsa_meta_close(m);
}

/* Controlled shutdown: a heartbeat with WantShutDown fences the broker
 * (its leaderships move) while it keeps heartbeating, and no later
 * heartbeat of that epoch unfences it, with or without the flag; its next
 * epoch (a restart) is unfenced as usual. */
static void
a_broker_asking_to_shut_down_is_fenced_and_stays_fenced(void **state)
{
    fx_t *f = *state;
    samsa_meta_t *m = open_quorum(f);
    int64_t epoch = register_live(f, m, 4);

    bool fenced = false;
    for (int i = 0; i < 250 && !fenced_in_image(m, 4); i++) {
        assert_int_equal(samsa_meta_heartbeat(m, 4, epoch, true, &fenced),
                         SAMSA_OK);
        usleep(20000);
    }
    assert_true(fenced_in_image(m, 4));
    assert_int_equal(samsa_meta_heartbeat(m, 4, epoch, true, &fenced),
                     SAMSA_OK);
    assert_true(fenced);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(samsa_meta_heartbeat(m, 4, epoch, i % 2 == 0, &fenced),
                         SAMSA_OK);
        usleep(20000);
    }
    assert_true(fenced_in_image(m, 4));

    /* Restarted: a new registration, a new epoch, unfenced. */
    assert_true(register_live(f, m, 4) > epoch);
    samsa_meta_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(commits_proposals_and_keeps_them, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_snapshot_bounds_the_log, setup,
                                        teardown),
        cmocka_unit_test(old_leader_clock_starts_at_its_last_word),
        cmocka_unit_test_setup_teardown(a_deaf_controller_fences_nobody, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(followers_learn_commits_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            a_broker_asking_to_shut_down_is_fenced_and_stays_fenced, setup,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
