#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Write seed record batches for tests/fuzz/fuzz_batch.c into the given
directory: plain batches of several shapes (null keys and values, headers,
many records), the same marked 0x8000 in attributes so the fuzzer
compresses their records with each codec, one gzip-compressed batch, and
0x4000 (keys required, as on a compacted topic).
CRC and batchLength are left zero: the fuzzer fixes them up."""
import gzip
import os
import struct
import sys


def varint(v):
    v = (v << 1) ^ (v >> 63)
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if not v:
            return out + bytes([b])
        out += bytes([b | 0x80])


def blob(b):
    return varint(-1) if b is None else varint(len(b)) + b


def record(i, key, value, headers=()):
    body = (b"\x00" + varint(i * 3) + varint(i) + blob(key) + blob(value)
            + varint(len(headers)))
    for hk, hv in headers:
        body += blob(hk) + blob(hv)
    return varint(len(body)) + body


def batch(recs, attributes=0, compress=None):
    section = b"".join(record(i, *r) for i, r in enumerate(recs))
    if compress:
        section = compress(section)
    head = struct.pack(">qiibIHiqqqhii", 0, 0, -1, 2, 0, attributes,
                       len(recs) - 1, 1700000000000, 1700000000000, -1, -1,
                       -1, len(recs))
    return head + section


shapes = {
    "one": [(b"k", b"v")],
    "nulls": [(None, None), (b"", b""), (None, b"value")],
    "headers": [(b"key", b"value", [(b"h1", b"v1"), (b"h2", None)]),
                (b"key2", b"x" * 200, [(b"", b"")])],
    "many": [(b"k%d" % i, b"v" * (i % 17)) for i in range(40)],
}
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
n = 0
for name, recs in shapes.items():
    seeds = {"plain": batch(recs)}
    for codec in range(1, 5):
        seeds["c%d" % codec] = batch(recs, 0x8000 | codec)
    seeds["gzip"] = batch(recs, 1, gzip.compress)
    seeds["keys"] = batch(recs, 0x4000)  # keys required (compacted)
    seeds["keys-c1"] = batch(recs, 0xC001)
    for kind, data in seeds.items():
        with open(os.path.join(out, "%s-%s" % (name, kind)), "wb") as f:
            f.write(data)
        n += 1
print("%d seeds in %s" % (n, out))
