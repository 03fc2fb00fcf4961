# SPDX-License-Identifier: Apache-2.0
"""source-mirror keeps remote topics like their source (MM2's topic sync)
between two samsad: the remote topic is created with the source topic's
own configs minus MM2's excluded ones (min.insync.replicas), a config
changed on the source follows (sync.topic.configs.interval.seconds), and
a source topic that grows makes its remote topic grow, the new
partition's records copied to the same partition."""
from confluent_kafka.admin import (AdminClient, ConfigResource, NewPartitions,
                                   NewTopic)
from kafka import KafkaProducer

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

    wait_ready(b)
    code, info = call(b, "POST", "/connectors", {"name": "mirror", "config": {
        "connector.class": "MirrorSourceConnector",
        "source.cluster.alias": "A",
        "source.cluster.bootstrap.servers": a.bootstrap,
        "topics": "events",
        "key.converter": BYTES, "value.converter": BYTES,
        "refresh.topics.interval.seconds": "1",
        "sync.topic.configs.interval.seconds": "1"}})
    assert code == 201, info
    assert len(read_topic(b, "A.events", 3)) == 3
    # Created with the source's own configs, MM2's exclusions left out.
    got = own_configs(b, "A.events")
    assert got.get("retention.ms") == "3600000", got
    assert got.get("max.message.bytes") == "500000", got
    assert "min.insync.replicas" not in got, got

    # A config changed on the source follows.
    r = ConfigResource("topic", "events",
                       set_config={"retention.ms": "7200000",
                                   "max.message.bytes": "500000",
                                   "min.insync.replicas": "1"})
    admin_a.alter_configs([r])[r].result(10)
    wait_for(lambda: own_configs(b, "A.events").get("retention.ms") == "7200000",
             "the new retention.ms on the remote topic")

    # The source topic grows: so does the remote one, and partition 2's
    # records land in partition 2.
    for f in admin_a.create_partitions([NewPartitions("events", 3)]).values():
        f.result(10)
    p = KafkaProducer(bootstrap_servers=a.bootstrap)
    p.send("events", value=b"late", partition=2)
    p.flush()
    p.close()
    wait_for(lambda: partitions(b, "A.events") == 3,
             "the remote topic's third partition")
    got = read_topic(b, "A.events", 4)
    assert sorted((m.partition, m.value) for m in got) == [
        (0, b"e0"), (0, b"e1"), (0, b"e2"), (2, b"late")]
    code, st = call(b, "GET", "/connectors/mirror/status")
    assert st["tasks"][0]["state"] == "RUNNING", st
