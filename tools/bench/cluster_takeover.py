#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark (issue 13): a large takeover on three local nodes.

    tools/bench/cluster_takeover.py [--build DIR] [--partitions 1000]
                                    [--rounds 3] [--keep]

One topic of --partitions partitions, RF=3 (min.insync.replicas 2),
preferred leaders spread over the three nodes (tests/cluster/nodes.py,
default broker timing: heartbeat 2000 ms, session 9000 ms, the session
probe on). Each round kills -9 a node that is not the controller (so no
Raft election comes first) and measures, for the partitions it led:

- fenced: from the kill to the first live node naming new leaders for
  them (the controller's probe fences the dead broker; the same in both
  builds);
- takeover: from the kill until every one of them took a record with
  acks=all (a librdkafka producer sends one to each as soon as the kill
  is done; the client retries until the new leader serves);
- broker: on each new leader, how long writing the leader-epoch
  checkpoints took: its "taking over N partitions ... in M ms" lines,
  or (a build writing them one by one, with no such line) from its first
  "replica: leader of" line of that epoch to its last.

The killed node restarts, rejoins every ISR, and a preferred election
gives it its partitions back between rounds. Prints one line per round
and a summary.
"""
import argparse
import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "cluster"))

from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

import nodes  # noqa: E402

TOPIC = "takeover"


def all_led(cluster, count, ask, avoid=None):
    p = cluster.partitions(TOPIC, ask)
    return len(p) == count and all(
        v[0] >= 0 and v[0] != avoid for v in p.values())


def full_isr(cluster, count):
    for i in cluster.live():
        p = cluster.partitions(TOPIC, i)
        if len(p) != count or any(len(v[2]) != 3 for v in p.values()):
            return False
    return True


def preferred(cluster, cli, count):
    subprocess.run([cli, "cluster", "elect", "--topic", TOPIC],
                   env=dict(os.environ, SAMSA_BOOTSTRAP=cluster.bootstrap()),
                   check=True, capture_output=True, timeout=120)
    nodes.deadline_wait("preferred leaders", lambda: all(
        leader == replicas[0] for leader, replicas, _ in
        cluster.partitions(TOPIC, cluster.live()[0]).values()), 120)


def leader_lines(node, since, parts):
    """Times of the "replica: leader of takeover-N" lines of partitions
    @parts logged after @since (wall clock, seconds)."""
    out = []
    with open(node.log, errors="replace") as f:
        for line in f:
            m = re.match(r"(\S+Z) INFO  replica: leader of %s-(\d+) " % TOPIC,
                         line)
            if not m or int(m.group(2)) not in parts:
                continue
            t = datetime.datetime.strptime(
                m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=datetime.timezone.utc).timestamp()
            if t >= since:
                out.append(t)
    return out


def batch_ms(node, since):
    """The "taking over N partitions: ... written in M ms" lines logged
    after @since (the checkpoints written together), summed; None when
    there is none (a build that writes them one by one)."""
    total = None
    with open(node.log, errors="replace") as f:
        for line in f:
            m = re.match(r"(\S+Z) INFO  replica: taking over \d+ partitions: "
                         r".* in (\d+) ms", line)
            if m and datetime.datetime.strptime(
                    m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                        tzinfo=datetime.timezone.utc).timestamp() >= since:
                total = (total or 0) + int(m.group(2))
    return total


def one_round(cluster, count, victim):
    survivors = [i for i in cluster.live() if i != victim]
    parts = nodes.deadline_wait("the leaders", lambda: (
        lambda p: p if len(p) == count else None)(
            cluster.partitions(TOPIC, survivors[0])), 60)
    mine = sorted(p for p, v in parts.items() if v[0] == victim)
    if not mine:
        sys.exit("node %d leads nothing" % victim)
    prod = Producer({"bootstrap.servers": cluster.bootstrap(survivors),
                     "acks": "all", "linger.ms": 0,
                     "message.timeout.ms": 120000})
    prod.list_topics(TOPIC, timeout=30)
    acked = {}

    def report(err, msg):
        if err is None:
            acked[msg.partition()] = time.monotonic()

    wall = time.time()
    t_kill = time.monotonic()
    cluster[victim].kill9()
    for p in mine:
        prod.produce(TOPIC, b"x", partition=p, on_delivery=report)
    fenced = None
    end = time.monotonic() + 120
    while len(acked) < len(mine) and time.monotonic() < end:
        prod.poll(0.01)
        if fenced is None and all_led(cluster, count, survivors[0], victim):
            fenced = time.monotonic() - t_kill
    prod.flush(10)
    if len(acked) < len(mine):
        sys.exit("only %d of %d partitions took a record" % (len(acked),
                                                            len(mine)))
    takeover = max(acked.values()) - t_kill
    broker = {}
    for i in survivors:
        ts = leader_lines(cluster[i], wall, set(mine))
        batch = batch_ms(cluster[i], wall)
        if ts:
            broker[i] = (len(ts), max(ts) - min(ts) if batch is None
                         else batch / 1000.0)
    return len(mine), fenced, takeover, broker


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--partitions", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    nodes.SAMSAD = os.path.join(os.path.abspath(a.build), "core", "samsad")
    cli = os.path.join(a.build, "tools", "cli", "samsa")
    work = tempfile.mkdtemp(prefix="samsa-bench-takeover-")
    cluster = nodes.Cluster(work, session_ms=None)
    rows = []
    try:
        cluster.start()
        admin = AdminClient({"bootstrap.servers": cluster.bootstrap()})
        admin.create_topics([NewTopic(TOPIC, a.partitions, 3, config={
            "min.insync.replicas": "2"})])[TOPIC].result(120)
        nodes.deadline_wait("every partition led", lambda: all(
            all_led(cluster, a.partitions, i) for i in cluster.live()), 300)
        nodes.deadline_wait("full ISRs", lambda: full_isr(cluster,
                                                          a.partitions), 300)
        preferred(cluster, cli, a.partitions)
        for r in range(a.rounds):
            ctl = cluster.controller(cluster.live()[0])
            others = [i for i in cluster.live() if i != ctl]
            victim = others[r % len(others)]
            n, fenced, takeover, broker = one_round(cluster, a.partitions,
                                                    victim)
            rows.append((n, fenced, takeover, broker))
            print("round %d: node %d killed, %d partitions: new leaders in "
                  "metadata after %.2f s, every one took a record after "
                  "%.2f s; broker side: %s" % (
                      r + 1, victim, n, fenced or -1, takeover,
                      ", ".join("node %d %d leaderships in %.2f s" % (
                          i, k, d) for i, (k, d) in sorted(broker.items()))),
                  flush=True)
            cluster.restart(victim)
            nodes.deadline_wait("full ISRs", lambda: full_isr(
                cluster, a.partitions), 300)
            preferred(cluster, cli, a.partitions)
    finally:
        cluster.stop()
        if a.keep:
            print("node directories kept in", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if rows:
        print()
        print("takeover of ~%d partitions, kill -9 to every one acked, s: "
              "median %.2f (%s)" % (
                  rows[0][0], statistics.median(r[2] for r in rows),
                  ", ".join("%.2f" % r[2] for r in rows)))
        print("kill -9 to new leaders in metadata, s: %s" % ", ".join(
            "%.2f" % (r[1] or -1) for r in rows))
        print("broker side, first to last leadership line per new leader, "
              "s: %s" % ", ".join("%.2f" % d for r in rows
                                   for _, d in r[3].values()))


if __name__ == "__main__":
    main()
