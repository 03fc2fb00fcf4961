# SPDX-License-Identifier: Apache-2.0
"""Kafka Connect's distributed mode: two `samsa connect` workers with one
group.id share a file source and a three-task file sink (the group of
protocol type "connect" and the leader's eager assignment); a config
written through one worker is served by the other; kill -9 of the worker
running the source moves its tasks to the survivor within the session
timeout, the source resumes from the offsets the dead worker stored, and
no line is lost (duplicates, the at-least-once window, are counted)."""
import json
import os
import re
import signal
import time

from kafka import KafkaAdminClient, KafkaConsumer
from kafka.admin import NewTopic

from connect_rest import call, lines, read_topic, wait_for, wait_ready
from connect_worker import Worker, write
from samsa_harness import BUILD

# The SDK's source template: it splits its work over tasks.max tasks (the
# task_count op), each numbering its own records.
SEQUENCE_SO = os.path.join(BUILD, "tests", "unit", "testkit",
                           "source-sequence.so")

SESSION_MS = 2000
DELAY_MS = 1000


def file_sink(out, topic, tasks):
    """A FileStreamSink's config whose consumer group lets a dead worker's
    partitions go after SESSION_MS (KIP-458's consumer.override)."""
    return {"connector.class": "FileStreamSink", "file": out,
            "topics": topic, "tasks.max": str(tasks),
            "consumer.override.session.timeout.ms": str(SESSION_MS),
            "value.converter":
                "org.apache.kafka.connect.storage.StringConverter"}


def tasks_by_worker(w, names):
    """{(connector, task): worker_id} of RUNNING tasks, as w reports."""
    out = {}
    for name in names:
        code, st = call(w, "GET", "/connectors/%s/status" % name)
        if code != 200:
            return {}
        for t in st["tasks"]:
            if t["state"] == "RUNNING":
                out[(name, t["id"])] = t["worker_id"]
    return out


def test_two_workers_share_tasks_and_fail_over(broker_factory):
    broker = broker_factory("group_min_session_timeout_ms: 500").start()
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("dist", num_partitions=4,
                                  replication_factor=1)])
    admin.close()
    src = os.path.join(broker.workdir, "in.txt")
    out = os.path.join(broker.workdir, "out.txt")
    first = ["a%05d" % i for i in range(3000)]
    with open(src, "w") as f:
        f.write("".join(s + "\n" for s in first))
    # Internal topics of this group's own (Kafka's required keys in
    # distributed mode; ours default to connect-configs, ...).
    topics = ("config.storage.topic=dist-configs\n"
              "offset.storage.topic=dist-offsets\n"
              "status.storage.topic=dist-status\n"
              # The dead worker's tasks wait this long for it (Kafka's
              # incremental cooperative protocol, 5 min by default).
              "scheduled.rebalance.max.delay.ms=%d\n" % DELAY_MS)
    workers = [Worker(broker, "w1", "dist-workers", topics=topics),
               Worker(broker, "w2", "dist-workers", topics=topics)]
    try:
        for w in workers:
            wait_ready(w)
        w1, w2 = workers
        # Configs written through either worker reach the group.
        code, info = write(w1, "POST", "/connectors", {"name": "src", "config": {
            "connector.class": "FileStreamSource", "file": src,
            "topic": "dist", "tasks.max": "1",
            "value.converter":
                "org.apache.kafka.connect.storage.StringConverter"}})
        assert code == 201, info
        code, info = write(w2, "POST", "/connectors", {
            "name": "snk", "config": file_sink(out, "dist", 3)})
        assert code == 201, info
        all_tasks = {("src", 0), ("snk", 0), ("snk", 1), ("snk", 2)}

        def spread():
            got = tasks_by_worker(w1, ["src", "snk"])
            return (set(got) == all_tasks and
                    set(got.values()) == {w1.worker_id, w2.worker_id} and got)
        placed = wait_for(spread, "four tasks RUNNING over both workers", 20)
        # Both workers answer the same: the other's tasks come from
        # connect-status.
        assert call(w2, "GET", "/connectors")[1] == sorted(["snk", "src"]) or \
            sorted(call(w2, "GET", "/connectors")[1]) == ["snk", "src"]
        wait_for(lambda: len(set(lines(out))) == len(first), "the first lines",
                 20)
        keys = {m.key for m in read_topic(broker, "dist-configs", 5)}
        assert {b"connector-src", b"connector-snk"} <= keys, keys
        c = KafkaConsumer(bootstrap_servers=broker.bootstrap)
        assert "connect-configs" not in c.topics()
        c.close()

        # kill -9 the worker running the source: its offsets must move.
        victim = w1 if placed[("src", 0)] == w1.worker_id else w2
        survivor = w2 if victim is w1 else w1

        # A restart asked through the other worker reaches the task's own
        # (a restart-connector-src record in connect-configs).
        def starts():
            return victim.log_text().count("src task 0 running")
        before = starts()
        code, _ = write(survivor, "POST", "/connectors/src/tasks/0/restart",
                        None)
        assert code == 204
        wait_for(lambda: starts() > before, "the source task restarted", 10)
        victim.end(signal.SIGKILL)
        killed = time.monotonic()
        more = ["b%05d" % i for i in range(2000)]
        with open(src, "a") as f:
            f.write("".join(s + "\n" for s in more))

        def moved():
            got = tasks_by_worker(survivor, ["src", "snk"])
            return (set(got) == all_tasks and
                    set(got.values()) == {survivor.worker_id})
        wait_for(moved, "every task on the survivor", 20)
        took = time.monotonic() - killed
        want = set(first + more)
        try:
            wait_for(lambda: set(lines(out)) >= want,
                     "every line in the sink", 20)
        except AssertionError:
            miss = sorted(want - set(lines(out)))
            print("missing", len(miss), miss[:5], miss[-5:])
            print(survivor.log_text()[-6000:])
            raise
        got = lines(out)
        duplicates = len(got) - len(set(got))
        print("failover %.1fs (session %d ms), %d duplicate line(s) of %d" %
              (took, SESSION_MS, duplicates, len(want)))
        assert set(got) == want
        # At least once: a replay is at most what the dead worker had not
        # committed, never the whole input again.
        assert duplicates < len(first), duplicates
        # Within the session timeout plus a rebalance and the tasks'
        # start (generous on a loaded 2-core machine).
        assert took < (SESSION_MS + DELAY_MS) / 1000 + 10, took
        assert survivor.end(signal.SIGTERM) == 0, survivor.log_text()
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.end(signal.SIGKILL)


