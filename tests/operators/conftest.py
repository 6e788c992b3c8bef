"""Helpers for operator tests: tickets are opened through the real customer API (the paid route)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support_project.celery import app as celery_app
from tickets.models import Ticket

TICKETS = "/api/v1/support/tickets"
ADMIN = "/api/admin/support/tickets"


def open_ticket(persona: Any, *, category: str = "bug", subject: str = "Export times out",
                body: str = "After 30 s the CSV export fails.", **extra: Any) -> Ticket:
    response = persona.client.post(TICKETS, {"category": category, "subject": subject, "body": body, **extra},
                                   format="json")
    assert response.status_code == 201, response.content
    return Ticket.objects.get(public_id=response.json()["ticket_id"])


@pytest.fixture
def bug(agent_a: Any) -> Ticket:
    return open_ticket(agent_a)


@pytest.fixture(autouse=True)
def eager_tasks() -> Iterator[None]:
    """Queued tasks run inline (after commit) whatever the environment's default, so these tests
    mean the same with and without REDIS_URL. The real-worker test switches this off itself."""
    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved
