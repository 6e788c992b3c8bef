"""Closed is closed for both sides (docs/DECISIONS.md): an operator's public reply on a closed ticket
is refused with 409 TICKET_CLOSED unless the same reply reopens it; internal notes are always fine."""

from __future__ import annotations

import pytest
from django.test import Client

from demo_sessions.models import Message
from tickets import operators
from tickets.models import Ticket
from webhooks.models import Event

from .conftest import ADMIN

pytestmark = pytest.mark.django_db

INBOX = "/ui-traffic"


@pytest.fixture
def closed(bug: Ticket, agent_a) -> Ticket:  # type: ignore[no-untyped-def]
    response = agent_a.client.post(f"/api/v1/support/tickets/{bug.public_id}/close", format="json")
    assert response.json()["support_status"] == "closed"
    bug.refresh_from_db()
    return bug


def _thread(ticket: Ticket) -> list[tuple[str, str]]:
    return list(Message.objects.filter(session_id=ticket.support_session_id).order_by("created_at", "id")
                .values_list("author", "text"))


def test_a_public_reply_on_a_closed_ticket_is_refused_and_changes_nothing(closed, staff):
    thread, events = _thread(closed), Event.objects.count()
    response = staff.client.post(f"{ADMIN}/{closed.public_id}/reply", {"text": "Anything else?"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "TICKET_CLOSED"
    assert body["message"] == ("This ticket is closed and the customer can't answer it: reopen it with this reply "
                               "(status open) or add an internal note.")
    assert body["details"] == {}
    closed.refresh_from_db()
    assert (closed.status, closed.message_count) == ("closed", 2)
    assert _thread(closed) == thread and Event.objects.count() == events


def test_a_public_reply_that_reopens_is_sent_and_the_customer_can_answer(closed, staff, agent_a):
    response = staff.client.post(f"{ADMIN}/{closed.public_id}/reply",
                                 {"text": "Reopening: one more question.", "support_status": "open"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["ticket"]["support_status"] == "open"
    closed.refresh_from_db()
    assert closed.status == "open"
    assert _thread(closed)[-1] == ("operator", "Reopening: one more question.")
    answer = agent_a.client.post(f"/api/v1/demo/sessions/{closed.support_session_id}/messages", {"text": "Sure"},
                                 format="json")
    assert answer.status_code == 201


def test_an_internal_note_on_a_closed_ticket_is_fine(closed, staff):
    response = staff.client.post(f"{ADMIN}/{closed.public_id}/reply", {"text": "post-mortem", "internal": True},
                                 format="json")
    assert response.status_code == 201
    closed.refresh_from_db()
    assert closed.status == "closed"


def test_the_inbox_explains_the_refusal_and_keeps_the_ticket_closed(closed, staff):
    client = Client()
    client.force_login(staff.user)
    page = client.get(f"{INBOX}/tickets/{closed.number}").content.decode()
    assert "This ticket is closed: the customer can't answer." in page
    response = client.post(f"{INBOX}/tickets/{closed.number}/reply", {"text": "hello?", "visibility": "public"},
                           follow=True)
    html = response.content.decode()
    assert ("Reply not sent. This ticket is closed and the customer can&#x27;t answer it: reopen it with this reply "
            "(status open) or add an internal note.</li>") in html
    closed.refresh_from_db()
    assert (closed.status, closed.message_count) == ("closed", 2)
    client.post(f"{INBOX}/tickets/{closed.number}/reply",
                {"text": "Reopened to ask one thing.", "visibility": "public", "support_status": "open"})
    closed.refresh_from_db()
    assert (closed.status, closed.message_count) == ("open", 3)


def test_the_inbox_shows_the_rating_on_the_ticket_page_and_list(closed, staff, agent_a):
    client = Client()
    client.force_login(staff.user)
    assert "Not rated yet." in client.get(f"{INBOX}/tickets/{closed.number}").content.decode()
    agent_a.client.post(f"/api/v1/support/tickets/{closed.public_id}/rating",
                        {"score": 4, "comment": "Good <b>help</b>"}, format="json")
    page = client.get(f"{INBOX}/tickets/{closed.number}").content.decode()
    assert "★★★★☆" in page and "<strong>4/5</strong>" in page
    assert "Good &lt;b&gt;help&lt;/b&gt;" in page
    assert '<span class="rating-chip" title="Customer rating">4★</span>' in client.get(f"{INBOX}?view=closed").content.decode()


def test_operators_service_refuses_the_same_way(closed, staff):
    from support_project.domain import DomainError

    with pytest.raises(DomainError) as info:
        operators.ticket_reply(ticket=closed, staff_user=staff.user, text="hi")
    assert info.value.code == "TICKET_CLOSED"


def test_django_admin_shows_and_filters_the_rating(closed, agent_a, admin_client):  # type: ignore[no-untyped-def]
    agent_a.client.post(f"/api/v1/support/tickets/{closed.public_id}/rating", {"score": 3, "comment": "Okay-ish"},
                        format="json")
    change = admin_client.get(f"/django-admin/tickets/ticket/{closed.pk}/change/").content.decode()
    assert "Customer rating" in change and "Okay-ish" in change
    listing = admin_client.get("/django-admin/tickets/ticket/?rating_score=3").content.decode()
    assert closed.subject in listing
    assert closed.subject not in admin_client.get("/django-admin/tickets/ticket/?rating_score=5").content.decode()
