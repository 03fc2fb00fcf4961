# SPDX-License-Identifier: Apache-2.0
"""Fencing and the ISR of new partitions, as KRaft's controller keeps them
(written by repl-fault, who found both defects):

- a topic created right after kill -9 of the controller, its placement
  including the dead broker not fenced yet: new partitions start with
  every live replica in the ISR, so once the dead broker is fenced every
  partition has a leader;
- a broker SIGSTOPped longer than the session timeout is fenced, and
  unfenced once it heartbeats again (without a restart).
"""
import signal
import time

from faults import (create_led_by_survivors, under_load, wait_acks,
                    wait_isr_everywhere)
from nodes import deadline_wait

SESSION_S = 3.0  # broker_session_timeout_ms of nodes.Cluster


def test_partition_placed_on_a_dead_unfenced_broker_gets_a_leader(
        nodes_without_probe):
    """Kafka places new partitions on every unfenced broker, a dead one
    not fenced yet included, with ISR = the replicas; when the dead
    broker is fenced its partitions get leaders from that ISR. (On main
    today a new partition's ISR is its leader alone: placement.c.) The
    probe is off: it would fence the dead one before the topic is made."""
    nodes = nodes_without_probe
    with under_load(nodes, "kc") as run:
        old = nodes.controller()
        nodes[old].kill9()
        t_kill = time.monotonic()
        alive = nodes.live()
        deadline_wait("a new controller", lambda: nodes.controller(
            alive[0]) in alive, timeout=20)
        create_led_by_survivors(nodes, "kc-after", alive)
        wait_acks(run.log, 50, timeout=SESSION_S + 30, after=t_kill)
        nodes.restart(old)
        wait_isr_everywhere(nodes, "kc")


def test_stopped_broker_unfenced_when_it_heartbeats_again(nodes):
    """SIGSTOP longer than the session timeout: the controller fences the
    broker; after SIGCONT it heartbeats again with the same broker epoch
    and must be unfenced (Kafka: a fenced broker that heartbeats and has
    caught up is unfenced), its partitions led again, without a restart."""
    with under_load(nodes, "st", rf=1) as run:
        ctl = nodes.controller()
        stopped = next(i for i in nodes.live() if i != ctl)
        others = [i for i in nodes.live() if i != stopped]
        nodes[stopped].signal(signal.SIGSTOP)
        try:
            deadline_wait("node %d fenced" % stopped, lambda: stopped not in
                          nodes[others[0]].metadata([])["brokers"],
                          timeout=SESSION_S + 15)
        finally:
            nodes[stopped].signal(signal.SIGCONT)
        t_cont = time.monotonic()
        for i in nodes.live():
            deadline_wait("node %d listing node %d again" % (i, stopped),
                          lambda: stopped in nodes[i].metadata([])["brokers"],
                          timeout=SESSION_S + 15)
        wait_acks(run.log, 20, timeout=30, after=t_cont)
