"""The precompiled token lookup builds what the ORM's own query builds."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from accounts import tokens
from accounts.models import ApiToken
from accounts.selectors import _token_by_digest, principal_for_token

pytestmark = pytest.mark.django_db


def _orm(digest: str) -> ApiToken | None:
    return ApiToken.objects.select_related("agent", "user").filter(digest=digest, revoked_at__isnull=True).first()


def _same(a: ApiToken, b: ApiToken) -> None:
    assert {f.attname: getattr(a, f.attname) for f in ApiToken._meta.concrete_fields} == {
        f.attname: getattr(b, f.attname) for f in ApiToken._meta.concrete_fields}
    for relation in ("agent", "user"):
        left, right = getattr(a, relation), getattr(b, relation)
        assert (left is None) == (right is None)
        if left is not None:
            assert {f.attname: getattr(left, f.attname) for f in type(left)._meta.concrete_fields} == {
                f.attname: getattr(right, f.attname) for f in type(right)._meta.concrete_fields}


def test_an_agent_token_row_equals_the_orms(agent_a, django_assert_num_queries):
    digest = tokens.digest(agent_a.token)
    with django_assert_num_queries(1):
        row = _token_by_digest.first(digest)
        assert row is not None and row.agent.name == agent_a.agent.name  # select_related: no second query
    _same(row, _orm(digest))


def test_a_staff_token_row_carries_its_user(staff):
    digest = tokens.digest(staff.token)
    row = _token_by_digest.first(digest)
    assert row is not None and isinstance(row.user, User) and row.user.is_staff
    _same(row, _orm(digest))


def test_unknown_and_revoked_tokens_find_nothing(agent_a):
    from django.utils import timezone

    assert _token_by_digest.first(tokens.digest("411_" + "x" * 40)) is None
    ApiToken.objects.filter(digest=tokens.digest(agent_a.token)).update(revoked_at=timezone.now())
    assert _token_by_digest.first(tokens.digest(agent_a.token)) is None
    assert principal_for_token(raw_token=agent_a.token) is None


def test_the_sql_is_compiled_once(agent_a, monkeypatch):
    _token_by_digest.first(tokens.digest(agent_a.token))
    monkeypatch.setattr(_token_by_digest, "_compile", lambda alias: pytest.fail("compiled again"))
    assert _token_by_digest.first(tokens.digest(agent_a.token)) is not None
