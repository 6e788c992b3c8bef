"""The production web command on a free loopback port, against the test database (real LISTEN/NOTIFY)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_web(env_overrides: dict[str, str], *, workers: int = 2) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "LIVE_KEEPALIVE_SECONDS": "1", "RATE_LIMIT_PER_MINUTE": "0", **env_overrides}
    env.pop("TEST_DB_NAME", None)
    process = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "support_project.serve", "support_project.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the web command did not start")
        time.sleep(0.2)
    return process, base


def stop_web(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@pytest.fixture(scope="module")
def web(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """`python -m support_project.serve … --workers 2`: any worker may serve any stream."""
    settings_dict = connection.settings_dict
    url = (f"postgres://{settings_dict['USER'] or 'postgres'}@{settings_dict['HOST'] or '127.0.0.1'}:"
           f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}")
    process, base = start_web({"DATABASE_URL": url})
    yield base
    stop_web(process)
