# SPDX-License-Identifier: Apache-2.0
"""Client quotas: producer_byte_rate set for a client-id with
AlterClientQuotas holds a producer going as fast as it can to the quota
(Kafka's sampled rate, ThrottleTimeMs in the responses and the connection
muted meanwhile); a client-id without a quota is not slowed. Describe-
ClientQuotas lists what was set, after a restart too; bad keys and values
are refused with INVALID_REQUEST as Kafka does. consumer_byte_rate holds
a reader to its quota while another reads at full speed; request_percentage
throttles (ThrottleTimeMs in Metadata) and mutes a busy client-id only."""
import socket
import subprocess
import struct
import threading
import time

import pytest
from confluent_kafka import Producer

from kafka_wire import compact_str as cstr, frame, read_frame, uvarint
from samsa_harness import SAMSA_CLI, Broker, new_workdir

QUOTA = 100_000  # bytes/s
INVALID_REQUEST = 42


def nstr(s):
    return b"\x00" if s is None else cstr(s)


def alter_quotas(port, entries, validate_only=False):
    """AlterClientQuotas v1: entries [([(type, name)], [(key, value, remove)])];
    returns the error codes in order."""
    body = uvarint(len(entries) + 1)
    for entity, ops in entries:
        body += uvarint(len(entity) + 1)
        for etype, name in entity:
            body += cstr(etype) + nstr(name) + b"\x00"
        body += uvarint(len(ops) + 1)
        for key, value, remove in ops:
            body += cstr(key) + struct.pack(">d?", value, remove) + b"\x00"
        body += b"\x00"
    body += struct.pack(">?", validate_only) + b"\x00"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(frame(49, 1, 7, body, flexible=True))
        resp = read_frame(s)
    pos = 4 + 1 + 4  # corr, header tags, throttle
    n, pos = resp[pos] - 1, pos + 1
    codes = []
    for _ in range(n):
        (code,) = struct.unpack_from(">h", resp, pos)
        codes.append(code)
        pos += 2
        mlen = resp[pos]
        pos += 1 + max(mlen - 1, 0)
        ne, pos = resp[pos] - 1, pos + 1
        for _ in range(ne):
            tlen = resp[pos]
            pos += tlen
            nlen = resp[pos]
            pos += 1 + max(nlen - 1, 0) + 1
        pos += 1  # entry tags
    return codes


def describe_quotas(port, components, strict=False):
    """DescribeClientQuotas v1: components [(type, match_type, match)];
    returns (error, {((type, name), ...): {key: value}})."""
    body = uvarint(len(components) + 1)
    for etype, mtype, match in components:
        body += cstr(etype) + struct.pack(">b", mtype) + nstr(match) + b"\x00"
    body += struct.pack(">?", strict) + b"\x00"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(frame(48, 1, 8, body, flexible=True))
        resp = read_frame(s)
    pos = 4 + 1 + 4
    (err,) = struct.unpack_from(">h", resp, pos)
    pos += 2
    mlen = resp[pos]
    pos += 1 + max(mlen - 1, 0)
    n, pos = resp[pos] - 1, pos + 1
    out = {}

    def string(pos):
        ln = resp[pos] - 1
        if ln < 0:
            return None, pos + 1
        return resp[pos + 1:pos + 1 + ln].decode(), pos + 1 + ln

    for _ in range(max(n, 0)):
        ne, pos = resp[pos] - 1, pos + 1
        entity = []
        for _ in range(ne):
            etype, pos = string(pos)
            name, pos = string(pos)
            pos += 1
            entity.append((etype, name))
        nv, pos = resp[pos] - 1, pos + 1
        values = {}
        for _ in range(nv):
            key, pos = string(pos)
            (values[key],) = struct.unpack_from(">d", resp, pos)
            pos += 8 + 1
        pos += 1
        out[tuple(entity)] = values
    return err, out


def flood(bootstrap, client_id, seconds, stats):
    """Produce 1000-byte records as fast as the producer can for
    @seconds; stats gets the delivery times and the throttles reported."""
    stats["acked"] = []
    stats["throttles"] = []
    p = Producer({
        "bootstrap.servers": bootstrap, "client.id": client_id,
        "linger.ms": 5, "batch.size": 16384,
        "queue.buffering.max.kbytes": 64,
        "throttle_cb": lambda ev: stats["throttles"].append(
            ev.throttle_time),
    })

    def acked(err, _msg):
        if err is None:
            stats["acked"].append(time.monotonic())

    value = b"x" * 1000
    end = time.monotonic() + seconds
    stats["start"] = time.monotonic()
    while time.monotonic() < end:
        try:
            p.produce("quota-t", value, on_delivery=acked)
        except BufferError:
            p.poll(0.01)
        p.poll(0)
    # What is still queued is not measured: drop it rather than wait.
    p.purge()
    p.flush(5)


