# SPDX-License-Identifier: Apache-2.0
"""The controller's side of replication on three nodes: AlterPartition
(API 56) as a partition leader sends it, validated as Kafka's controller
does and committed through the quorum; fencing taking a broker out of every
ISR and electing from the rest; Kafka's own admin tools
(kafka-reassign-partitions, kafka-leader-election, kafka-log-dirs and
kafka-cluster unregister, from the kafka-tools jar tests/cluster/run.sh
fetches) moving replicas and leaders.

Raw frames (tests/integration/kafka_wire.py) stand in for the leader's
AlterPartition sender. Bounded: every wait has a deadline.
"""
import os
import shutil
import struct
import subprocess
import sys
import json
import tempfile

import pytest
from kafka.admin import (ConfigResource, ConfigResourceType,
                         KafkaAdminClient, NewTopic)

from test_cluster import (DEV, Cluster, describe, kcat, raw_request,
                          wait_for)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
from kafka_wire import compact_str, uvarint  # noqa: E402

NOT_CONTROLLER = 41
FENCED_LEADER_EPOCH = 74
STALE_BROKER_EPOCH = 77
INVALID_REQUEST = 42
INVALID_UPDATE_VERSION = 95
UNKNOWN_TOPIC_ID = 100
INELIGIBLE_REPLICA = 107


