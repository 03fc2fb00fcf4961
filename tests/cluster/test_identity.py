# SPDX-License-Identifier: Apache-2.0
"""Node identity keys of issue #13 end to end, on three voters started by
nodes.py with per-node lines added to each samsa.yaml:

- `broker_rack`: each broker's rack reaches clients (DescribeCluster), and
  the controller places an RF=2 topic's replicas on both racks (racks a, b,
  a: every partition has a replica on the lone rack-b broker and one on a
  rack-a broker);
- `advertised_listeners`: a broker listening on 127.0.0.1 advertises
  `localhost` with the same port, and clients are told that name;
- `controller_listener_names` and `inter_broker_listener_name` given
  explicitly (Kafka's names) are accepted;
- Kafka 3.8's kafka-metadata-quorum (MetadataQuorumCommand, from
  tests/cluster/java/lib) describes the quorum: --status names the leader,
  the three voters and the cluster id; --replication lists a Leader and two
  Followers.

Needs: python3-kafka, java and tests/cluster/java/lib. About 10 s.
"""
import os
import subprocess

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from nodes import deadline_wait

LIB = os.path.join(os.path.dirname(__file__), "java", "lib")
RACKS = {1: "rack-a", 2: "rack-b", 3: "rack-a"}


def quorum_tool(boot, *args):
    out = subprocess.run(
        ["java", "-Dlog4j.configuration=file:/dev/null", "-cp",
         os.path.join(LIB, "*"), "org.apache.kafka.tools.MetadataQuorumCommand",
         "--bootstrap-server", boot, "describe", *args],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_racks_advertised_names_and_kafka_metadata_quorum(nodes):
    if not os.path.isdir(LIB):
        pytest.fail("tests/cluster/java/lib missing (tests/cluster/run.sh "
                    "fetches it with mvn)")
    for i, nd in nodes.nodes.items():
        with open(os.path.join(nd.dir, "samsa.yaml"), "a") as f:
            f.write('broker_rack: %s\n'
                    'advertised_listeners: "PLAINTEXT://localhost:%d"\n'
                    'controller_listener_names: CONTROLLER\n'
                    'inter_broker_listener_name: PLAINTEXT\n'
                    % (RACKS[i], nd.port))
    nodes.start()
    boot = nodes.bootstrap()

    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    try:
        desc = admin.describe_cluster()
        got = {b["node_id"]: (b["host"], b["port"], b["rack"])
               for b in desc["brokers"]}
        assert got == {i: ("localhost", nd.port, RACKS[i])
                       for i, nd in nodes.nodes.items()}, got
        admin.create_topics([NewTopic("racked", 6, 2)])
    finally:
        admin.close()

    def placed():
        parts = nodes.partitions("racked", 1)
        return parts if len(parts) == 6 else None
    parts = deadline_wait("racked's 6 partitions", placed, 20)
    for p, (leader, replicas, isr) in sorted(parts.items()):
        assert sorted(RACKS[r] for r in replicas) == ["rack-a", "rack-b"], \
            (p, replicas)

    controller = nodes.controller()
    status = quorum_tool(boot, "--status")
    fields = dict(line.split(":", 1) for line in status.splitlines()
                  if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    assert fields["LeaderId"] == str(controller), status
    assert fields["CurrentVoters"] == "[1,2,3]", status
    assert fields["ClusterId"] == nodes.cluster_id, status
    assert int(fields["HighWatermark"]) > 0, status

    rep = quorum_tool(boot, "--replication")
    rows = [line.split() for line in rep.splitlines()[1:] if line.strip()]
    status_of = {int(r[0]): r[-1] for r in rows}
    assert status_of == {i: ("Leader" if i == controller else "Follower")
                         for i in (1, 2, 3)}, rep
