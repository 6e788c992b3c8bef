"""The one status machine of SPEC §4.3, for customers and operators alike.

open → pending (operator replied, waiting on the user) → resolved → closed. A customer message on
pending/resolved reopens to open; closed takes no customer messages; staff may reopen any ticket.

One more customer move, `CUSTOMER_CONFIRMATION`: when the customer answers "yes" to the Enrich
Agent's "Does this answer your question?", an open or pending ticket becomes resolved (resolved by
the customer). It is a separate actor, not part of `CUSTOMER`, because no REST route offers it:
`allowed_transitions` in ticket responses stays what the customer API can do (close).
"""

from __future__ import annotations

from enum import StrEnum

from support_project.domain import Conflict

from .models import TicketStatus as S


class Actor(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    CUSTOMER_CONFIRMATION = "customer confirming the answer"


_TRANSITIONS: dict[Actor, dict[str, frozenset[str]]] = {
    Actor.CUSTOMER: {
        # Customers close explicitly; they reopen pending/resolved by writing a message.
        S.OPEN: frozenset({S.CLOSED}),
        S.PENDING: frozenset({S.OPEN, S.CLOSED}),
        S.RESOLVED: frozenset({S.OPEN, S.CLOSED}),
        S.CLOSED: frozenset(),
    },
    Actor.CUSTOMER_CONFIRMATION: {
        S.OPEN: frozenset({S.RESOLVED}),
        S.PENDING: frozenset({S.RESOLVED}),
        S.RESOLVED: frozenset(),
        S.CLOSED: frozenset(),
    },
    Actor.STAFF: {
        S.OPEN: frozenset({S.PENDING, S.RESOLVED, S.CLOSED}),
        S.PENDING: frozenset({S.OPEN, S.RESOLVED, S.CLOSED}),
        S.RESOLVED: frozenset({S.OPEN, S.PENDING, S.CLOSED}),
        S.CLOSED: frozenset({S.OPEN}),
    },
}

_ORDER = [S.OPEN, S.PENDING, S.RESOLVED, S.CLOSED]


def allowed_transitions(status: str, actor: Actor) -> list[str]:
    allowed = _TRANSITIONS[actor][status]
    return [s.value for s in _ORDER if s in allowed]


def check_transition(current: str, target: str, actor: Actor) -> None:
    """Raise 409 INVALID_STATUS_TRANSITION unless `actor` may move `current` → `target`."""
    if target == current:
        return
    if target not in _TRANSITIONS[actor][current]:
        raise Conflict(
            "INVALID_STATUS_TRANSITION",
            f"A {actor.value} can't move a ticket from {current} to {target}.",
            details={"support_status": [f"Allowed from {current}: {', '.join(allowed_transitions(current, actor)) or 'none'}."]},
        )


def status_after_customer_message(current: str) -> str:
    """A customer message reopens pending/resolved; closed is refused by the caller (TICKET_CLOSED)."""
    return S.OPEN if current in (S.PENDING, S.RESOLVED) else current


def status_after_operator_reply(current: str) -> str:
    """A public operator reply waits on the customer, unless the ticket is already resolved/closed."""
    return S.PENDING if current == S.OPEN else current
