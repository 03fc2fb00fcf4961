# SPDX-License-Identifier: Apache-2.0
"""Config providers (config_providers: Kafka's config.providers) and
secrets: a connector config referencing ${file:PATH:KEY} and ${env:VAR}
runs with the values, while every REST answer shows the references as
written and literal values of password/secret keys as "[hidden]"; a PUT
of what GET showed keeps the stored secret; a task failing on a resolved
secret shows and logs "[hidden]" instead of it."""
import json
import os

from connect_rest import call, read_topic, state, wait_for, wait_ready


def test_file_and_env_providers_and_hidden_secrets(broker_factory):
    broker = broker_factory("connect_enabled: true\n"
                            "config_providers: [file, env]")
    src = os.path.join(broker.workdir, "in.txt")
    with open(src, "w") as f:
        f.write("one\n")
    props = os.path.join(broker.workdir, "secrets.properties")
    with open(props, "w") as f:
        f.write("# Kafka's FileConfigProvider format\n"
                "topic=secret-topic\ndb.password=hunter2-pw\n")
    os.environ["SAMSA_TEST_SOURCE_FILE"] = src  # samsad inherits it
    broker.start()
    wait_ready(broker)
    topic_ref = "${file:%s:topic}" % props
    pw_ref = "${file:%s:db.password}" % props
    config = {"connector.class": "FileStreamSource",
              "file": "${env:SAMSA_TEST_SOURCE_FILE}", "topic": topic_ref,
              "db.password": pw_ref, "api.secret": "literal-s3cret",
              "value.converter": "org.apache.kafka.connect.storage.StringConverter"}
    code, info = call(broker, "POST", "/connectors", {"name": "sec", "config": config})
    assert code == 201, info
    assert [m.value for m in read_topic(broker, "secret-topic", 1)] == [b"one"]

    shown = dict(config, name="sec", **{"api.secret": "[hidden]"})
    assert info["config"] == shown
    assert call(broker, "GET", "/connectors/sec/config")[1] == shown
    assert call(broker, "GET", "/connectors/sec")[1]["config"] == shown
    assert call(broker, "GET", "/connectors/sec/tasks")[1][0]["config"] == shown
    ex = call(broker, "GET", "/connectors?expand=info")[1]
    assert ex["sec"]["info"]["config"] == shown
    code, infos = call(broker, "PUT",
                       "/connector-plugins/FileStreamSource/config/validate", config)
    assert code == 200 and "literal-s3cret" not in json.dumps(infos)

    # PUT back what GET showed: the stored secret stays (connect-configs).
    code, _ = call(broker, "PUT", "/connectors/sec/config", shown)
    assert code == 200
    stored = [json.loads(m.value) for m in read_topic(broker, "connect-configs", 3)
              if m.key == b"connector-sec"]
    assert stored[-1]["properties"]["api.secret"] == "literal-s3cret"
    assert stored[-1]["properties"]["topic"] == topic_ref  # never resolved
    assert call(broker, "GET", "/connectors/sec/config")[1]["api.secret"] == "[hidden]"

    # A task failing on a resolved secret: its trace and the log hide it.
    code, _ = call(broker, "POST", "/connectors", {"name": "leaky", "config": {
        "connector.class": "FileStreamSink", "topics": "t",
        "file": "/nonexistent/" + pw_ref}})
    assert code == 201
    wait_for(lambda: state(broker, "leaky") == "FAILED", "FAILED")
    trace = call(broker, "GET", "/connectors/leaky/status")[1]["tasks"][0]["trace"]
    assert "[hidden]" in trace and "hunter2" not in trace, trace
    assert "hunter2" not in broker.log_text()
