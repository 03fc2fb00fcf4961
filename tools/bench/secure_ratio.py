#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Cost of security (issue 14): produce and consume over SASL_SSL as a
ratio of PLAINTEXT, on one broker in one run.

    tools/bench/secure_ratio.py [--build build] [--rounds N] [--count N]
                                [--size B] [--mechanism SCRAM-SHA-512|PLAIN]

One samsad listens on PLAINTEXT and SASL_SSL (a test CA and broker
certificate, EC P-256, made with openssl; PLAIN and SCRAM users). Each
round runs librdkafka (tests/integration/tools/rdkafka_roundtrip, acks=all,
8 partitions) over PLAINTEXT then SASL_SSL, alternating which goes first:
--count records produced, then consumed. Broker CPU seconds per million
records (all threads, /proc/PID/task/*/schedstat) and msgs/s per direction;
medians per protocol and the SASL_SSL/PLAINTEXT ratios. On a shared
machine msgs/s move with the load; CPU per record moves much less.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import produce_ab  # noqa: E402
import produce_consume as pc  # noqa: E402
from secure_pki import make_pki  # noqa: E402


def start(build, work, plain, sasl_ssl):
    pki = make_pki(os.path.join(work, "pki"))
    conf = os.path.join(work, "conf.d")
    shutil.copytree(os.path.join(pc.ROOT, "conf.d"), conf)
    users = os.path.join(work, "plain-users")
    with open(users, "w") as f:
        f.write("bench:bench-secret\n")
    with open(os.path.join(conf, "samsa.yaml"), "a") as f:
        f.write("\nssl_keystore_location: %s\nssl_key_location: %s\n"
                % (pki["broker.pem"], pki["broker.key"]))
    with open(os.path.join(conf, "40-sasl.yaml"), "w") as f:
        f.write("plugins:\n  - name: plain\n    plugin: sasl-plain\n"
                "    config: {users_file: %s}\n"
                "  - name: scram-sha-512\n    plugin: sasl-scram\n"
                "    config: {mechanism: SCRAM-SHA-512}\n" % users)
    proc = subprocess.Popen(
        [os.path.join(build, "core", "samsad"), "--listen", plain,
         "--listen", "SASL_SSL://" + sasl_ssl,
         "--data-dir", os.path.join(work, "data"), "--conf-dir", conf,
         "--plugin-dir", os.path.join(build, "plugins"),
         "--http-listen", "none"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    produce_ab.wait_listening(plain)
    subprocess.run([os.path.join(build, "tools", "cli", "samsa"), "user",
                    "set", "bench", "--password", "bench-secret", "-b", plain],
                   check=True, capture_output=True)
    return proc, pki


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(pc.ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--count", type=int, default=500000)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--mechanism", default="SCRAM-SHA-512")
    a = ap.parse_args()
    client = os.path.join(a.build, "tests", "integration", "rdkafka_roundtrip")
    work = tempfile.mkdtemp(prefix="samsa-secure-bench-")
    plain = "127.0.0.1:%d" % pc.free_port()
    sasl_ssl = "127.0.0.1:%d" % pc.free_port()
    proc, pki = start(a.build, work, plain, sasl_ssl)
    extra = {
        "PLAINTEXT": ["-b", plain],
        "SASL_SSL": ["-b", sasl_ssl, "-X", "security.protocol=SASL_SSL",
                     "-X", "ssl.ca.location=" + pki["ca.pem"],
                     "-X", "sasl.mechanisms=" + a.mechanism,
                     "-X", "sasl.username=bench",
                     "-X", "sasl.password=bench-secret"],
    }
    res = {p: {"produce": [], "consume": []} for p in extra}
    try:
        for r in range(a.rounds):
            order = list(extra) if r % 2 == 0 else list(extra)[::-1]
            for proto in order:
                topic = "bench-%s-%d" % (proto.lower(), r)
                for mode in ("produce", "consume"):
                    c0 = produce_ab.task_cpu_seconds(proc.pid)
                    out = pc.run(client, extra[proto] + [
                        "-t", topic, "-p", "8", "-n", str(a.count),
                        "-s", str(a.size), "-P" if mode == "produce" else "-C"])
                    cpm = (produce_ab.task_cpu_seconds(proc.pid) - c0) / \
                        a.count * 1e6
                    res[proto][mode].append((cpm, out[mode][0]))
                    print("round %d %s %s: %.3f broker CPU s/M records, "
                          "%.0f msgs/s" % (r, proto, mode, cpm, out[mode][0]),
                          flush=True)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        shutil.rmtree(work, ignore_errors=True)

    def med(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2]
    print()
    print("%d B records, %s, %d rounds of %d, load average %.1f"
          % (a.size, a.mechanism, a.rounds, a.count, os.getloadavg()[0]))
    print("| direction | PLAINTEXT CPU s/M | SASL_SSL CPU s/M | CPU ratio "
          "| PLAINTEXT msgs/s | SASL_SSL msgs/s | throughput ratio |")
    print("|---|---|---|---|---|---|---|")
    for mode in ("produce", "consume"):
        pcpu = med(x[0] for x in res["PLAINTEXT"][mode])
        scpu = med(x[0] for x in res["SASL_SSL"][mode])
        prate = med(x[1] for x in res["PLAINTEXT"][mode])
        srate = med(x[1] for x in res["SASL_SSL"][mode])
        print("| %s | %.3f | %.3f | %.2f | %.0f | %.0f | %.2f |"
              % (mode, pcpu, scpu, scpu / pcpu, prate, srate, srate / prate))


if __name__ == "__main__":
    main()
