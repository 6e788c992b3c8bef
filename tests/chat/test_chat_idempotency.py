"""Idempotency-Key on /api/v1/demo/chat (SPEC §3.4: every creating POST)."""

from __future__ import annotations

import pytest

from billing.models import LedgerEntry
from demo_sessions.models import Message
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

ASK = {"message": "file a support ticket — my export times out after 30 seconds, expected a CSV"}


def test_a_retried_turn_replays_without_a_second_message_or_charge(agent_a):
    first = agent_a.client.post("/api/v1/demo/chat", ASK, format="json", HTTP_IDEMPOTENCY_KEY="turn-1")
    messages = Message.objects.count()
    second = agent_a.client.post("/api/v1/demo/chat", ASK, format="json", HTTP_IDEMPOTENCY_KEY="turn-1")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Message.objects.count() == messages
    assert Ticket.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="ticket_charge").count() == 1


def test_the_same_key_with_another_message_is_422(agent_a):
    agent_a.client.post("/api/v1/demo/chat", ASK, format="json", HTTP_IDEMPOTENCY_KEY="turn-2")
    response = agent_a.client.post("/api/v1/demo/chat", {"message": "hello"}, format="json", HTTP_IDEMPOTENCY_KEY="turn-2")
    assert response.status_code == 422
    assert response.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
