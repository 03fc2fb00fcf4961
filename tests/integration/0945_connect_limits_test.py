# SPDX-License-Identifier: Apache-2.0
"""Per-connector limits (beyond Kafka Connect): a file source under
samsa.max.records.per.second moves no more than the rate allows (plus the
one-second bucket) over the time measured, and waited for it; a file sink
under samsa.max.buffered.bytes never holds more than the limit plus one
record (the worker's own peak, GET /connectors/NAME/limits) and under
samsa.max.bytes.per.second waits; every record still arrives once. Bad
values are refused with 400. Bounds are upper bounds on what moved in a
measured time, so a slow machine only makes them easier to meet."""
import os
import time

from kafka import KafkaProducer

from connect_rest import call, lines, wait_for, wait_ready


def usage(broker, name):
    code, out = call(broker, "GET", "/connectors/%s/limits" % name)
    assert code == 200, out
    return out


def test_source_records_per_second(broker_factory):
    broker = broker_factory("connect_enabled: true").start()
    src = os.path.join(broker.workdir, "in.txt")
    with open(src, "w") as f:
        f.write("".join("line%04d\n" % i for i in range(3000)))
    wait_ready(broker)
    code, err = call(broker, "POST", "/connectors", {
        "name": "bad", "config": {"connector.class": "FileStreamSource",
                                  "file": src, "topic": "t",
                                  "samsa.max.records.per.second": "-5"}})
    assert code == 400 and "samsa.max.records.per.second" in err["message"], err

    t0 = time.monotonic()
    code, info = call(broker, "POST", "/connectors", {
        "name": "slow", "config": {"connector.class": "FileStreamSource",
                                   "file": src, "topic": "limited",
                                   "samsa.max.records.per.second": "200"}})
    assert code == 201, info
    wait_for(lambda: usage(broker, "slow")["tasks"][0]["records"] > 0,
             "the first records")
    time.sleep(1.5)
    u = usage(broker, "slow")
    elapsed = time.monotonic() - t0
    task = u["tasks"][0]
    assert u["samsa.max.records.per.second"] == 200
    # At most a second's bucket plus the rate over the time elapsed
    # (without the limit all 3000 lines go at once).
    assert 0 < task["records"] <= 200 * elapsed + 201, (task, elapsed)
    assert task["throttled_ms"] > 0, task


def test_sink_buffered_bytes_and_bytes_per_second(broker_factory):
    broker = broker_factory("connect_enabled: true").start()
    p = KafkaProducer(bootstrap_servers=broker.bootstrap)
    values = ["%04d" % i + "x" * 996 for i in range(200)]
    for v in values:
        p.send("big", value=v.encode())
    p.flush()
    p.close()
    wait_ready(broker)
    out = os.path.join(broker.workdir, "out.txt")
    code, info = call(broker, "POST", "/connectors", {
        "name": "held", "config": {
            "connector.class": "FileStreamSink", "file": out, "topics": "big",
            "value.converter": "org.apache.kafka.connect.storage.StringConverter",
            "samsa.max.buffered.bytes": "5000",
            "samsa.max.bytes.per.second": "100000"}})
    assert code == 201, info
    wait_for(lambda: lines(out) == values, "every record in the file")
    task = usage(broker, "held")["tasks"][0]
    assert task["bytes"] == 200 * 1000 and task["records"] == 200, task
    # The limit plus the one record that crossed it (without the limit
    # one fetch holds all 200 KB).
    assert 1000 <= task["buffered_bytes_max"] <= 5000 + 1000, task
    # 200 KB at 100 KB/s with a 100 KB bucket: the task waited.
    assert task["throttled_ms"] > 0, task
