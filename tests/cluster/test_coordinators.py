# SPDX-License-Identifier: Apache-2.0
"""Group and transaction coordinators follow the leadership of their
internal topics' partitions, as in Kafka: FindCoordinator answers the
leader of partition abs(javaHashCode(key)) % 50 of __consumer_offsets or
__transaction_state (created with replication factor min(3, brokers) by the
controller on the first FindCoordinator), the other brokers answer
NOT_COORDINATOR, and committed offsets are loaded again from the log by the
broker that leads the partition next.

Needs: kcat, python3-kafka. Bounded: every wait has a deadline.
"""
import os
import re
import struct
import subprocess
import sys
import time

import pytest

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.structs import OffsetAndMetadata

from test_cluster import (cluster, find_coordinator, find_coordinator_v1,  # noqa: F401
                          kcat, produce_all, raw_request, running_cluster,
                          topic_leaders, wait_for)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                "integration"))
from kafka_wire import record_batch  # noqa: E402

NOT_COORDINATOR = 16


def java_hash(s):
    h = 0
    b = s.encode("utf-16-be")
    for i in range(0, len(b), 2):
        h = (h * 31 + int.from_bytes(b[i:i + 2], "big")) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def partition_for(key, partitions=50):
    h = java_hash(key)
    return 0 if h == -(1 << 31) else abs(h) % partitions


def create_led(boot, name, partitions):
    """Topic @name with @partitions partitions of one replica; its
    {partition: leader} once every partition has one."""
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=15000)
    admin.create_topics([NewTopic(name, partitions, 1)])
    admin.close()
    return wait_for("%s's leaders" % name, lambda: (
        lambda l: l if len(l) == partitions and min(l.values()) > 0
        else None)(topic_leaders(boot, name)))


def offset_fetch_v1(port, group, topic, partitions):
    """OffsetFetch v1: {partition: (offset, error)}."""
    g, t = group.encode(), topic.encode()
    body = struct.pack(">h", len(g)) + g + struct.pack(">i", 1)
    body += struct.pack(">h", len(t)) + t + struct.pack(">i", len(partitions))
    body += b"".join(struct.pack(">i", p) for p in partitions)
    resp = raw_request(port, 9, 1, body, flexible=False)
    off = 4  # one topic
    (n,) = struct.unpack(">h", resp[off:off + 2])
    off += 2 + n
    (count,) = struct.unpack(">i", resp[off:off + 4])
    off += 4
    out = {}
    for _ in range(count):
        p, offset, mlen = struct.unpack(">iqh", resp[off:off + 14])
        off += 14 + max(mlen, 0)
        (err,) = struct.unpack(">h", resp[off:off + 2])
        off += 2
        out[p] = (offset, err)
    return out


