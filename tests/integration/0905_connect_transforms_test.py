# SPDX-License-Identifier: Apache-2.0
"""Single-message transforms (plugins/transforms-basic) chained per
connector with Kafka Connect's keys (transforms=..., transforms.A.type=
Kafka's class names, predicates with negate), created through the REST
API: a file source's lines through HoistField, InsertField, MaskField,
ValueToKey, ExtractField and RegexRouter into a topic; a file sink's
records through Filter with HasHeaderKey / RecordIsTombstone,
MaskField, ReplaceField, TimestampRouter and InsertField, with a record
a transform refuses sent to the dead-letter topic; bad chains refused
with 400."""
import json
import os
import subprocess

from kafka import KafkaProducer

from connect_rest import call, lines, read_topic, state, wait_for, wait_ready
from kafka_cli import TOOLS_DIR, fetch_kafka_tools

T = "org.apache.kafka.connect.transforms."


def test_file_source_through_transforms(broker_factory):
    broker = broker_factory("connect_enabled: true").start()
    src = os.path.join(broker.workdir, "people.txt")
    with open(src, "w") as f:
        f.write("alice\nbob\n")
    wait_ready(broker)
    code, info = call(broker, "POST", "/connectors", {
        "name": "people", "config": {
            "connector.class": "FileStreamSource", "file": src,
            "topic": "raw-people",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            "transforms": "hoist, insert,secret,mask,tokey,extract,never,route",
            "transforms.hoist.type": T + "HoistField$Value",
            "transforms.hoist.field": "name",
            "transforms.insert.type": T + "InsertField$Value",
            "transforms.insert.static.field": "origin",
            "transforms.insert.static.value": "file",
            "transforms.insert.topic.field": "source_topic!",
            "transforms.secret.type": "InsertField$Value",
            "transforms.secret.static.field": "password",
            "transforms.secret.static.value": "hunter2",
            "transforms.mask.type": T + "MaskField$Value",
            "transforms.mask.fields": "password",
            "transforms.tokey.type": T + "ValueToKey",
            "transforms.tokey.fields": "name",
            "transforms.extract.type": T + "ExtractField$Key",
            "transforms.extract.field": "name",
            # A predicate that never matches: the router is not applied.
            "transforms.never.type": T + "TimestampRouter",
            "transforms.never.predicate": "nothing",
            "predicates": "nothing",
            "predicates.nothing.type": T + "predicates.TopicNameMatches",
            "predicates.nothing.pattern": "no-such-.*",
            "transforms.route.type": T + "RegexRouter",
            "transforms.route.regex": "raw-(.*)",
            "transforms.route.replacement": "clean-$1"}})
    assert code == 201, info
    got = read_topic(broker, "clean-people", 2)
    assert [(m.key, json.loads(m.value)) for m in got] == [
        (name.encode(), {"name": name, "origin": "file",
                         "source_topic": "raw-people", "password": ""})
        for name in ("alice", "bob")]
    assert state(broker, "people") == "RUNNING"


def kafka_connect_output(topic, config, lines_in):
    """(key, value) bytes Kafka Connect 4.0.2's own transforms and
    JsonConverter (schemas.enable=true) give for a FileStreamSource's
    lines with @config's transforms (java/SamsaJavaTransforms.java)."""
    fetch_kafka_tools()
    java = os.path.join(os.path.dirname(os.path.abspath(__file__)), "java",
                        "SamsaJavaTransforms.java")
    out = subprocess.run(
        ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
         "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
         "-cp", os.path.join(TOOLS_DIR, "lib", "*"), java, topic]
        + ["%s=%s" % kv for kv in config.items()
           if kv[0].startswith("transforms")] + ["--"] + list(lines_in),
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    got = []
    for line in out.stdout.splitlines():
        k, v = line.split("\t")
        got.append((None if k == "-" else k.encode(), v.encode()))
    return got


def test_schemas_through_transforms_match_kafka_connect(broker_factory):
    """JsonConverter with schemas (the default): a file source's lines
    through HoistField, InsertField, ReplaceField, ValueToKey and
    MaskField carry schemas that the transforms update, so the envelopes
    in the topic, key and value, are byte for byte what Kafka Connect's
    own transforms and converter write for the same lines."""
    broker = broker_factory("connect_enabled: true").start()
    src = os.path.join(broker.workdir, "schema-lines.txt")
    words = ["alice", "bob \"the\" builder"]
    with open(src, "w") as f:
        f.write("".join(w + "\n" for w in words))
    config = {
        "connector.class": "FileStreamSource", "file": src,
        "topic": "raw-lines",
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "true",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "transforms": "hoist,insert,replace,tokey,mask",
        "transforms.hoist.type": T + "HoistField$Value",
        "transforms.hoist.field": "line",
        "transforms.insert.type": T + "InsertField$Value",
        "transforms.insert.topic.field": "topic",
        "transforms.insert.partition.field": "partition",
        "transforms.insert.static.field": "origin!",
        "transforms.insert.static.value": "file",
        "transforms.replace.type": T + "ReplaceField$Value",
        "transforms.replace.exclude": "partition",
        "transforms.replace.renames": "line:text",
        "transforms.tokey.type": T + "ValueToKey",
        "transforms.tokey.fields": "origin,text",
        "transforms.mask.type": T + "MaskField$Value",
        "transforms.mask.fields": "topic"}
    wait_ready(broker)
    code, info = call(broker, "POST", "/connectors",
                      {"name": "schemas", "config": config})
    assert code == 201, info
    got = [(m.key, m.value) for m in read_topic(broker, "raw-lines", 2)]
    want = kafka_connect_output("raw-lines", config, words)
    assert got == want, (got, want)
    # And what that is: the struct schema the chain built.
    env = json.loads(got[0][1])
    assert [f["field"] for f in env["schema"]["fields"]] == [
        "text", "topic", "origin"], env
    assert env["payload"] == {"text": "alice", "topic": "", "origin": "file"}


