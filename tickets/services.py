"""Writes for tickets and their support threads (customer side; operators build on the same pieces).

`ticket_open` is the paid route's work: the ticket, its support session, the first message, the
charge and the `support.ticket_created` outbox event commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Agent
from billing.idempotency import StoredResponse
from billing.paywall import Charge, PaidRequest, run_paid
from demo_sessions.attachments.services import attachments_claim, attachments_link
from demo_sessions.models import Attachment, Author, DemoSession, Message, Uploader
from demo_sessions.serializers import MessageOut
from demo_sessions.services import message_append, support_session_open
from live import notify as live
from support_project import sqlbatch
from support_project.domain import Conflict
from support_project.ids import new_id
from webhooks.services import event_emit

from .models import BountyStatus, Category, Ticket, TicketStatus, TimelineActor, TimelineKind
from .serializers import ticket_created_out, ticket_out
from .status import Actor, check_transition, status_after_customer_message
from .timeline import timeline_record


def _emit(agent_id: str, event_type: str, data: dict[str, Any]) -> None:
    event_emit(agent_id=agent_id, event_type=event_type, data=data)


def ticket_shape(ticket: Ticket) -> dict[str, Any]:
    """`data.ticket` of every support.* event: the customer's TicketOut, as plain JSON values."""
    return ticket_out(ticket)


def ticket_open(
    *,
    agent: Agent,
    category: str,
    subject: str,
    body: str,
    source_session: DemoSession | None,
    resource_url: str,
    payment_signature: str | None = None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> StoredResponse:
    """Open a ticket for the ticket price through the billing waterfall. Input is already valid."""
    ticket_id = new_id("tkt")

    def work(payment_method: str) -> Callable[[Charge], StoredResponse]:
        ticket = _ticket_create(agent=agent, ticket_id=ticket_id, category=category, subject=subject, body=body,
                                source_session=source_session, payment_method=payment_method)

        def respond(charge: Charge) -> StoredResponse:
            body = ticket_created_out(ticket, balance_after_micros=charge.balance_after_micros)
            return StoredResponse(201, body, {"Location": f"/api/v1/support/tickets/{ticket.public_id}"})

        return respond

    return run_paid(
        paid=PaidRequest(
            agent_id=agent.id, price_micros=settings.TICKET_PRICE_MICROS, charge_reference=ticket_id,
            resource_url=resource_url, description="Open a support ticket",
            payment_signature=payment_signature, idempotency_key=idempotency_key, fingerprint=fingerprint,
            known_balance_micros=agent.balance_micros,
        ),
        work=work,
    )


def _ticket_create(*, agent: Agent, ticket_id: str, category: str, subject: str, body: str,
                   source_session: DemoSession | None, payment_method: str) -> Ticket:
    now = timezone.now()
    session = support_session_open(agent=agent, title=subject, first_text=body, now=now)
    ticket = Ticket(
        public_id=ticket_id, agent=agent, category=category, subject=subject, body=body,
        support_session=session, source_session=source_session,
        charged_micros=settings.TICKET_PRICE_MICROS, payment_method=payment_method,
        bounty_status=BountyStatus.PENDING_REVIEW if category == Category.BUG else None,
        created_at=now, updated_at=now, last_activity_at=now, awaiting_since=now,
    )
    # The number now, carrying the session and its first message (held above); the ticket's INSERT is
    # held to ride with the debit. Not beside its first message: its search-vector trigger reads it.
    sqlbatch.key_reserve(ticket)
    sqlbatch.insert(ticket)
    if source_session is not None:
        link = f"/demo?session={session.id}"
        text = f"Support ticket #{ticket.number} opened: “{subject}”. Follow-ups are free in its support thread: {link}"
        message_append(
            session_id=source_session.id, author=Author.SYSTEM, text=text, now=now,
            metadata={"ticket_id": ticket.public_id, "support_session_id": session.id, "open_url": link},
        )
    _emit(agent.id, "support.ticket_created", {"ticket": ticket_shape(ticket)})
    live.ticket_changed(ticket=ticket, changes={}, created=True)
    return ticket


def thread_message_add(
    *,
    ticket: Ticket,
    author: str,
    text: str,
    internal: bool = False,
    author_name: str = "",
    metadata: dict[str, Any] | None = None,
    new_status: str | None = None,
    awaiting_operator: bool | None = None,
    now: datetime | None = None,
    attachments: Sequence[Attachment] = (),
) -> Message:
    """Append to a ticket's support thread and keep the ticket's counters in step.

    Call inside a transaction holding the ticket's row lock. Public messages emit
    `support.message_created`; internal notes never leave the building.
    """
    now = now or timezone.now()
    message = message_append(
        session_id=ticket.support_session_id, author=author, text=text, internal=internal,
        author_name=author_name, metadata=metadata, now=now,
    )
    attachments_link(message=message, attachments=attachments)
    changes: dict[str, Any] = {"updated_at": now, "last_activity_at": now, "message_count": F("message_count") + 1}
    if new_status is not None and new_status != ticket.status:
        changes["status"] = new_status
    if awaiting_operator is not None:
        changes["awaiting_operator"] = awaiting_operator
        # The customer's wait starts at their first unanswered message and ends with an answer.
        if not awaiting_operator:
            changes["awaiting_since"] = None
        elif not ticket.awaiting_operator or ticket.awaiting_since is None:
            changes["awaiting_since"] = now
    Ticket.objects.filter(pk=ticket.pk).update(**changes)
    old_status = ticket.status
    for field, value in changes.items():
        if field != "message_count":
            setattr(ticket, field, value)
    ticket.message_count += 1
    if not internal:
        _emit(ticket.agent_id, "support.message_created", {
            "ticket": ticket_shape(ticket), "message": dict(MessageOut(message).data),
        })
    if ticket.status != old_status:
        _emit(ticket.agent_id, "support.ticket_updated", {
            "ticket": ticket_shape(ticket), "changes": {"support_status": [old_status, ticket.status]},
        })
    # The inbox row follows every message (counts, needs-reply); customers see status changes only.
    live.ticket_changed(ticket=ticket, changes={"support_status": [old_status, ticket.status]}
                        if ticket.status != old_status else {})
    return message


def support_thread_message_post(session: DemoSession, text: str, attachment_ids: Sequence[str] = ()) -> Message:
    """demo_sessions' hook for a customer message in a support thread (registered in apps.py)."""
    return customer_message_post(ticket=session.ticket, text=text, attachment_ids=attachment_ids)


def ticket_lock(*, ticket_pk: int) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket_pk)


