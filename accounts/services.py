"""Writes for agents and tokens. Plaintext tokens are returned once and never stored."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from support_project.domain import Conflict, InvalidInput

from . import tokens
from .models import Agent, ApiToken, Scope, TokenKind


def _issue(*, kind: str, agent: Agent | None = None, user: User | None = None,
           label: str = "", scopes: Iterable[str] = ()) -> tuple[ApiToken, str]:
    plaintext = tokens.generate(kind)
    row = ApiToken.objects.create(
        kind=kind, agent=agent, user=user, digest=tokens.digest(plaintext),
        prefix=tokens.display_prefix(plaintext), label=label, scopes=sorted(set(scopes)),
    )
    return row, plaintext


def agent_create(*, name: str, grant_micros: int | None = None) -> tuple[Agent, str]:
    """A new agent with its admin bearer and, when positive, a starting `grant` ledger entry."""
    from billing.models import LedgerKind
    from billing.services import ledger_credit

    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidInput(details={"name": ["Give a name of 1–120 characters."]})
    if grant_micros is None:
        grant_micros = settings.AGENT_STARTING_GRANT_MICROS
    if not isinstance(grant_micros, int) or grant_micros < 0:
        raise InvalidInput(details={"grant_usd": ["The grant must be a non-negative amount."]})
    with transaction.atomic():
        agent = Agent.objects.create(name=name)
        _, plaintext = _issue(kind=TokenKind.ADMIN, agent=agent, label="admin bearer")
        if grant_micros:
            ledger_credit(
                agent_id=agent.id, amount_micros=grant_micros, kind=LedgerKind.GRANT,
                reference=f"starting-grant:{agent.id}", memo="starting grant",
            )
            agent.refresh_from_db(fields=["balance_micros"])
    return agent, plaintext


def admin_token_rotate(*, agent: Agent, presented_token_id: str) -> str:
    """Revoke the presented admin bearer and issue a new one; the old one stops working at once.

    The revoke is conditional on the presented token still being live, so of several parallel
    rotations exactly one wins; the others wait on its row lock, find it revoked and get 409
    instead of a token that a concurrent rotation would revoke a moment later.
    """
    with transaction.atomic():
        won = ApiToken.objects.filter(
            id=presented_token_id, agent=agent, kind=TokenKind.ADMIN, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if not won:
            raise Conflict("TOKEN_ALREADY_ROTATED",
                           "This admin bearer was just rotated by another request; use the token it returned.")
        ApiToken.objects.filter(
            agent=agent, kind=TokenKind.ADMIN, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        _, plaintext = _issue(kind=TokenKind.ADMIN, agent=agent, label="admin bearer (rotated)")
    return plaintext


def usage_key_create(*, agent: Agent, label: str, scopes: list[str]) -> tuple[ApiToken, str]:
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise InvalidInput(details={"scopes": [f"Choose from {', '.join(Scope.values)}."]})
    with transaction.atomic():
        return _issue(kind=TokenKind.USAGE, agent=agent, label=label.strip(), scopes=scopes)


def token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        ApiToken.objects.filter(id=token.id, revoked_at__isnull=True).update(revoked_at=timezone.now())
        token.refresh_from_db(fields=["revoked_at"])


def staff_token_create(*, user: User, label: str = "") -> tuple[ApiToken, str]:
    if not (user.is_active and getattr(user, "is_staff", False)):
        raise ValueError(f"{user} is not an active staff user")
    with transaction.atomic():
        return _issue(kind=TokenKind.STAFF, user=user, label=label or f"staff token for {user}")
