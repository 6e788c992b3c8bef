"""Reads for tickets, with ownership applied: another agent's ticket is a 404, never a 403."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Agent
from support_project.domain import NotFound

from .models import Ticket


def ticket_list_for_agent(*, agent: Agent, status: str | None = None) -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(agent=agent)
    return qs.filter(status=status) if status else qs


def ticket_get_for_agent(*, agent: Agent, ticket_id: str) -> Ticket:
    ticket = Ticket.objects.filter(agent=agent, public_id=ticket_id).first()
    if ticket is None:
        raise NotFound("No such ticket.")
    return ticket
