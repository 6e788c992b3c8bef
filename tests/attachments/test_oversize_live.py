"""An oversize upload against a real uvicorn: the 413 arrives while the client is still sending.

A raw socket declares (or streams) a body far over the limit and sends it slowly in chunks; the
server answers 413 PAYLOAD_TOO_LARGE before the client has sent a tenth of it, and stores nothing.
"""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from demo_sessions.models import Attachment
from tests.asgi_server import serve_asgi
from tests.conftest import make_agent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

MIB = 1024 * 1024
PLANNED = 200 * MIB  # what the client would send if nobody stopped it
CHUNK = 256 * 1024


@pytest.fixture(scope="module")
def live_url(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    with serve_asgi(lifespan="off") as port:
        yield f"127.0.0.1:{port}"


def _support_thread(host: str) -> tuple[str, str]:
    agent = make_agent("Big uploader")
    created = requests.post(f"http://{host}/api/v1/support/tickets", timeout=10,
                            headers={"Authorization": f"Bearer {agent.token}"},
                            json={"category": "bug", "subject": "Huge log", "body": "See the log."})
    assert created.status_code == 201, created.text
    return agent.token, created.json()["support_session_id"]


def _send_until_answered(host: str, head: bytes, body_chunk: bytes, *, chunked: bool) -> tuple[bytes, int]:
    """Send `head`, then body chunks until the server answers (or PLANNED bytes went out).
    Returns the raw response and how many body bytes the client had sent by then."""
    addr, port = host.split(":")
    conn = socket.create_connection((addr, int(port)), timeout=10)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    conn.sendall(head)
    sent = 0
    response = b""
    try:
        while sent < PLANNED:
            readable, _, _ = select.select([conn], [], [], 0)
            if readable:
                break
            frame = (f"{len(body_chunk):x}\r\n".encode() + body_chunk + b"\r\n") if chunked else body_chunk
            try:
                conn.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(body_chunk)
        conn.settimeout(10)
        while b"\r\n\r\n" not in response or not response.endswith(b"}"):
            data = conn.recv(65536)
            if not data:
                break
            response += data
    finally:
        conn.close()
    return response, sent


def _assert_413(response: bytes) -> None:
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), response[:300]
    envelope = json.loads(body)
    assert envelope["code"] == "PAYLOAD_TOO_LARGE"
    assert set(envelope) == {"code", "message", "details", "request_id"}


def _head(token: str, sid: str, length_header: str) -> bytes:
    return (f"POST /api/v1/demo/sessions/{sid}/attachments HTTP/1.1\r\nHost: test\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: multipart/form-data; boundary=xyz\r\n"
            f"{length_header}\r\n\r\n").encode()


def test_a_declared_oversize_body_is_refused_before_it_is_sent(live_url: str) -> None:
    token, sid = _support_thread(live_url)
    response, sent = _send_until_answered(live_url, _head(token, sid, f"Content-Length: {PLANNED}"),
                                          b"x" * CHUNK, chunked=False)
    _assert_413(response)
    assert sent < PLANNED // 10, f"the client had sent {sent} bytes before the answer"
    assert Attachment.objects.count() == 0


def test_a_streamed_oversize_body_is_cut_off_once_past_the_limit(live_url: str) -> None:
    token, sid = _support_thread(live_url)
    response, sent = _send_until_answered(live_url, _head(token, sid, "Transfer-Encoding: chunked"),
                                          b"x" * CHUNK, chunked=True)
    _assert_413(response)
    assert sent < PLANNED // 10, f"the client had sent {sent} bytes before the answer"
    assert Attachment.objects.count() == 0


def test_an_upload_within_the_limit_goes_through_uvicorn(live_url: str) -> None:
    token, sid = _support_thread(live_url)
    response = requests.post(f"http://{live_url}/api/v1/demo/sessions/{sid}/attachments", timeout=30,
                             headers={"Authorization": f"Bearer {token}"},
                             files={"file": ("big.log", b"l" * (2 * MIB), "text/plain")})
    assert response.status_code == 201, response.text
    assert response.json()["size"] == 2 * MIB
    assert Attachment.objects.get().size == 2 * MIB
