"""Bug bounties (SPEC §6): an operator's decision, then a Celery task that credits $1.00 exactly once.

    pending_review ──confirm──▶ confirmed ──task──▶ awarded
          │  ▲                     │
        reject └──confirm── rejected ◀──reject──┘   (awarded is final: rejecting it is a 409)

Exactly once, however many clicks, operators, redeliveries or retries:
* the decision and the award both run under the ticket's row lock, so they serialise;
* the award only acts on a `confirmed` ticket and leaves it `awarded` in the same transaction as
  the ledger entry, the system message and the `support.bounty_awarded` outbox event;
* the ledger's unique (kind, reference = ticket public id) is the last backstop (`ledger_credit_once`).

The task is queued after commit, by primary key only. If the broker is down at that moment the
ticket simply stays `confirmed`: `bounty_requeue_stale` (a periodic task) or another click re-queues it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from billing.models import LedgerKind
from billing.money import usd_str
from billing.services import ledger_credit_once
from demo_sessions.models import Author
from support_project.domain import Conflict, InvalidInput
from support_project.taskqueue import enqueue_after_commit, enqueue_now

from .models import BountyStatus, Category, Ticket
from .services import _emit, thread_message_add, ticket_lock, ticket_shape

logger = logging.getLogger(__name__)

CONFIRM, REJECT = "confirm", "reject"
DECISIONS = (CONFIRM, REJECT)
MAX_NOTE_CHARS = 2_000


@dataclass(frozen=True)
class BountyDecision:
    ticket: Ticket
    changed: bool  # the decision moved the bounty state
    queued: bool  # an award task was queued (after commit)


def bounty_decide(*, ticket: Ticket, staff_user: Any, decision: str, note: str = "") -> BountyDecision:
    """Record an operator's confirm/reject. Confirming queues the award task after commit.

    409 BOUNTY_NOT_ELIGIBLE for non-bug tickets; 409 BOUNTY_ALREADY_AWARDED when rejecting a paid
    bounty. Confirming a confirmed ticket re-queues the (idempotent) task, which heals a lost
    broker message; confirming an awarded one, or rejecting a rejected one, changes nothing.
    """
    if decision not in DECISIONS:
        raise InvalidInput(details={"decision": ['Must be "confirm" or "reject".']})
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(details={"note": [f"Ensure this field has no more than {MAX_NOTE_CHARS} characters."]})
    if ticket.category != Category.BUG:
        raise Conflict("BOUNTY_NOT_ELIGIBLE", "Only bug tickets are eligible for a bug bounty.")

    queued = changed = False
    with transaction.atomic(durable=True):
        locked = ticket_lock(ticket_pk=ticket.pk)
        current = locked.bounty_status or BountyStatus.PENDING_REVIEW
        if decision == CONFIRM:
            if current in (BountyStatus.PENDING_REVIEW, BountyStatus.REJECTED):
                _record(locked, BountyStatus.CONFIRMED, staff_user, note)
                changed = True
            if locked.bounty_status == BountyStatus.CONFIRMED:
                enqueue_after_commit(AWARD_TASK, locked.pk)
                queued = True
        else:
            if current == BountyStatus.AWARDED:
                raise Conflict("BOUNTY_ALREADY_AWARDED", "This bounty has already been credited; it can't be rejected.")
            if current != BountyStatus.REJECTED:
                _record(locked, BountyStatus.REJECTED, staff_user, note)
                changed = True
                _emit(locked.agent_id, "support.ticket_updated", {
                    "ticket": ticket_shape(locked), "changes": {"bounty_status": [current, BountyStatus.REJECTED]},
                })
    ticket.refresh_from_db()
    return BountyDecision(ticket=ticket, changed=changed, queued=queued)


def _record(ticket: Ticket, status: str, staff_user: Any, note: str) -> None:
    now = timezone.now()
    fields = {"bounty_status": status, "bounty_decided_by_id": staff_user.pk, "bounty_decided_at": now,
              "bounty_note": note, "updated_at": now}
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    for field, value in fields.items():
        setattr(ticket, field, value)


AWARD_TASK = "tickets.bounty_award"


def bounty_award_enqueue(*, ticket_pk: int) -> None:
    """Queue the award task now. Never raises: a ticket left `confirmed` is re-queued later."""
    enqueue_now(AWARD_TASK, ticket_pk)


def bounty_award(*, ticket_pk: int) -> str:
    """Credit a confirmed bounty exactly once. Safe to run any number of times, concurrently too.

    Returns what happened: "awarded", "already_awarded", "not_confirmed" or "missing".
    """
    with transaction.atomic(durable=True):
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_pk).first()
        if ticket is None:
            return "missing"
        if ticket.bounty_status == BountyStatus.AWARDED:
            return "already_awarded"
        if ticket.bounty_status != BountyStatus.CONFIRMED:
            return "not_confirmed"  # rejected (or never confirmed) since it was queued
        amount = settings.BUG_BOUNTY_MICROS
        entry, _created = ledger_credit_once(
            agent_id=ticket.agent_id, amount_micros=amount, kind=LedgerKind.BUG_BOUNTY, reference=ticket.public_id,
            memo=f"Bug bounty for ticket #{ticket.number}", created_by=_decided_by(ticket),
        )
        text = (f"Bug bounty of ${usd_str(amount)} credited to your virtual balance for this report "
                f"(ledger entry {entry.id}). Thank you!")
        thread_message_add(ticket=ticket, author=Author.SYSTEM, text=text,
                           metadata={"ledger_entry_id": entry.id, "amount_usd": usd_str(amount)})
        Ticket.objects.filter(pk=ticket.pk).update(bounty_status=BountyStatus.AWARDED)
        ticket.bounty_status = BountyStatus.AWARDED
        shape = ticket_shape(ticket)
        _emit(ticket.agent_id, "support.bounty_awarded", {
            "ticket": shape, "bounty": {**shape["bounty"], "ledger_entry_id": entry.id},
        })
    return "awarded"


def _decided_by(ticket: Ticket) -> str:
    """The deciding operator's username, for the ledger entry's audit trail."""
    if ticket.bounty_decided_by_id is None:
        return ""
    return get_user_model().objects.filter(pk=ticket.bounty_decided_by_id).values_list("username", flat=True).first() or ""


def bounty_requeue_stale(*, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Re-queue awards still `confirmed` a while after the decision (a lost broker message). Ids only."""
    cutoff = timezone.now() - older_than
    pks = list(Ticket.objects.filter(bounty_status=BountyStatus.CONFIRMED, bounty_decided_at__lt=cutoff)
               .values_list("pk", flat=True)[:500])
    for pk in pks:
        bounty_award_enqueue(ticket_pk=pk)
    return len(pks)
