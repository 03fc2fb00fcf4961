# SPDX-License-Identifier: Apache-2.0
"""Security in a cluster: SCRAM credentials, ACLs, client quotas and
dynamic broker configs are records of the metadata log, so a change made through one node is enforced
by every node and outlives the loss of that node.

Three nodes, each broker+controller, with a PLAINTEXT listener (the
inter-broker one, whose anonymous principal is a super user, as Kafka asks
of a PLAINTEXT inter-broker listener), a SASL_PLAINTEXT listener with
SCRAM-SHA-256, and the ACL authorizer denying by default. Changes go
through a node that is not the controller with the samsa CLI (which talks
to the node it is given); SCRAM logins and requests are made with
kafka-python's BrokerConnection on one node's SASL port at a time, and
with its producer over SASL to every node; the quota is seen as a throttle
in kafka-python's producer metrics.

Bounded: every wait has a deadline; about 30 s on an idle machine.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest
from kafka import KafkaProducer
from kafka.admin import (ConfigResource, ConfigResourceType,
                         KafkaAdminClient, NewTopic)
from kafka.conn import BrokerConnection
from kafka.protocol.metadata import MetadataRequest

from nodes import ConfDirNodes, metadata
from test_cluster import topic_leaders, wait_for

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("SAMSA_BUILD_DIR", os.path.join(ROOT, "build"))
SAMSA = os.path.join(BUILD, "tools", "cli", "samsa")
TOPIC_AUTHORIZATION_FAILED = 29
DYNAMIC_DEFAULT_BROKER_CONFIG = 3  # DescribeConfigs v1 ConfigSource

SECURITY_YAML = """plugins:
  - name: scram-sha-256
    plugin: sasl-scram
    config: {mechanism: SCRAM-SHA-256}
  - name: acl
    plugin: authorizer-acl
    config: {super_users: ["User:ANONYMOUS"]}
