# SPDX-License-Identifier: Apache-2.0
"""source-mirror keeps remote topics like their source (MM2's topic sync)
between two samsad: the remote topic is created with the source topic's
own configs minus MM2's excluded ones (min.insync.replicas), a config
changed on the source follows (sync.topic.configs.interval.seconds) and one
removed there is removed on the target too (Kafka 3.8's incremental sync),
a source topic that grows makes its remote topic grow, the new
partition's records copied to the same partition, topics created later are
picked up as topics / topics.exclude say (heartbeats always, internal
topics never), and group offsets are
not committed on the target unless asked (sync.group.offsets.enabled is
false by default, as MM2's). With the ACL authorizer on both clusters,
the source's topic ACLs are copied to the remote topics as MM2 does
(sync.topic.acls.enabled): literal ones only, ALLOW WRITE left out, ALLOW
ALL turned into ALLOW READ."""
import os

from confluent_kafka.admin import (AdminClient, ConfigResource, NewPartitions,
                                   NewTopic)
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType,
                         ACLResourcePatternType, ResourcePattern,
                         ResourcePatternFilter, ResourceType)
from kafka.admin import NewTopic as KpNewTopic
from kafka.structs import OffsetAndMetadata

from connect_rest import call, read_topic, wait_for, wait_ready

BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"


def own_configs(broker, topic):
    """The configs set on @p topic itself (not defaults)."""
    r = ConfigResource("topic", topic)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    d = admin.describe_configs([r])[r].result(10)
    return {k: v.value for k, v in d.items() if not v.is_default}


def partitions(broker, topic):
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    md = admin.list_topics(topic, timeout=10)
    t = md.topics.get(topic)
    return len(t.partitions) if t is not None and t.error is None else 0


def start_mirror(a, b, topics, extra):
    """MirrorSourceConnector "mirror" on B's worker copying @p topics of A
    (alias A), with @p extra settings."""
    wait_ready(b)
    config = {"connector.class": "MirrorSourceConnector",
              "source.cluster.alias": "A",
              "source.cluster.bootstrap.servers": a.bootstrap,
              "topics": topics,
              "key.converter": BYTES, "value.converter": BYTES,
              "refresh.topics.interval.seconds": "1"}
    config.update(extra)
    code, info = call(b, "POST", "/connectors",
                      {"name": "mirror", "config": config})
    assert code == 201, info


def test_remote_topics_follow_configs_and_partitions(broker_factory):
    a = broker_factory("").start()
    b = broker_factory("connect_enabled: true").start()
    admin_a = AdminClient({"bootstrap.servers": a.bootstrap})
    for f in admin_a.create_topics([NewTopic(
            "events", 1, 1, config={"retention.ms": "3600000",
                                    "max.message.bytes": "500000",
                                    "min.insync.replicas": "1"})]).values():
        f.result(10)
    p = KafkaProducer(bootstrap_servers=a.bootstrap)
    for i in range(3):
        p.send("events", value=b"e%d" % i, partition=0)
    p.flush()
    p.close()
    # Group "g" on A: not translated, sync.group.offsets.enabled is off.
    c = KafkaConsumer(bootstrap_servers=a.bootstrap, group_id="g",
                      enable_auto_commit=False)
    c.assign([TopicPartition("events", 0)])
    c.commit({TopicPartition("events", 0): OffsetAndMetadata(2, "")})
    c.close()

    start_mirror(a, b, "events, new-.*, __consumer_offsets", {
        "topics.exclude": "new-skip",
        "sync.group.offsets.interval.seconds": "1",
        "sync.topic.configs.interval.seconds": "1"})
    assert len(read_topic(b, "A.events", 3)) == 3
    # Created with the source's own configs, MM2's exclusions left out.
    got = own_configs(b, "A.events")
    assert got.get("retention.ms") == "3600000", got
    assert got.get("max.message.bytes") == "500000", got
    assert "min.insync.replicas" not in got, got

    # A config changed on the source follows; one removed there (AlterConfigs
    # replaces the set) is removed on the target.
    r = ConfigResource("topic", "events",
                       set_config={"retention.ms": "7200000",
                                   "min.insync.replicas": "1"})
    admin_a.alter_configs([r])[r].result(10)
    assert "max.message.bytes" not in own_configs(a, "events")
    wait_for(lambda: own_configs(b, "A.events") == {"retention.ms": "7200000"},
             "the new retention.ms and no max.message.bytes on the remote topic")

    # Topics created on A later are picked up (refresh.topics.interval.seconds)
    # when topics names them ("new-1") and topics.exclude does not
    # ("new-skip"); "heartbeats" is copied though topics does not name it
    # (heartbeats.replication.enabled); A's internal topics never are, though
    # topics names __consumer_offsets and topics.exclude no longer has __.*.
    for f in admin_a.create_topics([NewTopic(t, 1, 1) for t in (
            "new-1", "new-skip", "heartbeats")]).values():
        f.result(10)
    # The source topic grows: so does the remote one, and partition 2's
    # records land in partition 2.
    for f in admin_a.create_partitions([NewPartitions("events", 3)]).values():
        f.result(10)
    p = KafkaProducer(bootstrap_servers=a.bootstrap)
    p.send("events", value=b"late", partition=2)
    for t in ("new-1", "new-skip", "heartbeats"):
        p.send(t, value=t.encode(), partition=0)
    p.flush()
    p.close()
    assert [m.value for m in read_topic(b, "A.new-1", 1)] == [b"new-1"]
    assert [m.value for m in read_topic(b, "A.heartbeats", 1)] == [
        b"heartbeats"]
    wait_for(lambda: partitions(b, "A.events") == 3,
             "the remote topic's third partition")
    got = read_topic(b, "A.events", 4)
    assert sorted((m.partition, m.value) for m in got) == [
        (0, b"e0"), (0, b"e1"), (0, b"e2"), (2, b"late")]
    code, st = call(b, "GET", "/connectors/mirror/status")
    assert st["tasks"][0]["state"] == "RUNNING", st
    # Several refresh rounds have passed since new-skip was made.
    topics_b = AdminClient({"bootstrap.servers": b.bootstrap}).list_topics(
        timeout=10).topics
    assert "A.new-skip" not in topics_b, sorted(topics_b)
    assert "A.__consumer_offsets" not in topics_b, sorted(topics_b)
    # Several group sync rounds have passed: nothing committed for "g".
    offs = KafkaAdminClient(bootstrap_servers=b.bootstrap) \
        .list_consumer_group_offsets("g")
    assert not offs, offs


