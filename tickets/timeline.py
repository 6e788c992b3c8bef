"""The ticket timeline (issue #15 item 4): status, assignee, priority, bounty and rating changes as
events in the staff view of a thread — who, when, from → to.

Write: `timeline_record(...)`, called by the service that makes the change, inside its transaction
(so an event exists exactly when its change committed). Events are staff-only: customer APIs,
/demo and webhook payloads never read `TicketEvent`. Callers today: `operators.ticket_reply` and
`operators.ticket_update_by_staff` (status, assignee, priority), `bounty.bounty_decide` and
`bounty.bounty_award` (bounty), `services.customer_message_post` (reopen) and
`services.ticket_close_by_customer` (close). A ticket rating service records
`kind=TimelineKind.RATING, old="" (or the previous score), new="5"`.

Read: `search.ticket_timeline_for_staff` (one query, actor joined; staff reads live there) and
`thread_with_events` here, which interleaves events with the thread's messages by time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from demo_sessions.models import Message

from .models import Ticket, TicketEvent, TimelineActor, TimelineKind


def staff_display_name(user: Any) -> str:
    """How an operator appears in a thread and the timeline: full name, else username."""
    return (user.get_full_name() or "").strip() or user.get_username()


def _value(value: object) -> str:
    return "" if value is None else str(value)


def timeline_record(
    *,
    ticket: Ticket,
    kind: TimelineKind | str,
    old: object,
    new: object,
    actor: Any = None,
    actor_kind: TimelineActor | str | None = None,
    now: datetime | None = None,
) -> TicketEvent | None:
    """Record one change of `ticket` (call inside the changing service's transaction).

    `actor` is the staff user who made it (then `actor_kind` defaults to staff); without one, pass
    `actor_kind` = customer or system (default system). `old`/`new` are the values before and after
    (None = none: unassigned, no rating); they are stored as text. Returns None, recording nothing,
    when old == new.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("timeline_record must run inside the transaction that makes the change")
    kind = TimelineKind(kind)
    old_text, new_text = _value(old), _value(new)
    if old_text == new_text:
        return None
    if actor_kind is None:
        actor_kind = TimelineActor.STAFF if actor is not None else TimelineActor.SYSTEM
    actor_kind = TimelineActor(actor_kind)
    if actor_kind == TimelineActor.STAFF and actor is None:
        raise ValueError("a staff event needs the staff user as `actor`")
    actor_name = staff_display_name(actor) if actor is not None else ""
    return TicketEvent.objects.create(
        ticket_id=ticket.pk, kind=kind, actor_kind=actor_kind, actor=actor, actor_name=actor_name[:150],
        old=old_text[:150], new=new_text[:150], created_at=now or timezone.now(),
    )


def thread_with_events(messages: Sequence[Message], events: Sequence[TicketEvent]) -> list[Message | TicketEvent]:
    """Messages and events in one list by time; at the same instant the message comes first
    (a reply that also changed the status reads "reply, then status → pending")."""
    merged: list[tuple[datetime, int, int, Message | TicketEvent]] = [
        (m.created_at, 0, i, m) for i, m in enumerate(messages)
    ]
    merged += [(e.created_at, 1, i, e) for i, e in enumerate(events)]
    merged.sort(key=lambda row: row[:3])
    return [row[3] for row in merged]


