#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark (issue 6): librdkafka producer and consumer throughput against
samsad and against librdkafka's in-memory mock cluster (the client-side
ceiling), in the same run; produce latency at a fixed rate; the broker's
CPU seconds per million messages; two producers on separate topics; and
this machine's sequential write bandwidth as the disk reference.

    tools/bench/produce_consume.py [--build DIR] [--count N] [--quick]

Prints one line per measurement and a summary table. The client is
tests/integration/tools/rdkafka_roundtrip (built with the tree).
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_samsad(build, work, boot, http="none"):
    """samsad on @p boot with data under @p work; returns once it listens."""
    port = int(boot.rsplit(":", 1)[1])
    proc = subprocess.Popen([os.path.join(build, "core", "samsad"), "--listen", boot,
                             "--data-dir", os.path.join(work, "data"),
                             "--conf-dir", os.path.join(ROOT, "conf.d"),
                             "--plugin-dir", os.path.join(build, "plugins"),
                             "--http-listen", http],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    return proc


def disk_write_mbps(directory, mib=1024):
    path = os.path.join(directory, "ddtest")
    out = subprocess.run(["dd", "if=/dev/zero", "of=" + path, "bs=1M",
                          "count=%d" % mib, "conv=fdatasync"],
                         capture_output=True, text=True)
    os.unlink(path)
    m = re.search(r"([\d.]+) ([GM])B/s", out.stderr)
    if not m:
        return None
    return float(m.group(1)) * (1000 if m.group(2) == "G" else 1)


def loopback_gbps(total=2 << 30, chunk=1 << 20):
    """TCP over 127.0.0.1 between two threads: the network ceiling here."""
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    got = [0]

    def sink():
        conn, _ = srv.accept()
        buf = bytearray(chunk)
        while True:
            n = conn.recv_into(buf)
            if not n:
                break
            got[0] += n
        conn.close()

    t = threading.Thread(target=sink)
    t.start()
    data = b"\0" * chunk
    c = socket.create_connection(srv.getsockname())
    t0 = time.perf_counter()
    for _ in range(total // chunk):
        c.sendall(data)
    c.close()
    t.join()
    dt = time.perf_counter() - t0
    srv.close()
    return got[0] / dt / 1e9


def run(client, args):
    out = subprocess.run([client] + args, capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        sys.exit("client failed: %s\n%s" % (" ".join(args), out.stderr[-2000:]))
    res = {}
    for line in out.stdout.splitlines():
        m = re.match(r"(produce|consume): (\d+) msgs.* ([\d.]+) msgs/s, ([\d.]+) MB/s", line)
        if m:
            res[m.group(1)] = (float(m.group(3)), float(m.group(4)))
        m = re.match(r"latency: .* p50 ([\d.]+) ms, p99 ([\d.]+) ms", line)
        if m:
            res["latency"] = (float(m.group(1)), float(m.group(2)))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--count", type=int, default=1000000, help="100-byte messages")
    ap.add_argument("--partitions", type=int, default=32)
    ap.add_argument("--quick", action="store_true", help="small counts (smoke run)")
    ap.add_argument("--runs", type=int, default=3, help="best of N runs per case")
    a = ap.parse_args()
    # librdkafka 2.0.2's mock cluster keeps only about 5 MB per partition,
    # so both sides spread the same messages over enough partitions for the
    # mock to still hold all of them when the consumer reads.
    n100 = 200000 if a.quick else a.count
    n1k = n100 // 8
    parts = str(a.partitions)
    client = os.path.join(a.build, "tests", "integration", "rdkafka_roundtrip")
    work = tempfile.mkdtemp(prefix="samsa-bench-")
    port = free_port()
    boot = "127.0.0.1:%d" % port
    proc = start_samsad(a.build, work, boot)
    try:
        disk = disk_write_mbps(work)
        print("disk: sequential write %.0f MB/s (dd 1 GiB, fdatasync, same fs as data)"
              % disk)
        print("loopback: %.2f GB/s (one TCP stream between two Python threads, "
              "1 MiB writes)" % loopback_gbps())
        rows = []
        for size, n in ((100, n100), (1024, n1k)):
            # Best of a few runs on each side: librdkafka sometimes starts
            # one partition late (its own offset-query back-off), which
            # says nothing about the broker.
            # 256 KB fetches on both sides: with 32 partitions x 1 MB per
            # fetch librdkafka 2.0.2's 64 MB local queue fills and it backs
            # off for a second, and its consumer handles big responses
            # slowly against either broker; neither says anything about the
            # broker.
            fetch = ["-F", "262144"]
            mocks = [run(client, ["-b", "mock", "-t", "m%d" % size, "-p", parts, "-n",
                                  str(n), "-s", str(size)] + fetch)
                     for _ in range(a.runs)]
            c0 = cpu_seconds(proc.pid)
            prods = [run(client, ["-b", boot, "-t", "s%d-%d" % (size, i), "-p", parts,
                                  "-n", str(n), "-s", str(size), "-P"])
                     for i in range(a.runs)]
            c1 = cpu_seconds(proc.pid)
            conss = [run(client, ["-b", boot, "-t", "s%d-0" % size, "-p", parts, "-n",
                                  str(n), "-s", str(size), "-C"] + fetch)
                     for _ in range(a.runs)]
            c2 = cpu_seconds(proc.pid)
            best = lambda rs, k: max((r[k] for r in rs), key=lambda v: v[0])  # noqa: E731
            rows.append((size, n, best(prods, "produce"), best(conss, "consume"),
                         best(mocks, "produce"), best(mocks, "consume"),
                         (c1 - c0) / (n * a.runs) * 1e6, (c2 - c1) / (n * a.runs) * 1e6))
        lat = run(client, ["-b", boot, "-t", "lat", "-p", "1", "-n", "50000",
                           "-s", "100", "-r", "10000", "-P"])["latency"]
        # Two producers on separate topics: one client is usually the limit.
        def two_producers(size, n):
            c0 = cpu_seconds(proc.pid)
            t0 = time.monotonic()
            ps = [subprocess.Popen([client, "-b", boot, "-t", "two%d-%d" % (size, i),
                                    "-p", parts, "-n", str(n), "-s", str(size), "-P",
                                    "-q"]) for i in range(2)]
            for p in ps:
                if p.wait() != 0:
                    sys.exit("a producer failed")
            return time.monotonic() - t0, cpu_seconds(proc.pid) - c0

        dt, cpu = two_producers(100, n100)
        dt1k, _ = two_producers(1024, n1k * 2)
        print()
        print("| size | msgs | samsad produce msgs/s (MB/s) | mock produce | ratio "
              "| samsad consume msgs/s (MB/s) | mock consume | ratio "
              "| broker CPU s/M msgs (produce, consume) |")
        print("|---|---|---|---|---|---|---|---|---|")
        for size, n, p, c, mp, mc, cpp, cpc in rows:
            print("| %d B | %d | %.0f (%.1f) | %.0f | %.2f | %.0f (%.1f) | %.0f | %.2f "
                  "| %.2f, %.2f |" % (size, n, p[0], p[1], mp[0], p[0] / mp[0], c[0],
                                      c[1], mc[0], c[0] / mc[0], cpp, cpc))
        big = rows[1]
        print("\n1 KiB produce: %.1f MB/s = %.2f of sequential write (%.0f MB/s)"
              % (big[2][1], big[2][1] / disk, disk))
        print("produce latency at 10000 msgs/s, 100 B, acks=all, linger 0: "
              "p50 %.2f ms, p99 %.2f ms" % lat)
        print("two producers (separate topics, 100 B): %.0f msgs/s total, "
              "broker CPU %.2f s per million messages"
              % (2 * n100 / dt, cpu / (2 * n100) * 1e6))
        mb = 2 * n1k * 2 * 1024 / dt1k / 1e6
        print("two producers (separate topics, 1 KiB): %.1f MB/s total = %.2f of "
              "sequential write" % (mb, mb / disk))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
