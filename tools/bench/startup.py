#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark: samsad start-to-listening time and idle resident memory.

Starts samsad with the default manifests (all default plugins loaded) on a
free loopback port with a fresh data dir, measures the wall time from exec
to the first accepted TCP connection, lets it idle, reads VmRSS from /proc,
stops it with SIGTERM. Repeats N times and prints the figures.

    tools/bench/startup.py [--runs N] [--build DIR] [--quorum]

By default the node is what `tools/dev.sh run` starts: no cluster keys, so
a one-voter metadata quorum of its own (no controller listener), which
listens only once it is registered; the time until its Metadata names it
controller with itself registered as a broker ("ready") is printed too.
With --quorum it is a one-voter quorum configured as a cluster's node
(cluster_id, controller_quorum_voters, a CONTROLLER listener), which
listens first and is ready once libraft elected it.

Targets (issue 3): under 100 ms to listen, under 10 MiB idle RSS.
"""
import argparse
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quorum_config(data, port):
    """A one-voter quorum node's samsa.yaml in @data; returns its path."""
    ctrl = free_port()
    path = os.path.join(data, "samsa.yaml")
    with open(path, "w") as f:
        f.write("cluster_id: bench\n"
                "controller_quorum_voters: 1@127.0.0.1:%d\n"
                "listeners: [\"PLAINTEXT://127.0.0.1:%d\", "
                "\"CONTROLLER://127.0.0.1:%d\"]\n" % (ctrl, port, ctrl))
    return path


def metadata_ready(port):
    """Metadata v1 names a controller and lists one broker."""
    req = struct.pack(">hhih", 3, 1, 1, 5) + b"bench" + struct.pack(">i", 0)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(struct.pack(">i", len(req)) + req)
            size = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
            data = s.recv(size, socket.MSG_WAITALL)
    except OSError:
        return False
    off = 4
    (nbrokers,) = struct.unpack(">i", data[off:off + 4])
    off += 4
    for _ in range(nbrokers):
        off += 4
        (hl,) = struct.unpack(">h", data[off:off + 2])
        off += 2 + hl + 4
        (rl,) = struct.unpack(">h", data[off:off + 2])
        off += 2 + max(rl, 0)
    (controller,) = struct.unpack(">i", data[off:off + 4])
    return nbrokers == 1 and controller == 1


def one_run(build, idle_s, quorum):
    port = free_port()
    data = tempfile.mkdtemp(prefix="samsa-bench-")
    cmd = [os.path.join(build, "core", "samsad"), "--listen", "127.0.0.1:%d" % port,
           "--data-dir", data, "--conf-dir", os.path.join(ROOT, "conf.d"),
           "--plugin-dir", os.path.join(build, "plugins"),
           "--http-listen", "127.0.0.1:0"]
    if quorum:
        cmd = cmd[:1] + cmd[3:] + ["--config", quorum_config(data, port)]
        cmd[cmd.index("--data-dir") + 1] = os.path.join(data, "d")
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.05).close()
            break
        except OSError:
            if proc.poll() is not None:
                sys.exit("samsad exited with %d" % proc.returncode)
            if time.perf_counter() - t0 > 10:
                proc.kill()
                sys.exit("samsad did not listen within 10 s")
            time.sleep(0.0005)
    listen_ms = (time.perf_counter() - t0) * 1000
    ready_ms = None
    while ready_ms is None:
        if metadata_ready(port):
            ready_ms = (time.perf_counter() - t0) * 1000
        elif time.perf_counter() - t0 > 10:
            proc.kill()
            sys.exit("the node was not ready within 10 s")
        else:
            time.sleep(0.0005)
    time.sleep(idle_s)
    rss_kib = 0
    with open("/proc/%d/status" % proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kib = int(line.split()[1])
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=15)
    subprocess.run(["rm", "-rf", data])
    return listen_ms, ready_ms, rss_kib, rc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--idle", type=float, default=1.0, help="seconds idle before RSS")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--quorum", action="store_true",
                    help="a one-voter metadata quorum node")
    a = ap.parse_args()
    times, ready, rss = [], [], []
    for _ in range(a.runs):
        ms, ready_ms, kib, rc = one_run(a.build, a.idle, a.quorum)
        if rc != 0:
            sys.exit("samsad exited %d on SIGTERM" % rc)
        times.append(ms)
        rss.append(kib)
        if ready_ms is not None:
            ready.append(ready_ms)
    print("samsad start-to-listening: median %.1f ms, min %.1f ms, max %.1f ms (%d runs)"
          % (statistics.median(times), min(times), max(times), a.runs))
    if ready:
        print("one-voter quorum: controller and registered broker after "
              "median %.1f ms, min %.1f ms, max %.1f ms"
              % (statistics.median(ready), min(ready), max(ready)))
    print("samsad idle RSS: median %.1f MiB, max %.1f MiB (after %.1f s idle)"
          % (statistics.median(rss) / 1024, max(rss) / 1024, a.idle))
    print("targets: < 100 ms, < 10 MiB")


if __name__ == "__main__":
    main()
