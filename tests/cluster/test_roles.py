# SPDX-License-Identifier: Apache-2.0
"""Nodes by role and membership (issue #13), with real clients (kcat,
kafka-python) and the samsa CLI:

- a broker-only node joins a running cluster of three voters
  (`tools/dev.sh cluster add-node`): it follows the metadata log as a
  non-voting member (DescribeQuorum lists it as an observer), registers,
  appears in Metadata, is given a partition by reassignment (and its
  leadership by a preferred election) and serves it; stopped and unregistered, it leaves Metadata and the quorum.

Needs: kcat, python3-kafka. Bounded: every wait has a deadline; each test
takes a few seconds on an idle machine.
"""
import os
import struct
import subprocess

from kafka import KafkaProducer

from test_cluster import (brokers, kcat, raw_request, running_cluster,
                          topic_leaders, wait_for)


def samsa(cluster, *args):
    cli = os.path.join(cluster.env["SAMSA_BUILD_DIR"], "tools", "cli",
                       "samsa")
    out = subprocess.run([cli, *args], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def add_node(cluster):
    """`tools/dev.sh cluster add-node`: the new node's id."""
    last = cluster.dev("add-node").strip().splitlines()[-1]
    for i, hp in enumerate(last.split(","), 1):
        cluster.ports[i] = int(hp.split(":")[1])
    return len(cluster.ports)


def quorum_members(port):
    """DescribeQuorum v0 (flexible) asked of one node: (voter ids,
    observer ids)."""
    name = b"__cluster_metadata"
    body = b"\x02" + bytes([len(name) + 1]) + name
    body += b"\x02" + struct.pack(">i", 0) + b"\x00" + b"\x00" + b"\x00"
    resp = raw_request(port, 55, 0, body, flexible=True)
    assert struct.unpack(">h", resp[:2])[0] == 0
    off = 3  # error, one topic
    off += resp[off]  # the topic name (compact string: length + 1)
    off += 1 + 22  # one partition; index, error, leader, epoch, HW
    lists = []
    for _ in range(2):  # CurrentVoters, then Observers
        n = resp[off] - 1
        off += 1
        ids = []
        for _ in range(n):
            ids.append(struct.unpack(">i", resp[off:off + 4])[0])
            off += 12 + 1  # id, log end offset, tagged fields
        lists.append(sorted(ids))
    return lists[0], lists[1]


def unregister(port, broker):
    """UnregisterBroker v0 (flexible) sent to one node: the error code."""
    resp = raw_request(port, 64, 0, struct.pack(">i", broker) + b"\x00",
                       flexible=True)
    return struct.unpack(">h", resp[4:6])[0]


def test_broker_joins_and_leaves():
    with running_cluster("samsa-roles-") as c:
        c.start(3)
        new = add_node(c)
        assert new == 4
        port1 = c.ports[1]

        # Every node lists the newcomer; it follows the quorum's log as an
        # observer, the voters stay the three configured.
        for i in (1, 4):
            assert brokers(c.bootstrap([i]))[0] == [1, 2, 3, 4]
        assert wait_for("node 4 an observer",
                        lambda: quorum_members(port1) == ([1, 2, 3], [4]))

        # A partition reassigned to it is led there and serves a real
        # producer (acks=all, RF=2) and consumer.
        boot = c.bootstrap([1])
        samsa(c, "topic", "create", "grow", "--partitions", "1",
              "--replication-factor", "2", "-b", boot)
        out = samsa(c, "cluster", "reassign", "grow", "0", "4,1",
                    "--wait-ms", "20000", "-b", boot)
        assert "reassignment complete" in out, out
        samsa(c, "cluster", "elect", "--topic", "grow", "--partition", "0",
              "-b", boot)  # to the preferred replica, 4
        wait_for("node 4 to lead grow-0",
                 lambda: topic_leaders(c.bootstrap([4]), "grow") == {0: 4})
        p = KafkaProducer(bootstrap_servers=c.bootstrap([4]), acks="all",
                          retries=5, request_timeout_ms=10000)
        for k in range(20):
            p.send("grow", key=b"k%d" % k, value=b"v%d" % k)
        p.flush(timeout=30)
        p.close()
        out = kcat("-b", c.bootstrap([4]), "-C", "-t", "grow", "-p", "0",
                   "-o", "beginning", "-e", "-q", "-f", "%k\n")
        assert sorted(out.split()) == sorted("k%d" % k for k in range(20))

        # Removing it: its partition moves back, the node stops, and
        # UnregisterBroker (sent to any node) takes it out of Metadata and
        # out of the quorum's configuration.
        out = samsa(c, "cluster", "reassign", "grow", "0", "1,2",
                    "--wait-ms", "20000", "-b", boot)
        assert "reassignment complete" in out, out
        c.dev("kill", "4")
        assert wait_for("UnregisterBroker 4",
                        lambda: unregister(port1, 4) == 0)
        wait_for("three brokers",
                 lambda: brokers(boot)[0] == [1, 2, 3])
        wait_for("no observer", lambda: quorum_members(port1)[1] == [])
        out = kcat("-b", boot, "-C", "-t", "grow", "-p", "0", "-o",
                   "beginning", "-e", "-q", "-f", "%k\n")
        assert len(out.split()) == 20
