# SPDX-License-Identifier: Apache-2.0
"""Three broker nodes in one metadata quorum (tools/dev.sh cluster), driven
with librdkafka (kcat) and kafka-python: metadata lists every broker and the
controller, topics spread their partitions over the brokers, records go to
and come from every broker, a broker answers NOT_LEADER_OR_FOLLOWER for a
partition it does not lead, kill -9 of the controller elects a new one and
metadata changes go on, a killed broker is fenced and returns on restart.

Needs: kcat, python3-kafka. Bounded: every wait has a deadline; the whole
file takes well under a minute on an idle machine. SAMSA_CLUSTER_KEEP=1
keeps the nodes' directories (logs) in /tmp.
"""
import contextlib
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import (ConfigResource, ConfigResourceType,
                         KafkaAdminClient, NewPartitions, NewTopic)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEV = os.path.join(ROOT, "tools", "dev.sh")
SESSION_TIMEOUT_S = 3  # broker_session_timeout_ms of tools/dev.sh cluster


class Cluster:
    def __init__(self, workdir):
        self.env = dict(os.environ, SAMSA_CLUSTER_DIR=workdir)
        self.env.setdefault("SAMSA_BUILD_DIR", os.path.join(ROOT, "build"))
        self.ports = {}

    def dev(self, *args, timeout=90):
        out = subprocess.run([DEV, "cluster", *args], env=self.env,
                             capture_output=True, text=True, timeout=timeout)
        assert out.returncode == 0, out.stderr + out.stdout
        return out.stdout

    def start(self, n):
        last = self.dev("start", str(n)).strip().splitlines()[-1]
        for i, hp in enumerate(last.split(","), 1):
            host, port = hp.split(":")
            assert host == "127.0.0.1"
            self.ports[i] = int(port)
        return last

    def bootstrap(self, nodes=None):
        nodes = nodes or sorted(self.ports)
        return ",".join("127.0.0.1:%d" % self.ports[i] for i in nodes)


def wait_for(what, fn, timeout=20.0, every=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)
    pytest.fail("timed out after %.0f s waiting for %s (last: %r)"
                % (timeout, what, last))


def kcat(*args, timeout=30):
    out = subprocess.run(["kcat", *args], capture_output=True, text=True,
                         timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout


def describe(bootstrap):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap,
                             request_timeout_ms=5000)
    try:
        return admin.describe_cluster()
    finally:
        admin.close()


def brokers(bootstrap):
    """(broker ids, controller id) from kcat's (librdkafka's) metadata."""
    out = kcat("-b", bootstrap, "-L", "-m", "5", "-t", "__none__")
    ids, controller = [], -1
    for line in out.splitlines():
        words = line.split()
        if words[:1] == ["broker"] and len(words) >= 4:
            ids.append(int(words[1]))
            if "(controller)" in line:
                controller = int(words[1])
    return sorted(ids), controller


def topic_leaders(bootstrap, topic):
    """{partition: leader} from kcat's (librdkafka's) metadata."""
    out = kcat("-b", bootstrap, "-L", "-t", topic, "-m", "5")
    leaders = {}
    for line in out.splitlines():
        words = line.split()
        if words[:1] == ["partition"]:
            leaders[int(words[1].rstrip(","))] = int(words[3].rstrip(","))
    return leaders


# -- raw requests for what the Python clients do not expose --------------

def raw_request(port, api_key, version, body, flexible):
    header = struct.pack(">hhi", api_key, version, 7)
    header += struct.pack(">h", 4) + b"test"
    if flexible:
        header += b"\x00"  # no tagged fields
    msg = header + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(msg)) + msg)
        size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
        data = b""
        while len(data) < size:
            chunk = s.recv(size - len(data))
            assert chunk, "connection closed"
            data += chunk
    assert struct.unpack(">i", data[:4])[0] == 7
    return data[5:] if flexible else data[4:]


