# SPDX-License-Identifier: Apache-2.0
"""Kafka Connect's REST API beyond create/pause/delete: config validation
(PUT /connector-plugins/{type}/config/validate, Kafka's ConfigInfos with
error_count and per-config errors, and the same refusal of a bad POST),
?expand=status&expand=info, active topics (KIP-558: GET .../topics, PUT
.../topics/reset), offsets (KIP-875: GET/PATCH/DELETE .../offsets, only
on a STOPPED connector) for a source and a sink, and restart with
includeTasks/onlyFailed (KIP-745)."""
import json
import os

from kafka import KafkaProducer

from connect_rest import call, lines, read_topic, state, wait_for, wait_ready


def errors_of(infos):
    return {c["value"]["name"]: c["value"]["errors"] for c in infos["configs"]
            if c["value"]["errors"]}


def test_config_validation(broker_factory):
    broker = broker_factory("connect_enabled: true").start()
    wait_ready(broker)
    path = "/connector-plugins/FileStreamSinkConnector/config/validate"
    code, infos = call(broker, "PUT", path, {
        "connector.class": "FileStreamSink", "tasks.max": "0", "topics": " ",
        "errors.tolerance": "some", "transforms": "x",
        "transforms.x.type": "com.example.NoSuch"})
    assert code == 200, infos
    assert infos["name"] == "org.apache.kafka.connect.file.FileStreamSinkConnector"
    errs = errors_of(infos)
    assert infos["error_count"] == 5 == sum(len(v) for v in errs.values()), errs
    assert errs["name"] == ['Missing required configuration "name" which has no default value.']
    assert errs["tasks.max"] == ["Invalid value 0 for configuration tasks.max: Value must be at least 1"]
    assert errs["topics"] == ["Must configure one of topics or topics.regex"]
    assert "none, all" in errs["errors.tolerance"][0]
    assert "com.example.NoSuch could not be found" in errs["transforms.x.type"][0]
    d = {c["definition"]["name"]: c["definition"] for c in infos["configs"]}
    assert d["tasks.max"]["type"] == "INT" and d["tasks.max"]["default_value"] == "1"
    assert infos["groups"][0] == "Common"

    code, infos = call(broker, "PUT", path, {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "name": "ok", "topics": "a,b", "file": "/tmp/x"})
    assert code == 200 and infos["error_count"] == 0, errors_of(infos)
    code, err = call(broker, "PUT", path, {"connector.class": "FileStreamSource"})
    assert code == 400 and "does not match request type" in err["message"]
    code, err = call(broker, "PUT", "/connector-plugins/Nope/config/validate", {})
    assert code == 400 and "Nope" in err["message"]

    # POST refuses what validation finds, with Kafka Connect's message.
    code, err = call(broker, "POST", "/connectors", {"name": "s", "config": {
        "connector.class": "FileStreamSink", "tasks.max": "x", "topics": "t"}})
    assert code == 400, err
    assert err["message"].startswith(
        "Connector configuration is invalid and contains the following 1 error(s):\n"
        "Invalid value x for configuration tasks.max: Not a number of type INT")


