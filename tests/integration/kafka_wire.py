# SPDX-License-Identifier: Apache-2.0
"""Raw Kafka frames for tests that speak the protocol by hand."""
import struct


def frame(api_key, version, corr, body, flexible=False):
    """A request frame; flexible versions use request header v2."""
    hdr = struct.pack(">hhih", api_key, version, corr, 4) + b"test"
    if flexible:
        hdr += b"\x00"  # no tagged fields
    msg = hdr + body
    return struct.pack(">i", len(msg)) + msg


def read_frame(sock):
    """One response frame's body (after the size); asserts on a close."""
    def read(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            assert chunk, "connection closed"
            buf += chunk
        return buf
    (n,) = struct.unpack(">i", read(4))
    return read(n)


def uvarint(n):
    """Unsigned varint (compact lengths of flexible versions)."""
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


CRC32C = _crc32c_table()


def crc32c(data):
    """CRC-32C (Castagnoli), as record batches carry it."""
    c = 0xFFFFFFFF
    for b in data:
        c = CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(v):
    """Signed (zigzag) varint, as record fields use."""
    return uvarint((v << 1) ^ (v >> 63))


def compact_str(s):
    s = s.encode()
    return uvarint(len(s) + 1) + s


def compact_bytes(b):
    return uvarint(len(b) + 1) + b


def segment_batches(path):
    """(producer_id, attributes) of each record batch in a segment file."""
    with open(path, "rb") as f:
        data = f.read()
    pos, out = 0, []
    while pos + 12 <= len(data):
        _base, length = struct.unpack_from(">qi", data, pos)
        if length <= 0 or pos + 12 + length > len(data):
            break
        magic = data[pos + 16]
        assert magic == 2, "batch at %d of %s has magic %d" % (pos, path, magic)
        attrs, = struct.unpack_from(">h", data, pos + 21)
        producer_id, = struct.unpack_from(">q", data, pos + 43)
        out.append((producer_id, attrs))
        pos += 12 + length
    return out


def record_batch(values, pid=-1, epoch=-1, seq=-1, attributes=0,
                 ts=1700000000000):
    """A v2 record batch of @values (bytes), with a producer id, epoch and
    first sequence when given; attributes 0x10 makes it transactional."""
    recs = b""
    for i, v in enumerate(values):
        body = (b"\x00" + varint(0) + varint(i) + varint(-1) + varint(len(v)) + v
                + varint(0))
        recs += varint(len(body)) + body
    after_crc = struct.pack(">hiqqqhii", attributes, len(values) - 1, ts, ts,
                            pid, epoch, seq, len(values)) + recs
    crc = crc32c(after_crc)
    tail = struct.pack(">ibI", -1, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(tail)) + tail
