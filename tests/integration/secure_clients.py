# SPDX-License-Identifier: Apache-2.0
"""Round trips with real clients, for the security tests: every client is
configured by the caller (security protocol, certificates, SASL)."""
import subprocess

import confluent_kafka
import kafka


def confluent_round_trip(conf, topic, n=100, group="secure-group"):
    """Produce n records to partition 0 and read them back in a group."""
    p = confluent_kafka.Producer(conf)
    for i in range(n):
        p.produce(topic, value=b"v%d" % i, partition=0)
    assert p.flush(30) == 0
    c = confluent_kafka.Consumer(dict(conf, **{
        "group.id": group, "auto.offset.reset": "earliest"}))
    c.subscribe([topic])
    got = []
    while len(got) < n:
        m = c.poll(10)
        assert m is not None, "no record within 10 s"
        assert m.error() is None, m.error()
        got.append(m.value())
    c.close()
    assert got == [b"v%d" % i for i in range(n)]


def kafka_python_round_trip(topic, n=20, **common):
    """The same with kafka-python (KafkaProducer, KafkaConsumer)."""
    p = kafka.KafkaProducer(**common)
    for i in range(n):
        p.send(topic, b"m%d" % i, partition=0)
    p.flush(30)
    p.close()
    c = kafka.KafkaConsumer(topic, auto_offset_reset="earliest",
                            consumer_timeout_ms=5000, **common)
    got = []
    for m in c:  # up to 5 s without a record
        got.append(m.value)
        if len(got) == n:
            break
    c.close()
    assert got == [b"m%d" % i for i in range(n)]


def assert_plain_refused(broker, port, user, password):
    """kcat logging in with PLAIN over SASL_PLAINTEXT is refused with
    Authentication failed; the broker logs the refusal, not the password."""
    out = subprocess.run(
        ["kcat", "-b", "127.0.0.1:%d" % port, "-L", "-m", "5",
         "-X", "security.protocol=sasl_plaintext", "-X", "sasl.mechanism=PLAIN",
         "-X", "sasl.username=" + user, "-X", "sasl.password=" + password],
        capture_output=True, timeout=30)
    assert out.returncode != 0
    assert b"Authentication failed" in out.stderr, out.stderr
    assert "SASL PLAIN authentication failed" in broker.log_text()
    assert password not in broker.log_text()
