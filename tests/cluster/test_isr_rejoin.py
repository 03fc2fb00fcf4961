# SPDX-License-Identifier: Apache-2.0
"""A replica that led an epoch without appending in it rejoins the ISR
(issue 13; the CI failure of test_rolling_restart_under_load at
3de86ce/8d9b63d, node 2 out of rr-0's ISR for 30 s).

Partition replicas [a, b, c], c the controller, records in epoch 0:
a is killed, b leads epoch 1 and records it in its leader-epoch cache at
its log end; a restarts and is back in the ISR; b is stopped (SIGSTOP)
before anything is appended and, once its session ends, a leads epoch 2.
b, continued, follows a and asks with its last epoch, 1, which a never
had: a answers DivergingEpoch (epoch 0, ending at b's log end). Nothing
is to be cut there, but b's empty epoch 1 must go (Kafka's truncateTo
does so), or b asks with it again for ever and never rejoins the ISR.
Bounded: about 20 s.
"""
import signal

from confluent_kafka.admin import AdminClient, NewTopic

from checker import produce_raw
from nodes import deadline_wait

SESSION_S = 3.0  # broker_session_timeout_ms of nodes.Cluster


def test_a_leader_without_records_in_its_epoch_rejoins_the_isr(nodes):
    nodes.start()
    c = nodes.controller()
    a, b = [i for i in nodes.live() if i != c]
    topic = "ej"
    admin = AdminClient({"bootstrap.servers": nodes.bootstrap()})
    admin.create_topics([NewTopic(topic, 1, replica_assignment=[[a, b, c]])])[
        topic].result(30)

    def state():
        return nodes.partitions(topic, c).get(0)
    deadline_wait("%s-0 led by %d, ISR of 3" % (topic, a), lambda: (
        lambda p: p and p[0] == a and len(p[2]) == 3)(state()), 20)
    for k in range(5):
        assert produce_raw(nodes[a].host, nodes[a].port, topic, 0,
                           "e0-%d" % k) == 0

    nodes[a].kill9()
    deadline_wait("%d leading after %d died" % (b, a), lambda: (
        lambda p: p and p[0] == b)(state()), SESSION_S + 10)
    # Its log says when b took the leadership over (the epoch is then in
    # its leader-epoch cache); nothing is produced to it.
    deadline_wait("node %d leading %s-0 in epoch 1" % (b, topic),
                  lambda: ("leader of %s-0 in epoch 1" % topic)
                  in nodes[b].log_tail(100000), 10)
    nodes.restart(a)  # the quorum must outlive b's stop
    deadline_wait("%d back in the ISR" % a, lambda: (
        lambda p: p and p[0] == b and a in p[2])(state()), 20)
    nodes[b].signal(signal.SIGSTOP)
    try:
        deadline_wait("%d leading after %d stopped" % (a, b), lambda: (
            lambda p: p and p[0] == a)(state()), SESSION_S + 10)
    finally:
        nodes[b].signal(signal.SIGCONT)
    deadline_wait("%d back in the ISR of %s-0" % (b, topic), lambda: (
        lambda p: p if p and b in p[2] else None)(state()), 15,
        show=lambda: "%r\n%s" % (state(), nodes[b].log_tail(20)))
