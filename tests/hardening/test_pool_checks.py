"""support_project.dbpool: a pooled connection is pinged only when its socket says the server spoke
(a termination notice, a close) or it idled too long — never on every checkout."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection
from psycopg_pool import ConnectionPool

from support_project import dbpool

from .conftest import wait_gone

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


def _dsn() -> str:
    return f"host=127.0.0.1 user=postgres dbname={connection.settings_dict['NAME']}"


def _last_query(pid: int) -> str:
    with psycopg.connect(_dsn(), autocommit=True) as admin:
        row = admin.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None
    return str(row[0])


@pytest.fixture
def pool():  # type: ignore[no-untyped-def]
    with ConnectionPool(_dsn(), min_size=1, max_size=1, kwargs={"autocommit": True}, open=True,
                        check=dbpool.check, **dbpool.pool_options(timeout=5.0)) as pool:
        yield pool


def test_a_healthy_recently_returned_connection_is_handed_out_without_a_query(pool):
    with pool.connection() as conn:
        conn.execute("SELECT 'marker'")
        pid = conn.info.backend_pid
    with pool.connection() as conn:
        assert conn.info.backend_pid == pid
        assert _last_query(pid) == "SELECT 'marker'"  # no ping reached the server


def test_a_terminated_connection_is_replaced_not_served(pool):
    with pool.connection() as conn:
        pid = conn.info.backend_pid
    with psycopg.connect(_dsn(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        wait_gone(admin, [pid])
    with pool.connection() as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert conn.info.backend_pid != pid


def test_a_connection_idle_past_the_limit_is_pinged(pool, monkeypatch):
    with pool.connection() as conn:
        conn.execute("SELECT 'marker'")
        pid = conn.info.backend_pid
    monkeypatch.setattr(dbpool, "IDLE_PING_SECONDS", 0.05)
    time.sleep(0.1)
    with pool.connection() as conn:
        assert conn.info.backend_pid == pid
        assert _last_query(pid) == ""  # psycopg_pool's ping is an empty query


def test_the_settings_pool_gets_these_checks_from_its_first_connection():
    from django.db import connections

    from .conftest import db_options

    with db_options(pool={"min_size": 1, "max_size": 2, "timeout": 5.0}):
        fresh = connections.create_connection("default")
        try:
            fresh.ensure_connection()
            assert (fresh.pool._check, fresh.pool._reset) == (dbpool.check, dbpool.reset)
        finally:
            fresh.close()
