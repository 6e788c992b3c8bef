"""Issue 16 item 2: N parallel rotations of one admin bearer → exactly one wins (its token works),
every other caller gets 409 TOKEN_ALREADY_ROTATED and no token. Real threads on PostgreSQL.

To make the race certain rather than likely, the test holds the token row's lock while the ten
requests authenticate and reach the revoke, then lets them all go at once. A request that starts
after the winner committed is simply 401 (its token is revoked), which the second test shows."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.db import connection

from accounts.models import ApiToken, TokenKind
from tests.conftest import bearer_client, make_agent

from .conftest import db_options

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.timeout(60)]

ROTATE = "/api/v1/agents/token/rotate"


def test_it_lets_exactly_one_of_ten_parallel_rotations_win(settings):
    settings.RATE_LIMIT_PER_MINUTE = 0
    settings.AGENT_MAX_CONCURRENT_REQUESTS = 0  # all ten in flight at once from one agent
    persona = make_agent("Rotator")
    token_row = ApiToken.objects.get(agent=persona.agent, kind=TokenKind.ADMIN)

    def rotate(_: int):  # type: ignore[no-untyped-def]
        try:
            return bearer_client(persona.token).post(ROTATE)
        finally:
            connection.close()

    dsn = f"host=127.0.0.1 user=postgres dbname={connection.settings_dict['NAME']}"
    # A lock_timeout longer than the test's wait, so every rotation is still waiting when released.
    with db_options(options="-c lock_timeout=30000"), psycopg.connect(dsn) as holder, \
            psycopg.connect(dsn, autocommit=True) as watcher, ThreadPoolExecutor(10) as pool:
        holder.execute("SELECT 1 FROM accounts_apitoken WHERE id = %s FOR UPDATE", [token_row.id])
        futures = [pool.submit(rotate, i) for i in range(10)]
        deadline = time.monotonic() + 20
        while _waiting_on_locks(watcher) < 10:
            assert time.monotonic() < deadline, "the ten rotations never reached the revoke"
            time.sleep(0.05)
        holder.commit()  # all ten authenticated with the still-valid token and now race
        responses = [f.result() for f in futures]

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 9, [r.content for r in responses]
    (winner,) = [r.json()["token"] for r in responses if r.status_code == 200]
    for loser in (r for r in responses if r.status_code == 409):
        body = loser.json()
        assert body["code"] == "TOKEN_ALREADY_ROTATED"
        assert "token" not in body
    assert bearer_client(winner).get("/api/v1/agents/me").status_code == 200
    assert bearer_client(persona.token).get("/api/v1/agents/me").status_code == 401
    active = ApiToken.objects.filter(agent=persona.agent, kind=TokenKind.ADMIN, revoked_at__isnull=True)
    assert active.count() == 1
    assert ApiToken.objects.filter(agent=persona.agent, kind=TokenKind.ADMIN).count() == 2


def test_a_rotated_token_rotating_again_is_refused(settings):
    persona = make_agent("Rotate twice")
    first = persona.client.post(ROTATE)
    assert first.status_code == 200
    again = persona.client.post(ROTATE)
    assert again.status_code == 401  # the old token no longer authenticates at all
    assert bearer_client(first.json()["token"]).post(ROTATE).status_code == 200


def _waiting_on_locks(conn: psycopg.Connection) -> int:  # type: ignore[type-arg]
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    return int(row[0]) if row else 0