"""


# The brokers log in as User:broker (SCRAM-SHA-512), a super user.
SCRAM_INTER_BROKER_YAML = SECURITY_YAML.replace(
    "  - name: acl\n", "  - name: scram-sha-512\n    plugin: sasl-scram\n"
    "    config: {mechanism: SCRAM-SHA-512}\n  - name: acl\n").replace(
    '["User:ANONYMOUS"]', '["User:ANONYMOUS", "User:broker"]')


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class SecureCluster(ConfDirNodes):
    """@scram_inter_broker: brokers talk to each other on the
    SASL_PLAINTEXT listener, logging in with SCRAM-SHA-512 as User:broker,
    whose credential `samsa storage format --add-scram` put in each
    node's bootstrap file."""

    def __init__(self, work, n=3, scram_inter_broker=False):
        self.work, self.n, self.procs = work, n, {}
        ports = free_ports(3 * n)
        self.plain = {i: ports[3 * i - 3] for i in range(1, n + 1)}
        self.sasl = {i: ports[3 * i - 2] for i in range(1, n + 1)}
        ctrl = {i: ports[3 * i - 1] for i in range(1, n + 1)}
        voters = ",".join("%d@127.0.0.1:%d" % (i, ctrl[i]) for i in ctrl)
        cluster_id = str(uuid.uuid4())
        # A standalone node's store left in node 1's data dir: a cluster
        # neither reads it (this line would stop a standalone node) nor
        # hides that it does not.
        os.makedirs(self.dir(1) + "/data/__samsa_meta")
        with open(self.dir(1) + "/data/__samsa_meta/scram_credentials",
                  "w") as f:
            f.write("not a credential line\n")
        for i in range(1, n + 1):
            d = self.dir(i)
            shutil.copytree(os.path.join(ROOT, "conf.d"), d + "/conf.d")
            with open(d + "/conf.d/40-security.yaml", "w") as f:
                f.write(SCRAM_INTER_BROKER_YAML if scram_inter_broker
                        else SECURITY_YAML)
            with open(d + "/samsa.yaml", "w") as f:
                f.write(
                    "node_id: %d\ncluster_id: %s\n"
                    "process_roles: broker,controller\n"
                    "controller_quorum_voters: %s\n"
                    "listeners: [\"PLAINTEXT://127.0.0.1:%d\", "
                    "\"SASL_PLAINTEXT://127.0.0.1:%d\", "
                    "\"CONTROLLER://127.0.0.1:%d\"]\n"
                    "inter_broker_listener_name: %s\n"
                    "data_dir: %s/data\nreactors: 1\n"
                    "broker_heartbeat_interval_ms: 500\n"
                    "broker_session_timeout_ms: 3000\n"
                    "http_listeners: [\"127.0.0.1:0\"]\n%s"
                    % (i, cluster_id, voters, self.plain[i], self.sasl[i],
                       ctrl[i],
                       "SASL_PLAINTEXT" if scram_inter_broker
                       else "PLAINTEXT", d,
                       "sasl_mechanism_inter_broker_protocol: SCRAM-SHA-512\n"
                       "sasl_inter_broker_username: broker\n"
                       "sasl_inter_broker_password: broker-secret\n"
                       if scram_inter_broker else ""))

    def boot(self, i):
        return "127.0.0.1:%d" % self.plain[i]

    def serving(self, i, want):
        """Node i lists @want live brokers and a controller."""
        def check():
            assert self.procs[i].poll() is None, self.log(i)
            out = subprocess.run([SAMSA, "cluster", "info", "-b",
                                  self.boot(i)], capture_output=True,
                                 text=True, timeout=10).stdout
            return ("Brokers: %d\n" % want in out
                    and "Controller: -1" not in out)
        wait_for("node %d serving %d brokers" % (i, want), check, timeout=60)

    def partition_isr(self, i, topic):
        """The ISR of @topic's partition 0 as node @i tells it ([] while
        unknown)."""
        t = metadata("127.0.0.1", self.plain[i], [topic])["topics"].get(topic)
        return t[0][2] if isinstance(t, dict) and 0 in t else []

    def kill(self, i):
        self.procs[i].send_signal(signal.SIGKILL)
        self.procs[i].wait()

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def log(self, i, tail=3000):
        with open(os.path.join(self.dir(i), "samsad.log"),
                  errors="replace") as f:
            return f.read()[-tail:]

    def cli(self, node, *args):
        out = subprocess.run([SAMSA, *args, "-b", self.boot(node)],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr + out.stdout
        return out.stdout


@pytest.fixture()
def sec_cluster():
    work = tempfile.mkdtemp(prefix="samsa-cluster-sec-")
    c = SecureCluster(work)
    try:
        for i in range(1, c.n + 1):
            c.start(i)
        for i in range(1, c.n + 1):
            c.serving(i, c.n)
        yield c
    finally:
        c.stop()
        if not os.environ.get("SAMSA_CLUSTER_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


def scram_conn(c, node, user, password):
    """An authenticated SCRAM-SHA-256 connection to @node's SASL port, or
    None when the login is refused."""
    conn = BrokerConnection("127.0.0.1", c.sasl[node], socket.AF_INET,
                            security_protocol="SASL_PLAINTEXT",
                            sasl_mechanism="SCRAM-SHA-256",
                            sasl_plain_username=user,
                            sasl_plain_password=password,
                            api_version=(2, 5, 0),
                            request_timeout_ms=10000)
    if conn.connect_blocking(timeout=10):
        return conn
    conn.close()
    return None


def logs_in(c, node, user, password):
    conn = scram_conn(c, node, user, password)
    if conn:
        conn.close()
    return conn is not None


def topic_errors(c, node, user, password, topics):
    """{topic: error code} of a Metadata request made as @user on @node."""
    conn = scram_conn(c, node, user, password)
    assert conn, "%s cannot log in on node %d" % (user, node)
    try:
        fut = conn.send(MetadataRequest[1](topics=list(topics)))
        deadline = time.monotonic() + 10
        while not fut.is_done and time.monotonic() < deadline:
            # kafka-python 2.0 leaves completing the futures to its caller.
            for resp, f in conn.recv():
                f.success(resp)
            time.sleep(0.01)
        assert fut.succeeded(), fut.exception
        return {t[1]: t[0] for t in fut.value.topics}
    finally:
        conn.close()


def broker_config(c, node, key):
    """(value, source) of broker config @key as node @node describes
    itself (DescribeConfigs, kafka-python)."""
    admin = KafkaAdminClient(bootstrap_servers=c.boot(node),
                             request_timeout_ms=10000)
    try:
        res = admin.describe_configs(
            [ConfigResource(ConfigResourceType.BROKER, str(node))],
            include_synonyms=True)
        for entry in res[0].resources[0][4]:
            if entry[0] == key:
                return entry[1], entry[3]
        return None
    finally:
        admin.close()


def set_cluster_default(c, node, configs):
    """AlterConfigs of the cluster-default BROKER resource through @node:
    its dynamic values become @configs."""
    admin = KafkaAdminClient(bootstrap_servers=c.boot(node),
                             request_timeout_ms=10000)
    try:
        res = admin.alter_configs(
            [ConfigResource(ConfigResourceType.BROKER, "", configs=configs)])
        assert res.resources[0][0] == 0, res
    finally:
        admin.close()


def produce_throttle_ms(c, node, topic, partition, client_id):
    """The largest throttle time of a 20 kB produce to a partition that
    @node leads, as kafka-python's producer metrics report it."""
    p = KafkaProducer(bootstrap_servers=c.boot(node), client_id=client_id,
                      acks=1, linger_ms=0, batch_size=32768,
                      request_timeout_ms=10000)
    try:
        p.send(topic, b"x" * 20000, partition=partition).get(timeout=15)
        m = p.metrics()["producer-metrics"]
        return m["produce-throttle-time-max"]
    finally:
        p.close(timeout=1)


def test_scram_acls_and_quotas_follow_the_metadata_log(sec_cluster):
    c = sec_cluster
    admin = KafkaAdminClient(bootstrap_servers=c.boot(1),
                             request_timeout_ms=10000)
    admin.create_topics([NewTopic("orders", 6, 1), NewTopic("secret", 1, 1)])
    controller = admin.describe_cluster()["controller_id"]
    admin.close()

    assert "scram_credentials is not used in a cluster" in c.log(1, 10 ** 6)

    # The changes go through node t, which is not the controller (so it
    # forwards them); a and b are the two others.
    t = min({1, 2, 3} - {controller})
    a, b = sorted({1, 2, 3} - {t})

    # A SCRAM user created through t logs in on a and b.
    c.cli(t, "user", "set", "alice", "--password", "alice-secret",
          "--mechanism", "SCRAM-SHA-256")
    for node in (a, b):
        wait_for("alice logs in on node %d" % node,
                 lambda: logs_in(c, node, "alice", "alice-secret"))
    assert not logs_in(c, a, "alice", "wrong-password")

    # An ACL created through t is enforced on every node: deny by
    # default, then WRITE (which implies DESCRIBE) on orders only.
    for node in (1, 2, 3):
        assert topic_errors(c, node, "alice", "alice-secret", ["orders"]) == \
            {"orders": TOPIC_AUTHORIZATION_FAILED}
    c.cli(t, "acl", "add", "--allow", "User:alice", "--operation", "Write",
          "--topic", "orders")
    for node in (1, 2, 3):
        wait_for("the ACL on node %d" % node, lambda: topic_errors(
            c, node, "alice", "alice-secret", ["orders", "secret"]) == {
                "orders": 0, "secret": TOPIC_AUTHORIZATION_FAILED})

    # A real client stays on the SASL listener: Metadata gives it every
    # broker's SASL endpoint, so alice's producer, bootstrapped on b,
    # reaches the leaders of all six partitions, on every node.
    p = KafkaProducer(bootstrap_servers="127.0.0.1:%d" % c.sasl[b],
                      security_protocol="SASL_PLAINTEXT",
                      sasl_mechanism="SCRAM-SHA-256",
                      sasl_plain_username="alice",
                      sasl_plain_password="alice-secret", acks=1,
                      request_timeout_ms=10000)
    try:
        for part in range(6):
            p.send("orders", b"from alice", partition=part).get(timeout=15)
    finally:
        p.close(timeout=5)
    leaders = topic_leaders(c.boot(1), "orders")
    assert set(leaders.values()) == {1, 2, 3}

    # A quota set through t throttles a producer on a.
    on_a = min(part for part, leader in leaders.items() if leader == a)
    assert produce_throttle_ms(c, a, "orders", on_a, "free") == 0
    c.cli(t, "quota", "set", "--client-id", "slow", "producer_byte_rate=1024")
    wait_for("the quota on node %d" % a,
             lambda: "slow" in c.cli(a, "quota", "list"))
    assert produce_throttle_ms(c, a, "orders", on_a, "slow") > 0

    # A dynamic cluster-wide broker config set with an admin client
    # bootstrapped on t is what a and b report (Kafka's
    # DYNAMIC_DEFAULT_BROKER_CONFIG source).
    set_cluster_default(c, t, {"log.retention.ms": "123456789"})
    for node in (a, b):
        wait_for("log.retention.ms on node %d" % node,
                 lambda: broker_config(c, node, "log.retention.ms") ==
                 ("123456789", DYNAMIC_DEFAULT_BROKER_CONFIG))

    # kill -9 of the node that took the changes, and its restart: all of
    # them still hold, on the others meanwhile and on it afterwards.
    c.kill(t)
    assert logs_in(c, b, "alice", "alice-secret")
    assert topic_errors(c, a, "alice", "alice-secret", ["orders"]) == \
        {"orders": 0}
    c.start(t)
    c.serving(t, 3)
    wait_for("alice logs in on restarted node %d" % t,
             lambda: logs_in(c, t, "alice", "alice-secret"))
    assert topic_errors(c, t, "alice", "alice-secret", ["orders"]) == \
        {"orders": 0}
    assert "slow" in c.cli(t, "quota", "list")
    wait_for("log.retention.ms on restarted node %d" % t,
             lambda: broker_config(c, t, "log.retention.ms") ==
             ("123456789", DYNAMIC_DEFAULT_BROKER_CONFIG))

    # Deleting works the same way, through any node.
    c.cli(b, "acl", "remove", "--topic", "orders", "--principal",
          "User:alice")
    for node in (t, a):
        wait_for("the ACL gone on node %d" % node, lambda: topic_errors(
            c, node, "alice", "alice-secret", ["orders"]) == {
                "orders": TOPIC_AUTHORIZATION_FAILED})
    c.cli(a, "user", "delete", "alice", "--mechanism", "SCRAM-SHA-256")
    for node in (t, b):
        wait_for("alice refused on node %d" % node,
                 lambda: not logs_in(c, node, "alice", "alice-secret"))
    c.cli(a, "quota", "delete", "--client-id", "slow", "producer_byte_rate")
    for node in (t, b):
        wait_for("the quota gone on node %d" % node,
                 lambda: "slow" not in c.cli(node, "quota", "list"))
    set_cluster_default(c, b, {})
    for node in (t, a):
        wait_for("log.retention.ms back to its default on node %d" % node,
                 lambda: broker_config(c, node, "log.retention.ms")[1] !=
                 DYNAMIC_DEFAULT_BROKER_CONFIG)


# -- Kafka's Java AdminClient, as kafka-configs.sh and kafka-acls.sh use it

JAVA_DIR = os.path.join(os.path.dirname(__file__), "java")


def java_admin(*args):
    """SecurityAdmin.java (a single source file) on Kafka's client jars."""
    if not os.path.isdir(os.path.join(JAVA_DIR, "lib")):
        pytest.skip("Kafka's Java clients not fetched (tests/cluster/run.sh "
                    "with mvn does it)")
    out = subprocess.run(
        ["java", "-Dlog4j.configuration=file:/dev/null", "-cp",
         os.path.join(JAVA_DIR, "lib", "*"),
         os.path.join(JAVA_DIR, "SecurityAdmin.java"), *args],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_java_admin_client_through_a_forwarding_node(sec_cluster):
    c = sec_cluster
    admin = KafkaAdminClient(bootstrap_servers=c.boot(1),
                             request_timeout_ms=10000)
    admin.create_topics([NewTopic("java-t", 1, 1)])
    admin.close()
    # What the Java AdminClient bootstrapped on a node that is not the
    # controller sends (to it, which forwards, or to another node it
    # learnt from Metadata) is in force on the others.
    admin = KafkaAdminClient(bootstrap_servers=c.boot(1),
                             request_timeout_ms=10000)
    controller = admin.describe_cluster()["controller_id"]
    admin.close()
    via = 2 if controller != 2 else 3
    assert "setup done" in java_admin(c.boot(via), "setup", "bob",
                                      "bob-secret", "java-t", "java-slow")
    for node in {1, 2, 3} - {via}:
        wait_for("bob's READ on java-t on node %d" % node, lambda: topic_errors(
            c, node, "bob", "bob-secret", ["java-t", "orders"]) == {
                "java-t": 0, "orders": TOPIC_AUTHORIZATION_FAILED})
        wait_for("the quota on node %d" % node, lambda: "java-slow" in
                 c.cli(node, "quota", "list"))
        wait_for("log.retention.ms on node %d" % node,
                 lambda: broker_config(c, node, "log.retention.ms") ==
                 ("7777777", DYNAMIC_DEFAULT_BROKER_CONFIG))
    # bob logs in with the Java client on node 3's SASL listener, which
    # lists every broker at its SASL endpoint.
    nodes = java_admin("127.0.0.1:%d" % c.sasl[3], "login", "bob",
                       "bob-secret").split("\n")
    assert sorted(n for n in nodes if n) == [
        "node %d 127.0.0.1:%d" % (i, c.sasl[i]) for i in (1, 2, 3)]


# -- SCRAM between brokers: the credential bootstrapped into a new log

def storage_format(c, i, *specs):
    args = [SAMSA, "storage", "format", "--config", c.dir(i) + "/samsa.yaml",
            "--conf-dir", c.dir(i) + "/conf.d"]
    for spec in specs:
        args += ["--add-scram", spec]
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


BOOTSTRAP_DIFFERS = "formatted with `samsa storage format --add-scram` for"


def test_scram_inter_broker_bootstrapped_credential():
    """Brokers that log in to each other with SCRAM-SHA-512 register and
    replicate, because `samsa storage format --add-scram` (Kafka's
    kafka-storage format --add-scram) salted User:broker's credential into
    each node's bootstrap file and the first controller wrote it into the
    new metadata log. Without it only the controller's own broker
    registers: the others' logins are refused, which each says once at
    WARN rather than retrying in silence (checked first, on two unformatted
    nodes of three, which start the log between them). The third, formatted
    but joining a log started without its credential, says so at ERROR.
    Then a cluster formatted alike (each node's own salt) says nothing,
    except the node formatted with an extra user if another led first, or
    the others if it did."""
    work = tempfile.mkdtemp(prefix="samsa-cluster-scram-ib-")
    spec = "SCRAM-SHA-512=[name=broker,password=broker-secret]"
    extra = "SCRAM-SHA-256=[name=alice,password=alice-secret]"
    bare = SecureCluster(work + "/unformatted", n=3, scram_inter_broker=True)
    try:
        out = storage_format(bare, 1, spec)
        assert out.returncode == 0, out.stderr
        for i in (2, 3):
            bare.start(i)
        said = "WARN  cluster: registration with %d: SASL authentication " \
            "failed (SASL SCRAM-SHA-512 as broker"
        wait_for("a refused broker says why", lambda: any(
            said % j in bare.log(i, 10 ** 6) for i in (2, 3)
            for j in (2, 3)), timeout=30)
        # It retries every ~100 ms; said once per broker (twice if the
        # controller moved in between).
        time.sleep(1)
        assert sum(bare.log(i, 10 ** 6).count("WARN  cluster: registration")
                   for i in (2, 3)) <= 2
        bare.start(1)
        wait_for("node 1 says its bootstrap is not in the log",
                 lambda: BOOTSTRAP_DIFFERS in bare.log(1, 10 ** 6),
                 timeout=30)
        line = [t for t in bare.log(1, 10 ** 6).splitlines()
                if BOOTSTRAP_DIFFERS in t][0]
        assert "ERROR" in line and "broker/SCRAM-SHA-512" in line and \
            "without bootstrap credentials" in line, line
    finally:
        bare.stop()
    c = SecureCluster(work, scram_inter_broker=True)
    try:
        for i in range(1, c.n + 1):
            out = storage_format(c, i, spec, *([extra] if i == 3 else []))
            assert out.returncode == 0, out.stderr
            with open(c.dir(i) + "/data/__samsa_meta/"
                      "bootstrap_scram_credentials") as f:
                assert "broker-secret" not in f.read()
        for i in range(1, c.n + 1):
            c.start(i)
        for i in range(1, c.n + 1):
            c.serving(i, c.n)
        logs = {i: c.log(i, 10 ** 6) for i in range(1, c.n + 1)}
        writers = [i for i in logs
                   if re.search(r"writing \d+ bootstrap record", logs[i])]
        assert len(writers) == 1, writers
        # The credentials, then the marker naming the node and its users.
        assert ("writing %d bootstrap record(s)"
                % (3 if writers[0] == 3 else 2)) in logs[writers[0]]
        for i in logs:
            differs = (i == 3) != (writers[0] == 3)
            wait_for("node %d: bootstrap compared" % i,
                     lambda: (BOOTSTRAP_DIFFERS in c.log(i, 10 ** 6))
                     == differs, timeout=10)
        # Stays so: nodes formatted alike never say it.
        time.sleep(0.5)
        for i in logs:
            assert (BOOTSTRAP_DIFFERS in c.log(i, 10 ** 6)) == \
                ((i == 3) != (writers[0] == 3)), (i, writers)
        # A credential like any other, listed through any node.
        assert "broker  SCRAM-SHA-512 iterations=4096" in c.cli(
            3, "user", "list")
        # The replica fetchers log in with it too: RF=3 fills its ISR.
        c.cli(1, "topic", "create", "ib", "--partitions", "1",
              "--replication-factor", "3")
        wait_for("ISR 1,2,3", lambda: sorted(
            c.partition_isr(2, "ib")) == [1, 2, 3], timeout=30)
        # A node whose log exists is not formatted again.
        out = storage_format(c, 2, spec)
        assert out.returncode == 1 and "already holds a metadata log" in \
            out.stderr, out.stderr
    finally:
        c.stop()
        if not os.environ.get("SAMSA_CLUSTER_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