def three_nodes(extra_yaml=""):
    """Three nodes; the raw frames play the leaders' part: the nodes run
    without a transport plugin, so no leader replicates or sends
    AlterPartition of its own to race them (core/replica is off without
    one)."""
    work = tempfile.mkdtemp(prefix="samsa-cluster-")
    c = Cluster(work)
    conf_home = tempfile.mkdtemp(prefix="samsa-conf-")  # start wipes work
    conf = os.path.join(conf_home, "conf.d")
    root = os.path.join(os.path.dirname(__file__), "..", "..", "conf.d")
    shutil.copytree(root, conf, ignore=shutil.ignore_patterns(
        "*transport*", "samsa.yaml"))
    c.env["SAMSA_CLUSTER_YAML"] = "conf_dir: %s\n%s" % (conf, extra_yaml)
    try:
        c.start(3)
        yield c
    finally:
        subprocess.run([DEV, "cluster", "stop"], env=c.env,
                       capture_output=True, timeout=60)
        shutil.rmtree(conf_home, ignore_errors=True)
        if not os.environ.get("SAMSA_CLUSTER_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    yield from three_nodes()


@pytest.fixture(scope="module")
def electing_cluster():
    """The controller's own elections on a short cadence."""
    yield from three_nodes("unclean_leader_election_enable: true\n"
                           "leader_imbalance_check_interval_seconds: 1\n")


class Reader:
    """Flexible-version response fields, in order."""

    def __init__(self, data):
        self.d, self.o = data, 0

    def take(self, fmt):
        v = struct.unpack_from(">" + fmt, self.d, self.o)
        self.o += struct.calcsize(">" + fmt)
        return v[0] if len(v) == 1 else v

    def uvarint(self):
        shift = n = 0
        while True:
            b = self.d[self.o]
            self.o += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n

    def string(self):
        n = self.uvarint() - 1
        if n < 0:
            return None
        self.o += n
        return self.d[self.o - n:self.o].decode()

    def uuid(self):
        self.o += 16
        return self.d[self.o - 16:self.o]

    def ints(self):
        return [self.take("i") for _ in range(self.uvarint() - 1)]

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.o += self.uvarint()


def metadata(port, topic):
    """Metadata v12 of one topic: (topic id, {partition: (leader,
    leader epoch, replicas, isr)})."""
    body = uvarint(2) + b"\x00" * 16 + compact_str(topic) + b"\x00"
    body += b"\x00\x00\x00"  # no auto-create, no authorized ops, no tags
    r = Reader(raw_request(port, 3, 12, body, flexible=True))
    r.take("i")  # throttle
    for _ in range(r.uvarint() - 1):
        r.take("i"), r.string(), r.take("i"), r.string(), r.tags()
    r.string(), r.take("i")  # cluster id, controller
    assert r.uvarint() == 2
    if r.take("h") != 0:
        return None  # not (yet) known to this node
    r.string()
    tid = r.uuid()
    r.take("b")
    parts = {}
    for _ in range(r.uvarint() - 1):
        _, index, leader, epoch = r.take("hiii")
        replicas, isr = r.ints(), r.ints()
        r.ints()
        r.tags()
        parts[index] = (leader, epoch, replicas, isr)
    return tid, parts


def everywhere(cluster, topic, partition, what, pred):
    """Wait until every node's metadata of @topic/@partition satisfies
    @pred((leader, leader epoch, replicas, isr))."""
    for i in sorted(cluster.ports):
        wait_for("node %d: %s" % (i, what),
                 lambda: (lambda m: m and pred(m[1][partition]))(
                     metadata(cluster.ports[i], topic)))


def alter_partition(port, version, broker, broker_epoch, topic, partition,
                    leader_epoch, isr, partition_epoch):
    """AlterPartition for one partition: (top error, partition error,
    leader, leader epoch, isr, partition epoch). @topic is a name (v0-1)
    or a 16-byte id (v2+); @isr ids, or (id, epoch) pairs for v3."""
    body = struct.pack(">iq", broker, broker_epoch) + uvarint(2)
    body += compact_str(topic) if version < 2 else topic
    body += uvarint(2) + struct.pack(">ii", partition, leader_epoch)
    body += uvarint(len(isr) + 1)
    for m in isr:
        if version >= 3:
            body += struct.pack(">iq", *m) + b"\x00"
        else:
            body += struct.pack(">i", m)
    if version >= 1:
        body += b"\x00"  # LeaderRecoveryState RECOVERED
    body += struct.pack(">i", partition_epoch) + b"\x00" + b"\x00" + b"\x00"
    r = Reader(raw_request(port, 56, version, body, flexible=True))
    r.take("i")
    top = r.take("h")
    n = r.uvarint() - 1
    if n == 0:
        return top, None, None, None, None, None
    r.string() if version < 2 else r.uuid()
    assert r.uvarint() == 2
    index, err, leader, lepoch = r.take("ihii")
    assert index == partition
    got_isr = r.ints()
    if version >= 1:
        r.take("b")
    pepoch = r.take("i")
    return top, err, leader, lepoch, got_isr, pepoch


def create_topic(bootstrap, new):
    """CreateTopics until the controller took it (kafka-python returns
    NOT_CONTROLLER in the response rather than raising, e.g. while its
    idea of the controller is stale)."""
    def attempt():
        admin = KafkaAdminClient(bootstrap_servers=bootstrap,
                                 request_timeout_ms=10000)
        try:
            resp = admin.create_topics([new])
        finally:
            admin.close()
        errors = [e[1] for e in resp.topic_errors]
        return errors if all(e in (0, 36) for e in errors) else None
    wait_for("topic %s created" % new.name, attempt, timeout=30)


def create(bootstrap, topic, rf):
    create_topic(bootstrap, NewTopic(topic, 1, rf))


def live_controller(cluster):
    """Once every node is registered and unfenced again (an earlier test
    restarts nodes): the controller's id."""
    want = sorted(cluster.ports)
    desc = wait_for("every broker live", lambda: (lambda d: d if sorted(
        b["node_id"] for b in d["brokers"]) == want else None)(
            describe(cluster.bootstrap())), timeout=30)
    return desc["controller_id"]


def create_assigned(bootstrap, topic, assignment):
    """A topic with explicit replicas: {partition: [broker, ...]}."""
    create_topic(bootstrap, NewTopic(topic, replica_assignments=assignment,
                                     num_partitions=-1,
                                     replication_factor=-1))


def test_alter_partition_on_the_controller(cluster):
    boot = cluster.bootstrap()
    controller = live_controller(cluster)
    others = [i for i in (1, 2, 3) if i != controller]
    create(boot, "ap", 3)
    cport = cluster.ports[controller]
    tid, parts = wait_for("ap's metadata",
                          lambda: metadata(cport, "ap"))
    leader, lepoch, replicas, isr = parts[0]
    # A new partition's ISR is every live replica, as Kafka starts it.
    assert (lepoch, sorted(isr)) == (0, sorted(replicas)) \
        and len(replicas) == 3
    follower = [r for r in replicas if r != leader]

    # Only the controller answers; an unknown sender epoch is refused.
    assert alter_partition(cluster.ports[others[0]], 1, leader, -1, "ap", 0,
                           0, replicas, 0)[0] == NOT_CONTROLLER
    assert alter_partition(cport, 1, leader, 424242, "ap", 0, 0, replicas,
                           0)[0] == STALE_BROKER_EPOCH

    # The leader shrinks its ISR (v1, by name): committed, answered with
    # the new state, and every node's metadata shows it.
    top, err, ldr, le, got, pe = alter_partition(
        cport, 1, leader, -1, "ap", 0, 0, [leader], 0)
    assert (top, err, ldr, le, got, pe) == (0, 0, leader, 0, [leader], 1)
    everywhere(cluster, "ap", 0, "the ISR of 1", lambda p: len(p[3]) == 1)

    # Kafka's checks, in its order.
    assert alter_partition(cport, 1, leader, -1, "ap", 0, 0, replicas,
                           0)[1] == INVALID_UPDATE_VERSION  # stale epoch
    assert alter_partition(cport, 1, leader, -1, "ap", 0, 1, [leader],
                           1)[1] == NOT_CONTROLLER  # newer than ours
    assert alter_partition(cport, 1, follower[0], -1, "ap", 0, 0,
                           replicas, 1)[1] == INVALID_REQUEST  # not leader
    assert alter_partition(cport, 1, leader, -1, "ap", 0, 0, follower,
                           1)[1] == INVALID_REQUEST  # leader left out
    assert alter_partition(cport, 1, leader, -1, "ap", 0, 0,
                           [leader, 99], 1)[1] == INVALID_REQUEST

    # v3, by topic id, with broker epochs: a wrong epoch is ineligible;
    # -1 skips the check. The shrink commits.
    assert alter_partition(cport, 3, leader, -1, tid, 0, 0,
                           [(leader, -1), (follower[0], 777777)],
                           1)[1] == INELIGIBLE_REPLICA
    top, err, ldr, le, got, pe = alter_partition(
        cport, 3, leader, -1, tid, 0, 0,
        [(leader, -1), (follower[0], -1)], 1)
    assert (top, err, ldr, le, sorted(got), pe) == (
        0, 0, leader, 0, sorted([leader, follower[0]]), 2)
    assert alter_partition(cport, 3, leader, -1, b"\x01" * 16, 0, 0,
                           [(leader, -1)], 2)[1] == UNKNOWN_TOPIC_ID
    # Asking for the ISR it has: answered without a change.
    assert alter_partition(cport, 3, leader, -1, tid, 0, 0,
                           [(leader, -1), (follower[0], -1)],
                           2)[1:] == (0, leader, 0, [leader, follower[0]], 2)


def test_fencing_leaves_the_isr_and_elects_from_it(cluster):
    boot = cluster.bootstrap()
    controller = live_controller(cluster)
    leader, follower = [i for i in (1, 2, 3) if i != controller]
    replicas = [leader, follower, controller]
    create_assigned(boot, "fence", {0: replicas})
    cport = cluster.ports[controller]
    wait_for("fence's metadata", lambda: metadata(cport, "fence"))
    top, err, *_ = alter_partition(cport, 1, leader, -1, "fence", 0, 0,
                                   replicas, 0)
    assert (top, err) == (0, 0)

    # A follower killed: fenced, it leaves the ISR; the leader stays.
    cluster.dev("kill", str(follower))
    wait_for("the fenced follower to leave the ISR",
             lambda: sorted(metadata(cport, "fence")[1][0][3])
             == sorted([leader, controller]), timeout=30)
    assert metadata(cport, "fence")[1][0][:2] == (leader, 0)
    cluster.dev("start-node", str(follower))

    # The leader killed: the other ISR member leads, with a new leader
    # epoch; the restarted follower is not in the ISR, so not a candidate.
    cluster.dev("kill", str(leader))
    wait_for("the controller's broker to lead from the ISR",
             lambda: metadata(cport, "fence")[1][0][:2] == (controller, 1),
             timeout=30)
    assert metadata(cport, "fence")[1][0][3] == [controller]
    cluster.dev("start-node", str(leader))


# -- Kafka's admin tools ---------------------------------------------------

LIB = os.path.join(os.path.dirname(__file__), "java", "lib")


def kafka_tool(cls, *args, ok=True):
    """Run one of Kafka's command classes (what bin/kafka-*.sh run)."""
    if not os.path.isdir(LIB):
        pytest.skip("Kafka's tools not fetched (tests/cluster/run.sh with "
                    "mvn does it)")
    out = subprocess.run(
        ["java", "-Dlog4j.configuration=file:/dev/null", "-cp",
         os.path.join(LIB, "*"), cls, *args],
        capture_output=True, text=True, timeout=120)
    if ok:
        assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def reassign(boot, plan, action, *extra):
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump({"version": 1, "partitions": plan}, f)
        f.flush()
        return kafka_tool(
            "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
            "--bootstrap-server", boot, "--reassignment-json-file", f.name,
            action, *extra)


def configs(boot, kind, name):
    """{key: value} of one resource's configs (DescribeConfigs,
    kafka-python)."""
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=10000)
    try:
        res = admin.describe_configs([ConfigResource(kind, name)])
        return {e[0]: e[1] for e in res[0].resources[0][4]}
    finally:
        admin.close()


