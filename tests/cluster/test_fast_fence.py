# SPDX-License-Identifier: Apache-2.0
"""broker_session_probe_enable (on by default): the controller probes the
listener of a broker whose heartbeat is overdue, and a refused connect
(no process listens: kill -9) fences it without waiting for the session
timeout. A broker that does not refuse (SIGSTOPped: its kernel still
accepts) is fenced only when its session times out, as in Kafka.

Timing here: heartbeat 1000 ms, session 7000 ms, so the probe starts
1.5 s after the last heartbeat. Without the probe a killed broker is
fenced 5.8-7 s after the kill (its last heartbeat came at most ~1.2 s
before); with it ~0.5-2 s, so 4 s splits the two with room for a loaded
machine either side. About 17 s in all.
"""
import os
import shutil
import signal
import tempfile
import time

import pytest

from faults import create_rf3, wait_full_isr
from nodes import Cluster, deadline_wait

SESSION_S = 7.0
FAST_S = 4.0  # a refused probe fences well before this; a session never
# The controller's own kill: first a Raft election (1-3 s after its last
# heartbeat here), then the new controller's probe; a session: >= 6.5 s.
FAST_CTL_S = 5.0


@pytest.fixture()
def cluster():
    work = tempfile.mkdtemp(prefix="samsa-fastfence-")
    c = Cluster(work, session_ms=int(SESSION_S * 1000), heartbeat_ms=1000)
    try:
        c.start()
        yield c
    finally:
        c.stop()
        if os.environ.get("SAMSA_CLUSTER_KEEP"):
            print("node directories kept in", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def led_by(c, topic, node, ask):
    return next(p for p, (leader, _, _) in c.partitions(topic, ask).items()
                if leader == node)


def new_leader_after_kill(c, topic, victim):
    """kill -9 @victim (which leads a partition of @topic); seconds until
    a survivor names a live leader for that partition."""
    ask = next(i for i in c.live() if i != victim)
    part = led_by(c, topic, victim, ask)
    t_kill = time.monotonic()
    c[victim].kill9()
    deadline_wait("node %d: a live leader of %s-%d" % (ask, topic, part),
                  lambda: c.partitions(topic, ask)[part][0] in c.live(),
                  timeout=SESSION_S + 20, every=0.05)
    return time.monotonic() - t_kill


def probe_fences_logged(c, victim):
    """How many times a controller wrote that it fenced @victim on a
    refused probe."""
    n = 0
    for i in c.nodes:
        with open(c[i].log, errors="replace") as f:
            n += sum(1 for line in f if "broker %d (epoch" % victim in line
                     and "refuses connections" in line)
    return n


def test_killed_broker_fenced_fast_stopped_one_after_its_session(cluster):
    """SIGSTOP of a broker: not fenced before its session timed out, then
    unfenced after SIGCONT; kill -9 of a partition leader, then of the
    controller: a new leader well before the session timeout, each fenced
    on a refused probe (the controller's log says so)."""
    c = cluster
    create_rf3(c, "ff")
    ctl = c.controller()
    other = [i for i in c.live() if i != ctl]

    # SIGSTOP: the probe connects (the kernel accepts for the stopped
    # process), which proves nothing: listed until its session ends.
    stopped = other[0]
    t_stop = time.monotonic()
    c[stopped].signal(signal.SIGSTOP)
    try:
        while time.monotonic() - t_stop < FAST_S + 0.5:
            assert stopped in c[ctl].metadata([])["brokers"], (
                "node %d fenced %.1f s after SIGSTOP, before its session "
                "timed out" % (stopped, time.monotonic() - t_stop))
            time.sleep(0.2)
        deadline_wait("node %d fenced" % stopped, lambda: stopped not in
                      c[ctl].metadata([])["brokers"], timeout=SESSION_S + 15)
    finally:
        c[stopped].signal(signal.SIGCONT)
    assert probe_fences_logged(c, stopped) == 0
    deadline_wait("node %d unfenced" % stopped, lambda: stopped in
                  c[ctl].metadata([])["brokers"], timeout=SESSION_S + 15)
    wait_full_isr(c, "ff", ctl)

    # kill -9 of a partition leader that is not the controller.
    took = new_leader_after_kill(c, "ff", other[1])
    print("kill -9 of node %d: new leader after %.2f s" % (other[1], took))
    assert took < FAST_S, (
        "a new leader only %.1f s after kill -9 (session %.0f s)"
        % (took, SESSION_S))
    assert probe_fences_logged(c, other[1]) == 1

    # kill -9 of the controller, a partition leader too: a new controller
    # starts its session from its last Raft heartbeat and probes it.
    c.restart(other[1])
    wait_full_isr(c, "ff", other[0])
    took = new_leader_after_kill(c, "ff", ctl)
    print("kill -9 of node %d (the controller): new leader after %.2f s"
          % (ctl, took))
    assert took < FAST_CTL_S, (
        "a new leader only %.1f s after kill -9 of the controller "
        "(session %.0f s)" % (took, SESSION_S))
    assert probe_fences_logged(c, ctl) == 1
