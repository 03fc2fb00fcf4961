# SPDX-License-Identifier: Apache-2.0
"""Produce and consume with kcat (librdkafka): keys, headers, codecs."""
import subprocess

import pytest


def kcat(broker, *args, input=None, timeout=60):
    out = subprocess.run(["kcat", "-b", broker.bootstrap] + list(args),
                         input=input, capture_output=True, timeout=timeout)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return out.stdout


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_kcat_round_trips_keys_values_and_headers(broker, codec):
    topic = "kcat-" + codec
    lines = [b"k%d:value %d \xc3\xa9" % (i, i) for i in range(200)]
    kcat(broker, "-P", "-t", topic, "-p", "0", "-K", ":", "-z", codec,
         "-H", "h1=v1", "-H", "trace=abc", "-X", "linger.ms=5",
         input=b"\n".join(lines) + b"\n")
    out = kcat(broker, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e",
               "-f", "%k|%s|%h|%o\n")
    got = out.splitlines()
    assert len(got) == 200
    for i, line in enumerate(got):
        k, v, h, o = line.split(b"|")
        assert k == b"k%d" % i
        assert v == b"value %d \xc3\xa9" % i
        assert h == b"h1=v1,trace=abc"
        assert int(o) == i


def test_kcat_acks_zero_and_all(broker):
    for acks in ("0", "1", "all"):
        topic = "acks-" + acks
        kcat(broker, "-P", "-t", topic, "-p", "0", "-X", "acks=" + acks,
             input=b"a\nb\nc\n")
        out = kcat(broker, "-C", "-t", topic, "-p", "0", "-o", "beginning", "-e")
        assert out.split() == [b"a", b"b", b"c"]


def test_kcat_offsets_by_time_and_ends(broker):
    kcat(broker, "-P", "-t", "offs", "-p", "0", input=b"1\n2\n3\n")
    out = kcat(broker, "-Q", "-t", "offs:0:-1")
    assert b"offset 3" in out
    out = kcat(broker, "-Q", "-t", "offs:0:-2")
    assert b"offset 0" in out
    out = kcat(broker, "-Q", "-t", "offs:0:0")   # timestamp 0 -> first offset
    assert b"offset 0" in out


def test_consume_from_offset_in_the_middle(broker):
    kcat(broker, "-P", "-t", "mid", "-p", "0",
         input=b"".join(b"m%d\n" % i for i in range(50)))
    out = kcat(broker, "-C", "-t", "mid", "-p", "0", "-o", "37", "-e")
    assert out.split() == [b"m%d" % i for i in range(37, 50)]
