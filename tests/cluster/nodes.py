# SPDX-License-Identifier: Apache-2.0
"""Three (or N) samsad nodes for the fault tests and the replication
benchmark, started and signalled one by one: kill -9, SIGTERM, SIGSTOP and
SIGCONT, restart on the same data.

The node configuration is the one `tools/dev.sh cluster` writes
(write_node_yaml: broker+controller on every node, heartbeat 500 ms,
session 3000 ms unless told otherwise); keep the two alike. On loopback
each node has its own ports; in network namespaces (netns.Net) each node has
its own address and the same ports, and samsad runs under `ip netns exec`.

Every wait has a deadline. Raw Metadata requests go to one node on purpose
(a client library would pick any), so a test sees what that node believes.
"""
import os
import signal
import socket
import struct
import subprocess
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.path.abspath(os.environ.get("SAMSA_BUILD_DIR",
                                       os.path.join(ROOT, "build")))
SAMSAD = os.path.join(BUILD, "core", "samsad")


def free_ports(count):
    socks = []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def deadline_wait(what, fn, timeout, every=0.2, show=None):
    """fn() until it returns something true; AssertionError at the
    deadline, naming @what and the last value (or what show() says)."""
    end = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
        except (OSError, AssertionError, struct.error) as e:
            last = e
        else:
            if last:
                return last
        if time.monotonic() >= end:
            if show is not None:
                last = show()
            raise AssertionError("timed out after %.0f s waiting for %s "
                                 "(last: %s)" % (timeout, what,
                                                 last if isinstance(last, str)
                                                 else repr(last)))
        time.sleep(every)


# -- raw Metadata v1 to one node ------------------------------------------

def _request(host, port, api_key, version, body, timeout=5.0):
    hdr = struct.pack(">hhih", api_key, version, 11, 5) + b"fault"
    msg = hdr + body
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.settimeout(timeout)
        s.sendall(struct.pack(">i", len(msg)) + msg)
        buf = b""
        while len(buf) < 4:
            chunk = s.recv(4 - len(buf))
            if not chunk:
                raise OSError("connection closed")
            buf += chunk
        (size,) = struct.unpack(">i", buf)
        data = b""
        while len(data) < size:
            chunk = s.recv(size - len(data))
            if not chunk:
                raise OSError("connection closed")
            data += chunk
    return data[4:]  # after the correlation id


class _Reader:
    def __init__(self, data):
        self.d, self.o = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.o)
        self.o += struct.calcsize(fmt)
        return v if len(v) > 1 else v[0]

    def string(self):
        n = self.take(">h")
        if n < 0:
            return None
        self.o += n
        return self.d[self.o - n:self.o].decode()

    def int32s(self):
        return [self.take(">i") for _ in range(self.take(">i"))]


def metadata(host, port, topics=None, timeout=5.0):
    """Metadata v1 asked of one node: {"brokers": {id: (host, port)},
    "controller": id, "topics": {name: {partition: (leader, replicas,
    isr)}}} (a topic's error code instead of its partitions if non-zero)."""
    if topics is None:
        body = struct.pack(">i", -1)
    else:
        body = struct.pack(">i", len(topics))
        for t in topics:
            body += struct.pack(">h", len(t)) + t.encode()
    r = _Reader(_request(host, port, 3, 1, body, timeout))
    brokers = {}
    for _ in range(r.take(">i")):
        nid = r.take(">i")
        bhost = r.string()
        bport = r.take(">i")
        r.string()  # rack
        brokers[nid] = (bhost, bport)
    controller = r.take(">i")
    out = {}
    for _ in range(r.take(">i")):
        terr = r.take(">h")
        name = r.string()
        r.take(">b")  # is_internal
        parts = {}
        for _ in range(r.take(">i")):
            r.take(">h")
            index = r.take(">i")
            leader = r.take(">i")
            replicas = r.int32s()
            isr = r.int32s()
            parts[index] = (leader, replicas, isr)
        out[name] = parts if terr == 0 else terr
    return {"brokers": brokers, "controller": controller, "topics": out}


# -- the nodes -------------------------------------------------------------