def acl_broker(broker_factory, extra=""):
    """A samsad with the ACL authorizer; PLAINTEXT clients (User:ANONYMOUS,
    the tests and B's worker) are its super users."""
    b = broker_factory(extra)
    with open(os.path.join(b.conf_dir, "40-acl.yaml"), "w") as f:
        f.write("plugins:\n  - name: acl\n    plugin: authorizer-acl\n"
                "    config: {super_users: [\"User:ANONYMOUS\"]}\n")
    return b.start()


def topic_acl(name, principal, op, perm=ACLPermissionType.ALLOW,
              pattern=ACLResourcePatternType.LITERAL):
    return ACL(principal=principal, host="*", operation=op,
               permission_type=perm,
               resource_pattern=ResourcePattern(ResourceType.TOPIC, name,
                                                pattern))


def topic_acls(broker):
    """Every topic ACL of @p broker as (name, principal, op, permission)."""
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    acls, err = admin.describe_acls(ACLFilter(
        principal=None, host=None, operation=ACLOperation.ANY,
        permission_type=ACLPermissionType.ANY,
        resource_pattern=ResourcePatternFilter(
            ResourceType.TOPIC, None, ACLResourcePatternType.ANY)))
    admin.close()
    assert err.errno == 0, err
    return {(x.resource_pattern.resource_name, x.principal, x.operation,
             x.permission_type) for x in acls}


def test_topic_acls_are_copied_as_mm2_does(broker_factory):
    a = acl_broker(broker_factory)
    b = acl_broker(broker_factory, "connect_enabled: true")
    admin_a = KafkaAdminClient(bootstrap_servers=a.bootstrap)
    admin_a.create_topics([KpNewTopic(t, num_partitions=1, replication_factor=1)
                           for t in ("orders", "secret")])
    out = admin_a.create_acls([
        topic_acl("orders", "User:alice", ACLOperation.READ),
        topic_acl("orders", "User:alice", ACLOperation.WRITE),
        topic_acl("orders", "User:bob", ACLOperation.ALL),
        topic_acl("orders", "User:eve", ACLOperation.READ,
                  ACLPermissionType.DENY),
        topic_acl("ord", "User:alice", ACLOperation.DESCRIBE,
                  pattern=ACLResourcePatternType.PREFIXED),
        topic_acl("secret", "User:alice", ACLOperation.READ)])
    assert not out["failed"], out
    admin_a.close()

    # "secret" is left out by MM2's older name of topics.exclude.
    start_mirror(a, b, ".*", {"topics.blacklist": "secret",
                              "sync.topic.acls.interval.seconds": "1"})
    want = {("A.orders", "User:alice", ACLOperation.READ,
             ACLPermissionType.ALLOW),
            ("A.orders", "User:bob", ACLOperation.READ,
             ACLPermissionType.ALLOW),
            ("A.orders", "User:eve", ACLOperation.READ,
             ACLPermissionType.DENY)}
    wait_for(lambda: topic_acls(b) == want, "A's topic ACLs on B, as MM2's")
    # A new ACL on A follows at the next round.
    admin_a = KafkaAdminClient(bootstrap_servers=a.bootstrap)
    out = admin_a.create_acls([topic_acl("orders", "User:carol",
                                         ACLOperation.DESCRIBE)])
    assert not out["failed"], out
    admin_a.close()
    want.add(("A.orders", "User:carol", ACLOperation.DESCRIBE,
              ACLPermissionType.ALLOW))
    wait_for(lambda: topic_acls(b) == want, "the new ACL on B")
    code, st = call(b, "GET", "/connectors/mirror/status")
    assert st["tasks"][0]["state"] == "RUNNING", st
