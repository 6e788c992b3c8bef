"""Announcing changes — the one module the writing services call (SPEC §10 live streams).

Everything here runs *inside the writing transaction*: the row in `live.LiveEvent` and the
PostgreSQL `NOTIFY` commit with the change or not at all, so a stream never shows a change that
was rolled back, and a notification is never sent before the row is readable.

Channels — one naming scheme, `<app>.<what>`, reusable by any app that wants to wake listeners:
  * `live.events`   — "new rows in live_liveevent"; empty payload (listeners read the table).
  * `live.presence` — ephemeral staff presence (JSON payload, nothing stored).
`notify(channel, payload)` is the generic primitive; `insert_and_notify(row, channel, payload)` inserts
a row and notifies in one statement (e.g. the webhook outbox: `webhooks.outbox`, the event id).
On PostgreSQL it is `pg_notify`, delivered at COMMIT to every process that LISTENs; on SQLite
(the single-process local default) it calls in-process subscribers after commit.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model

from support_project import sqlbatch

from .models import Kind, LiveEvent, Topic

logger = logging.getLogger(__name__)

CHANNEL_EVENTS = "live.events"
CHANNEL_PRESENCE = "live.presence"

LocalCallback = Callable[[str, str], None]
_local_lock = threading.Lock()
_local_subscribers: list[LocalCallback] = []


# --- the generic primitive --------------------------------------------------------------------------

def subscribe_local(callback: LocalCallback) -> None:
    """In-process delivery (SQLite): `callback(channel, payload)` after each commit. Thread-safe."""
    with _local_lock:
        _local_subscribers.append(callback)


def unsubscribe_local(callback: LocalCallback) -> None:
    with _local_lock:
        if callback in _local_subscribers:
            _local_subscribers.remove(callback)


def _publish_local(channel: str, payload: str) -> None:
    with _local_lock:
        subscribers = list(_local_subscribers)
    for callback in subscribers:
        try:
            callback(channel, payload)
        except Exception:  # noqa: BLE001 - one broken listener must not fail a write
            logger.exception("local listener failed on %s", channel)


def insert_and_notify(obj: Model, channel: str, payload: str = "") -> None:
    """Insert a new row and wake `channel`'s listeners when it commits — one statement on PostgreSQL
    (`INSERT … RETURNING pg_notify(…)`), held by `sqlbatch.held()` to ride with the next statement."""
    sql, params = sqlbatch.insert_statement(obj)
    if connection.vendor == "postgresql":
        sqlbatch.write(f"{sql} RETURNING pg_notify(%s, %s)", [*params, channel, payload])
        obj._state.adding, obj._state.db = False, connection.alias
        return
    sqlbatch.insert(obj)
    notify(channel, payload)


def listener_conninfo(application_name: str) -> str:
    """A psycopg conninfo for Django's default database, for a connection of its own that LISTENs
    (the live hub, the webhook relay), named `application_name` in pg_stat_activity."""
    from psycopg.conninfo import make_conninfo

    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": db.get("USER") or None, "password": db.get("PASSWORD") or None,
              "host": db.get("HOST") or None, "port": str(db["PORT"]) if db.get("PORT") else None,
              "application_name": application_name}
    options = db.get("OPTIONS", {})
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"):
        if key in options:
            params[key] = str(options[key])
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


def notify(channel: str, payload: str = "") -> None:
    """Wake every listener of `channel` when the current transaction commits (at once outside one)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [channel, payload])
    elif connection.in_atomic_block:
        transaction.on_commit(lambda: _publish_local(channel, payload))
    else:
        _publish_local(channel, payload)


# --- durable events -----------------------------------------------------------------------------------

_INSERT_AND_NOTIFY = (
    "INSERT INTO live_liveevent "
    "(kind, topic, agent_id, session_id, ticket_number, customer, staff, data, staff_data, created_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, now()) RETURNING pg_notify(%s, '')"
)


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, separators=(",", ":"))


def announce(
    *, kind: str, topic: str, agent_id: str, data: dict[str, Any], staff_data: dict[str, Any] | None = None,
    session_id: str = "", ticket_number: int | None = None, customer: bool = True, staff: bool = True,
) -> None:
    """Record one event for the streams and wake the listeners: one statement on PostgreSQL, held by
    `sqlbatch.held()` to ride with the writer's next statement."""
    if not (customer or staff):
        return
    if connection.vendor == "postgresql":
        sqlbatch.write(_INSERT_AND_NOTIFY, [
            kind, topic, agent_id, session_id, ticket_number, customer, staff,
            _dumps(data), _dumps(staff_data or {}), CHANNEL_EVENTS,
        ])
        return
    LiveEvent.objects.create(
        kind=kind, topic=topic, agent_id=agent_id, session_id=session_id, ticket_number=ticket_number,
        customer=customer, staff=staff, data=json.loads(_dumps(data)), staff_data=json.loads(_dumps(staff_data or {})),
    )
    notify(CHANNEL_EVENTS)


