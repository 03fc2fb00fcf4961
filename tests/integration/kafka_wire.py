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
