"""Helpers for operator tests. Tickets come from the service-level factory (tests/factories.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support_project.celery import app as celery_app
from tests.factories import open_ticket
from tickets.models import Ticket

TICKETS = "/api/v1/support/tickets"
ADMIN = "/api/admin/support/tickets"

__all__ = ["ADMIN", "TICKETS", "open_ticket"]


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