def test_producer_byte_rate_throttles_one_client_id():
    # Three 1 s samples instead of Kafka's eleven: the steady rate shows
    # within a few seconds (a fresh producer sensor allows one window's
    # worth at once).
    b = Broker(new_workdir(),
               "quota_window_num: 3\nquota_window_size_seconds: 1\n"
               "auto_create_topics: true\n").start()
    try:
        limited = [[("client-id", "limited")],
                   [("producer_byte_rate", QUOTA, False)]]
        # Validation: unknown key, fractional byte rate, unknown entity
        # type, duplicate entity type; ValidateOnly changes nothing.
        assert alter_quotas(b.port, [
            ([("client-id", "a")], [("bogus_rate", 1, False)]),
            ([("client-id", "a")], [("producer_byte_rate", 1.5, False)]),
            ([("group", "a")], [("producer_byte_rate", 1, False)]),
            ([("user", "a"), ("user", "b")],
             [("producer_byte_rate", 1, False)]),
            ([("client-id", "a")], [("producer_byte_rate", -1, False)]),
        ]) == [INVALID_REQUEST] * 5
        assert alter_quotas(b.port, [limited], validate_only=True) == [0]
        assert describe_quotas(b.port, [])[1] == {}
        assert alter_quotas(b.port, [limited]) == [0]

        free_stats, lim_stats = {}, {}
        t = threading.Thread(target=flood,
                             args=(b.bootstrap, "free", 2, free_stats))
        t.start()
        flood(b.bootstrap, "limited", 9, lim_stats)
        t.join()

        # The steady rate from 3 s on (after the first burst) is the quota.
        acked = lim_stats["acked"]
        t0 = lim_stats["start"]
        window = [a for a in acked if t0 + 3 <= a < t0 + 9]
        rate = len(window) * 1000 / 6.0
        assert 0.8 * QUOTA <= rate <= 1.25 * QUOTA, (rate, len(acked))
        assert any(th > 0 for th in lim_stats["throttles"]), lim_stats[
            "throttles"]
        # The other client-id is not held: far beyond the quota, and
        # never throttled.
        free_rate = len(free_stats["acked"]) * 1000 / 2.0
        assert free_rate > 3 * QUOTA, free_rate
        assert not any(th > 0 for th in free_stats["throttles"])

        # Described, and kept across a restart.
        b.restart()
        err, got = describe_quotas(b.port, [("client-id", 0, "limited")])
        assert err == 0
        assert got == {(("client-id", "limited"),):
                       {"producer_byte_rate": float(QUOTA)}}
        err, got = describe_quotas(b.port, [("user", 2, None)])
        assert err == 0 and got == {}
        err, _ = describe_quotas(b.port, [("ip", 2, None)])
        assert err == INVALID_REQUEST
        # The samsa CLI lists, sets and deletes the same quotas.
        def samsa(*args, rc=0):
            out = subprocess.run([SAMSA_CLI, "quota", *args, "-b",
                                  b.bootstrap], capture_output=True,
                                 timeout=30)
            assert out.returncode == rc, out
            return out.stdout.decode()
        assert "client-id=limited  producer_byte_rate=100000" in \
            samsa("list")
        samsa("set", "--user", "alice", "--client-id-default",
              "consumer_byte_rate=2048", "request_percentage=12.5")
        assert samsa("list", "--user", "alice").strip() == (
            "user=alice client-id=<default>  consumer_byte_rate=2048 "
            "request_percentage=12.5")
        samsa("set", "--client-id", "x", "bogus=1", rc=1)
        samsa("set", "bogus=1", rc=2)  # no entity
        samsa("delete", "--user", "alice", "--client-id-default",
              "consumer_byte_rate", "request_percentage")
        assert "alice" not in samsa("list")
        # Removing the key removes the entity.
        assert alter_quotas(b.port, [([("client-id", "limited")],
                                      [("producer_byte_rate", 0, True)])]) \
            == [0]
        assert describe_quotas(b.port, [])[1] == {}
    finally:
        b.stop()


def test_producer_byte_rate_of_a_user():
    """A quota on the user (here User:ANONYMOUS, the PLAINTEXT principal)
    holds every client-id of that user, as Kafka's user quotas do."""
    b = Broker(new_workdir(),
               "quota_window_num: 3\nquota_window_size_seconds: 1\n"
               "auto_create_topics: true\n").start()
    try:
        assert alter_quotas(b.port, [[[("user", "ANONYMOUS")],
                                      [("producer_byte_rate", QUOTA,
                                        False)]]]) == [0]
        stats = {}
        flood(b.bootstrap, "any-client", 5, stats)
        window = [a for a in stats["acked"]
                  if stats["start"] + 2 <= a < stats["start"] + 5]
        rate = len(window) * 1000 / 3.0
        assert rate <= 1.3 * QUOTA, rate
        assert any(th > 0 for th in stats["throttles"]), stats["throttles"]
    finally:
        b.stop()


