"""Staff writes on tickets (SPEC §6): replies and internal notes, status/assignee/priority changes.

Each is one transaction holding the ticket's row lock; events go to the outbox in that
transaction (internal notes never emit anything). Bounty decisions live in bounty.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from demo_sessions.attachments.services import attachments_claim
from demo_sessions.models import Author, Message, Uploader
from live import notify as live
from support_project.domain import Conflict, InvalidInput

from .collisions import check_no_newer_public_message
from .models import Priority, Ticket, TicketStatus, TimelineKind
from .search import staff_user_by_username
from .services import _emit, thread_message_add, ticket_lock, ticket_shape
from .status import Actor, check_transition, status_after_operator_reply
from .timeline import staff_display_name, timeline_record

MAX_REPLY_CHARS = 10_000
UNCHANGED: Any = object()  # "field not sent" for partial updates (None means "unassign")


def _clean_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput("The reply is empty.", details={"text": ["This field may not be blank."]})
    if len(text) > MAX_REPLY_CHARS:
        raise InvalidInput(details={"text": [f"Ensure this field has no more than {MAX_REPLY_CHARS} characters."]})
    return text


def ticket_reply(
    *, ticket: Ticket, staff_user: Any, text: str, internal: bool = False, support_status: str | None = None,
    last_seen_message_id: str | None = None,
    attachment_ids: Sequence[str] = (),
) -> Message:
    """An operator message in the ticket's thread.

    Public: the ticket waits on the customer again (`pending` from `open`, unless `support_status`
    says otherwise) and `support.message_created` is emitted. Internal note: staff-only, emits
    nothing, leaves the status and the "needs reply" flag alone — unless `support_status` is given
    explicitly, which is then applied (and emitted as `support.ticket_updated`, without the note).
    With `last_seen_message_id`, a public reply is refused (ReplyCollision, nothing written) when a
    newer public message arrived since (tickets/collisions.py).
    A public reply on a closed ticket is refused (409 TICKET_CLOSED) unless it reopens it (`open`).
    """
    text = _clean_text(text)
    with transaction.atomic(durable=True):
        locked = ticket_lock(ticket_pk=ticket.pk)
        if support_status is not None:
            check_transition(locked.status, support_status, Actor.STAFF)
        if not internal and locked.status == TicketStatus.CLOSED and support_status != TicketStatus.OPEN:
            # Closed is closed for both sides: the customer can't answer, so a public reply must
            # reopen the ticket explicitly (docs/DECISIONS.md).
            raise Conflict(
                "TICKET_CLOSED",
                "This ticket is closed and the customer can't answer it: reopen it with this reply "
                "(status open) or add an internal note.",
            )
        if last_seen_message_id is not None and not internal:
            check_no_newer_public_message(ticket=locked, last_seen_message_id=last_seen_message_id)
        if internal:
            new_status, awaiting = support_status, None
        else:
            new_status = support_status or status_after_operator_reply(locked.status)
            awaiting = False
        old_status = locked.status
        attachments = attachments_claim(session_id=locked.support_session_id, attachment_ids=attachment_ids,
                                        uploader=Uploader.STAFF)
        message = thread_message_add(
            ticket=locked, author=Author.OPERATOR, text=text, internal=internal,
            author_name=staff_display_name(staff_user), new_status=new_status, awaiting_operator=awaiting,
            attachments=attachments,
        )
        timeline_record(ticket=locked, kind=TimelineKind.STATUS, old=old_status, new=locked.status, actor=staff_user,
                        now=message.created_at)
    ticket.refresh_from_db()
    return message


_TIMELINE_KIND = {"support_status": TimelineKind.STATUS, "priority": TimelineKind.PRIORITY,
                  "assignee": TimelineKind.ASSIGNEE}


@dataclass(frozen=True)
class TicketChanges:
    ticket: Ticket
    changes: dict[str, list[Any]]  # field → [old, new]; empty when nothing changed


def ticket_update_by_staff(
    *,
    ticket: Ticket,
    staff_user: Any,
    support_status: str | None = None,
    assignee: str | None = UNCHANGED,
    priority: str | None = None,
) -> TicketChanges:
    """Move status (through the staff transitions), (un)assign by username, set priority.

    Emits `support.ticket_updated` when a customer-visible field (status, priority) changed;
    assignment is staff-internal and emits nothing. Re-sending current values changes nothing.
    """
    if priority is not None and priority not in Priority.values:
        raise InvalidInput(details={"priority": [f"Must be one of: {', '.join(Priority.values)}."]})
    if support_status is not None and support_status not in TicketStatus.values:
        raise InvalidInput(details={"support_status": [f"Must be one of: {', '.join(TicketStatus.values)}."]})
    assignee_user: Any = UNCHANGED
    if assignee is not UNCHANGED:
        assignee_user = None
        if assignee is not None:
            assignee_user = staff_user_by_username(username=assignee)
            if assignee_user is None:
                raise InvalidInput(details={"assignee": ["Must be the username of an active staff member, or null."]})

    with transaction.atomic(durable=True):
        locked = ticket_lock(ticket_pk=ticket.pk)
        changes: dict[str, list[Any]] = {}
        updates: dict[str, Any] = {}
        if support_status is not None and support_status != locked.status:
            check_transition(locked.status, support_status, Actor.STAFF)
            changes["support_status"] = [locked.status, support_status]
            updates["status"] = support_status
            if support_status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
                updates["awaiting_operator"] = False  # nothing left to answer
                updates["awaiting_since"] = None
        if priority is not None and priority != locked.priority:
            changes["priority"] = [locked.priority, priority]
            updates["priority"] = priority
        new_assignee_id = None if assignee_user in (None, UNCHANGED) else assignee_user.pk
        if assignee_user is not UNCHANGED and new_assignee_id != locked.assignee_id:
            old_name = locked.assignee.get_username() if locked.assignee_id and locked.assignee else None
            changes["assignee"] = [old_name, assignee]
            updates["assignee_id"] = new_assignee_id
        if updates:
            updates["updated_at"] = timezone.now()
            Ticket.objects.filter(pk=locked.pk).update(**updates)
            for field, value in updates.items():
                setattr(locked, field, value)
            for field, (old, new) in changes.items():
                timeline_record(ticket=locked, kind=_TIMELINE_KIND[field], old=old, new=new, actor=staff_user,
                                now=updates["updated_at"])
            visible = {k: v for k, v in changes.items() if k != "assignee"}
            if visible:
                _emit(locked.agent_id, "support.ticket_updated", {"ticket": ticket_shape(locked), "changes": visible})
            live.ticket_changed(ticket=locked, changes=changes)
    ticket.refresh_from_db()
    return TicketChanges(ticket=ticket, changes=changes)
