#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Regenerates the codec cross-compatibility fixtures from real tools, the
# way clients produce them. Needs: python3, gzip, lz4 and zstd CLIs,
# libsnappy.so.1. The fixtures are committed; this records how they were
# made. plain.txt is the original for every *.gz/*.snappy/*.lz4/*.zst here.
set -eu
cd "$(dirname "$0")"
python3 - <<'PY'
import random
rng = random.Random(20240613)
words = ("kafka samsa broker record batch offset partition leader replica "
         "topic consumer producer group commit fetch produce segment index "
         "gregor metamorphosis insect morning family sister violin").split()
lines = []
n = 0
while n < 70000:
    line = " ".join(rng.choice(words) for _ in range(rng.randint(3, 14)))
    line = "%06d %s\n" % (len(lines), line)
    lines.append(line)
    n += len(line)
open("plain.txt", "w").write("".join(lines))
PY
# gzip CLI, and two members concatenated (JDK GZIPInputStream reads both).
gzip -9 -n -c plain.txt > plain.gzip-cli.gz
head -c 30000 plain.txt | gzip -1 -n -c > plain.concat.gz
tail -c +30001 plain.txt | gzip -6 -n -c >> plain.concat.gz
python3 - <<'PY'
import ctypes, gzip, struct, zlib
data = open("plain.txt", "rb").read()
open("plain.python-gzip.gz", "wb").write(gzip.compress(data, compresslevel=6, mtime=0))
co = zlib.compressobj(6, zlib.DEFLATED, 31)
open("plain.python-zlib.gz", "wb").write(co.compress(data) + co.flush())
# libsnappy itself: raw (librdkafka/franz-go style) and xerial framing
# (snappy-java style, 32 KiB blocks), built by hand here.
lib = ctypes.CDLL("libsnappy.so.1")
lib.snappy_max_compressed_length.restype = ctypes.c_size_t
def raw(b):
    cap = lib.snappy_max_compressed_length(ctypes.c_size_t(len(b)))
    out = ctypes.create_string_buffer(cap)
    n = ctypes.c_size_t(cap)
    assert lib.snappy_compress(b, ctypes.c_size_t(len(b)), out,
                               ctypes.byref(n)) == 0
    return out.raw[:n.value]
open("plain.raw.snappy", "wb").write(raw(data))
x = b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1)
for off in range(0, len(data), 32768):
    blk = raw(data[off:off + 32768])
    x += struct.pack(">i", len(blk)) + blk
open("plain.xerial.snappy", "wb").write(x)
PY
# lz4 CLI with Kafka's settings (64 KiB independent blocks, no content
# checksum), and with dependent blocks (Kafka refuses those, we accept).
lz4 -q -B4 -BI --no-frame-crc -c plain.txt > plain.kafka.lz4
lz4 -q -B4 -BD -c plain.txt > plain.dependent.lz4
# zstd CLI: with content size, streamed from a pipe (no content size), and
# two frames concatenated.
zstd -q -19 -c plain.txt > plain.cli.zst
cat plain.txt | zstd -q -3 -c > plain.stream.zst
head -c 30000 plain.txt | zstd -q -c > plain.multi.zst
tail -c +30001 plain.txt | zstd -q -c >> plain.multi.zst
