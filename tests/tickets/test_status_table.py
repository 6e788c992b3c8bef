"""The status machine (tickets/status.py) as a table: every (actor, from, to) pair, allowed or refused.

The table below is the contract of SPEC §4.3 written out whole; a change to the machine must
change this table, visibly, in the same commit.
"""

from __future__ import annotations

import pytest

from support_project.domain import Conflict
from tickets.status import (
    Actor,
    allowed_transitions,
    check_transition,
    status_after_customer_message,
    status_after_operator_reply,
)

STATUSES = ("open", "pending", "resolved", "closed")
C, S = Actor.CUSTOMER, Actor.STAFF

# (actor, from) → the statuses it may move to (besides staying put), in display order.
ALLOWED: dict[tuple[Actor, str], list[str]] = {
    (C, "open"): ["closed"],
    (C, "pending"): ["open", "closed"],
    (C, "resolved"): ["open", "closed"],
    (C, "closed"): [],
    (S, "open"): ["pending", "resolved", "closed"],
    (S, "pending"): ["open", "resolved", "closed"],
    (S, "resolved"): ["open", "pending", "closed"],
    (S, "closed"): ["open"],
}


@pytest.mark.parametrize(("actor", "current"), list(ALLOWED))
def test_allowed_transitions_lists_the_table_row(actor: Actor, current: str) -> None:
    assert allowed_transitions(current, actor) == ALLOWED[(actor, current)]


@pytest.mark.parametrize(
    ("actor", "current", "target"),
    [(a, f, t) for (a, f) in ALLOWED for t in STATUSES],
)
def test_check_transition_allows_exactly_the_table(actor: Actor, current: str, target: str) -> None:
    if target == current or target in ALLOWED[(actor, current)]:
        check_transition(current, target, actor)  # no error
        return
    with pytest.raises(Conflict) as raised:
        check_transition(current, target, actor)
    assert raised.value.code == "INVALID_STATUS_TRANSITION"
    allowed = ", ".join(ALLOWED[(actor, current)]) or "none"
    assert raised.value.details == {"support_status": [f"Allowed from {current}: {allowed}."]}


@pytest.mark.parametrize(
    ("current", "after_customer", "after_operator"),
    [
        ("open", "open", "pending"),  # an operator's public reply waits on the customer
        ("pending", "open", "pending"),  # the customer answered: back to the operators
        ("resolved", "open", "resolved"),
        ("closed", "closed", "closed"),  # refused by the caller (TICKET_CLOSED), never reopened here
    ],
)
def test_messages_move_the_status(current: str, after_customer: str, after_operator: str) -> None:
    assert status_after_customer_message(current) == after_customer
    assert status_after_operator_reply(current) == after_operator
