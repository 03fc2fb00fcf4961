# SPDX-License-Identifier: Apache-2.0
"""The acknowledged-writes checker of the fault tests.

Producers with acks=all and idempotence run under the faults, each key
sent once by the application: librdkafka (python3-confluent-kafka) in a
thread, and franz-go (tests/integration/go/cmd/franzload) in a process.
Every acknowledgement is recorded as (key, partition, offset, time).

verify() then reads every partition from the beginning up to its high
watermark and checks that each acknowledged record is there, at the
offset it was acknowledged with; that no two acknowledgements name the same
offset; and (idempotent producers, keys sent once) that no key appears
twice in the log. Records that were never acknowledged may or may not be
there: only an acknowledgement is a promise.

Bounded: sending stops at stop(); flush waits at most `flush_s`; verify
gives up at its deadline with what it had read.
"""
import os
import socket
import struct
import subprocess
import threading
import time
import uuid

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError,
                             KafkaException, Producer, TopicPartition)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
GO_DIR = os.path.join(ROOT, "tests", "integration", "go")
VALUE_PAD = b"." * 80


class AckLog:
    """Acknowledgements and failures of every producer of a test."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acks = []    # (key, partition, offset, monotonic time)
        self.fails = []   # (key, error text)
        self.sent = 0

    def ack(self, key, partition, offset, t=None):
        with self.lock:
            self.acks.append((key, partition, offset,
                              t if t is not None else time.monotonic()))

    def fail(self, key, err):
        with self.lock:
            self.fails.append((key, err))

    def snapshot(self):
        with self.lock:
            return list(self.acks)

    def count(self, partition=None, after=None):
        with self.lock:
            return sum(1 for _, p, _, t in self.acks
                       if (partition is None or p == partition)
                       and (after is None or t > after))

    def last_before(self, t, partition=None):
        with self.lock:
            ts = [a[3] for a in self.acks if a[3] <= t and
                  (partition is None or a[1] == partition)]
        return max(ts) if ts else None

    def first_after(self, t, partition=None):
        with self.lock:
            ts = [a[3] for a in self.acks if a[3] > t and
                  (partition is None or a[1] == partition)]
        return min(ts) if ts else None

    def longest_pause(self, partition, lo, hi):
        """The longest time between consecutive acks of @partition from
        @lo to @hi: a failover's pause, even when a few acks the dead
        leader sent just before it died arrive just after the kill (the
        first ack after the kill minus the last before it would then be
        about 0)."""
        with self.lock:
            ts = sorted(a[3] for a in self.acks
                        if a[1] == partition and lo <= a[3] <= hi)
        return max((b - a for a, b in zip(ts, ts[1:])), default=0.0)


class RdkafkaLoad:
    """librdkafka: acks=all, enable.idempotence, keys <tag>-<n> spread
    round-robin over the partitions, about @rate records a second."""

    def __init__(self, bootstrap, topic, partitions, log, tag="rd",
                 rate=300, conf=None):
        self.topic, self.partitions, self.log = topic, partitions, log
        self.tag, self.rate = tag, rate
        c = {"bootstrap.servers": bootstrap, "acks": "all",
             "enable.idempotence": True, "linger.ms": 5,
             # No record times out inside a test: every record is
             # either acknowledged or still in flight when it stops.
             "message.timeout.ms": 300000,
             "topic.metadata.refresh.interval.ms": 1000,
             "retry.backoff.ms": 100,
             # A request to a stopped or cut-off leader stalls its
             # partition until it times out (an idempotent producer must
             # learn its outcome): 10 s rather than 30 s keeps tests short.
             "request.timeout.ms": 10000,
             "socket.timeout.ms": 15000}
        c.update(conf or {})
        self.producer = Producer(c)
        self.stopping = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _delivered(self, err, msg):
        key = msg.key().decode()
        if err is None:
            self.log.ack(key, msg.partition(), msg.offset())
        else:
            self.log.fail(key, str(err))

    def _run(self):
        try:
            n = 0
            t0 = time.monotonic()
            while not self.stopping.is_set():
                due = int((time.monotonic() - t0) * self.rate) + 1
                while n < due and not self.stopping.is_set():
                    key = "%s-%07d" % (self.tag, n)
                    try:
                        self.producer.produce(
                            self.topic, key=key.encode(),
                            value=key.encode() + VALUE_PAD,
                            partition=n % self.partitions,
                            on_delivery=self._delivered)
                    except BufferError:
                        self.producer.poll(0.05)
                        continue
                    with self.log.lock:
                        self.log.sent += 1
                    n += 1
                self.producer.poll(0.01)
        except Exception as e:  # noqa: BLE001 (reported by stop)
            self.error = e

    def stop(self, flush_s=30):
        """Stop sending, wait up to @flush_s for what is in flight; the
        rest is dropped unacknowledged. Returns how many were dropped."""
        self.stopping.set()
        self.thread.join(timeout=30)
        left = None
        try:
            left = self.producer.flush(flush_s)
            if left:
                self.producer.purge()
                self.producer.flush(5)
        except KafkaException as e:  # a fatal error: reported below
            self.error = self.error or e
        assert self.error is None, "librdkafka producer: %r" % self.error
        return left


class FranzLoad:
    """franz-go (kgo's defaults: idempotent, acks=all), the Go program
    tests/integration/go/cmd/franzload: it prints `ack KEY P OFFSET` per
    acknowledgement and `fail KEY ERROR`; it stops sending when its stdin
    closes and flushes for at most its flush bound."""

    def __init__(self, bootstrap, topic, partitions, log, tag="fz",
                 rate=300, flush_s=30):
        self.log = log
        self.proc = subprocess.Popen(
            [franz_bin(), bootstrap, topic, str(partitions), tag, str(rate),
             str(flush_s)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.done = None
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            w = line.split(None, 2)
            if w[:1] == ["ack"] and len(w) == 3:
                key, rest = w[1], w[2].split()
                self.log.ack(key, int(rest[0]), int(rest[1]))
            elif w[:1] == ["fail"]:
                self.log.fail(w[1], w[2].strip() if len(w) > 2 else "")
            elif w[:1] == ["sent"]:
                with self.log.lock:
                    self.log.sent += int(w[1])
            elif w[:1] == ["done"]:
                self.done = line.strip()

    def stop(self, timeout=60):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.thread.join(timeout=10)
        err = self.proc.stderr.read()
        assert self.proc.returncode == 0 and self.done, (
            "franzload exited %s: %s" % (self.proc.returncode, err[-2000:]))


_franz = None


def franz_bin():
    """Builds franzload once per run (a no-op when tests/integration/run.sh
    built it; the Go module cache has franz-go)."""
    global _franz
    if _franz is None:
        out = subprocess.run(["go", "build", "-o", "bin/", "./cmd/franzload"],
                             cwd=GO_DIR, capture_output=True, text=True,
                             timeout=600)
        assert out.returncode == 0, "go build failed:\n" + out.stderr
        _franz = os.path.join(GO_DIR, "bin", "franzload")
    return _franz


def read_all(bootstrap, topic, partitions, timeout=60, want=None):
    """{partition: {offset: key}} read from the beginning up to each
    partition's high watermark (asked at the start), and the watermarks.
    @want: {partition: offset}: ask again (to the deadline) while a
    partition's high watermark is below it. A leader elected a moment ago
    may not know the ISR's high watermark yet (Kafka's "lagging high
    watermark" state, answered there with OFFSET_NOT_AVAILABLE): an
    acknowledged record is committed, so the watermark reaches it; one
    that never does is reported lost."""
    c = Consumer({"bootstrap.servers": bootstrap,
                  "group.id": "checker-" + uuid.uuid4().hex,
                  "enable.auto.commit": False,
                  "enable.partition.eof": True,
                  "auto.offset.reset": "earliest",
                  "topic.metadata.refresh.interval.ms": 1000})
    try:
        high = {}
        end = time.monotonic() + timeout
        for p in range(partitions):
            while True:
                try:
                    high[p] = c.get_watermark_offsets(
                        TopicPartition(topic, p), timeout=5)[1]
                    if (high[p] >= (want or {}).get(p, 0) or
                            time.monotonic() > end - timeout / 2):
                        break
                except Exception:  # noqa: BLE001 (retried to the deadline)
                    if time.monotonic() > end:
                        raise
                time.sleep(0.5)
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING)
                  for p in range(partitions)])
        got = {p: {} for p in range(partitions)}
        pos = {p: 0 for p in range(partitions)}
        while any(pos[p] < high[p] for p in range(partitions)):
            if time.monotonic() > end:
                raise AssertionError(
                    "read_all: deadline with partitions short of their high "
                    "watermark: %s" % {p: (pos[p], high[p])
                                       for p in range(partitions)
                                       if pos[p] < high[p]})
            msg = c.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    pos[msg.partition()] = max(pos[msg.partition()],
                                               msg.offset())
                continue
            p = msg.partition()
            got[p][msg.offset()] = msg.key().decode() if msg.key() else None
            pos[p] = max(pos[p], msg.offset() + 1)
        return got, high
    finally:
        c.close()


def verify(bootstrap, topic, partitions, log, timeout=60, absent=()):
    """Every acknowledged record at its offset, no offset acknowledged
    twice, no key twice in the log, none of the keys @absent (writes a
    deposed leader took but never committed: it must have truncated them)
    in the log. Returns a short summary; raises AssertionError naming the
    first violations."""
    acks = log.snapshot()
    want = {}
    for _, p, off, _ in acks:
        want[p] = max(want.get(p, 0), off + 1)
    got, high = read_all(bootstrap, topic, partitions, timeout, want)
    problems = []
    by_offset = {}
    for key, p, off, _ in acks:
        other = by_offset.setdefault((p, off), key)
        if other != key:
            problems.append("offset %d of partition %d acknowledged for both "
                            "%s and %s" % (off, p, other, key))
    lost = [(key, p, off) for key, p, off, _ in acks
            if got.get(p, {}).get(off) != key]
    for key, p, off in lost[:10]:
        problems.append("acknowledged %s at partition %d offset %d: the log "
                        "has %r there (high watermark %d)"
                        % (key, p, off, got.get(p, {}).get(off), high[p]))
    if len(lost) > 10:
        problems.append("... %d acknowledged records lost in all" % len(lost))
    seen = {}
    dups = []
    for p in got:
        for off, key in got[p].items():
            if key in seen:
                dups.append((key, seen[key], (p, off)))
            seen[key] = (p, off)
    for key, a, b in dups[:10]:
        problems.append("%s twice in the log: at %s and %s" % (key, a, b))
    for key in absent:
        if key in seen:
            problems.append("%s, never acknowledged (sent to a deposed "
                            "leader), is in the log at %s: that leader did "
                            "not truncate it" % (key, seen[key]))
    summary = ("%d sent, %d acknowledged, %d failed, %d records in the log, "
               "%d lost, %d duplicated" % (log.sent, len(acks),
                                           len(log.fails),
                                           sum(len(v) for v in got.values()),
                                           len(lost), len(dups)))
    reasons = sorted({err for _, err in log.fails})
    if reasons:
        summary += " (not acknowledged: %s)" % "; ".join(reasons[:3])
    assert not problems, summary + ":\n  " + "\n  ".join(problems)
    return summary


# -- what one replica holds, and one request to one node -----------------

def replica_batches(data_dir, topic, partition):
    """[(base offset, last offset, crc)] of every batch in a replica's
    segment files, in order (samsa's segment engine keeps Kafka's layout:
    <data_dir>/<topic>-<partition>/<base offset>.log). None: no replica
    directory."""
    d = os.path.join(data_dir, "%s-%d" % (topic, partition))
    if not os.path.isdir(d):
        return None
    out = []
    for name in sorted(f for f in os.listdir(d) if f.endswith(".log")):
        with open(os.path.join(d, name), "rb") as f:
            data = f.read()
        pos = 0
        while pos + 61 <= len(data):
            base, length = struct.unpack_from(">qi", data, pos)
            if length <= 0 or pos + 12 + length > len(data):
                break  # a torn tail: not part of the log
            (crc,) = struct.unpack_from(">I", data, pos + 17)
            (last_delta,) = struct.unpack_from(">i", data, pos + 23)
            out.append((base, base + last_delta, crc))
            pos += 12 + length
    return out


def _crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF


def _varint(v):
    v = (v << 1) ^ (v >> 63)
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def produce_request(topic, partition, key, acks=-1, timeout_ms=5000,
                    correlation=21):
    """A Produce v3 request (size-prefixed) of one record @key to
    @topic/@partition: no idempotence."""
    k = key.encode()
    rec = (b"\x00" + _varint(0) + _varint(0) + _varint(len(k)) + k +
           _varint(len(k)) + k + _varint(0))
    rec = _varint(len(rec)) + rec
    now = int(time.time() * 1000)
    after_crc = (struct.pack(">hiqqqhii", 0, 0, now, now, -1, -1, -1, 1) +
                 rec)
    batch_tail = struct.pack(">ibI", -1, 2, _crc32c(after_crc)) + after_crc
    batch = struct.pack(">qi", 0, len(batch_tail)) + batch_tail
    t = topic.encode()
    body = (struct.pack(">hhi", -1, acks, timeout_ms) + struct.pack(">i", 1) +
            struct.pack(">h", len(t)) + t + struct.pack(">i", 1) +
            struct.pack(">ii", partition, len(batch)) + batch)
    msg = struct.pack(">hhih", 0, 3, correlation, 5) + b"fault" + body
    return struct.pack(">i", len(msg)) + msg


def read_response(sock):
    """One size-prefixed response from @sock (the bytes after the size),
    or None when the connection closed first."""
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    return buf[4:]


def produce_response_error(resp, partition):
    """The error code of the one partition of a Produce v3 response."""
    # correlation id, [topics: 1][name][partitions: 1][index][error]
    off = 4 + 4
    (nlen,) = struct.unpack_from(">h", resp, off)
    off += 2 + nlen + 4
    index, error = struct.unpack_from(">ih", resp, off)
    assert index == partition
    return error


def produce_raw(host, port, topic, partition, key, acks=-1,
                timeout_ms=5000):
    """One record in a Produce v3 request to one node (no retries, no
    idempotence): its error code, or None when no answer came (closed, or
    nothing within timeout_ms + 10 s)."""
    try:
        with socket.create_connection((host, port), timeout=5) as s:
            s.settimeout(timeout_ms / 1000 + 10)
            s.sendall(produce_request(topic, partition, key, acks,
                                      timeout_ms))
            resp = read_response(s)
    except OSError:
        return None
    return None if resp is None else produce_response_error(resp, partition)