def test_group_coordinator_follows_offsets_partition(cluster):
    boot = cluster.start(3)
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=15000)
    admin.create_topics([NewTopic("moves", 3, 3)])
    admin.close()
    wait_for("moves", lambda: len(topic_leaders(boot, "moves")) == 3)
    produce_all(boot, "moves", ["k%d" % i for i in range(300)])

    group = "movers"
    coord = find_coordinator(cluster.ports[1], group)
    # Every broker names the leader of the group's offsets partition.
    p = partition_for(group)
    offsets_leaders = wait_for("__consumer_offsets with 50 partitions", lambda: (
        lambda l: l if len(l) == 50 and min(l.values()) > 0 else None)(
            topic_leaders(boot, "__consumer_offsets")))
    assert coord == offsets_leaders[p], (coord, offsets_leaders[p])
    assert {find_coordinator(cluster.ports[i], group)
            for i in (1, 2, 3)} == {coord}
    # Its replication factor is min(3, brokers): three replicas each.
    meta = kcat("-b", boot, "-L", "-t", "__consumer_offsets")
    rf = [len(line.split("replicas:")[1].split(", isrs")[0].split(","))
          for line in meta.splitlines() if "replicas:" in line]
    assert rf == [3] * 50, meta

    # Every replica of the group's partition in sync (a new partition's
    # followers join the ISR as they catch up).
    def isr(topic, part):
        for line in kcat("-b", boot, "-L", "-t", topic).splitlines():
            if line.strip().startswith("partition %d," % part):
                return line.split("isrs:")[1].strip().split(",")
        return []
    wait_for("the offsets partition's full ISR",
             lambda: len(isr("__consumer_offsets", p)) == 3, timeout=30)

    # Commit through the coordinator (answered once every in-sync replica
    # has it); the others answer NOT_COORDINATOR.
    c = KafkaConsumer(bootstrap_servers=boot, group_id=group,
                      enable_auto_commit=False)
    tps = [TopicPartition("moves", i) for i in range(3)]
    c.assign(tps)
    committed = {tp: 20 + 10 * tp.partition for tp in tps}
    c.commit({tp: OffsetAndMetadata(o, "") for tp, o in committed.items()})
    c.close()
    for i in (1, 2, 3):
        got = offset_fetch_v1(cluster.ports[i], group, "moves", [0, 1, 2])
        if i == coord:
            assert got == {0: (20, 0), 1: (30, 0), 2: (40, 0)}, got
        else:
            assert {e for _, e in got.values()} == {NOT_COORDINATOR}, got

    # kill -9 of the coordinator: a follower of the offsets partition
    # (RF 3, replicated) becomes its leader, loads the group from its copy
    # of the log and serves the committed offsets.
    cluster.dev("kill", str(coord))
    others = [i for i in (1, 2, 3) if i != coord]
    t0 = time.monotonic()
    new = wait_for("a new coordinator", lambda: (
        lambda r: r[1] if r[0] == 0 and r[1] in others else None)(
            find_coordinator_v1(cluster.ports[others[0]], group)), timeout=30)
    wait_for("the group's offsets on the new coordinator", lambda:
             offset_fetch_v1(cluster.ports[new], group, "moves", [0, 1, 2]) ==
             {0: (20, 0), 1: (30, 0), 2: (40, 0)}, timeout=30)
    print("offsets served by broker %d %.1f s after the kill"
          % (new, time.monotonic() - t0))
    boot = cluster.bootstrap(others)

    # A consumer of the same group resumes at the committed offsets.
    c = KafkaConsumer("moves", bootstrap_servers=boot, group_id=group,
                      enable_auto_commit=False, auto_offset_reset="earliest",
                      consumer_timeout_ms=1000)
    first = {}
    deadline = time.monotonic() + 30
    while len(first) < 3 and time.monotonic() < deadline:
        for tp, msgs in c.poll(timeout_ms=500).items():
            if msgs and tp.partition not in first:
                first[tp.partition] = msgs[0].offset
    c.close()
    assert first == {0: 20, 1: 30, 2: 40}, first


