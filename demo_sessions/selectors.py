"""Reads for demo sessions, always scoped to the calling agent (another agent's id is a 404)."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Agent
from support_project.domain import NotFound

from .models import DemoSession, Message


def session_list_for_agent(*, agent: Agent, kind: str | None = None) -> QuerySet[DemoSession]:
    qs = DemoSession.objects.filter(agent=agent).select_related("ticket")
    return qs.filter(session_kind=kind) if kind else qs


def session_get_for_agent(*, agent: Agent, session_id: str, kind: str | None = None) -> DemoSession:
    session = session_list_for_agent(agent=agent, kind=kind).filter(id=session_id).first()
    if session is None:
        raise NotFound("No such session.")
    return session


def session_kind_for_agent(agent_id: str, session_id: str) -> str | None:
    """The session's kind if it is this agent's session, else None (the live streams' access check)."""
    return DemoSession.objects.filter(agent_id=agent_id, id=session_id).values_list("session_kind", flat=True).first()


def public_messages(*, session: DemoSession) -> QuerySet[Message]:
    """What the customer sees: never operators' internal notes (with their files, one more query)."""
    return session.messages.filter(internal=False).order_by("created_at", "id").prefetch_related("attachments")
