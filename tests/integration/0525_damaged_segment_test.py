"""A damaged batch header in an older segment: consumers get every offset
before it and then CORRUPT_MESSAGE, never the offsets after it with a
silent gap; the broker logs where the damage is."""
import os
import struct
import subprocess
import textwrap

from samsa_harness import Broker, new_workdir


def py(code, *args, timeout=120):
    out = subprocess.run(["/usr/bin/python3", "-c", textwrap.dedent(code)] + list(args),
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def damage_middle_batch(path):
    """Break the magic byte of the middle batch; return its base offset."""
    with open(path, "r+b") as f:
        data = f.read()
        batches, pos = [], 0
        while pos + 17 <= len(data):
            base, length = struct.unpack(">qi", data[pos:pos + 12])
            batches.append((pos, base))
            pos += 12 + length
        pos, base = batches[len(batches) // 2]
        f.seek(pos + 16)
        f.write(b"\x07")
        return base, len(batches)


def test_damaged_header_gives_an_error_not_a_gap():
    b = Broker(new_workdir()).start()
    try:
        py("""
            import sys
            from confluent_kafka.admin import AdminClient, NewTopic
            from confluent_kafka import Producer
            a = AdminClient({"bootstrap.servers": sys.argv[1]})
            a.create_topics([NewTopic("dmg", 1, 1, config={"segment.bytes": "16384"})])[
                "dmg"].result(30)
            p = Producer({"bootstrap.servers": sys.argv[1], "linger.ms": 1,
                          "batch.num.messages": 20, "compression.type": "none"})
            for i in range(4000):
                p.produce("dmg", value=b"%06d" % i + b"x" * 94, partition=0)
                if i % 100 == 0:
                    p.flush(30)
            assert p.flush(30) == 0
            """, b.bootstrap)
        assert b.stop() == 0
        part = os.path.join(b.data_dir, "dmg-0")
        logs = sorted(f for f in os.listdir(part) if f.endswith(".log"))
        assert len(logs) > 3, logs
        bad, count = damage_middle_batch(os.path.join(part, logs[1]))
        assert count > 2 and bad > 0
        b.start()
        out = py("""
            import sys, time
            from confluent_kafka import Consumer, TopicPartition
            c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "g",
                          "enable.auto.commit": False})
            c.assign([TopicPartition("dmg", 0, 0)])
            got, err = [], None
            deadline = time.time() + 30
            while err is None and time.time() < deadline:
                m = c.poll(0.5)
                if m is None:
                    continue
                if m.error():
                    if m.error().code() == 2:   # CORRUPT_MESSAGE
                        err = 2
                    continue
                got.append(m.offset())
            # Stay a moment: nothing past the damage may arrive later.
            end = time.time() + 1.5
            while time.time() < end:
                m = c.poll(0.2)
                if m is not None and not m.error():
                    got.append(m.offset())
            c.close()
            print(err, len(got), got == list(range(len(got))), max(got) if got else -1)
            """, b.bootstrap)
        err, n, contiguous, last = out.split()
        assert err == "2" and contiguous == "True", out
        assert int(n) == bad and int(last) == bad - 1, (out, bad)
        assert "damaged batch header" in b.log_text()
        assert b.stop() == 0
    finally:
        b.kill()
