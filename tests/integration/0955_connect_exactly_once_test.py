# SPDX-License-Identifier: Apache-2.0
"""Exactly-once sources (KIP-618): a `samsa connect` worker (and samsad's
own worker, killed with its broker) with
exactly.once.source.support=enabled runs the file source in
transactions (records and source offsets committed together, one
transaction per poll); kill -9 of the worker in the middle of a large file
and a new worker in its place (it fences the dead task's producer, whose
open transaction is aborted, and resumes from the committed offsets): a
read_committed consumer (confluent-kafka) sees every line exactly once.
The same run at-least-once (the default) loses nothing; its duplicates
are counted, not asserted away. Kafka's preflight validation of
exactly.once.support and transaction.boundary is checked too."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaException,
                             Producer, TopicPartition)

from connect_rest import call, wait_for, wait_ready
from connect_worker import Worker, write
from samsa_harness import BUILD, SAMSA_CLI

SEQUENCE_SO = os.path.join(BUILD, "tests", "unit", "testkit",
                           "source-sequence.so")
# A source ending its own transactions (transaction.boundary=connector).
TXN_SO = os.path.join(BUILD, "tests", "plugins", "fixture-source-txn.so")
LINES = 40000
RATE = 8000  # records/s, 400 per 50 ms step: a kill lands inside a poll
SESSION_MS = 1000


def consumer(broker, topic, committed):
    """A confluent-kafka consumer of partition 0 from the start (assigned:
    no group to wait for)."""
    c = Consumer({"bootstrap.servers": broker.bootstrap,
                  "group.id": "count",
                  "enable.auto.commit": False,
                  "isolation.level": "read_committed" if committed
                  else "read_uncommitted"})
    c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    return c


def count(broker, topic, want, committed, timeout=40):
    """Every value of @p topic until @p want distinct ones came (and one
    idle second more, for duplicates)."""
    c = consumer(broker, topic, committed)
    got, seen = [], set()
    deadline = time.time() + timeout
    idle_until = None
    while time.time() < deadline:
        for m in c.consume(1000, 0.2):
            if m.error() is None:
                got.append(m.value())
                seen.add(m.value())
        if len(seen) >= want:
            idle_until = idle_until or time.time() + 1.0
            if time.time() >= idle_until:
                break
    c.close()
    return got


def end_offset(broker, topic):
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "hw"})
    _, high = c.get_watermark_offsets(TopicPartition(topic, 0), 10)
    c.close()
    return high


def run(broker, eos, name):
    src = os.path.join(broker.workdir, name + ".txt")
    want = [b"%s-%06d" % (name.encode(), i) for i in range(LINES)]
    with open(src, "wb") as f:
        f.write(b"".join(s + b"\n" for s in want))
    props = ("config.storage.topic=%s-configs\n"
             "offset.storage.topic=%s-offsets\n"
             "status.storage.topic=%s-status\n"
             "exactly.once.source.support=%s\n" % (
                 name, name, name, "enabled" if eos else "disabled"))
    w = Worker(broker, name + "1", name + "-workers", SESSION_MS, props)
    w2 = None
    try:
        wait_ready(w)
        code, info = write(w, "POST", "/connectors", {"name": name, "config": {
            "connector.class": "FileStreamSource", "file": src,
            "topic": name, "tasks.max": "1", "batch.size": "2000",
            "samsa.max.records.per.second": str(RATE),
            "exactly.once.support": "required" if eos else "requested",
            "value.converter":
                "org.apache.kafka.connect.storage.StringConverter"}})
        assert code == 201, info
        # kill -9 once a third of the file is in (well before the end).
        c = consumer(broker, name, False)
        seen, deadline = 0, time.time() + 30
        while seen < LINES // 3 and time.time() < deadline:
            seen += sum(m.error() is None for m in c.consume(1000, 0.05))
        w.end(signal.SIGKILL)
        c.close()
        print("seen at the kill", seen)
        assert LINES // 3 <= seen < LINES, seen
        w2 = Worker(broker, name + "2", name + "-workers", SESSION_MS, props)
        wait_ready(w2)
        got = count(broker, name, LINES, True)
        raw = count(broker, name, LINES, False)
        assert w2.end(signal.SIGTERM) == 0, w2.log_text()
        return got, raw, w2, end_offset(broker, name)
    finally:
        for x in (w, w2):
            if x is not None and x.proc.poll() is None:
                x.end(signal.SIGKILL)


def test_file_source_exactly_once_across_kill_9(broker_factory):
    broker = broker_factory("group_min_session_timeout_ms: 500").start()
    got, raw, w2, end = run(broker, True, "eos")
    want = {b"eos-%06d" % i for i in range(LINES)}
    duplicates = len(got) - len(set(got))
    print("exactly-once: %d read_committed, %d duplicates; %d in the log "
          "read_uncommitted (aborted included); log end %d" % (
              len(got), duplicates, len(raw), end))
    assert set(got) == want, "lost %d" % len(want - set(got))
    assert duplicates == 0
    # Transactions: every commit marker takes an offset of the topic.
    assert end > len(raw), end
    # The new worker fenced the dead task's producer and took over.
    assert "eos task 0 running" in w2.log_text()


def test_samsad_worker_exactly_once_across_kill_9(broker_factory, tmp_path):
    """samsad's own worker (standalone, exactly-once in its
    connect_client_config): kill -9 of samsad itself, broker and worker
    together, in the middle of the file; restarted on the same data dir,
    the transaction coordinator recovers the open transaction, the task
    fences and aborts it and resumes from the committed offsets."""
    props = tmp_path / "worker.properties"
    props.write_text("exactly.once.source.support=enabled\n")
    broker = broker_factory(
        "connect_enabled: true\nconnect_client_config: %s\n" % props).start()
    wait_ready(broker)
    src = os.path.join(broker.workdir, "in.txt")
    want = [b"sd-%06d" % i for i in range(LINES)]
    with open(src, "wb") as f:
        f.write(b"".join(s + b"\n" for s in want))
    code, info = call(broker, "PUT", "/connectors/sd/config", {
        "connector.class": "FileStreamSource", "file": src, "topic": "sd",
        "batch.size": "2000", "samsa.max.records.per.second": str(RATE),
        "exactly.once.support": "required",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter"})
    assert code == 201, info
    c = consumer(broker, "sd", False)
    seen, deadline = 0, time.time() + 30
    while seen < LINES // 3 and time.time() < deadline:
        seen += sum(m.error() is None for m in c.consume(1000, 0.05))
    broker.kill()
    c.close()
    assert LINES // 3 <= seen < LINES, seen
    broker.start()
    got = count(broker, "sd", LINES, True)
    raw = count(broker, "sd", LINES, False)
    print("samsad kill -9 at %d: %d read_committed, %d duplicates, %d "
          "read_uncommitted" % (seen, len(got), len(got) - len(set(got)),
                                len(raw)))
    assert sorted(got) == want


def test_file_source_at_least_once_across_kill_9(broker_factory):
    broker = broker_factory("group_min_session_timeout_ms: 500").start()
    got, raw, _, end = run(broker, False, "alo")
    want = {b"alo-%06d" % i for i in range(LINES)}
    print("at-least-once: %d records, %d duplicates" % (
        len(got), len(got) - len(set(got))))
    assert set(got) == want, "lost %d" % len(want - set(got))
    assert end == len(raw)  # no transactions, no markers


def txn_epoch(broker, txn_id):
    """The producer epoch of transactional id @p txn_id, None if the
    coordinator does not know it."""
    r = subprocess.run([SAMSA_CLI, "txn", "describe", txn_id, "-b",
                        broker.bootstrap], capture_output=True, text=True,
                       timeout=30)
    m = re.search(r"ProducerEpoch: (\d+)", r.stdout)
    return int(m.group(1)) if m else None


def eos_broker(broker_factory, tmp_path, seq_topic, more_plugins="",
               mode="enabled"):
    """A running samsad whose own worker has exactly-once sources
    @p mode, with the sequence plugin writing to @p seq_topic."""
    props = tmp_path / "eos.properties"
    props.write_text("exactly.once.source.support=%s\n" % mode)
    broker = broker_factory(
        "connect_enabled: true\nconnect_client_config: %s\n" % props)
    with open(os.path.join(broker.conf_dir, "90-sequence.yaml"), "w") as f:
        f.write("plugins:\n  - name: sequence\n    plugin: %s\n    config:\n"
                "      topic: %s\n%s" % (SEQUENCE_SO, seq_topic, more_plugins))
    broker.start()
    wait_ready(broker)
    return broker


def test_exactly_once_preflight_validation(broker_factory, tmp_path):
    broker = eos_broker(broker_factory, tmp_path, "seq",
                        "  - name: txn-source\n    plugin: %s\n" % TXN_SO)

    def validate(cls, **keys):
        cfg = {"connector.class": cls, "name": "v", "file": "/tmp/x",
               "topic": "t"}
        cfg.update(keys)
        code, info = call(broker, "PUT", "/connector-plugins/%s/config/"
                          "validate" % cls, cfg)
        assert code == 200, info
        return {c["value"]["name"]: c["value"]["errors"]
                for c in info["configs"] if c["value"]["errors"]}

    # The file source declares exactly-once support.
    assert validate("FileStreamSource",
                    **{"exactly.once.support": "required"}) == {}
    # A plugin without the op: unknown, so "required" is refused.
    errs = validate("sequence", **{"exactly.once.support": "required"})
    assert "does not implement the API required for preflight validation" \
        in errs["exactly.once.support"][0], errs
    assert validate("sequence",
                    **{"exactly.once.support": "requested"}) == {}
    errs = validate("FileStreamSource",
                    **{"transaction.boundary": "connector"})
    assert "connector-defined transaction boundaries" in \
        errs["transaction.boundary"][0], errs
    errs = validate("FileStreamSource", **{"transaction.boundary": "often"})
    assert "String must be one of: poll, interval, connector" in \
        errs["transaction.boundary"][0], errs
    # A create is refused with Kafka's 400.
    code, info = call(broker, "PUT", "/connectors/v/config", {
        "connector.class": "sequence", "exactly.once.support": "required"})
    assert code == 400 and "exactly-once" in info["message"], info

    # Boundaries on samsad's own worker: 30 polls of 10 lines are 30
    # transactions with transaction.boundary=poll, a few with interval;
    # the latter keeps its offsets in its own offsets.storage.topic.
    n = 300
    for name, extra in (("bpoll", {}),
                        ("binterval", {
                            "transaction.boundary": "interval",
                            "transaction.boundary.interval.ms": "1000",
                            "offsets.storage.topic": "binterval-offsets"})):
        src = os.path.join(broker.workdir, name + ".txt")
        with open(src, "w") as f:
            f.write("".join("%s-%d\n" % (name, i) for i in range(n)))
        cfg = {"connector.class": "FileStreamSource", "file": src,
               "topic": name, "batch.size": "10",
               "value.converter":
                   "org.apache.kafka.connect.storage.StringConverter"}
        cfg.update(extra)
        code, info = call(broker, "PUT", "/connectors/%s/config" % name, cfg)
        assert code == 201, info
        got = count(broker, name, n, True, 20)
        assert sorted(got) == sorted(b"%s-%d" % (name.encode(), i)
                                     for i in range(n))
    markers = {name: end_offset(broker, name) - n
               for name in ("bpoll", "binterval")}
    print("commit markers", markers)
    assert markers["bpoll"] == n // 10, markers
    assert 1 <= markers["binterval"] < n // 10 // 2, markers
    # The committed offset of the last line, in the connector's own topic.
    size = sum(len("binterval-%d\n" % i) for i in range(n))
    offs = count(broker, "binterval-offsets", 1, True, 10)
    assert offs and offs[-1] == b'{"position":%d}' % size, offs
    # ... and, after the commit, in the worker's (Kafka's secondary store),
    # which the REST API shows (KIP-875).
    c = consumer(broker, "connect-offsets", True)
    worker_copy, deadline = [], time.time() + 10
    while not worker_copy and time.time() < deadline:
        worker_copy = [m.value() for m in c.consume(1000, 0.2)
                       if m.error() is None and b"binterval" in m.key()]
    c.close()
    assert worker_copy and worker_copy[-1] == b'{"position":%d}' % size
    code, info = call(broker, "GET", "/connectors/binterval/offsets")
    assert code == 200 and info["offsets"][0]["offset"] == {
        "position": size}, info

    # transaction.boundary=connector: the fixture commits after every n
    # with n % 20 == 9 and aborts after n % 20 == 19 (seven records a poll,
    # so inside polls): read_committed sees the n with n / 10 even.
    # commit_record comes for the records of committed transactions only,
    # once they commit (Kafka's ExactlyOnceWorkerSourceTask), not at
    # their acknowledgement: the fixture logs each call to a file.
    committed_log = os.path.join(broker.workdir, "ctxn-committed.txt")
    code, info = call(broker, "PUT", "/connectors/ctxn/config", {
        "connector.class": "txn-source", "topic": "ctxn",
        "exactly.once.support": "required",
        "transaction.boundary": "connector",
        "committed.file": committed_log,
        "value.converter": "org.apache.kafka.connect.storage.StringConverter"})
    assert code == 201, info
    want = sorted(b"%d" % i for i in range(100) if (i // 10) % 2 == 0)
    got = count(broker, "ctxn", len(want), True, 20)
    assert sorted(got) == want, got
    with open(committed_log, "rb") as f:
        calls = f.read().split()
    assert calls == [b"%d" % i for i in range(100) if (i // 10) % 2 == 0], \
        calls
    # Ten transactions, each ending with its marker: 50 records and 10
    # markers, plus what of the aborted records went out before the abort
    # (the producer drops what it has not sent yet).
    assert 60 <= end_offset(broker, "ctxn") <= 110

    # Zombie fencing: three tasks (the template splits over tasks.max),
    # each with its producer "connect-standalone-seq-I" (no group.id);
    # down to two, the third's producer is fenced too (its epoch bumped),
    # so a copy of it still running somewhere could never commit again.
    cfg = {"connector.class": "sequence", "tasks.max": "3",
           "key.converter": "org.apache.kafka.connect.storage.StringConverter"}
    code, info = call(broker, "PUT", "/connectors/seq/config", cfg)
    assert code == 201, info

    def epoch(task):
        return txn_epoch(broker, "connect-standalone-seq-%d" % task)
    before = wait_for(lambda: all(epoch(t) is not None for t in range(3)) and
                      [epoch(t) for t in range(3)],
                      "the three tasks' producers", 20)
    cfg["tasks.max"] = "2"
    code, info = call(broker, "PUT", "/connectors/seq/config", cfg)
    assert code == 200, info
    after = wait_for(lambda: (lambda e: e[2] > before[2] and e)(
        [epoch(t) for t in range(3)]), "task 2's producer fenced", 20)
    print("epochs before", before, "after", after)


def task_count_records(broker, name):
    """The task-count records ("tasks-fencing-NAME") of connect-configs,
    in order, as Kafka Connect's KafkaConfigBackingStore writes them."""
    c = consumer(broker, "connect-configs", True)
    out = []
    for m in c.consume(10000, 1.0):
        if m.error() is None and m.key() == b"tasks-fencing-" + name:
            out.append(m.value())
    c.close()
    return out


