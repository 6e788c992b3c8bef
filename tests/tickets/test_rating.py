"""Customers rate a resolved or closed ticket once (SPEC §10): POST /api/v1/support/tickets/{id}/rating."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tickets.models import Ticket, TicketStatus
from webhooks.models import Event

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/support/tickets"
GOOD = {"category": "bug", "subject": "Export times out", "body": "After 30 s the CSV export fails."}


def _open(persona: Any) -> dict[str, Any]:
    response = persona.client.post(TICKETS, GOOD, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _rating_url(ticket_id: str) -> str:
    return f"{TICKETS}/{ticket_id}/rating"


def _resolved(persona: Any) -> dict[str, Any]:
    created = _open(persona)
    Ticket.objects.filter(public_id=created["ticket_id"]).update(status=TicketStatus.RESOLVED, awaiting_operator=False)
    return created


@pytest.mark.parametrize("status", [TicketStatus.RESOLVED, TicketStatus.CLOSED])
def test_a_resolved_or_closed_ticket_is_rated_once(agent_a, status):
    created = _open(agent_a)
    Ticket.objects.filter(public_id=created["ticket_id"]).update(status=status)
    response = agent_a.client.post(_rating_url(created["ticket_id"]), {"score": 4, "comment": "  Quick and clear. "},
                                   format="json")
    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get()
    assert response.json() == {"ticket_id": created["ticket_id"], "score": 4, "comment": "Quick and clear.",
                               "created_at": ticket.rated_at.isoformat().replace("+00:00", "Z")}
    assert response["Location"] == f"{TICKETS}/{created['ticket_id']}"
    assert (ticket.rating_score, ticket.rating_comment, ticket.status) == (4, "Quick and clear.", status)
    # The ticket JSON carries it from now on.
    shown = agent_a.client.get(f"{TICKETS}/{created['ticket_id']}").json()["rating"]
    assert shown == {"score": 4, "comment": "Quick and clear.", "created_at": response.json()["created_at"]}
    assert agent_a.client.get(TICKETS).json()["results"][0]["rating"] == shown

    again = agent_a.client.post(_rating_url(created["ticket_id"]), {"score": 1}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "TICKET_ALREADY_RATED"
    assert again.json()["details"] == {"rating": shown}
    ticket.refresh_from_db()
    assert ticket.rating_score == 4
    assert Event.objects.filter(type="support.ticket_rated").count() == 1


def test_rating_emits_support_ticket_rated_with_the_ticket_and_rating(agent_a):
    created = _resolved(agent_a)
    agent_a.client.post(_rating_url(created["ticket_id"]), {"score": 5}, format="json")
    event = Event.objects.get(type="support.ticket_rated")
    assert event.agent_id == agent_a.agent.id
    data = json.loads(event.envelope)["data"]
    assert data["rating"]["score"] == 5 and data["rating"]["comment"] == ""
    assert data["ticket"]["ticket_id"] == created["ticket_id"]
    assert data["ticket"]["rating"] == data["rating"]
    assert data["ticket"]["created_at"].endswith("Z")


@pytest.mark.parametrize("status", [TicketStatus.OPEN, TicketStatus.PENDING])
def test_an_open_or_pending_ticket_cant_be_rated(agent_a, status):
    created = _open(agent_a)
    Ticket.objects.update(status=status)
    events = Event.objects.count()
    response = agent_a.client.post(_rating_url(created["ticket_id"]), {"score": 5}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "TICKET_NOT_RESOLVED"
    assert body["message"].startswith(f"Only a resolved or closed ticket can be rated; this one is {status}.")
    assert body["details"] == {"support_status": [status]}
    assert Ticket.objects.get().rating_score is None
    assert Event.objects.count() == events


@pytest.mark.parametrize("payload", [
    {}, {"score": 0}, {"score": 6}, {"score": "5"}, {"score": 4.5}, {"score": 4.0}, {"score": True}, {"score": None},
    {"score": 3, "comment": 7}, {"score": 3, "comment": "x" * 2001}, {"score": 3, "comment": "a\x00b"},
    {"score": 3, "stars": 3},
])
def test_bad_ratings_are_400_and_change_nothing(agent_a, payload):
    created = _resolved(agent_a)
    events = Event.objects.count()
    response = agent_a.client.post(_rating_url(created["ticket_id"]), payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert Ticket.objects.get().rating_score is None
    assert Event.objects.count() == events


def test_idempotency_key_replays_the_rating(agent_a):
    created = _resolved(agent_a)
    url = _rating_url(created["ticket_id"])
    first = agent_a.client.post(url, {"score": 3}, format="json", HTTP_IDEMPOTENCY_KEY="rate-1")
    second = agent_a.client.post(url, {"score": 3}, format="json", HTTP_IDEMPOTENCY_KEY="rate-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    reused = agent_a.client.post(url, {"score": 2}, format="json", HTTP_IDEMPOTENCY_KEY="rate-1")
    assert (reused.status_code, reused.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert Event.objects.filter(type="support.ticket_rated").count() == 1


def test_a_refused_rating_leaves_the_key_free(agent_a):
    created = _open(agent_a)
    url = _rating_url(created["ticket_id"])
    assert agent_a.client.post(url, {"score": 5}, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 409
    Ticket.objects.update(status=TicketStatus.RESOLVED)
    assert agent_a.client.post(url, {"score": 5}, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201


def test_another_agents_ticket_is_404_and_usage_keys_need_support(agent_a, agent_b, usage_key):
    created = _resolved(agent_a)
    url = _rating_url(created["ticket_id"])
    assert agent_b.client.post(url, {"score": 5}, format="json").status_code == 404
    chat_only = usage_key(["chat"]).post(url, {"score": 5}, format="json")
    assert (chat_only.status_code, chat_only.json()["code"]) == (403, "INSUFFICIENT_SCOPE")
    assert usage_key(["support"]).post(url, {"score": 5}, format="json").status_code == 201


def test_closing_then_rating_from_the_customer_side(agent_a):
    created = _open(agent_a)
    closed = agent_a.client.post(f"{TICKETS}/{created['ticket_id']}/close", format="json")
    assert (closed.status_code, closed.json()["support_status"], closed.json()["rating"]) == (200, "closed", None)
    assert agent_a.client.post(_rating_url(created["ticket_id"]), {"score": 2, "comment": "Slow."},
                               format="json").status_code == 201
