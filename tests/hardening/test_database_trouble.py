"""Issue 16 item 7: database trouble stays with its tenant and answers 503 SERVICE_UNAVAILABLE
with Retry-After — never a bare 500 — against real PostgreSQL locks, a real psycopg pool and
backends terminated with pg_terminate_backend.

* every connection runs with `lock_timeout` and `statement_timeout` (settings, via libpq options);
* a lock or statement timeout, a lost connection or an exhausted pool is 503 + Retry-After;
* an agent has at most AGENT_MAX_CONCURRENT_REQUESTS requests in flight per process (429 past
  that), so one tenant stuck on its own locked row can't hold every pooled connection;
* pooled connections are checked before use, so dropped ones are replaced, not served.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.db import connection

from billing.models import LedgerEntry
from tests.conftest import AgentPersona, bearer_client, make_agent
from tickets.models import Ticket

from .conftest import db_options, wait_gone

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.timeout(90)]

URL = "/api/v1/support/tickets"
GOOD = {"category": "other", "subject": "Locked out", "body": "My balance row is locked."}


def _dsn() -> str:
    return f"host=127.0.0.1 user=postgres dbname={connection.settings_dict['NAME']}"


@contextmanager
def balance_row_locked(persona: AgentPersona) -> Iterator[psycopg.Connection]:  # type: ignore[type-arg]
    with psycopg.connect(_dsn()) as holder:
        holder.execute("SELECT 1 FROM accounts_agent WHERE id = %s FOR UPDATE", [persona.agent.id])
        yield holder
        holder.rollback()


def _waiting_on_locks() -> int:
    with psycopg.connect(_dsn(), autocommit=True) as watcher:
        row = watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                              "AND wait_event_type = 'Lock'").fetchone()
    return int(row[0]) if row else 0


def _assert_503(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == "SERVICE_UNAVAILABLE"
    assert body["request_id"].startswith("req_")
    assert int(response["Retry-After"]) >= 1


def test_every_connection_runs_with_the_configured_timeouts():
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting FROM pg_settings WHERE name IN ('lock_timeout', 'statement_timeout')")
        values = dict(cursor.fetchall())
    assert values == {"lock_timeout": str(django_settings.DB_LOCK_TIMEOUT_MS),
                      "statement_timeout": str(django_settings.DB_STATEMENT_TIMEOUT_MS)}
    # (bin/test runs with generous values; production's defaults are 3 s and 15 s.)


def test_the_production_defaults_are_short(monkeypatch):
    import importlib

    import support_project.settings as settings_module

    monkeypatch.delenv("DB_LOCK_TIMEOUT_MS", raising=False)
    monkeypatch.delenv("DB_STATEMENT_TIMEOUT_MS", raising=False)
    fresh = importlib.reload(settings_module)
    try:
        assert (fresh.DB_LOCK_TIMEOUT_MS, fresh.DB_STATEMENT_TIMEOUT_MS) == (3000, 15000)
        assert fresh.DATABASES["default"]["OPTIONS"]["options"] == "-c lock_timeout=3000 -c statement_timeout=15000"
    finally:
        monkeypatch.undo()
        importlib.reload(settings_module)


def test_a_locked_balance_row_is_503_with_retry_after_and_nothing_is_created():
    payer, other = make_agent("Locked payer"), make_agent("Unaffected")
    entries_before = LedgerEntry.objects.count()
    with db_options(options="-c lock_timeout=300 -c statement_timeout=5000"), balance_row_locked(payer):
        response = bearer_client(payer.token).post(URL, GOOD, format="json")
        _assert_503(response)
        assert bearer_client(other.token).get("/api/v1/agents/me").status_code == 200
    assert Ticket.objects.count() == 0
    assert LedgerEntry.objects.count() == entries_before
    assert payer.balance_micros == 200_000
    assert bearer_client(payer.token).post(URL, GOOD, format="json").status_code == 201  # lock gone


def test_one_locked_tenant_cannot_drain_the_pool(settings):
    """Pool of 4; the blocked agent sends 12 creates at once; another agent still gets through."""
    settings.RATE_LIMIT_PER_MINUTE = 0
    settings.AGENT_MAX_CONCURRENT_REQUESTS = 2
    payer, other = make_agent("Pool hog"), make_agent("Pool neighbour")

    def create(_: int):  # type: ignore[no-untyped-def]
        try:
            return bearer_client(payer.token).post(URL, GOOD, format="json")
        finally:
            connection.close()

    with db_options(options="-c lock_timeout=4000 -c statement_timeout=10000",
                    pool={"min_size": 1, "max_size": 4, "timeout": 1.0}), balance_row_locked(payer):
        with ThreadPoolExecutor(12) as threads:
            futures = [threads.submit(create, i) for i in range(12)]
            deadline = time.monotonic() + 10
            while _waiting_on_locks() < 2:
                assert time.monotonic() < deadline, "the hog's creates never reached the lock"
                time.sleep(0.05)
            neighbour = bearer_client(other.token).get("/api/v1/agents/me")
            connection.close()
            responses = [f.result() for f in futures]
    assert neighbour.status_code == 200, neighbour.content
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {429, 503}, statuses
    assert statuses.count(429) >= 10, statuses  # at most two were ever in flight
    for r in responses:
        if r.status_code == 429:
            assert (r.json()["code"], r["Retry-After"]) == ("RATE_LIMITED", "1")
    assert Ticket.objects.count() == 0


def test_an_exhausted_pool_is_503_not_500(settings):
    agent = make_agent("Pool starved")
    hold, release = threading.Event(), threading.Event()

    def occupy() -> None:
        with connection.cursor() as cursor:  # takes the pool's only connection and keeps it
            cursor.execute("SELECT 1")
            hold.set()
            release.wait(20)
        connection.close()

    with db_options(pool={"min_size": 1, "max_size": 1, "timeout": 0.5}):
        occupier = threading.Thread(target=occupy)
        occupier.start()
        assert hold.wait(10)
        try:
            _assert_503(bearer_client(agent.token).get("/api/v1/agents/me"))
            connection.close()
        finally:
            release.set()
            occupier.join(10)


def _live(port: int, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def test_terminated_pooled_connections_are_replaced_not_served(live_server_port):
    """Through the real ASGI server (the test client keeps one connection for the whole test)."""
    agent = make_agent("After the drop")
    with db_options(pool={"min_size": 2, "max_size": 4, "timeout": 5.0}):
        assert _live(live_server_port, "GET", "/api/v1/agents/me", agent.token)[0] == 200  # the pool is warm
        for _ in range(3):
            with psycopg.connect(_dsn(), autocommit=True) as admin:
                pids = [pid for (pid,) in admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
                killed = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM unnest(%s::int[]) AS pid",
                                       [pids]).fetchone()
                wait_gone(admin, pids)
            assert killed is not None and killed[0] >= 1
            assert _live(live_server_port, "GET", "/api/v1/agents/me", agent.token)[0] == 200
            assert _live(live_server_port, "POST", URL, agent.token, GOOD)[0] == 201
    assert Ticket.objects.filter(agent=agent.agent).count() == 3


def test_a_connection_terminated_mid_request_is_503_and_the_next_request_works(live_server_port):
    agent = make_agent("Dropped mid-request")
    with db_options(pool={"min_size": 1, "max_size": 4, "timeout": 5.0}):
        with balance_row_locked(agent), ThreadPoolExecutor(1) as threads:
            pending = threads.submit(_live, live_server_port, "POST", URL, agent.token, GOOD)
            deadline = time.monotonic() + 10
            while _waiting_on_locks() < 1:
                assert time.monotonic() < deadline, "the create never reached the lock"
                time.sleep(0.05)
            with psycopg.connect(_dsn(), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND wait_event_type = 'Lock'")
            status, body = pending.result()
        assert (status, body["code"]) == (503, "SERVICE_UNAVAILABLE")
        assert _live(live_server_port, "POST", URL, agent.token, GOOD)[0] == 201
    assert Ticket.objects.filter(agent=agent.agent).count() == 1
