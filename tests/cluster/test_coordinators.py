# SPDX-License-Identifier: Apache-2.0
"""Group and transaction coordinators follow the leadership of their
internal topics' partitions, as in Kafka: FindCoordinator answers the
leader of partition abs(javaHashCode(key)) % 50 of __consumer_offsets or
__transaction_state (created with replication factor min(3, brokers) by the
controller on the first FindCoordinator), the other brokers answer
NOT_COORDINATOR, and committed offsets are loaded again from the log by the
broker that leads the partition next.

Needs: kcat, python3-kafka. Bounded: every wait has a deadline.
"""
import struct
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.structs import OffsetAndMetadata

from test_cluster import (cluster, find_coordinator, find_coordinator_v1,  # noqa: F401
                          kcat, produce_all, raw_request, topic_leaders,
                          wait_for)

NOT_COORDINATOR = 16


def java_hash(s):
    h = 0
    b = s.encode("utf-16-be")
    for i in range(0, len(b), 2):
        h = (h * 31 + int.from_bytes(b[i:i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def partition_for(key, partitions=50):
    h = java_hash(key)
    return 0 if h == -(1 << 31) else abs(h) % partitions


def offset_fetch_v1(port, group, topic, partitions):
    """OffsetFetch v1: {partition: (offset, error)}."""
    g, t = group.encode(), topic.encode()
    body = struct.pack(">h", len(g)) + g + struct.pack(">i", 1)
    body += struct.pack(">h", len(t)) + t + struct.pack(">i", len(partitions))
    body += b"".join(struct.pack(">i", p) for p in partitions)
    resp = raw_request(port, 9, 1, body, flexible=False)
    off = 4  # one topic
    (n,) = struct.unpack(">h", resp[off:off + 2])
    off += 2 + n
    (count,) = struct.unpack(">i", resp[off:off + 4])
    off += 4
    out = {}
    for _ in range(count):
        p, offset, mlen = struct.unpack(">iqh", resp[off:off + 14])
        off += 14 + max(mlen, 0)
        (err,) = struct.unpack(">h", resp[off:off + 2])
        off += 2
        out[p] = (offset, err)
    return out


def test_group_coordinator_follows_offsets_partition(cluster):
    boot = cluster.start(3)
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=15000)
    admin.create_topics([NewTopic("moves", 3, 1)])
    admin.close()
    wait_for("moves", lambda: len(topic_leaders(boot, "moves")) == 3)
    produce_all(boot, "moves", ["k%d" % i for i in range(300)])

    group = "movers"
    coord = find_coordinator(cluster.ports[1], group)
    # Every broker names the leader of the group's offsets partition.
    p = partition_for(group)
    offsets_leaders = wait_for("__consumer_offsets with 50 partitions", lambda: (
        lambda l: l if len(l) == 50 and min(l.values()) > 0 else None)(
            topic_leaders(boot, "__consumer_offsets")))
    assert coord == offsets_leaders[p], (coord, offsets_leaders[p])
    assert {find_coordinator(cluster.ports[i], group)
            for i in (1, 2, 3)} == {coord}
    # Its replication factor is min(3, brokers): three replicas each.
    meta = kcat("-b", boot, "-L", "-t", "__consumer_offsets")
    rf = [len(line.split("replicas:")[1].split(", isrs")[0].split(","))
          for line in meta.splitlines() if "replicas:" in line]
    assert rf == [3] * 50, meta

    # Commit through the coordinator; the others answer NOT_COORDINATOR.
    c = KafkaConsumer(bootstrap_servers=boot, group_id=group,
                      enable_auto_commit=False)
    tps = [TopicPartition("moves", i) for i in range(3)]
    c.assign(tps)
    committed = {tp: 20 + 10 * tp.partition for tp in tps}
    c.commit({tp: OffsetAndMetadata(o, "") for tp, o in committed.items()})
    c.close()
    for i in (1, 2, 3):
        got = offset_fetch_v1(cluster.ports[i], group, "moves", [0, 1, 2])
        if i == coord:
            assert got == {0: (20, 0), 1: (30, 0), 2: (40, 0)}, got
        else:
            assert {e for _, e in got.values()} == {NOT_COORDINATOR}, got

    # kill -9 of the coordinator; its partitions come back with it (their
    # only in-sync replica until replication), and it loads the group
    # again from the log on becoming their leader.
    cluster.dev("kill", str(coord))
    others = [i for i in (1, 2, 3) if i != coord]
    wait_for("the offsets partition without a leader", lambda:
             find_coordinator_v1(cluster.ports[others[0]], group)[0] == 15,
             timeout=20)
    t0 = time.monotonic()
    cluster.dev("start-node", str(coord))
    wait_for("the group's offsets loaded again", lambda: offset_fetch_v1(
        cluster.ports[coord], group, "moves", [0, 1, 2]) ==
        {0: (20, 0), 1: (30, 0), 2: (40, 0)}, timeout=30)
    print("offsets served again %.1f s after the restart"
          % (time.monotonic() - t0))

    # A consumer of the same group resumes at the committed offsets.
    c = KafkaConsumer("moves", bootstrap_servers=boot, group_id=group,
                      enable_auto_commit=False, auto_offset_reset="earliest",
                      consumer_timeout_ms=1000)
    first = {}
    deadline = time.monotonic() + 30
    while len(first) < 3 and time.monotonic() < deadline:
        for tp, msgs in c.poll(timeout_ms=500).items():
            if msgs and tp.partition not in first:
                first[tp.partition] = msgs[0].offset
    c.close()
    assert first == {0: 20, 1: 30, 2: 40}, first


def test_transaction_coordinator_is_the_state_partition_leader(cluster):
    boot = cluster.start(3)
    tid = "txn-coord-test"
    coord = find_coordinator(cluster.ports[2], tid, key_type=1)
    leaders = wait_for("__transaction_state with 50 partitions", lambda: (
        lambda l: l if len(l) == 50 and min(l.values()) > 0 else None)(
            topic_leaders(boot, "__transaction_state")))
    assert coord == leaders[partition_for(tid)]
    assert {find_coordinator(cluster.ports[i], tid, key_type=1)
            for i in (1, 2, 3)} == {coord}
