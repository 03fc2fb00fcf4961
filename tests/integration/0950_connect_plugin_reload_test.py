# SPDX-License-Identifier: Apache-2.0
"""Hot reload of a connector's .so (beyond Kafka Connect): the worker
watches the directories its connector plugins came from (inotify). When a
plugin's .so is replaced there (renamed over, as a package upgrade does),
the connectors using it, and only those, restart on the new version by
themselves, while a connector of another plugin keeps producing without
a restart; /connector-plugins shows the new version, and a new connector
gets it. A file that is not a plugin is refused (logged), and the
connectors keep running their version, also through a REST restart
(tests/plugins/fixture-source-version: two builds naming their
version in their records)."""
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


def test_a_file_that_is_no_plugin_changes_nothing(broker_factory):
    broker = broker_factory("connect_enabled: true")
    so = os.path.join(broker.workdir, "source-version.so")
    shutil.copyfile(os.path.join(FIXTURES, "fixture-source-version-v1.so"), so)
    with open(os.path.join(broker.conf_dir, "90-version-source.yaml"), "w") as f:
        f.write("plugins:\n  - name: version-source\n    plugin: %s\n"
                "    config: {}\n" % so)
    broker.start()
    wait_ready(broker)
    conv = "org.apache.kafka.connect.storage.StringConverter"
    code, info = call(broker, "POST", "/connectors", {
        "name": "a", "config": {"connector.class": "version-source",
                                "topic": "ta", "value.converter": conv}})
    assert code == 201, info
    wait_for(lambda: len(values(broker, "ta")) >= 3, "records of a")
    replace(so, os.path.join(FIXTURES, "fixture-source-version-v2.so"))
    wait_for(lambda: any(v.startswith("v2-") for v in values(broker, "ta")),
             "a on version 2 by itself", 20)
    # A new connector gets the newest version.
    code, info = call(broker, "POST", "/connectors", {
        "name": "c", "config": {"connector.class": "version-source",
                                "topic": "tc", "value.converter": conv}})
    assert code == 201, info
    wait_for(lambda: values(broker, "tc")[:1] == ["v2-0"], "c on version 2")

    # Not a plugin: logged, and a keeps running v2 without a restart.
    with open(so + ".new", "w") as f:
        f.write("not an ELF file\n")
    os.rename(so + ".new", so)
    wait_for(lambda: "new version of %s not loaded" % so in broker.log_text(),
             "the refusal in the log", 20)
    n = len(values(broker, "ta"))
    wait_for(lambda: len(values(broker, "ta")) > n + 2, "a still producing")
    a = values(broker, "ta")
    first_v2 = a.index("v2-0")
    assert a[first_v2:] == ["v2-%d" % i for i in range(len(a) - first_v2)]
    # A REST restart tries the file again and keeps v2 as well.
    assert call(broker, "POST", "/connectors/a/restart")[0] == 204
    wait_for(lambda: values(broker, "ta").count("v2-0") == 2 and
             values(broker, "ta")[-1].startswith("v2-"),
             "a restarted on version 2")


def plugin_versions(broker):
    code, plugins = call(broker, "GET", "/connector-plugins")
    assert code == 200, plugins
    return {p["class"]: p["version"] for p in plugins
            if p["class"] in ("version-source", "other-source")}


def test_a_replaced_plugin_file_restarts_only_its_connectors(broker_factory):
    """The worker watches the plugin directories (inotify): a new build of
    version-source renamed over its .so, with no REST call, restarts the
    two connectors using it on the new version (/connector-plugins says
    v2), while a connector of another plugin (the same code from another
    file) keeps producing, never restarted: its records count on from
    v1-0 with none missing or repeated."""
    broker = broker_factory("connect_enabled: true")
    dirs = [os.path.join(broker.workdir, d) for d in ("plugins", "other")]
    sos = [os.path.join(dirs[0], "source-version.so"),
           os.path.join(dirs[1], "other-source.so")]
    for d, so in zip(dirs, sos):
        os.makedirs(d)
        shutil.copyfile(os.path.join(FIXTURES, "fixture-source-version-v1.so"),
                        so)
    with open(os.path.join(broker.conf_dir, "90-version-source.yaml"), "w") as f:
        f.write("plugins:\n"
                "  - name: version-source\n    plugin: %s\n    config: {}\n"
                "  - name: other-source\n    plugin: %s\n    config: {}\n"
                % tuple(sos))
    broker.start()
    wait_ready(broker)
    conv = "org.apache.kafka.connect.storage.StringConverter"
    for name, cls in (("a", "version-source"), ("b", "version-source"),
                      ("o", "other-source")):
        code, info = call(broker, "POST", "/connectors", {
            "name": name, "config": {"connector.class": cls,
                                     "topic": "w" + name,
                                     "value.converter": conv}})
        assert code == 201, info
    wait_for(lambda: all(len(values(broker, "w" + n)) >= 3 for n in "abo"),
             "records of the three connectors")
    assert plugin_versions(broker) == {"version-source": "v1",
                                       "other-source": "v1"}
    before_o = len(values(broker, "wo"))

    replace(sos[0], os.path.join(FIXTURES, "fixture-source-version-v2.so"))
    for n in "ab":
        wait_for(lambda: any(v.startswith("v2-")
                             for v in values(broker, "w" + n)),
                 "connector %s on version 2 by itself" % n, 20)
    assert plugin_versions(broker) == {"version-source": "v2",
                                       "other-source": "v1"}
    wait_for(lambda: len(values(broker, "wo")) > before_o + 3,
             "the other plugin's connector going on")
    for n in "ab":
        got = values(broker, "w" + n)
        first_v2 = next(i for i, v in enumerate(got) if v.startswith("v2-"))
        assert all(v.startswith("v1-") for v in got[:first_v2]), got
        assert got[first_v2] == "v2-0", got  # a new task on the new .so
    # o was never restarted: one v1 task counting on, nothing missing.
    o = values(broker, "wo")
    assert o == ["v1-%d" % i for i in range(len(o))]
    code, st = call(broker, "GET", "/connectors/o/status")
    assert st["tasks"][0]["state"] == "RUNNING"
    assert "restarting its tasks on the new %s" % sos[0] in broker.log_text()
    assert "restarting its tasks on the new %s" % sos[1] not in \
        broker.log_text()
