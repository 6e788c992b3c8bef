"""Issue 16 item 8: X-Forwarded-For can't reset the anonymous rate limit. The client address is
the one the server saw, which uvicorn's `--proxy-headers` rewrites only for connections from the
addresses in `--forwarded-allow-ips` / `FORWARDED_ALLOW_IPS` (the production command passes it)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from django.core.cache import cache
from rest_framework.test import APIClient

from .conftest import read_response, request_head

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

CATALOG = "/api/v1/event-callbacks/catalog"  # anonymous and public


@pytest.fixture(autouse=True)
def _fresh_counters(settings):  # type: ignore[no-untyped-def]
    settings.RATE_LIMIT_ANON_PER_MINUTE = 3
    cache.clear()
    yield
    cache.clear()


def test_it_ignores_x_forwarded_for_from_a_direct_client():
    client = APIClient()
    statuses = [client.get(CATALOG, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def _serve(forwarded_allow_ips: str) -> Iterator[int]:
    from support_project.asgi import application

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(application, lifespan="on", log_level="warning", proxy_headers=True,
                                           forwarded_allow_ips=forwarded_allow_ips))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline
        time.sleep(0.02)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _statuses(port: int, forwarded: list[str]) -> list[int]:
    out = []
    for value in forwarded:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(request_head("GET", CATALOG, {"X-Forwarded-For": value, "Connection": "close"}))
            out.append(read_response(sock, time.monotonic()).status)
    return out


def test_behind_an_untrusted_peer_the_header_is_ignored():
    for port in _serve("192.0.2.10"):  # our proxy is elsewhere: 127.0.0.1 is a direct client
        assert _statuses(port, [f"203.0.113.{i}" for i in range(5)]) == [200, 200, 200, 429, 429]


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit():
    for port in _serve("127.0.0.1"):  # the proxy is on this machine
        assert _statuses(port, ["203.0.113.1"] * 4 + ["203.0.113.2"]) == [200, 200, 200, 429, 200]


def test_the_production_command_names_the_trusted_proxies():
    procfile = (Path(__file__).resolve().parents[2] / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    assert "--proxy-headers" in web
    assert '--forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"' in web
