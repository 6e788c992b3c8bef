"""Issue 16 item 6 (SPEC §10): enrich sessions and /api/v1/demo/chat need `chat`; support threads
need `support`. A usage key without the scope gets 403 INSUFFICIENT_SCOPE and changes nothing; the
session list shows only the kinds the key may see."""

from __future__ import annotations

import pytest

from demo_sessions.models import DemoSession, Message
from tests.operators.conftest import open_ticket

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/demo/sessions"


@pytest.fixture
def sessions(agent_a):  # type: ignore[no-untyped-def]
    enrich = agent_a.client.post(SESSIONS, {"title": "Enrich"}, format="json").json()["id"]
    support = open_ticket(agent_a).support_session_id
    return {"enrich": enrich, "support": support}


def _assert_scope_refused(response, scope: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "INSUFFICIENT_SCOPE"
    assert body["details"] == {"required_scopes": [scope]}


def test_a_support_only_key_cannot_touch_enrich_sessions_or_chat(usage_key, sessions):
    client = usage_key(["support"])
    counts = (DemoSession.objects.count(), Message.objects.count())
    _assert_scope_refused(client.post(SESSIONS, {"title": "x"}, format="json"), "chat")
    _assert_scope_refused(client.post("/api/v1/demo/chat", {"message": "hello"}, format="json"), "chat")
    _assert_scope_refused(client.get(f"{SESSIONS}/{sessions['enrich']}"), "chat")
    _assert_scope_refused(client.post(f"{SESSIONS}/{sessions['enrich']}/messages", {"text": "hi"}, format="json"),
                          "chat")
    _assert_scope_refused(client.get(f"{SESSIONS}?kind=enrich"), "chat")
    assert (DemoSession.objects.count(), Message.objects.count()) == counts
    listed = client.get(SESSIONS).json()["results"]
    assert [s["id"] for s in listed] == [sessions["support"]]
    assert client.get(f"{SESSIONS}/{sessions['support']}").status_code == 200
    assert client.post(f"{SESSIONS}/{sessions['support']}/messages", {"text": "more"},
                       format="json").status_code == 201


def test_a_chat_only_key_cannot_touch_support_threads(usage_key, sessions):
    client = usage_key(["chat"])
    counts = (DemoSession.objects.count(), Message.objects.count())
    _assert_scope_refused(client.get(f"{SESSIONS}/{sessions['support']}"), "support")
    _assert_scope_refused(client.post(f"{SESSIONS}/{sessions['support']}/messages", {"text": "hi"},
                                      format="json"), "support")
    _assert_scope_refused(client.get(f"{SESSIONS}?kind=support"), "support")
    assert (DemoSession.objects.count(), Message.objects.count()) == counts
    listed = client.get(SESSIONS).json()["results"]
    assert [s["id"] for s in listed] == [sessions["enrich"]]
    assert client.post(SESSIONS, {"title": "mine"}, format="json").status_code == 201
    assert client.get(f"{SESSIONS}/{sessions['enrich']}").status_code == 200


def test_a_key_with_both_scopes_and_the_admin_bearer_see_everything(agent_a, usage_key, sessions):
    for client in (usage_key(["chat", "support"]), agent_a.client):
        listed = {s["id"] for s in client.get(SESSIONS).json()["results"]}
        assert listed == {sessions["enrich"], sessions["support"]}


def test_another_agents_session_is_still_404_whatever_the_scopes(agent_b, sessions):
    for kind in ("enrich", "support"):
        assert agent_b.client.get(f"{SESSIONS}/{sessions[kind]}").status_code == 404
