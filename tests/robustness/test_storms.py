"""Concurrency storms on PostgreSQL with real threads (issues 3 and 9): no race loses or doubles money."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection

from billing.models import LedgerEntry
from tests.conftest import bearer_client, make_agent
from tickets.models import Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _no_in_flight_cap(settings):  # type: ignore[no-untyped-def]
    # These storms test money races from one agent; the per-agent in-flight cap (429) is
    # tested on its own in tests/hardening/test_database_trouble.py.
    settings.AGENT_MAX_CONCURRENT_REQUESTS = 0

URL = "/api/v1/support/tickets"
GOOD = {"category": "other", "subject": "Storm", "body": "Many at once."}


def _post_many(token: str, n: int, workers: int = 16, **headers: str) -> list:  # type: ignore[type-arg]
    def call(_: int):  # type: ignore[no-untyped-def]
        try:
            return bearer_client(token).post(URL, GOOD, format="json", **headers)
        finally:
            connection.close()

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(call, range(n)))


def test_40_parallel_creates_with_balance_for_25(settings):
    persona = make_agent("Storm 40", grant_micros=250_000)
    responses = _post_many(persona.token, 40)
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 25 and statuses.count(402) == 15, statuses
    assert persona.balance_micros == 0
    assert Ticket.objects.filter(agent=persona.agent).count() == 25
    assert LedgerEntry.objects.filter(agent=persona.agent, kind="ticket_charge").count() == 25
    call_command("ledger_audit")


def test_200_parallel_creates_with_balance_for_100(settings):
    settings.RATE_LIMIT_PER_MINUTE = 0
    persona = make_agent("Storm 200", grant_micros=1_000_000)
    responses = _post_many(persona.token, 200, workers=24)
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 100 and statuses.count(402) == 100, statuses
    assert Ticket.objects.filter(agent=persona.agent).count() == 100
    assert persona.balance_micros == 0
    call_command("ledger_audit")


@pytest.mark.parametrize("n", [20, 50])
def test_parallel_identical_idempotency_keys_make_one_ticket(n):
    persona = make_agent(f"Idem {n}")
    responses = _post_many(persona.token, n, HTTP_IDEMPOTENCY_KEY=f"same-{n}")
    assert {r.status_code for r in responses} == {201}
    bodies = {json.dumps(r.json(), sort_keys=True) for r in responses}
    assert len(bodies) == 1
    assert sum(1 for r in responses if r.get("Idempotent-Replayed") != "true") == 1
    assert Ticket.objects.filter(agent=persona.agent).count() == 1
    assert persona.balance_micros == 190_000
    call_command("ledger_audit")


def test_one_x402_payment_presented_20_times_concurrently_makes_one_ticket(settings):
    from tests.x402_support import make_payment_header, start_local_facilitator

    facilitator = start_local_facilitator(initial_balance_micros=1_000_000)
    settings.X402_FACILITATOR_URL = facilitator.url
    try:
        persona = make_agent("Payer", grant_micros=0)
        first = persona.client.post(URL, GOOD, format="json")
        required = json.loads(base64.b64decode(first["PAYMENT-REQUIRED"]))
        header = make_payment_header(required)
        responses = _post_many(persona.token, 20, workers=20, HTTP_PAYMENT_SIGNATURE=header)
    finally:
        facilitator.stop()
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, statuses
    assert set(statuses) - {201} == {402}
    assert Ticket.objects.filter(agent=persona.agent).count() == 1
    assert LedgerEntry.objects.filter(agent=persona.agent, kind="x402_payment").count() == 1
    assert persona.balance_micros == 0
    call_command("ledger_audit")
