from __future__ import annotations

from django.db.models import QuerySet

from support_project.domain import NotFound
from support_project.precompiled import FirstByValue

from . import tokens
from .models import Agent, ApiToken, TokenKind
from .principal import Principal

# Every authenticated request runs this lookup: compiled once per process (support_project/precompiled.py).
_token_by_digest: FirstByValue[ApiToken] = FirstByValue(
    lambda digest: ApiToken.objects.select_related("agent", "user").filter(digest=digest, revoked_at__isnull=True)
)


def principal_for_token(*, raw_token: str) -> Principal | None:
    """The principal for a presented token, or None if unknown, revoked or malformed. One query."""
    kind = tokens.kind_of(raw_token)
    if kind is None:
        return None
    presented = tokens.digest(raw_token)
    row = _token_by_digest.first(presented)
    if row is None or row.kind != kind or not tokens.digests_match(row.digest, presented):
        return None
    if row.kind == TokenKind.STAFF and not (row.user is not None and row.user.is_active and row.user.is_staff):
        return None
    return Principal(
        token_id=row.id,
        kind=row.kind,
        agent=row.agent,
        staff_user=row.user,
        scopes=frozenset(row.scopes or ()),
        prefix=row.prefix,
    )


def usage_key_list(*, agent: Agent) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(agent=agent, kind=TokenKind.USAGE, revoked_at__isnull=True)


def usage_key_get(*, agent: Agent, key_id: str) -> ApiToken:
    key = usage_key_list(agent=agent).filter(id=key_id).first()
    if key is None:
        raise NotFound("No such usage key.")
    return key