def leader_of(workers):
    """(leader, others) once every worker applied the same generation,
    from their "joined group G (generation N, leader|follower, ...)"
    lines."""
    def roles():
        got = []
        for w in workers:
            seen = re.findall(r"joined group \S+ \(generation (\d+), "
                              r"(leader|follower)[,)]", w.log_text())
            if not seen:
                return None
            got.append(seen[-1])
        if len({g for g, _ in got}) != 1 or \
                [r for _, r in got].count("leader") != 1:
            return None
        lead = [w for w, (_, r) in zip(workers, got) if r == "leader"][0]
        return lead, [w for w in workers if w is not lead]
    return wait_for(roles, "one generation with one leader", 20)


def same_status(w, state):
    """Wait until w shows connector s and both its tasks in @p state (no
    tasks when STOPPED, KIP-875); the worker ids it shows for them."""
    def shown():
        code, st = call(w, "GET", "/connectors/s/status")
        tasks = st.get("tasks", []) if code == 200 else None
        ok = (code == 200 and st["connector"]["state"] == state and
              len(tasks) == (0 if state == "STOPPED" else 2) and
              all(t["state"] == state for t in tasks))
        return ok and (st["connector"]["worker_id"],
                       sorted((t["id"], t["worker_id"]) for t in tasks))
    try:
        return wait_for(shown, "s %s on %s" % (state, w.worker_id), 15)
    except AssertionError:
        print("last status on", w.worker_id,
              call(w, "GET", "/connectors/s/status"))
        raise