def customer_message_post(*, ticket: Ticket, text: str, attachment_ids: Sequence[str] = ()) -> Message:
    """A customer follow-up in a support thread: free; reopens pending/resolved; 409 when closed."""
    with transaction.atomic():
        locked = ticket_lock(ticket_pk=ticket.pk)
        if locked.status == TicketStatus.CLOSED:
            raise Conflict("TICKET_CLOSED", "This ticket is closed and takes no new messages; open a new ticket.")
        old_status = locked.status
        attachments = attachments_claim(session_id=locked.support_session_id, attachment_ids=attachment_ids,
                                        uploader=Uploader.CUSTOMER)
        message = thread_message_add(
            ticket=locked, author=Author.USER, text=text,
            new_status=status_after_customer_message(locked.status), awaiting_operator=True,
            attachments=attachments,
        )
        timeline_record(ticket=locked, kind=TimelineKind.STATUS, old=old_status, new=locked.status,
                        actor_kind=TimelineActor.CUSTOMER, now=message.created_at)
    return message


def ticket_close_by_customer(*, ticket: Ticket) -> Ticket:
    """The reporter closes its own ticket. Closing a closed ticket changes nothing."""
    with transaction.atomic():
        locked = ticket_lock(ticket_pk=ticket.pk)
        if locked.status != TicketStatus.CLOSED:
            check_transition(locked.status, TicketStatus.CLOSED, Actor.CUSTOMER)
            old_status = locked.status
            message = thread_message_add(
                ticket=locked, author=Author.SYSTEM, text="The customer closed this ticket.",
                new_status=TicketStatus.CLOSED, awaiting_operator=False,
            )
            timeline_record(ticket=locked, kind=TimelineKind.STATUS, old=old_status, new=locked.status,
                            actor_kind=TimelineActor.CUSTOMER, now=message.created_at)
    ticket.refresh_from_db()
    return ticket


def ticket_resolve_by_customer(*, ticket: Ticket) -> Ticket:
    """The customer says the answer solved it: open/pending → resolved, with a system message in the
    thread and the usual `support.ticket_updated` event. Resolving a resolved ticket changes nothing;
    a closed ticket is 409 INVALID_STATUS_TRANSITION."""
    with transaction.atomic():
        locked = ticket_lock(ticket_pk=ticket.pk)
        if locked.status != TicketStatus.RESOLVED:
            check_transition(locked.status, TicketStatus.RESOLVED, Actor.CUSTOMER_CONFIRMATION)
            thread_message_add(
                ticket=locked, author=Author.SYSTEM,
                text="The customer confirmed the answer solved it; the ticket is resolved.",
                new_status=TicketStatus.RESOLVED, awaiting_operator=False, metadata={"resolved_by": "customer"},
            )
    ticket.refresh_from_db()
    return ticket
