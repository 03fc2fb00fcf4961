# SPDX-License-Identifier: Apache-2.0
"""A Connect REST write that connect-configs refuses answers as Kafka
Connect does: 500 with {"error_code": 500, "message": ...} (Kafka's
KafkaConfigBackingStore: "Error writing connector configuration to
Kafka", "Error writing target state to Kafka", "Error removing connector
configuration from Kafka", in distributed mode "Error writing restart
request to Kafka"), and leaves the worker as it was: a connector
whose creation failed is not listed, not even after a restart of the
worker replays connect-configs. The refusal is a real one: connect-configs
(replication factor 1 on this one broker) gets min.insync.replicas=2, so
every acks=all write of the worker gets NOT_ENOUGH_REPLICAS. Once the
setting is back, the same writes succeed. Before, every one of these
answered 201/200/202/204 and only logged the failure."""
from confluent_kafka.admin import AdminClient, ConfigResource

from connect_rest import call, wait_ready
from connect_worker import write

COMPACT = {"cleanup.policy": "compact"}


def set_configs_topic(broker, configs):
    a = AdminClient({"bootstrap.servers": broker.bootstrap})
    r = ConfigResource("topic", "connect-configs", set_config=configs)
    a.alter_configs([r])[r].result(10)


def sink(name, path):
    return {"connector.class": "FileStreamSink", "topics": "t",
            "file": path, "name": name}


def started_with(broker, name, out):
    """The worker serving (its group settled), connector @p name
    created."""
    wait_ready(broker)
    code, body = write(broker, "POST", "/connectors",
                       {"name": name, "config": sink(name, out)})
    assert code == 201, body


def refused(code, body, what):
    assert code == 500, (code, body)
    assert body["error_code"] == 500, body
    assert body["message"].startswith("Error %s Kafka" % what), body
    assert body["message"].endswith(": not enough in-sync replicas"), body


def test_config_topic_write_failure_is_a_500(broker_factory, tmp_path):
    broker = broker_factory("connect_enabled: true").start()
    out = str(tmp_path / "out.txt")
    started_with(broker, "kept", out)

    set_configs_topic(broker, dict(COMPACT, **{"min.insync.replicas": "2"}))
    code, body = call(broker, "POST", "/connectors",
                      {"name": "lost", "config": sink("lost", out)})
    refused(code, body, "writing connector configuration to")
    code, body = call(broker, "PUT", "/connectors/lost/config",
                      sink("lost", out))
    refused(code, body, "writing connector configuration to")
    code, body = call(broker, "PUT", "/connectors/kept/config",
                      dict(sink("kept", out), **{"tasks.max": "2"}))
    refused(code, body, "writing connector configuration to")
    for verb in ("pause", "stop", "resume"):
        code, body = call(broker, "PUT", "/connectors/kept/" + verb)
        refused(code, body, "writing target state to")
    code, body = call(broker, "DELETE", "/connectors/kept")
    refused(code, body, "removing connector configuration from")
    # Nothing changed: "lost" is not there, "kept" has its old config and
    # still runs.
    assert call(broker, "GET", "/connectors") == (200, ["kept"])
    code, cfg = call(broker, "GET", "/connectors/kept/config")
    assert code == 200 and "tasks.max" not in cfg, cfg
    code, st = call(broker, "GET", "/connectors/kept/status")
    assert st["connector"]["state"] not in ("PAUSED", "STOPPED"), st

    # The cause gone, the same writes work.
    set_configs_topic(broker, COMPACT)
    # A source: a sink still joining its group when samsad stops holds up
    # the stop (its FindCoordinator retries outlast the coordinator).
    code, body = call(broker, "POST", "/connectors", {
        "name": "later", "config": {"connector.class": "FileStreamSource",
                                    "topic": "t", "file": out}})
    assert code == 201, body
    assert call(broker, "PUT", "/connectors/kept/pause")[0] == 202
    assert call(broker, "DELETE", "/connectors/kept")[0] == 204

    # A restart replays connect-configs: still no "lost".
    broker.restart()
    wait_ready(broker)
    assert call(broker, "GET", "/connectors") == (200, ["later"])


def test_distributed_restart_record_refused_is_a_500(broker_factory,
                                                     tmp_path):
    """Distributed mode (group.id): POST .../restart is a
    restart-connector record in connect-configs for every worker to act
    on; refused, the restart answers 500 rather than 204."""
    props = tmp_path / "worker.properties"
    props.write_text("group.id=restarts\nheartbeat.interval.ms=500\n")
    broker = broker_factory(
        "connect_enabled: true\nconnect_client_config: %s\n"
        "group_min_session_timeout_ms: 500" % props).start()
    started_with(broker, "r", str(tmp_path / "out.txt"))
    set_configs_topic(broker, dict(COMPACT, **{"min.insync.replicas": "2"}))
    code, body = write(broker, "POST", "/connectors/r/restart", None)
    refused(code, body, "writing restart request to")
    set_configs_topic(broker, COMPACT)
    assert write(broker, "POST", "/connectors/r/restart", None)[0] == 204
