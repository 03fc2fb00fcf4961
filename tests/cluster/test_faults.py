# SPDX-License-Identifier: Apache-2.0
"""Process faults under acks=all load: three nodes on loopback (nodes.py),
librdkafka and franz-go producers (idempotent, acks=all) recording every
acknowledgement (checker.py); at the end every acknowledged record must be
in the log at its offset and no key twice.

- kill -9 of the only replica (RF=1) of a partition under load: after its
  restart every acknowledged record is there and the idempotent
  producers' retries duplicated nothing (producer state recovered).

Bounded: each wait has a deadline; SAMSA_CLUSTER_KEEP=1 keeps the nodes'
directories (logs) in /tmp.
"""
import time

from faults import pick_partition, under_load, wait_acks
from nodes import deadline_wait

SESSION_S = 3.0  # broker_session_timeout_ms of nodes.Cluster


def test_kill_single_replica_then_restart(nodes):
    with under_load(nodes, "k1", rf=1) as run:
        part, leader = pick_partition(nodes, "k1", nodes.live()[0])
        nodes[leader].kill9()
        t_kill = time.monotonic()
        time.sleep(1)
        nodes.restart(leader)
        deadline_wait("partition %d led again" % part, lambda: (
            nodes.partitions("k1", leader).get(part, (-1,))[0] == leader),
            timeout=SESSION_S + 20)
        wait_acks(run.log, 20, timeout=30, after=t_kill)
