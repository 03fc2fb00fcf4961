# SPDX-License-Identifier: Apache-2.0
"""KIP-368 re-authentication: connections_max_reauth_ms becomes
SaslAuthenticate's SessionLifetimeMs; a v1 SaslHandshake for the same
mechanism re-authenticates the connection (same principal only); a
connection whose session passed is closed at its next request other than
SaslHandshake. The Java client re-authenticates on its own while it
produces across several short lifetimes."""
import os
import socket
import struct
import subprocess
import time

import pytest

from kafka_wire import read_frame
from samsa_harness import Broker, free_port, new_workdir

HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_DIR = os.path.join(HERE, "java")
LIFETIME_MS = 1500


@pytest.fixture(scope="module")
def reauth_broker():
    workdir = new_workdir()
    users = os.path.join(workdir, "plain-users")
    with open(users, "w") as f:
        f.write("alice:alice-secret\nbob:bob-secret\n")
    b = Broker(workdir, "connections_max_reauth_ms: %d" % LIFETIME_MS)
    with open(os.path.join(b.conf_dir, "40-sasl-plain.yaml"), "w") as f:
        f.write("plugins:\n  - name: plain\n    plugin: sasl-plain\n"
                "    config: {users_file: %s}\n" % users)
    b.sasl_port = free_port()
    b.args += ["--listen", "SASL_PLAINTEXT://127.0.0.1:%d" % b.sasl_port]
    b.start()
    yield b
    b.finish()


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.corr = 0

    def call(self, api, version, body):
        self.corr += 1
        hdr = struct.pack(">hhih", api, version, self.corr, 4) + b"test"
        self.s.sendall(struct.pack(">i", len(hdr) + len(body)) + hdr + body)
        resp = read_frame(self.s)
        assert struct.unpack(">i", resp[:4])[0] == self.corr
        return resp[4:]

    def authenticate(self, user, password):
        r = self.call(17, 1, struct.pack(">h", 5) + b"PLAIN")
        assert struct.unpack(">h", r[:2])[0] == 0
        token = b"\0" + user + b"\0" + password
        r = self.call(36, 1, struct.pack(">i", len(token)) + token)
        err, mlen = struct.unpack(">hh", r[:4])
        p = 4 + max(mlen, 0)
        blen = struct.unpack(">i", r[p:p + 4])[0]
        lifetime = struct.unpack(">q", r[p + 4 + blen:p + 12 + blen])[0]
        return err, (r[4:4 + mlen].decode() if mlen > 0 else ""), lifetime

    def metadata(self):
        """Metadata v1 for no topics: True when answered."""
        try:
            self.call(3, 1, struct.pack(">i", 0))
            return True
        except (ConnectionError, AssertionError, struct.error, OSError):
            return False


def test_lifetime_reauthentication_and_expiry(reauth_broker):
    b = reauth_broker
    c = Conn(b.sasl_port)
    err, _, lifetime = c.authenticate(b"alice", b"alice-secret")
    assert (err, lifetime) == (0, LIFETIME_MS)
    assert c.metadata()
    # Re-authenticating gives a new session of the same lifetime.
    time.sleep(LIFETIME_MS / 2000)
    err, _, lifetime = c.authenticate(b"alice", b"alice-secret")
    assert (err, lifetime) == (0, LIFETIME_MS)
    time.sleep(LIFETIME_MS / 2000 + 0.2)
    assert c.metadata(), "the re-authenticated session ended early"
    # Past the lifetime without re-authenticating: closed.
    time.sleep(LIFETIME_MS / 1000 + 0.2)
    assert not c.metadata()
    assert "request after the SASL session of User:alice expired" in \
        b.log_text()


def test_reauthentication_keeps_the_principal(reauth_broker):
    b = reauth_broker
    c = Conn(b.sasl_port)
    assert c.authenticate(b"alice", b"alice-secret")[0] == 0
    err, msg, _ = c.authenticate(b"bob", b"bob-secret")
    assert err == 58, msg
    assert "Cannot change principals during re-authentication" in msg
    assert not c.metadata()


def test_java_client_reauthenticates_on_its_own(reauth_broker, tmp_path):
    b = reauth_broker
    props = tmp_path / "client.properties"
    props.write_text(
        "bootstrap.servers=127.0.0.1:%d\n"
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
        "sasl.jaas.config=org.apache.kafka.common.security.plain."
        "PlainLoginModule required username=\"alice\" "
        "password=\"alice-secret\";\n" % b.sasl_port)
    before = b.log_text().count("expired without re-authentication")
    out = subprocess.run(
        ["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
         "-cp", os.path.join(JAVA_DIR, "lib", "*"),
         os.path.join(JAVA_DIR, "SamsaJavaSecure.java"),
         str(props), "reauth-java", "20", str(4 * LIFETIME_MS)],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ok reauth-java" in out.stdout.splitlines()
    n = int(out.stdout.split("reauthentications=")[1].split()[0])
    assert n >= 2, out.stdout
    assert b.log_text().count("expired without re-authentication") == before
