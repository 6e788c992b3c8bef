"""Idempotency-Key on ticket creation (SPEC §3.4)."""

from __future__ import annotations

import pytest

from billing.models import IdempotencyRecord, LedgerEntry
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

URL = "/api/v1/support/tickets"
GOOD = {"category": "account", "subject": "Can't log in", "body": "My token stopped working."}


def test_same_key_same_body_replays_without_charging_again(agent_a):
    first = agent_a.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    second = agent_a.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert second["Location"] == first["Location"]
    assert Ticket.objects.count() == 1
    assert LedgerEntry.objects.filter(kind="ticket_charge").count() == 1
    assert agent_a.balance_micros == 190_000


def test_same_key_different_body_is_422(agent_a):
    agent_a.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    response = agent_a.client.post(URL, {**GOOD, "subject": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="abc")
    assert response.status_code == 422
    assert response.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert Ticket.objects.count() == 1


def test_keys_are_per_agent(agent_a, agent_b):
    agent_a.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    response = agent_b.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Ticket.objects.count() == 2


def test_a_failed_request_does_not_burn_the_key(broke_agent):
    from billing.services import ledger_credit

    response = broke_agent.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="retry-me")
    assert response.status_code == 402
    assert IdempotencyRecord.objects.count() == 0
    from django.db import transaction

    with transaction.atomic():
        ledger_credit(agent_id=broke_agent.agent.id, amount_micros=10_000, kind="grant", reference="topup")
    assert broke_agent.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="retry-me").status_code == 201


def test_an_in_flight_key_is_409(agent_a):
    IdempotencyRecord.objects.create(agent=agent_a.agent, key="busy", fingerprint="x" * 64)
    response = agent_a.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    # The fingerprint differs from this body's: reuse wins over in-progress.
    assert response.status_code == 422
    from billing.idempotency import fingerprint

    IdempotencyRecord.objects.filter(key="busy").update(fingerprint=fingerprint(method="POST", path=URL, body=GOOD))
    response = agent_a.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code == 409
    assert response.json()["code"] == "IDEMPOTENCY_IN_PROGRESS"
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("key", ["x" * 256, "   "])
def test_bad_keys_are_400(agent_a, key):
    response = agent_a.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["details"]
    assert Ticket.objects.count() == 0


def test_expired_records_are_purged(agent_a):
    from datetime import timedelta

    from django.utils import timezone

    from billing.idempotency import purge_expired

    agent_a.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_expired() == 1
    assert IdempotencyRecord.objects.count() == 0


def test_an_expired_key_can_be_used_again_for_a_new_request(agent_a):
    from datetime import timedelta

    from django.utils import timezone

    agent_a.client.post(URL, GOOD, format="json", HTTP_IDEMPOTENCY_KEY="reused-later")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    response = agent_a.client.post(URL, {**GOOD, "subject": "A day later"}, format="json",
                                   HTTP_IDEMPOTENCY_KEY="reused-later")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Ticket.objects.count() == 2
    assert IdempotencyRecord.objects.get().fingerprint != "" and IdempotencyRecord.objects.count() == 1
