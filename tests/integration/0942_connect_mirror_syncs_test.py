# SPDX-License-Identifier: Apache-2.0
"""source-mirror's MM2 internal topics between two samsad (A mirrored into
B's Connect worker):
- MirrorSourceConnector with tasks.max=2 splits the partitions over two
  tasks and writes MM2's OffsetSync records to
  mm2-offset-syncs.target.internal on A (bytes as Kafka's OffsetSync
  schema); after kill -9 and a restart of B, a group committed on A in the
  meantime is translated from those stored syncs, with no new record
  copied, the group's offset metadata with it (sync.group.offsets.enabled);
- MirrorCheckpointConnector (two tasks) emits MM2's Checkpoint records to
  A.checkpoints.internal on B, carrying the group's metadata, for the
  groups groups / groups.exclude select, MirrorHeartbeatConnector MM2's Heartbeat
  records to heartbeats (none with emit.heartbeats.enabled=false); MM2's
  own client (RemoteClusterUtils, Java) finds both topics and translates
  the group from the checkpoints."""
import os
import struct
import subprocess
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata

from connect_rest import call, read_topic, state, wait_for, wait_ready

BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"
SYNCS = "mm2-offset-syncs.target.internal"
JAVA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "java")
MIRROR_CLIENT_JAR = os.path.join(JAVA_DIR, "lib",
                                 "connect-mirror-client-3.8.0.jar")


