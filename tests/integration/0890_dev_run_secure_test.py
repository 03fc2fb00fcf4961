# SPDX-License-Identifier: Apache-2.0
"""`tools/dev.sh run --secure`, as the README and issue 14 promise it, run
with its overrides (SAMSA_RUN_PORT, SAMSA_RUN_HTTP_PORT, SAMSA_RUN_DIR and
SAMSA_BUILD_DIR, so it neither takes 9092..9095 nor rebuilds): the four
listeners with their security protocols (PLAINTEXT P, SSL P+1, SASL_SSL
P+2, SASL_PLAINTEXT P+3 with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 for
admin), a CA in secure/ca.pem that the broker's certificate chains to,
Kafka's TopicCommand accepting secure/client.properties, kcat -F
secure/librdkafka.properties producing and consuming as admin, an
anonymous PLAINTEXT client denied by default (no ACLs), and SIGTERM
stopping the broker with its clean-shutdown line."""
import os
import shutil
import signal
import socket
import subprocess
import time

import confluent_kafka
from confluent_kafka import KafkaError

from kafka_cli import kafka_tool
from samsa_harness import BUILD, ROOT, new_workdir

TOPIC = "dev-secure"


def four_free_ports():
    """A base port P with P..P+3 free on 127.0.0.1 (a few tries; the
    ephemeral range is avoided so other tests' free ports rarely meet)."""
    for _ in range(50):
        base = 20000 + (os.getpid() * 7919 + int(time.time() * 1000)) % 9000
        socks = []
        try:
            for p in range(base, base + 4):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            time.sleep(0.01)
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no four free consecutive ports")


def alive(pid):
    """@pid runs (dev.sh's nohup child is not ours: no exit code to wait
    for; a zombie left to its reaper counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def props(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                k, v = line.split("=", 1)
                out[k] = v
    return out


def topics(conf):
    """The topics @conf's client sees (a Metadata request)."""
    c = confluent_kafka.Consumer(dict(conf, **{"group.id": "dev-probe"}))
    try:
        return set(c.list_topics(timeout=10).topics)
    finally:
        c.close()


