"""Reads for the live streams (sync ORM; the hub runs them on its one database thread).

Positions are `(txid, seq)` (support_project/txid.py). `fetch_after` is what the hub runs after
each NOTIFY; `replay` serves a reconnecting stream's `Last-Event-ID` from the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q

from support_project.txid import horizon_sql

from .models import Kind, LiveEvent

Position = tuple[int, int]
START: Position = (0, 0)
FETCH_LIMIT = 500
REPLAY_LIMIT = 1000

_COLUMNS = "seq, txid, kind, topic, agent_id, session_id, ticket_number, customer, staff, data, staff_data, created_at"


@dataclass(frozen=True)
class Row:
    seq: int
    txid: int
    kind: str
    topic: str
    agent_id: str
    session_id: str
    ticket_number: int | None
    customer: bool
    staff: bool
    data: dict[str, Any]
    staff_data: dict[str, Any]
    created_at: datetime | None = None
    # Encoded SSE frames by audience, made once per row however many streams send it (streams.py).
    frames: dict[bool, bytes] = field(default_factory=dict, compare=False, repr=False)

    @property
    def position(self) -> Position:
        return (self.txid, self.seq)

    @classmethod
    def of(cls, event: LiveEvent) -> Row:
        return cls(seq=event.seq, txid=event.txid, kind=event.kind, topic=event.topic, agent_id=event.agent_id,
                   session_id=event.session_id, ticket_number=event.ticket_number, customer=event.customer,
                   staff=event.staff, data=event.data, staff_data=event.staff_data, created_at=event.created_at)


def _after(position: Position) -> tuple[str, list[int]]:
    return "(txid > %s OR (txid = %s AND seq > %s))", [position[0], position[0], position[1]]


def fetch_after(position: Position) -> tuple[list[Row], bool]:
    """Final rows after `position` in position order, and whether newer rows are held back (an
    older writing transaction is still open: ask again shortly)."""
    where, params = _after(position)
    horizon = horizon_sql(connection.vendor)
    # One statement, one snapshot: the horizon and the rows it judges come from the same one.
    rows = list(LiveEvent.objects.raw(
        f"SELECT {_COLUMNS}, {horizon} AS horizon FROM live_liveevent WHERE {where} "  # noqa: S608 - constant SQL
        f"ORDER BY txid, seq LIMIT {FETCH_LIMIT}", params,
    ))
    final = [Row.of(e) for e in rows if e.txid < e.horizon]  # type: ignore[attr-defined]
    return final, len(final) < len(rows)


def latest_position() -> Position:
    """Where a fresh hub starts: the last final position (everything before it is history)."""
    horizon = horizon_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT txid, seq FROM live_liveevent WHERE txid < {horizon} "  # noqa: S608 - constant SQL
                       "ORDER BY txid DESC, seq DESC LIMIT 1")
        found = cursor.fetchone()
    return (int(found[0]), int(found[1])) if found else START


def replay(*, after: Position, upto: Position, agent_id: str | None, topics: frozenset[str] = frozenset(),
           ticket: tuple[int, str, str] | None = None) -> tuple[list[Row], bool]:
    """The rows a stream missed: after its `Last-Event-ID` up to where the hub stood when it
    subscribed (those rows are final). For an agent (its customer rows in `topics`), or for staff
    (all staff rows, or one ticket's `(number, agent_id, thread id)`: its rows and its agent's balance).
    Returns (rows, complete): incomplete past REPLAY_LIMIT rows (the client should reload)."""
    queryset = LiveEvent.objects.filter(
        Q(txid__gt=after[0]) | Q(txid=after[0], seq__gt=after[1]),
        Q(txid__lt=upto[0]) | Q(txid=upto[0], seq__lte=upto[1]),
    )
    if agent_id is not None:
        queryset = queryset.filter(agent_id=agent_id, customer=True, topic__in=sorted(topics))
    else:
        queryset = queryset.filter(staff=True)
        if ticket is not None:
            queryset = queryset.filter(Q(session_id=ticket[2]) | Q(kind=Kind.BALANCE, agent_id=ticket[1]))
    rows = [Row.of(e) for e in queryset.order_by("txid", "seq")[: REPLAY_LIMIT + 1]]
    return rows[:REPLAY_LIMIT], len(rows) <= REPLAY_LIMIT
