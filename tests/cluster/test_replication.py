# SPDX-License-Identifier: Apache-2.0
"""Replicated partitions on three nodes (core/replica): an RF=3 topic
written with acks=all through librdkafka (confluent-kafka) lands,
byte for byte, in the log of every replica; kill -9 of a follower shrinks
the ISR and acks=all goes on with min.insync.replicas=2, while 3 gives
NOT_ENOUGH_REPLICAS; the follower restarts, catches up and is back in the
ISR, as Metadata shows. (Heavier fault tests are test_*faults*.py.)

Needs: kcat, python3-kafka, python3-confluent-kafka. Bounded: every wait
has a deadline; about 20 s on an idle machine.
"""
import glob
import os
import re
import signal
import struct
import subprocess
import time
import urllib.request

import pytest
from confluent_kafka import KafkaError, Producer
from kafka.admin import (ConfigResource, ConfigResourceType,
                         KafkaAdminClient, NewTopic)

from test_cluster import (kcat, running_cluster, raw_request, topic_config,
                          wait_for)

LAG_MS = 3000  # replica_lag_time_max_ms of these nodes
NODE_YAML = ("replica_lag_time_max_ms: %d\nreplica_fetch_backoff_ms: 200\n"
             % LAG_MS)


@pytest.fixture()
def cluster():
    with running_cluster("samsa-repl-", NODE_YAML) as c:
        yield c


def partition_state(bootstrap, topic, partition=0):
    """(leader, replicas, isr) of one partition from kcat's metadata
    ((-1, [], []) while it is not there)."""
    out = kcat("-b", bootstrap, "-L", "-t", topic, "-m", "5")
    for line in out.splitlines():
        words = line.split()
        if words[:2] == ["partition", "%d," % partition]:
            leader = int(words[3].rstrip(","))
            reps = sorted(int(x) for x in words[5].rstrip(",").split(",")
                          if x)
            isr = sorted(int(x) for x in words[7].split(",") if x) \
                if len(words) > 7 else []
            return leader, reps, isr
    return -1, [], []


def log_bytes(cluster, node, topic, partition=0):
    """Every record batch of one replica, read from its segment files."""
    d = os.path.join(cluster.env["SAMSA_CLUSTER_DIR"], "node%d" % node,
                     "data", "%s-%d" % (topic, partition))
    data = b""
    for seg in sorted(glob.glob(os.path.join(d, "*.log"))):
        with open(seg, "rb") as f:
            data += f.read()
    return data


def same_logs(cluster, nodes, topic, at_least):
    logs = [log_bytes(cluster, n, topic) for n in nodes]
    return len(logs[0]) >= at_least and all(x == logs[0] for x in logs)


def metric(cluster, node, name):
    """One sample of node @node's /metrics (its HTTP port from its log)."""
    log = os.path.join(cluster.env["SAMSA_CLUSTER_DIR"], "node%d" % node,
                       "samsad.log")
    with open(log) as f:
        port = re.findall(r"http listening on .* \(port (\d+)\)",
                          f.read())[-1]
    with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port,
                                timeout=5) as r:
        text = r.read().decode()
    m = re.search(r"^%s(?:\{[^}]*\})? (\d+)" % name, text, re.M)
    return int(m.group(1)) if m else None


def delete_records(port, topic, partition, offset):
    """DeleteRecords v0 of one partition: (low watermark, error)."""
    name = topic.encode()
    body = struct.pack(">ih", 1, len(name)) + name
    body += struct.pack(">iiqi", 1, partition, offset, 10000)
    resp = raw_request(port, 21, 0, body, flexible=False)
    off = 4 + 4 + 2 + len(name) + 4  # throttle, topics, name, partitions
    _, low, error = struct.unpack(">iqh", resp[off:off + 14])
    return low, error


