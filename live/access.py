"""Who may open which stream (sync; run on the hub's database thread, then the stream holds nothing).

Customer stream `GET /api/v1/demo/sessions/{id}/events`: the session's owner with the scope the
session's kind needs (support threads `support`, enrich chats `chat`; admin bearers hold both);
another agent's session is a 404. The stream carries the agent's customer-visible rows in the
topics its token may read (so `/demo` can mark other threads unread and follow the balance).

Staff stream `GET /api/admin/support/events[?ticket=N]`: a staff token, or the inbox's signed-in
staff session (EventSource sends cookies, not headers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from accounts.models import Scope
from accounts.selectors import principal_for_token

from .models import Topic
from .registry import registry

SESSION_ID = re.compile(r"^[0-9a-f]{32}$")


class StreamRefused(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or {}


@dataclass(frozen=True)
class CustomerAccess:
    agent_id: str
    session_id: str
    topics: frozenset[str]


@dataclass(frozen=True)
class StaffAccess:
    username: str
    ticket: tuple[int, str, str] | None  # (number, agent id, support thread id) when narrowed to one ticket


def _bearer(authorization: str) -> str | None:
    parts = authorization.split()
    if not parts or parts[0].lower() != "bearer":
        return None
    if len(parts) != 2:
        raise StreamRefused(401, "INVALID_TOKEN", "Malformed Authorization header: use 'Bearer <token>'.")
    return parts[1]


def customer_access(*, authorization: str, session_id: str) -> CustomerAccess:
    token = _bearer(authorization)
    if token is None:
        raise StreamRefused(401, "AUTHENTICATION_REQUIRED", "This endpoint needs an agent token (Authorization: Bearer …).")
    principal = principal_for_token(raw_token=token)
    if principal is None:
        raise StreamRefused(401, "INVALID_TOKEN", "The bearer token is unknown, revoked or malformed.")
    if principal.agent is None:
        raise StreamRefused(403, "INSUFFICIENT_SCOPE", "Staff tokens act on /api/admin/; use an agent token here.")
    kind = None
    if SESSION_ID.match(session_id) and registry.session_kind is not None:
        kind = registry.session_kind(principal.agent.id, session_id)
    if kind is None:
        raise StreamRefused(404, "NOT_FOUND", "No such session.")
    needed = Scope.SUPPORT if kind == Topic.SUPPORT else Scope.CHAT
    if not principal.has_any_scope(needed):
        raise StreamRefused(403, "INSUFFICIENT_SCOPE",
                            f"This usage key lacks the scope this operation needs: {needed}.",
                            {"required_scopes": [needed]})
    topics = {Topic.ACCOUNT.value}
    if principal.has_any_scope(Scope.SUPPORT):
        topics.add(Topic.SUPPORT.value)
    if principal.has_any_scope(Scope.CHAT):
        topics.add(Topic.CHAT.value)
    return CustomerAccess(agent_id=principal.agent.id, session_id=session_id, topics=frozenset(topics))


def staff_access(*, authorization: str, session_key: str, ticket: str) -> StaffAccess:
    username = _staff_username(authorization=authorization, session_key=session_key)
    narrowed = None
    if ticket:
        found = None
        if ticket.isdigit() and len(ticket) < 19 and registry.ticket is not None:
            found = registry.ticket(ticket)
        if found is None:
            raise StreamRefused(404, "NOT_FOUND", "No such ticket.")
        narrowed = found
    return StaffAccess(username=username, ticket=narrowed)


def _staff_username(*, authorization: str, session_key: str) -> str:
    token = _bearer(authorization) if authorization else None
    if token is not None:
        principal = principal_for_token(raw_token=token)
        if principal is None:
            raise StreamRefused(401, "INVALID_TOKEN", "The bearer token is unknown, revoked or malformed.")
        if not principal.is_staff:
            raise StreamRefused(403, "STAFF_ONLY", "Only staff may open this stream.")
        return str(principal.staff_user.get_username())
    user = _session_user(session_key) if session_key else None
    if user is None:
        raise StreamRefused(401, "AUTHENTICATION_REQUIRED", "Sign in to the Support Inbox or send a staff token.")
    if not (user.is_active and user.is_staff):
        raise StreamRefused(403, "STAFF_ONLY", "Only staff may open this stream.")
    return str(user.get_username())


def _session_user(session_key: str) -> Any:
    """The signed-in user of a Django session cookie, checked as Django's own `get_user` does."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user
    from django.http import HttpRequest

    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(request)  # verifies the session's auth hash (a changed password signs out)
    return user if user.is_authenticated else None
