"""Issue 16 item 1 (SPEC §3.4): every creating POST takes Idempotency-Key — the same key and body
twice is one object and the stored answer replayed (`Idempotent-Replayed: true`); the same key
with another body is 422 IDEMPOTENCY_KEY_REUSED and changes nothing; no key, two objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from demo_sessions.models import DemoSession, Message
from tests.operators.conftest import open_ticket
from webhooks.models import Subscription

pytestmark = pytest.mark.django_db


def _check(client: Any, url: str, body: dict[str, Any], other: dict[str, Any], count: Callable[[], int]) -> None:
    before = count()
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.content
    assert first.get("Idempotent-Replayed") is None
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert json.loads(again.content) == json.loads(first.content)
    assert count() == before + 1
    reused = client.post(url, other, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert reused.status_code == 422
    assert reused.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert count() == before + 1
    assert client.post(url, body, format="json").status_code == 201
    assert client.post(url, body, format="json").status_code == 201
    assert count() == before + 3
    bad = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert (bad.status_code, list(bad.json()["details"])) == (400, ["Idempotency-Key"])
    assert count() == before + 3


def test_follow_up_messages(agent_a):
    session = open_ticket(agent_a).support_session_id
    _check(agent_a.client, f"/api/v1/demo/sessions/{session}/messages", {"text": "More detail."},
           {"text": "Other detail."}, lambda: Message.objects.filter(session_id=session).count())


def test_enrich_sessions(agent_a):
    _check(agent_a.client, "/api/v1/demo/sessions", {"title": "Research"}, {"title": "Other"},
           lambda: DemoSession.objects.filter(agent=agent_a.agent).count())


def test_webhook_subscriptions_replay_the_same_signing_secret(agent_a, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_MAX_ACTIVE_SUBSCRIPTIONS = 20
    body = {"event_types": ["support.ticket_created"], "callback_url": "http://127.0.0.1:9/a"}
    other = {"event_types": ["support.ticket_created"], "callback_url": "http://127.0.0.1:9/b"}
    _check(agent_a.client, "/api/v1/event-callbacks/subscriptions", body, other,
           lambda: Subscription.objects.filter(agent=agent_a.agent).count())


def test_a_usage_key_and_the_admin_bearer_of_one_agent_share_keys(agent_a, usage_key):
    session = open_ticket(agent_a).support_session_id
    url = f"/api/v1/demo/sessions/{session}/messages"
    first = agent_a.client.post(url, {"text": "Once."}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    again = usage_key(["support"]).post(url, {"text": "Once."}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_another_agent_with_the_same_key_is_not_a_replay(agent_a, agent_b):
    a = agent_a.client.post("/api/v1/demo/sessions", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    b = agent_b.client.post("/api/v1/demo/sessions", {"title": "A"}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert b.get("Idempotent-Replayed") is None
    assert a.json()["id"] != b.json()["id"]


def test_operator_replies(agent_a, staff):
    ticket = open_ticket(agent_a)
    _check(staff.client, f"/api/admin/support/tickets/{ticket.public_id}/reply", {"text": "On it."},
           {"text": "Something else."}, lambda: Message.objects.filter(session_id=ticket.support_session_id).count())
