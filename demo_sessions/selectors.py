"""Reads for demo sessions, always scoped to the calling agent (another agent's id is a 404)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.models import Agent
from support_project.api.errors import NotFound

from .attachments.selectors import message_attachments_json
from .models import DemoSession, Message, SessionKind


def session_list_for_agent(*, agent: Agent, kind: str | None = None) -> QuerySet[DemoSession]:
    qs = DemoSession.objects.filter(agent=agent).select_related("ticket")
    return qs.filter(session_kind=kind) if kind else qs


def session_get_for_agent(*, agent: Agent, session_id: str, kind: str | None = None) -> DemoSession:
    session = session_list_for_agent(agent=agent, kind=kind).filter(id=session_id).first()
    if session is None:
        raise NotFound("No such session.")
    return session


def public_messages(*, session: DemoSession) -> QuerySet[Message]:
    """What the customer sees: never operators' internal notes."""
    return session.messages.filter(internal=False).order_by("created_at", "id")


def session_json(session: DemoSession) -> dict[str, Any]:
    support = None
    if session.session_kind == SessionKind.SUPPORT:
        ticket = getattr(session, "ticket", None)
        if ticket is not None:
            support = {"ticket_id": ticket.public_id, "number": ticket.number, "support_status": ticket.status}
    return {
        "id": session.id,
        "session_kind": session.session_kind,
        "title": session.title,
        "created_at": session.created_at,
        "last_activity_at": session.last_activity_at,
        "last_message_preview": session.last_message_preview,
        "support": support,
    }


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "author": message.author,
        "author_name": message.author_name,
        "text": message.text,
        "created_at": message.created_at,
        "metadata": message.metadata,
        "attachments": message_attachments_json(message),
    }