def test_writes_through_a_follower_go_to_the_leader(broker_factory):
    """Kafka Connect forwards REST writes to the leader worker: created,
    changed, paused, resumed, restarted and deleted through the worker
    that is not the leader, each is applied once (one record per write in
    connect-configs) and shows through both workers; with the leader
    killed, a write through the follower gets Kafka's 500 "IO Error
    trying to forward REST request" until the group has a new leader."""
    broker = broker_factory("group_min_session_timeout_ms: 500").start()
    session_ms = 6000  # the window in which the dead leader is still it
    topics = ("config.storage.topic=fwd-configs\n"
              "offset.storage.topic=fwd-offsets\n"
              "status.storage.topic=fwd-status\n")
    workers = [Worker(broker, "f1", "fwd", session_ms, topics),
               Worker(broker, "f2", "fwd", session_ms, topics)]
    try:
        for w in workers:
            wait_ready(w)
        leader, (follower,) = leader_of(workers)
        out = os.path.join(broker.workdir, "fwd.txt")
        config = {"connector.class": "FileStreamSink", "file": out,
                  "topics": "fwd", "tasks.max": "1"}
        code, info = write(follower, "POST", "/connectors",
                           {"name": "s", "config": config})
        assert code == 201, info
        assert info["name"] == "s" and info["type"] == "sink", info
        code, info = call(follower, "POST", "/connectors",
                          {"name": "s", "config": config})
        assert code == 409 and "already exists" in info["message"], info
        code, info = write(follower, "PUT", "/connectors/s/config",
                           dict(config, **{"tasks.max": "2"}))
        assert code == 200 and info["config"]["tasks.max"] == "2", info
        for w in workers:
            wait_for(lambda: call(w, "GET", "/connectors/s/config")[1].get(
                "tasks.max") == "2", "the new config on " + w.worker_id, 10)
        # A pause, a resume and a stop through one worker show through
        # both, the connector's state and the tasks', each as the worker
        # owning it wrote it (Kafka Connect's status records).
        for via, target, state in ((follower, "pause", "PAUSED"),
                                   (leader, "resume", "RUNNING"),
                                   (leader, "pause", "PAUSED"),
                                   (follower, "resume", "RUNNING"),
                                   (follower, "stop", "STOPPED")):
            assert write(via, "PUT", "/connectors/s/" + target,
                         None)[0] in (202, 204)
            seen = [same_status(w, state) for w in workers]
            assert seen[0] == seen[1], seen
        status = {m.key: json.loads(m.value) for m in
                  read_topic(broker, "fwd-status", 3, 5) if m.value}
        assert set(status[b"status-connector-s"]) == {
            "state", "trace", "worker_id", "generation"}, status
        assert status[b"status-connector-s"]["state"] == "STOPPED", status
        # The generation is the group's, in which the owner wrote it (the
        # create and the tasks.max change each made a new one), as in
        # Kafka Connect.
        gen = status[b"status-connector-s"]["generation"]
        owner = [w for w in workers if w.worker_id ==
                 status[b"status-connector-s"]["worker_id"]][0]
        joined = {int(g) for g in re.findall(
            r"joined group \S+ \(generation (\d+)", owner.log_text())}
        assert gen >= 2 and gen in joined, (gen, joined)
        assert write(follower, "PUT", "/connectors/s/resume", None)[0] == 202
        for w in workers:
            same_status(w, "RUNNING")
        code, info = write(follower, "POST",
                           "/connectors/s/restart?includeTasks=true", None)
        assert code == 202, info  # the query string reaches the leader
        # Kafka's second hop (forward=false) reaching a worker that is not
        # the leader: the group moved on, 409.
        code, info = call(follower, "DELETE", "/connectors/s?forward=false")
        assert code == 409 and "rebalance" in info["message"], info
        assert write(follower, "DELETE", "/connectors/s", None)[0] == 204
        for w in workers:
            wait_for(lambda: call(w, "GET", "/connectors/s")[0] == 404,
                     "the delete on " + w.worker_id, 10)
        # Applied once: two configs and a tombstone, the six target states
        # and a tombstone, one restart request.
        keys = [m.key for m in read_topic(broker, "fwd-configs", 16, 5)]
        assert keys.count(b"connector-s") == 3, keys
        assert keys.count(b"target-state-s") == 7, keys
        assert keys.count(b"restart-connector-s") == 1, keys

        # The delete starts a rebalance: the kill must come after it, or the
        # follower waits out the dead leader's session in it (409) and is
        # never told to forward (CI run at 8d9b63d). A forwarded write past
        # the rebalance (404 from the leader) shows the group is settled.
        assert write(follower, "PUT", "/connectors/none/pause", None)[0] == 404
        leader.end(signal.SIGKILL)
        code, info = call(follower, "POST", "/connectors",
                          {"name": "t", "config": config})
        assert code == 500, (code, info)
        assert info["message"].startswith(
            "IO Error trying to forward REST request: "), info
        # The survivor leads once the session expired, and writes again.

        def applied():
            code, info = call(follower, "POST", "/connectors",
                              {"name": "t", "config": config})
            return code not in (409, 500) and (code, info)
        code, info = wait_for(applied, "a write on the new leader", 25)
        assert code == 201, info
    except Exception:
        for w in workers:
            print("=====", w.worker_id)
            print(w.log_text()[-3000:])
        raise
    finally:
        for w in workers:
            if w.proc.poll() is None:
                w.end(signal.SIGKILL)