def throttled(boot, topic):
    """The (leader, follower) throttled replica sets of @topic."""
    c = configs(boot, ConfigResourceType.TOPIC, topic)
    return tuple({x for x in c[k].split(",") if x} for k in (
        "leader.replication.throttled.replicas",
        "follower.replication.throttled.replicas"))


def elect(boot, kind, *where, ok=True):
    return kafka_tool("org.apache.kafka.tools.LeaderElectionCommand",
                      "--bootstrap-server", boot, "--election-type", kind,
                      *where, ok=ok)


def test_kafka_tools_reassign_and_elect(cluster):
    boot = cluster.bootstrap()
    controller = live_controller(cluster)
    a, b = [i for i in (1, 2, 3) if i != controller]
    create_assigned(boot, "moves", {0: [a, b], 1: [b, a]})
    cport = cluster.ports[controller]
    wait_for("moves' metadata", lambda: metadata(cport, "moves"))
    subprocess.run(["kcat", "-b", boot, "-P", "-t", "moves", "-p", "0"],
                   input="\n".join("r%d" % i for i in range(50)) + "\n",
                   text=True, check=True, timeout=30)

    # Move partition 0 from [a, b] to [controller, a]: the controller's
    # broker joins, b leaves once the newcomer is in the ISR. Throttled as
    # operators do: the tool sets the topic's throttled replica lists
    # (Kafka's "partition:broker" format) and every broker's rates.
    out = reassign(boot, [{"topic": "moves", "partition": 0,
                           "replicas": [controller, a]}], "--execute",
                   "--throttle", "1000000")
    assert "Successfully started partition reassignment for moves-0" in out
    assert "The inter-broker throttle limit was set to 1000000 B/s" in out, \
        out
    assert throttled(boot, "moves") == ({"0:%d" % a, "0:%d" % b},
                                        {"0:%d" % controller})
    for node in (1, 2, 3):
        c = configs(boot, ConfigResourceType.BROKER, str(node))
        assert c["leader.replication.throttled.rate"] == "1000000", c
        assert c["follower.replication.throttled.rate"] == "1000000", c
    out = kafka_tool(
        "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
        "--bootstrap-server", boot, "--list")
    assert "moves-0: replicas: %d,%d,%d. adding: %d. removing: %d." % (
        controller, a, b, controller, b) in out, out
    out = reassign(boot, [{"topic": "moves", "partition": 0,
                           "replicas": [controller, a]}], "--verify")
    assert "Reassignment of partition moves-0 is still in progress" in out
    # The leader (a) reports the newcomer caught up: the move completes.
    top, err, *_ = alter_partition(cport, 1, a, -1, "moves", 0, 0,
                                   [a, controller], 1)
    assert (top, err) == (0, 0)
    everywhere(cluster, "moves", 0, "the move done",
               lambda p: p[2] == [controller, a] and sorted(p[3])
               == sorted([a, controller]) and p[0] == a)
    out = reassign(boot, [{"topic": "moves", "partition": 0,
                           "replicas": [controller, a]}], "--verify")
    assert "Reassignment of partition moves-0 is completed" in out, out
    # The move done, --verify clears the throttles it set.
    assert "Clearing topic-level throttles on topic moves" in out, out
    assert throttled(boot, "moves") == (set(), set())

    # A move cancelled: back to the replicas before it.
    reassign(boot, [{"topic": "moves", "partition": 1,
                     "replicas": [controller, b]}], "--execute")
    out = reassign(boot, [{"topic": "moves", "partition": 1,
                           "replicas": [controller, b]}], "--cancel")
    assert "Successfully cancelled partition reassignment for: moves-1" \
        in out, out
    everywhere(cluster, "moves", 1, "the move cancelled",
               lambda p: p[2] == [b, a])

    # Preferred election: the controller's broker is now the first replica
    # of partition 0 and in sync, a leads; the tool moves it back.
    out = elect(boot, "preferred", "--all-topic-partitions")
    assert "Successfully completed leader election (PREFERRED) for " \
        "partitions moves-0" in out, out
    everywhere(cluster, "moves", 0, "the preferred leader",
               lambda p: p[:2] == (controller, 1))
    out = elect(boot, "preferred", "--topic", "moves", "--partition", "0")
    assert "Valid replica already elected for partitions moves-0" in out

    # kafka-log-dirs: each broker lists the partitions it is a replica
    # of, from its own log directory; a's copy of partition 0 has the 50
    # records.
    out = kafka_tool("org.apache.kafka.tools.LogDirsCommand",
                     "--bootstrap-server", boot, "--describe",
                     "--topic-list", "moves")
    dirs = json.loads(out.strip().splitlines()[-1])
    held = {}
    for br in dirs["brokers"]:
        (d,) = br["logDirs"]
        assert d["error"] is None and d["logDir"].endswith("/data")
        held[br["broker"]] = {p["partition"]: p["size"]
                              for p in d["partitions"]}
    assert sorted(held[a]) == ["moves-0", "moves-1"]
    assert sorted(held[b]) == ["moves-1"]
    assert sorted(held[controller]) == ["moves-0"]
    assert held[a]["moves-0"] > 50 * 2


