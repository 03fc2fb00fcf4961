# SPDX-License-Identifier: Apache-2.0
"""log_flush_interval_messages: 1 means fsync before the acknowledgement,
as Kafka's flush.messages=1 does (issue 11, item 7): the Produce response
is written only after the flusher thread's fdatasync of that append has
returned. Observed with strace on the broker (fdatasync and writev, the
syscall the reactor answers with), one Produce at a time."""
import os
import signal
import socket
import struct
import subprocess
import time

from kafka.record.default_records import DefaultRecordBatchBuilder

from kafka_wire import frame, read_frame
from samsa_harness import PLUGIN_DIR, SAMSA_CLI, SAMSAD, Broker

ROUNDS = 5


class TracedBroker(Broker):
    """samsad under strace -f: every thread's fdatasync and writev."""

    def start(self):
        self.trace_path = os.path.join(self.workdir, "strace.txt")
        real = SAMSAD
        wrapper = os.path.join(self.workdir, "samsad-traced")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec strace -f -qq -e trace=fdatasync,writev "
                    "-o %s %s \"$@\"\n" % (self.trace_path, real))
        os.chmod(wrapper, 0o755)
        import samsa_harness
        samsa_harness.SAMSAD = wrapper
        try:
            return super().start()
        finally:
            samsa_harness.SAMSAD = real

    def kill(self):
        # Killing strace detaches samsad, which then runs on: kill the
        # traced samsad (strace's child) first.
        if self.proc and self.proc.poll() is None:
            children = subprocess.run(["pgrep", "-P", str(self.proc.pid)],
                                      capture_output=True, text=True)
            for pid in children.stdout.split():
                os.kill(int(pid), signal.SIGKILL)
        super().kill()


def one_record_batch(value):
    b = DefaultRecordBatchBuilder(
        magic=2, compression_type=0, is_transactional=False, producer_id=-1,
        producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    b.append(0, timestamp=int(time.time() * 1000), key=None, value=value,
             headers=[])
    return bytes(b.build())


def produce_v3(topic, records):
    name = topic.encode()
    return (struct.pack(">hhi", -1, 1, 30000) +          # txn id, acks, timeout
            struct.pack(">i", 1) + struct.pack(">h", len(name)) + name +
            struct.pack(">i", 1) + struct.pack(">ii", 0, len(records)) +
            records)


def trace_lines(path, start):
    with open(path, "rb") as f:
        f.seek(start)
        return f.read().decode(errors="replace").splitlines()


def test_produce_is_answered_after_its_fdatasync(broker_factory):
    b = broker_factory("log_flush_interval_messages: 1")
    b.__class__ = TracedBroker
    b.start()
    subprocess.run([SAMSA_CLI, "topic", "create", "durable", "--partitions",
                    "1", "-b", b.bootstrap, "--conf-dir", b.conf_dir,
                    "--plugin-dir", PLUGIN_DIR], check=True, timeout=30,
                   capture_output=True)
    with socket.create_connection(("127.0.0.1", b.port), timeout=30) as s:
        for i in range(ROUNDS):
            time.sleep(0.2)  # let strace write out the previous round
            start = os.path.getsize(b.trace_path)
            s.sendall(frame(0, 3, 100 + i, produce_v3(
                "durable", one_record_batch(b"v%d" % i))))
            resp = read_frame(s)
            (corr,) = struct.unpack_from(">i", resp, 0)
            assert corr == 100 + i
            # corr, [topic: name, [partition: index, error, ...]]
            (nlen,) = struct.unpack_from(">h", resp, 8)
            (err,) = struct.unpack_from(">h", resp, 10 + nlen + 4 + 4)
            assert err == 0
            time.sleep(0.2)
            lines = trace_lines(b.trace_path, start)
            synced = [n for n, l in enumerate(lines)
                      if "fdatasync" in l and l.rstrip().endswith("= 0")]
            answered = [n for n, l in enumerate(lines) if "writev(" in l]
            assert synced and answered, lines
            assert synced[0] < answered[0], \
                "round %d: response written before fdatasync returned:\n%s" \
                % (i, "\n".join(lines))
