# SPDX-License-Identifier: Apache-2.0
"""SASL PLAIN on SASL_PLAINTEXT and SASL_SSL listeners: confluent-kafka
(SaslHandshake v1 + SaslAuthenticate), kafka-python (v0 handshake, bare
tokens) and kcat; a wrong password is refused (and logged a bounded number
of times); nothing but ApiVersions and the SASL exchange is served before
authentication."""
import os
import shutil
import socket
import struct
import subprocess
import zlib

import pytest

import confluent_kafka
from confluent_kafka.admin import AdminClient

from kafka_wire import read_frame
from samsa_harness import (PLUGIN_DIR, SAMSAD, Broker, free_port,
                            new_workdir)
from secure_clients import (assert_plain_refused, confluent_round_trip,
                            kafka_python_round_trip)
from secure_pki import make_pki


@pytest.fixture
def sasl_broker():
    workdir = new_workdir()
    pki = make_pki(os.path.join(workdir, "pki"))
    users = os.path.join(workdir, "plain-users")
    with open(users, "w") as f:
        f.write("# name:password\nalice:alice-secret\nadmin:admin-secret\n")
    b = Broker(workdir, "\n".join([
        "ssl_keystore_location: %s" % pki["broker.pem"],
        "ssl_key_location: %s" % pki["broker.key"],
    ]), args=())
    with open(os.path.join(b.conf_dir, "40-sasl-plain.yaml"), "w") as f:
        f.write("plugins:\n  - name: plain\n    plugin: sasl-plain\n"
                "    config: {users_file: %s}\n" % users)
    b.sasl_port, b.sasl_ssl_port = free_port(), free_port()
    b.args += ["--listen", "SASL_PLAINTEXT://127.0.0.1:%d" % b.sasl_port,
               "--listen", "SASL_SSL://127.0.0.1:%d" % b.sasl_ssl_port]
    b.pki = pki
    b.start()
    yield b
    alive = b.alive()
    rc = b.stop()
    log = b.log_text()
    shutil.rmtree(workdir, ignore_errors=True)
    assert alive and rc == 0, "samsad failed:\n" + log


def plain_conf(b, tls, password="alice-secret"):
    port = b.sasl_ssl_port if tls else b.sasl_port
    conf = {"bootstrap.servers": "127.0.0.1:%d" % port,
            "security.protocol": "SASL_SSL" if tls else "SASL_PLAINTEXT",
            "sasl.mechanism": "PLAIN", "sasl.username": "alice",
            "sasl.password": password}
    if tls:
        conf["ssl.ca.location"] = b.pki["ca.pem"]
    return conf


@pytest.mark.parametrize("tls", [False, True], ids=["sasl_plaintext", "sasl_ssl"])
def test_confluent_kafka_plain_round_trip(sasl_broker, tls):
    confluent_round_trip(plain_conf(sasl_broker, tls), "plain-%d" % tls,
                         group="g-%d" % tls)


def test_kafka_python_plain_v0_handshake(sasl_broker):
    b = sasl_broker
    kafka_python_round_trip(
        "kp-plain", bootstrap_servers="127.0.0.1:%d" % b.sasl_port,
        security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
        sasl_plain_username="alice", sasl_plain_password="alice-secret")


def test_wrong_password_is_refused(sasl_broker):
    b = sasl_broker
    assert_plain_refused(b, b.sasl_port, "alice", "wrong")
    # Right password right after: still served.
    a = AdminClient(plain_conf(b, False))
    assert a.list_topics(timeout=10).brokers


def wrong_login(port):
    """SaslHandshake v1 PLAIN, then SaslAuthenticate v0 with a wrong
    password: the error code of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        hdr = struct.pack(">hhih", 17, 1, 1, 4) + b"test"
        body = struct.pack(">h", 5) + b"PLAIN"
        s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
        read_frame(s)
        token = b"\0alice\0wrong"
        hdr = struct.pack(">hhih", 36, 0, 2, 4) + b"test"
        body = struct.pack(">i", len(token)) + token
        s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
        return struct.unpack(">h", read_frame(s)[4:6])[0]


def test_failed_logins_cannot_flood_the_log(sasl_broker):
    """A client retrying a wrong password in a loop gets each refusal,
    but the log says so a few times a minute, not once per try."""
    b = sasl_broker
    for _ in range(60):
        assert wrong_login(b.sasl_port) == 58  # SASL_AUTHENTICATION_FAILED
    n = b.log_text().count("SASL PLAIN authentication failed")
    assert 1 <= n <= 10, n
    a = AdminClient(plain_conf(b, False))
    assert a.list_topics(timeout=10).brokers


def produce_v2_frame(topic, value):
    """Produce v2 with one magic-1 message (CRC-32, no CRC-32C needed)."""
    body = struct.pack(">bbqi", 1, 0, 0, -1) + struct.pack(">i", len(value)) + value
    msg = struct.pack(">I", zlib.crc32(body)) + body
    mset = struct.pack(">qi", 0, len(msg)) + msg
    t = topic.encode()
    req = (struct.pack(">hi", 1, 5000) + struct.pack(">i", 1) +
           struct.pack(">h", len(t)) + t + struct.pack(">i", 1) +
           struct.pack(">ii", 0, len(mset)) + mset)
    hdr = struct.pack(">hhih", 0, 2, 7, 4) + b"test"
    return struct.pack(">i", len(hdr) + len(req)) + hdr + req


def test_produce_before_authentication_is_closed_unwritten(sasl_broker):
    b = sasl_broker
    admin = AdminClient({"bootstrap.servers": b.bootstrap})
    for f in admin.create_topics(
            [confluent_kafka.admin.NewTopic(t, 1, 1)
             for t in ("gate-plain", "gate-sasl")]).values():
        f.result(10)
    # Control: the same frame on the PLAINTEXT listener is written.
    with socket.create_connection(("127.0.0.1", b.port), timeout=10) as s:
        s.sendall(produce_v2_frame("gate-plain", b"written"))
        resp = read_frame(s)
        assert struct.unpack(">i", resp[:4])[0] == 7
    with socket.create_connection(("127.0.0.1", b.sasl_port), timeout=10) as s:
        s.sendall(produce_v2_frame("gate-sasl", b"never"))
        assert s.recv(100) == b"", "the broker answered instead of closing"
    assert "Produce request before SASL authentication" in b.log_text()
    c = confluent_kafka.Consumer({"bootstrap.servers": b.bootstrap,
                                  "group.id": "gate"})
    marks = {t: c.get_watermark_offsets(
        confluent_kafka.TopicPartition(t, 0), timeout=10)
        for t in ("gate-plain", "gate-sasl")}
    c.close()
    assert marks == {"gate-plain": (0, 1), "gate-sasl": (0, 0)}


def handshake(port, mechanism):
    """SaslHandshake v1: (error code, the mechanisms the broker lists)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        hdr = struct.pack(">hhih", 17, 1, 3, 4) + b"test"
        body = struct.pack(">h", len(mechanism)) + mechanism.encode()
        s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
        resp = read_frame(s)
    corr, err, n = struct.unpack(">ihi", resp[:10])
    assert corr == 3
    p, names = 10, []
    for _ in range(n):
        mlen = struct.unpack(">h", resp[p:p + 2])[0]
        names.append(resp[p + 2:p + 2 + mlen].decode())
        p += 2 + mlen
    return err, names