def samsa(cluster, *args, rc=0):
    cli = os.path.join(cluster.env["SAMSA_BUILD_DIR"], "tools", "cli",
                       "samsa")
    out = subprocess.run([cli, "cluster", *args, "-b", cluster.bootstrap()],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == rc, out.stdout + out.stderr
    return out.stdout + out.stderr


def test_samsa_cluster_cli(cluster):
    controller = live_controller(cluster)
    a, b = [i for i in (1, 2, 3) if i != controller]
    create_assigned(cluster.bootstrap(), "cli", {0: [a, b], 1: [b, a]})
    cport = cluster.ports[controller]
    wait_for("cli's metadata", lambda: metadata(cport, "cli"))

    out = samsa(cluster, "reassign", "cli", "0", "%d,%d" % (controller, a))
    assert "cli-0: reassignment started" in out
    out = samsa(cluster, "reassign", "--list")
    assert "cli\t0\t%d,%d,%d\t%d\t%d" % (controller, a, b, controller,
                                           b) in out, out
    everywhere(cluster, "cli", 0, "the move begun", lambda p: len(p[2]) == 3)
    out = samsa(cluster, "leaders", "--topic", "cli")
    assert "reassigning: adding %d removing %d" % (controller, b) in out
    # The leader reports the newcomer in sync; --wait-ms sees it complete.
    assert alter_partition(cport, 1, a, -1, "cli", 0, 0, [a, controller],
                           1)[:2] == (0, 0)
    out = samsa(cluster, "reassign", "cli", "0", "%d,%d" % (controller, a),
                "--wait-ms", "10000")
    assert "cli-0: reassignment complete" in out, out
    everywhere(cluster, "cli", 0, "the move done",
               lambda p: p[2] == [controller, a])
    out = samsa(cluster, "leaders", "--topic", "cli")
    assert "cli\t0\t%d\t%d,%d\t" % (a, controller, a) in out, out
    assert "not the preferred leader (%d)" % controller in out
    out = samsa(cluster, "elect", "--topic", "cli")
    assert "cli-0: preferred leader elected" in out, out
    assert "cli-1: already led by a valid leader" in out, out
    everywhere(cluster, "cli", 0, "the preferred leader",
               lambda p: p[0] == controller)
    # Partition 1's leader shrinks its ISR to itself (nobody replicates
    # here): under-replicated.
    assert alter_partition(cport, 1, b, -1, "cli", 1, 0, [b], 0)[:2] == (0, 0)
    everywhere(cluster, "cli", 1, "cli-1's ISR of 1", lambda p: p[3] == [b])
    out = samsa(cluster, "leaders", "--topic", "cli", "--under-replicated")
    assert "cli\t1\t%d\t%d,%d\t%d\t" % (b, b, a, b) in out, out
    assert "cli\t0\t" not in out and "1 under-replicated" in out, out
    out = samsa(cluster, "reassign", "--cancel", "cli", "1", rc=1)
    assert "NO_REASSIGNMENT_IN_PROGRESS" in out, out
    # A move cancelled while --wait-ms waits for it is not "complete":
    # the partition is no longer listed, but not on the brokers asked for.
    cli = os.path.join(cluster.env["SAMSA_BUILD_DIR"], "tools", "cli",
                       "samsa")
    waiter = subprocess.Popen(
        [cli, "cluster", "reassign", "cli", "1", "%d,%d" % (b, controller),
         "--wait-ms", "3000", "-b", cluster.bootstrap()],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    everywhere(cluster, "cli", 1, "the second move begun",
               lambda p: len(p[2]) == 3)
    samsa(cluster, "reassign", "--cancel", "cli", "1")
    out = waiter.communicate(timeout=30)[0]
    assert waiter.returncode == 1, out
    assert "no longer moving but not on the requested brokers" in out, out
    out = samsa(cluster, "reassign", "cli", "1", "7,x", rc=2)
    assert "broker ids separated by commas" in out


def test_a_replica_moved_away_deletes_its_log(cluster):
    controller = live_controller(cluster)
    a, b = [i for i in (1, 2, 3) if i != controller]
    create_assigned(cluster.bootstrap(), "gone", {0: [a, b]})
    cport = cluster.ports[controller]
    wait_for("gone's metadata", lambda: metadata(cport, "gone"))

    def log_dir(node):
        return os.path.join(cluster.env["SAMSA_CLUSTER_DIR"], "node%d" % node,
                            "data", "gone-0")
    wait_for("b's replica log", lambda: os.path.isdir(log_dir(b)))
    samsa(cluster, "reassign", "gone", "0", "%d,%d" % (a, controller))
    assert alter_partition(cport, 1, a, -1, "gone", 0, 0, [a, controller],
                           1)[:2] == (0, 0)
    everywhere(cluster, "gone", 0, "the move done",
               lambda p: p[2] == [a, controller])
    # b holds no replica of the topic any more: its log goes; the new
    # replica has one.
    wait_for("b's log deleted", lambda: not os.path.isdir(log_dir(b)))
    assert os.path.isdir(log_dir(controller)) and os.path.isdir(log_dir(a))


def test_the_controller_rebalances_and_elects_unclean(electing_cluster):
    cluster = electing_cluster
    controller = live_controller(cluster)
    a, b = [i for i in (1, 2, 3) if i != controller]
    create_assigned(cluster.bootstrap(), "bal", {0: [a, b]})
    create_assigned(cluster.bootstrap(), "solo", {0: [a, b]})
    cport = cluster.ports[controller]
    wait_for("the topics", lambda: metadata(cport, "bal") and
             metadata(cport, "solo"))
    assert alter_partition(cport, 1, a, -1, "bal", 0, 0, [a, b],
                           0)[:2] == (0, 0)
    # Reordered to [b, a]: b is preferred, live and in sync but a leads;
    # the imbalance check (every second here) hands leadership to b.
    samsa(cluster, "reassign", "bal", "0", "%d,%d" % (b, a))
    everywhere(cluster, "bal", 0, "the preferred leader back",
               lambda p: p[2] == [b, a] and p[0] == b)
    # solo's ISR is a alone; a dies: with unclean_leader_election_enable
    # the controller makes b leader, with an ISR of itself.
    cluster.dev("kill", str(a))
    everywhere_but = [i for i in (1, 2, 3) if i != a]
    for i in everywhere_but:
        wait_for("node %d: an unclean leader" % i,
                 lambda: (lambda m: m and m[1][0][0] == b and m[1][0][3]
                          == [b])(metadata(cluster.ports[i], "solo")),
                 timeout=30)


# -- topic ids, forwarding, partial moves (issue #13's leftovers) --------

def meta_file_id(cluster, node, topic):
    """The topic id in @node's local .meta file of @topic (None: none)."""
    path = os.path.join(cluster.env["SAMSA_CLUSTER_DIR"], "node%d" % node,
                        "data", "__samsa_meta", "topics", topic + ".meta")
    try:
        with open(path) as f:
            lines = dict(x.split("=", 1) for x in f.read().splitlines()
                         if "=" in x)
    except FileNotFoundError:
        return None
    return bytes.fromhex(lines["id"])


def test_every_node_has_the_controllers_topic_id(cluster):
    controller = live_controller(cluster)
    a, b = [i for i in (1, 2, 3) if i != controller]
    create_assigned(cluster.bootstrap(), "ids", {0: [a, b], 1: [b, controller]})
    tids = {}
    for i in (1, 2, 3):
        m = wait_for("node %d: ids' metadata" % i,
                     lambda: metadata(cluster.ports[i], "ids"))
        tids[i] = m[0]
    assert len(set(tids.values())) == 1 and tids[1] != b"\x00" * 16, tids
    # Each broker's local log of the topic carries the same id (it used to
    # mint one of its own: lookups by id missed on the other nodes).
    for i in (1, 2, 3):
        wait_for("node %d's log of ids" % i,
                 lambda: meta_file_id(cluster, i, "ids") == tids[1])


def test_a_topic_made_again_while_a_broker_was_down_replaces_its_log(
        cluster):
    """A topic deleted and created again (same name, new id) while one of
    its brokers was down: on restart that broker's old log (another topic
    id) is a stray one, deleted and made anew, as Kafka deletes stray
    logs; it does not serve the old records as the new topic's."""
    controller = live_controller(cluster)
    a, b = [i for i in (1, 2, 3) if i != controller]
    create_assigned(cluster.bootstrap(), "again", {0: [a]})
    everywhere(cluster, "again", 0, "again led by a", lambda p: p[0] == a)
    subprocess.run(["kcat", "-b", cluster.bootstrap(), "-P", "-t", "again",
                    "-p", "0"], input="old1\nold2\n", text=True, check=True,
                   timeout=30)
    old = meta_file_id(cluster, a, "again")
    assert old and segment_bytes(cluster, a, "again", 0) > 0
    cluster.dev("kill", str(a))
    admin = admin_at(cluster, controller)
    try:
        admin.delete_topics(["again"])
    finally:
        admin.close()
    wait_for("again deleted", lambda: not metadata(cluster.ports[b], "again"))
    create_assigned(cluster.bootstrap([b, controller]), "again", {0: [a, b]})
    new = wait_for("again made again", lambda: metadata(cluster.ports[b],
                                                         "again"))[0]
    assert new != old
    cluster.dev("start-node", str(a))
    wait_for("a's log of the new topic",
             lambda: meta_file_id(cluster, a, "again") == new)
    assert segment_bytes(cluster, a, "again", 0) == 0


def admin_at(cluster, node):
    """kafka-python's admin client with @node as its controller: it sends
    CreateTopics, DeleteTopics and CreatePartitions there, and fails the
    test on NOT_CONTROLLER rather than looking for the real one."""
    admin = KafkaAdminClient(bootstrap_servers=cluster.bootstrap([node]),
                             request_timeout_ms=15000)
    admin._controller_id = node

    def refresh():
        pytest.fail("node %d answered NOT_CONTROLLER" % node)
    admin._refresh_controller_id = refresh
    return admin


def delete_by_id(port, tid):
    """DeleteTopics v6 of one topic id: (error, name)."""
    body = uvarint(2) + uvarint(0) + tid + b"\x00"  # null name, id, tags
    body += struct.pack(">i", 15000) + b"\x00"
    r = Reader(raw_request(port, 20, 6, body, flexible=True))
    r.take("i")
    assert r.uvarint() == 2
    name = r.string()
    assert r.uuid() == tid
    return r.take("h"), name


def list_reassignments(port):
    """ListPartitionReassignments v0 of every partition: (error,
    {(topic, partition): (replicas, adding, removing)})."""
    r = Reader(raw_request(port, 46, 0, struct.pack(">i", 15000)
                           + b"\x00\x00", flexible=True))
    r.take("i")
    err = r.take("h")
    r.string()
    out = {}
    for _ in range(r.uvarint() - 1):
        name = r.string()
        for _ in range(r.uvarint() - 1):
            index = r.take("i")
            out[(name, index)] = (r.ints(), r.ints(), r.ints())
            r.tags()
        r.tags()
    return err, out


def alter_reassignment(port, topic, partition, replicas):
    """AlterPartitionReassignments v0 of one partition (@replicas None:
    cancel): (top error, partition error)."""
    body = struct.pack(">i", 15000) + uvarint(2) + compact_str(topic)
    body += uvarint(2) + struct.pack(">i", partition)
    if replicas is None:
        body += uvarint(0)
    else:
        body += uvarint(len(replicas) + 1)
        body += b"".join(struct.pack(">i", x) for x in replicas)
    body += b"\x00\x00\x00"
    r = Reader(raw_request(port, 45, 0, body, flexible=True))
    r.take("i")
    top = r.take("h")
    r.string()
    n = r.uvarint() - 1
    if n == 0:
        return top, None
    r.string()
    assert r.uvarint() == 2
    assert r.take("i") == partition
    return top, r.take("h")


def elect_preferred(port, topic, partition):
    """ElectLeaders v2, preferred, of one partition: (top error,
    partition error)."""
    body = b"\x00" + uvarint(2) + compact_str(topic) + uvarint(2)
    body += struct.pack(">i", partition) + b"\x00"
    body += struct.pack(">i", 15000) + b"\x00"
    r = Reader(raw_request(port, 43, 2, body, flexible=True))
    r.take("i")
    top = r.take("h")
    n = r.uvarint() - 1
    if n == 0:
        return top, None
    r.string()
    assert r.uvarint() == 2
    assert r.take("i") == partition
    return top, r.take("h")


def test_controller_apis_sent_to_any_node_are_forwarded(cluster):
    """KIP-590: CreateTopics, CreatePartitions, DeleteTopics (by name and
    by topic id), AlterPartitionReassignments, ListPartitionReassignments
    and ElectLeaders sent to a broker that is not the controller are
    forwarded to it; the answer is the controller's."""
    from kafka.admin import NewPartitions
    controller = live_controller(cluster)
    a, b = [i for i in (1, 2, 3) if i != controller]
    admin = admin_at(cluster, a)
    try:
        admin.create_topics([NewTopic("fwd", 2, 2), NewTopic("fwd2", 1, 1)])
        for i in (1, 2, 3):
            wait_for("node %d: fwd" % i,
                     lambda: metadata(cluster.ports[i], "fwd"))
        admin.create_partitions({"fwd": NewPartitions(3)})
        for i in (1, 2, 3):
            wait_for("node %d: fwd's third partition" % i,
                     lambda: len(metadata(cluster.ports[i], "fwd")[1]) == 3)
        admin.delete_topics(["fwd2"])
        wait_for("fwd2 gone", lambda: not metadata(cluster.ports[b], "fwd2"))
    finally:
        admin.close()

    # A topic deleted by id through a node that is not the controller.
    create_assigned(cluster.bootstrap(), "byid", {0: [a]})
    tid = wait_for("byid's id", lambda: metadata(cluster.ports[b], "byid"))[0]
    assert delete_by_id(cluster.ports[b], tid) == (0, "byid")
    for i in (1, 2, 3):
        wait_for("node %d: byid gone" % i,
                 lambda: not metadata(cluster.ports[i], "byid"))
    assert delete_by_id(cluster.ports[b], tid)[0] == UNKNOWN_TOPIC_ID

    # A move started through a, listed through b, cancelled through a.
    reps = metadata(cluster.ports[a], "fwd")[1][0][2]
    new = [x for x in (1, 2, 3) if x not in reps] + reps[:1]
    assert alter_reassignment(cluster.ports[a], "fwd", 0, new) == (0, 0)
    err, moves = list_reassignments(cluster.ports[b])
    assert err == 0 and ("fwd", 0) in moves, (err, moves)
    assert alter_reassignment(cluster.ports[a], "fwd", 0, None) == (0, 0)
    assert ("fwd", 0) not in list_reassignments(cluster.ports[b])[1]
    # Preferred election through b: the controller's answer (the first
    # replica already leads, or is not in sync yet), never NOT_CONTROLLER.
    top, perr = elect_preferred(cluster.ports[b], "fwd", 1)
    assert top == 0 and perr != NOT_CONTROLLER, (top, perr)


def segment_bytes(cluster, node, topic, partition):
    """Bytes in @node's segment files of @topic-@partition."""
    d = os.path.join(cluster.env["SAMSA_CLUSTER_DIR"], "node%d" % node,
                     "data", "%s-%d" % (topic, partition))
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)
               if f.endswith(".log")) if os.path.isdir(d) else 0


