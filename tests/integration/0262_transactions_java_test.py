# SPDX-License-Identifier: Apache-2.0
"""Transactions with Apache Kafka's Java client (kafka-clients 3.8.0), run
by tests/integration/java/SamsaJavaTxn.java: commit and abort with
read_committed (committed records only) and read_uncommitted (all)
consumers, a zombie producer fenced by a newer instance of its
transactional.id, and a consume-transform-produce loop whose group offsets
are committed by sendOffsetsToTransaction. Here: the aborted records and
the markers are in the log (control batches with the producer's id)."""
import glob
import os
import subprocess

from kafka_wire import segment_batches

HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_DIR = os.path.join(HERE, "java")
KAFKA_CLIENTS_JAR = os.path.join(JAVA_DIR, "lib", "kafka-clients-3.8.0.jar")

CONTROL = 0x20
TRANSACTIONAL = 0x10


def test_java_transactions_commit_abort_fencing_and_offsets(broker):
    if not os.path.exists(KAFKA_CLIENTS_JAR):
        out = subprocess.run(
            ["mvn", "-q", "-B", "dependency:copy-dependencies",
             "-DoutputDirectory=lib", "-DincludeScope=runtime"],
            cwd=JAVA_DIR, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, "mvn failed:\n" + out.stdout + out.stderr
    out = subprocess.run(
        ["java", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
         "-cp", os.path.join(JAVA_DIR, "lib", "*"),
         os.path.join(JAVA_DIR, "SamsaJavaTxn.java"), broker.bootstrap, "jtx"],
        capture_output=True, text=True, timeout=150)
    assert out.returncode == 0, out.stdout + out.stderr + broker.log_text()[-4000:]
    assert out.stdout.splitlines()[-1] == "ok", out.stdout + out.stderr
    # Each committed or aborted transaction left one marker per partition it
    # wrote to, from the transactional producer, beside its data batches.
    batches = []
    for seg in glob.glob(os.path.join(broker.data_dir, "jtx-out-*", "*.log")):
        batches += segment_batches(seg)
    markers = [b for b in batches if b[1] & CONTROL]
    data = [b for b in batches if not b[1] & CONTROL]
    assert markers and all(a & TRANSACTIONAL and pid >= 0 for pid, a in markers)
    assert all(a & TRANSACTIONAL for _, a in data)
    # The transaction log holds Kafka's TransactionLogKey records.
    assert glob.glob(os.path.join(broker.data_dir, "__transaction_state-0", "*.log"))