def list_offsets_error(port, topic, partition):
    """ListOffsets v1 for one partition: its error code."""
    name = topic.encode()
    body = struct.pack(">ii", -1, 1) + struct.pack(">h", len(name)) + name
    body += struct.pack(">iiq", 1, partition, -1)
    resp = raw_request(port, 2, 1, body, flexible=False)
    # [topics: 1][name][partitions: 1][index][error]...
    off = 4
    (nlen,) = struct.unpack(">h", resp[off:off + 2])
    off += 2 + nlen + 4
    index, error = struct.unpack(">ih", resp[off:off + 6])
    assert index == partition
    return error


def find_coordinator_v1(port, key, key_type=0):
    """FindCoordinator v1 (0: group, 1: transaction): (error, node id)."""
    k = key.encode()
    resp = raw_request(port, 10, 1, struct.pack(">h", len(k)) + k +
                       struct.pack(">b", key_type), flexible=False)
    (error,) = struct.unpack(">h", resp[4:6])
    (mlen,) = struct.unpack(">h", resp[6:8])
    (node,) = struct.unpack(">i", resp[8 + max(mlen, 0):12 + max(mlen, 0)])
    return error, node


def find_coordinator(port, group, key_type=0):
    """The coordinator's node id, once there is one: the first
    FindCoordinator has the internal topic created (COORDINATOR_NOT_AVAILABLE,
    15, meanwhile), as in Kafka."""
    return wait_for("a coordinator for %r" % group, lambda: (
        lambda r: r[1] if r[0] == 0 else None)(
            find_coordinator_v1(port, group, key_type)))


def init_producer_id(port):
    """InitProducerId v1 (no transactional id): (error, producer id)."""
    resp = raw_request(port, 22, 1, struct.pack(">hi", -1, 60000),
                       flexible=False)
    _, error, pid, _ = struct.unpack(">ihqh", resp[:16])
    return error, pid


def topic_config(port, topic, key):
    """DescribeConfigs v0 of one topic on one node: @key's value or None."""
    name = topic.encode()
    body = struct.pack(">ib", 1, 2) + struct.pack(">h", len(name)) + name
    body += struct.pack(">i", -1)
    resp = raw_request(port, 32, 0, body, flexible=False)
    off = 4 + 4  # throttle, one resource

    def string():
        nonlocal off
        (n,) = struct.unpack(">h", resp[off:off + 2])
        off += 2
        if n < 0:
            return None
        off += n
        return resp[off - n:off].decode()

    (error,) = struct.unpack(">h", resp[off:off + 2])
    off += 2
    string()
    off += 1
    string()
    if error != 0:
        return "error %d" % error
    (count,) = struct.unpack(">i", resp[off:off + 4])
    off += 4
    for _ in range(count):
        k, v = string(), string()
        off += 3
        if k == key:
            return v
    return None


def alter_topic_config(port, topic, key, value):
    """AlterConfigs v0 of one topic on one node: the error code."""
    name, k, v = topic.encode(), key.encode(), value.encode()
    body = struct.pack(">ib", 1, 2) + struct.pack(">h", len(name)) + name
    body += struct.pack(">ih", 1, len(k)) + k + struct.pack(">h", len(v)) + v
    body += b"\x00"  # validate_only
    resp = raw_request(port, 33, 0, body, flexible=False)
    (error,) = struct.unpack(">h", resp[8:10])
    return error


def describe_controllers(port):
    """DescribeCluster v1 with EndpointType 2 (controllers, KIP-919):
    (controller id, {id: port})."""
    resp = raw_request(port, 60, 1, b"\x00\x02\x00", flexible=True)
    off = 4
    (error,) = struct.unpack(">h", resp[off:off + 2])
    assert error == 0
    off += 2
    off += max(resp[off] - 1, 0) + 1  # error message (compact, nullable)
    assert resp[off] == 2  # endpoint type
    off += 1
    off += resp[off] - 1 + 1  # cluster id
    (controller, ) = struct.unpack(">i", resp[off:off + 4])
    off += 4
    n = resp[off] - 1
    off += 1
    ports = {}
    for _ in range(n):
        (bid,) = struct.unpack(">i", resp[off:off + 4])
        off += 4
        off += resp[off] - 1 + 1  # host
        (bport,) = struct.unpack(">i", resp[off:off + 4])
        off += 4
        off += max(resp[off] - 1, 0) + 1  # rack
        off += 1  # tagged fields
        ports[bid] = bport
    return controller, ports


