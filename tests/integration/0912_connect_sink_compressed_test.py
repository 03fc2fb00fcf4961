# SPDX-License-Identifier: Apache-2.0
"""A sink consumes compressed batches (gzip, snappy, lz4, zstd: what
producers send by default in many setups) through the codec plugins:
every record reaches the file, in order. Before, the sink's fetches had
no codec and the task failed on the first compressed batch."""
import os

from confluent_kafka import Producer

from connect_rest import call, lines, wait_for, wait_ready


def test_file_sink_reads_compressed_batches(broker_factory):
    broker = broker_factory("connect_enabled: true").start()
    sent = []
    for codec in ("gzip", "snappy", "lz4", "zstd"):
        # librdkafka (python3-confluent-kafka) has all four codecs.
        p = Producer({"bootstrap.servers": broker.bootstrap,
                      "compression.codec": codec, "linger.ms": 50})
        for i in range(5):
            v = "%s-%d" % (codec, i)
            sent.append(v)
            p.produce("packed", value=v.encode(), partition=0)
        assert p.flush(30) == 0
    wait_ready(broker)
    out = os.path.join(broker.workdir, "packed.txt")
    code, info = call(broker, "POST", "/connectors", {"name": "packed", "config": {
        "connector.class": "FileStreamSink", "file": out, "topics": "packed",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter"}})
    assert code == 201, info
    wait_for(lambda: lines(out) == sent, "every record in the file")
