# SPDX-License-Identifier: Apache-2.0
"""Leader epochs across a failover, as followers and KIP-320 consumers see
them through OffsetForLeaderEpoch (API 23): an RF=3 partition written in
its first leader's epoch, that leader killed -9, a new one elected and
written to. The new leader answers that the old epoch ends where its own
begins and its own at its log end; an older CurrentLeaderEpoch is fenced,
a follower sends the asker to the leader; Apache Kafka's Java consumer
validates old-epoch positions with it (KIP-320). The old leader restarts,
catches up, and every replica holds the same leader-epoch checkpoint
(Kafka's leader-epoch-checkpoint format).

Needs: kcat, python3-kafka, python3-confluent-kafka. Bounded: every wait
has a deadline; about 20 s on an idle machine.
"""
import glob
import os
import struct
import subprocess

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from test_cluster import raw_request, running_cluster, wait_for
from test_replication import NODE_YAML, partition_state, produce

NONE, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH = 0, 6, 74
HERE = os.path.dirname(os.path.abspath(__file__))
# The program lives with the integration tests; the jars are the ones
# tests/cluster/run.sh fetches (kafka-tools brings kafka-clients 3.8.0).
JAVA_PROGRAM = os.path.join(HERE, "..", "integration", "java",
                            "SamsaJavaEpochs.java")
JAVA_LIB = os.path.join(HERE, "java", "lib")


@pytest.fixture()
def cluster():
    with running_cluster("samsa-epochs-", NODE_YAML) as c:
        yield c


def epoch_end(port, topic, epoch, current=-1):
    """OffsetForLeaderEpoch v3 for partition 0: (error, epoch, end)."""
    t = topic.encode()
    body = struct.pack(">iih", -1, 1, len(t)) + t + \
        struct.pack(">iiii", 1, 0, current, epoch)
    data = raw_request(port, 23, 3, body, False)
    _throttle, ntopics, tlen = struct.unpack_from(">iih", data, 0)
    at = 10 + tlen
    nparts, = struct.unpack_from(">i", data, at)
    assert (ntopics, nparts) == (1, 1)
    err, _part, got, end = struct.unpack_from(">hiiq", data, at + 4)
    return err, got, end


def latest_epoch(port, topic, leo):
    """The epoch the leader on @port writes in: the one ending at @leo."""
    for e in range(30, -1, -1):
        if epoch_end(port, topic, e) == (NONE, e, leo):
            return e
    return None


def checkpoints(cluster, node):
    """The texts of a node's leader-epoch checkpoints, sorted (files are
    named by the local log's topic id, which each node picks)."""
    d = os.path.join(cluster.env["SAMSA_CLUSTER_DIR"], "node%d" % node,
                     "data", "__samsa_meta", "leader-epochs")
    out = []
    for path in glob.glob(os.path.join(d, "*-0")):
        with open(path) as f:
            out.append(f.read())
    return sorted(out)


def test_epochs_across_a_failover(cluster):
    boot = cluster.start(3)
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    admin.create_topics([NewTopic("ep", 1, 3, topic_configs={
        "min.insync.replicas": "2"})])
    admin.close()
    # The leader is the one of the answer that showed the full ISR: asking
    # again may reach a node whose metadata lacks the topic yet, which
    # partition_state() reports as leader -1.
    old_leader = wait_for("all three replicas in the ISR", lambda: (
        lambda s: s[0] if s[0] in (1, 2, 3) and s[2] == [1, 2, 3] else None)(
            partition_state(boot, "ep")), timeout=20)
    keys = ["a%03d" % i for i in range(100)]
    assert produce(boot, "ep", keys) == {k: 0 for k in keys}
    old = latest_epoch(cluster.ports[old_leader], "ep", 100)
    assert old is not None

    cluster.dev("kill", str(old_leader))
    alive = [n for n in (1, 2, 3) if n != old_leader]
    live = cluster.bootstrap(alive)
    new_leader = wait_for("a new leader", lambda: (
        lambda s: s[0] if s and s[0] in alive else None)(
            partition_state(live, "ep")), timeout=30)
    more = ["b%03d" % i for i in range(50)]
    assert produce(live, "ep", more) == {k: 0 for k in more}
    port = cluster.ports[new_leader]
    new = latest_epoch(port, "ep", 150)
    assert new is not None and new > old, (old, new)
    # The old epoch ends where the new leader's began.
    assert epoch_end(port, "ep", old) == (NONE, old, 100)
    # A consumer whose metadata predates the election is fenced.
    assert epoch_end(port, "ep", new, current=old)[0] == FENCED_LEADER_EPOCH
    assert epoch_end(port, "ep", new, current=new) == (NONE, new, 150)
    # Apache Kafka's Java consumer (KIP-320) validates positions from the
    # old epoch with the new leader: at 100 it reads on; at 120 the old
    # epoch's end (100) is below it, so the log diverged there.
    out = subprocess.run(
        ["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
         "-cp", os.path.join(JAVA_LIB, "*"), JAVA_PROGRAM, live, "ep",
         "100:%d" % old, "120:%d" % old],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == [
        "valid 100 first=100",
        "truncated 120 divergent=100 epoch=%d" % old, "ok"], out.stdout
    # A follower sends the asker to the leader.
    follower = next(n for n in alive if n != new_leader)
    assert epoch_end(cluster.ports[follower], "ep", old)[0] == \
        NOT_LEADER_OR_FOLLOWER

    # The old leader comes back, catches up, and its epochs agree.
    cluster.dev("start-node", str(old_leader))
    wait_for("the old leader back in the ISR", lambda: (
        lambda s: s and s[2] == [1, 2, 3])(partition_state(boot, "ep")),
        timeout=30)
    want = checkpoints(cluster, new_leader)
    assert want == ["0\n2\n%d 0\n%d 100\n" % (old, new)], want
    wait_for("the same leader-epoch checkpoints on every replica", lambda: all(
        checkpoints(cluster, n) == want for n in (1, 2, 3)), timeout=15)
