# SPDX-License-Identifier: Apache-2.0
"""Connect in samsad (connect_enabled: true): Kafka's quickstart file
connectors created with Kafka Connect's REST calls (as its documentation
shows them, here through urllib), records through a topic into another
file, Kafka Connect's internal topics and key formats, resume after a
broker restart without duplicates, pause/resume, delete, and the REST
errors."""
import datetime
import json
import os

from connect_rest import call, lines, read_topic, state, wait_for, wait_ready


def test_file_source_to_file_sink_with_kafka_connect_rest(broker_factory):
    broker = broker_factory("connect_enabled: true").start()
    src = os.path.join(broker.workdir, "test.txt")
    sink = os.path.join(broker.workdir, "test.sink.txt")
    with open(src, "w") as f:
        f.write("foo\nbar\n")
    wait_ready(broker)

    code, root = call(broker, "GET", "/")
    assert code == 200 and root["version"] and root["kafka_cluster_id"]
    code, plugins = call(broker, "GET", "/connector-plugins")
    classes = {p["class"]: p["type"] for p in plugins}
    assert classes["org.apache.kafka.connect.file.FileStreamSourceConnector"] == "source"
    assert classes["org.apache.kafka.connect.file.FileStreamSinkConnector"] == "sink"

    # Kafka's config/connect-file-source.properties, as JSON.
    code, info = call(broker, "POST", "/connectors", {
        "name": "local-file-source",
        "config": {"connector.class": "FileStreamSource", "tasks.max": "1",
                   "file": src, "topic": "connect-test"}})
    assert code == 201, info
    assert info["name"] == "local-file-source" and info["type"] == "source"
    assert info["tasks"] == [{"connector": "local-file-source", "task": 0}]
    code, err = call(broker, "POST", "/connectors", {
        "name": "local-file-source", "config": {"connector.class": "FileStreamSource"}})
    assert code == 409 and err["error_code"] == 409

    # Kafka's worker default: JsonConverter with schemas, as in the quickstart.
    got = read_topic(broker, "connect-test", 2)
    assert [json.loads(m.value) for m in got] == [
        {"schema": {"type": "string", "optional": False}, "payload": p}
        for p in ("foo", "bar")]
    assert all(m.key is None for m in got)

    # Kafka's config/connect-file-sink.properties, through PUT .../config.
    code, info = call(broker, "PUT", "/connectors/local-file-sink/config", {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "tasks.max": "1", "file": sink, "topics": "connect-test"})
    assert code == 201 and info["type"] == "sink", info
    wait_for(lambda: lines(sink) == ["foo", "bar"], "the sink file")
    wait_for(lambda: state(broker, "local-file-sink") == "RUNNING", "RUNNING")
    # The sink's group (connect-NAME) commits what the flush wrote.
    from kafka import KafkaAdminClient
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)

    def committed():
        offs = admin.list_consumer_group_offsets("connect-local-file-sink")
        return {tp.topic: o.offset for tp, o in offs.items()}
    wait_for(lambda: committed() == {"connect-test": 2}, "the sink's commit")
    admin.close()
    code, st = call(broker, "GET", "/connectors/local-file-source/status")
    assert st["connector"]["state"] == "RUNNING"
    assert st["tasks"][0]["id"] == 0 and st["tasks"][0]["state"] == "RUNNING"
    code, names = call(broker, "GET", "/connectors")
    assert sorted(names) == ["local-file-sink", "local-file-source"]
    code, cfg = call(broker, "GET", "/connectors/local-file-source/config")
    assert cfg["file"] == src and cfg["topic"] == "connect-test"
    code, tasks = call(broker, "GET", "/connectors/local-file-source/tasks")
    assert tasks[0]["id"] == {"connector": "local-file-source", "task": 0}

    # Kafka Connect's offsets key format in the compacted offsets topic.
    offs = read_topic(broker, "connect-offsets", 1)
    assert json.loads(offs[-1].key) == ["local-file-source", {"filename": src}]
    assert json.loads(offs[-1].value) == {"position": len("foo\nbar\n")}

    # Restart: lines written while samsad is down come once, nothing twice.
    assert broker.stop() == 0
    with open(src, "a") as f:
        f.write("baz\nqux\n")
    broker.start()
    wait_ready(broker)
    wait_for(lambda: lines(sink) == ["foo", "bar", "baz", "qux"],
             "the sink file after restart")
    got = read_topic(broker, "connect-test", 4)
    assert [json.loads(m.value)["payload"] for m in got] == ["foo", "bar", "baz", "qux"]

    # Pause stops the task; resume starts it again where it was.
    code, _ = call(broker, "PUT", "/connectors/local-file-source/pause")
    assert code == 202
    assert state(broker, "local-file-source") == "PAUSED"
    code, _ = call(broker, "PUT", "/connectors/local-file-source/resume")
    assert code == 202
    wait_for(lambda: state(broker, "local-file-source") == "RUNNING", "RUNNING")
    with open(src, "a") as f:
        f.write("quux\n")
    wait_for(lambda: lines(sink)[-1:] == ["quux"], "a line after resume")
    code, _ = call(broker, "POST", "/connectors/local-file-source/restart")
    assert code == 204

    code, _ = call(broker, "DELETE", "/connectors/local-file-source")
    assert code == 204
    code, err = call(broker, "GET", "/connectors/local-file-source")
    assert code == 404 and err["message"] == "Connector local-file-source not found"
    code, names = call(broker, "GET", "/connectors")
    assert names == ["local-file-sink"]
    assert lines(sink) == ["foo", "bar", "baz", "qux", "quux"]


