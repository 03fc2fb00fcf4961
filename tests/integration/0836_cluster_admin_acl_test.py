# SPDX-License-Identifier: Apache-2.0
"""The cluster admin APIs ask the authorizer as Kafka does: AlterPartition
needs CLUSTER_ACTION on the cluster, ElectLeaders, AlterPartitionReassignments
and UnregisterBroker ALTER, ListPartitionReassignments and DescribeLogDirs
DESCRIBE. Denied: CLUSTER_AUTHORIZATION_FAILED; granted, a single node (its
own controller) answers them as Kafka's controller does. Raw frames from an anonymous PLAINTEXT client (deny by
default), and `samsa cluster` with a SASL user."""
import os
import shutil
import socket
import struct
import subprocess

import pytest
from kafka.admin import (ACL, ACLOperation, ACLPermissionType,
                         ACLResourcePatternType, KafkaAdminClient,
                         ResourcePattern, ResourceType)

from kafka_wire import frame, read_frame
from samsa_harness import SAMSA_CLI, Broker, free_port, new_workdir

CLUSTER_AUTHORIZATION_FAILED = 31
BROKER_ID_NOT_REGISTERED = 102


@pytest.fixture
def secured():
    workdir = new_workdir()
    users = os.path.join(workdir, "plain-users")
    with open(users, "w") as f:
        f.write("admin:admin-secret\nalice:alice-secret\n")
    b = Broker(workdir)
    with open(os.path.join(b.conf_dir, "40-security.yaml"), "w") as f:
        f.write("plugins:\n"
                "  - name: plain\n    plugin: sasl-plain\n"
                "    config: {users_file: %s}\n"
                "  - name: acl\n    plugin: authorizer-acl\n"
                "    config: {super_users: [\"User:admin\"]}\n" % users)
    b.sasl_port = free_port()
    b.args += ["--listen", "SASL_PLAINTEXT://127.0.0.1:%d" % b.sasl_port]
    b.start()
    b.admin = KafkaAdminClient(
        bootstrap_servers="127.0.0.1:%d" % b.sasl_port,
        security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
        sasl_plain_username="admin", sasl_plain_password="admin-secret")
    yield b
    b.admin.close()
    alive = b.alive()
    rc = b.stop()
    log = b.log_text()
    shutil.rmtree(workdir, ignore_errors=True)
    assert alive and rc == 0, "samsad failed:\n" + log


def top_error(port, api_key, version, body):
    """Send one flexible-version request; the response's top-level
    ErrorCode (after ThrottleTimeMs)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(frame(api_key, version, 5, body, flexible=True))
        resp = read_frame(s)
    assert struct.unpack(">i", resp[:4])[0] == 5
    # correlation id, header tags, ThrottleTimeMs, ErrorCode
    return struct.unpack(">h", resp[9:11])[0]


# Each API with an empty or null list: only the gates decide the answer.
REQUESTS = {
    "AlterPartition": (56, 3, struct.pack(">iq", 1, 1) + b"\x01\x00"),
    "ElectLeaders": (43, 2, b"\x00\x00" + struct.pack(">i", 1000) + b"\x00"),
    "AlterPartitionReassignments": (
        45, 0, struct.pack(">i", 1000) + b"\x01\x00"),
    "ListPartitionReassignments": (
        46, 0, struct.pack(">i", 1000) + b"\x00\x00"),
    "UnregisterBroker": (64, 0, struct.pack(">i", 7) + b"\x00"),
    "DescribeLogDirs": (35, 4, b"\x00\x00"),
}


def grant(b, op):
    out = b.admin.create_acls([ACL(
        principal="User:ANONYMOUS", host="*", operation=op,
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePattern(
            ResourceType.CLUSTER, "kafka-cluster",
            ACLResourcePatternType.LITERAL))])
    assert not out["failed"], out


def test_cluster_admin_apis_ask_the_authorizer(secured):
    b = secured
    for name, (key, ver, body) in REQUESTS.items():
        assert top_error(b.port, key, ver, body) == \
            CLUSTER_AUTHORIZATION_FAILED, name
    # ALTER and DESCRIBE do not open AlterPartition: CLUSTER_ACTION does.
    grant(b, ACLOperation.ALTER)
    grant(b, ACLOperation.DESCRIBE)
    assert top_error(b.port, *REQUESTS["AlterPartition"]) == \
        CLUSTER_AUTHORIZATION_FAILED
    grant(b, ACLOperation.CLUSTER_ACTION)
    for name, (key, ver, body) in REQUESTS.items():
        # Empty lists: nothing to do; broker 7 was never registered.
        want = BROKER_ID_NOT_REGISTERED if name == "UnregisterBroker" else 0
        assert top_error(b.port, key, ver, body) == want, name


def test_samsa_cluster_as_a_user_without_acls(secured, tmp_path):
    b = secured
    props = tmp_path / "alice.properties"
    props.write_text("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
                     "sasl.username=alice\nsasl.password=alice-secret\n")
    for args in (["elect"], ["reassign", "--list"]):
        out = subprocess.run(
            [SAMSA_CLI, "cluster", *args, "-b",
             "127.0.0.1:%d" % b.sasl_port, "--command-config", str(props)],
            capture_output=True, text=True, timeout=30)
        assert out.returncode == 1, out
        assert "CLUSTER_AUTHORIZATION_FAILED" in out.stderr, out.stderr
