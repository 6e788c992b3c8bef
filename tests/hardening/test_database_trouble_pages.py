"""Issue 16 item 7, the pages' side: database trouble on an HTML page (the Support Inbox, the
Django admin, the landing page) is `503` with `Retry-After` and a small friendly page — the same
rule as the API's SPEC envelope — while a genuine bug (an integrity error) is still Django's 500.

Real PostgreSQL: a table held under ACCESS EXCLUSIVE by another connection with a short
`lock_timeout`, a backend terminated with pg_terminate_backend while it waits, and a trigger
that raises a real unique violation.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import psycopg
import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.http import HttpResponseBase
from django.test import Client

from tests.conftest import AgentPersona, StaffPersona
from tests.factories import open_ticket

from .conftest import db_options

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.timeout(90)]

FRIENDLY = "The service is briefly unavailable; try again in a moment."


def _dsn() -> str:
    return f"host=127.0.0.1 user=postgres dbname={connection.settings_dict['NAME']}"


@contextmanager
def table_locked(table: str) -> Iterator[None]:
    """Another connection holds `table` under ACCESS EXCLUSIVE: even plain reads of it wait."""
    with psycopg.connect(_dsn()) as holder:
        holder.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        yield
        holder.rollback()


def _waiting_on_locks() -> int:
    with psycopg.connect(_dsn(), autocommit=True) as watcher:
        row = watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                              "AND wait_event_type = 'Lock'").fetchone()
    return int(row[0]) if row else 0


def _assert_friendly_503(status: int, headers: dict[str, str], body: str) -> None:
    assert status == 503, body[:500]
    assert int(headers["retry-after"]) >= 1
    assert headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in headers["content-security-policy"]
    assert FRIENDLY in body
    assert "<script" not in body and "style=" not in body and "Traceback" not in body


def _client_503(response: HttpResponseBase) -> None:
    headers = {name.lower(): value for name, value in response.items()}
    _assert_friendly_503(response.status_code, headers, response.content.decode())  # type: ignore[attr-defined]


def test_the_inbox_under_a_lock_timeout_is_a_friendly_503_then_works_again(staff: StaffPersona,
                                                                          agent_a: AgentPersona) -> None:
    ticket = open_ticket(agent_a, subject="Waiting behind a lock")
    client = Client()
    client.force_login(staff.user)
    with db_options(options="-c lock_timeout=300 -c statement_timeout=5000"), table_locked("tickets_ticket"):
        _client_503(client.get("/ui-traffic"))
        _client_503(client.get(f"/ui-traffic/tickets/{ticket.number}"))
    page = client.get("/ui-traffic")  # lock gone
    assert page.status_code == 200
    assert "Waiting behind a lock" in page.content.decode()


def test_a_django_admin_page_under_a_lock_timeout_is_a_friendly_503(staff: StaffPersona) -> None:
    staff.user.is_superuser = True
    staff.user.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(staff.user)
    with db_options(options="-c lock_timeout=300 -c statement_timeout=5000"), table_locked("tickets_ticket"):
        _client_503(client.get("/django-admin/tickets/ticket/"))
    assert client.get("/django-admin/tickets/ticket/").status_code == 200


def test_the_landing_page_still_answers_while_a_table_is_locked() -> None:
    """Pages that don't read the locked table are untouched (the lock stays with what needs it)."""
    with db_options(options="-c lock_timeout=300 -c statement_timeout=5000"), table_locked("tickets_ticket"):
        assert Client().get("/").status_code == 200


def _live_get(port: int, path: str, cookie: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        headers = {name.lower(): value for name, value in response.getheaders()}
        return response.status, headers, response.read().decode()
    finally:
        conn.close()


def test_an_inbox_request_whose_connection_is_terminated_is_a_friendly_503(staff: StaffPersona,
                                                                          live_server_port: int) -> None:
    """Through the real ASGI server: the request waits on the lock, its backend is killed."""
    client = Client()
    client.force_login(staff.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    with db_options(pool={"min_size": 1, "max_size": 4, "timeout": 5.0}):
        with table_locked("tickets_ticket"), ThreadPoolExecutor(1) as threads:
            pending = threads.submit(_live_get, live_server_port, "/ui-traffic", cookie)
            deadline = time.monotonic() + 10
            while _waiting_on_locks() < 1:
                assert time.monotonic() < deadline, "the inbox request never reached the lock"
                time.sleep(0.05)
            with psycopg.connect(_dsn(), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND wait_event_type = 'Lock'")
            _assert_friendly_503(*pending.result())
        assert _live_get(live_server_port, "/ui-traffic", cookie)[0] == 200


@pytest.fixture
def group_inserts_violate_a_constraint() -> Iterator[None]:
    """A real unique violation from PostgreSQL on any insert into auth_group (a bug, not trouble)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE FUNCTION test_refuse_group() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'duplicate group' USING ERRCODE = 'unique_violation'; END $$;
            CREATE TRIGGER test_refuse_group BEFORE INSERT ON auth_group
            FOR EACH ROW EXECUTE FUNCTION test_refuse_group();
        """)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS test_refuse_group ON auth_group; "
                           "DROP FUNCTION IF EXISTS test_refuse_group();")


def test_an_integrity_error_on_a_page_is_still_a_500(staff: StaffPersona,
                                                     group_inserts_violate_a_constraint: None) -> None:
    staff.user.is_superuser = True
    staff.user.save(update_fields=["is_superuser"])
    groups_before = sorted(Group.objects.values_list("name", flat=True))
    client = Client(raise_request_exception=False)
    client.force_login(staff.user)
    response = client.post("/django-admin/auth/group/add/", {"name": "Night shift"})
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert FRIENDLY not in response.content.decode()
    assert sorted(Group.objects.values_list("name", flat=True)) == groups_before
