"""The world the API fuzzer runs in: real agents, a staff operator, and real objects to aim at.

Everything is made through the real services (or the real paid route), on PostgreSQL. The only
stand-ins are for things on the internet: DNS for callback hosts (loopback only, so a fuzzed
`https://example.org` never leaves the machine), a customer's webhook receiver and the x402
facilitator — both real HTTP servers on loopback.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from accounts.services import staff_token_create, usage_key_create
from billing.x402.facilitator_app import RunningFacilitator
from demo_sessions.services import enrich_session_create
from tests.conftest import AgentPersona, make_agent
from tests.webhook_receiver import WebhookReceiver
from tests.x402_support import start_local_facilitator
from webhooks.models import Delivery
from webhooks.selectors import Owner
from webhooks.services import subscription_create

ALL_SUPPORT = ["support.bounty_awarded", "support.message_created", "support.ticket_created",
               "support.ticket_updated"]
# $5.00: hundreds of $0.01 tickets, so the paid route charges the balance like a real customer's.
FUZZ_GRANT_MICROS = 5_000_000


@dataclass
class FuzzWorld:
    agent: AgentPersona
    agent_token: str  # changes when the fuzzer rotates it
    broke_token: str  # an agent with $0.00: the paid route goes down the 402 / x402 branch
    staff_token: str
    # path parameter name → real ids the fuzzer may use instead of generated ones
    customer_ids: dict[str, list[str]] = field(default_factory=dict)
    staff_ids: dict[str, list[str]] = field(default_factory=dict)


def _loopback_only_dns(host: str, port: int) -> list[str]:
    if host.lower() == "localhost":
        return ["127.0.0.1"]
    raise socket.gaierror(socket.EAI_NONAME, "fuzz runs resolve no internet names")


@pytest.fixture(scope="session")
def facilitator() -> Iterator[RunningFacilitator]:
    """Loopback servers hold no DB state: one for the whole run (stopping one costs ~0.5 s)."""
    running = start_local_facilitator()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def fuzz_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rx:
        yield rx


@contextmanager
def keep_test_connection() -> Iterator[None]:
    """Around a direct WSGI call: don't let Django close the test's DB connection (and transaction).

    Django's own test client does exactly this around each request.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(
    db: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, django_user_model: Any,
    django_capture_on_commit_callbacks: Any, facilitator: RunningFacilitator, fuzz_receiver: WebhookReceiver,
) -> FuzzWorld:
    settings.RATE_LIMIT_PER_MINUTE = 0  # the fuzzer sends hundreds of requests a minute on purpose
    settings.RATE_LIMIT_ANON_PER_MINUTE = 0
    settings.AGENT_SELF_MINT = True
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2.0
    settings.X402_FACILITATOR_URL = facilitator.url
    monkeypatch.setattr("webhooks.ssrf._getaddrinfo", _loopback_only_dns)

    agent = make_agent("Fuzz agent", grant_micros=FUZZ_GRANT_MICROS)
    broke = make_agent("Fuzz broke agent", grant_micros=0)
    user = django_user_model.objects.create_user(username="fuzz-operator", password="pw-fuzz-1", is_staff=True)
    _, staff_token = staff_token_create(user=user)
    key, _ = usage_key_create(agent=agent.agent, label="fuzz key", scopes=["support"])
    enrich = enrich_session_create(agent=agent.agent, title="Fuzz chat")
    sub, _ = subscription_create(owner=Owner(agent=agent.agent), label="fuzz", event_types=ALL_SUPPORT,
                                 callback_url=fuzz_receiver.url("/agent"))
    staff_sub, _ = subscription_create(owner=Owner(agent=None, staff_user=user), label="fuzz ops",
                                       event_types=ALL_SUPPORT, callback_url=fuzz_receiver.url("/staff"))
    with django_capture_on_commit_callbacks(execute=True):
        created = agent.client.post("/api/v1/support/tickets", {
            "category": "bug", "subject": "Fuzz seed", "body": "A real ticket the fuzzer may aim at.",
            "source_session_id": enrich.id}, format="json")
    assert created.status_code == 201, created.content
    ticket = created.json()
    deliveries = {d.subscription_id: d.id for d in Delivery.objects.filter(subscription__in=[sub, staff_sub])}
    assert set(deliveries) == {sub.id, staff_sub.id}

    return FuzzWorld(
        agent=agent, agent_token=agent.token, broke_token=broke.token, staff_token=staff_token,
        customer_ids={
            "ticket_id": [ticket["ticket_id"]],
            "session_id": [ticket["support_session_id"], enrich.id],
            "subscription_id": [sub.id],
            "delivery_id": [deliveries[sub.id]],
            "key_id": [key.id],
        },
        staff_ids={
            "ticket_id": [ticket["ticket_id"], str(ticket["number"])],
            "subscription_id": [staff_sub.id],
            "delivery_id": [deliveries[staff_sub.id]],
        },
    )