def log_dirs_partitions(node_port, topic):
    """The partitions of @topic one broker lists in DescribeLogDirs v1."""
    body = struct.pack(">i", -1)  # null: every topic
    resp = raw_request(node_port, 35, 1, body, flexible=False)
    off = 4
    (ndirs,) = struct.unpack(">i", resp[off:off + 4])
    off += 4
    found = []
    for _ in range(ndirs):
        off += 2
        (ln,) = struct.unpack(">h", resp[off:off + 2])
        off += 2 + ln
        (nt,) = struct.unpack(">i", resp[off:off + 4])
        off += 4
        for _ in range(nt):
            (ln,) = struct.unpack(">h", resp[off:off + 2])
            tname = resp[off + 2:off + 2 + ln].decode()
            off += 2 + ln
            (np_,) = struct.unpack(">i", resp[off:off + 4])
            off += 4
            for _ in range(np_):
                (index,) = struct.unpack(">i", resp[off:off + 4])
                off += 4 + 8 + 8 + 1
                if tname == topic:
                    found.append(index)
    return sorted(found)


def test_a_partition_moved_away_deletes_its_log(cluster):
    """A reassignment takes partition 0 off broker a, which keeps partition
    1 of the topic: a's log of partition 0 is deleted (emptied, as Kafka's
    StopReplica with delete), and DescribeLogDirs on a lists partition 1
    only."""
    controller = live_controller(cluster)
    a, b = [i for i in (1, 2, 3) if i != controller]
    create_assigned(cluster.bootstrap(), "part", {0: [a, b], 1: [b, a]})
    cport = cluster.ports[controller]
    everywhere(cluster, "part", 0, "part-0 led by a", lambda p: p[0] == a)
    subprocess.run(["kcat", "-b", cluster.bootstrap(), "-P", "-t", "part",
                    "-p", "0"],
                   input="\n".join("r%d" % i for i in range(50)) + "\n",
                   text=True, check=True, timeout=30)
    assert segment_bytes(cluster, a, "part", 0) > 50 * 2
    samsa(cluster, "reassign", "part", "0", "%d,%d" % (b, controller))
    # The leader (a) reports the newcomer in sync: the move completes and
    # a leaves partition 0.
    leader, lepoch, reps, isr = wait_for(
        "the move begun", lambda: (lambda m: m and len(m[1][0][2]) == 3 and
                                   m[1][0])(metadata(cport, "part")))
    # Committed, and it completed the move, which took the leadership
    # from a: FENCED_LEADER_EPOCH tells a v1 sender to look again.
    pepoch = 1  # one change since creation: the reassignment
    assert alter_partition(cport, 1, leader, -1, "part", 0, lepoch,
                           sorted(set(isr) | {controller}), pepoch)[:2] \
        == (0, FENCED_LEADER_EPOCH), (leader, lepoch, reps, isr)
    everywhere(cluster, "part", 0, "the move done",
               lambda p: p[2] == [b, controller])
    wait_for("a's log of part-0 deleted",
             lambda: segment_bytes(cluster, a, "part", 0) == 0)
    assert log_dirs_partitions(cluster.ports[a], "part") == [1]


