"""support_project.sqlbatch: held writes ride on the next statement that needs an answer."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from demo_sessions.models import Author, DemoSession, Message, SessionKind
from support_project import sqlbatch
from support_project.ids import new_session_id

pytestmark = pytest.mark.django_db


def _session(agent) -> DemoSession:  # type: ignore[no-untyped-def]
    return DemoSession(id=new_session_id(), agent=agent, session_kind=SessionKind.ENRICH, title="t")


def _sql(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_held_writes_ride_on_the_next_query_as_one_statement(agent_a):
    session = _session(agent_a.agent)
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx, sqlbatch.held():
        sqlbatch.insert(session)
        sqlbatch.insert(Message(session=session, author=Author.USER, text="hello"))
        assert _sql(ctx) == []  # nothing sent yet
        rows = sqlbatch.query("SELECT count(*) FROM demo_sessions_demosession WHERE id = %s", [session.id])
    (statement,) = _sql(ctx)
    assert statement.startswith("WITH held_0 AS (INSERT INTO")
    assert rows == [(0,)]  # the carrier reads its own snapshot: the held rows aren't visible to it
    assert DemoSession.objects.filter(id=session.id).count() == 1
    assert list(Message.objects.filter(session_id=session.id).values_list("text", flat=True)) == ["hello"]


def test_what_is_still_held_at_the_end_goes_as_one_statement(agent_a):
    first, second = _session(agent_a.agent), _session(agent_a.agent)
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        with sqlbatch.held():
            sqlbatch.insert(first)
            sqlbatch.insert(second)
    (statement,) = _sql(ctx)
    assert statement.endswith("SELECT 1")
    assert DemoSession.objects.filter(id__in=[first.id, second.id]).count() == 2


def test_a_carrier_that_starts_with_with_gets_the_writes_in_its_list(agent_a):
    session = _session(agent_a.agent)
    with transaction.atomic(), sqlbatch.held():
        sqlbatch.insert(session)
        rows = sqlbatch.query("WITH x AS (SELECT %s::int AS v) SELECT v FROM x", [7])
    assert rows == [(7,)]
    assert DemoSession.objects.filter(id=session.id).exists()


def test_a_parent_and_its_child_may_ride_in_one_statement(agent_a):
    session = _session(agent_a.agent)
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx, sqlbatch.held():
        sqlbatch.insert(session)  # foreign keys are checked at the end of the statement
        sqlbatch.insert(Message(session=session, author=Author.USER, text="first"))
    assert len(_sql(ctx)) == 1
    assert Message.objects.get(session_id=session.id).text == "first"


def test_a_raising_block_sends_nothing_it_held(agent_a):
    session = _session(agent_a.agent)
    with pytest.raises(ZeroDivisionError), transaction.atomic(), sqlbatch.held():
        sqlbatch.insert(session)
        1 / 0  # noqa: B018
    assert not DemoSession.objects.filter(id=session.id).exists()


def test_held_writes_refuse_to_ride_into_a_later_savepoint(agent_a):
    session = _session(agent_a.agent)
    with transaction.atomic(), sqlbatch.held():
        sqlbatch.insert(session)
        with pytest.raises(RuntimeError, match="savepoint"), transaction.atomic():
            sqlbatch.query("SELECT 1", [])
        # still held, and sent once the block ends at the depth they were held at
    assert DemoSession.objects.filter(id=session.id).exists()


def test_outside_held_each_write_runs_at_once(agent_a):
    session = _session(agent_a.agent)
    with transaction.atomic():
        sqlbatch.insert(session)
        assert DemoSession.objects.filter(id=session.id).exists()


@pytest.mark.django_db(transaction=True)
def test_held_needs_a_transaction():
    with pytest.raises(RuntimeError, match="atomic"), sqlbatch.held():
        pass  # pragma: no cover


def _compiled(obj, *, returning: bool = False):  # type: ignore[no-untyped-def]
    """What Django's own compiler makes of it (the reference)."""
    from django.db.models.sql import InsertQuery

    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if not f.generated]
    if meta.auto_field is not None and obj.pk is None:
        fields = [f for f in fields if f is not meta.auto_field]
    query = InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [meta.auto_field] if returning and meta.auto_field is not None else None
    [(sql, params)] = compiler.as_sql()
    return sql, list(params)


def _comparable(params):  # type: ignore[no-untyped-def]
    """JSON adapters by what they wrap; `auto_now_add` stamps by type (each call stamps anew)."""
    from datetime import datetime

    return [datetime if isinstance(p, datetime) else (("json", p.obj) if hasattr(p, "obj") else p) for p in params]


def test_the_cached_insert_sql_is_what_djangos_compiler_writes(agent_a):
    from django.utils import timezone

    from billing.models import LedgerEntry
    from tickets.models import Ticket
    from webhooks.models import Event

    now = timezone.now()
    session = _session(agent_a.agent)
    rows = [
        lambda: session,
        lambda: Message(id="msg_x", session=session, author=Author.USER, text="hi", metadata={"a": [1, "ü"]},
                        created_at=now),
        lambda: Event(public_id="evt_x", type="support.ticket_created", agent_id=agent_a.agent.id, envelope="{}",
                      created_at=now),
        lambda: LedgerEntry(id="led_x", agent_id=agent_a.agent.id, kind="grant", amount_micros=5,
                            balance_after_micros=5, reference="r"),
        lambda: Ticket(public_id="tkt_x", agent=agent_a.agent, category="bug", subject="s", body="b",
                       support_session=session, created_at=now, updated_at=now, last_activity_at=now,
                       awaiting_since=now),
    ]
    for make in rows:
        for returning in (False, True):
            expected_sql, expected_params = _compiled(make(), returning=returning)
            for _ in range(2):  # compiled and cached, then from the cache
                sql, params = sqlbatch.insert_statement(make(), returning=returning)
                assert sql == expected_sql
                assert _comparable(params) == _comparable(expected_params)
    sql, params = sqlbatch.insert_statement(rows[2]())
    assert '"txid"' in sql and "DEFAULT" in sql  # the database's own value (db_default): no parameter
    assert params[:3] == ["evt_x", "support.ticket_created", agent_a.agent.id]
