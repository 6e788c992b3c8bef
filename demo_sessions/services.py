"""Writes for demo sessions: starting enrich chats and posting customer messages (free)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from accounts.models import Agent
from support_project.api.errors import ValidationFailed

from .models import Author, DemoSession, Message, SessionKind, preview_of

DEFAULT_ENRICH_TITLE = "New chat"


def enrich_session_create(*, agent: Agent, title: str = "") -> DemoSession:
    now = timezone.now()
    return DemoSession.objects.create(
        agent=agent, session_kind=SessionKind.ENRICH, title=title.strip() or DEFAULT_ENRICH_TITLE,
        created_at=now, last_activity_at=now,
    )


def session_message_post(*, session: DemoSession, text: str, attachment_ids: Sequence[str] = ()) -> Message:
    """POST /demo/sessions/{id}/messages: a `user` message. Free — no ledger entry, ever.

    In a support thread it follows the ticket's status rules (SPEC §4.3); in an enrich chat it
    is stored without a model turn (the chat endpoint runs turns).
    """
    if session.session_kind == SessionKind.SUPPORT:
        from tickets.services import customer_message_post

        return customer_message_post(ticket=session.ticket, text=text, attachment_ids=attachment_ids)
    if attachment_ids:
        raise ValidationFailed("Attachments go on support threads only.",
                               details={"attachments": ["Attachments go on support threads only."]})
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(session=session, author=Author.USER, text=text, created_at=now)
        DemoSession.objects.filter(id=session.id).update(last_activity_at=now, last_message_preview=preview_of(text))
    return message
