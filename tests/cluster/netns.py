# SPDX-License-Identifier: Apache-2.0
"""Network namespaces for network-fault tests (needs root and iproute2).

Node i runs in namespace samsa-ft<tag>-<i> with one address 10.A.B.i/24 on
a veth whose other end is a port of a bridge in the test's own namespace;
the bridge has 10.A.B.254, so the test's clients reach every node.

isolate(i) cuts node i off from the other nodes only: blackhole routes in
both directions between node i and each other node (the routes apply to
established connections too: a route change invalidates the cached
routes of sockets). Clients still reach every node, so an isolated leader
keeps taking requests: the split-brain case the tests check.

Namespaces, veths and the bridge go away in close(), which the tests call
in a finally; namespaces left by a killed test run (their creator pid is
gone) are removed when the next Net is made.
"""
import os
import re
import subprocess

PREFIX = "samsa-ft"


def ip(*args, check=True):
    out = subprocess.run(["ip", *args], capture_output=True, text=True,
                         timeout=30)
    if check and out.returncode != 0:
        raise RuntimeError("ip %s: %s" % (" ".join(args), out.stderr.strip()))
    return out.stdout


def available():
    """None when this process can make namespaces, else the reason."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    try:
        ip("netns", "list")
    except (OSError, RuntimeError) as e:
        return "iproute2 unusable: %s" % e
    return None


def _remove(tag):
    for line in ip("netns", "list", check=False).splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith("%s%s-" % (PREFIX, tag)):
            ip("netns", "del", name, check=False)
    ip("link", "del", "sbr%s" % tag, check=False)


def remove_stale():
    """Namespaces and bridges of test runs whose process is gone."""
    tags = set()
    for line in ip("netns", "list", check=False).splitlines():
        m = re.match(r"%s(\d+)-\d+" % PREFIX, line)
        if m:
            tags.add(m.group(1))
    for line in ip("-o", "link", "show", "type", "bridge",
                   check=False).splitlines():
        m = re.search(r": sbr(\d+)[:@]", line)
        if m:
            tags.add(m.group(1))
    for tag in tags:
        if not os.path.exists("/proc/%s" % tag):
            _remove(tag)


class Net:
    def __init__(self, n=3):
        remove_stale()
        self.n = n
        self.tag = str(os.getpid())
        self.bridge = "sbr%s" % self.tag
        # A /24 no other route of this machine (or another run) uses.
        used = ip("-4", "route", "show")
        base = os.getpid() % 200
        for k in range(200):
            a, b = 100 + (base + k) % 100, (os.getpid() // 200 + k) % 250
            net = "10.%d.%d." % (a, b)
            if net + "0/24" not in used:
                break
        self.prefix = net
        self.cuts = []
        try:
            self._up()
        except BaseException:
            self.close()
            raise

    def ns(self, i):
        return "%s%s-%d" % (PREFIX, self.tag, i)

    def addr(self, i):
        return "%s%d" % (self.prefix, i)

    def _up(self):
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", self.prefix + "254/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        for i in range(1, self.n + 1):
            ns, veth = self.ns(i), "sv%s-%d" % (self.tag, i)
            ip("netns", "add", ns)
            ip("-n", ns, "link", "set", "lo", "up")
            ip("link", "add", veth, "type", "veth", "peer", "name", "eth0",
               "netns", ns)
            ip("link", "set", veth, "master", self.bridge)
            ip("link", "set", veth, "up")
            ip("-n", ns, "addr", "add", self.addr(i) + "/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")

    def isolate(self, i):
        """Node i reaches no other node and no other node reaches it."""
        for j in range(1, self.n + 1):
            if j == i:
                continue
            for a, b in ((i, j), (j, i)):
                ip("-n", self.ns(a), "route", "add", "blackhole",
                   self.addr(b) + "/32")
                self.cuts.append((a, b))

    def heal(self):
        for a, b in self.cuts:
            ip("-n", self.ns(a), "route", "del", "blackhole",
               self.addr(b) + "/32", check=False)
        self.cuts = []

    def close(self):
        _remove(self.tag)
