"""Writes for demo sessions: starting enrich chats and posting customer messages (free)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import Agent

from .models import Author, DemoSession, Message, SessionKind, preview_of

DEFAULT_ENRICH_TITLE = "New chat"


def enrich_session_create(*, agent: Agent, title: str = "") -> DemoSession:
    now = timezone.now()
    return DemoSession.objects.create(
        agent=agent, session_kind=SessionKind.ENRICH, title=title.strip() or DEFAULT_ENRICH_TITLE,
        created_at=now, last_activity_at=now,
    )


def session_message_post(*, session: DemoSession, text: str) -> Message:
    """POST /demo/sessions/{id}/messages: a `user` message. Free — no ledger entry, ever.

    In a support thread it follows the ticket's status rules (SPEC §4.3); in an enrich chat it
    is stored without a model turn (the chat endpoint runs turns).
    """
    if session.session_kind == SessionKind.SUPPORT:
        from tickets.services import customer_message_post

        return customer_message_post(ticket=session.ticket, text=text)
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(session=session, author=Author.USER, text=text, created_at=now)
        DemoSession.objects.filter(id=session.id).update(last_activity_at=now, last_message_preview=preview_of(text))
    return message