def describe_topic_partitions(port, topics, limit, cursor=None):
    """DescribeTopicPartitions v0: ([(error, name, id, [(partition,
    leader, replicas, isr)])], next cursor or None)."""
    body = uvarint(len(topics) + 1)
    body += b"".join(compact_str(t) + b"\x00" for t in topics)
    body += struct.pack(">i", limit)
    if cursor is None:
        body += struct.pack(">b", -1)
    else:
        body += struct.pack(">b", 1) + compact_str(cursor[0])
        body += struct.pack(">i", cursor[1]) + b"\x00"
    body += b"\x00"
    r = Reader(raw_request(port, 75, 0, body, flexible=True))
    r.take("i")
    out = []
    for _ in range(r.uvarint() - 1):
        err, name, tid, _internal = r.take("h"), r.string(), r.uuid(), \
            r.take("b")
        parts = []
        for _ in range(r.uvarint() - 1):
            _, index, leader, _ = r.take("hiii")
            replicas, isr = r.ints(), r.ints()
            assert r.ints() == [] and r.ints() == []  # no ELR
            r.ints()
            r.tags()
            parts.append((index, leader, replicas, isr))
        r.take("i")
        r.tags()
        out.append((err, name, tid, parts))
    nxt = None
    if r.take("b") >= 0:
        nxt = (r.string(), r.take("i"))
        r.tags()
    return out, nxt


