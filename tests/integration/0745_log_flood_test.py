"""A client sending garbage cannot flood the log: bad frame sizes and
malformed requests are logged a few times a minute per kind (the rest are
counted and the count is logged with the next line), and the broker keeps
serving."""
import socket
import struct

from kafka_wire import frame, read_frame


def send_and_wait_close(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        while s.recv(4096):
            pass


def test_malformed_requests_are_logged_a_bounded_number_of_times(broker):
    for _ in range(100):
        send_and_wait_close(broker.port, struct.pack(">i", -5))
        # api key, version, then a correlation id cut short
        send_and_wait_close(broker.port, struct.pack(">i", 5) + b"\x00\x12\x00\x00\x00")
    with socket.create_connection(("127.0.0.1", broker.port), timeout=5) as s:
        s.sendall(frame(18, 0, 9, b""))
        assert struct.unpack_from(">ih", read_frame(s)) == (9, 0)
    log = broker.log_text()
    bad_size = log.count("frame size -5 outside")
    truncated = log.count("truncated request header")
    assert 1 <= bad_size <= 10, log
    assert 1 <= truncated <= 10, log
