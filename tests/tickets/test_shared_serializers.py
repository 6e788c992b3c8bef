"""The shared output serializers render exactly what a fresh DRF serializer renders."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tickets.models import Ticket
from tickets.serializers import TicketCreatedOut, TicketOut, ticket_created_out, ticket_out

pytestmark = pytest.mark.django_db

URL = "/api/v1/support/tickets"


def _open(agent, category: str) -> Ticket:  # type: ignore[no-untyped-def]
    response = agent.client.post(URL, {"category": category, "subject": f"A {category}", "body": "Details."},
                                 format="json")
    assert response.status_code == 201
    return Ticket.objects.get(public_id=response.json()["ticket_id"])


def test_ticket_out_matches_a_fresh_serializer_with_and_without_bounty_and_rating(agent_a):
    bug, question = _open(agent_a, "bug"), _open(agent_a, "billing")
    Ticket.objects.filter(pk=question.pk).update(status="resolved", rating_score=4, rating_comment="ok",
                                                 rated_at=question.created_at)
    question.refresh_from_db()
    for ticket in (bug, question):
        assert ticket_out(ticket) == dict(TicketOut(ticket).data)
    assert ticket_out(bug)["bounty"]["status"] == "pending_review"
    assert ticket_out(question)["bounty"] is None
    assert ticket_out(question)["rating"]["score"] == 4


def test_the_created_body_has_exactly_the_documented_fields(agent_a):
    ticket = _open(agent_a, "bug")
    body = ticket_created_out(ticket, balance_after_micros=123_400)
    assert list(body) == list(TicketCreatedOut().fields)
    assert body["virtual_balance_usd"] == "0.1234"


def test_threads_share_it_safely(agent_a):
    tickets = [_open(agent_a, category) for category in ("bug", "billing", "bug", "account")]
    expected = [dict(TicketOut(t).data) for t in tickets]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(20):
            assert list(pool.map(ticket_out, tickets)) == expected