def test_describe_topic_partitions_pages_through_partitions(cluster):
    """KIP-966's DescribeTopicPartitions (Kafka 3.7+'s admin client):
    topics sorted by name, at most ResponsePartitionLimit partitions per
    answer, the Cursor going on from where the last answer stopped; the
    partitions are those of Metadata."""
    boot = cluster.bootstrap()
    create_topic(boot, NewTopic("dtp-a", 3, 1))
    create_topic(boot, NewTopic("dtp-b", 2, 1))
    port = cluster.ports[1]
    want = {}
    for t in ("dtp-a", "dtp-b"):
        want[t] = wait_for("%s's metadata" % t, lambda: (
            lambda m: m if m and all(p[0] >= 0 for p in m[1].values())
            else None)(metadata(port, t)))
    asked = ["dtp-b", "nosuch", "dtp-a"]
    got, nxt = describe_topic_partitions(port, asked, 2)
    assert [(e, n, [p[0] for p in ps]) for e, n, _, ps in got] == \
        [(0, "dtp-a", [0, 1])] and nxt == ("dtp-a", 2), (got, nxt)
    tid, parts = want["dtp-a"]
    assert got[0][2] == tid
    assert got[0][3][1] == (1, parts[1][0], parts[1][2], parts[1][3])
    got, nxt = describe_topic_partitions(port, asked, 2, nxt)
    assert [(n, [p[0] for p in ps]) for _, n, _, ps in got] == \
        [("dtp-a", [2]), ("dtp-b", [0])] and nxt == ("dtp-b", 1), got
    got, nxt = describe_topic_partitions(port, asked, 2, nxt)
    assert [(e, n, [p[0] for p in ps]) for e, n, _, ps in got] == \
        [(0, "dtp-b", [1]), (3, "nosuch", [])] and nxt is None, (got, nxt)
    # No names: every topic, here the two and what other tests made.
    got, _ = describe_topic_partitions(port, [], 2000)
    names = [n for _, n, _, _ in got]
    assert names == sorted(names) and {"dtp-a", "dtp-b"} <= set(names)