# --- what the services announce ---------------------------------------------------------------------

def message_appended(*, session_table: str, session_id: str, internal: bool, message: dict[str, Any]) -> None:
    """A message was added to a session (`demo_sessions.services.message_append`, the one way).

    The session's owner and kind are read in the same statement that records the event: support
    threads go to staff and (unless an internal note) their owner's `support` streams; enrich chats
    to their owner's `chat` streams only. `message` is the message's one shape (`MessageOut`).
    """
    data = _dumps({"session_id": session_id, "message": message})
    staff_data = _dumps({"internal": internal})
    table = connection.ops.quote_name(session_table)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH s AS (SELECT agent_id, session_kind FROM {table} WHERE id = %s), "  # noqa: S608 - quoted table
                "e AS (INSERT INTO live_liveevent "
                "(kind, topic, agent_id, session_id, ticket_number, customer, staff, data, staff_data, created_at) "
                "SELECT %s, CASE WHEN s.session_kind = 'support' THEN %s ELSE %s END, s.agent_id, %s, NULL, %s, "
                "s.session_kind = 'support', %s::jsonb, %s::jsonb, now() FROM s "
                "WHERE %s OR s.session_kind = 'support' RETURNING seq) "
                "SELECT pg_notify(%s, '') FROM e",
                [session_id, Kind.MESSAGE.value, Topic.SUPPORT.value, Topic.CHAT.value, session_id, not internal,
                 data, staff_data, not internal, CHANNEL_EVENTS],
            )
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT agent_id, session_kind FROM {table} WHERE id = %s", [session_id])  # noqa: S608
        found = cursor.fetchone()
    if found is None:
        return
    support = found[1] == "support"
    announce(kind=Kind.MESSAGE, topic=Topic.SUPPORT if support else Topic.CHAT, agent_id=found[0],
             session_id=session_id, customer=not internal, staff=support, data=json.loads(data),
             staff_data=json.loads(staff_data))


CUSTOMER_VISIBLE_CHANGES = ("support_status", "priority", "bounty_status")


def ticket_changed(*, ticket: Any, changes: dict[str, list[Any]], created: bool = False) -> None:
    """A ticket was opened or changed. Assignee changes are staff-only (SPEC: staff identities stay in)."""
    visible = {k: v for k, v in changes.items() if k in CUSTOMER_VISIBLE_CHANGES}
    data = {
        "ticket_id": ticket.public_id, "number": ticket.number, "session_id": ticket.support_session_id,
        "support_status": ticket.status, "bounty_status": ticket.bounty_status, "priority": ticket.priority,
        "created": created, "changes": visible,
    }
    announce(
        kind=Kind.TICKET, topic=Topic.SUPPORT, agent_id=ticket.agent_id, session_id=ticket.support_session_id,
        ticket_number=ticket.number, customer=created or bool(visible), staff=True, data=data,
        staff_data={"ticket": _ticket_row(ticket), "changes": changes},
    )


def balance_changed(*, agent_id: str, balance_micros: int) -> None:
    """The agent's balance moved (the ledger's writer, where `balance_event_cte` does not apply)."""
    announce(kind=Kind.BALANCE, topic=Topic.ACCOUNT, agent_id=agent_id, customer=True, staff=True,
             data={"balance_micros": balance_micros})


def balance_event_cte(*, source: str, agent_id: str) -> tuple[str, list[Any]] | None:
    """The balance event as a CTE body over `source` (a CTE `RETURNING balance_micros`), for the
    ledger's balance statement: on PostgreSQL the event row and its NOTIFY ride in the same statement
    as the UPDATE (no extra round trip on the paid create path). None elsewhere: the caller then
    announces with `balance_changed` after the update."""
    if connection.vendor != "postgresql":
        return None
    sql = (
        "INSERT INTO live_liveevent "  # noqa: S608 - our own SQL; `source` is the caller's CTE name
        "(kind, topic, agent_id, session_id, ticket_number, customer, staff, data, staff_data, created_at) "
        f"SELECT %s, %s, %s, '', NULL, TRUE, TRUE, jsonb_build_object('balance_micros', {source}.balance_micros), "
        f"'{{}}'::jsonb, now() FROM {source} RETURNING pg_notify(%s, '')"
    )
    return sql, [Kind.BALANCE.value, Topic.ACCOUNT.value, agent_id, CHANNEL_EVENTS]


def _ticket_row(ticket: Any) -> dict[str, Any]:
    """What the inbox list shows of a ticket (staff only)."""
    return {
        "ticket_id": ticket.public_id, "number": ticket.number, "subject": ticket.subject,
        "category": ticket.category, "support_status": ticket.status, "priority": ticket.priority,
        "awaiting_operator": ticket.awaiting_operator, "message_count": ticket.message_count,
        "bounty_status": ticket.bounty_status, "last_activity_at": ticket.last_activity_at,
    }
