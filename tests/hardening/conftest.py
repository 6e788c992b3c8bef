"""A real uvicorn on a free loopback port serving `support_project.asgi:application` (the
production ASGI stack), and a raw-socket HTTP/1.1 client that can lie about its body."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection

from support_project import dbpool
from tests.asgi_server import serve_asgi


@pytest.fixture(scope="session")
def live_server_port(django_db_setup: Any) -> Iterator[int]:
    with serve_asgi(lifespan="on") as port:
        yield port


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


def wait_gone(admin: Any, pids: list[int]) -> None:
    """pg_terminate_backend only signals: wait until those backends have exited, as after a restart."""
    deadline = time.monotonic() + 10
    while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]).fetchone() != (0,):
        assert time.monotonic() < deadline, "the terminated backends are still there"
        time.sleep(0.01)


@contextmanager
def db_options(*, options: str | None = None, pool: dict[str, Any] | None = None) -> Iterator[None]:
    """Reconnect every thread's connection with other libpq options and/or a psycopg pool."""
    saved = dict(connection.settings_dict["OPTIONS"])
    saved_checks = connection.settings_dict["CONN_HEALTH_CHECKS"]
    connection.close()  # before the options change: a plain connection can't go back to a pool
    if options is not None:
        connection.settings_dict["OPTIONS"]["options"] = options
    if pool is not None:  # checked as settings.py has it with DB_POOL_MAX_SIZE (support_project/dbpool.py)
        connection.settings_dict["OPTIONS"]["pool"] = dbpool.pool_options(**pool)
        connection.settings_dict["CONN_HEALTH_CHECKS"] = False
    try:
        yield
    finally:
        connection.close()
        if pool is not None:
            connection.close_pool()
        connection.settings_dict["OPTIONS"].clear()
        connection.settings_dict["OPTIONS"].update(saved)
        connection.settings_dict["CONN_HEALTH_CHECKS"] = saved_checks