def test_samsad_worker_joins_and_takes_over_on_leave(broker_factory, tmp_path):
    """samsad's embedded worker (group.id in connect_client_config) and a
    `samsa connect` worker share a sink's tasks and a three-task source's;
    when the latter stops (SIGTERM: it flushes, commits and leaves the
    group) samsad runs them all without waiting for a session timeout.
    samsad's worker offers only the eager protocol, so the group runs it
    (the other offers sessioned, compatible and default): a departed
    worker's tasks move at once, with no scheduled delay."""
    props = tmp_path / "embedded.properties"
    # A long session: the takeover must not wait for it.
    session_ms = 8000
    props.write_text("group.id=mixed\nsession.timeout.ms=%d\n"
                     "heartbeat.interval.ms=500\nconnect.protocol=eager\n" %
                     session_ms)
    broker = broker_factory(
        "connect_enabled: true\nconnect_client_config: %s\n"
        "group_min_session_timeout_ms: 500" % props)
    with open(os.path.join(broker.conf_dir, "90-sequence.yaml"), "w") as f:
        f.write("plugins:\n  - name: sequence\n    plugin: %s\n    config:\n"
                "      topic: seq\n      records_per_poll: 10\n"
                "      interval_ms: 50\n      max_records: 20\n" % SEQUENCE_SO)
    broker.start()
    wait_ready(broker)
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("mixed", num_partitions=2,
                                  replication_factor=1)])
    admin.close()
    embedded_id = "127.0.0.1:%d" % broker.http_port
    w = Worker(broker, "w", "mixed", session_ms)
    try:
        wait_ready(w)
        out = os.path.join(broker.workdir, "mixed.txt")
        code, info = write(broker, "POST", "/connectors", {
            "name": "m", "config": {
                "connector.class": "FileStreamSink", "file": out,
                "topics": "mixed", "tasks.max": "2",
                "value.converter":
                    "org.apache.kafka.connect.storage.StringConverter"}})
        assert code == 201, info
        code, info = write(w, "POST", "/connectors", {
            "name": "seq", "config": {
                "connector.class": "sequence", "tasks.max": "3",
                "key.converter":
                    "org.apache.kafka.connect.storage.StringConverter"}})
        assert code == 201, info
        assert len(info["tasks"]) == 3, info
        both = {("m", 0), ("m", 1), ("seq", 0), ("seq", 1), ("seq", 2)}

        def shared():
            got = tasks_by_worker(w, ["m", "seq"])
            return set(got) == both and set(got.values()) == {
                embedded_id, w.worker_id}
        wait_for(shared, "the tasks over both workers", 20)
        assert "protocol default" in w.log_text()
        assert w.end(signal.SIGTERM) == 0, w.log_text()
        left = time.monotonic()
        wait_for(lambda: (lambda g: set(g) == both and
                          set(g.values()) == {embedded_id})(
            tasks_by_worker(broker, ["m", "seq"])), "every task on samsad",
            20)
        # A leave rebalances at once: well under the session timeout.
        took = time.monotonic() - left
        print("takeover after leave %.1fs" % took)
        assert took < session_ms / 1000, took
        # Each of the source's three tasks numbered its own 20 records.
        keys = {m.key for m in read_topic(broker, "seq", 60)}
        assert keys == {b"key-%d-%d" % (t, i) for t in range(3)
                        for i in range(20)}, sorted(keys)
    finally:
        if w.proc.poll() is None:
            w.end(signal.SIGKILL)