def test_string_converter_and_bad_configs(broker_factory):
    broker = broker_factory("connect_enabled: true").start()
    src = os.path.join(broker.workdir, "in.txt")
    with open(src, "w") as f:
        f.write("plain line\r\n")
    wait_ready(broker)
    code, info = call(broker, "POST", "/connectors", {
        "name": "s", "config": {
            "connector.class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "file": src, "topic": "plain", "batch.size": "10",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter"}})
    assert code == 201, info
    got = read_topic(broker, "plain", 1)
    assert [m.value for m in got] == [b"plain line"]

    code, err = call(broker, "POST", "/connectors", {
        "name": "x", "config": {"connector.class": "NoSuchConnector"}})
    assert code == 400 and "NoSuchConnector" in err["message"]
    code, err = call(broker, "POST", "/connectors", {"config": {}})
    assert code == 400
    code, err = call(broker, "GET", "/connectors/nope/status")
    assert code == 404 and err["error_code"] == 404
    # A task that cannot start is FAILED with its reason; others go on.
    code, _ = call(broker, "POST", "/connectors", {
        "name": "bad", "config": {"connector.class": "FileStreamSource",
                                  "topic": "t"}})
    assert code == 201
    wait_for(lambda: state(broker, "bad") == "FAILED", "FAILED")
    code, st = call(broker, "GET", "/connectors/bad/status")
    assert "file" in st["tasks"][0]["trace"]
    assert state(broker, "s") == "RUNNING"

    # KIP-875 stop: no tasks, and it stays stopped across a restart.
    code, _ = call(broker, "PUT", "/connectors/s/stop")
    assert code == 202
    code, st = call(broker, "GET", "/connectors/s/status")
    assert st["connector"]["state"] == "STOPPED" and st["tasks"] == []
    assert broker.stop() == 0
    broker.start()
    wait_ready(broker)
    assert state(broker, "s") == "STOPPED"
    code, _ = call(broker, "PUT", "/connectors/s/resume")
    assert code == 202
    wait_for(lambda: state(broker, "s") == "RUNNING", "RUNNING after resume")


