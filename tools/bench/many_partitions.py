#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark: one node holding many partitions under a low fd limit.

Starts samsad under RLIMIT_NOFILE --nofile (default 4096, far below the
packaged LimitNOFILE of 262144) with its data dir in --dir (default a
fresh directory in /dev/shm, so the VM's disk does not dominate), creates
--partitions partitions in topics of at most 10,000 (the default
max_partitions_per_request), writes one record to every --every-th
partition, and prints: creation time, open fds and VmRSS after creating,
after writing and after two housekeep passes, the stop time, and the time
from restart to listening with its fds and VmRSS, and reads one record
back.

    tools/bench/many_partitions.py [--partitions 100000] [--nofile 4096]
                                   [--every 10] [--build DIR] [--dir DIR]
"""
import argparse
import os
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


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return -1.0


def start(args, work, port):
    cmd = ["prlimit", "--nofile=%d:%d" % (args.nofile, args.nofile),
           os.path.join(args.build, "core", "samsad"), "--listen",
           "127.0.0.1:%d" % port, "--data-dir", os.path.join(work, "data"),
           "--conf-dir", os.path.join(work, "conf.d"), "--plugin-dir",
           os.path.join(args.build, "plugins"), "--http-listen", "127.0.0.1:0"]
    log = open(os.path.join(work, "samsad.log"), "ab")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    while True:
        if proc.poll() is not None:
            sys.exit("samsad exited: see %s/samsad.log" % work)
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, time.monotonic() - t0
        except OSError:
            time.sleep(0.02)


def stop(proc):
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(600)
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--partitions", type=int, default=100000)
    ap.add_argument("--nofile", type=int, default=4096)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--dir", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
    args = ap.parse_args()
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    work = tempfile.mkdtemp(prefix="samsa-many-", dir=args.dir)
    shutil.copytree(os.path.join(ROOT, "conf.d"), os.path.join(work, "conf.d"))
    port = free_port()
    boot = "127.0.0.1:%d" % port
    proc = None
    try:
        proc, _ = start(args, work, port)
        admin = AdminClient({"bootstrap.servers": boot})
        topics, left, t0 = [], args.partitions, time.monotonic()
        while left > 0:
            n = min(left, 10000)
            name = "p%d" % len(topics)
            admin.create_topics([NewTopic(name, n, 1)], request_timeout=600,
                                operation_timeout=600)[name].result(900)
            topics.append((name, n))
            left -= n
        print("created %d partitions in %.1f s; fds %d, VmRSS %.0f MiB" %
              (args.partitions, time.monotonic() - t0, fds(proc.pid), rss_mib(proc.pid)))
        p = Producer({"bootstrap.servers": boot, "linger.ms": 20})
        written = 0
        for name, n in topics:
            for part in range(0, n, args.every):
                p.produce(name, value=b"x" * 100, partition=part)
                written += 1
                if written % 1000 == 0:
                    p.poll(0)
        left = p.flush(300)
        if left:
            with open(os.path.join(work, "samsad.log"), errors="replace") as f:
                lines = f.readlines()
            bad = [l for l in lines if " ERROR " in l or " WARN " in l]
            sys.exit("%d records not delivered; %d WARN/ERROR lines, last: %s" %
                     (left, len(bad), "".join(bad[-5:])))
        print("wrote to %d partitions; fds %d, VmRSS %.0f MiB" %
              (written, fds(proc.pid), rss_mib(proc.pid)))
        del p, admin
        time.sleep(11)   # two housekeep passes (5 s each by default)
        print("after two housekeep passes: fds %d" % fds(proc.pid))
        print("stop: %.1f s" % stop(proc))
        proc, took = start(args, work, port)
        print("restart to listening: %.1f s; fds %d, VmRSS %.0f MiB" %
              (took, fds(proc.pid), rss_mib(proc.pid)))
        out = subprocess.run(["kcat", "-b", boot, "-C", "-t", topics[-1][0], "-p", "0",
                              "-o", "beginning", "-e", "-q"], capture_output=True,
                             timeout=60)
        print("read back: %d bytes" % len(out.stdout.strip()))
        stop(proc)
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
