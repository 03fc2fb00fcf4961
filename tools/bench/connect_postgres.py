#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark: topic -> PostgreSQL sink rows/s through samsad's Connect
worker, against a PostgreSQL 15 started in a temporary directory
(tests/integration/pg_server.py; fsync off there, so the figure is the
connector's and libpq's, not the disk's).

Produces --rows JSON records ({"id","name","score"}, key {"id"}) with
kafka-python, then creates a sink-postgres connector (auto.create,
--mode insert or upsert with pk.mode=record_key) and prints rows/s from
its creation until the table holds every row.

    tools/bench/connect_postgres.py [--rows 100000] [--mode upsert]
                                    [--tasks 1] [--build DIR]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from connect_bench import ROOT, ConnectSamsad, call
from kafka import KafkaProducer

sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from pg_server import PgServer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--mode", choices=("insert", "upsert"), default="upsert")
    ap.add_argument("--tasks", type=int, default=1)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="samsa-bench-pg-",
                            dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    pg = PgServer().start()
    samsad = ConnectSamsad(a.build, work,
                           "num_partitions: %d\n" % max(a.tasks, 1))
    base = samsad.base
    try:
        p = KafkaProducer(bootstrap_servers=samsad.bootstrap,
                          linger_ms=20, batch_size=1 << 18)
        for i in range(a.rows):
            p.send("people", key=json.dumps({"id": i}).encode(),
                   value=json.dumps({"id": i, "name": "name-%d" % i,
                                     "score": i * 0.5}).encode())
        p.flush(120)
        p.close()
        config = {"connector.class": "PostgresSink", "connection.url": pg.url,
                  "topics": "people", "auto.create": "true",
                  "tasks.max": str(a.tasks),
                  "insert.mode": a.mode, "pk.mode": "record_key",
                  "pk.fields": "id",
                  "key.converter": "org.apache.kafka.connect.json.JsonConverter",
                  "key.converter.schemas.enable": "false",
                  "value.converter": "org.apache.kafka.connect.json.JsonConverter",
                  "value.converter.schemas.enable": "false"}
        t0 = time.monotonic()
        call(base, "POST", "/connectors", {"name": "pg", "config": config})
        n = 0
        while n < a.rows:
            if not samsad.alive():
                sys.exit("samsad exited")
            time.sleep(0.2)
            try:
                n = int(pg.sql("SELECT count(*) FROM people")[0][0])
            except subprocess.CalledProcessError:
                n = 0  # the table is not there yet
        secs = time.monotonic() - t0
        print("topic -> PostgreSQL sink (%s, %d task(s)): %d rows in %.2f s: "
              "%.0f rows/s" % (a.mode, a.tasks, a.rows, secs, a.rows / secs))
    finally:
        samsad.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