def test_zombie_of_an_old_generation_cannot_commit(broker_factory, tmp_path):
    """Kafka's fencing barrier: before a task of a new generation of a
    connector's task configs starts, the leader fences every task of the
    previous generation (its task-count record, tasks-fencing-NAME, says
    how many) and records the new count. A zombie of the old task 1 (a
    transactional producer with its id, holding an open transaction)
    cannot commit once the connector came back with one task, although
    no task 1 runs in the new generation; the record outlives the
    deleted connector, as Kafka's does."""
    broker = eos_broker(broker_factory, tmp_path, "zseq")
    cfg = {"connector.class": "sequence", "tasks.max": "2",
           "key.converter": "org.apache.kafka.connect.storage.StringConverter"}
    code, info = call(broker, "PUT", "/connectors/zseq/config", cfg)
    assert code == 201, info
    wait_for(lambda: task_count_records(broker, b"zseq") ==
             [b'{"task-count":2}'], "the first task-count record", 20)
    code, info = call(broker, "DELETE", "/connectors/zseq")
    assert code == 204, info

    zombie = Producer({"bootstrap.servers": broker.bootstrap,
                       "transactional.id": "connect-standalone-zseq-1"})
    zombie.init_transactions(20)
    zombie.begin_transaction()
    zombie.produce("zseq", b"zombie", b"zombie")
    assert zombie.flush(10) == 0

    cfg["tasks.max"] = "1"
    code, info = call(broker, "PUT", "/connectors/zseq/config", cfg)
    assert code == 201, info
    wait_for(lambda: task_count_records(broker, b"zseq") ==
             [b'{"task-count":2}', b'{"task-count":1}'],
             "the new generation's task-count record", 20)
    with pytest.raises(KafkaException) as e:
        zombie.commit_transaction(20)
    print("the zombie's commit:", e.value)
    # Its record went out, and was aborted by the fencing.
    assert b"zombie" in count(broker, "zseq", 1, False, 5)
    committed = count(broker, "zseq", 10**9, True, 3)
    assert committed and b"zombie" not in committed


