"""Agent A's world for the isolation matrix: one of everything an id can point at, made through the real API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.services import usage_key_create
from tests.conftest import AgentPersona, StaffPersona
from tests.webhook_receiver import WebhookReceiver
from webhooks.models import Delivery, Subscription
from webhooks.selectors import Owner
from webhooks.services import subscription_create

ALL_SUPPORT = ["support.bounty_awarded", "support.message_created", "support.ticket_created",
               "support.ticket_updated"]


@dataclass
class World:
    customer_ids: dict[str, list[str]]  # path parameter → A's ids (customer routes)
    staff_ids: dict[str, list[str]]     # path parameter → real ids for /api/admin/ routes
    ticket_id: str
    support_session_id: str
    enrich_session_id: str


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rx:
        yield rx


@pytest.fixture
def local_targets(settings: Any) -> Any:
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return settings


@pytest.fixture
def world(agent_a: AgentPersona, staff: StaffPersona, receiver: WebhookReceiver, local_targets: Any,
          django_capture_on_commit_callbacks: Any) -> World:
    enrich = agent_a.client.post("/api/v1/demo/sessions", {"title": "A's chat"}, format="json")
    assert enrich.status_code == 201, enrich.content
    sub, _ = subscription_create(owner=Owner(agent=agent_a.agent), label="A's hook", event_types=ALL_SUPPORT,
                                 callback_url=receiver.url("/a"))
    staff_sub, _ = subscription_create(owner=Owner(agent=None, staff_user=staff.user), label="ops hook",
                                       event_types=ALL_SUPPORT, callback_url=receiver.url("/ops"))
    with django_capture_on_commit_callbacks(execute=True):
        created = agent_a.client.post("/api/v1/support/tickets", {
            "category": "bug", "subject": "A's export fails", "body": "Only A may read this.",
            "source_session_id": enrich.json()["id"]}, format="json")
    assert created.status_code == 201, created.content
    ticket = created.json()
    receiver.wait_for(2)
    delivery = Delivery.objects.filter(subscription=sub).order_by("created_at").first()
    staff_delivery = Delivery.objects.filter(subscription=staff_sub).order_by("created_at").first()
    sid = ticket["support_session_id"]
    attached, unattached = (agent_a.client.post(f"/api/v1/demo/sessions/{sid}/attachments", {
        "file": SimpleUploadedFile(name, b"A's bytes", "text/plain")}, format="multipart") for name in ("a.txt", "b.txt"))
    assert (attached.status_code, unattached.status_code) == (201, 201), (attached.content, unattached.content)
    with django_capture_on_commit_callbacks(execute=True):
        posted = agent_a.client.post(f"/api/v1/demo/sessions/{sid}/messages",
                                     {"text": "A's log", "attachments": [attached.json()["id"]]}, format="json")
    assert posted.status_code == 201, posted.content
    receiver.wait_for(4)
    key, _ = usage_key_create(agent=agent_a.agent, label="A's key", scopes=["support"])
    assert Subscription.objects.count() == 2
    return World(
        customer_ids={
            "ticket_id": [ticket["ticket_id"], str(ticket["number"])],
            "session_id": [ticket["support_session_id"], enrich.json()["id"]],
            "subscription_id": [sub.id],
            "delivery_id": [delivery.id],
            "key_id": [key.id],
            "attachment_id": [attached.json()["id"], unattached.json()["id"]],
        },
        staff_ids={
            "ticket_id": [ticket["ticket_id"]],
            "subscription_id": [staff_sub.id],
            "delivery_id": [staff_delivery.id],
        },
        ticket_id=ticket["ticket_id"], support_session_id=ticket["support_session_id"],
        enrich_session_id=enrich.json()["id"],
    )
