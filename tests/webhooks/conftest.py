"""Fixtures for event callbacks: a real loopback receiver and subscriptions made through services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import AgentPersona
from tests.webhook_receiver import WebhookReceiver
from webhooks.models import Subscription
from webhooks.selectors import Owner
from webhooks.services import subscription_create

ALL_SUPPORT = ["support.bounty_awarded", "support.message_created", "support.ticket_created",
               "support.ticket_updated"]


@pytest.fixture
def local_targets(settings: Any) -> Any:
    """Loopback receivers are allowed (the local-development switch)."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return settings


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as rx:
        yield rx


def subscribe(persona: AgentPersona | None, url: str, *, event_types: list[str] | None = None,
              staff_user: Any = None, **extra: Any) -> tuple[Subscription, str]:
    owner = Owner(agent=persona.agent if persona else None, staff_user=staff_user)
    return subscription_create(owner=owner, label="test", event_types=event_types or ALL_SUPPORT,
                               callback_url=url, **extra)