def test_transaction_coordinator_is_the_state_partition_leader(cluster):
    boot = cluster.start(3)
    tid = "txn-coord-test"
    coord = find_coordinator(cluster.ports[2], tid, key_type=1)
    leaders = wait_for("__transaction_state with 50 partitions", lambda: (
        lambda l: l if len(l) == 50 and min(l.values()) > 0 else None)(
            topic_leaders(boot, "__transaction_state")))
    assert coord == leaders[partition_for(tid)]
    assert {find_coordinator(cluster.ports[i], tid, key_type=1)
            for i in (1, 2, 3)} == {coord}
    # A compacted topic: the latest record of each id is its state.
    from kafka.admin import ConfigResource, ConfigResourceType
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=15000)
    res = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC,
                                                 "__transaction_state")])
    admin.close()
    cfg = {e[0]: e[1] for e in res[0].resources[0][4]}
    assert cfg["cleanup.policy"] == "compact", cfg

    # Coordinators on different brokers hand out distinct producer ids
    # (from the controller's blocks): one id per broker here.
    from confluent_kafka import Producer
    by_node = {}
    for i in range(200):
        t = "pid-%d" % i
        by_node.setdefault(leaders[partition_for(t)], t)
    assert len(by_node) == 3, by_node
    cli = os.path.join(cluster.env["SAMSA_BUILD_DIR"], "tools", "cli",
                       "samsa")
    pids = set()
    for t in by_node.values():
        Producer({"bootstrap.servers": boot,
                  "transactional.id": t}).init_transactions(30)
        out = subprocess.run([cli, "txn", "describe", t, "-b", boot],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stdout + out.stderr
        pids.add(re.search(r"ProducerId: (\d+)", out.stdout).group(1))
    assert len(pids) == 3, pids


def read_all(boot, topic, parts, iso, group="r"):
    """Every value of @topic up to the end offsets @iso reports."""
    from confluent_kafka import Consumer
    from confluent_kafka import TopicPartition as TP
    c = Consumer({"bootstrap.servers": boot, "group.id": group + "-" + iso,
                  "isolation.level": iso, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    tps = [TP(topic, p, 0) for p in range(parts)]
    ends = [c.get_watermark_offsets(TP(topic, p), 10)[1] for p in range(parts)]
    c.assign(tps)
    got, deadline = [], time.monotonic() + 30
    while time.monotonic() < deadline:
        pos = [tp.offset for tp in c.position(tps)]
        if all(p >= 0 and p >= e for p, e in zip(pos, ends)):
            break
        m = c.poll(0.2)
        if m is not None and not m.error():
            got.append(m.value().decode())
    c.close()
    return sorted(got)


@pytest.fixture
def txn_cluster():
    """A cluster whose coordinators look for timed-out transactions every
    250 ms (Kafka's default is 10 s)."""
    with running_cluster("samsa-txn-cluster-", TXN_CLEANUP_YAML) as c:
        yield c


TXN_CLEANUP_YAML = \
    "transaction_abort_timed_out_transaction_cleanup_interval_ms: 250\n"


def test_transactions_across_brokers(txn_cluster):
    """The transaction coordinator writes markers to partitions led by
    other brokers (WriteTxnMarkers), TxnOffsetCommit goes to the group's
    coordinator and the marker on its offsets partition commits the
    offsets. A kill -9 of the coordinator mid-transaction moves it to
    another broker; as in Kafka, that one loads the transaction Ongoing,
    so its producer commits it there and read_committed consumers see its
    records exactly once, while a transaction abandoned by its producer
    across the move is aborted by its timeout and the last stable offsets
    move on."""
    cluster = txn_cluster
    from confluent_kafka import Consumer, Producer
    from confluent_kafka import TopicPartition as TP
    boot = cluster.start(3)
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=15000)
    admin.create_topics([NewTopic("tx-in", 1, 1), NewTopic("tx-out", 3, 1)])
    admin.close()
    leaders = wait_for("tx-out", lambda: (
        lambda l: l if len(l) == 3 and min(l.values()) > 0 else None)(
            topic_leaders(boot, "tx-out")))
    assert len(set(leaders.values())) == 3, leaders  # one per broker
    produce_all(boot, "tx-in", ["in%d" % i for i in range(10)])

    tid = "tx-across"
    coord = find_coordinator(cluster.ports[1], tid, key_type=1)
    p = Producer({"bootstrap.servers": boot, "transactional.id": tid,
                  "transaction.timeout.ms": 60000})
    p.init_transactions(30)

    def batch(tag):
        for i in range(6):
            p.produce("tx-out", value=("%s-%d" % (tag, i)).encode(),
                      partition=i % 3)

    p.begin_transaction()
    batch("c1")
    p.commit_transaction(30)
    p.begin_transaction()
    batch("a1")
    p.flush(10)  # else librdkafka purges them unsent
    p.abort_transaction(30)

    # Consume-transform-produce: the consumed offsets commit with the
    # transaction, through the group's coordinator.
    group = "tx-group"
    c = Consumer({"bootstrap.servers": boot, "group.id": group,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "isolation.level": "read_committed"})
    c.assign([TP("tx-in", 0, 0)])
    seen = 0
    deadline = time.monotonic() + 30
    p.begin_transaction()
    while seen < 10 and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and not m.error():
            p.produce("tx-out", value=b"t-" + m.value(), partition=seen % 3)
            seen += 1
    assert seen == 10
    p.send_offsets_to_transaction([TP("tx-in", 0, 10)],
                                  c.consumer_group_metadata(), 30)
    p.commit_transaction(30)
    assert c.committed([TP("tx-in", 0)], 10)[0].offset == 10
    c.close()

    committed = sorted(["c1-%d" % i for i in range(6)] +
                       ["t-v-in%d" % i for i in range(10)])
    assert read_all(boot, "tx-out", 3, "read_committed") == committed
    assert len(read_all(boot, "tx-out", 3, "read_uncommitted")) == 22

    # `samsa txn` asks the id's coordinator (describe) and every broker
    # (list), whichever broker it is pointed at.
    other = [i for i in (1, 2, 3) if i != coord][0]
    cli = os.path.join(cluster.env["SAMSA_BUILD_DIR"], "tools", "cli",
                       "samsa")
    one = "127.0.0.1:%d" % cluster.ports[other]
    out = subprocess.run([cli, "txn", "describe", tid, "-b", one],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "State: CompleteCommit" in out.stdout, \
        out.stdout + out.stderr
    out = subprocess.run([cli, "txn", "list", "-b", one],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and tid in out.stdout, out.stdout + out.stderr

    # kill -9 of the coordinator with two transactions open on every
    # broker: p's goes on through the next coordinator, p2's producer is
    # gone (its id maps to the same __transaction_state partition).
    tid2 = next(t for t in ("tx-gone-%d" % i for i in range(10000))
                if partition_for(t) == partition_for(tid))
    p2 = Producer({"bootstrap.servers": boot, "transactional.id": tid2,
                   "transaction.timeout.ms": 4000})
    p2.init_transactions(30)
    p2.begin_transaction()
    for i in range(3):
        p2.produce("tx-out", value=b"gone-%d" % i, partition=i)
    p2.flush(10)
    p.begin_transaction()
    batch("mid")
    p.flush(10)
    cluster.dev("kill", str(coord))
    cluster.dev("start-node", str(coord))  # its tx-out partition (RF 1)
    wait_for("a coordinator for the id again", lambda: find_coordinator_v1(
        cluster.ports[other], tid, 1)[0] == 0, timeout=30)
    from confluent_kafka import Consumer as C2, KafkaException

    # librdkafka reports an EndTxn lost with its broker as retriable: the
    # application calls commit_transaction again.
    deadline = time.monotonic() + 60
    while True:
        try:
            p.commit_transaction(30)
            break
        except KafkaException as e:
            if not e.args[0].retriable() or time.monotonic() > deadline:
                raise
    committed = sorted(committed + ["mid-%d" % i for i in range(6)])

    def offsets(iso):
        cc = C2({"bootstrap.servers": boot, "group.id": iso,
                 "isolation.level": iso})
        try:
            return [cc.get_watermark_offsets(TP("tx-out", i), 5)[1]
                    for i in range(3)]
        finally:
            cc.close()

    def stable():
        # While the restarted broker takes its leadership back, a client
        # with the old metadata is told NOT_LEADER: ask again.
        try:
            return offsets("read_committed") == offsets("read_uncommitted")
        except KafkaException:
            return False
    wait_for("every partition's LSO at its end", stable, timeout=30)
    assert read_all(boot, "tx-out", 3, "read_committed", "again") == committed
    logs = "".join(open(os.path.join(cluster.env["SAMSA_CLUSTER_DIR"],
                                     "node%d" % i, "samsad.log"),
                        errors="replace").read() for i in (1, 2, 3))
    assert re.search(r"transaction %s \(producer \d+\) timed out" % tid2, logs)


SYNC_LAG_MS = 2000  # replica_lag_time_max_ms of test_sync_group_waits_for_the_isr


def test_sync_group_waits_for_the_isr():
    """SyncGroup is answered once the group's record (generation and
    assignment) is on every in-sync replica of its __consumer_offsets
    partition, as Kafka's storeGroup appends with acks=all: with a
    follower stopped, the assignment arrives only after that follower has
    left the ISR and the high watermark has passed the record."""
    from confluent_kafka import Consumer
    from confluent_kafka import TopicPartition as TP
    import signal
    node_yaml = ("replica_lag_time_max_ms: %d\nreplica_fetch_backoff_ms: 200\n"
                 "offsets_topic_num_partitions: 3\n" % SYNC_LAG_MS)
    with running_cluster("samsa-sync-", node_yaml) as cluster:
        boot = cluster.start(3)
        admin = KafkaAdminClient(bootstrap_servers=boot,
                                 request_timeout_ms=15000)
        admin.create_topics([NewTopic("sw", 1, 1)])
        admin.close()
        group = "sync-wait"
        coord = wait_for("a coordinator", lambda: find_coordinator(
            cluster.ports[1], group), timeout=30)
        p = partition_for(group, 3)

        def isr(where=boot):
            for line in kcat("-b", where, "-L", "-t",
                             "__consumer_offsets").splitlines():
                if line.strip().startswith("partition %d," % p):
                    return [int(x) for x in
                            line.split("isrs:")[1].strip().split(",") if x]
            return []
        wait_for("the offsets partition's full ISR", lambda: len(isr()) == 3,
                 timeout=30)
        follower = next(i for i in (1, 2, 3) if i != coord)
        with open(os.path.join(cluster.env["SAMSA_CLUSTER_DIR"],
                               "node%d" % follower, "samsad.pid")) as f:
            pid = int(f.read())
        hw_boot = "127.0.0.1:%d" % cluster.ports[coord]

        def hw():
            c = Consumer({"bootstrap.servers": hw_boot, "group.id": "hw"})
            try:
                return c.get_watermark_offsets(TP("__consumer_offsets", p),
                                               10)[1]
            finally:
                c.close()
        before = hw()
        os.kill(pid, signal.SIGSTOP)
        try:
            assigned = []
            c = Consumer({"bootstrap.servers": hw_boot, "group.id": group,
                          "session.timeout.ms": 30000})
            c.subscribe(["sw"], on_assign=lambda c, ps: assigned.append(1))
            t0 = time.monotonic()
            deadline = t0 + 40
            while not assigned and time.monotonic() < deadline:
                c.poll(0.1)
            waited = time.monotonic() - t0
            assert assigned, "no assignment in 40 s"
            # The group's record went out only once the stopped follower
            # left the ISR: the high watermark has passed it.
            assert hw() > before, (before, waited)
            # The leader moved on with its new ISR as soon as the controller
            # committed it; a node's Metadata shows it once that node applied
            # the record: wait for that, briefly. Ask the leader, not the
            # whole bootstrap: the stopped node would never answer.
            wait_for("the stopped follower out of the ISR in Metadata",
                     lambda: follower not in isr(hw_boot), timeout=10)
            print("SyncGroup answered %.1f s after the subscribe" % waited)
            c.close()
        finally:
            os.kill(pid, signal.SIGCONT)


def join_sync(port, group, member):
    """JoinGroup v1 then SyncGroup v0 as the group's only member (its
    leader): (member id, generation) once both answered without error."""
    proto = str16("range") + struct.pack(">i", 0)
    body = str16(group) + struct.pack(">ii", 10000, 10000) + str16(member)
    body += str16("consumer") + struct.pack(">i", 1) + proto
    resp = raw_request(port, 11, 1, body, flexible=False)
    err, gen = struct.unpack(">hi", resp[:6])
    assert err == 0, err
    off = 6
    for _ in range(2):  # protocol name, leader
        off += 2 + struct.unpack(">h", resp[off:off + 2])[0]
    n = struct.unpack(">h", resp[off:off + 2])[0]
    member = resp[off + 2:off + 2 + n].decode()
    body = str16(group) + struct.pack(">i", gen) + str16(member)
    body += struct.pack(">i", 1) + str16(member) + struct.pack(">i", 0)
    resp = raw_request(port, 14, 0, body, flexible=False)
    assert struct.unpack(">h", resp[:2])[0] == 0, resp
    return member, gen


def test_commits_on_an_isr_of_one_are_answered_at_once():
    """A coordinator's own append moves the high watermark at once when
    its partition's ISR is the leader alone, as a produce does (core/log's
    append hook into core/replica), not on the ISR thread's next round
    (every 250 ms): twenty OffsetCommits in a row, the offsets partition's
    follower stopped and out of the ISR, take well under a round each
    (about 5 s in all without the hook, a few tenths with it). The
    committed topic's only replica is the other broker: the coordinator
    knows it from the metadata image, not from its own logs. The same for
    twenty rebalances (JoinGroup, then SyncGroup, which waits for the
    group's record), and, with the __transaction_state partition's
    follower stopped, for twenty transactions (AddPartitionsToTxn and
    EndTxn wait for the transaction log's records)."""
    from confluent_kafka import Consumer, KafkaException
    from confluent_kafka import TopicPartition as TP
    import signal
    from confluent_kafka import Producer
    node_yaml = ("replica_lag_time_max_ms: %d\nreplica_fetch_backoff_ms: 200\n"
                 "offsets_topic_num_partitions: 1\n"
                 "transaction_state_log_num_partitions: 1\n" % SYNC_LAG_MS)
    with running_cluster("samsa-isr1-", node_yaml) as cluster:
        # Two brokers (the offsets topic gets RF=2) and a controller-only
        # node, so the quorum outlives the stopped follower.
        cluster.env["SAMSA_CLUSTER_ROLES"] = "controller broker broker"
        boot = cluster.dev("start", "3").strip().splitlines()[-1]
        with open(os.path.join(cluster.env["SAMSA_CLUSTER_DIR"],
                               "cluster.env")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                if key.startswith("PORT_"):
                    cluster.ports[int(key[5:])] = int(value)
        group = "isr-of-one"
        coord = find_coordinator(cluster.ports[2], group)
        follower = 5 - coord  # the other broker (2 or 3)
        # On the other broker only: the coordinator takes commits for
        # partitions it hosts no replica of (Kafka's metadata cache).
        admin = KafkaAdminClient(bootstrap_servers=boot,
                                 request_timeout_ms=15000)
        admin.create_topics([NewTopic("one", -1, -1,
                                      replica_assignments={0: [follower]})])
        admin.close()
        coord_boot = "127.0.0.1:%d" % cluster.ports[coord]

        def isr(topic="__consumer_offsets", boot=coord_boot):
            for line in kcat("-b", boot, "-L", "-t", topic).splitlines():
                if line.strip().startswith("partition 0,"):
                    return sorted(int(x) for x in
                                  line.split("isrs:")[1].split(",") if x)
            return []
        wait_for("the offsets partition's full ISR",
                 lambda: isr() == [2, 3], timeout=30)
        c = Consumer({"bootstrap.servers": coord_boot, "group.id": group,
                      "enable.auto.commit": False})

        def first_commit():  # once the coordinator's image has "one"
            try:
                c.commit(offsets=[TP("one", 0, 0)], asynchronous=False)
                return True
            except KafkaException:
                return False
        wait_for("a first commit", first_commit, timeout=30)
        with open(os.path.join(cluster.env["SAMSA_CLUSTER_DIR"],
                               "node%d" % follower, "samsad.pid")) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGSTOP)
        try:
            wait_for("the ISR shrunk to the leader",
                     lambda: isr() == [coord], timeout=30)
            t0 = time.monotonic()
            for n in range(1, 21):
                c.commit(offsets=[TP("one", 0, n)], asynchronous=False)
            took = time.monotonic() - t0
            print("20 OffsetCommits on an ISR of one: %.3f s" % took)
            assert took < 2.5, took
            got = c.committed([TP("one", 0)], timeout=10)
            assert got[0].offset == 20
            t0 = time.monotonic()
            member, gen0 = "", None
            for n in range(20):
                member, gen = join_sync(cluster.ports[coord], "isr-sync",
                                        member)
                gen0 = gen if gen0 is None else gen0
            took = time.monotonic() - t0
            print("20 JoinGroup+SyncGroup on an ISR of one: %.3f s" % took)
            assert gen == gen0 + 19  # each a rebalance with its record
            assert took < 2.5, took
        finally:
            os.kill(pid, signal.SIGCONT)
            c.close()

        # The transaction coordinator: the leader of __transaction_state's
        # one partition, with the other broker stopped.
        tid = "isr-of-one-txn"
        wait_for("a transaction coordinator", lambda: find_coordinator_v1(
            cluster.ports[2], tid, 1)[0] == 0, timeout=30)
        tc = find_coordinator(cluster.ports[2], tid, key_type=1)
        tc_boot = "127.0.0.1:%d" % cluster.ports[tc]
        wait_for("the state partition's full ISR", lambda: isr(
            "__transaction_state", tc_boot) == [2, 3], timeout=30)
        admin = KafkaAdminClient(bootstrap_servers=tc_boot,
                                 request_timeout_ms=15000)
        admin.create_topics([NewTopic("two", -1, -1,
                                      replica_assignments={0: [tc]})])
        admin.close()
        p = Producer({"bootstrap.servers": tc_boot, "transactional.id": tid})
        p.init_transactions(30)

        def txn(i):
            p.begin_transaction()
            p.produce("two", value=b"%d" % i, partition=0)
            p.commit_transaction(30)
        txn(0)  # librdkafka's first transaction waits on its own timers
        with open(os.path.join(cluster.env["SAMSA_CLUSTER_DIR"],
                               "node%d" % (5 - tc), "samsad.pid")) as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGSTOP)
        try:
            wait_for("the state partition's ISR shrunk to the leader",
                     lambda: isr("__transaction_state", tc_boot) == [tc],
                     timeout=30)
            t0 = time.monotonic()
            for i in range(1, 21):
                txn(i)
            took = time.monotonic() - t0
            print("20 transactions on an ISR of one: %.3f s" % took)
            assert took < 2.5, took
        finally:
            os.kill(pid, signal.SIGCONT)


# -- KIP-890: a partition leader verifies with a remote coordinator ---------

INVALID_TXN_STATE = 48


def str16(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def txn_produce(port, tid, topic, partition, batch):
    """Produce v3 (acks=all) with transactional id @tid: the error."""
    body = (str16(tid) + struct.pack(">hi", -1, 10000) + struct.pack(">i", 1)
            + str16(topic) + struct.pack(">i", 1)
            + struct.pack(">ii", partition, len(batch)) + batch)
    resp = raw_request(port, 0, 3, body, flexible=False)
    at = 4 + 2 + len(topic.encode()) + 4  # topics, name, partitions
    _, err = struct.unpack(">ih", resp[at:at + 6])
    return err


def add_partition_to_txn(port, tid, pid, epoch, topic, partition):
    """AddPartitionsToTxn v1 for one partition: its error."""
    body = (str16(tid) + struct.pack(">qh", pid, epoch) + struct.pack(">i", 1)
            + str16(topic) + struct.pack(">ii", 1, partition))
    resp = raw_request(port, 24, 1, body, flexible=False)
    return struct.unpack(">h", resp[-2:])[0]


def end_txn(port, tid, pid, epoch, commit):
    """EndTxn v1: the error."""
    body = str16(tid) + struct.pack(">qhb", pid, epoch, 1 if commit else 0)
    resp = raw_request(port, 26, 1, body, flexible=False)
    return struct.unpack(">ih", resp[:6])[1]


def end_offset(port, topic, partition, isolation):
    """ListOffsets v2 latest offset of one partition at @isolation (0 read
    uncommitted: the high watermark; 1 read committed: the LSO)."""
    body = (struct.pack(">ib", -1, isolation) + struct.pack(">i", 1)
            + str16(topic) + struct.pack(">iiq", 1, partition, -1))
    resp = raw_request(port, 2, 2, body, flexible=False)
    at = 4 + 4 + 2 + len(topic.encode()) + 4
    _, err, _, offset = struct.unpack(">ihqq", resp[at:at + 22])
    return offset if err == 0 else None


def test_transactional_writes_are_verified_with_a_remote_coordinator(cluster):
    """KIP-890 part 1: a partition leader asks the producer's transaction
    coordinator, on another broker, before it takes a transactional write
    for a partition not known to be in the transaction. A write for a
    partition never added, and a late write after the transaction was
    aborted, are refused with INVALID_TXN_STATE, so neither can open a
    transaction nobody closes (the LSO would stay behind for good)."""
    boot = cluster.start(3)
    leaders = create_led(boot, "verified", 3)
    tid = "kip890"

    def init_producer_id():
        # As clients do: ask the coordinator FindCoordinator names, again
        # while it is still taking up its state partition.
        coord = find_coordinator(cluster.ports[1], tid, key_type=1)
        body = str16(tid) + struct.pack(">i", 60000)
        resp = raw_request(cluster.ports[coord], 22, 1, body, flexible=False)
        _, err, pid, epoch = struct.unpack(">ihqh", resp[:16])
        return (coord, pid, epoch) if err == 0 else None
    coord, pid, epoch = wait_for("a producer id for " + tid, init_producer_id,
                                 timeout=30)
    part = [p for p, n in leaders.items() if n != coord][0]
    leader = cluster.ports[leaders[part]]
    cport = cluster.ports[coord]

    def batch(seq):
        return record_batch([b"v%d" % seq], pid, epoch, seq, attributes=0x10)

    # Never added to the transaction: refused, nothing written.
    assert txn_produce(leader, tid, "verified", part, batch(0)) == \
        INVALID_TXN_STATE
    assert end_offset(leader, "verified", part, 0) == 0

    # Added: taken, and the next batch too (remembered, no new question).
    assert add_partition_to_txn(cport, tid, pid, epoch, "verified",
                                part) == 0
    assert txn_produce(leader, tid, "verified", part, batch(0)) == 0
    assert txn_produce(leader, tid, "verified", part, batch(1)) == 0
    assert end_offset(leader, "verified", part, 1) == 0  # open: LSO held

    # Aborted: once the marker is written, a late write of the same epoch
    # (a retry arriving after the abort) is refused and the LSO moves on.
    assert end_txn(cport, tid, pid, epoch, commit=False) == 0
    wait_for("the abort marker", lambda: end_offset(
        leader, "verified", part, 1) == 3, timeout=30)
    assert txn_produce(leader, tid, "verified", part, batch(2)) == \
        INVALID_TXN_STATE
    assert end_offset(leader, "verified", part, 0) == 3
    assert end_offset(leader, "verified", part, 1) == 3


def test_end_txn_answers_once_the_markers_are_written(cluster):
    """In a cluster the coordinator's marker thread writes the markers
    (WriteTxnMarkers to the other leaders). EndTxn is answered once they
    are written, as one node answers: when commit_transaction returns the
    last stable offset of every partition is past its marker, and the next
    transaction's AddPartitionsToTxn finds the id complete rather than
    CONCURRENT_TRANSACTIONS (on which librdkafka backs off 20 ms; it did
    in about one transaction of three here before)."""
    import logging
    from confluent_kafka import Consumer, Producer
    from confluent_kafka import TopicPartition as TP
    boot = cluster.start(3)
    leaders = create_led(boot, "tx-lso", 8)
    assert len(set(leaders.values())) == 3, leaders  # on every broker

    class Lines(logging.Handler):
        def __init__(self):
            super().__init__()
            self.lines = []

        def emit(self, record):
            self.lines.append(record.getMessage())
    lines = Lines()
    log = logging.getLogger("tx-lso-rdkafka")
    log.setLevel(logging.DEBUG)
    log.addHandler(lines)
    p = Producer({"bootstrap.servers": boot, "transactional.id": "tx-lso",
                  "debug": "eos"}, logger=log)
    p.init_transactions(30)

    def txn():  # as tools/bench/txn_produce.py: 1,000 records
        p.begin_transaction()
        for i in range(1000):
            p.produce("tx-lso", b"v" * 100, partition=i % 8)
        p.commit_transaction(30)
    for _ in range(20):  # back to back
        txn()
    p.poll(0.5)  # the logger hears librdkafka's lines from poll
    assert any("EndTxn" in m for m in lines.lines), lines.lines[-5:]
    busy = [m for m in lines.lines if "concurrent" in m.lower()]
    assert not busy, busy[:3]
    c = Consumer({"bootstrap.servers": boot, "group.id": "tx-lso-check",
                  "isolation.level": "read_committed"})
    for n in range(21, 31):
        txn()
        # 125 records and one marker per partition and transaction.
        lso = [c.get_watermark_offsets(TP("tx-lso", i), timeout=10)[1]
               for i in range(8)]
        assert lso == [126 * n] * 8, (n, lso)
    c.close()


def test_a_marker_is_answered_once_its_replicas_have_it(cluster):
    """WriteTxnMarkers appends with acks=-1, as Kafka's: with the
    partition's follower stopped the answer waits (the coordinator logs
    Complete* only after it, so a leader lost before its followers copied
    the marker cannot leave the transaction open there), and it comes,
    without error, once the follower has fetched the marker."""
    import signal
    import socket
    boot = cluster.start(3)
    admin = KafkaAdminClient(bootstrap_servers=boot, request_timeout_ms=15000)
    admin.create_topics([NewTopic("mk", 1, 2)])
    admin.close()

    def replicas():
        for line in kcat("-b", boot, "-L", "-t", "mk").splitlines():
            if line.strip().startswith("partition 0,"):
                w = line.replace(",", " ").split()
                isr = [int(x) for x in line.split("isrs:")[1].split(",") if x]
                preferred = int(line.split("replicas:")[1].split(",")[0])
                return int(w[3]), isr, preferred
        return None
    # Led by its preferred replica: else the controller's leader balance
    # may move it during the check below, and the wait ends early with
    # NOT_LEADER_OR_FOLLOWER (the wait is tied to the leader epoch).
    leader, isr, _ = wait_for("mk's full ISR, preferred leader", lambda: (
        lambda r: r if r and r[0] > 0 and len(r[1]) == 2 and r[0] == r[2]
        else None)(replicas()), timeout=30)
    follower = next(i for i in isr if i != leader)
    # A record through both replicas first: the leader follows its
    # follower's fetches (its own view of the ISR) before the marker.
    produce_all(boot, "mk", ["k"])
    with open(os.path.join(cluster.env["SAMSA_CLUSTER_DIR"],
                           "node%d" % follower, "samsad.pid")) as f:
        pid = int(f.read())
    # WriteTxnMarkers v0: an abort marker of producer 424242, epoch 0.
    body = (struct.pack(">iqhb", 1, 424242, 0, 0) + struct.pack(">i", 1)
            + str16("mk") + struct.pack(">ii", 1, 0) + struct.pack(">i", 0))
    msg = struct.pack(">hhi", 27, 0, 9) + str16("test") + body
    seg = os.path.join(cluster.env["SAMSA_CLUSTER_DIR"], "node%d" % follower,
                       "data", "mk-0", "00000000000000000000.log")
    s = socket.create_connection(("127.0.0.1", cluster.ports[leader]), 10)
    os.kill(pid, signal.SIGSTOP)
    try:
        before = os.path.getsize(seg)
        s.sendall(struct.pack(">i", len(msg)) + msg)
        s.settimeout(1.0)
        try:
            early = s.recv(4)
        except socket.timeout:
            early = None
        # An answer now is right only if the follower has the marker: its
        # log grew (it fetched the marker before the stop took hold; seen
        # in about 1 run in 4 on a loaded machine, cause not pinned down).
        assert early is None or os.path.getsize(seg) > before, (
            "answered while the stopped follower lacks the marker",
            early + s.recv(100))
    finally:
        os.kill(pid, signal.SIGCONT)
    s.settimeout(15)
    size = struct.unpack(">i", early or s.recv(4, socket.MSG_WAITALL))[0]
    data = s.recv(size, socket.MSG_WAITALL)
    s.close()
    # correlation id, markers [producer id, topics [name, partitions
    # [index, error]]]
    at = 4 + 4 + 8 + 4 + 2 + 2 + 4
    index, err = struct.unpack(">ih", data[at:at + 6])
    assert (index, err) == (0, 0)
    assert end_offset(cluster.ports[leader], "mk", 0, 0) == 2  # the marker