class ConfDirNodes:
    """Node directories and samsad processes of a cluster whose nodes each
    get their own samsa.yaml and conf.d (the secured clusters of
    test_cluster_security.py and test_cluster_tls.py). The subclass sets
    self.work and self.procs and writes the files."""

    def dir(self, i):
        d = os.path.join(self.work, "node%d" % i)
        os.makedirs(d, exist_ok=True)
        return d

    def start(self, i):
        log = open(os.path.join(self.dir(i), "samsad.log"), "ab")
        self.procs[i] = subprocess.Popen(
            [SAMSAD, "--config", self.dir(i) + "/samsa.yaml", "--conf-dir",
             self.dir(i) + "/conf.d", "--plugin-dir",
             os.path.join(BUILD, "plugins")],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()


class Node:
    def __init__(self, cluster, i, host, port, cport):
        self.cluster, self.id = cluster, i
        self.host, self.port, self.cport = host, port, cport
        self.dir = os.path.join(cluster.workdir, "node%d" % i)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "samsad.log")
        self.proc = None

    @property
    def addr(self):
        return "%s:%d" % (self.host, self.port)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def write_config(self, voters):
        os.makedirs(self.data, exist_ok=True)
        c = self.cluster
        with open(os.path.join(self.dir, "samsa.yaml"), "w") as f:
            f.write("""# Node %(i)d of a fault-test cluster (tests/cluster/nodes.py)
node_id: %(i)d
cluster_id: %(cid)s
process_roles: broker,controller
controller_quorum_voters: %(voters)s
listeners: ["PLAINTEXT://%(h)s:%(p)d", "CONTROLLER://%(h)s:%(cp)d"]
data_dir: %(data)s
reactors: 1
http_listeners: []
group_initial_rebalance_delay_ms: 0
offsets_topic_replication_factor: %(irf)d
transaction_state_log_replication_factor: %(irf)d
%(timing)s%(extra)s
""" % dict(i=self.id, cid=c.cluster_id, voters=voters, h=self.host,
                p=self.port, cp=self.cport, data=self.data,
                irf=min(len(c.nodes), 3),
                timing="" if c.session_ms is None else
                "broker_heartbeat_interval_ms: %d\n"
                "broker_session_timeout_ms: %d\n" % (c.heartbeat_ms,
                                                     c.session_ms),
                extra=c.extra_yaml))

    def launch(self):
        assert not self.alive(), "node %d already runs" % self.id
        cmd = [SAMSAD, "--config", os.path.join(self.dir, "samsa.yaml")]
        if self.cluster.net is not None:
            # ip netns exec execs samsad itself (no fork): the pid is
            # samsad's, so signals reach it.
            cmd = ["ip", "netns", "exec",
                   self.cluster.net.ns(self.id)] + cmd
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log,
                                         stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL,
                                         start_new_session=True)

    def signal(self, sig):
        assert self.alive(), "node %d is not running" % self.id
        os.kill(self.proc.pid, sig)

    def kill9(self):
        self.signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def term(self, timeout=30):
        """SIGTERM (a controlled shutdown) and wait for the exit."""
        self.signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError("node %d did not exit within %d s of "
                                 "SIGTERM" % (self.id, timeout))

    def metadata(self, topics=None, timeout=5.0):
        return metadata(self.host, self.port, topics, timeout)

    def log_tail(self, lines=30):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""


class Cluster:
    """N nodes, each broker+controller (voters of the metadata quorum).
    @net: a netns.Net (nodes in their namespaces) or None (loopback).
    session_ms=None: the broker's default heartbeat and session timeout
    (the benchmark's failover with default settings)."""

    def __init__(self, workdir, n=3, net=None, session_ms=3000,
                 heartbeat_ms=500, extra_yaml=""):
        self.workdir, self.net = workdir, net
        self.session_ms, self.heartbeat_ms = session_ms, heartbeat_ms
        self.extra_yaml = extra_yaml
        self.cluster_id = str(uuid.uuid4())
        self.nodes = {}
        if net is None:
            ports = free_ports(2 * n)
            for i in range(1, n + 1):
                self.nodes[i] = Node(self, i, "127.0.0.1", ports[2 * i - 2],
                                     ports[2 * i - 1])
        else:
            for i in range(1, n + 1):
                self.nodes[i] = Node(self, i, net.addr(i), 9092, 9093)
        voters = ",".join("%d@%s:%d" % (i, nd.host, nd.cport)
                          for i, nd in sorted(self.nodes.items()))
        for nd in self.nodes.values():
            nd.write_config(voters)

    def __getitem__(self, i):
        return self.nodes[i]

    def bootstrap(self, ids=None):
        ids = ids or sorted(self.nodes)
        return ",".join(self.nodes[i].addr for i in ids)

    def live(self):
        return [i for i, nd in sorted(self.nodes.items()) if nd.alive()]

    def start(self, timeout=60):
        for nd in self.nodes.values():
            nd.launch()
        self.wait_serving(self.live(), timeout)

    def restart(self, i, timeout=60):
        self.nodes[i].launch()
        self.wait_serving([i], timeout)

    def wait_serving(self, ids, timeout=60):
        """Each of @ids lists every live node as a broker and knows a
        controller (registered, following the quorum)."""
        want = set(self.live())
        for i in ids:
            nd = self.nodes[i]

            def serves():
                if not nd.alive():
                    raise RuntimeError("node %d exited:\n%s"
                                       % (i, nd.log_tail()))
                md = nd.metadata([])
                return set(md["brokers"]) == want and md["controller"] > 0
            deadline_wait("node %d serving %s" % (i, sorted(want)), serves,
                          timeout)

    def controller(self, ask=None):
        """The controller id, as node @ask (or the first live one) sees
        it."""
        ask = ask or self.live()[0]
        return self.nodes[ask].metadata([])["controller"]

    def partitions(self, topic, ask):
        """{partition: (leader, replicas, isr)} as node @ask sees it."""
        t = self.nodes[ask].metadata([topic])["topics"].get(topic)
        return t if isinstance(t, dict) else {}

    def stop(self):
        """SIGTERM to every node (SIGCONT first, in case one is stopped),
        SIGKILL after 20 s: never leaves a process behind."""
        for nd in self.nodes.values():
            if nd.alive():
                try:
                    os.kill(nd.proc.pid, signal.SIGCONT)
                    os.kill(nd.proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        end = time.monotonic() + 20
        for nd in self.nodes.values():
            if nd.proc is None:
                continue
            try:
                nd.proc.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                nd.proc.kill()
                nd.proc.wait(timeout=10)
