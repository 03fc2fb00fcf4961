# SPDX-License-Identifier: Apache-2.0
"""Nodes by role and membership (issue #13), with real clients (kcat,
kafka-python) and the samsa CLI:

- a broker-only node joins a running cluster of three voters
  (`tools/dev.sh cluster add-node`): it follows the metadata log as a
  non-voting member (DescribeQuorum lists it as an observer), registers,
  appears in Metadata (unregistered while it runs, it comes back), is given a partition by reassignment (and its
  leadership by a preferred election) and serves it; stopped and
  unregistered, it leaves Metadata and the quorum;
- one controller-only node and two broker-only nodes
  (SAMSA_CLUSTER_ROLES): Metadata lists the brokers only, from any node;
  admin requests sent to a broker reach the controller (forwarded); an
  RF=2 topic on the broker-only nodes serves kafka-python and kcat; a
  third broker joins, gets a partition by reassignment and serves it.

Needs: kcat, python3-kafka. Bounded: every wait has a deadline; each test
takes about 10 s on an idle machine.
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


def node_ports(cluster):
    """{node id: client port} from the cluster's cluster.env (the bootstrap
    list `start` prints has the broker nodes only)."""
    ports = {}
    path = os.path.join(cluster.env["SAMSA_CLUSTER_DIR"], "cluster.env")
    with open(path) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            if key.startswith("PORT_"):
                ports[int(key[5:])] = int(value)
    cluster.ports = ports
    return ports


def add_node(cluster):
    """`tools/dev.sh cluster add-node`: the new node's id."""
    cluster.dev("add-node")
    return max(node_ports(cluster))


def produce_and_read(bootstrap, topic, partition, count=20):
    """acks=all records to one partition with kafka-python, then every
    key read back with kcat (librdkafka)."""
    p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", retries=5,
                      request_timeout_ms=10000)
    for k in range(count):
        p.send(topic, key=b"k%d" % k, value=b"v%d" % k, partition=partition)
    p.flush(timeout=30)
    p.close()
    out = kcat("-b", bootstrap, "-C", "-t", topic, "-p", str(partition),
               "-o", "beginning", "-e", "-q", "-f", "%k\n")
    assert sorted(out.split()) == sorted("k%d" % k for k in range(count))


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

        # Unregistered while it runs, it leaves the quorum, then (its
        # leader silent) introduces itself again and registers again, as
        # Kafka's broker does.
        assert unregister(port1, 4) == 0
        wait_for("node 4 out of the quorum",
                 lambda: quorum_members(port1)[1] == [], every=0.05)
        wait_for("node 4 back", lambda: quorum_members(port1)[1] == [4] and
                 brokers(c.bootstrap([1]))[0] == [1, 2, 3, 4])

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
        produce_and_read(c.bootstrap([4]), "grow", 0)

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


def test_controller_only_and_broker_only_nodes():
    with running_cluster("samsa-roles-") as c:
        c.env["SAMSA_CLUSTER_ROLES"] = "controller broker broker"
        boot = c.dev("start", "3").strip().splitlines()[-1]
        ports = node_ports(c)
        assert boot == c.bootstrap([2, 3])

        # Metadata, whichever node answers (the controller's listener
        # too), lists the two brokers only, and a broker as the controller
        # clients send admin requests to; the quorum is one voter with the
        # brokers as observers.
        for i in (1, 2, 3):
            ids, controller = brokers(c.bootstrap([i]))
            assert ids == [2, 3] and controller in (2, 3)
        assert wait_for("brokers observers",
                        lambda: quorum_members(ports[2]) == ([1], [2, 3]))

        # An RF=2 topic on the two broker-only nodes, created through a
        # broker (which forwards CreateTopics to the controller), serves
        # real clients.
        samsa(c, "topic", "create", "pair", "--partitions", "2",
              "--replication-factor", "2", "-b", boot)
        produce_and_read(boot, "pair", 0)
        produce_and_read(boot, "pair", 1)

        # A third broker joins the running cluster; a partition reassigned
        # to it (and its leadership, by a preferred election) serves.
        assert add_node(c) == 4
        boot = c.bootstrap([2, 3, 4])
        assert brokers(boot)[0] == [2, 3, 4]
        assert wait_for("node 4 an observer",
                        lambda: quorum_members(ports[1]) == ([1], [2, 3, 4]))
        samsa(c, "topic", "create", "third", "--partitions", "1",
              "--replication-factor", "2", "-b", boot)
        out = samsa(c, "cluster", "reassign", "third", "0", "4,2",
                    "--wait-ms", "20000", "-b", boot)
        assert "reassignment complete" in out, out
        samsa(c, "cluster", "elect", "--topic", "third", "--partition", "0",
              "-b", boot)
        wait_for("node 4 to lead third-0",
                 lambda: topic_leaders(boot, "third") == {0: 4})
        produce_and_read(boot, "third", 0)
