# SPDX-License-Identifier: Apache-2.0
"""source-mirror (MirrorMaker 2's job) between two samsad: cluster B's
Connect worker copies topic "orders" of cluster A to "A.orders" on B
(DefaultReplicationPolicy) with keys, values, headers and per-partition
order; group "app" committed on A gets translated offsets on B, through
the offset syncs (B's topic held records before, so the offsets differ);
a restarted worker resumes without copying anything twice."""
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata

from connect_rest import call, read_topic, state, wait_for, wait_ready

BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"


def produce(broker, first, count):
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for i in range(first, first + count):
        p.send("orders", key=b"k%d" % i, value=b"v%d" % i, partition=i % 3,
               headers=[("seq", b"%d" % i), ("src", b"A")])
    p.flush()
    p.close()


def by_partition(msgs):
    out = {}
    for m in msgs:
        out.setdefault(m.partition, []).append(
            (m.key, m.value, [(k, bytes(v)) for k, v in m.headers]))
    return out


def expected(first, count):
    out = {}
    for i in range(first, first + count):
        out.setdefault(i % 3, []).append(
            (b"k%d" % i, b"v%d" % i, [("seq", b"%d" % i), ("src", b"A")]))
    return out


def test_mirror_topics_and_group_offsets(broker_factory):
    a = broker_factory("").start()
    b = broker_factory("connect_enabled: true").start()
    KafkaAdminClient(bootstrap_servers=a.bootstrap).create_topics(
        [NewTopic("orders", num_partitions=3, replication_factor=1)])
    # B's remote topic exists with 5 older records in partition 0: the
    # copies land at offsets 5.. there, 0.. in the other partitions.
    KafkaAdminClient(bootstrap_servers=b.bootstrap).create_topics(
        [NewTopic("A.orders", num_partitions=3, replication_factor=1)])
    p = KafkaProducer(bootstrap_servers=b.bootstrap)
    for i in range(5):
        p.send("A.orders", value=b"old%d" % i, partition=0)
    p.flush()
    p.close()
    produce(a, 0, 60)
    # Group "app" on A read 7 of partition 0, all 20 of partition 1 and
    # nothing of partition 2.
    c = KafkaConsumer(bootstrap_servers=a.bootstrap, group_id="app",
                      enable_auto_commit=False)
    tps = [TopicPartition("orders", i) for i in range(3)]
    c.assign(tps)
    c.commit({tps[0]: OffsetAndMetadata(7, ""), tps[1]: OffsetAndMetadata(20, ""),
              tps[2]: OffsetAndMetadata(0, "")})
    c.close()

    wait_ready(b)
    config = {"connector.class": "MirrorSourceConnector",
              "source.cluster.alias": "A",
              "source.cluster.bootstrap.servers": a.bootstrap,
              "topics": "orders, nomatch-.*",
              "key.converter": BYTES, "value.converter": BYTES,
              "refresh.topics.interval.seconds": "1",
              "sync.group.offsets.enabled": "true",
              "sync.group.offsets.interval.seconds": "1"}
    code, info = call(b, "POST", "/connectors", {"name": "mirror", "config": config})
    assert code == 201, info
    got = read_topic(b, "A.orders", 65)
    assert len(got) == 65
    mirrored = by_partition(got)
    assert mirrored[0][:5] == [(None, b"old%d" % i, []) for i in range(5)]
    mirrored[0] = mirrored[0][5:]
    assert mirrored == expected(0, 60)

    # Translated: partition 0's upstream 7 is downstream 12.
    admin_b = KafkaAdminClient(bootstrap_servers=b.bootstrap)

    def translated():
        offs = admin_b.list_consumer_group_offsets("app")
        return {tp.partition: o.offset for tp, o in offs.items()
                if tp.topic == "A.orders"}
    want = {0: 12, 1: 20, 2: 0}
    wait_for(lambda: translated() == want, "the group's translated offsets")

    # The group moves on A; B follows, only forward.
    c = KafkaConsumer(bootstrap_servers=a.bootstrap, group_id="app",
                      enable_auto_commit=False)
    c.assign(tps)
    c.commit({tps[0]: OffsetAndMetadata(20, ""), tps[2]: OffsetAndMetadata(3, "")})
    c.close()
    want = {0: 25, 1: 20, 2: 3}
    wait_for(lambda: translated() == want, "the group's new translated offsets")

    # A restart of B's worker resumes after the stored offsets.
    assert b.stop() == 0
    produce(a, 60, 9)
    b.start()
    wait_ready(b)
    got = read_topic(b, "A.orders", 74)
    assert len(got) == 74
    mirrored = by_partition(got)
    mirrored[0] = mirrored[0][5:]
    assert mirrored == expected(0, 69)
    assert state(b, "mirror") == "RUNNING"