def test_samsa_connector_commands_with_kafka_properties(broker_factory):
    import subprocess
    from samsa_harness import SAMSA_CLI
    broker = broker_factory("connect_enabled: true").start()
    src = os.path.join(broker.workdir, "test.txt")
    with open(src, "w") as f:
        f.write("one\n")
    props = os.path.join(broker.workdir, "connect-file-source.properties")
    with open(props, "w") as f:  # Kafka's file as shipped, with our path
        f.write("# Licensed to the Apache Software Foundation (ASF)\n"
                "name=local-file-source\nconnector.class=FileStreamSource\n"
                "tasks.max=1\nfile=%s\ntopic=connect-test\n" % src)
    wait_ready(broker)

    def cli(*args):
        return subprocess.run([SAMSA_CLI, "connector"] + list(args) +
                              ["--http", "127.0.0.1:%d" % broker.http_port],
                              capture_output=True, text=True, timeout=60)

    r = cli("create", props)
    assert r.returncode == 0 and "created local-file-source" in r.stdout, r.stderr
    r = cli("create", props)
    assert r.returncode == 1 and "already exists" in r.stderr
    wait_for(lambda: "RUNNING" in cli("status", "local-file-source").stdout,
             "RUNNING")
    r = cli("list")
    assert "local-file-source (source): RUNNING" in r.stdout, r.stdout
    assert "task 0: RUNNING" in r.stdout
    assert cli("pause", "local-file-source").returncode == 0
    assert "PAUSED" in cli("status", "local-file-source").stdout
    r = cli("validate", props)
    assert r.returncode == 0 and "0 error(s)" in r.stdout, r.stdout + r.stderr
    bad = os.path.join(broker.workdir, "bad.properties")
    with open(bad, "w") as f:
        f.write("name=x\nconnector.class=FileStreamSink\ntasks.max=0\n")
    r = cli("validate", bad)
    assert r.returncode == 1 and "2 error(s)" in r.stdout, r.stdout
    assert "tasks.max: Invalid value 0" in r.stdout
    wait_for(lambda: '{"filename":"%s"} {"position":4}' % src
             in cli("offsets", "local-file-source").stdout, "the offsets")
    r = cli("reset-offsets", "local-file-source")
    assert r.returncode == 1 and "STOPPED" in r.stderr
    assert cli("stop", "local-file-source").returncode == 0
    r = cli("reset-offsets", "local-file-source")
    assert r.returncode == 0 and "reset successfully" in r.stdout, r.stderr
    assert cli("offsets", "local-file-source").stdout == ""
    assert cli("resume", "local-file-source").returncode == 0
    assert cli("restart", "local-file-source").returncode == 0
    assert cli("delete", "local-file-source").returncode == 0
    r = cli("status", "local-file-source")
    assert r.returncode == 1 and "not found" in r.stderr
    assert cli("frobnicate", "x").returncode == 2


def test_sink_errors_tolerance_and_dead_letter_queue(broker_factory):
    from kafka import KafkaProducer
    broker = broker_factory("connect_enabled: true").start()
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for v in (b'"good1"', b"not json", b'"good2"'):
        p.send("mixed", key=b"k", value=v, headers=[("trace-id", v[:4])])
    p.flush()
    p.close()
    wait_ready(broker)
    json_values = {"value.converter": "org.apache.kafka.connect.json.JsonConverter",
                   "value.converter.schemas.enable": "false",
                   "key.converter": "org.apache.kafka.connect.storage.StringConverter"}
    out = os.path.join(broker.workdir, "out.txt")
    code, info = call(broker, "POST", "/connectors", {
        "name": "tolerant", "config": dict(json_values, **{
            "connector.class": "FileStreamSink", "file": out, "topics": "mixed",
            "errors.tolerance": "all", "errors.log.enable": "true",
            "errors.deadletterqueue.topic.name": "dlq-mixed",
            "errors.deadletterqueue.context.headers.enable": "true"})})
    assert code == 201, info
    wait_for(lambda: lines(out) == ["good1", "good2"], "the tolerant sink")
    dead = read_topic(broker, "dlq-mixed", 1)
    assert [(m.key, m.value) for m in dead] == [(b"k", b"not json")]
    # The record's own headers first, then Kafka Connect's error context.
    assert dead[0].headers[0] == ("trace-id", b"not ")
    h = {k: v for k, v in dead[0].headers}
    assert h["__connect.errors.topic"] == b"mixed"
    assert h["__connect.errors.offset"] == b"1"
    assert h["__connect.errors.stage"] == b"VALUE_CONVERTER"
    assert h["__connect.errors.connector.name"] == b"tolerant"

    # errors.tolerance=none (the default): the task stops at the record.
    strict_out = os.path.join(broker.workdir, "strict.txt")
    code, _ = call(broker, "POST", "/connectors", {
        "name": "strict", "config": dict(json_values, **{
            "connector.class": "FileStreamSink", "file": strict_out,
            "topics": "mixed"})})
    assert code == 201
    wait_for(lambda: state(broker, "strict") == "FAILED", "FAILED")
    code, st = call(broker, "GET", "/connectors/strict/status")
    assert "mixed-0 offset 1" in st["tasks"][0]["trace"]
    assert state(broker, "tolerant") == "RUNNING"