def test_file_sink_through_transforms_filters_and_dead_letters(broker_factory):
    broker = broker_factory("connect_enabled: true").start()
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    ts = 1700000000000  # 2023-11-14 UTC
    sends = [
        (b"1", {"id": 1, "card": "4111", "note": "a", "internal": 1}, []),
        (b"2", {"id": 2, "card": "5500"}, [("skip", b"1")]),
        (b"3", None, []),  # a tombstone
        (b"4", {"id": 4, "card": "3400", "note": "d"}, []),
        (b"5", "just a string", []),  # MaskField needs an object
    ]
    for k, v, h in sends:
        p.send("orders", key=k, headers=h, timestamp_ms=ts,
               value=None if v is None else json.dumps(v).encode())
    p.flush()
    p.close()
    wait_ready(broker)
    out = os.path.join(broker.workdir, "orders.txt")
    code, info = call(broker, "POST", "/connectors", {
        "name": "orders-sink", "config": {
            "connector.class": "FileStreamSink", "file": out,
            "topics": "orders",
            "key.converter": "org.apache.kafka.connect.storage.StringConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter.schemas.enable": "false",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": "orders-dlq",
            "errors.deadletterqueue.context.headers.enable": "true",
            "transforms": "skipped,tombstones,mask,rename,route,where,flag",
            "transforms.skipped.type": T + "Filter",
            "transforms.skipped.predicate": "hasSkip",
            "transforms.tombstones.type": T + "Filter",
            "transforms.tombstones.predicate": "isTombstone",
            "transforms.mask.type": T + "MaskField$Value",
            "transforms.mask.fields": "card",
            "transforms.mask.replacement": "****",
            "transforms.rename.type": T + "ReplaceField$Value",
            "transforms.rename.exclude": "internal",
            "transforms.rename.renames": "note:comment",
            "transforms.route.type": T + "TimestampRouter",
            "transforms.route.topic.format": "${topic}_${timestamp}",
            "transforms.route.timestamp.format": "yyyyMMdd",
            "transforms.where.type": T + "InsertField$Value",
            "transforms.where.topic.field": "t",
            "transforms.where.offset.field": "off",
            "transforms.where.partition.field": "part",
            # negate: applied only to records NOT matching orders.*
            "transforms.flag.type": T + "InsertField$Value",
            "transforms.flag.static.field": "flag",
            "transforms.flag.static.value": "x",
            "transforms.flag.predicate": "isOrders",
            "transforms.flag.negate": "true",
            "predicates": "hasSkip,isTombstone,isOrders",
            "predicates.hasSkip.type": T + "predicates.HasHeaderKey",
            "predicates.hasSkip.name": "skip",
            "predicates.isTombstone.type": T + "predicates.RecordIsTombstone",
            "predicates.isOrders.type": T + "predicates.TopicNameMatches",
            "predicates.isOrders.pattern": "orders.*"}})
    assert code == 201, info
    wait_for(lambda: len(lines(out)) >= 2, "the sink file")
    assert [json.loads(x) for x in lines(out)] == [
        {"id": 1, "card": "****", "comment": "a", "t": "orders_20231114",
         "off": 0, "part": 0},
        {"id": 4, "card": "****", "comment": "d", "t": "orders_20231114",
         "off": 3, "part": 0}]
    dead = read_topic(broker, "orders-dlq", 1)
    assert [(m.key, m.value) for m in dead] == [(b"5", b'"just a string"')]
    h = dict(dead[0].headers)
    assert h["__connect.errors.stage"] == b"TRANSFORMATION"
    assert b"transforms.mask" in h["__connect.errors.exception.message"]
    assert state(broker, "orders-sink") == "RUNNING"


def test_bad_transform_chains_are_refused(broker_factory):
    broker = broker_factory("connect_enabled: true").start()
    wait_ready(broker)
    # KIP-769: the plugin list with transforms and predicates.
    code, plugins = call(broker, "GET", "/connector-plugins?connectorsOnly=false")
    kinds = {p["class"]: p["type"] for p in plugins}
    assert kinds[T + "InsertField$Value"] == "transformation"
    assert kinds[T + "predicates.TopicNameMatches"] == "predicate"
    assert kinds["org.apache.kafka.connect.file.FileStreamSinkConnector"] == "sink"
    code, plugins = call(broker, "GET", "/connector-plugins")
    assert all(p["type"] in ("source", "sink") for p in plugins)
    base = {"connector.class": "FileStreamSource", "file": "/dev/null",
            "topic": "t"}
    cases = [
        ({"transforms": "x", "transforms.x.type": "com.example.NoSuch"},
         "Class com.example.NoSuch could not be found"),
        ({"transforms": "x"}, 'Missing required configuration "transforms.x.type"'),
        ({"transforms": "x", "transforms.x.type": T + "HoistField$Value"},
         'Missing required configuration "field"'),
        ({"transforms": "x", "transforms.x.type": T + "Filter",
          "transforms.x.predicate": "p"}, "no predicate of that alias"),
        ({"transforms": "x", "transforms.x.type": T + "RegexRouter",
          "transforms.x.regex": "(", "transforms.x.replacement": "y"},
         "invalid regular expression"),
        ({"transforms": "x,x", "transforms.x.type": T + "Filter"},
         "Duplicate alias"),
    ]
    for extra, msg in cases:
        code, err = call(broker, "POST", "/connectors",
                         {"name": "bad", "config": dict(base, **extra)})
        assert code == 400 and msg in err["message"], (extra, err)
    code, names = call(broker, "GET", "/connectors")
    assert names == []