def earliest(port, topic, partition):
    """ListOffsets v1 timestamp -2 of one partition: (error, offset)."""
    name = topic.encode()
    body = struct.pack(">ii", -1, 1) + struct.pack(">h", len(name)) + name
    body += struct.pack(">iiq", 1, partition, -2)
    resp = raw_request(port, 2, 1, body, flexible=False)
    off = 4 + 2 + len(name) + 4
    _, error, _, offset = struct.unpack(">ihqq", resp[off:off + 22])
    return error, offset


def produce(bootstrap, topic, keys, **conf):
    """acks=all through librdkafka: {key: error code (0 = acknowledged)}."""
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                  "linger.ms": 5, "message.timeout.ms": 30000, **conf})
    result = {}

    def done(err, msg):
        result[msg.key().decode()] = err.code() if err else 0

    for k in keys:
        p.produce(topic, key=k.encode(), value=("v-" + k).encode(),
                  on_delivery=done)
    p.flush(60)
    return result


def set_min_isr(bootstrap, topic, value):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap,
                             request_timeout_ms=10000)
    admin.alter_configs([ConfigResource(
        ConfigResourceType.TOPIC, topic,
        configs={"min.insync.replicas": str(value)})])
    admin.close()


def test_rf3_acks_all_follower_kill_and_catch_up(cluster):
    boot = cluster.start(3)
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    admin.create_topics([NewTopic("rep", 1, 3, topic_configs={
        "min.insync.replicas": "2"})])
    admin.close()
    leader, reps, _ = wait_for("rep-0 with a leader", lambda: (
        lambda s: s if s[0] >= 0 else None)(partition_state(boot, "rep")))
    assert reps == [1, 2, 3]
    # A new partition's ISR is every live replica (as Kafka starts it).
    wait_for("all three replicas in the ISR", lambda: (
        partition_state(boot, "rep")[2] == [1, 2, 3]), timeout=15)

    keys = ["a%03d" % i for i in range(200)]
    acked = produce(boot, "rep", keys)
    assert acked == {k: 0 for k in keys}
    # Acknowledged with acks=all: every replica's log holds the batches,
    # the followers' exactly as the leader wrote them.
    first = log_bytes(cluster, leader, "rep")
    assert len(first) > 200 * 10
    wait_for("identical logs on the three replicas",
             lambda: same_logs(cluster, [1, 2, 3], "rep", len(first)),
             timeout=10)

    # kill -9 of a follower: it leaves the ISR after replica_lag_time_max_ms
    # (or its fencing), and acks=all with min.insync.replicas=2 goes on.
    follower = next(n for n in (1, 2, 3) if n != leader)
    alive = [n for n in (1, 2, 3) if n != follower]
    live_boot = cluster.bootstrap(alive)
    cluster.dev("kill", str(follower))
    more = ["b%03d" % i for i in range(100)]
    t0 = time.monotonic()
    acked = produce(live_boot, "rep", more)
    assert acked == {k: 0 for k in more}
    assert time.monotonic() - t0 < 25
    # (The node asked may apply the shrink a moment after the leader.)
    wait_for("the ISR without the killed follower", lambda: (
        partition_state(live_boot, "rep")[:3:2] == (leader, alive)),
        timeout=10)
    assert metric(cluster, leader,
                  "samsa_replicamanager_isrshrinks_total") >= 1
    wait_for("rep-0 under-replicated in the leader's metrics", lambda:
             metric(cluster, leader,
                    "samsa_replicamanager_underreplicatedpartitions") >= 1)

    # min.insync.replicas=3 with two in the ISR: refused before the append.
    set_min_isr(live_boot, "rep", 3)
    wait_for("min.insync.replicas=3 on the leader", lambda: topic_config(
        cluster.ports[leader], "rep", "min.insync.replicas") == "3",
        timeout=10)
    refused = produce(live_boot, "rep", ["c000"], retries=0,
                      **{"message.timeout.ms": 5000})
    assert refused == {"c000": KafkaError.NOT_ENOUGH_REPLICAS}, refused
    set_min_isr(live_boot, "rep", 2)

    # The follower restarts on its data, catches up and rejoins the ISR.
    cluster.dev("start-node", str(follower))
    wait_for("the restarted follower back in the ISR", lambda: (
        partition_state(boot, "rep")[2] == [1, 2, 3]), timeout=20)
    now = log_bytes(cluster, leader, "rep")
    wait_for("the restarted follower's log equal to the leader's",
             lambda: same_logs(cluster, [1, 2, 3], "rep", len(now)),
             timeout=10)
    assert metric(cluster, leader,
                  "samsa_replicamanager_isrexpands_total") >= 1

    got = kcat("-b", boot, "-C", "-t", "rep", "-e", "-q", "-f", "%k\n")
    assert sorted(got.split()) == sorted(keys + more)

    # DeleteRecords on the leader moves every follower's log start too:
    # after a failover the new leader starts where the old one did.
    assert delete_records(cluster.ports[leader], "rep", 0, 30) == (30, 0)
    time.sleep(1.5)  # a few fetch rounds carry the leader's log start
    cluster.dev("kill", str(leader))
    others = [n for n in (1, 2, 3) if n != leader]
    new = wait_for("a new leader of rep-0", lambda: (lambda s: s[0] if s[0]
                   in others else None)(partition_state(
                       cluster.bootstrap(others), "rep")), timeout=20)
    # (It answers NOT_LEADER_OR_FOLLOWER until its own image has it lead.)
    wait_for("the new leader's earliest offset", lambda: earliest(
        cluster.ports[new], "rep", 0) in ((0, 30), (0, 0)), timeout=10)
    assert earliest(cluster.ports[new], "rep", 0) == (0, 30)


