#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark: samsad start-to-listening time and idle resident memory.

Starts samsad with the default manifests (all default plugins loaded) on a
free loopback port with a fresh data dir, measures the wall time from exec
to the first accepted TCP connection, lets it idle, reads VmRSS from /proc,
stops it with SIGTERM. Repeats N times and prints the figures.

    tools/bench/startup.py [--runs N] [--build DIR]

Targets (issue 3): under 100 ms to listen, under 10 MiB idle RSS.
"""
import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_run(build, idle_s):
    port = free_port()
    data = tempfile.mkdtemp(prefix="samsa-bench-")
    cmd = [os.path.join(build, "core", "samsad"), "--listen", "127.0.0.1:%d" % port,
           "--data-dir", data, "--conf-dir", os.path.join(ROOT, "conf.d"),
           "--plugin-dir", os.path.join(build, "plugins"),
           "--http-listen", "127.0.0.1:0"]
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
    time.sleep(idle_s)
    rss_kib = 0
    with open("/proc/%d/status" % proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kib = int(line.split()[1])
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=15)
    subprocess.run(["rm", "-rf", data])
    return listen_ms, rss_kib, rc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--idle", type=float, default=1.0, help="seconds idle before RSS")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    times, rss = [], []
    for _ in range(a.runs):
        ms, kib, rc = one_run(a.build, a.idle)
        if rc != 0:
            sys.exit("samsad exited %d on SIGTERM" % rc)
        times.append(ms)
        rss.append(kib)
    print("samsad start-to-listening: median %.1f ms, min %.1f ms, max %.1f ms (%d runs)"
          % (statistics.median(times), min(times), max(times), a.runs))
    print("samsad idle RSS: median %.1f MiB, max %.1f MiB (after %.1f s idle)"
          % (statistics.median(rss) / 1024, max(rss) / 1024, a.idle))
    print("targets: < 100 ms, < 10 MiB")


if __name__ == "__main__":
    main()
