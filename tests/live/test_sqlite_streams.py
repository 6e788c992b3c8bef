"""The local default (SQLite, no PostgreSQL, no Redis): the same streams work within the one
process — notifications are published in-process after commit (bin/run runs one uvicorn)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT, start_web, stop_web
from .sse import SseStream

pytestmark = [pytest.mark.timeout(120)]


def test_streams_work_in_one_process_on_sqlite(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'local.sqlite3'}", "REDIS_URL": "", "CELERY_TASK_ALWAYS_EAGER": "1",
           "AGENT_SELF_MINT": "1", "DEBUG": "1"}
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, capture_output=True,
                             env={**os.environ, **env}, timeout=120)
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    process, base = start_web(env, workers=1)
    try:
        token = httpx.post(f"{base}/api/v1/agents", json={"name": "Local"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        ticket = httpx.post(f"{base}/api/v1/support/tickets", headers=auth, json={
            "category": "other", "subject": "Local", "body": "Hello."}).json()
        session = ticket["support_session_id"]
        url = f"{base}/api/v1/demo/sessions/{session}/events"
        with SseStream(url, auth) as stream:
            assert httpx.post(f"{url[:-7]}/messages", headers=auth, json={"text": "one"}).status_code == 201
            first = stream.take(1)[0]
        assert (first.event, first.data["message"]["text"]) == ("message", "one")
        assert first.id is not None and first.id.startswith("0-")  # no txid on SQLite: commit order is seq order
        httpx.post(f"{url[:-7]}/messages", headers=auth, json={"text": "two"})
        with SseStream(url, {**auth, "Last-Event-ID": first.id}) as resumed:
            again = resumed.take(1)[0]
        assert again.data["message"]["text"] == "two"
    finally:
        stop_web(process)
