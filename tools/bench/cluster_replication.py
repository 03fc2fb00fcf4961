#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark (issue 13): replication on three local nodes.

    tools/bench/cluster_replication.py [--build DIR] [--count N]
                                       [--rounds R] [--failovers F]
                                       [--failovers-only]
                                       [--controller | --not-controller]
                                       [--no-rebalance] [--keep]

- Throughput: RF=3 (min.insync.replicas=2) acks=all produce as a ratio of
  RF=1 acks=all produce, same three nodes, same run, rounds alternating;
  N 100-byte records over 3 partitions (one led by each node) per round,
  with tests/integration/rdkafka_roundtrip -P (librdkafka, linger 5 ms).
  Target: ratio >= 0.5 (median of the rounds).
- Latency: produce p50/p99 at a fixed 2,000 records/s for 10 s, acks=all,
  one partition, RF=3 and RF=1 (rdkafka_roundtrip -r: from the intended
  send time to the delivery report, so a stalled client counts).
- Failover with the broker's default settings (no timing keys in the
  node configs: broker_session_timeout_ms 9000, heartbeat 2000): an
  idempotent acks=all librdkafka producer at 500 records/s into an RF=3
  topic; kill -9 of a partition leader; the time from the last
  acknowledgement on that partition before the kill to the first after
  (the longest pause between acknowledgements from the last before the
  kill to the first after the new leader shows in metadata, so acks the
  dead leader sent just before it died do not hide the failover).
  The controller probes a broker whose heartbeat is overdue by half an
  interval (broker_session_probe_enable): the dead one's port refuses, so
  it is fenced 1.5 heartbeat intervals (3 s) after its last heartbeat at
  most, and a new leader comes from the ISR at once; then the client's
  metadata refresh and retry. Without the probe (or when the host does
  not answer at all) broker_session_timeout_ms bounds it. Target: < 10 s.
  When the killed leader is also the controller (every node is a voter
  here), a Raft election comes first; the new controller counts the old
  one's session from its last Raft heartbeat (samsa_meta_session_start)
  and probes it at once if that is 3 s ago; those runs are marked *.
  Each node's leader is killed in turn
  (--controller: always the partition the controller leads;
  --not-controller: always one another node leads);
  the killed node restarts and rejoins the ISR between failovers and a
  preferred election gives every node one partition to lead again
  (--no-rebalance: not; see preferred_leaders); every
  acknowledged record is checked at the end (tests/cluster/checker.py).

