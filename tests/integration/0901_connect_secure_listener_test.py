# SPDX-License-Identifier: Apache-2.0
"""The Connect worker on a broker whose first listener is SASL_SSL: with
connect_client_config (a Kafka Connect worker's security keys:
security.protocol, sasl.mechanism, sasl.jaas.config,
ssl.truststore.location as PEM) its clients speak SASL_SSL and Kafka's
quickstart file connectors move lines from one file to another; without it
the worker takes the broker's PLAINTEXT listener even when that one is
neither first nor the inter-broker one. Before, the worker's plain client
went to the inter-broker listener and never got past the TLS handshake."""
import os

from connect_rest import call, lines, wait_for, wait_ready
from samsa_harness import free_port
from secure_pki import make_pki

PLAIN_JAAS = ("org.apache.kafka.common.security.plain.PlainLoginModule "
              "required username=\"alice\" password=\"alice-secret\";")


def sasl_ssl_first_broker(broker_factory, extra_yaml, more_listeners=()):
    b = broker_factory(extra_yaml)
    pki = make_pki(os.path.join(b.workdir, "pki"))
    users = os.path.join(b.workdir, "plain-users")
    with open(users, "w") as f:
        f.write("alice:alice-secret\n")
    with open(os.path.join(b.conf_dir, "samsa.yaml"), "a") as f:
        f.write("ssl_keystore_location: %s\nssl_key_location: %s\n"
                % (pki["broker.pem"], pki["broker.key"]))
    with open(os.path.join(b.conf_dir, "40-sasl.yaml"), "w") as f:
        f.write("plugins:\n  - name: plain\n    plugin: sasl-plain\n"
                "    config: {users_file: %s}\n" % users)
    # The harness's first --listen is the one it waits for: make it SASL_SSL.
    b.bootstrap = "SASL_SSL://127.0.0.1:%d" % b.port
    for listener in more_listeners:
        b.args += ["--listen", listener % free_port()]
    return b, pki


def file_round_trip(b):
    src = os.path.join(b.workdir, "in.txt")
    sink = os.path.join(b.workdir, "out.txt")
    with open(src, "w") as f:
        f.write("foo\nbar\n")
    wait_ready(b)
    code, info = call(b, "POST", "/connectors", {
        "name": "src", "config": {"connector.class": "FileStreamSource",
                                  "file": src, "topic": "secured"}})
    assert code == 201, info
    code, info = call(b, "POST", "/connectors", {
        "name": "sink", "config": {"connector.class": "FileStreamSink",
                                   "file": sink, "topics": "secured"}})
    assert code == 201, info
    wait_for(lambda: lines(sink) == ["foo", "bar"], "the sink file")


def test_worker_speaks_sasl_ssl_with_connect_client_config(broker_factory,
                                                           tmp_path):
    props = tmp_path / "worker.properties"
    b, pki = sasl_ssl_first_broker(
        broker_factory,
        "connect_enabled: true\ninter_broker_listener_name: SASL_SSL\n"
        "connect_client_config: %s\n" % props)
    props.write_text("\n".join([
        "# The security keys of a Kafka Connect worker.properties",
        "security.protocol=SASL_SSL",
        "sasl.mechanism=PLAIN",
        "sasl.jaas.config=" + PLAIN_JAAS,
        "ssl.truststore.type=PEM",
        "ssl.truststore.location=" + pki["ca.pem"], ""]))
    b.start()
    file_round_trip(b)


def test_worker_takes_the_plaintext_listener_when_not_first(broker_factory):
    # Brokers talk SASL_SSL to each other; the worker still finds the
    # PLAINTEXT listener (it used the inter-broker one).
    b, _ = sasl_ssl_first_broker(
        broker_factory,
        "connect_enabled: true\ninter_broker_listener_name: SASL_SSL\n",
        more_listeners=["PLAINTEXT://127.0.0.1:%d"])
    b.start()
    file_round_trip(b)
