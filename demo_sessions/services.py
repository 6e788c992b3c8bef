"""Writes for the conversation store: sessions (enrich chats, support threads) and their messages.

`message_append` is the one way a message is added anywhere — the customer API, the Enrich Agent,
ticket threads, operators, bounties, triage — so the session's sidebar preview and activity time
always follow its last public message. Posting in a support thread follows its ticket's rules
(SPEC §4.3), which live in `tickets`, above this app: `tickets` registers them at start-up
(`support_thread_poster_register`), so this app never imports `tickets`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Agent
from live import notify as live
from support_project import sqlbatch
from support_project.domain import InvalidInput
from support_project.ids import new_session_id

from .models import Author, DemoSession, Message, SessionKind, preview_of
from .serializers import MessageOut

DEFAULT_ENRICH_TITLE = "New chat"

# (support session, text, attachment ids) → the stored customer message, following the ticket's
# status rules and claiming those uploads.
SupportThreadPoster = Callable[[DemoSession, str, Sequence[str]], Message]
_support_thread_poster: SupportThreadPoster | None = None


def support_thread_poster_register(poster: SupportThreadPoster) -> None:
    global _support_thread_poster
    _support_thread_poster = poster


def message_append(
    *,
    session_id: str,
    author: str,
    text: str,
    internal: bool = False,
    author_name: str = "",
    metadata: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Message:
    """Add one message to a session and move the session's preview and activity time with it.

    Two writes: call inside a transaction. Internal notes leave the preview and activity alone
    (customers never see them, not even as a sidebar snippet).
    """
    now = now or timezone.now()
    message = Message.objects.create(
        session_id=session_id, author=author, text=text, internal=internal, author_name=author_name,
        metadata=metadata or {}, created_at=now,
    )
    if not internal:
        DemoSession.objects.filter(id=session_id).update(last_activity_at=now, last_message_preview=preview_of(text))
    # The live streams: one statement (INSERT … SELECT from the session + NOTIFY), in this transaction.
    live.message_appended(session_table=DemoSession._meta.db_table, session_id=session_id, internal=internal,
                          message=dict(MessageOut(message).data))
    return message


def enrich_session_create(*, agent: Agent, title: str = "") -> DemoSession:
    now = timezone.now()
    return DemoSession.objects.create(
        agent=agent, session_kind=SessionKind.ENRICH, title=title.strip() or DEFAULT_ENRICH_TITLE,
        created_at=now, last_activity_at=now,
    )


def support_session_open(*, agent: Agent, title: str, first_text: str, now: datetime) -> DemoSession:
    """A support thread with the customer's first message: two INSERTs in the caller's transaction,
    held by `sqlbatch.held()` to ride with the caller's next statement (the ticket's INSERT)."""
    session = DemoSession(
        id=new_session_id(), agent=agent, session_kind=SessionKind.SUPPORT, title=title,
        created_at=now, last_activity_at=now, last_message_preview=preview_of(first_text),
    )
    sqlbatch.insert(session)
    sqlbatch.insert(Message(session=session, author=Author.USER, text=first_text, created_at=now))
    return session


def session_message_post(*, session: DemoSession, text: str, attachment_ids: Sequence[str] = ()) -> Message:
    """POST /demo/sessions/{id}/messages: a `user` message. Free — no ledger entry, ever.

    In a support thread it follows the ticket's status rules (SPEC §4.3); in an enrich chat it
    is stored without a model turn (the chat endpoint runs turns).
    """
    if session.session_kind == SessionKind.SUPPORT:
        if _support_thread_poster is None:
            raise RuntimeError("no support thread poster registered (is the tickets app installed?)")
        return _support_thread_poster(session, text, attachment_ids)
    if attachment_ids:
        raise InvalidInput("Attachments go on support threads only.",
                           details={"attachments": ["Attachments go on support threads only."]})
    with transaction.atomic():
        return message_append(session_id=session.id, author=Author.USER, text=text)
