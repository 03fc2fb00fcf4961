# SPDX-License-Identifier: Apache-2.0
"""Real client requests (tests/data/protocol/vectors), mutated at random —
bytes flipped, cut short, lengths and counts corrupted, bodies extended —
sent to a running broker. Each one is answered or its connection closed;
the broker stays up and keeps serving a well-behaved client. Run against
the ASan build by CI's second integration pass, this exercises every
handler with garbage that got past the decoder."""
import glob
import json
import os
import random
import socket
import struct

from samsa_harness import ROOT

VECTORS = glob.glob(os.path.join(ROOT, "tests", "data", "protocol", "vectors", "*",
                                 "*.jsonl"))
ROUNDS = int(os.environ.get("SAMSA_IT_MUTATIONS", "3000"))


def load_requests():
    reqs = []
    for path in VECTORS:
        with open(path) as f:
            for line in f:
                reqs.append(bytes.fromhex(json.loads(line)["request"]))
    return reqs


def mutate(rng, frame):
    b = bytearray(frame)
    body = 8  # keep api key, version and correlation id intact most times
    kind = rng.randrange(6)
    if kind == 0 and len(b) > body:          # flip a few bytes
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(body, len(b))] = rng.randrange(256)
    elif kind == 1 and len(b) > body:        # cut short
        del b[rng.randrange(body, len(b)):]
    elif kind == 2 and len(b) > body + 4:    # a huge or negative count/length
        at = rng.randrange(body, len(b) - 4)
        b[at:at + 4] = struct.pack(">i", rng.choice([-1, -2, 0x7fffffff, 1 << 20]))
    elif kind == 3:                          # trailing garbage
        b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif kind == 4 and len(b) > 4:           # another version of the same API
        b[2:4] = struct.pack(">h", rng.randrange(0, 20))
    else:                                    # zeroed run
        if len(b) > body:
            at = rng.randrange(body, len(b))
            n = rng.randint(1, 16)
            b[at:at + n] = bytes(min(n, len(b) - at))
    return bytes(b)


MARKER_CORR = 0x5a5a5a5a


def send_and_drain(port, frames):
    """Send the frames, then an ApiVersions with a marker correlation id;
    read until its answer arrives (everything before was answered or
    dropped) or the broker closes the connection."""
    marker = struct.pack(">hhih", 18, 0, MARKER_CORR, 1) + b"m"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.settimeout(10)
        try:
            for fr in frames + [marker]:
                s.sendall(struct.pack(">i", len(fr)) + fr)
            while True:
                head = s.recv(4, socket.MSG_WAITALL)
                if len(head) < 4:
                    return
                (n,) = struct.unpack(">i", head)
                assert n >= 4, "broker sent a frame of size %d" % n
                data = s.recv(n, socket.MSG_WAITALL)
                if len(data) < n:
                    return  # closed mid-frame
                if len(data) >= 4 and struct.unpack(">i", data[:4])[0] == MARKER_CORR:
                    return
        except OSError:
            return


def healthy(port):
    body = struct.pack(">hhih", 18, 0, 99, 2) + b"ok"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        n = struct.unpack(">i", s.recv(4))[0]
        data = b""
        while len(data) < n:
            data += s.recv(n - len(data))
    return struct.unpack(">ih", data[:6]) == (99, 0)


def test_mutated_client_requests_never_take_the_broker_down(broker):
    reqs = load_requests()
    assert reqs, "no request vectors found"
    rng = random.Random(20261125)
    sent = 0
    while sent < ROUNDS:
        # Several per connection: later ones follow an earlier bad one.
        batch = [mutate(rng, rng.choice(reqs)) for _ in range(rng.randint(1, 8))]
        send_and_drain(broker.port, batch)
        sent += len(batch)
        if sent % 500 < len(batch):
            assert broker.alive(), broker.log_text()[-3000:]
            assert healthy(broker.port)
    assert broker.alive(), broker.log_text()[-3000:]
    assert healthy(broker.port)