def test_sasl_enabled_mechanisms_limits_the_offer():
    """sasl_enabled_mechanisms: a loaded mechanism left out is neither
    advertised nor accepted; listener_name_<l>_sasl_enabled_mechanisms
    (Kafka's listener.name.<l>.sasl.enabled.mechanisms) overrides it for
    one listener; a mechanism without a plugin instance, or an override
    for a listener that does not exist, is a config error."""
    workdir = new_workdir()
    try:
        users = os.path.join(workdir, "plain-users")
        with open(users, "w") as f:
            f.write("alice:alice-secret\n")
        b = Broker(workdir, "\n".join([
            "sasl_enabled_mechanisms: SCRAM-SHA-256",
            "listener_security_protocol_map: INTERNAL:SASL_PLAINTEXT",
            "listener_name_internal_sasl_enabled_mechanisms: PLAIN"]))
        with open(os.path.join(b.conf_dir, "40-sasl.yaml"), "w") as f:
            f.write("plugins:\n  - name: plain\n    plugin: sasl-plain\n"
                    "    config: {users_file: %s}\n"
                    "  - name: scram256\n    plugin: sasl-scram\n"
                    "    config: {mechanism: SCRAM-SHA-256}\n" % users)
        b.sasl_port, b.internal_port = free_port(), free_port()
        b.args += ["--listen", "SASL_PLAINTEXT://127.0.0.1:%d" % b.sasl_port,
                   "--listen", "INTERNAL://127.0.0.1:%d" % b.internal_port]
        b.start()
        try:
            # UNSUPPORTED_SASL_MECHANISM (33), with what is offered.
            assert handshake(b.sasl_port, "PLAIN") == (33, ["SCRAM-SHA-256"])
            assert handshake(b.sasl_port, "SCRAM-SHA-256") == \
                (0, ["SCRAM-SHA-256"])
            assert handshake(b.internal_port, "PLAIN") == (0, ["PLAIN"])
            assert handshake(b.internal_port, "SCRAM-SHA-256") == \
                (33, ["PLAIN"])
            conf = {"bootstrap.servers": "127.0.0.1:%d" % b.internal_port,
                    "security.protocol": "SASL_PLAINTEXT",
                    "sasl.mechanism": "PLAIN", "sasl.username": "alice",
                    "sasl.password": "alice-secret"}
            assert AdminClient(conf).list_topics(timeout=10).brokers
        finally:
            assert b.stop() == 0, b.log_text()
        conf = os.path.join(b.conf_dir, "samsa.yaml")
        with open(conf) as f:
            text = f.read()
        for old, new, want in [
                ("sasl_enabled_mechanisms: SCRAM-SHA-256",
                 "sasl_enabled_mechanisms: PLAIN,OAUTHBEARER",
                 "sasl_enabled_mechanisms: OAUTHBEARER has no sasl plugin "
                 "instance"),
                ("listener_name_internal_sasl_enabled_mechanisms: PLAIN",
                 "listener_name_internal_sasl_enabled_mechanisms: GSSAPI",
                 "listener_name_internal_sasl_enabled_mechanisms: GSSAPI has "
                 "no sasl plugin instance"),
                ("listener_name_internal_sasl_enabled_mechanisms",
                 "listener_name_external_sasl_enabled_mechanisms",
                 "no listener is named external")]:
            with open(conf, "w") as f:
                f.write(text.replace(old, new))
            out = subprocess.run(
                [SAMSAD, "--conf-dir", b.conf_dir, "--plugin-dir", PLUGIN_DIR,
                 "--data-dir", b.data_dir, "--listen", b.bootstrap,
                 "--listen", "SASL_PLAINTEXT://127.0.0.1:%d" % b.sasl_port,
                 "--listen", "INTERNAL://127.0.0.1:%d" % b.internal_port],
                capture_output=True, text=True, timeout=30)
            assert out.returncode != 0
            assert want in out.stderr, out.stderr
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
