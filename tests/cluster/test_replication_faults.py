# SPDX-License-Identifier: Apache-2.0
"""Process faults under acks=all load (issue 13): three nodes on loopback,
an RF=3 topic with min.insync.replicas=2, librdkafka and franz-go
producers (idempotent, acks=all) recording every acknowledgement; at the
end every acknowledged record must be in the log at its offset, no key
twice, and every replica must hold the same batches (faults.under_load).

- kill -9 of a partition leader: a new leader serves within the session
  timeout (3 s here, broker_session_timeout_ms), the old leader restarts,
  truncates what was never committed, catches up and is back in the ISR;
- kill -9 of the controller: a new controller, and once the dead node is
  fenced, metadata changes (a new topic, led on the survivors) go on;
  nothing acknowledged is lost and the node rejoins on restart;
- a rolling restart (SIGTERM, restart) of all three: nothing lost, and
  producing goes on; a restarted node leads, follows and serves
  partitions only once its image holds its new registration (caught up
  with the metadata log), not from the old images its replay goes through;
- SIGSTOP of a partition leader for longer than the session timeout, then
  SIGCONT: a new leader meanwhile, and the old one, woken with a Produce
  waiting in its socket, acknowledges no acks=all write (its wait fails
  with NOT_LEADER_OR_FOLLOWER once it no longer leads in the epoch it
  appended in); it truncates that write away and rejoins the ISR.

Bounded: each test waits at most tens of seconds for anything;
SAMSA_CLUSTER_KEEP=1 keeps the nodes' directories (logs) in /tmp.
"""
import signal
import threading
import time

from checker import produce_raw
from faults import (create_led_by_survivors, pick_partition, under_load,
                    wait_acks, wait_isr_everywhere, wait_new_leader)
from nodes import deadline_wait

SESSION_S = 3.0  # broker_session_timeout_ms of nodes.Cluster
# Beyond the session timeout: the controller's election and the clients'
# metadata refresh and retry, on a loaded 2-core machine.
ELECTION_SLACK_S = 4.0


def test_kill_leader_under_acks_all_load(nodes):
    with under_load(nodes, "kl") as run:
        part, leader = pick_partition(nodes, "kl", nodes.live()[0])
        survivor = next(i for i in nodes.live() if i != leader)
        t_kill = time.monotonic()
        nodes[leader].kill9()
        new = wait_new_leader(nodes, "kl", part, leader, survivor,
                              SESSION_S + ELECTION_SLACK_S + 10)
        elected = time.monotonic() - t_kill
        wait_acks(run.log, 50, timeout=30, after=t_kill)
        gap = run.log.longest_pause(part, run.log.last_before(t_kill, part),
                                    time.monotonic())
        print("partition %d: leader %d killed; %d leads after %.1f s; "
              "acks paused %.1f s" % (part, leader, new, elected, gap))
        assert elected <= SESSION_S + ELECTION_SLACK_S, (
            "new leader after %.1f s (session timeout %.0f s)"
            % (elected, SESSION_S))
        # The old leader restarts on its data: it truncates what it had
        # not committed, catches up, and the leader takes it back into the
        # ISR, all under load (the end check compares the replicas).
        nodes.restart(leader)
        wait_isr_everywhere(nodes, "kl")
        wait_acks(run.log, 20, timeout=30, after=time.monotonic())


def test_kill_controller_under_load(nodes):
    with under_load(nodes, "kc") as run:
        old = nodes.controller()
        nodes[old].kill9()
        t_kill = time.monotonic()
        alive = nodes.live()
        new = deadline_wait("a new controller", lambda: (
            lambda c: c if c in alive else None)(
                nodes.controller(alive[0])), timeout=20)
        print("controller %d killed; %d after %.1f s"
              % (old, new, time.monotonic() - t_kill))
        deadline_wait("node %d fenced" % old, lambda: all(
            sorted(nodes[i].metadata([])["brokers"]) == alive
            for i in alive), timeout=SESSION_S + 15)
        # The new controller timed the dead one's session from its last
        # Raft heartbeat, not from the election (samsa_meta_session_start).
        assert ("broker %d led the quorum before" % old) in \
            nodes[new].log_tail(100000), nodes[new].log_tail()
        # Metadata changes go on: a topic created through the survivors
        # is led on them.
        create_led_by_survivors(nodes, "kc-after", alive)
        wait_acks(run.log, 50, timeout=SESSION_S + 30, after=t_kill)
        nodes.restart(old)
        wait_isr_everywhere(nodes, "kc")


def test_rolling_restart_under_load(nodes):
    with under_load(nodes, "rr") as run:
        for i in sorted(nodes.nodes):
            # SIGTERM: a controlled shutdown (leaders move first).
            t = time.monotonic()
            assert nodes[i].term() == 0, nodes[i].log_tail()
            nodes.restart(i)
            wait_isr_everywhere(nodes, "rr")
            wait_acks(run.log, 20, timeout=30, after=t)
            print("node %d restarted and back in every ISR in %.1f s"
                  % (i, time.monotonic() - t))


def test_sigstop_leader_longer_than_session(nodes):
    with under_load(nodes, "ss") as run:
        part, leader = pick_partition(nodes, "ss", nodes.live()[0])
        other = next(i for i in nodes.live() if i != leader)
        old = nodes[leader]
        old.signal(signal.SIGSTOP)
        t_stop = time.monotonic()
        try:
            new = wait_new_leader(nodes, "ss", part, leader, other,
                                  SESSION_S + ELECTION_SLACK_S + 10)
            print("partition %d: leader %d stopped; %d leads after %.1f s"
                  % (part, leader, new, time.monotonic() - t_stop))
            wait_acks(run.log, 20, timeout=40, after=t_stop)
            time.sleep(max(0.0, t_stop + 2 * SESSION_S - time.monotonic()))
            # A Produce waits in the stopped leader's socket; it wakes
            # believing it still leads, until the new metadata reaches it.
            answer = []
            sender = threading.Thread(target=lambda: answer.append(
                produce_raw(old.host, old.port, "ss", part, "stale-stopped",
                            acks=-1, timeout_ms=5000)))
            sender.start()
            time.sleep(0.5)
        finally:
            old.signal(signal.SIGCONT)
        run.absent.append("stale-stopped")
        sender.join(timeout=30)
        assert answer and answer[0] != 0, (
            "the deposed leader acknowledged an acks=all write: %r" % answer)
        print("the woken old leader answered error %s" % answer[0])
        wait_isr_everywhere(nodes, "ss")
        wait_acks(run.log, 20, timeout=30, after=time.monotonic())
