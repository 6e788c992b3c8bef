"""Customers rate the help they received (SPEC §10): once, on a resolved or closed ticket.

    stored = ticket_rate(ticket=t, score=5, comment="Fast and clear.", idempotency_key=k, fingerprint=fp)

The rating lives on the ticket row (three columns), so the inbox list and the customer's ticket
JSON show it without another query. One durable transaction claims the `Idempotency-Key`, locks
the ticket, sets the rating only if none exists, and records `support.ticket_rated` in the outbox.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing import idempotency
from billing.idempotency import StoredResponse
from support_project.domain import Conflict

from .models import Ticket, TicketStatus
from .serializers import RatingOut, TicketRatedOut
from .services import _emit, ticket_lock, ticket_shape

MIN_SCORE, MAX_SCORE = 1, 5
MAX_COMMENT_CHARS = 2_000
RATABLE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


def ticket_rate(
    *,
    ticket: Ticket,
    score: int,
    comment: str = "",
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> StoredResponse:
    """Rate `ticket` (already owned by the caller; input already valid). 201 once, then 409."""
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise ValueError("a score is 1–5")
    with transaction.atomic(durable=True):
        if idempotency_key:
            replay = idempotency.claim_in_transaction(agent_id=ticket.agent_id, key=idempotency_key, fp=fingerprint)
            if replay is not None:
                return replay
        locked = ticket_lock(ticket_pk=ticket.pk)
        if locked.rating_score is not None:
            raise Conflict("TICKET_ALREADY_RATED", "This ticket is already rated; a rating can be given once.",
                           details={"rating": dict(RatingOut(locked).data)})
        if locked.status not in RATABLE:
            raise Conflict(
                "TICKET_NOT_RESOLVED",
                f"Only a resolved or closed ticket can be rated; this one is {locked.status}. "
                "Close it first (POST …/close) or wait for an operator to resolve it.",
                details={"support_status": [locked.status]},
            )
        now = timezone.now()
        Ticket.objects.filter(pk=locked.pk).update(
            rating_score=score, rating_comment=comment, rated_at=now, updated_at=now
        )
        locked.rating_score, locked.rating_comment, locked.rated_at, locked.updated_at = score, comment, now, now
        _emit(locked.agent_id, "support.ticket_rated",
              {"ticket": ticket_shape(locked), "rating": dict(RatingOut(locked).data)})
        response = StoredResponse(201, dict(TicketRatedOut(locked).data),
                                  {"Location": f"/api/v1/support/tickets/{locked.public_id}"})
        if idempotency_key:
            idempotency.store(agent_id=ticket.agent_id, key=idempotency_key, response=response)
    ticket.refresh_from_db()
    return response