def test_preparing_has_a_transactional_leader(broker_factory, tmp_path):
    """exactly.once.source.support=preparing, Kafka's first step of a
    rolling upgrade: tasks run at-least-once, without a transactional
    producer, but the leader writes the config topic in transactions of
    its own producer, connect-cluster-<group.id> (connect-standalone for
    samsad's worker), whose InitProducerId fences a deposed leader."""
    broker = eos_broker(broker_factory, tmp_path, "pseq",
                        mode="preparing\nconsumer.isolation.level="
                             "read_committed")
    code, info = call(broker, "PUT", "/connectors/pseq/config", {
        "connector.class": "sequence", "tasks.max": "1",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter"})
    assert code == 201, info
    assert count(broker, "pseq", 10, False, 20)
    assert txn_epoch(broker, "connect-cluster-connect-standalone") is not None
    assert txn_epoch(broker, "connect-standalone-pseq-0") is None
    # Each config record is a transaction of its own: a commit marker
    # follows it in the log.
    records = len(count(broker, "connect-configs", 10**9, True, 2))
    assert records >= 3 and end_offset(broker, "connect-configs") >= \
        2 * records, records
    # The worker's consumer.isolation.level is every sink's default; a
    # connector's override wins.
    sinks_read(broker, "piso", {None: ["a", "c"],
                                "read_uncommitted": ["a", "b", "c"]})


def test_a_followers_task_asks_the_leader_to_fence(broker_factory):
    """Two `samsa connect` workers with exactly-once enabled: a task on
    the follower has the leader run the fencing round through Kafka's
    internal PUT /connectors/{name}/fence before it makes its producer;
    tasks.max going from 2 to 1 then fences task 1's producer. The
    endpoint answers 404 for an unknown connector and 400 for a sink."""
    broker = broker_factory("group_min_session_timeout_ms: 500")
    with open(os.path.join(broker.conf_dir, "90-sequence.yaml"), "w") as f:
        f.write("plugins:\n  - name: sequence\n    plugin: %s\n    config:\n"
                "      topic: fseq\n" % SEQUENCE_SO)
    broker.start()
    props = ("config.storage.topic=f-configs\noffset.storage.topic=f-offsets\n"
             "status.storage.topic=f-status\n"
             "exactly.once.source.support=enabled\n")
    workers = [Worker(broker, "e%d" % i, "eos-workers", SESSION_MS, props)
               for i in (1, 2)]
    try:
        for w in workers:
            wait_ready(w)
        cfg = {"connector.class": "sequence", "tasks.max": "2",
               "key.converter":
                   "org.apache.kafka.connect.storage.StringConverter"}
        code, info = write(workers[0], "PUT", "/connectors/fseq/config", cfg)
        assert code == 201, info

        def spread():
            st = call(workers[0], "GET", "/connectors/fseq/status")[1]
            tasks = st.get("tasks", [])
            return (len(tasks) == 2 and
                    all(t["state"] == "RUNNING" for t in tasks) and
                    len({t["worker_id"] for t in tasks}) == 2 and st)
        print(wait_for(spread, "a task RUNNING on each worker", 30))
        # Rounds run on the leader only; the follower's task asked it.
        assert sum("fenced the" in w.log_text() for w in workers) == 1
        epoch1 = txn_epoch(broker, "eos-workers-fseq-1")
        assert epoch1 is not None
        cfg["tasks.max"] = "1"
        code, info = write(workers[1], "PUT", "/connectors/fseq/config", cfg)
        assert code == 200, info
        wait_for(lambda: (txn_epoch(broker, "eos-workers-fseq-1") or 0) >
                 epoch1, "task 1's producer fenced", 20)
        c = consumer(broker, "f-configs", True)
        counts = [m.value() for m in c.consume(10000, 1.0)
                  if m.error() is None and m.key() == b"tasks-fencing-fseq"]
        c.close()
        assert counts == [b'{"task-count":2}', b'{"task-count":1}'], counts
        for w in workers:
            code, info = write(w, "PUT", "/connectors/nope/fence", None)
            assert code == 404, info
        code, info = write(workers[0], "PUT", "/connectors/fsink/config", {
            "connector.class": "FileStreamSink", "topics": "fseq",
            "file": os.path.join(broker.workdir, "fsink.txt")})
        assert code == 201, info
        code, info = write(workers[1], "PUT", "/connectors/fsink/fence", None)
        assert code == 400, info
    finally:
        for w in workers:
            w.end(signal.SIGKILL)


DEAD_TASK = r"""
import sys, time
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1],
              "transactional.id": "connect-standalone-dead-0"})
p.init_transactions(20)
p.begin_transaction()
p.produce("connect-offsets", b'{"position":1}', b'["dead",{"filename":"x"}]')
p.flush(10)
print("open", flush=True)
time.sleep(600)
"""


def test_a_dead_tasks_open_transaction_on_the_offsets_topic(broker_factory,
                                                             tmp_path):
    """A task killed (kill -9) between writing its offsets and committing
    leaves a transaction open on connect-offsets. A task starting
    meanwhile reads its offsets up to the high watermark, read_committed,
    waiting for that transaction to end (Kafka's readToEnd), instead of
    stopping at the last stable offset, which hid the offsets it had
    committed since and made it produce them again; and the wait is
    short: the dead task, started again, fences its transactional id,
    which aborts the transaction at once."""
    broker = eos_broker(broker_factory, tmp_path, "dseq")
    files = {}
    for name, lines in (("dead", 10), ("live", 2000)):
        files[name] = os.path.join(broker.workdir, name + ".txt")
        with open(files[name], "w") as f:
            f.write("".join("%s-%d\n" % (name, i) for i in range(lines)))

    def create(name):
        code, info = call(broker, "PUT", "/connectors/%s/config" % name, {
            "connector.class": "FileStreamSource", "file": files[name],
            "topic": name, "batch.size": "50",
            "samsa.max.records.per.second": "200",
            "value.converter":
                "org.apache.kafka.connect.storage.StringConverter"})
        assert code == 201, info
    create("dead")
    assert len(count(broker, "dead", 10, True, 20)) == 10
    code, info = call(broker, "PUT", "/connectors/dead/stop")
    assert code == 202, info
    create("live")
    assert len(count(broker, "live", 100, True, 20)) >= 100
    # The dead task: its transaction holds an offsets record, then kill -9.
    dead = subprocess.Popen([sys.executable, "-c", DEAD_TASK, broker.bootstrap],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert dead.stdout.readline().strip() == "open"
    finally:
        dead.kill()
        dead.wait(10)
    # live commits more offsets past the open transaction, then restarts.
    assert len(count(broker, "live", 1400, True, 20)) >= 1400
    code, info = call(broker, "POST", "/connectors/live/tasks/0/restart")
    assert code == 204, info
    time.sleep(1)
    code, info = call(broker, "PUT", "/connectors/dead/resume")
    assert code == 202, info
    resumed = time.time()
    got = count(broker, "live", 2000, True, 30)
    took = time.time() - resumed
    print("all of live %.1f s after the dead task came back" % took)
    assert sorted(got) == sorted(b"live-%d" % i for i in range(2000)), \
        "%d records, %d distinct" % (len(got), len(set(got)))
    assert took < 20


def sinks_read(broker, topic, want):
    """Three transactions to @p topic, "a" and "c" committed, "b" aborted;
    a FileStreamSink per consumer.override.isolation.level in @p want
    (None: no override) must write exactly want's lines."""
    p = Producer({"bootstrap.servers": broker.bootstrap,
                  "transactional.id": topic + "-writer"})
    p.init_transactions(20)
    for value, commit in ((b"a", True), (b"b", False), (b"c", True)):
        p.begin_transaction()
        p.produce(topic, value)
        if commit:
            p.commit_transaction(20)
        else:
            p.flush(10)
            p.abort_transaction(20)
    files = {}
    for iso in want:
        name = "%s-%s" % (topic, iso or "default")
        files[iso] = os.path.join(broker.workdir, name + ".txt")
        cfg = {"connector.class": "FileStreamSink", "topics": topic,
               "file": files[iso], "value.converter":
                   "org.apache.kafka.connect.storage.StringConverter"}
        if iso:
            cfg["consumer.override.isolation.level"] = iso
        code, info = call(broker, "PUT", "/connectors/%s/config" % name, cfg)
        assert code == 201, info

    def lines(iso):
        if not os.path.exists(files[iso]):
            return None
        with open(files[iso]) as f:
            return f.read().split()
    wait_for(lambda: all(lines(iso) == w for iso, w in want.items()),
             "the sinks' files", 20)


def test_required_needs_an_enabled_worker(broker_factory):
    broker = broker_factory("connect_enabled: true").start()
    wait_ready(broker)
    code, info = call(broker, "PUT", "/connectors/v/config", {
        "connector.class": "FileStreamSource", "file": "/tmp/x",
        "topic": "t", "exactly.once.support": "required"})
    assert code == 400, info
    assert "This worker does not have exactly-once source support " \
        "enabled." in info["message"], info
    # disabled: no transactional leader.
    code, info = call(broker, "PUT", "/connectors/v/config", {
        "connector.class": "FileStreamSource", "file": "/tmp/x",
        "topic": "t"})
    assert code == 201, info
    assert txn_epoch(broker, "connect-cluster-connect-standalone") is None

    # Sinks read read_uncommitted, as Kafka Connect's sink consumers do
    # (it sets no isolation.level for them), unless the connector says
    # consumer.override.isolation.level=read_committed (KIP-458).
    sinks_read(broker, "iso", {None: ["a", "b", "c"],
                               "read_committed": ["a", "c"]})
    code, info = call(broker, "PUT", "/connectors/iso-bad/config", {
        "connector.class": "FileStreamSink", "topics": "iso",
        "file": os.path.join(broker.workdir, "bad.txt"),
        "consumer.override.isolation.level": "read_most"})
    assert code == 201, info
    wait_for(lambda: "isolation.level" in str(call(
        broker, "GET", "/connectors/iso-bad/status")[1]),
        "the bad isolation.level's failure", 20)
