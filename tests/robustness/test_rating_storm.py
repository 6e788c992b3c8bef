"""Ratings under concurrency (PostgreSQL, real threads): many parallel ratings of one ticket book
exactly one rating and one `support.ticket_rated` event; the rest are 409 TICKET_ALREADY_RATED."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from tests.conftest import bearer_client, make_agent
from tickets.models import Ticket, TicketStatus
from webhooks.models import Event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _no_in_flight_cap(settings: Any) -> None:
    # One agent sends 12 requests at once on purpose; the per-agent in-flight cap
    # (AGENT_MAX_CONCURRENT_REQUESTS, tested in tests/hardening) would answer some with 429.
    settings.AGENT_MAX_CONCURRENT_REQUESTS = 0


def _rate_many(token: str, url: str, n: int, **headers: str) -> list[Any]:
    def call(score: int) -> Any:
        try:
            return bearer_client(token).post(url, {"score": score % 5 + 1}, format="json", **headers)
        finally:
            connection.close()

    with ThreadPoolExecutor(12) as pool:
        return list(pool.map(call, range(n)))


def test_parallel_ratings_of_one_ticket_rate_it_once() -> None:
    persona = make_agent("Rating storm")
    created = persona.client.post("/api/v1/support/tickets", {"category": "other", "subject": "s", "body": "b"},
                                  format="json").json()
    Ticket.objects.update(status=TicketStatus.RESOLVED)
    responses = _rate_many(persona.token, f"/api/v1/support/tickets/{created['ticket_id']}/rating", 24)
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1 and statuses.count(409) == 23, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"TICKET_ALREADY_RATED"}
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert Ticket.objects.get().rating_score == winner["score"]
    assert Event.objects.filter(type="support.ticket_rated").count() == 1
