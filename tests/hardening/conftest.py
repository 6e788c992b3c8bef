"""A real uvicorn on a free loopback port serving `support_project.asgi:application` (the
production ASGI stack), and a raw-socket HTTP/1.1 client that can lie about its body."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from django.db import connection


@pytest.fixture(scope="session")
def live_server_port(django_db_setup: Any) -> Iterator[int]:
    from support_project.asgi import application

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(application, lifespan="on", log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float


def read_response(sock: socket.socket, started: float, timeout: float = 5.0) -> RawResponse:
    """Read one HTTP/1.1 response (Content-Length framed, or until close)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "-1"))
    while length >= 0 and len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return RawResponse(status, headers, rest, time.monotonic() - started)


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def chunked(body: bytes, size: int = 1000) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


@contextmanager
def db_options(*, options: str | None = None, pool: dict[str, Any] | None = None) -> Iterator[None]:
    """Reconnect every thread's connection with other libpq options and/or a psycopg pool."""
    saved = dict(connection.settings_dict["OPTIONS"])
    connection.close()  # before the options change: a plain connection can't go back to a pool
    if options is not None:
        connection.settings_dict["OPTIONS"]["options"] = options
    if pool is not None:
        connection.settings_dict["OPTIONS"]["pool"] = pool
    try:
        yield
    finally:
        connection.close()
        if pool is not None:
            connection.close_pool()
        connection.settings_dict["OPTIONS"].clear()
        connection.settings_dict["OPTIONS"].update(saved)
