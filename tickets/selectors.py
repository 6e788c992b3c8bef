"""Reads for tickets, with ownership applied: another agent's ticket is a 404, never a 403."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Agent
from billing.money import usd_str
from support_project.api.errors import NotFound
from support_project.api.serializers import rfc3339

from .models import BountyStatus, Category, Ticket
from .status import Actor, allowed_transitions


def ticket_list_for_agent(*, agent: Agent, status: str | None = None) -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(agent=agent)
    return qs.filter(status=status) if status else qs


def ticket_get_for_agent(*, agent: Agent, ticket_id: str) -> Ticket:
    ticket = Ticket.objects.filter(agent=agent, public_id=ticket_id).first()
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket


def bounty_json(ticket: Ticket) -> dict[str, Any] | None:
    from django.conf import settings

    if ticket.category != Category.BUG:
        return None
    return {"eligible": True, "status": ticket.bounty_status or BountyStatus.PENDING_REVIEW,
            "amount_usd": usd_str(settings.BUG_BOUNTY_MICROS)}


def rating_json(ticket: Ticket) -> dict[str, Any] | None:
    """The customer's rating, `{"score", "comment", "created_at"}`, or None when not rated."""
    if ticket.rating_score is None or ticket.rated_at is None:
        return None
    return {"score": ticket.rating_score, "comment": ticket.rating_comment, "created_at": rfc3339(ticket.rated_at)}


def ticket_public_json(ticket: Ticket, *, actor: Actor = Actor.CUSTOMER) -> dict[str, Any]:
    """The ticket as customers (and webhook payloads) see it. No internal notes, no staff names."""
    return {
        "ticket_id": ticket.public_id,
        "number": ticket.number,
        "support_session_id": ticket.support_session_id,
        "open_url": f"/demo?session={ticket.support_session_id}",
        "support_status": ticket.status,
        "category": ticket.category,
        "subject": ticket.subject,
        "body": ticket.body,
        "priority": ticket.priority,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "last_activity_at": ticket.last_activity_at,
        "charged_usd": usd_str(ticket.charged_micros),
        "payment_method": ticket.payment_method,
        "bounty": bounty_json(ticket),
        "allowed_transitions": allowed_transitions(ticket.status, actor),
        "source_session_id": ticket.source_session_id,
        "rating": rating_json(ticket),
    }


def ticket_event_json(ticket: Ticket) -> dict[str, Any]:
    """`data.ticket` of support.* events: the customer view, times as RFC 3339 strings."""
    body = ticket_public_json(ticket)
    for key in ("created_at", "updated_at", "last_activity_at"):
        body[key] = body[key].isoformat().replace("+00:00", "Z")
    return body