def mirror_client(broker, alias, group):
    """SamsaJavaMirror.java's lines (MM2's RemoteClusterUtils)."""
    if not os.path.exists(MIRROR_CLIENT_JAR):
        # tests/integration/run.sh fetches the jars once; this covers a
        # lib/ fetched before the mirror client was in the pom.
        out = subprocess.run(
            ["mvn", "-q", "-B", "dependency:copy-dependencies",
             "-DoutputDirectory=lib", "-DincludeScope=runtime"],
            cwd=JAVA_DIR, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, "mvn failed:\n" + out.stdout + out.stderr
    out = subprocess.run(
        ["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
         "-cp", os.path.join(JAVA_DIR, "lib", "*"),
         os.path.join(JAVA_DIR, "SamsaJavaMirror.java"),
         broker.bootstrap, alias, group],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout.splitlines()


def mm2_string(buf, at):
    (n,) = struct.unpack_from(">h", buf, at)
    return buf[at + 2:at + 2 + n].decode(), at + 2 + n


def offset_sync(rec):
    topic, at = mm2_string(rec.key, 0)
    (partition,) = struct.unpack_from(">i", rec.key, at)
    assert len(rec.key) == at + 4 and len(rec.value) == 16
    up, down = struct.unpack(">qq", rec.value)
    return topic, partition, up, down


def checkpoint(rec):
    group, at = mm2_string(rec.key, 0)
    topic, at = mm2_string(rec.key, at)
    (partition,) = struct.unpack_from(">i", rec.key, at)
    version, up, down = struct.unpack_from(">hqq", rec.value, 0)
    metadata, at = mm2_string(rec.value, 18)
    assert version == 0 and at == len(rec.value)
    return group, topic, partition, up, down, metadata


def heartbeat(rec):
    source, at = mm2_string(rec.key, 0)
    target, at = mm2_string(rec.key, at)
    version, ts = struct.unpack(">hq", rec.value)
    assert version == 0 and at == len(rec.key)
    return source, target, ts


def consume_all(broker, topic):
    """Every record of partition 0 of @p topic so far ([] when missing)."""
    c = KafkaConsumer(bootstrap_servers=broker.bootstrap,
                      enable_auto_commit=False)
    tp = TopicPartition(topic, 0)
    got = []
    if c.partitions_for_topic(topic):
        c.assign([tp])
        c.seek_to_beginning(tp)
        end = c.end_offsets([tp])[tp]
        deadline = time.time() + 10
        while c.position(tp) < end and time.time() < deadline:
            for msgs in c.poll(500).values():
                got.extend(msgs)
    c.close()
    return got


def commit(broker, group, offsets, metadata=""):
    c = KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=group,
                      enable_auto_commit=False)
    c.assign([TopicPartition(t, p) for (t, p) in offsets])
    c.commit({TopicPartition(t, p): OffsetAndMetadata(o, metadata)
              for (t, p), o in offsets.items()})
    c.close()


def committed(broker, group, topic):
    """{partition: (offset, metadata)} of @p group on @p topic."""
    offs = KafkaAdminClient(bootstrap_servers=broker.bootstrap) \
        .list_consumer_group_offsets(group)
    return {tp.partition: (o.offset, o.metadata)
            for tp, o in offs.items() if tp.topic == topic}


def translated(broker, group, topic):
    return {p: o for p, (o, _) in committed(broker, group, topic).items()}


def source_offsets(broker, name):
    code, body = call(broker, "GET", "/connectors/%s/offsets" % name)
    if code != 200:
        return {}
    return {o["partition"]["partition"]: o["offset"]["offset"]
            for o in body.get("offsets", [])}


def test_offset_syncs_survive_a_restart_checkpoints_and_heartbeats(broker_factory):
    a = broker_factory("").start()
    b = broker_factory("connect_enabled: true").start()
    KafkaAdminClient(bootstrap_servers=a.bootstrap).create_topics(
        [NewTopic("orders", num_partitions=2, replication_factor=1)])
    # B's remote topic holds 5 older records in partition 0: copies land
    # at 5.. there.
    KafkaAdminClient(bootstrap_servers=b.bootstrap).create_topics(
        [NewTopic("A.orders", num_partitions=2, replication_factor=1)])
    p = KafkaProducer(bootstrap_servers=b.bootstrap)
    for i in range(5):
        p.send("A.orders", value=b"old%d" % i, partition=0)
    p.flush()
    p = KafkaProducer(bootstrap_servers=a.bootstrap)
    for i in range(40):
        p.send("orders", value=b"v%d" % i, partition=i % 2)
    p.flush()
    p.close()

    wait_ready(b)
    config = {"connector.class": "MirrorSourceConnector", "tasks.max": "2",
              "source.cluster.alias": "A",
              "source.cluster.bootstrap.servers": a.bootstrap,
              "topics": "orders",
              "key.converter": BYTES, "value.converter": BYTES,
              "refresh.topics.interval.seconds": "1",
              "sync.group.offsets.enabled": "true",
              "sync.group.offsets.interval.seconds": "1"}
    code, info = call(b, "POST", "/connectors", {"name": "mirror", "config": config})
    assert code == 201, info
    assert len(read_topic(b, "A.orders", 45)) == 45
    code, tasks = call(b, "GET", "/connectors/mirror/tasks")
    assert code == 200 and len(tasks) == 2, tasks
    code, st = call(b, "GET", "/connectors/mirror/status")
    assert [t["state"] for t in st["tasks"]] == ["RUNNING", "RUNNING"], st

    # MM2's OffsetSyncs on A: the last of each partition says where its
    # last record landed on B.
    def last_syncs():
        out = {}
        for rec in consume_all(a, SYNCS):
            assert rec.partition == 0
            topic, part, up, down = offset_sync(rec)
            assert topic == "orders"
            out[part] = (up, down)
        return out
    wait_for(lambda: last_syncs() == {0: (19, 24), 1: (19, 19)},
             "the offset syncs of both partitions")
    # Everything copied is stored as the worker's source offsets too, so
    # the restart copies nothing again.
    wait_for(lambda: source_offsets(b, "mirror") == {0: 19, 1: 19},
             "the stored source offsets")

    b.kill()
    # Meanwhile on A: group "app" read 7 of partition 0 and 13 of 1, with
    # a metadata string that goes along (MM2's OffsetAndMetadata).
    commit(a, "app", {("orders", 0): 7, ("orders", 1): 13}, "app-meta")
    # Groups the checkpoint connector leaves out: by groups, by
    # groups.exclude.
    commit(a, "other", {("orders", 0): 3})
    commit(a, "skip-me", {("orders", 0): 4})
    b.start()
    wait_ready(b)
    # Translated from the stored syncs alone: nothing new was copied.
    wait_for(lambda: translated(b, "app", "A.orders") == {0: 12, 1: 13},
             "the group translated after the restart")
    assert committed(b, "app", "A.orders") == {
        0: (12, "app-meta"), 1: (13, "app-meta")}
    assert len(read_topic(b, "A.orders", 45, timeout=3)) == 45

    # MirrorCheckpointConnector: MM2's Checkpoint records on B.
    code, info = call(b, "POST", "/connectors", {"name": "ckpt", "config": {
        "connector.class":
            "org.apache.kafka.connect.mirror.MirrorCheckpointConnector",
        "source.cluster.alias": "A",
        "source.cluster.bootstrap.servers": a.bootstrap, "tasks.max": "2",
        "groups": "app.*, skip-.*", "groups.exclude": "skip-.*",
        "key.converter": BYTES, "value.converter": BYTES,
        "emit.checkpoints.interval.seconds": "1"}})
    assert code == 201, info
    # Two tasks share the groups: "app" is checkpointed by one of them.
    code, tasks = call(b, "GET", "/connectors/ckpt/tasks")
    assert code == 200 and len(tasks) == 2, tasks

    def checkpoints():
        return {(c[0], c[1], c[2]): c[3:]
                for c in map(checkpoint, consume_all(b, "A.checkpoints.internal"))}
    wait_for(lambda: checkpoints().get(("app", "A.orders", 0)) ==
             (7, 12, "app-meta"), "a checkpoint of app on partition 0")
    assert checkpoints()[("app", "A.orders", 1)] == (13, 13, "app-meta")

    # MirrorHeartbeatConnector: MM2's Heartbeat records on B.
    code, info = call(b, "POST", "/connectors", {"name": "hb", "config": {
        "connector.class": "MirrorHeartbeatConnector",
        "source.cluster.alias": "A", "target.cluster.alias": "B",
        "key.converter": BYTES, "value.converter": BYTES}})
    assert code == 201, info
    # One with emit.heartbeats.enabled=false writes none.
    code, info = call(b, "POST", "/connectors", {"name": "hb-off", "config": {
        "connector.class": "MirrorHeartbeatConnector",
        "source.cluster.alias": "Z", "target.cluster.alias": "B",
        "emit.heartbeats.enabled": "false",
        "key.converter": BYTES, "value.converter": BYTES}})
    assert code == 201, info
    before = int(time.time() * 1000)

    def beats():
        return [heartbeat(r) for r in consume_all(b, "heartbeats")]
    wait_for(lambda: len(beats()) >= 2, "two heartbeats")
    # Checkpoint records of app so far: a new one only when the group
    # moves (MM2's checkpointIsMoreRecent), and it does not from here on.
    ckpt_records = len([c for c in map(checkpoint, consume_all(
        b, "A.checkpoints.internal")) if c[0] == "app"])
    # Restarted tasks read the checkpoints back (MM2 3.8's
    # CheckpointsStore): they write none again either.
    code, info = call(b, "POST",
                      "/connectors/ckpt/restart?includeTasks=true")
    assert code in (200, 202, 204), info

    def ckpt_running():
        code, st = call(b, "GET", "/connectors/ckpt/status")
        return code == 200 and [t["state"] for t in st["tasks"]] == [
            "RUNNING", "RUNNING"]
    wait_for(ckpt_running, "the checkpoint tasks running again")
    for source, target, ts in beats():
        assert (source, target) == ("A", "B")
        assert before - 5000 <= ts <= int(time.time() * 1000)

    # MM2's own client reads both topics and translates from the
    # checkpoints.
    lines = mirror_client(b, "A", "app")
    assert "checkpoints A.checkpoints.internal" in lines, lines
    assert "heartbeats heartbeats" in lines, lines
    assert [x for x in lines if x.startswith("offset ")] == [
        "offset A.orders 0 12", "offset A.orders 1 13"], lines
    # Many checkpoint and heartbeat rounds later: none for the groups left
    # out, no heartbeat from the disabled connector.
    assert {k[0] for k in checkpoints()} == {"app"}, checkpoints()
    assert len([c for c in map(checkpoint, consume_all(
        b, "A.checkpoints.internal")) if c[0] == "app"]) == ckpt_records
    assert {s for s, _, _ in beats()} == {"A"}
    assert state(b, "hb-off") == "RUNNING"
