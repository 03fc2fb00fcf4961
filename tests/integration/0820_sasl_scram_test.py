# SPDX-License-Identifier: Apache-2.0
"""SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802/7677): credentials set with
AlterUserScramCredentials (salted by the client, as Kafka's tools do) and
listed with DescribeUserScramCredentials; confluent-kafka and kafka-python
authenticate over SASL_PLAINTEXT and SASL_SSL; a wrong password is
refused; the store keeps no password and survives a restart."""
import hashlib
import os
import shutil
import struct
import subprocess
import socket

import pytest

from kafka_wire import compact_bytes as cbytes, compact_str as cstr, frame, read_frame, uvarint
from samsa_harness import Broker, free_port, new_workdir
from secure_clients import confluent_round_trip, kafka_python_round_trip
from secure_pki import make_pki

MECHS = {"SCRAM-SHA-256": (1, "sha256"), "SCRAM-SHA-512": (2, "sha512")}


def alter_scram(port, upserts=(), deletes=()):
    """AlterUserScramCredentials v0; returns [(user, error_code)]."""
    body = uvarint(len(deletes) + 1)
    for user, mech in deletes:
        body += cstr(user) + struct.pack(">b", MECHS[mech][0]) + b"\x00"
    body += uvarint(len(upserts) + 1)
    for user, mech, password, iterations in upserts:
        salt = os.urandom(16)
        salted = hashlib.pbkdf2_hmac(MECHS[mech][1], password.encode(), salt,
                                     iterations)
        body += (cstr(user) + struct.pack(">bi", MECHS[mech][0], iterations) +
                 cbytes(salt) + cbytes(salted) + b"\x00")
    body += b"\x00"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(frame(51, 0, 3, body, flexible=True))
        resp = read_frame(s)
    # corr, header tags, throttle, results
    pos = 4 + 1 + 4
    n, pos = resp[pos] - 1, pos + 1
    out = []
    for _ in range(n):
        ulen = resp[pos] - 1
        user = resp[pos + 1:pos + 1 + ulen].decode()
        pos += 1 + ulen
        (code,) = struct.unpack(">h", resp[pos:pos + 2])
        pos += 2
        mlen = resp[pos]
        pos += 1 + max(mlen - 1, 0) + 1  # message, tags
        out.append((user, code))
    return out


def describe_scram(port, user):
    """DescribeUserScramCredentials v0 for one user: (error, [(mech, iter)])."""
    body = uvarint(2) + cstr(user) + b"\x00" + b"\x00"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(frame(50, 0, 4, body, flexible=True))
        resp = read_frame(s)
    pos = 4 + 1 + 4 + 2
    mlen = resp[pos]
    pos += 1 + max(mlen - 1, 0)
    assert resp[pos] == 2  # one result
    pos += 1
    ulen = resp[pos] - 1
    pos += 1 + ulen
    (code,) = struct.unpack(">h", resp[pos:pos + 2])
    pos += 2
    mlen = resp[pos]
    pos += 1 + max(mlen - 1, 0)
    n, pos = resp[pos] - 1, pos + 1
    infos = []
    for _ in range(n):
        mech, iters = struct.unpack(">bi", resp[pos:pos + 5])
        infos.append((mech, iters))
        pos += 6
    return code, infos


@pytest.fixture
def scram_broker():
    workdir = new_workdir()
    pki = make_pki(os.path.join(workdir, "pki"))
    b = Broker(workdir, "\n".join([
        "ssl_keystore_location: %s" % pki["broker.pem"],
        "ssl_key_location: %s" % pki["broker.key"],
    ]))
    with open(os.path.join(b.conf_dir, "41-sasl-scram.yaml"), "w") as f:
        f.write("plugins:\n"
                "  - name: scram-sha-256\n    plugin: sasl-scram\n"
                "    config: {mechanism: SCRAM-SHA-256}\n"
                "  - name: scram-sha-512\n    plugin: sasl-scram\n"
                "    config: {mechanism: SCRAM-SHA-512}\n")
    b.sasl_port, b.sasl_ssl_port = free_port(), free_port()
    b.args += ["--listen", "SASL_PLAINTEXT://127.0.0.1:%d" % b.sasl_port,
               "--listen", "SASL_SSL://127.0.0.1:%d" % b.sasl_ssl_port]
    b.pki = pki
    b.start()
    assert alter_scram(b.port, upserts=[
        ("alice", "SCRAM-SHA-256", "alice-secret", 4096),
        ("bob", "SCRAM-SHA-512", "bob-secret", 8192)]) == [
            ("alice", 0), ("bob", 0)]
    yield b
    alive = b.alive()
    rc = b.stop()
    log = b.log_text()
    shutil.rmtree(workdir, ignore_errors=True)
    assert alive and rc == 0, "samsad failed:\n" + log


def scram_conf(b, user, password, mech, tls=False):
    conf = {"bootstrap.servers": "127.0.0.1:%d" %
            (b.sasl_ssl_port if tls else b.sasl_port),
            "security.protocol": "SASL_SSL" if tls else "SASL_PLAINTEXT",
            "sasl.mechanism": mech, "sasl.username": user,
            "sasl.password": password}
    if tls:
        conf["ssl.ca.location"] = b.pki["ca.pem"]
    return conf


