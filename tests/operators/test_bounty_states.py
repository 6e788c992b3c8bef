"""Bounty states (tickets/bounty.py) as a table: every (state, decision) → state, with what it did.

Awards run inline (the operators' conftest makes queued tasks eager, and the after-commit
callbacks are run here), so a confirmation that queues the award task ends `awarded`, with
exactly one $1.00 ledger entry.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from billing.models import LedgerEntry, LedgerKind
from support_project.domain import Conflict
from tests.factories import ticket_factory
from tickets import bounty
from tickets.models import BountyStatus, Ticket

pytestmark = pytest.mark.django_db

Commits = Any  # pytest-django's django_capture_on_commit_callbacks


def _decide(commits: Commits, ticket: Ticket, staff_user: Any, decision: str) -> bounty.BountyDecision:
    with commits(execute=True):
        result = bounty.bounty_decide(ticket=ticket, staff_user=staff_user, decision=decision)
    result.ticket.refresh_from_db()  # the award ran after the (captured) commit
    return result


def _ticket_in(state: str, agent: Any, staff_user: Any, commits: Commits) -> Ticket:
    ticket = ticket_factory(agent=agent)  # pending_review
    if state == BountyStatus.REJECTED:
        _decide(commits, ticket, staff_user, "reject")
    elif state == BountyStatus.AWARDED:
        _decide(commits, ticket, staff_user, "confirm")
    elif state == BountyStatus.CONFIRMED:
        # Confirmed-but-not-awarded lasts only until the award task runs; a lost broker message
        # leaves a ticket here, which is what this row recreates.
        Ticket.objects.filter(pk=ticket.pk).update(bounty_status=BountyStatus.CONFIRMED, bounty_decided_by=staff_user)
    ticket.refresh_from_db()
    assert ticket.bounty_status == state
    return ticket


# (state, decision) → (state after, changed, queued, bounty entries booked by the end)
TABLE = [
    (BountyStatus.PENDING_REVIEW, "confirm", BountyStatus.AWARDED, True, True, 1),
    (BountyStatus.PENDING_REVIEW, "reject", BountyStatus.REJECTED, True, False, 0),
    (BountyStatus.REJECTED, "confirm", BountyStatus.AWARDED, True, True, 1),
    (BountyStatus.REJECTED, "reject", BountyStatus.REJECTED, False, False, 0),
    (BountyStatus.CONFIRMED, "confirm", BountyStatus.AWARDED, False, True, 1),  # re-queue heals a lost message
    (BountyStatus.CONFIRMED, "reject", BountyStatus.REJECTED, True, False, 0),
    (BountyStatus.AWARDED, "confirm", BountyStatus.AWARDED, False, False, 1),
]


@pytest.mark.parametrize(("state", "decision", "after", "changed", "queued", "entries"), TABLE)
def test_a_decision_moves_the_bounty_by_the_table(
    agent_a: Any, staff: Any, django_capture_on_commit_callbacks: Commits,
    state: str, decision: str, after: str, changed: bool, queued: bool, entries: int,
) -> None:
    ticket = _ticket_in(state, agent_a, staff.user, django_capture_on_commit_callbacks)
    result = _decide(django_capture_on_commit_callbacks, ticket, staff.user, decision)
    assert (result.ticket.bounty_status, result.changed, result.queued) == (after, changed, queued)
    assert LedgerEntry.objects.filter(kind=LedgerKind.BUG_BOUNTY, reference=ticket.public_id).count() == entries
    call_command("ledger_audit")


def test_rejecting_an_awarded_bounty_is_a_conflict_and_changes_nothing(
    agent_a: Any, staff: Any, django_capture_on_commit_callbacks: Commits
) -> None:
    ticket = _ticket_in(BountyStatus.AWARDED, agent_a, staff.user, django_capture_on_commit_callbacks)
    with pytest.raises(Conflict) as raised:
        bounty.bounty_decide(ticket=ticket, staff_user=staff.user, decision="reject")
    assert raised.value.code == "BOUNTY_ALREADY_AWARDED"
    ticket.refresh_from_db()
    assert ticket.bounty_status == BountyStatus.AWARDED
    assert LedgerEntry.objects.filter(kind=LedgerKind.BUG_BOUNTY).count() == 1


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        (BountyStatus.PENDING_REVIEW, "not_confirmed"),
        (BountyStatus.REJECTED, "not_confirmed"),
        (BountyStatus.CONFIRMED, "awarded"),
        (BountyStatus.AWARDED, "already_awarded"),
    ],
)
def test_the_award_task_acts_only_on_a_confirmed_bounty(
    agent_a: Any, staff: Any, django_capture_on_commit_callbacks: Commits, state: str, outcome: str
) -> None:
    ticket = _ticket_in(state, agent_a, staff.user, django_capture_on_commit_callbacks)
    before = LedgerEntry.objects.filter(kind=LedgerKind.BUG_BOUNTY).count()
    assert bounty.bounty_award(ticket_pk=ticket.pk) == outcome
    booked = LedgerEntry.objects.filter(kind=LedgerKind.BUG_BOUNTY).count() - before
    assert booked == (1 if outcome == "awarded" else 0)
    assert bounty.bounty_award(ticket_pk=ticket.pk) in ("already_awarded", "not_confirmed")  # twice is safe
    call_command("ledger_audit")


def test_the_award_task_on_a_missing_ticket_does_nothing(db: Any) -> None:
    assert bounty.bounty_award(ticket_pk=987_654) == "missing"
    assert not LedgerEntry.objects.filter(kind=LedgerKind.BUG_BOUNTY).exists()