def test_a_joining_worker_moves_only_what_it_takes(broker_factory):
    """Kafka's incremental cooperative rebalancing (KIP-415, the default
    connect.protocol=sessioned): two workers run a four-task sink; a third
    joins and takes its share, and the tasks that stay where they were
    keep running through both rebalances (no second start in their
    worker's log, one RUNNING record each in the status topic), with no
    record lost or duplicated in the sink's file. Then a follower is
    killed: its tasks wait scheduled.rebalance.max.delay.ms for it before
    the others take them, and no record is lost."""
    from kafka import KafkaProducer
    broker = broker_factory("group_min_session_timeout_ms: 500").start()
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("coop", num_partitions=8,
                                  replication_factor=1)])
    admin.close()
    topics = ("config.storage.topic=coop-configs\n"
              "offset.storage.topic=coop-offsets\n"
              "status.storage.topic=coop-status\n"
              "scheduled.rebalance.max.delay.ms=%d\n" % DELAY_MS)
    out = os.path.join(broker.workdir, "coop.txt")
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap)

    def produce(prefix, n):
        for i in range(n):
            producer.send("coop", ("%s%05d" % (prefix, i)).encode())
        producer.flush()
        return ["%s%05d" % (prefix, i) for i in range(n)]

    workers = [Worker(broker, "c1", "coop", topics=topics),
               Worker(broker, "c2", "coop", topics=topics)]
    try:
        for w in workers:
            wait_ready(w)
        code, info = write(workers[0], "POST", "/connectors", {
            "name": "cs", "config": file_sink(out, "coop", 4)})
        assert code == 201, info
        ids = {("cs", i) for i in range(4)}
        before = wait_for(lambda: (lambda g: set(g) == ids and len(
            set(g.values())) == 2 and g)(tasks_by_worker(workers[0], ["cs"])),
            "four tasks over two workers", 20)
        want = produce("a", 2000)
        wait_for(lambda: set(lines(out)) >= set(want), "the first records",
                 20)
        by_id = {w.worker_id: w for w in workers}

        def starts(task):
            return by_id[before[task]].log_text().count(
                "cs task %d running" % task[1])
        started = {t: starts(t) for t in ids}
        assert set(started.values()) == {1}, started

        joined = time.monotonic()
        workers.append(Worker(broker, "c3", "coop", topics=topics))
        third = workers[2]
        by_id[third.worker_id] = third
        wait_ready(third)

        def spread():
            got = tasks_by_worker(workers[0], ["cs"])
            # Every task RUNNING somewhere, the newcomer with its share.
            return (set(got) == ids and
                    sorted(list(got.values()).count(w.worker_id)
                           for w in workers) == [1, 1, 2] and got)
        after = wait_for(spread, "the third worker's share", 30)
        print("the third worker's share RUNNING %.1fs after its start" % (
            time.monotonic() - joined))
        stayed = {t for t in ids if after[t] == before[t]}
        moved = ids - stayed
        assert len(moved) == 1 and len(stayed) == 3, (before, after)
        for t in stayed:
            assert starts(t) == 1, (t, by_id[before[t]].log_text()[-3000:])
        (gone,) = moved
        assert third.log_text().count("cs task %d running" % gone[1]) == 1
        states = {}
        for m in read_topic(broker, "coop-status", 8, 5):
            states.setdefault(m.key.decode(), []).append(
                m.value and json.loads(m.value).get("state"))
        for t in stayed:
            assert states["status-task-cs-%d" % t[1]] == ["RUNNING"], states
        assert "protocol sessioned" in third.log_text()
        want += produce("b", 2000)
        wait_for(lambda: set(lines(out)) >= set(want), "every record", 20)
        time.sleep(1)  # anything replayed lands by now
        got = lines(out)
        assert sorted(got) == sorted(want), (len(got), len(set(got)))

        # A follower dies: the leader holds its tasks for
        # scheduled.rebalance.max.delay.ms, then hands them out.
        leader, followers = leader_of(workers)
        victim = [w for w in followers if w.worker_id in after.values()][0]
        rest = [w for w in workers if w is not victim]
        victim.end(signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: (lambda g: set(g) == ids and set(g.values()) <= {
            w.worker_id for w in rest})(tasks_by_worker(leader, ["cs"])),
            "the dead worker's tasks on the others", 30)
        took = time.monotonic() - killed
        print("tasks back after %.1fs (session %d ms, delay %d ms)" % (
            took, SESSION_MS, DELAY_MS))
        assert took >= DELAY_MS / 1000, took
        assert "a rebalance is scheduled" in leader.log_text()
        want += produce("c", 1000)
        wait_for(lambda: set(lines(out)) >= set(want), "no record lost", 20)
    finally:
        producer.close()
        for w in workers:
            if w.proc.poll() is None:
                w.end(signal.SIGKILL)