def test_failed_task_restarts_by_itself(broker_factory):
    from kafka import KafkaProducer
    broker = broker_factory("connect_enabled: true").start()
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    p.send("healing", value=b"one")
    p.flush()
    p.close()
    wait_ready(broker)
    missing = os.path.join(broker.workdir, "later")
    out = os.path.join(missing, "out.txt")
    code, _ = call(broker, "POST", "/connectors", {
        "name": "healing", "config": {
            "connector.class": "FileStreamSink", "file": out, "topics": "healing",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter"}})
    assert code == 201
    wait_for(lambda: state(broker, "healing") == "FAILED", "FAILED")
    # Each attempt waits twice as long as the one before (1 s, 2 s, ...):
    # the log's timestamps of the first three failures are that far apart
    # at least (a fixed 1 s delay gives a second gap of about 1 s).
    failed = "connect: healing task 0 failed"
    wait_for(lambda: broker.log_text().count(failed) >= 3, "three attempts",
             timeout=30)
    stamps = [datetime.datetime.strptime(l.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
              for l in broker.log_text().splitlines() if failed in l][:3]
    gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:])]
    assert gaps[0] >= 0.9 and gaps[1] >= 1.9, gaps
    # The directory appears: the task restarts after its back-off, no REST call.
    os.mkdir(missing)
    wait_for(lambda: lines(out) == ["one"], "the restarted sink", timeout=30)
    assert state(broker, "healing") == "RUNNING"


def test_source_errors_tolerance(broker_factory):
    """errors.tolerance for a source (Kafka Connect has no dead-letter
    topic for sources): a line the JsonConverter refuses (not UTF-8) is
    skipped under all, and its offset counts as done; under none the task
    fails at it with the reason in its trace."""
    broker = broker_factory("connect_enabled: true").start()
    src = os.path.join(broker.workdir, "mixed.txt")
    with open(src, "wb") as f:
        f.write(b"good1\nbad \xff\xfe\ngood2\n")
    wait_ready(broker)
    json_values = {"connector.class": "FileStreamSource", "file": src,
                   "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                   "value.converter.schemas.enable": "false"}
    code, info = call(broker, "POST", "/connectors", {
        "name": "tolerant-src", "config": dict(json_values, **{
            "topic": "tolerant-out", "errors.tolerance": "all",
            "errors.log.enable": "true"})})
    assert code == 201, info
    got = read_topic(broker, "tolerant-out", 2)
    assert [json.loads(m.value) for m in got] == ["good1", "good2"]
    wait_for(lambda: "connect: tolerant-src: skipped a record"
             in broker.log_text(), "the skip logged")
    assert state(broker, "tolerant-src") == "RUNNING"

    code, info = call(broker, "POST", "/connectors", {
        "name": "strict-src", "config": dict(json_values, topic="strict-out")})
    assert code == 201, info
    wait_for(lambda: state(broker, "strict-src") == "FAILED", "FAILED")
    code, st = call(broker, "GET", "/connectors/strict-src/status")
    assert "converter refused" in st["tasks"][0]["trace"], st


def test_sink_header_converter(broker_factory):
    """header.converter: the default (SimpleHeaderConverter) passes header
    values as they are; JsonConverter reads each as JSON, so a record
    whose header is not JSON fails at stage HEADER_CONVERTER (here to the
    dead-letter topic, with the record's headers as they were); an
    unknown class is refused."""
    from kafka import KafkaProducer
    broker = broker_factory("connect_enabled: true").start()
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for v, h in ((b"one", b'"json"'), (b"two", b"not json"), (b"three", None)):
        p.send("hdrs", value=v, headers=[("h", h)] if h else [])
    p.flush()
    p.close()
    wait_ready(broker)
    strings = {"connector.class": "FileStreamSink", "topics": "hdrs",
               "value.converter": "org.apache.kafka.connect.storage.StringConverter"}
    plain = os.path.join(broker.workdir, "plain.txt")
    code, info = call(broker, "POST", "/connectors", {
        "name": "plain", "config": dict(strings, file=plain)})
    assert code == 201, info
    out = os.path.join(broker.workdir, "json-headers.txt")
    code, info = call(broker, "POST", "/connectors", {
        "name": "json-headers", "config": dict(strings, **{
            "file": out,
            "header.converter": "org.apache.kafka.connect.json.JsonConverter",
            "header.converter.schemas.enable": "false",
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": "dlq-hdrs",
            "errors.deadletterqueue.context.headers.enable": "true"})})
    assert code == 201, info
    wait_for(lambda: lines(plain) == ["one", "two", "three"], "the plain sink")
    wait_for(lambda: lines(out) == ["one", "three"], "the JSON-header sink")
    dead = read_topic(broker, "dlq-hdrs", 1)
    assert [m.value for m in dead] == [b"two"]
    assert dead[0].headers[0] == ("h", b"not json")
    h = {k: v for k, v in dead[0].headers}
    assert h["__connect.errors.stage"] == b"HEADER_CONVERTER"

    code, err = call(broker, "POST", "/connectors", {
        "name": "bad-headers", "config": dict(strings, **{
            "file": out, "header.converter": "com.example.Nope"})})
    assert code == 400 and "header.converter" in err["message"], err


def test_readme_quickstart_with_curl(broker_factory):
    """The README's Kafka Connect quickstart, its curl commands run as
    written (the port and /tmp/ pointed at this broker), then Kafka
    Connect's pause, resume and delete with curl."""
    import re
    import subprocess
    broker = broker_factory("connect_enabled: true").start()
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "..", "README.md")) as f:
        readme = f.read()
    block = re.search(r"```sh\n(echo -e \"foo\\nbar\" > /tmp/test.txt\n.*?)```",
                      readme, re.S)
    assert block, "the quickstart block is not in the README"
    script = block[1].replace("http://localhost:8083", broker.http)
    script = script.replace("/tmp/", broker.workdir + "/")
    wait_ready(broker)

    def sh(text):
        r = subprocess.run(["bash", "-e", "-c", text], capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout
    out = sh(script)
    assert '"name":"local-file-source"' in out.replace(" ", ""), out
    sink = os.path.join(broker.workdir, "test.sink.txt")
    wait_for(lambda: lines(sink) == ["foo", "bar"], "the sink file")
    url = broker.http + "/connectors/local-file-source"
    st = json.loads(sh("curl -s %s/status" % url))
    assert st["connector"]["state"] == "RUNNING", st
    assert sh("curl -s -o /dev/null -w '%%{http_code}' -X PUT %s/pause" % url) == "202"
    assert state(broker, "local-file-source") == "PAUSED"
    assert sh("curl -s -o /dev/null -w '%%{http_code}' -X PUT %s/resume" % url) == "202"
    assert sh("curl -s -o /dev/null -w '%%{http_code}' -X DELETE %s" % url) == "204"
    assert sh("curl -s -o /dev/null -w '%%{http_code}' %s" % url) == "404"
