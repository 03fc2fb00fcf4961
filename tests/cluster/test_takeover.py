# SPDX-License-Identifier: Apache-2.0
"""Leadership handovers as clients see them (found by the failover
benchmark, issue 13's "stalled acks"): a Produce that reaches a new
leader while it takes the leadership over waits for the takeover rather
than being refused; a node restarted after kill -9 names no leader of
the past in its Metadata while it replays the metadata log; a new leader
whose high watermark lags the start of its epoch answers ListOffsets
LATEST with OFFSET_NOT_AVAILABLE, as Kafka's, not with an end behind
acknowledged records.

A broker's handlers see each committed metadata image at once; its
applier thread takes the leaderships the image gives it a moment later
(a leader-epoch checkpoint written and synced per partition). In that
window the broker's own Metadata named it the leader while its Produce
answered LEADER_NOT_AVAILABLE. An idempotent producer's pipeline could
then be split: the first batch refused, the next one (handled after the
takeover) refused with OUT_OF_ORDER_SEQUENCE_NUMBER, which librdkafka
before 2.3.0 (Debian 12 ships 2.0.2) takes as fatal after a leader
died under it (its #4438). Here: many partitions move to one broker at
once (a controlled shutdown of their leader), so the last one's
takeover waits behind the others'; a produce sent to the new leader as
soon as its Metadata names it must be answered OK.
"""
import struct
import time

from confluent_kafka import Producer
from confluent_kafka.admin import (AdminClient, ConfigResource, NewTopic)

from checker import produce_raw, replica_batches
from faults import create_rf3, wait_full_isr, wait_new_leader
from nodes import _request, deadline_wait

PARTITIONS = 16  # the last one's takeover waits for 15 others'


def test_produce_during_takeover_waits_for_it(nodes):
    nodes.start()
    ctl = nodes.controller()
    old, new = [i for i in nodes.live() if i != ctl][:2]
    admin = AdminClient({"bootstrap.servers": nodes.bootstrap()})
    admin.create_topics([NewTopic("tk", PARTITIONS, replica_assignment=[
        [old, new, ctl]] * PARTITIONS)])["tk"].result(30)
    for i in nodes.live():
        wait_full_isr(nodes, "tk", i, PARTITIONS, timeout=30)
    last = PARTITIONS - 1
    nd = nodes[new]
    nodes[old].signal(15)  # SIGTERM: a controlled shutdown
    t0 = time.monotonic()
    deadline_wait("node %d naming itself leader of tk-%d" % (new, last),
                  lambda: nd.metadata(["tk"])["topics"]["tk"][last][0] == new,
                  timeout=30, every=0.001)
    t_led = time.monotonic()
    err = produce_raw(nd.host, nd.port, "tk", last, "k", acks=1)
    t_acked = time.monotonic()
    print("leader in node %d's metadata after %.3f s, produce answered %s "
          "%.3f s later" % (new, t_led - t0, err, t_acked - t_led))
    assert err == 0, ("node %d named itself leader of tk-%d, then refused "
                      "a produce to it with error %s" % (new, last, err))


def test_restarted_node_names_no_stale_leader(nodes):
    """A node restarted after kill -9 replays the metadata log: until it
    caught up, its image names the leaders of the past, itself among
    them (another node took its partitions over meanwhile). Its Metadata
    must not send clients there: LEADER_NOT_AVAILABLE (ask again) until
    it knows the current leader."""
    nodes.start()
    create_rf3(nodes, "rs", partitions=1)
    ask = nodes.live()[0]
    old = nodes.partitions("rs", ask)[0][0]
    other = next(i for i in nodes.live() if i != old)
    nodes[old].kill9()
    new = wait_new_leader(nodes, "rs", 0, old, other, 30)
    nodes[old].launch()
    named = []

    def knows_new():
        try:
            t = nodes[old].metadata(["rs"], timeout=2)["topics"].get("rs")
        except OSError:
            return False  # not listening yet
        leader = t[0][0] if isinstance(t, dict) and 0 in t else None
        named.append(leader)
        return leader == new
    deadline_wait("restarted node %d naming leader %d" % (old, new),
                  knows_new, timeout=30, every=0.001)
    stale = [n for n in named if n is not None and n != new]
    assert not stale, ("restarted node %d named leader %s of rs-0 in %d of "
                       "%d answers before naming %d" % (
                           old, sorted(set(stale)), len(stale), len(named),
                           new))


def list_latest(nd, topic, partition):
    """ListOffsets v2 (LATEST) of one partition, asked of one node:
    (error code, offset)."""
    t = topic.encode()
    body = struct.pack(">ibi", -1, 0, 1) + struct.pack(">h", len(t)) + t
    body += struct.pack(">iiq", 1, partition, -1)
    data = _request(nd.host, nd.port, 2, 2, body)
    off = 4 + 4  # throttle, topics
    (n,) = struct.unpack_from(">h", data, off)
    off += 2 + n + 4  # name, partitions
    _, err, _, offset = struct.unpack_from(">ihqq", data, off)
    return err, offset


def test_lagging_new_leader_answers_offset_not_available(nodes):
    """The ISR's slowest member (a follower throttled to 1 kB/s) holds
    the high watermark back while the other follower has every record;
    the leader dies; that follower leads from its log end, its watermark
    still the old one until the throttled member catches up. Its
    ListOffsets LATEST must not be that watermark (the checker took one
    for a lost acknowledged record): OFFSET_NOT_AVAILABLE, retriable."""
    nodes.start()
    ctl = nodes.controller()
    old, new = [i for i in nodes.live() if i != ctl][:2]
    admin = AdminClient({"bootstrap.servers": nodes.bootstrap()})
    admin.create_topics([NewTopic("lag", 1, replica_assignment=[
        [old, new, ctl]], config={
            "follower.replication.throttled.replicas": "0:%d" % ctl})])[
                "lag"].result(30)
    admin.alter_configs([ConfigResource(ConfigResource.Type.BROKER,
                                        str(ctl), set_config={
        "follower.replication.throttled.rate": "1000"})])[
            ConfigResource(ConfigResource.Type.BROKER, str(ctl))].result(30)
    for i in nodes.live():
        wait_full_isr(nodes, "lag", i, 1, timeout=30)
    p = Producer({"bootstrap.servers": nodes[old].addr, "acks": "1",
                  "linger.ms": 20})
    n = 3000  # 3 MB: past the one fetch a throttled follower gets
    for k in range(n):
        p.produce("lag", value=b"x" * 1000, partition=0)
        if k % 500 == 0:
            p.poll(0)
    assert p.flush(30) == 0
    deadline_wait("node %d holding all %d records" % (new, n), lambda: (
        lambda b: b and b[-1][1] == n - 1)(
            replica_batches(nodes[new].data, "lag", 0)), timeout=30)
    nodes[old].kill9()
    leader = wait_new_leader(nodes, "lag", 0, old, new, 30)
    assert leader == new, "the ISR's first live replica leads"
    err, offset = list_latest(nodes[new], "lag", 0)
    assert (err, offset) == (78, -1), (
        "new leader %d answered ListOffsets LATEST with error %d, offset %d "
        "(its log ends at %d)" % (new, err, offset, n))
