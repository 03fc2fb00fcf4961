# SPDX-License-Identifier: Apache-2.0
"""Hot reload of a connector's .so (beyond Kafka Connect): two connectors
run version v1 of a source plugin (tests/plugins/fixture-source-version);
the .so file is replaced by v2 (rename over it, as a package upgrade
does) and one connector is restarted through REST: it now runs v2, while
the other keeps running v1 without a restart (its records go on counting
from where they were, none repeated). A file that is not a plugin is
refused on restart and the connector keeps its version."""
import os
import shutil
import time

from kafka import KafkaConsumer, TopicPartition

from connect_rest import call, wait_for, wait_ready
from samsa_harness import BUILD

FIXTURES = os.path.join(BUILD, "tests", "plugins")


def values(broker, topic):
    """What the topic holds now (up to its end when asked)."""
    tp = TopicPartition(topic, 0)
    c = KafkaConsumer(bootstrap_servers=broker.bootstrap,
                      enable_auto_commit=False)
    c.assign([tp])
    c.seek_to_beginning(tp)
    end = c.end_offsets([tp])[tp]
    got, deadline = [], time.time() + 10
    while c.position(tp) < end and time.time() < deadline:
        for msgs in c.poll(200).values():
            got.extend(m.value.decode() for m in msgs if m.offset < end)
    c.close()
    return got


def replace(path, src):
    tmp = path + ".new"
    shutil.copyfile(src, tmp)
    os.rename(tmp, path)


def test_new_plugin_version_on_restart_while_another_connector_runs(
        broker_factory):
    broker = broker_factory("connect_enabled: true")
    so = os.path.join(broker.workdir, "source-version.so")
    shutil.copyfile(os.path.join(FIXTURES, "fixture-source-version-v1.so"), so)
    with open(os.path.join(broker.conf_dir, "90-version-source.yaml"), "w") as f:
        f.write("plugins:\n  - name: version-source\n    plugin: %s\n"
                "    config: {}\n" % so)
    broker.start()
    wait_ready(broker)
    conv = "org.apache.kafka.connect.storage.StringConverter"
    for name in ("a", "b"):
        code, info = call(broker, "POST", "/connectors", {
            "name": name, "config": {"connector.class": "version-source",
                                     "topic": "t" + name,
                                     "value.converter": conv}})
        assert code == 201, info
    wait_for(lambda: len(values(broker, "ta")) >= 3 and
             len(values(broker, "tb")) >= 3, "records of both connectors")
    assert all(v.startswith("v1-") for v in values(broker, "ta"))

    replace(so, os.path.join(FIXTURES, "fixture-source-version-v2.so"))
    before_b = len(values(broker, "tb"))
    assert call(broker, "POST", "/connectors/a/restart")[0] == 204
    wait_for(lambda: any(v.startswith("v2-") for v in values(broker, "ta")),
             "version 2's records from the restarted connector")
    wait_for(lambda: len(values(broker, "tb")) > before_b + 3,
             "the other connector's records going on")
    a = values(broker, "ta")
    first_v2 = next(i for i, v in enumerate(a) if v.startswith("v2-"))
    assert all(v.startswith("v1-") for v in a[:first_v2])
    assert all(v.startswith("v2-") for v in a[first_v2:])
    # b was never restarted: one v1 task counting on, nothing repeated.
    b = values(broker, "tb")
    assert b == ["v1-%d" % i for i in range(len(b))]
    code, st = call(broker, "GET", "/connectors/b/status")
    assert st["tasks"][0]["state"] == "RUNNING"
    # A new connector gets the newest version.
    code, info = call(broker, "POST", "/connectors", {
        "name": "c", "config": {"connector.class": "version-source",
                                "topic": "tc", "value.converter": conv}})
    assert code == 201, info
    wait_for(lambda: values(broker, "tc")[:1] == ["v2-0"], "c on version 2")

    # Not a plugin: the restart keeps v2 running and the log says why.
    with open(so + ".new", "w") as f:
        f.write("not an ELF file\n")
    os.rename(so + ".new", so)
    n = len(values(broker, "ta"))
    assert call(broker, "POST", "/connectors/a/restart")[0] == 204
    wait_for(lambda: len(values(broker, "ta")) > n + 2, "a still producing")
    assert values(broker, "ta")[-1].startswith("v2-")
    assert "new version of %s not loaded" % so in broker.log_text()