def test_unclean_election_and_unregister(cluster):
    """Last in this file: it leaves a broker dead and unregistered (a
    test after it on the module's cluster would find two brokers)."""
    boot = cluster.bootstrap()
    controller = live_controller(cluster)
    a, b = [i for i in (1, 2, 3) if i != controller]
    create_assigned(boot, "lonely", {0: [a, b]})
    cport = cluster.ports[controller]
    wait_for("lonely's metadata", lambda: metadata(cport, "lonely"))
    # The leader shrinks the ISR to itself, then dies: no leader, unclean
    # election is off, so it stays so.
    assert alter_partition(cport, 1, a, -1, "lonely", 0, 0, [a],
                           0)[:2] == (0, 0)
    everywhere(cluster, "lonely", 0, "lonely's ISR of 1",
               lambda p: p[3] == [a])
    cluster.dev("kill", str(a))
    wait_for("lonely to lose its leader",
             lambda: metadata(cport, "lonely")[1][0][0] == -1, timeout=30)
    out = elect(boot, "preferred", "--topic", "lonely", "--partition", "0",
                ok=False)
    assert "PreferredLeaderNotAvailable" in out, out
    out = elect(boot, "unclean", "--topic", "lonely", "--partition", "0")
    assert "Successfully completed leader election (UNCLEAN) for " \
        "partitions lonely-0" in out, out
    p = metadata(cport, "lonely")[1][0]
    assert (p[0], p[3]) == (b, [b]) and p[1] == 2

    # kafka-cluster unregister (UnregisterBroker) of the dead broker, sent
    # to whichever broker (the others forward it to the controller):
    # metadata lists two brokers.
    out = kafka_tool("org.apache.kafka.tools.ClusterTool", "unregister",
                     "--bootstrap-server", cluster.bootstrap([b]), "--id",
                     str(a))
    assert "Broker %d is no longer registered." % a in out, out
    wait_for("two brokers", lambda: sorted(
        b_["node_id"] for b_ in describe(cluster.bootstrap([b, controller]))[
            "brokers"]) == sorted([b, controller]))
