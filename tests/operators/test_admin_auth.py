"""Every /api/admin/support route: staff tokens only (SPEC §2, §6)."""

from __future__ import annotations

import pytest

from demo_sessions.models import Message
from tickets.models import Ticket

from .conftest import ADMIN

pytestmark = pytest.mark.django_db


def _routes(ticket_id: str) -> list[tuple[str, str, dict]]:
    return [
        ("get", ADMIN, {}),
        ("get", f"{ADMIN}/{ticket_id}", {}),
        ("patch", f"{ADMIN}/{ticket_id}", {"support_status": "resolved"}),
        ("post", f"{ADMIN}/{ticket_id}/reply", {"text": "hello"}),
        ("post", f"{ADMIN}/{ticket_id}/bounty", {"decision": "confirm"}),
    ]


def _unchanged(ticket: Ticket) -> None:
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.status, fresh.bounty_status, fresh.message_count) == ("open", "pending_review", 1)
    assert Message.objects.filter(session_id=ticket.support_session_id).count() == 1


def test_agent_tokens_get_403_staff_only_everywhere(bug, agent_a, usage_key):
    usage = usage_key(["support", "chat", "billing:read"])
    for client in (agent_a.client, usage):
        for method, url, body in _routes(bug.public_id):
            response = getattr(client, method)(url, body, format="json")
            assert response.status_code == 403, (method, url)
            assert response.json()["code"] == "STAFF_ONLY"
    _unchanged(bug)


def test_no_token_gets_401_everywhere(bug, anon):
    for method, url, body in _routes(bug.public_id):
        response = getattr(anon, method)(url, body, format="json")
        assert response.status_code == 401, (method, url)
        assert response.json()["code"] == "AUTHENTICATION_REQUIRED"
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    _unchanged(bug)


def test_a_bad_token_gets_401_invalid_token(bug, anon):
    anon.credentials(HTTP_AUTHORIZATION="Bearer 411s_" + "x" * 40)
    response = anon.get(ADMIN)
    assert (response.status_code, response.json()["code"]) == (401, "INVALID_TOKEN")


def test_a_revoked_staff_token_stops_working(bug, staff):
    from accounts.models import ApiToken
    from accounts.services import token_revoke

    token_revoke(token=ApiToken.objects.get(user=staff.user))
    response = staff.client.get(ADMIN)
    assert (response.status_code, response.json()["code"]) == (401, "INVALID_TOKEN")


def test_unknown_ticket_is_404_for_staff(staff):
    for method, url, body in _routes("tkt_doesnotexist0000000000"):
        if url == ADMIN:
            continue
        response = getattr(staff.client, method)(url, body, format="json")
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND"), (method, url)
