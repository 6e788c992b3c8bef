"""Fixtures for event callbacks: a real loopback receiver and subscriptions made through services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery

from support_project.celery import app as celery_app
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


def switch_broker(app: Celery, *, url: str, eager: bool) -> None:
    app.conf.broker_url = url
    app.conf.task_always_eager = eager
    # Drop the cached pools (they point at the old URL). Not force_close_all(): kombu's registry
    # hands the same pool object back for the same URL later, and a closed one can't be used.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker() -> Iterator[Celery]:
    """The project's Celery app; its broker URL and eagerness are restored afterwards."""
    saved_url, saved_eager = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    yield celery_app
    switch_broker(celery_app, url=saved_url, eager=saved_eager)
