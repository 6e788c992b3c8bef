"""Who is calling: the authenticated token, its agent or staff user, and its scopes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import Agent, Scope, TokenKind

ALL_SCOPES = frozenset(Scope.values)


@dataclass(frozen=True)
class Principal:
    token_id: str
    kind: str
    agent: Agent | None = None
    staff_user: Any = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    prefix: str = ""

    # DRF / Django treat request.user as a user object; a principal is always authenticated.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_admin_bearer(self) -> bool:
        return self.kind == TokenKind.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.kind == TokenKind.STAFF

    @property
    def effective_scopes(self) -> frozenset[str]:
        """Admin bearers hold every scope; usage keys hold what they were given."""
        if self.kind == TokenKind.ADMIN:
            return ALL_SCOPES
        if self.kind == TokenKind.USAGE:
            return self.scopes
        return frozenset()

    def has_any_scope(self, *scopes: str) -> bool:
        return bool(self.effective_scopes & set(scopes))
