# SPDX-License-Identifier: Apache-2.0
"""What the fault tests share: the cluster started with a topic under
acks=all load from both producers (under_load), and the waits on leaders
and ISRs, each as one chosen node sees them. Every wait is bounded."""
import contextlib

from confluent_kafka.admin import AdminClient, NewTopic

from checker import (AckLog, FranzLoad, RdkafkaLoad, replica_batches,
                     verify)
from nodes import deadline_wait

PARTITIONS = 3


class Run:
    def __init__(self):
        self.log = AckLog()
        # Keys written to a deposed leader and never acknowledged: the
        # end check wants them absent (truncated).
        self.absent = []


@contextlib.contextmanager
def under_load(cluster, topic, rf=3):
    """Starts the nodes, creates @topic (RF=@rf; RF=3 with
    min.insync.replicas=2 and the full ISR on every node) and the two
    producers; yields a Run once every partition has 100 acks. On a clean
    exit: stops the producers, checks every acknowledged record (and, at
    RF=3, that every replica holds the same batches)."""
    cluster.start()
    if rf == 3:
        create_rf3(cluster, topic)
    else:
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap()})
        admin.create_topics([NewTopic(topic, PARTITIONS, rf)])[topic] \
            .result(30)
        for i in cluster.live():
            deadline_wait("node %d: %s led" % (i, topic), lambda: (
                lambda p: len(p) == PARTITIONS and all(
                    v[0] > 0 for v in p.values()))(
                        cluster.partitions(topic, i)), timeout=20)
    run = Run()
    loads = start_load(cluster, topic, run.log)
    try:
        wait_acks(run.log, 100)
        yield run
    except Exception as e:
        # The test failed: say also whether acknowledged writes were lost
        # (the likelier root cause when they were).
        stop_load(loads)
        try:
            verify(cluster.bootstrap(), topic, PARTITIONS, run.log,
                   timeout=30, absent=run.absent)
        except Exception as v:  # noqa: BLE001 (reported with the failure)
            raise AssertionError("%s\n... and the end check: %s" % (e, v))
        raise
    errors = stop_load(loads)
    # What was acknowledged is checked even when a producer failed: a
    # client's fatal error may come from a lost write.
    print(verify(cluster.bootstrap(), topic, PARTITIONS, run.log,
                 timeout=60, absent=run.absent))
    if rf == 3:
        wait_replicas_equal(cluster, topic)
    assert not errors, "producers failed: %s" % "; ".join(errors)


def create_rf3(cluster, topic, partitions=PARTITIONS, ask=None):
    """RF=3, min.insync.replicas=2; returns once node @ask (default: every
    live node) shows each partition with a leader and all three replicas
    in the ISR."""
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap(
        cluster.live())})
    admin.create_topics([NewTopic(topic, partitions, 3, config={
        "min.insync.replicas": "2"})])[topic].result(30)
    for i in ([ask] if ask else cluster.live()):
        wait_full_isr(cluster, topic, i, partitions, timeout=30)


def wait_full_isr(cluster, topic, ask, partitions=PARTITIONS, timeout=30,
                  members=(1, 2, 3)):
    """Node @ask shows every partition led by a live node with all of
    @members in its ISR."""
    def full():
        parts = cluster.partitions(topic, ask)
        if len(parts) != partitions:
            return None
        for leader, _, isr in parts.values():
            if leader not in cluster.live() or sorted(isr) != list(members):
                return None
        return parts
    def show():
        # What each node logged last: a CI failure leaves nothing else.
        logs = "".join("\n--- node %d ---\n%s" % (i, n.log_tail(25))
                       for i, n in sorted(cluster.nodes.items()))
        return "%r%s" % (cluster.partitions(topic, ask), logs)
    return deadline_wait("node %d: %s led, ISR %s" % (ask, topic,
                                                       list(members)),
                         full, timeout, show=show)


def wait_isr_everywhere(cluster, topic, timeout=30):
    """Every live node shows every partition with the full ISR."""
    for i in cluster.live():
        wait_full_isr(cluster, topic, i, timeout=timeout)


def create_led_by_survivors(cluster, topic, alive):
    """After a kill: @topic (2 partitions, RF 2) created through the
    survivors @alive, and every survivor shows each partition led by one
    of them (metadata changes go on without the dead node)."""
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap(alive)})
    admin.create_topics([NewTopic(topic, 2, 2)])[topic].result(30)
    for i in alive:
        deadline_wait("node %d: %s led" % (i, topic), lambda: (
            lambda p: len(p) == 2 and all(
                v[0] in alive for v in p.values()))(
                    cluster.partitions(topic, i)), timeout=20)


def wait_new_leader(cluster, topic, partition, old, ask, timeout):
    """Node @ask names a leader of @partition other than @old."""
    return deadline_wait(
        "node %d: a leader of %s-%d other than %d" % (ask, topic, partition,
                                                       old),
        lambda: (lambda p: p[0] if p and p[0] not in (-1, old) else None)(
            cluster.partitions(topic, ask).get(partition)), timeout)


def start_load(cluster, topic, log, rate=300, ids=None):
    boot = cluster.bootstrap(ids)
    return [RdkafkaLoad(boot, topic, PARTITIONS, log, rate=rate).start(),
            FranzLoad(boot, topic, PARTITIONS, log, rate=rate)]


def stop_load(loads):
    """Stops every producer; the errors of those that failed (a client's
    fatal error, say), as text."""
    errors = []
    for load in loads:
        try:
            load.stop()
        except Exception as e:  # noqa: BLE001 (reported by under_load)
            errors.append(str(e))
    return errors


def wait_acks(log, count, timeout=30, after=None):
    """At least @count new acknowledgements on every partition."""
    def enough():
        return all(log.count(p, after) >= count for p in range(PARTITIONS))
    deadline_wait("%d acknowledgements on every partition" % count, enough,
                  timeout)


def wait_replicas_equal(cluster, topic, timeout=30):
    """Every replica of every partition holds the same batches (offsets
    and CRCs) on disk: the followers truncated what was never committed
    and caught up."""
    def equal():
        for p in range(PARTITIONS):
            logs = {i: replica_batches(nd.data, topic, p)
                    for i, nd in cluster.nodes.items()}
            if None in logs.values() or len(
                    {tuple(v) for v in logs.values()}) != 1:
                return None
        return True
    try:
        deadline_wait("identical replicas of %s" % topic, equal, timeout)
    except AssertionError:
        detail = []
        for p in range(PARTITIONS):
            for i, nd in cluster.nodes.items():
                b = replica_batches(nd.data, topic, p)
                detail.append("  %s-%d on node %d: %s" % (
                    topic, p, i, "no replica" if b is None else
                    "%d batches, last %s" % (len(b), b[-1:] or "-")))
        raise AssertionError("replicas differ after %d s:\n%s"
                             % (timeout, "\n".join(detail)))


def pick_partition(cluster, topic, ask, avoid_controller=True):
    """(partition, leader): one led by a node that is not the controller
    when there is one (a partition fault, not a quorum fault too)."""
    parts = cluster.partitions(topic, ask)
    ctl = cluster.controller(ask)
    for p, (leader, _, _) in sorted(parts.items()):
        if not avoid_controller or leader != ctl:
            return p, leader
    return 0, parts[0][0]