def describe_quorum(port):
    """DescribeQuorum v0 (flexible): (leader id, leader epoch, voter ids)."""
    name = b"__cluster_metadata"
    body = b"\x02" + bytes([len(name) + 1]) + name
    body += b"\x02" + struct.pack(">i", 0) + b"\x00" + b"\x00" + b"\x00"
    resp = raw_request(port, 55, 0, body, flexible=True)
    (error,) = struct.unpack(">h", resp[:2])
    assert error == 0
    off = 2
    assert resp[off] == 2  # one topic
    off += 1
    nlen = resp[off] - 1
    assert resp[off + 1:off + 1 + nlen] == name
    off += 1 + nlen
    assert resp[off] == 2  # one partition
    off += 1
    _, perr, leader, epoch, _hw = struct.unpack(">ihiiq", resp[off:off + 22])
    assert perr in (0, 5)  # 5: LEADER_NOT_AVAILABLE, during an election
    off += 22
    nvoters = resp[off] - 1
    off += 1
    voters = []
    for _ in range(nvoters):
        vid, _leo = struct.unpack(">iq", resp[off:off + 12])
        voters.append(vid)
        off += 12 + 1  # tagged fields
    return leader, epoch, sorted(voters)


# -- the test -------------------------------------------------------------

@contextlib.contextmanager
def running_cluster(prefix, node_yaml=""):
    """A Cluster in a fresh work dir (@node_yaml added to every node's
    samsa.yaml), stopped and removed afterwards (kept with
    SAMSA_CLUSTER_KEEP)."""
    work = tempfile.mkdtemp(prefix=prefix)
    c = Cluster(work)
    if node_yaml:
        c.env["SAMSA_CLUSTER_YAML"] = node_yaml
    try:
        yield c
    finally:
        subprocess.run([DEV, "cluster", "stop"], env=c.env,
                       capture_output=True, timeout=60)
        if not os.environ.get("SAMSA_CLUSTER_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


@pytest.fixture()
def cluster():
    with running_cluster("samsa-cluster-") as c:
        yield c


def produce_all(bootstrap, topic, keys):
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", retries=5,
                      linger_ms=5, request_timeout_ms=10000)
    for k in keys:
        p.send(topic, key=k.encode(), value=("v-" + k).encode())
    p.flush(timeout=30)
    p.close()


def consume_all(bootstrap, topic, partitions, want):
    c = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                      auto_offset_reset="earliest", consumer_timeout_ms=1000)
    c.assign([TopicPartition(topic, p) for p in range(partitions)])
    got = {}
    deadline = time.monotonic() + 30
    while len(got) < want and time.monotonic() < deadline:
        for msgs in c.poll(timeout_ms=500).values():
            for m in msgs:
                got[m.key.decode()] = (m.partition, m.value.decode())
    c.close()
    return got


