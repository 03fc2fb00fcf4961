# SPDX-License-Identifier: Apache-2.0
"""OffsetForLeaderEpoch (API 23, v0-v4) on a single node.

A topic is created in leader epoch 0. A restart may start a new leader
epoch, as Kafka's single-node KRaft does (the node is fenced, its
partitions lose their leader, and it is elected again when it comes
back); Metadata names the current one, every stored batch carries the
epoch it was appended in, and each epoch ends where the next begins (the
current one at the log end offset). Raw frames check each version's
answer (Kafka's LeaderEpochFileCache.endOffsetFor and
Partition.checkCurrentLeaderEpoch: FENCED_LEADER_EPOCH below the current
epoch, UNKNOWN_LEADER_EPOCH above it, -1/-1 for an epoch above the known
ones), before and after a restart. Then Apache Kafka's Java consumer
(kafka-clients 3.8.0), which validates a position carrying a leader epoch
with this request (KIP-320), resumes at a valid position and reports log
truncation exactly where these answers say the log diverges."""
import glob
import os
import socket
import struct
import subprocess

import pytest

from kafka_wire import frame, read_frame, uvarint

HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_DIR = os.path.join(HERE, "java")
KAFKA_CLIENTS_JAR = os.path.join(JAVA_DIR, "lib", "kafka-clients-3.8.0.jar")

NONE, UNKNOWN_TOPIC_OR_PARTITION = 0, 3
FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH = 74, 75


def string(s, compact):
    b = s.encode()
    return (uvarint(len(b) + 1) if compact else struct.pack(">h", len(b))) + b


def request(version, topics, replica_id=-1):
    """topics: [(name, [(partition, current_leader_epoch, leader_epoch)])]."""
    flexible = version >= 4
    body = struct.pack(">i", replica_id) if version >= 3 else b""
    body += uvarint(len(topics) + 1) if flexible else \
        struct.pack(">i", len(topics))
    for name, parts in topics:
        body += string(name, flexible)
        body += uvarint(len(parts) + 1) if flexible else \
            struct.pack(">i", len(parts))
        for p, current, epoch in parts:
            body += struct.pack(">i", p)
            if version >= 2:
                body += struct.pack(">i", current)
            body += struct.pack(">i", epoch)
            if flexible:
                body += b"\x00"
        if flexible:
            body += b"\x00"
    if flexible:
        body += b"\x00"
    return frame(23, version, 7, body, flexible)


class Reader:
    def __init__(self, data, flexible):
        self.d, self.at, self.flexible = data, 0, flexible

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.at)
        self.at += struct.calcsize(fmt)
        return v[0] if len(v) == 1 else v

    def uvarint(self):
        n, shift = 0, 0
        while True:
            b = self.d[self.at]
            self.at += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n

    def count(self):
        return self.uvarint() - 1 if self.flexible else self.take(">i")

    def string(self):
        n = self.uvarint() - 1 if self.flexible else self.take(">h")
        s = self.d[self.at:self.at + n].decode()
        self.at += n
        return s

    def tags(self):
        if self.flexible:
            assert self.uvarint() == 0


def ask(port, version, topics, replica_id=-1):
    """{(topic, partition): (error, leader_epoch, end_offset)}."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request(version, topics, replica_id))
        r = Reader(read_frame(s), version >= 4)
    assert r.take(">i") == 7
    r.tags()  # response header v1
    if version >= 2:
        r.take(">i")  # ThrottleTimeMs
    out = {}
    for _ in range(r.count()):
        name = r.string()
        for _ in range(r.count()):
            err, part = r.take(">hi")
            epoch = r.take(">i") if version >= 1 else None
            end = r.take(">q")
            r.tags()
            out[(name, part)] = (err, epoch, end)
        r.tags()
    r.tags()
    assert r.at == len(r.d), "trailing bytes"
    return out


def produce(broker, topic, n):
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(n):
        p.produce(topic, value=b"v%d" % i, partition=0)
        p.flush(30)  # one batch each: several batches to cut between
    assert len(p) == 0


def stored_epochs(broker, topic):
    epochs = []
    for path in sorted(glob.glob(os.path.join(broker.data_dir, "**",
                                              topic + "-0", "*.log"),
                                 recursive=True)):
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + 17 <= len(data):
            _base, length, epoch = struct.unpack_from(">qii", data, pos)
            if length <= 0:
                break
            epochs.append(epoch)
            pos += 12 + length
    return epochs


def metadata_epoch(port, topic):
    """Partition 0's leader epoch in a Metadata v7 answer."""
    body = struct.pack(">i", 1) + string(topic, False) + b"\x00"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(frame(3, 7, 9, body))
        r = Reader(read_frame(s), False)
    assert r.take(">i") == 9
    r.take(">i")  # ThrottleTimeMs
    for _ in range(r.count()):  # Brokers
        r.take(">i")
        r.string()
        r.take(">i")
        n = r.take(">h")  # Rack, nullable
        r.at += max(0, n)
    n = r.take(">h")  # ClusterId, nullable
    r.at += max(0, n)
    r.take(">i")  # ControllerId
    epoch = None
    for _ in range(r.count()):
        r.take(">h")
        name = r.string()
        r.take(">b")
        for _ in range(r.count()):
            err, index, _leader, lepoch = r.take(">hiii")
            for _ in range(3):  # replicas, ISR, offline
                n = r.count()
                r.at += 4 * n
            if name == topic and index == 0:
                assert err == NONE
                epoch = lepoch
    assert epoch is not None
    return epoch