def test_topics_offsets_expand_and_restart(broker_factory):
    broker = broker_factory("connect_enabled: true").start()
    src = os.path.join(broker.workdir, "in.txt")
    with open(src, "w") as f:
        f.write("a\nb\n")
    out = os.path.join(broker.workdir, "out.txt")
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    for v in (b"x", b"y", b"z"):
        p.send("sinkin", value=v)
    p.flush()
    p.close()
    wait_ready(broker)
    strings = {"value.converter": "org.apache.kafka.connect.storage.StringConverter"}
    code, _ = call(broker, "POST", "/connectors", {"name": "src", "config": dict(
        strings, **{"connector.class": "FileStreamSource", "file": src,
                    "topic": "lines"})})
    assert code == 201
    code, _ = call(broker, "POST", "/connectors", {"name": "snk", "config": dict(
        strings, **{"connector.class": "FileStreamSink", "file": out,
                    "topics": "sinkin"})})
    assert code == 201
    assert [m.value for m in read_topic(broker, "lines", 2)] == [b"a", b"b"]
    wait_for(lambda: lines(out) == ["x", "y", "z"], "the sink file")

    # ?expand=status&expand=info gives both.
    code, ex = call(broker, "GET", "/connectors?expand=status&expand=info")
    assert code == 200 and set(ex) == {"src", "snk"}
    assert ex["src"]["status"]["connector"]["state"] == "RUNNING"
    assert ex["snk"]["info"]["type"] == "sink"
    code, ex = call(broker, "GET", "/connectors?expand=info")
    assert list(ex["src"]) == ["info"]

    # One task's status, as Kafka's GET /connectors/{name}/tasks/{id}/status.
    code, st = call(broker, "GET", "/connectors/src/tasks/0/status")
    assert code == 200, st
    assert st["id"] == 0 and st["state"] == "RUNNING" and st["worker_id"], st
    assert st == call(broker, "GET", "/connectors/src/status")[1]["tasks"][0]
    code, err = call(broker, "GET", "/connectors/src/tasks/3/status")
    assert code == 404 and err["message"] == "No status found for task src-3", err
    assert call(broker, "GET", "/connectors/nope/tasks/0/status")[0] == 404

    # KIP-558 active topics, in connect-status with Kafka's key.
    code, t = call(broker, "GET", "/connectors/src/topics")
    assert code == 200 and t == {"src": {"topics": ["lines"]}}
    assert call(broker, "GET", "/connectors/snk/topics")[1] == {"snk": {"topics": ["sinkin"]}}
    status = read_topic(broker, "connect-status", 4)
    keys = [m.key for m in status]
    assert b"topic-lines-connector-src" in keys
    # Status records carry the group generation; a standalone worker's
    # is 0, as Kafka's StandaloneHerder writes.
    gens = {json.loads(m.value)["generation"] for m in status
            if m.value and m.key.startswith(b"status-")}
    assert gens == {0}, gens
    code, body = call(broker, "PUT", "/connectors/src/topics/reset")
    assert code == 202 and body is None
    assert call(broker, "GET", "/connectors/src/topics")[1] == {"src": {"topics": []}}
    with open(src, "a") as f:
        f.write("c\n")
    wait_for(lambda: call(broker, "GET", "/connectors/src/topics")[1]
             == {"src": {"topics": ["lines"]}}, "the topic seen again")

    # KIP-875 offsets: a source's, in Kafka's shape.
    code, offs = call(broker, "GET", "/connectors/src/offsets")
    assert code == 200 and offs == {"offsets": [
        {"partition": {"filename": src}, "offset": {"position": 6}}]}
    code, err = call(broker, "PATCH", "/connectors/src/offsets", offs)
    assert code == 400 and err["message"] == (
        "Connectors must be in the STOPPED state before their offsets can be "
        "modified. This can be done for the specified connector by issuing a "
        "'PUT' request to the '/connectors/src/stop' endpoint")
    assert call(broker, "DELETE", "/connectors/src/offsets")[0] == 400
    assert call(broker, "PUT", "/connectors/src/stop")[0] == 202
    code, body = call(broker, "PATCH", "/connectors/src/offsets", {"offsets": [
        {"partition": {"filename": src}, "offset": {"position": 2}}]})
    assert code == 200 and body == {
        "message": "The offsets for this connector have been altered successfully"}
    assert call(broker, "GET", "/connectors/src/offsets")[1]["offsets"][0]["offset"] == {"position": 2}
    assert call(broker, "PATCH", "/connectors/src/offsets", {"offsets": []})[0] == 400
    assert call(broker, "PUT", "/connectors/src/resume")[0] == 202
    # From byte 2: b and c again after a, b, c.
    got = read_topic(broker, "lines", 5)
    assert [m.value for m in got] == [b"a", b"b", b"c", b"b", b"c"]
    assert call(broker, "PUT", "/connectors/src/stop")[0] == 202
    code, body = call(broker, "DELETE", "/connectors/src/offsets")
    assert code == 200 and body == {
        "message": "The offsets for this connector have been reset successfully"}
    assert call(broker, "GET", "/connectors/src/offsets")[1] == {"offsets": []}

    # A sink's offsets are its consumer group's.
    code, offs = call(broker, "GET", "/connectors/snk/offsets")
    assert offs == {"offsets": [{"partition": {"kafka_topic": "sinkin",
                                               "kafka_partition": 0},
                                 "offset": {"kafka_offset": 3}}]}
    assert call(broker, "PUT", "/connectors/snk/stop")[0] == 202
    offs["offsets"][0]["offset"]["kafka_offset"] = 1
    code, body = call(broker, "PATCH", "/connectors/snk/offsets", offs)
    assert code == 200, body
    assert call(broker, "GET", "/connectors/snk/offsets")[1] == offs
    code, err = call(broker, "PATCH", "/connectors/snk/offsets", {"offsets": [
        {"partition": {"kafka_topic": "sinkin"}, "offset": {"kafka_offset": 1}}]})
    assert code == 400 and "kafka_partition" in err["message"]
    assert call(broker, "PUT", "/connectors/snk/resume")[0] == 202
    wait_for(lambda: lines(out) == ["x", "y", "z", "y", "z"], "from offset 1")
    assert call(broker, "PUT", "/connectors/snk/stop")[0] == 202
    assert call(broker, "DELETE", "/connectors/snk/offsets")[0] == 200
    assert call(broker, "GET", "/connectors/snk/offsets")[1] == {"offsets": []}
    assert call(broker, "PUT", "/connectors/snk/resume")[0] == 202
    wait_for(lambda: lines(out)[5:] == ["x", "y", "z"], "from the beginning")

    # KIP-745 restart: onlyFailed leaves a RUNNING connector alone.
    code, st = call(broker, "POST",
                    "/connectors/snk/restart?includeTasks=true&onlyFailed=true")
    assert code == 202 and st["connector"]["state"] == "RUNNING"
    code, _ = call(broker, "POST", "/connectors", {"name": "bad", "config": {
        "connector.class": "FileStreamSource", "topic": "t"}})
    assert code == 201
    wait_for(lambda: state(broker, "bad") == "FAILED", "FAILED")
    code, st = call(broker, "POST",
                    "/connectors/bad/restart?includeTasks=true&onlyFailed=true")
    assert code == 202 and st["connector"]["state"] == "RESTARTING"
    assert st["tasks"][0]["state"] == "RESTARTING"
    assert call(broker, "POST", "/connectors/bad/restart")[0] == 204
    assert call(broker, "POST", "/connectors/bad/tasks/0/restart")[0] == 204