def test_dev_run_secure():
    work = new_workdir()
    run_dir = os.path.join(work, "run")
    sec = os.path.join(run_dir, "secure")
    port = four_free_ports()
    env = dict(os.environ, SAMSA_RUN_PORT=str(port), SAMSA_RUN_HTTP_PORT="0",
               SAMSA_RUN_DIR=run_dir, SAMSA_BUILD_DIR=BUILD)
    pid = None
    try:
        out = subprocess.run([os.path.join(ROOT, "tools", "dev.sh"), "run",
                              "--secure"], env=env, capture_output=True,
                             text=True, timeout=60)
        if os.path.exists(os.path.join(run_dir, "samsad.pid")):
            with open(os.path.join(run_dir, "samsad.pid")) as f:
                pid = int(f.read())
        assert out.returncode == 0, out.stdout + out.stderr
        password = open(os.path.join(sec, "admin.password")).read().strip()
        assert len(password) >= 16

        # client.properties (Java) and librdkafka.properties (kcat) point
        # at SASL_SSL on P+2 with admin's password and the PEM CA.
        java = props(os.path.join(sec, "client.properties"))
        assert java["bootstrap.servers"] == "127.0.0.1:%d" % (port + 2)
        assert java["ssl.truststore.type"] == "PEM"
        assert java["ssl.truststore.location"] == os.path.join(sec, "ca.pem")
        assert 'password="%s"' % password in java["sasl.jaas.config"]
        rdk = props(os.path.join(sec, "librdkafka.properties"))
        assert rdk["security.protocol"] == "SASL_SSL"
        assert rdk["sasl.password"] == password

        # Kafka's own TopicCommand with --command-config client.properties
        # (SASL_SSL, SCRAM-SHA-512: admin's SCRAM credentials were set by
        # dev.sh once the broker listened).
        t = kafka_tool("TopicCommand", "--bootstrap-server",
                       java["bootstrap.servers"], "--command-config",
                       os.path.join(sec, "client.properties"), "--create",
                       "--topic", TOPIC, "--partitions", "1",
                       "--replication-factor", "1")
        assert t.returncode == 0 and "Created topic %s." % TOPIC in t.stdout, \
            t.stdout + t.stderr

        # kcat -F librdkafka.properties: produce, then consume, as admin.
        kcat = ["kcat", "-F", os.path.join(sec, "librdkafka.properties"),
                "-t", TOPIC]
        p = subprocess.run(kcat + ["-P", "-p", "0"], input="a\nb\nc\n",
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        c = subprocess.run(kcat + ["-C", "-p", "0", "-o", "beginning", "-e",
                                   "-q"], capture_output=True, text=True,
                           timeout=30)
        assert c.returncode == 0 and c.stdout.split() == ["a", "b", "c"], \
            c.stdout + c.stderr

        # Each listener speaks its protocol: SSL (the CA verifies the
        # broker), SASL_PLAINTEXT with each mechanism for admin.
        ssl_conf = {"bootstrap.servers": "127.0.0.1:%d" % (port + 1),
                    "security.protocol": "SSL",
                    "ssl.ca.location": os.path.join(sec, "ca.pem")}
        # The SSL client has no certificate: User:ANONYMOUS, no ACLs.
        assert TOPIC not in topics(ssl_conf)
        for mech in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"):
            conf = {"bootstrap.servers": "127.0.0.1:%d" % (port + 3),
                    "security.protocol": "SASL_PLAINTEXT",
                    "sasl.mechanism": mech, "sasl.username": "admin",
                    "sasl.password": password}
            assert TOPIC in topics(conf), mech
        # A wrong password is refused.
        auth_errors = []
        bad = confluent_kafka.Producer({
            "bootstrap.servers": "127.0.0.1:%d" % (port + 2),
            "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-256",
            "sasl.username": "admin", "sasl.password": "wrong",
            "ssl.ca.location": os.path.join(sec, "ca.pem"),
            "error_cb": auth_errors.append})
        deadline = time.monotonic() + 10
        while not auth_errors and time.monotonic() < deadline:
            bad.poll(0.2)
        assert auth_errors and auth_errors[0].code() == \
            KafkaError._AUTHENTICATION, auth_errors
        del bad

        # PLAINTEXT on P, unauthenticated: denied by default. The topic
        # is invisible in Metadata and a produce fails with
        # TOPIC_AUTHORIZATION_FAILED; nothing is written.
        anon = {"bootstrap.servers": "127.0.0.1:%d" % port}
        assert TOPIC not in topics(anon)
        errors = []
        prod = confluent_kafka.Producer(dict(anon, **{
            "message.timeout.ms": 5000, "retries": 0}))
        prod.produce(TOPIC, b"intruder", partition=0,
                     on_delivery=lambda err, msg: errors.append(err))
        prod.flush(10)
        assert errors and errors[0] is not None and errors[0].code() in (
            KafkaError.TOPIC_AUTHORIZATION_FAILED,), errors
        c = subprocess.run(kcat + ["-C", "-p", "0", "-o", "beginning", "-e",
                                   "-q"], capture_output=True, text=True,
                           timeout=30)
        assert c.stdout.split() == ["a", "b", "c"], c.stdout + c.stderr

        # SIGTERM stops it cleanly.
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and alive(pid):
            time.sleep(0.05)
        assert not alive(pid), "samsad ignored SIGTERM"
        pid = None
        log = open(os.path.join(run_dir, "samsad.log")).read()
        assert "samsad: stopped" in log, log
        # Not our child, so no exit code: under the ASan suite a leak or
        # error report in its log fails the test instead.
        assert "Sanitizer" not in log and "runtime error" not in log, log
    finally:
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(work, ignore_errors=True)