def check_answers(broker, topic, leo, end0):
    """The log ends at @leo; epoch 0, the creation's, ends at @end0."""
    cur = metadata_epoch(broker.port, topic)
    for v in range(5):
        got = ask(broker.port, v, [(topic, [(0, -1, cur)])])
        assert got[(topic, 0)] == (NONE, cur if v >= 1 else None, leo), (v, got)
    for v in (2, 3, 4):
        got = ask(broker.port, v, [
            (topic, [(0, cur, cur), (7, -1, 0)]),
            ("no-such-topic", [(0, -1, 0)])])
        assert got[(topic, 0)] == (NONE, cur, leo), (v, got)
        assert got[(topic, 7)][0] == UNKNOWN_TOPIC_OR_PARTITION
        assert got[("no-such-topic", 0)][0] == UNKNOWN_TOPIC_OR_PARTITION
        # Epoch 0 ends where the next one began.
        assert ask(broker.port, v, [(topic, [(0, cur, 0)])])[(topic, 0)] == \
            (NONE, 0, end0)
        # An epoch above every epoch this leader knows: undefined.
        assert ask(broker.port, v, [(topic, [(0, -1, cur + 5)])])[(topic, 0)] == \
            (NONE, -1, -1)
        # The client's current epoch ahead of ours, then behind it.
        assert ask(broker.port, v, [(topic, [(0, cur + 1, 0)])])[(topic, 0)] == \
            (UNKNOWN_LEADER_EPOCH, -1, -1)
        if cur > 0:
            assert ask(broker.port, v, [(topic, [(0, cur - 1, 0)])])[(topic, 0)] == \
                (FENCED_LEADER_EPOCH, -1, -1)
        # A follower (ReplicaId >= 0) asks the leader the same way.
        if v >= 3:
            assert ask(broker.port, v, [(topic, [(0, cur, cur)])],
                       replica_id=3)[(topic, 0)] == (NONE, cur, leo)
    # v0 and v1 carry no current epoch: never fenced.
    assert ask(broker.port, 1, [(topic, [(0, -1, cur)])])[(topic, 0)] == \
        (NONE, cur, leo)
    return cur


def test_answers_across_restarts(broker):
    from confluent_kafka.admin import AdminClient, NewTopic
    topic = "epochs"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    # An empty log: epoch 0 ends at 0.
    assert check_answers(broker, topic, 0, 0) == 0
    produce(broker, topic, 4)
    check_answers(broker, topic, 4, 4)
    broker.restart()
    # Whether or not the restart began a new epoch, epoch 0 ends at 4.
    cur = check_answers(broker, topic, 4, 4)
    produce(broker, topic, 3)
    end0 = 7 if cur == 0 else 4
    check_answers(broker, topic, 7, end0)
    broker.restart()
    check_answers(broker, topic, 7, end0)
    assert stored_epochs(broker, topic) == [0] * 4 + [cur] * 3


def test_fenced_epoch_below_the_current_one(broker):
    # CurrentLeaderEpoch -1 means "not given" (Kafka's
    # NO_PARTITION_LEADER_EPOCH); any other value below the current epoch
    # (0 here) is fenced, as Partition.checkCurrentLeaderEpoch does.
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic("f", 1, 1)])["f"].result(30)
    assert ask(broker.port, 4, [("f", [(0, -1, 0)])])[("f", 0)] == \
        (NONE, 0, 0)
    assert ask(broker.port, 4, [("f", [(0, -2, 0)])])[("f", 0)] == \
        (FENCED_LEADER_EPOCH, -1, -1)


@pytest.fixture(scope="module")
def java_classpath():
    if not os.path.exists(KAFKA_CLIENTS_JAR):
        out = subprocess.run(
            ["mvn", "-q", "-B", "dependency:copy-dependencies",
             "-DoutputDirectory=lib", "-DincludeScope=runtime"],
            cwd=JAVA_DIR, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, "mvn failed:\n" + out.stdout + out.stderr
    return os.path.join(JAVA_DIR, "lib", "*")


def test_java_consumer_validates_positions(broker, java_classpath):
    from confluent_kafka.admin import AdminClient, NewTopic
    topic = "validate"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    produce(broker, topic, 8)
    broker.restart()
    out = subprocess.run(
        ["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
         "-cp", java_classpath, os.path.join(JAVA_DIR, "SamsaJavaEpochs.java"),
         broker.bootstrap, topic],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    # Offset 5 in epoch 0: valid, read from there.
    assert "valid 5 first=5" in lines, lines
    # Offset 20 in epoch 0: epoch 0 ends at 8, so the log diverges there.
    assert "truncated 20 divergent=8 epoch=0" in lines, lines
    # Epoch 7 is unknown to the leader: truncation without a divergence.
    assert "truncated 3 divergent=none" in lines, lines
    assert lines[-1] == "ok", lines