def test_confluent_kafka_scram_sha_256_and_512(scram_broker):
    b = scram_broker
    confluent_round_trip(scram_conf(b, "alice", "alice-secret",
                                    "SCRAM-SHA-256"), "scram256", 50, "g256")
    confluent_round_trip(scram_conf(b, "bob", "bob-secret", "SCRAM-SHA-512",
                                    tls=True), "scram512", 50, "g512")


def test_kafka_python_scram_v0_handshake(scram_broker):
    b = scram_broker
    kafka_python_round_trip(
        "kp-scram", bootstrap_servers="127.0.0.1:%d" % b.sasl_port,
        security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-256",
        sasl_plain_username="alice", sasl_plain_password="alice-secret")


def kcat_list(b, user, password, mech):
    return subprocess.run(
        ["kcat", "-b", "127.0.0.1:%d" % b.sasl_port, "-L", "-m", "5",
         "-X", "security.protocol=sasl_plaintext", "-X", "sasl.mechanism=" + mech,
         "-X", "sasl.username=" + user, "-X", "sasl.password=" + password],
        capture_output=True, timeout=30)


def test_wrong_password_and_wrong_mechanism_are_refused(scram_broker):
    b = scram_broker
    out = kcat_list(b, "alice", "nope", "SCRAM-SHA-256")
    assert out.returncode != 0 and b"Authentication failed" in out.stderr
    # alice has no SCRAM-SHA-512 credential.
    out = kcat_list(b, "alice", "alice-secret", "SCRAM-SHA-512")
    assert out.returncode != 0
    assert kcat_list(b, "alice", "alice-secret", "SCRAM-SHA-256").returncode == 0


def test_describe_delete_and_errors(scram_broker):
    b = scram_broker
    assert describe_scram(b.port, "bob") == (0, [(2, 8192)])
    assert describe_scram(b.port, "nobody")[0] == 91  # RESOURCE_NOT_FOUND
    assert alter_scram(b.port, upserts=[
        ("carol", "SCRAM-SHA-256", "x", 100)]) == [("carol", 93)]
    assert alter_scram(b.port, deletes=[("bob", "SCRAM-SHA-512")]) == [
        ("bob", 0)]
    assert describe_scram(b.port, "bob")[0] == 91
    assert kcat_list(b, "bob", "bob-secret", "SCRAM-SHA-512").returncode != 0


def test_store_is_salted_and_survives_restart(scram_broker):
    b = scram_broker
    # Wherever the credentials are kept (the metadata log, or a standalone
    # node's store), no file holds a password; the restart below shows
    # they are kept.
    stored = []
    for root, _dirs, names in os.walk(b.data_dir):
        for name in names:
            with open(os.path.join(root, name), "rb") as f:
                stored.append(f.read())
    assert stored and not any(b"secret" in data for data in stored)
    assert "alice-secret" not in b.log_text()
    b.restart()
    assert kcat_list(b, "alice", "alice-secret", "SCRAM-SHA-256").returncode == 0


def test_samsa_user_cli_sets_lists_and_deletes(scram_broker):
    from samsa_harness import SAMSA_CLI
    b = scram_broker

    def cli(*args):
        return subprocess.run([SAMSA_CLI, "user"] + list(args) +
                              ["-b", b.bootstrap], capture_output=True,
                              text=True, timeout=30)
    out = cli("set", "dave", "--password", "dave-secret", "--iterations", "4096")
    assert out.returncode == 0, out.stderr
    assert kcat_list(b, "dave", "dave-secret", "SCRAM-SHA-512").returncode == 0
    out = cli("list")
    assert out.returncode == 0, out.stderr
    assert ("dave  SCRAM-SHA-256 iterations=4096  SCRAM-SHA-512 "
            "iterations=4096") in out.stdout
    assert "alice  SCRAM-SHA-256 iterations=4096" in out.stdout
    assert cli("delete", "dave", "--mechanism", "SCRAM-SHA-512").returncode == 0
    assert kcat_list(b, "dave", "dave-secret", "SCRAM-SHA-512").returncode != 0
    assert kcat_list(b, "dave", "dave-secret", "SCRAM-SHA-256").returncode == 0
    assert cli("set", "eve", "--password", "x", "--iterations", "10").returncode == 2


def test_kafka_configs_tool_manages_scram_users(scram_broker):
    """Apache Kafka's kafka-configs.sh (kafka.admin.ConfigCommand,
    kafka_2.13 4.0.2) adds a SCRAM-SHA-512 credential for carol
    (AlterUserScramCredentials, salted by the tool), describes it, and
    carol then logs in with it; --delete-config removes it."""
    from kafka_cli import kafka_tool
    b = scram_broker

    def configs(*args):
        out = kafka_tool("kafka.admin.ConfigCommand", "--bootstrap-server",
                         b.bootstrap, "--entity-type", "users",
                         "--entity-name", "carol", *args)
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout
    configs("--alter", "--add-config",
            "SCRAM-SHA-512=[iterations=8192,password=carol-secret]")
    assert "SCRAM-SHA-512=iterations=8192" in configs("--describe")
    assert kcat_list(b, "carol", "carol-secret",
                     "SCRAM-SHA-512").returncode == 0
    configs("--alter", "--delete-config", "SCRAM-SHA-512")
    assert kcat_list(b, "carol", "carol-secret",
                     "SCRAM-SHA-512").returncode != 0
