#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Produce cost of several builds side by side, alternating, in one run:
broker CPU seconds per million records and msgs/s, 100 B and 1 KiB.

    tools/bench/produce_ab.py BUILD_DIR [BUILD_DIR...] [--rounds N] [--count N]

Each round starts a fresh samsad of every build in turn and produces
--count 100 B records (and --count/8 of 1 KiB) over 32 partitions with
librdkafka (acks=all). On a shared machine msgs/s swing with the load;
the broker's CPU time per record (summed over its threads from
/proc/PID/task/*/schedstat, nanoseconds) moves much less, and alternating
the builds spreads the load over all of them alike. Prints every run and
then the median (and best) per build. Older builds without --http-listen
are started without it (and with their own conf.d, when BUILD/../conf.d
exists).
"""
import argparse
import glob
import os
import signal
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import produce_consume as pc  # noqa: E402


def task_cpu_seconds(pid):
    total = 0
    for f in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(f) as fh:
                total += int(fh.read().split()[0])
        except OSError:
            pass  # a thread that just ended
    return total / 1e9


def start(build, work, boot):
    samsad = os.path.join(build, "core", "samsad")
    helptext = subprocess.run([samsad, "--help"], capture_output=True,
                              text=True).stdout
    if "--http-listen" in helptext:
        return pc.start_samsad(build, work, boot)
    conf = os.path.join(build, "..", "conf.d")
    if not os.path.isdir(conf):
        conf = os.path.join(pc.ROOT, "conf.d")
    proc = subprocess.Popen([samsad, "--listen", boot,
                             "--data-dir", os.path.join(work, "data"),
                             "--conf-dir", conf,
                             "--plugin-dir", os.path.join(build, "plugins")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_listening(boot)
    return proc


def wait_listening(boot):
    port = int(boot.rsplit(":", 1)[1])
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), 0.1).close()
            return
        except OSError:
            time.sleep(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("builds", nargs="+")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--count", type=int, default=1000000, help="100 B records")
    ap.add_argument("--client", default=os.path.join(
        pc.ROOT, "build", "tests", "integration", "rdkafka_roundtrip"))
    a = ap.parse_args()
    res = {b: {100: [], 1024: []} for b in a.builds}
    for r in range(a.rounds):
        for b in a.builds:
            work = tempfile.mkdtemp(prefix="samsa-ab-")
            boot = "127.0.0.1:%d" % pc.free_port()
            proc = start(b, work, boot)
            try:
                for size, n in ((100, a.count), (1024, a.count // 8)):
                    c0 = task_cpu_seconds(proc.pid)
                    out = pc.run(a.client, ["-b", boot, "-t", "s%d" % size, "-p", "32",
                                            "-n", str(n), "-s", str(size), "-P"])
                    cpm = (task_cpu_seconds(proc.pid) - c0) / n * 1e6
                    res[b][size].append((cpm, out["produce"][0]))
                    print("round %d %s %d B: %.3f CPU s/M records, %.0f msgs/s"
                          % (r, b, size, cpm, out["produce"][0]), flush=True)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)
                shutil.rmtree(work, ignore_errors=True)
    print()
    print("| build | size | broker CPU s/M records, median (best) "
          "| msgs/s, median (best) |")
    print("|---|---|---|---|")
    for b in a.builds:
        for size in (100, 1024):
            cpu = sorted(x[0] for x in res[b][size])
            rate = sorted(x[1] for x in res[b][size])
            print("| %s | %d B | %.3f (%.3f) | %.0f (%.0f) |"
                  % (b, size, cpu[len(cpu) // 2], cpu[0], rate[len(rate) // 2],
                     rate[-1]))


if __name__ == "__main__":
    main()
