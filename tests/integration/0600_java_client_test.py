# SPDX-License-Identifier: Apache-2.0
"""Apache Kafka's own Java client, kafka-clients 3.8.0 (the reference
implementation), run by tests/integration/java/SamsaJavaClients.java:
AdminClient creates a 3-partition topic and describes it and its configs;
a KafkaProducer with default settings (acks=all, idempotence on, so
InitProducerId) sends 1000 keyed records and checks each RecordMetadata; a
KafkaConsumer in a group (default assignors) reads them all and commits
synchronously; a second consumer joins and the group rebalances (both get
partitions); admin describeConsumerGroups and listConsumerGroupOffsets
show the group and its commit. Here: the stored batches carry a producer
id (idempotent), and Samsa's own hash partitioner puts every key on the
partition the Java client chose. SamsaJavaExtras.java adds every codec, a
cooperative-sticky group and more admin calls."""
import glob
import json
import os
import struct
import subprocess

import pytest

from kafka_wire import segment_batches
from samsa_harness import PLUGIN_DIR, SAMSA_CLI

HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_DIR = os.path.join(HERE, "java")
KAFKA_CLIENTS_JAR = os.path.join(JAVA_DIR, "lib", "kafka-clients-3.8.0.jar")


@pytest.fixture(scope="module")
def java_classpath():
    # tests/integration/run.sh fetches the jars once; this covers a plain
    # pytest run. Only the first fetch needs Maven Central.
    if not os.path.exists(KAFKA_CLIENTS_JAR):
        out = subprocess.run(
            ["mvn", "-q", "-B", "dependency:copy-dependencies",
             "-DoutputDirectory=lib", "-DincludeScope=runtime"],
            cwd=JAVA_DIR, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, "mvn failed:\n" + out.stdout + out.stderr
    return os.path.join(JAVA_DIR, "lib", "*")


def samsa(broker, *args, input=None):
    out = subprocess.run([SAMSA_CLI] + list(args) +
                         ["-b", broker.bootstrap, "--conf-dir", broker.conf_dir,
                          "--plugin-dir", PLUGIN_DIR],
                         input=input, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_java_admin_idempotent_producer_group_rebalance_offsets(broker, java_classpath):
    topic, count = "java", 1000
    out = subprocess.run(
        ["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
         "-cp", java_classpath, os.path.join(JAVA_DIR, "SamsaJavaClients.java"),
         broker.bootstrap, topic, str(count)],
        capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[-1] == "ok", out.stdout + out.stderr
    java_part = {}
    for line in lines:
        if line.startswith("keypart "):
            _, key, part = line.split()
            java_part[key] = int(part)
    assert len(java_part) == 37, out.stdout
    assert len(set(java_part.values())) == 3, java_part

    # Default producer = idempotent: every stored batch has a producer id.
    stored = []
    for path in glob.glob(os.path.join(broker.data_dir, topic + "-*", "*.log")):
        stored += segment_batches(path)
    assert stored, "no batches stored for " + topic
    assert all(pid >= 0 for pid, _ in stored), stored[:5]

    # Samsa's hash partitioner (murmur2, as Java) sends each key to the
    # partition the Java client chose; check where the broker stored both.
    lines = "".join("%s:samsa-%d\n" % (k, i) for i, k in enumerate(sorted(java_part)))
    samsa(broker, "produce", "-t", topic, "-K", ":", input=lines)
    records = [json.loads(l) for l in
               samsa(broker, "consume", "-t", topic, "--from-beginning", "-e",
                     "--format", "json").splitlines()]
    assert len(records) == count + len(java_part)
    where = {}
    for r in records:
        where.setdefault(r["key"], set()).add(r["partition"])
    for key, part in java_part.items():
        assert where[key] == {part}, (key, part, where[key])


def test_java_compression_cooperative_group_and_topic_admin(broker, java_classpath):
    # SamsaJavaExtras.java: none/gzip/snappy/lz4/zstd through a default
    # (idempotent) producer and an assigned consumer; a cooperative-sticky
    # group; describeCluster, listTopics, createPartitions,
    # incrementalAlterConfigs, deleteRecords, list/deleteConsumerGroups,
    # deleteTopics; dynamic broker configs as kafka-configs sets them.
    out = subprocess.run(
        ["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
         "-cp", java_classpath, os.path.join(JAVA_DIR, "SamsaJavaExtras.java"),
         broker.bootstrap, "jx"],
        capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines()[-1] == "ok", out.stdout + out.stderr
