#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark (issue 17): what /metrics costs. One samsad, one run:
librdkafka produce throughput and the broker's CPU seconds per million
records, alternating rounds with /metrics scraped every second (as a
Prometheus server would, but 15x more often than its default) and not
scraped at all.

    tools/bench/metrics_overhead.py [--build DIR] [--count N] [--rounds R]

The client is tests/integration/tools/rdkafka_roundtrip (built with the
tree); each round produces N 100-byte records (null keys) over 32
partitions of a new topic, so later scrapes carry more series.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from produce_consume import cpu_seconds, free_port, start_samsad  # noqa: E402


class Scraper(threading.Thread):
    """GET /metrics once a second until stopped; counts scrapes and bytes."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.stop_at, self.scrapes, self.bytes = url, threading.Event(), 0, 0

    def run(self):
        while not self.stop_at.is_set():
            with urllib.request.urlopen(self.url, timeout=10) as r:
                self.bytes += len(r.read())
            self.scrapes += 1
            self.stop_at.wait(1.0)


def produce(client, boot, topic, n, extra):
    out = subprocess.run([client, "-b", boot, "-t", topic, "-p", "32", "-n", str(n),
                          "-s", "100", "-P"] + extra,
                         capture_output=True, text=True, timeout=900)
    if out.returncode != 0:
        sys.exit("client failed:\n" + out.stderr[-2000:])
    m = re.search(r"produce: \d+ msgs.* ([\d.]+) msgs/s", out.stdout)
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    client = os.path.join(a.build, "tests", "integration", "rdkafka_roundtrip")
    work = tempfile.mkdtemp(prefix="samsa-bench-")
    port, http_port = free_port(), free_port()
    boot = "127.0.0.1:%d" % port
    proc = start_samsad(a.build, work, boot, "127.0.0.1:%d" % http_port)
    url = "http://127.0.0.1:%d/metrics" % http_port
    results = {False: [], True: []}
    try:
        produce(client, boot, "warmup", 100000, [])
        for r in range(a.rounds):
            for scraped in (False, True):
                s = Scraper(url) if scraped else None
                if s:
                    s.start()
                c0 = cpu_seconds(proc.pid)
                rate = produce(client, boot, "m%d%s" % (r, "s" if scraped else ""),
                               a.count, [])
                cpu = (cpu_seconds(proc.pid) - c0) / a.count * 1e6
                if s:
                    s.stop_at.set()
                    s.join()
                results[scraped].append((rate, cpu))
                print("round %d %-11s %9.0f msgs/s  %.3f CPU s per million%s"
                      % (r + 1, "scraped" if scraped else "not scraped", rate, cpu,
                         "  (%d scrapes, %d KB each)" % (s.scrapes, s.bytes / max(s.scrapes, 1) / 1024)
                         if s else ""))
        # The scrape alone, on the now idle broker: CPU per /metrics.
        c0, t0, size = cpu_seconds(proc.pid), time.monotonic(), 0
        for _ in range(50):
            with urllib.request.urlopen(url, timeout=10) as r:
                size = len(r.read())
        per = (cpu_seconds(proc.pid) - c0) / 50 * 1000
        print("one scrape of %d KB (%d partitions): %.2f ms broker CPU, %.1f ms wall"
              % (size / 1024, 32 * (2 * a.rounds) + 32, per,
                 (time.monotonic() - t0) / 50 * 1000))
    finally:
        proc.terminate()
        proc.wait(30)
    med = lambda v: sorted(v)[len(v) // 2]  # noqa: E731
    for scraped in (False, True):
        rs = results[scraped]
        print("%-11s median %9.0f msgs/s, %.3f broker CPU s per million records"
              % ("scraped" if scraped else "not scraped",
                 med([x[0] for x in rs]), med([x[1] for x in rs])))


if __name__ == "__main__":
    main()