def test_three_nodes(cluster):
    boot = cluster.start(3)
    assert len(cluster.ports) == 3

    # Every broker and the controller, from librdkafka and kafka-python,
    # whichever node answers.
    for i in (1, 2, 3):
        out = kcat("-b", cluster.bootstrap([i]), "-L", "-m", "5")
        assert " 3 brokers:" in out, out
        assert "(controller)" in out, out
    desc = describe(boot)
    assert sorted(b["node_id"] for b in desc["brokers"]) == [1, 2, 3]
    controller = desc["controller_id"]
    assert controller in (1, 2, 3)
    leader, epoch, voters = describe_quorum(cluster.ports[2])
    assert (leader, voters) == (controller, [1, 2, 3]) and epoch >= 1
    env = {}
    with open(os.path.join(cluster.env["SAMSA_CLUSTER_DIR"],
                           "cluster.env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            env[k] = v
    ctrl_id, ctrl_ports = describe_controllers(cluster.ports[3])
    assert ctrl_id == controller
    assert ctrl_ports == {i: int(env["CONTROLLER_PORT_%d" % i])
                          for i in (1, 2, 3)}

    # A topic through the controller, partitions spread over the brokers.
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    admin.create_topics([NewTopic("spread", 6, 1)])
    admin.close()
    leaders = wait_for("6 partitions with leaders",
                       lambda: (lambda l: l if len(l) == 6 and
                                min(l.values()) >= 0 else None)(
                           topic_leaders(boot, "spread")))
    assert set(leaders.values()) == {1, 2, 3}, leaders

    # A broker that does not lead a partition says so.
    p0 = leaders[0]
    other = next(i for i in (1, 2, 3) if i != p0)
    # (Followers of the quorum apply a record a heartbeat after the leader.)
    wait_for("NOT_LEADER_OR_FOLLOWER from a non-leader", lambda:
             list_offsets_error(cluster.ports[other], "spread", 0) == 6,
             timeout=5)
    wait_for("the leader answering", lambda:
             list_offsets_error(cluster.ports[p0], "spread", 0) == 0,
             timeout=5)

    # Auto-creation asked of a node that is not the controller goes
    # through the controller too.
    other_node = next(i for i in (1, 2, 3) if i != controller)
    wait_for("an auto-created topic", lambda: topic_leaders(
        cluster.bootstrap([other_node]), "auto-made").get(0, -1) >= 0,
        timeout=15)

    # Produce with kafka-python, consume with librdkafka, and back.
    keys = ["k%03d" % i for i in range(300)]
    produce_all(boot, "spread", keys)
    got = kcat("-b", boot, "-C", "-t", "spread", "-e", "-q", "-f", "%k\n")
    assert sorted(got.split()) == keys
    kcat_in = "\n".join("r%03d:x" % i for i in range(60)) + "\n"
    subprocess.run(["kcat", "-b", boot, "-P", "-t", "spread", "-K:"],
                   input=kcat_in, text=True, check=True, timeout=30)
    seen = consume_all(boot, "spread", 6, 360)
    assert len(seen) == 360
    assert {p for p, _ in seen.values()} == set(range(6))

    # Producer ids are unique across the brokers (blocks from the
    # controller), and an idempotent librdkafka producer writes through.
    pids = []
    for i in (1, 2, 3):
        for _ in range(3):
            err, pid = wait_for("a producer id from node %d" % i, lambda: (
                lambda r: r if r[0] == 0 else None)(
                    init_producer_id(cluster.ports[i])), timeout=10)
            pids.append(pid)
    assert len(set(pids)) == len(pids), pids
    subprocess.run(["kcat", "-b", boot, "-P", "-t", "spread", "-K:",
                    "-X", "enable.idempotence=true"],
                   input="\n".join("i%03d:y" % i for i in range(40)) + "\n",
                   text=True, check=True, timeout=30)
    seen = consume_all(boot, "spread", 6, 400)
    assert len(seen) == 400

    # A topic config changed on any node goes through the controller
    # (forwarded by the others) and reaches every broker holding the topic.
    asked = next(i for i in (1, 2, 3) if i != controller)
    assert alter_topic_config(cluster.ports[asked], "spread", "retention.ms",
                              "7200000") == 0
    for i in (1, 2, 3):
        wait_for("retention.ms on node %d" % i, lambda: topic_config(
            cluster.ports[i], "spread", "retention.ms") == "7200000",
            timeout=10)
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=15000)
    admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "spread",
                                        configs={"retention.ms": "3600000"})])
    admin.close()
    for i in (1, 2, 3):
        wait_for("retention.ms on node %d" % i, lambda: topic_config(
            cluster.ports[i], "spread", "retention.ms") == "3600000",
            timeout=10)

    # More partitions, through the controller, placed over the brokers.
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=15000)
    admin.create_topics([NewTopic("grows", 2, 1)])
    wait_for("grows", lambda: len(topic_leaders(boot, "grows")) == 2)
    admin.create_partitions({"grows": NewPartitions(5)})
    admin.close()
    for i in (1, 2, 3):
        wait_for("5 partitions of grows on node %d" % i, lambda: (
            lambda l: len(l) == 5 and min(l.values()) >= 0)(
                topic_leaders(cluster.bootstrap([i]), "grows")), timeout=10)
    subprocess.run(["kcat", "-b", boot, "-P", "-t", "grows", "-p", "4"],
                   input="into the new partition\n", text=True, check=True,
                   timeout=30)
    assert kcat("-b", boot, "-C", "-t", "grows", "-p", "4", "-e", "-q",
                "-o", "beginning").strip() == "into the new partition"

    # Every node describes a topic's configs, from the quorum, holding a
    # replica of it or not.
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=15000)
    admin.create_topics([NewTopic("lonely", 1, 1,
                                  topic_configs={"retention.ms": "5000000"})])
    admin.close()
    for i in (1, 2, 3):
        wait_for("lonely's retention.ms on node %d" % i, lambda: topic_config(
            cluster.ports[i], "lonely", "retention.ms") == "5000000",
            timeout=10)

    # A consumer group: every broker names the same coordinator, and a
    # subscribed kafka-python consumer reads everything through it.
    coords = {find_coordinator(cluster.ports[i], "readers") for i in (1, 2, 3)}
    assert len(coords) == 1 and coords <= {1, 2, 3}, coords
    group = KafkaConsumer("spread", bootstrap_servers=boot, group_id="readers",
                          auto_offset_reset="earliest",
                          consumer_timeout_ms=1000)
    got = 0
    deadline = time.monotonic() + 30
    while got < 400 and time.monotonic() < deadline:
        got += sum(len(m) for m in group.poll(timeout_ms=500).values())
    group.commit()
    group.close()
    assert got == 400

    # kill -9 of the controller: the others elect a new one, and metadata
    # changes go on through it.
    old = describe_quorum(cluster.ports[1])[0]
    assert old in (1, 2, 3)
    cluster.dev("kill", str(old))
    alive = [i for i in (1, 2, 3) if i != old]
    live_boot = cluster.bootstrap(alive)
    t0 = time.monotonic()
    new = wait_for("a new controller", lambda: (
        lambda q: q[0] if q[0] in alive else None)(
            describe_quorum(cluster.ports[alive[0]])), timeout=20)
    assert new != old
    elected = time.monotonic() - t0
    admin = KafkaAdminClient(bootstrap_servers=live_boot,
                             request_timeout_ms=10000)
    admin.create_topics([NewTopic("after-failover", 2, 1)])
    admin.close()
    wait_for("the new topic", lambda: len(
        topic_leaders(live_boot, "after-failover")) == 2)
    # (Placed over the brokers not fenced yet, which may still include the
    # killed one for a few seconds, as in Kafka.)

    # The killed broker misses its heartbeats and is fenced: gone from
    # the brokers, its partitions without a leader (their only replica).
    wait_for("the killed broker fenced", lambda:
             brokers(live_boot) == (alive, new),
             timeout=SESSION_TIMEOUT_S + 15)
    fenced = time.monotonic() - t0
    orphan = [p for p, l in leaders.items() if l == old]
    # Each node applies the fencing when its image catches up, so the node
    # asked next may lag the one that showed the brokers a moment ago.
    wait_for("the fenced broker's partitions without a leader", lambda: all(
        topic_leaders(live_boot, "spread").get(p) == -1 for p in orphan),
        timeout=10)

    # Restarted on its data, it registers again, leads its partitions
    # again, and every record is there.
    cluster.dev("start-node", str(old))
    wait_for("three brokers again",
             lambda: brokers(boot)[0] == [1, 2, 3])
    wait_for("old leaders back", lambda: topic_leaders(boot, "spread")
             == leaders)
    again = consume_all(boot, "spread", 6, 400)
    assert again == seen

    # SIGTERM is a controlled shutdown: the broker asks the controller to
    # fence it at once rather than waiting out its session.
    ctrl = describe_quorum(cluster.ports[new])[0]
    leaving = old if old != ctrl else alive[0]
    node_dir = os.path.join(cluster.env["SAMSA_CLUSTER_DIR"],
                            "node%d" % leaving)
    with open(os.path.join(node_dir, "samsad.pid")) as f:
        pid = int(f.read())
    os.kill(pid, signal.SIGTERM)
    wait_for("node %d to exit" % leaving, lambda: not os.path.exists(
        "/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split()[2]
        == "Z", timeout=30)
    ctrl_log = os.path.join(cluster.env["SAMSA_CLUSTER_DIR"],
                            "node%d" % ctrl, "samsad.log")
    wait_for("the controller fencing node %d on request" % leaving,
             lambda: re.search(r"broker %d \(epoch \d+\) shuts down: fencing"
                               % leaving, open(ctrl_log).read()),
             timeout=10)
    print("new controller %.1f s, old one fenced %.1f s after the kill"
          % (elected, fenced))


def test_one_voter_keeps_its_metadata_across_restarts(cluster):
    """A one-node quorum elects itself at once, and after a SIGTERM its
    restart replays the metadata log: topics and their records are back.
    `tools/dev.sh cluster status` says running (pid, address, controller,
    broker count) and then stopped."""
    boot = cluster.start(1)
    assert brokers(boot) == ([1], 1)
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    admin.create_topics([NewTopic("solo", 2, 1)])
    admin.close()
    wait_for("solo", lambda: len(topic_leaders(boot, "solo")) == 2)
    subprocess.run(["kcat", "-b", boot, "-P", "-t", "solo", "-K:"],
                   input="a:1\nb:2\nc:3\n", text=True, check=True, timeout=30)
    # `tools/dev.sh cluster status`, one line per node, as scripts read it.
    port = cluster.ports[1]
    pid = open(os.path.join(cluster.env["SAMSA_CLUSTER_DIR"], "node1",
                            "samsad.pid")).read().strip()
    assert cluster.dev("status") == (
        "node 1: running pid %s 127.0.0.1:%d controller 1 brokers 1\n"
        % (pid, port))
    cluster.dev("stop")
    assert cluster.dev("status") == "node 1: stopped 127.0.0.1:%d\n" % port
    cluster.dev("start-node", "1")
    assert brokers(boot) == ([1], 1)
    assert topic_leaders(boot, "solo") == {0: 1, 1: 1}
    got = kcat("-b", boot, "-C", "-t", "solo", "-e", "-q", "-f", "%k\n")
    assert sorted(got.split()) == ["a", "b", "c"]


def test_cluster_yaml_overrides_the_local_defaults():
    """SAMSA_CLUSTER_YAML may set a key `tools/dev.sh cluster` writes by
    default: the node's yaml holds it once (twice is a config error and the
    node would not start), with the given value."""
    extra = "broker_session_timeout_ms: 6000\noffsets_topic_replication_factor: 1"
    with running_cluster("samsa-yaml-", extra) as c:
        c.start(1)
        yaml_path = os.path.join(c.env["SAMSA_CLUSTER_DIR"], "node1",
                                 "samsa.yaml")
        with open(yaml_path) as f:
            lines = f.read().splitlines()
        assert lines.count("broker_session_timeout_ms: 6000") == 1
        assert lines.count("offsets_topic_replication_factor: 1") == 1
        assert not [l for l in lines if l.startswith(
            ("broker_session_timeout_ms: 3", "offsets_topic_replication_factor: 3"))]
        assert "reactors: 1" in lines  # defaults not overridden stay
