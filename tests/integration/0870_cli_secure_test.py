# SPDX-License-Identifier: Apache-2.0
"""Samsa's own client (core/client, the `samsa` CLI) over TLS and SASL:
--command-config takes Kafka's client properties (security.protocol,
sasl.mechanism, sasl.jaas.config or sasl.username/password,
ssl.truststore.location or ssl.ca.location), and the CLI creates, lists,
produces and consumes over SSL, SASL_PLAINTEXT (PLAIN) and SASL_SSL
(SCRAM-SHA-256 and -512). A wrong password and an untrusted broker
certificate are refused with the reason."""
import subprocess

import pytest

from samsa_harness import SAMSA_CLI
from secure_broker import start_secure_broker

SCRAM_JAAS = ("org.apache.kafka.common.security.scram.ScramLoginModule "
              "required username=\"%s\" password=\"%s\";")


@pytest.fixture(scope="module")
def secure_broker():
    b = start_secure_broker()
    yield b
    b.finish()


def cli(b, proto, props, tmp_path, *args, input=None):
    path = tmp_path / "client.properties"
    path.write_text("security.protocol=%s\n" % proto + "".join(
        "%s=%s\n" % kv for kv in props.items()))
    return subprocess.run(
        [SAMSA_CLI] + list(args) +
        ["-b", "127.0.0.1:%d" % b.ports[proto], "--command-config",
         str(path)], input=input, capture_output=True, text=True, timeout=60)


def config(b, case):
    trust = {"ssl.truststore.type": "PEM",
             "ssl.truststore.location": b.pki["ca.pem"]}
    return {
        "ssl": ("SSL", trust),
        "sasl_plaintext_plain": ("SASL_PLAINTEXT", {
            "sasl.mechanism": "PLAIN", "sasl.username": "alice",
            "sasl.password": "alice-secret"}),
        "sasl_ssl_scram256": ("SASL_SSL", dict(trust, **{
            "sasl.mechanism": "SCRAM-SHA-256",
            "sasl.jaas.config": SCRAM_JAAS % ("bob", "bob-secret")})),
        "sasl_ssl_scram512": ("SASL_SSL", {
            "ssl.ca.location": b.pki["ca.pem"],
            "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "bob",
            "sasl.password": "bob-secret"}),
        "sasl_ssl_plain": ("SASL_SSL", dict(trust, **{
            "sasl.mechanism": "PLAIN", "sasl.username": "alice",
            "sasl.password": "alice-secret"})),
    }[case]


@pytest.mark.parametrize("case", ["ssl", "sasl_plaintext_plain",
                                  "sasl_ssl_scram256", "sasl_ssl_scram512",
                                  "sasl_ssl_plain"])
def test_cli_round_trip(secure_broker, tmp_path, case):
    b = secure_broker
    proto, props = config(b, case)
    topic = "cli-" + case

    def run(*args, input=None):
        out = cli(b, proto, props, tmp_path, *args, input=input)
        assert out.returncode == 0, out.stderr
        return out.stdout
    run("topic", "create", topic)
    assert topic in run("topic", "list")
    lines = ["%s-%d" % (case, i) for i in range(50)]
    run("produce", "-t", topic, "-p", "0", input="\n".join(lines) + "\n")
    got = run("consume", "-t", topic, "--from-beginning", "-n", "50")
    assert got.split() == lines


def test_wrong_scram_password_is_refused(secure_broker, tmp_path):
    b = secure_broker
    proto, props = config(b, "sasl_ssl_scram512")
    props["sasl.password"] = "wrong"
    out = cli(b, proto, props, tmp_path, "topic", "list")
    assert out.returncode == 1
    assert "SASL SCRAM-SHA-512 as bob" in out.stderr, out.stderr
    assert "Authentication failed" in out.stderr, out.stderr


def test_untrusted_broker_certificate_is_refused(secure_broker, tmp_path):
    b = secure_broker
    out = cli(b, "SSL", {"ssl.truststore.location": b.pki["rogue-ca.pem"]},
              tmp_path, "topic", "list")
    assert out.returncode == 1
    assert "certificate verify failed" in out.stderr, out.stderr
    # By name: the certificate's DNS SAN is localhost.
    path = tmp_path / "p.properties"
    path.write_text("security.protocol=SSL\nssl.ca.location=%s\n" %
                    b.pki["ca.pem"])
    out = subprocess.run(
        [SAMSA_CLI, "topic", "list", "-b", "localhost:%d" % b.ports["SSL"],
         "--command-config", str(path)],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