def node_pid(cluster, node):
    with open(os.path.join(cluster.env["SAMSA_CLUSTER_DIR"], "node%d" % node,
                           "samsad.pid")) as f:
        return int(f.read().strip())


def test_old_leader_truncates_what_was_never_replicated(cluster):
    """acks=1 writes only the leader had are cut from its log when it
    comes back as a follower of the new leader (DivergingEpoch in the
    answer to its first fetch), and the three logs agree again."""
    boot = cluster.start(3)
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    admin.create_topics([NewTopic("cut", 1, 3)])
    admin.close()
    # The leader of the answer that showed the full ISR (asking again may
    # reach a node that lacks the topic yet: leader -1).
    leader = wait_for("cut-0 with a leader and three in the ISR", lambda: (
        lambda s: s[0] if s[0] in (1, 2, 3) and s[2] == [1, 2, 3] else None)(
            partition_state(boot, "cut")), timeout=15)
    assert produce(boot, "cut", ["a%02d" % i for i in range(50)]) == {
        "a%02d" % i: 0 for i in range(50)}
    followers = [n for n in (1, 2, 3) if n != leader]

    # The followers stop: the leader's answer to their parked fetches may
    # still carry the first write, never the second (no fetch asks for
    # it). acks=1 takes both; then the leader dies.
    for n in followers:
        os.kill(node_pid(cluster, n), signal.SIGSTOP)
    try:
        lead = cluster.bootstrap([leader])
        assert set(produce(lead, "cut", ["b%02d" % i for i in range(20)],
                           acks=1).values()) == {0}
        time.sleep(0.3)
        assert set(produce(lead, "cut", ["x%02d" % i for i in range(20)],
                           acks=1).values()) == {0}
        cluster.dev("kill", str(leader))
    finally:
        for n in followers:
            os.kill(node_pid(cluster, n), signal.SIGCONT)
    live = cluster.bootstrap(followers)
    wait_for("a new leader among the followers", lambda: (
        partition_state(live, "cut")[0] in followers), timeout=20)
    assert produce(live, "cut", ["c%02d" % i for i in range(20)]) == {
        "c%02d" % i: 0 for i in range(20)}

    # The old leader comes back: it truncates and catches up.
    cluster.dev("start-node", str(leader))
    wait_for("the old leader back in the ISR", lambda: (
        partition_state(boot, "cut")[2] == [1, 2, 3]), timeout=20)
    size = len(log_bytes(cluster, followers[0], "cut"))
    wait_for("the three logs equal", lambda: same_logs(
        cluster, [1, 2, 3], "cut", size), timeout=10)
    log = os.path.join(cluster.env["SAMSA_CLUSTER_DIR"], "node%d" % leader,
                       "samsad.log")
    with open(log) as f:
        assert "cut-0: truncated to" in f.read()
    got = kcat("-b", boot, "-C", "-t", "cut", "-e", "-q", "-f", "%k\n").split()
    assert not [k for k in got if k.startswith("x")], got
    assert sorted(k for k in got if k[0] in "ac") == sorted(
        ["a%02d" % i for i in range(50)] + ["c%02d" % i for i in range(20)])