Prints one line per measurement and the figures side by side.
"""
import argparse
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

from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

import nodes  # noqa: E402
from checker import AckLog, RdkafkaLoad, verify  # noqa: E402
from faults import wait_full_isr  # noqa: E402

PARTITIONS = 3


def create(cluster, name, rf):
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap()})
    cfg = {"min.insync.replicas": "2"} if rf == 3 else {}
    admin.create_topics([NewTopic(name, PARTITIONS, rf, config=cfg)])[name] \
        .result(30)
    if rf == 3:
        for i in cluster.live():
            wait_full_isr(cluster, name, i, timeout=60)
    else:
        for i in cluster.live():
            nodes.deadline_wait("%s led" % name, lambda: (
                lambda p: len(p) == PARTITIONS and all(
                    v[0] > 0 for v in p.values()))(
                        cluster.partitions(name, i)), 30)


def roundtrip(client, args):
    out = subprocess.run([client] + args, capture_output=True, text=True,
                         timeout=900)
    if out.returncode != 0:
        sys.exit("client failed: %s\n%s" % (" ".join(args), out.stderr[-2000:]))
    res = {}
    for line in out.stdout.splitlines():
        m = re.match(r"produce: (\d+) msgs.* ([\d.]+) msgs/s, ([\d.]+) MB/s",
                     line)
        if m:
            res["produce"] = float(m.group(2))
        m = re.match(r"latency: .* p50 ([\d.]+) ms, p99 ([\d.]+) ms", line)
        if m:
            res["latency"] = (float(m.group(1)), float(m.group(2)))
    return res


def throughput(cluster, client, a):
    ratios, per = [], {1: [], 3: []}
    for r in range(a.rounds):
        got = {}
        order = (1, 3) if r % 2 == 0 else (3, 1)
        for rf in order:
            topic = "tp-rf%d-%d" % (rf, r)
            create(cluster, topic, rf)
            got[rf] = roundtrip(client, [
                "-b", cluster.bootstrap(), "-t", topic, "-p", str(PARTITIONS),
                "-n", str(a.count), "-s", "100", "-a", "all", "-P"])["produce"]
            per[rf].append(got[rf])
        ratios.append(got[3] / got[1])
        print("round %d: RF=1 %.0f msgs/s, RF=3 %.0f msgs/s, ratio %.2f"
              % (r + 1, got[1], got[3], ratios[-1]), flush=True)
    return per, ratios


def latency(cluster, client, rf, r):
    topic = "lat-rf%d-%d" % (rf, r)
    create(cluster, topic, rf)
    # One partition: rdkafka_roundtrip's warm-up record opens the one
    # connection the measured records use.
    return roundtrip(client, ["-b", cluster.bootstrap(), "-t", topic, "-p",
                              "1", "-n", "20000", "-s", "100", "-a", "all",
                              "-r", "2000", "-P"])["latency"]


def preferred_leaders(cluster, cli):
    """Back to one partition led by each node (as auto leader rebalance
    does after leader_imbalance_check_interval_seconds): the producer then
    has a connection up to every node, as in steady state. Otherwise the
    node restarted last leads nothing, the producer has not reconnected to
    it since it was killed (librdkafka backs off up to
    reconnect.backoff.max.ms, 10 s), and a failover onto it waits for
    that."""
    subprocess.run([cli, "cluster", "elect", "--topic", "failover"],
                   env=dict(os.environ, SAMSA_BOOTSTRAP=cluster.bootstrap()),
                   check=True, capture_output=True, timeout=60)
    nodes.deadline_wait("preferred leaders", lambda: all(
        leader == replicas[0] for leader, replicas, _ in
        cluster.partitions("failover", cluster.live()[0]).values()), 60)


def failovers(cluster, count, controller=None, cli=None, steady=True):
    create(cluster, "failover", 3)
    log = AckLog()
    load = RdkafkaLoad(cluster.bootstrap(), "failover", PARTITIONS, log,
                       rate=500).start()
    gaps = []
    spreads = []
    settled = 0.0
    try:
        for k in range(count):
            # Acks on every partition since leadership last moved: the
            # producer reached each partition's current leader.
            nodes.deadline_wait("acks flowing", lambda: all(
                log.count(p, max(settled, time.monotonic() - 1)) > 0
                for p in range(PARTITIONS)), 60)
            ask = cluster.live()[0]
            parts = cluster.partitions("failover", ask)
            part = k % PARTITIONS
            if controller is not None:
                # True: the partition the controller leads; False: one
                # a broker that is not the controller leads.
                ctl = cluster.controller(ask)
                part = next((p for p in range(PARTITIONS)
                             if (parts[p][0] == ctl) == controller), part)
            leader = parts[part][0]
            was_ctl = cluster.controller(ask) == leader
            t_kill = time.monotonic()
            cluster[leader].kill9()
            seen = new_leader_seen(cluster, part, leader, 60)
            t_elected = min(seen.values())
            elected = t_elected - t_kill
            spreads.append(max(seen.values()) - t_elected)
            first = nodes.deadline_wait("an ack after the new leader", lambda:
                                        log.first_after(t_elected, part), 60)
            gaps.append((log.longest_pause(part, log.last_before(t_kill,
                                                                 part),
                                           first), was_ctl))
            print("failover %d: partition %d, leader %d%s killed: new leader "
                  "in metadata after %.1f s (on every live node %.3f s "
                  "later); acks paused %.2f s (last before the kill to "
                  "first after)"
                  % (k + 1, part, leader, " (also the controller)" if was_ctl
                     else "", elected, spreads[-1], gaps[-1][0]), flush=True)
            cluster.restart(leader)
            for i in cluster.live():
                wait_full_isr(cluster, "failover", i, timeout=90)
            if steady:
                preferred_leaders(cluster, cli)
            settled = time.monotonic()
    finally:
        load.stop()
    print("checker:", verify(cluster.bootstrap(), "failover", PARTITIONS,
                             log))
    return gaps, spreads


def new_leader_seen(cluster, part, old, timeout):
    """{node: when it first named a leader of @part other than @old}, for
    every live node, asking them in turn: how far apart the brokers learn
    a leader change (the Raft commit reaching each)."""
    seen = {}
    end = time.monotonic() + timeout
    while len(seen) < len(cluster.live()):
        if time.monotonic() > end:
            sys.exit("no new leader of failover-%d on every node" % part)
        for i in cluster.live():
            if i in seen:
                continue
            p = cluster.partitions("failover", i).get(part)
            if p and p[0] not in (-1, old):
                seen[i] = time.monotonic()
    return seen


def summary(xs):
    xs = sorted(xs)
    p90 = xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]
    return "median %.3f, p90 %.3f, max %.3f (n=%d)" % (
        statistics.median(xs), p90, xs[-1], len(xs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--count", type=int, default=500000,
                    help="100-byte records per throughput round and topic")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--failovers", type=int, default=3)
    ap.add_argument("--failovers-only", action="store_true",
                    help="skip the throughput and latency rounds")
    ap.add_argument("--controller", action="store_true",
                    help="kill the controller's partition each failover")
    ap.add_argument("--not-controller", action="store_true",
                    help="kill a partition leader that is not the "
                    "controller each failover")
    ap.add_argument("--no-rebalance", action="store_true",
                    help="leave leadership where failovers put it (the "
                    "restarted node leads nothing; see preferred_leaders)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the nodes' directories (logs) and say where")
    a = ap.parse_args()
    nodes.SAMSAD = os.path.join(os.path.abspath(a.build), "core", "samsad")
    client = os.path.join(a.build, "tests", "integration", "rdkafka_roundtrip")
    work = tempfile.mkdtemp(prefix="samsa-bench-repl-")
    cluster = nodes.Cluster(work, session_ms=None)
    try:
        cluster.start()
        per, ratios = {1: [0], 3: [0]}, [0]
        lats = {1: [], 3: []}
        if not a.failovers_only:
            per, ratios = throughput(cluster, client, a)
        for r in range(0 if a.failovers_only else 2):
            for rf in ((3, 1) if r == 0 else (1, 3)):
                lats[rf].append(latency(cluster, client, rf, r))
            print("latency at 2000 msgs/s, acks=all: RF=1 p50 %.2f p99 %.2f "
                  "ms; RF=3 p50 %.2f p99 %.2f ms"
                  % (lats[1][-1] + lats[3][-1]), flush=True)
        which = True if a.controller else False if a.not_controller else None
        gaps, spreads = failovers(cluster, a.failovers, which,
                         os.path.join(a.build, "tools", "cli", "samsa"),
                         not a.no_rebalance)
    finally:
        cluster.stop()
        if a.keep:
            print("node directories kept in", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print("| measure | RF=1 | RF=3 | RF=3 / RF=1 | target |")
    print("|---|---|---|---|---|")
    print("| produce, 100 B, acks=all, msgs/s (median of %d) | %.0f | %.0f "
          "| %.2f (rounds %s) | >= 0.5 |"
          % (a.rounds, statistics.median(per[1]), statistics.median(per[3]),
             statistics.median(ratios),
             ", ".join("%.2f" % r for r in ratios)))
    lat = {rf: "; ".join("%.2f / %.2f" % x for x in lats[rf]) for rf in lats}
    print("| produce latency at 2000 msgs/s, p50 / p99 ms (2 runs) | %s | %s "
          "| | |" % (lat[1], lat[3]))
    print("| failover, last ack to first ack after kill -9 of the leader, s "
          "(* also the controller) | | %s | | < 10 (heartbeat 2000 x 1.5, "
          "then the probe; broker_session_timeout_ms 9000 without it) |" % ", ".join("%.2f%s" % (g, "*" if c else "")
                                 for g, c in gaps))
    if gaps:
        print()
        print("failover, acks paused, s:", summary([g for g, _ in gaps]))
        print("new leader on the first live node to the last, s:",
              summary(spreads))


if __name__ == "__main__":
    main()
