# SPDX-License-Identifier: Apache-2.0
"""tasks.max > 1: a file sink runs that many tasks in one consumer group
(connect-NAME), which splits the topic's partitions between them; each
task has its own status; one task restarts alone; a smaller tasks.max
takes effect on a config update. Every record reaches the file once."""
import json
import os

from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from connect_rest import call, lines, read_topic, wait_for, wait_ready


def test_file_sink_with_two_tasks(broker_factory):
    broker = broker_factory("connect_enabled: true").start()
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("wide", num_partitions=4, replication_factor=1)])
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    sent = ["r%03d" % i for i in range(200)]
    for i, v in enumerate(sent):
        p.send("wide", value=v.encode(), partition=i % 4)
    p.flush()
    wait_ready(broker)
    out = os.path.join(broker.workdir, "wide.txt")
    config = {"connector.class": "FileStreamSink", "file": out,
              "topics": "wide", "tasks.max": "2",
              "value.converter": "org.apache.kafka.connect.storage.StringConverter"}
    code, info = call(broker, "POST", "/connectors", {"name": "wide", "config": config})
    assert code == 201, info
    assert info["tasks"] == [{"connector": "wide", "task": 0},
                             {"connector": "wide", "task": 1}]

    def both_running():
        st = call(broker, "GET", "/connectors/wide/status")[1]
        return [t["state"] for t in st["tasks"]] == ["RUNNING", "RUNNING"] and st
    st = wait_for(both_running, "two RUNNING tasks")
    assert [t["id"] for t in st["tasks"]] == [0, 1]
    assert st["connector"]["state"] == "RUNNING"
    wait_for(lambda: sorted(lines(out)) == sent, "every record in the file")

    # The group splits the four partitions over two members.
    def partitions(a):
        # kafka-python decodes a stable group's assignments; mid-rebalance
        # they are empty bytes.
        return sum(len(p) for _, p in a.assignment) if hasattr(a, "assignment") else -1

    def split():
        g = admin.describe_consumer_groups(["connect-wide"])[0]
        return sorted(partitions(m.member_assignment) for m in g.members) == [2, 2]
    wait_for(split, "two members with two partitions each")
    tasks = call(broker, "GET", "/connectors/wide/tasks")[1]
    assert [t["id"]["task"] for t in tasks] == [0, 1]
    commits = [json.loads(m.value) for m in read_topic(broker, "connect-configs", 4)
               if m.key == b"commit-wide"]
    assert commits[-1] == {"tasks": 2}

    # One task restarts alone; an unknown one is 404.
    assert call(broker, "POST", "/connectors/wide/tasks/1/restart")[0] == 204
    assert call(broker, "POST", "/connectors/wide/tasks/7/restart")[0] == 404
    wait_for(both_running, "both RUNNING after the restart")
    more = ["s%03d" % i for i in range(40)]
    for i, v in enumerate(more):
        p.send("wide", value=v.encode(), partition=i % 4)
    p.flush()
    p.close()
    wait_for(lambda: sorted(lines(out)) == sorted(sent + more), "the new records")

    # A config update to tasks.max=1: one task, the status follows.
    config["tasks.max"] = "1"
    code, info = call(broker, "PUT", "/connectors/wide/config", config)
    assert code == 200 and len(info["tasks"]) == 1
    st = wait_for(lambda: (lambda s: len(s["tasks"]) == 1 and
                           s["tasks"][0]["state"] == "RUNNING" and s)(
        call(broker, "GET", "/connectors/wide/status")[1]), "one task")
    assert sorted(lines(out)) == sorted(sent + more)  # nothing twice
    admin.close()


def test_sink_sees_topics_and_partitions_made_after_it(broker_factory):
    from kafka.admin import NewPartitions
    broker = broker_factory("connect_enabled: true").start()
    wait_ready(broker)
    out = os.path.join(broker.workdir, "late.txt")
    # The sink comes first: its topic does not exist yet.
    code, _ = call(broker, "POST", "/connectors", {"name": "late", "config": {
        "connector.class": "FileStreamSink", "file": out, "topics": "late",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter"}})
    assert code == 201
    wait_for(lambda: call(broker, "GET", "/connectors/late/status")[1]
             ["tasks"][0]["state"] == "RUNNING", "RUNNING")
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    p.send("late", value=b"first")
    p.flush()
    wait_for(lambda: lines(out) == ["first"], "a record of the new topic")
    # A partition added later is picked up by the next metadata check.
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_partitions({"late": NewPartitions(total_count=2)})
    p.close()
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)  # fresh metadata
    p.send("late", value=b"second", partition=1)
    p.flush()
    p.close()
    wait_for(lambda: lines(out) == ["first", "second"], "the new partition")
    admin.close()