def samsa_cli(cluster, *args):
    cli = os.path.join(cluster.env["SAMSA_BUILD_DIR"], "tools", "cli",
                       "samsa")
    out = subprocess.run([cli, "cluster", *args, "-b", cluster.bootstrap()],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_replication_throttles_bound_a_new_replicas_catch_up(cluster):
    """Kafka's replication quotas: 4 MiB in each of three RF=1 topics on
    node 1, each then given a replica on node 2. "lthr" is throttled on the
    leader (leader.replication.throttled.replicas 0:1, node 1's
    leader.replication.throttled.rate), "fthr" on the follower
    (follower...replicas 0:2, node 2's follower rate), "free" not at all.
    free's new replica catches up at once; the throttled ones get one
    fetch's worth (replica_fetch_max_bytes, 1 MiB) and then no more than
    50 kB/s over Kafka's 11 one-second windows. The leader's per-topic
    bytes-out metric does not count what followers fetched."""
    boot = cluster.start(3)
    rate = 50000
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    try:
        admin.create_topics([
            NewTopic("lthr", replica_assignments={0: [1]}, num_partitions=-1,
                     replication_factor=-1, topic_configs={
                         "leader.replication.throttled.replicas": "0:1"}),
            NewTopic("fthr", replica_assignments={0: [1]}, num_partitions=-1,
                     replication_factor=-1, topic_configs={
                         "follower.replication.throttled.replicas": "0:2"}),
            NewTopic("free", replica_assignments={0: [1]}, num_partitions=-1,
                     replication_factor=-1)])
        admin.alter_configs([
            ConfigResource(ConfigResourceType.BROKER, "1", configs={
                "leader.replication.throttled.rate": str(rate)}),
            ConfigResource(ConfigResourceType.BROKER, "2", configs={
                "follower.replication.throttled.rate": str(rate)})])
    finally:
        admin.close()
    p = Producer({"bootstrap.servers": boot, "acks": "1", "linger.ms": 20})
    value = os.urandom(10000)
    for t in ("lthr", "fthr", "free"):
        for _ in range(420):
            p.produce(t, value=value)
    assert p.flush(60) == 0
    total = len(log_bytes(cluster, 1, "free"))
    assert total > 4 << 20
    for t in ("lthr", "fthr", "free"):
        samsa_cli(cluster, "reassign", t, "0", "1,2")
    wait_for("free's new replica caught up",
             lambda: len(log_bytes(cluster, 2, "free")) == total, timeout=30)
    for t in ("lthr", "fthr"):
        got = len(log_bytes(cluster, 2, t))
        # One fetch before the rate is measured over its bound, then at
        # most rate x the seconds since: far below the 4 MiB.
        assert got <= (1 << 20) + 30 * rate, (t, got)
    # Replication is not a client's bytes out: no consumer read "free".
    out = metric(cluster, 1, r'kafka_server_brokertopicmetrics_bytesout_total'
                 r'\{topic="free"\}')
    assert not out, out