def consume(bootstrap, client_id, seconds, stats):
    """Read quota-f from the start for @seconds; stats gets each record's
    arrival time."""
    from confluent_kafka import Consumer
    stats["got"] = []
    c = Consumer({
        "bootstrap.servers": bootstrap, "client.id": client_id,
        "group.id": "g-" + client_id, "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        # Fetches of a few batches: over the quota a whole answer is held
        # back, so big ones make the rate lumpy over a short test.
        "fetch.max.bytes": 32768, "max.partition.fetch.bytes": 32768,
        "message.max.bytes": 32768,
    })
    c.subscribe(["quota-f"])
    stats["start"] = time.monotonic()
    end = stats["start"] + seconds
    while time.monotonic() < end:
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            stats["got"].append(time.monotonic())
    c.close()


def test_consumer_byte_rate_throttles_one_client_id():
    b = Broker(new_workdir(),
               "quota_window_num: 3\nquota_window_size_seconds: 1\n"
               "auto_create_topics: true\n").start()
    try:
        # Small batches: a fetch returns whole batches, and one bigger than
        # the quota allows in a window could never be let through.
        p = Producer({"bootstrap.servers": b.bootstrap, "linger.ms": 5,
                      "batch.size": 16384})
        for _ in range(1500):
            p.produce("quota-f", b"y" * 1000)
        assert p.flush(15) == 0
        assert alter_quotas(b.port, [
            ([("client-id", "slowreader")],
             [("consumer_byte_rate", QUOTA, False)])]) == [0]
        slow, fast = {}, {}
        t = threading.Thread(target=consume,
                             args=(b.bootstrap, "fastreader", 3, fast))
        t.start()
        consume(b.bootstrap, "slowreader", 9, slow)
        t.join()
        # The unthrottled reader gets everything at once.
        assert len(fast["got"]) == 1500
        # The throttled one reads at the quota. Fetches come in bursts of
        # (num - 1) windows' worth each time the oldest sample expires:
        # count whole periods of num windows (three of 3 s).
        # One burst more or less inside the 9 s (where the bursts fall
        # depends on when the consumer joined) moves the count by up to
        # (num - 1) windows' worth, a fifth of it: the bounds allow that,
        # and still tell the quota (100 kB/s) from no quota (the fast
        # reader's 1.5 MB in under 3 s).
        rate = len([g for g in slow["got"]
                    if g < slow["start"] + 9]) * 1000 / 9.0
        assert 0.75 * QUOTA <= rate <= 1.30 * QUOTA, (rate, len(slow["got"]))
    finally:
        b.stop()


def metadata_v4(sock, corr, client_id):
    """Metadata v4 for no topic; returns the response's ThrottleTimeMs."""
    cid = client_id.encode()
    msg = (struct.pack(">hhih", 3, 4, corr, len(cid)) + cid +
           struct.pack(">i?", 0, False))
    sock.sendall(struct.pack(">i", len(msg)) + msg)
    resp = read_frame(sock)
    (got_corr, throttle) = struct.unpack_from(">ii", resp, 0)
    assert got_corr == corr
    return throttle


def test_request_percentage_throttles_and_mutes():
    b = Broker(new_workdir(),
               "quota_window_num: 3\nquota_window_size_seconds: 1\n").start()
    try:
        # 0.01 % of a thread: a few Metadata requests' worth per window.
        assert alter_quotas(b.port, [
            ([("client-id", "busy")],
             [("request_percentage", 0.01, False)])]) == [0]
        with socket.create_connection(("127.0.0.1", b.port),
                                      timeout=10) as s:
            throttle = 0
            for corr in range(2000):
                # The mute starts when the throttled answer is sent, which
                # is after this request left: a throttle of a millisecond
                # may have passed before the next request is even sent.
                sent = time.monotonic()
                throttle = metadata_v4(s, corr, "busy")
                if throttle > 0:
                    break
            assert 0 < throttle <= 3000, throttle
            # Muted: the next answer waits for the throttle to pass.
            metadata_v4(s, 5000, "busy")
            assert time.monotonic() - sent >= throttle / 1000.0 * 0.9
        # Another client-id is not throttled.
        with socket.create_connection(("127.0.0.1", b.port),
                                      timeout=10) as s:
            assert all(metadata_v4(s, corr, "idle") == 0
                       for corr in range(200))
    finally:
        b.stop()
