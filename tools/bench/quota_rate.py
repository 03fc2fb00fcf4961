#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Producer byte-rate quota over a long run (issue 14: "a producer over its
byte rate is held to it within 10 % over 30 s; others are not slowed").
CI's test 0840 checks the same in 9 s with a 3-window sensor, within -20 %/+25 %;
this is the full-length measurement with the broker's default sensor
(quota_window_num 11 x 1 s, as Kafka's).

    SAMSA_BUILD_DIR=build tools/bench/quota_rate.py [--seconds 30]
    (Debian's python3-confluent-kafka: the system interpreter, as the tests)
        [--quota 100000] [--warmup 0]

One samsad; AlterClientQuotas sets producer_byte_rate for client-id
"limited". First a client-id "free" produces alone for --free-seconds
(its unthrottled rate), then "limited" floods for --seconds while "free"
floods beside it for the same time. Both are confluent-kafka producers
writing 1000-byte values as fast as they can (test 0840's flood()).
Printed: the limited producer's acknowledged value bytes per second over
the whole run and after --warmup seconds (the first burst a fresh sensor
allows, about (windows - 1) seconds' worth, counts in the whole-run
figure as Kafka's does), the ratio to the quota and whether it is within
10 %; the free producer's rate alone and beside the limited one, and
whether it was ever throttled. Value bytes only: the quota also counts
each request's framing, so the measured rate sits a little below it.
"""
import argparse
import importlib
import os
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from samsa_harness import Broker, new_workdir  # noqa: E402

quotas = importlib.import_module("0840_client_quotas_test")


def rate(stats, start, end):
    acked = [a for a in stats["acked"] if start <= a < end]
    return len(acked) * 1000.0 / (end - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--free-seconds", type=float, default=5.0)
    ap.add_argument("--quota", type=int, default=100_000)
    ap.add_argument("--warmup", type=float, default=10.0)
    a = ap.parse_args()
    b = Broker(new_workdir(), "auto_create_topics: true\n").start()
    try:
        assert quotas.alter_quotas(b.port, [
            ([("client-id", "limited")],
             [("producer_byte_rate", float(a.quota), False)])]) == [0]
        alone = {}
        quotas.flood(b.bootstrap, "free", a.free_seconds, alone)
        free, lim = {}, {}
        t = threading.Thread(target=quotas.flood,
                             args=(b.bootstrap, "free", a.seconds, free))
        t.start()
        quotas.flood(b.bootstrap, "limited", a.seconds, lim)
        t.join()
    finally:
        b.stop()
    t0 = lim["start"]
    whole = rate(lim, t0, t0 + a.seconds)
    steady = rate(lim, t0 + a.warmup, t0 + a.seconds)
    free_alone = rate(alone, alone["start"], alone["start"] + a.free_seconds)
    free_beside = rate(free, free["start"], free["start"] + a.seconds)
    print("limited, quota %d B/s, %.0f s, load average %.1f"
          % (a.quota, a.seconds, os.getloadavg()[0]))
    for what, r in (("whole run", whole),
                    ("after %.0f s" % a.warmup, steady)):
        print("  %-12s %9.0f B/s  %.3f x quota  %s" % (
            what, r, r / a.quota,
            "within 10 %" if abs(r / a.quota - 1) <= 0.10 else "OUTSIDE 10 %"))
    print("  throttled responses: %d" % sum(1 for x in lim["throttles"] if x))
    print("free (no quota)")
    print("  alone        %9.0f B/s" % free_alone)
    print("  beside       %9.0f B/s  %.2f x alone, throttled %d times" % (
        free_beside, free_beside / free_alone if free_alone else 0,
        sum(1 for x in free["throttles"] if x)))


if __name__ == "__main__":
    main()
