# SPDX-License-Identifier: Apache-2.0
"""Network faults (issue 13): three nodes, each in a network namespace of
its own joined by a bridge (netns.py; needs root and iproute2, as CI
has), an RF=3 topic with min.insync.replicas=2 under acks=all load from
librdkafka and franz-go.

The leader of a partition is cut off from the other two nodes (not from
the clients): the others elect a new leader, producing goes on through
it, and the isolated old leader, which clients still reach, acknowledges
no acks=all write once the new one is elected. Healed, it truncates that
write away and catches up; no acknowledged record is lost and every
replica holds the same batches.

The namespaces, veths and bridge are removed in every case (finally, and
stale ones of a killed run at the next start).
"""
import time

from checker import produce_raw
from faults import pick_partition, under_load, wait_acks, wait_new_leader

SESSION_S = 3.0  # broker_session_timeout_ms of nodes.Cluster


def test_isolated_leader_acknowledges_nothing(ns_nodes):
    nodes, net = ns_nodes, ns_nodes.net
    with under_load(nodes, "iso") as run:
        part, leader = pick_partition(nodes, "iso", nodes.live()[0])
        other = next(i for i in nodes.live() if i != leader)
        old = nodes[leader]
        t_cut = time.monotonic()
        net.isolate(leader)
        new = wait_new_leader(nodes, "iso", part, leader, other,
                              SESSION_S + 20)
        print("partition %d: leader %d isolated; %d leads after %.1f s"
              % (part, leader, new, time.monotonic() - t_cut))
        # The isolated node still takes client requests and may still
        # believe it leads: it must not acknowledge an acks=all write.
        run.absent.append("stale-isolated")
        err = produce_raw(old.host, old.port, "iso", part, "stale-isolated",
                          acks=-1, timeout_ms=5000)
        assert err != 0, "the isolated old leader acknowledged an acks=all " \
            "write after %d was elected" % new
        print("the isolated old leader answered error %s" % err)
        wait_acks(run.log, 20, timeout=30, after=t_cut)
        # Healed, the old leader follows the new one: it truncates the
        # write it took and catches up (the end check compares the
        # replicas). (Its return to the ISR needs it unfenced first:
        # test_fencing.py.)
        net.heal()
        wait_acks(run.log, 20, timeout=30, after=time.monotonic())
