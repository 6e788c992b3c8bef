"""Issue 16 items 4 and 5, against the real ASGI server (uvicorn) with raw sockets:

* a declared Content-Length over the limit is refused at once, before any body is read;
* a body that never finishes arriving is cut off (408) instead of holding a worker;
* a huge body is refused after at most the limit is read — never spooled;
* a chunked body (no Content-Length) is read, within the same limit, like any other.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import pytest

from tests.conftest import make_agent
from tickets.models import Ticket

from .conftest import chunked, read_response, request_head

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

URL = "/api/v1/support/tickets"
GOOD = json.dumps({"category": "bug", "subject": "Sent chunked", "body": "No Content-Length here."}).encode()
MiB = 1024 * 1024


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def _assert_envelope(response, status: int, code: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert response.status == status, (response.status, response.body)
    body = json.loads(response.body)
    assert body["code"] == code
    assert body["request_id"].startswith("req_")
    assert response.headers["x-request-id"] == body["request_id"]
    return body


def test_a_lying_content_length_is_refused_before_any_body_is_read(live_server_port):
    with _connect(live_server_port) as sock:
        started = time.monotonic()
        sock.sendall(request_head("POST", URL, {"Content-Type": "application/json",
                                                 "Content-Length": str(100 * MiB)}) + b'{"category": "bug"')
        response = read_response(sock, started, timeout=5)  # before: no answer for 30 s
        body = _assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
        assert body["message"] == "The request body is larger than 64 KiB."
        assert response.headers["connection"] == "close"
        assert sock.recv(1) == b""  # and the connection is closed: nothing more is read
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_200_mb_body_is_refused_after_reading_at_most_the_limit(live_server_port, framing):
    headers = {"Content-Type": "application/json"}
    headers.update({"Content-Length": str(200 * MiB)} if framing == "content-length"
                   else {"Transfer-Encoding": "chunked"})
    piece = b"x" * 65536
    wire_piece = piece if framing == "content-length" else b"%x\r\n%s\r\n" % (len(piece), piece)
    sent = 0
    stop = threading.Event()

    with _connect(live_server_port) as sock:
        sock.sendall(request_head("POST", URL, headers))

        def pump() -> None:
            nonlocal sent
            try:
                while not stop.is_set() and sent < 200 * MiB:
                    sock.sendall(wire_piece)
                    sent += len(piece)
            except OSError:
                pass  # the server closed the connection: what we want

        writer = threading.Thread(target=pump, daemon=True)
        started = time.monotonic()
        writer.start()
        response = read_response(sock, started, timeout=10)
        stop.set()
        _assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
        with contextlib.suppress(OSError):  # already closed by the server
            sock.shutdown(socket.SHUT_RDWR)
        writer.join(timeout=10)
    # Loopback socket buffers hold a few MiB; a server that spooled the body would have taken all 200.
    assert sent < 32 * MiB, sent


def test_a_body_that_stalls_is_cut_off_with_408(live_server_port, settings):
    settings.REQUEST_BODY_TIMEOUT_SECONDS = 1.0
    with _connect(live_server_port) as sock:
        started = time.monotonic()
        sock.sendall(request_head("POST", URL, {"Content-Type": "application/json", "Content-Length": "100"})
                     + b'{"category"')
        response = read_response(sock, started, timeout=10)
        body = _assert_envelope(response, 408, "REQUEST_TIMEOUT")
        assert "1 s" in body["message"]
        assert response.headers["connection"] == "close"
    assert Ticket.objects.count() == 0


def test_a_chunked_ticket_is_accepted_like_any_other(live_server_port):
    persona = make_agent("Chunked sender")
    with _connect(live_server_port) as sock:
        sock.sendall(request_head("POST", URL, {
            "Authorization": f"Bearer {persona.token}", "Content-Type": "application/json",
            "Transfer-Encoding": "chunked"}) + chunked(GOOD, size=7))
        response = read_response(sock, time.monotonic(), timeout=10)
    assert response.status == 201, response.body
    created = json.loads(response.body)
    assert (created["subject"], created["category"], created["charged_usd"]) == ("Sent chunked", "bug", "0.01")
    ticket = Ticket.objects.get(agent=persona.agent)
    assert ticket.public_id == created["ticket_id"]
    assert persona.balance_micros == 190_000


def test_a_chunked_body_over_64_kib_is_413_and_nothing_is_charged(live_server_port):
    persona = make_agent("Chunked big")
    big = json.dumps({"category": "bug", "subject": "Big", "body": "x" * (70 * 1024)}).encode()
    with _connect(live_server_port) as sock:
        sock.sendall(request_head("POST", URL, {
            "Authorization": f"Bearer {persona.token}", "Content-Type": "application/json",
            "Transfer-Encoding": "chunked"}) + chunked(big, size=8192))
        response = read_response(sock, time.monotonic(), timeout=10)
    _assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert Ticket.objects.count() == 0
    assert persona.balance_micros == 200_000


def test_chunked_malformed_json_is_400_malformed_json(live_server_port):
    persona = make_agent("Chunked malformed")
    with _connect(live_server_port) as sock:
        sock.sendall(request_head("POST", URL, {
            "Authorization": f"Bearer {persona.token}", "Content-Type": "application/json",
            "Transfer-Encoding": "chunked"}) + chunked(b'{"category": '))
        response = read_response(sock, time.monotonic(), timeout=10)
    _assert_envelope(response, 400, "MALFORMED_JSON")
    assert Ticket.objects.count() == 0
