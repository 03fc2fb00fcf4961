# SPDX-License-Identifier: Apache-2.0
"""The topic configs kafka-reassign-partitions --throttle sets
(leader/follower.replication.throttled.replicas, Kafka's "*" or
"partition:broker,..." lists) and unclean.leader.election.enable as a
topic config: defaults in DescribeConfigs, Kafka's validation (a bad value
is INVALID_CONFIG with a reason, the broker keeps serving), the broker's
unclean_leader_election_enable as the topic default."""
from confluent_kafka.admin import (AdminClient, ConfigResource, ConfigSource,
                                   NewTopic)
from confluent_kafka import KafkaException

THROTTLES = ("leader.replication.throttled.replicas",
             "follower.replication.throttled.replicas")


def admin(broker):
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def describe(a, topic):
    r = ConfigResource("topic", topic)
    return a.describe_configs([r])[r].result(10)


def alter(a, topic, configs):
    """AlterConfigs: @configs become the topic's overrides."""
    r = ConfigResource("topic", topic, set_config=configs)
    return a.alter_configs([r])[r].result(10)


def test_throttle_and_unclean_configs_validated_and_described(broker):
    a = admin(broker)
    for f in a.create_topics([NewTopic("thr", 2, 1)]).values():
        f.result(10)
    d = describe(a, "thr")
    for name in THROTTLES:
        assert d[name].value == "" and d[name].is_default, d[name]
    assert d["unclean.leader.election.enable"].value == "false"
    assert d["unclean.leader.election.enable"].is_default

    # What the reassignment tool writes, and the wildcard.
    good = {THROTTLES[0]: "0:1,1:2,0:3", THROTTLES[1]: "*",
            "unclean.leader.election.enable": "true"}
    alter(a, "thr", good)
    d = describe(a, "thr")
    assert d[THROTTLES[0]].value == "0:1,1:2,0:3"
    assert d[THROTTLES[0]].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert d[THROTTLES[1]].value == "*"
    assert d["unclean.leader.election.enable"].value == "true"

    for name, value in ((THROTTLES[0], "0-1"), (THROTTLES[0], "*,0:1"),
                        (THROTTLES[1], "a:1"), (THROTTLES[1], "0:"),
                        ("unclean.leader.election.enable", "yes")):
        try:
            alter(a, "thr", dict(good, **{name: value}))
            raise AssertionError("%s=%r accepted" % (name, value))
        except KafkaException as e:
            err = e.args[0]
            assert err.name() == "INVALID_CONFIG", err
            assert name in err.str(), err
            if name in THROTTLES:
                assert "[partitionId]:[brokerId]" in err.str(), err
    # The refused changes left the stored values alone.
    d = describe(a, "thr")
    assert d[THROTTLES[0]].value == "0:1,1:2,0:3"
    assert d["unclean.leader.election.enable"].value == "true"

    # Refused at creation too; the broker keeps serving.
    fs = a.create_topics([NewTopic("thr-bad", 1, 1, config={
        THROTTLES[1]: "1:x"})])
    try:
        fs["thr-bad"].result(10)
        raise AssertionError("bad throttle list accepted at creation")
    except KafkaException as e:
        assert e.args[0].name() == "INVALID_CONFIG", e
    for f in a.create_topics([NewTopic("thr-ok", 1, 1, config={
            THROTTLES[1]: " 0:1 , 0:2 "})]).values():
        f.result(10)
    assert describe(a, "thr-ok")[THROTTLES[1]].value == " 0:1 , 0:2 "


def test_unclean_topic_default_is_the_broker_setting(broker_factory):
    b = broker_factory("unclean_leader_election_enable: true\n")
    b.start()
    a = admin(b)
    for f in a.create_topics([NewTopic("unc", 1, 1)]).values():
        f.result(10)
    e = describe(a, "unc")["unclean.leader.election.enable"]
    assert e.value == "true", e
    assert e.source == ConfigSource.STATIC_BROKER_CONFIG.value, e
