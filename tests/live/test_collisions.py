"""Reply collisions (issue #14 item 3) through the admin API and the inbox form; presence heartbeats."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from demo_sessions.models import Message
from live.models import LiveEvent
from live.presence import presence_list
from tests.operators.conftest import ADMIN, open_ticket
from tickets import operators
from tickets.collisions import last_public_message_id
from tickets.models import Ticket
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def _counts(ticket: Ticket) -> tuple[int, int, int, int]:
    ticket.refresh_from_db()
    return (Message.objects.filter(session_id=ticket.support_session_id).count(), ticket.message_count,
            Event.objects.count(), LiveEvent.objects.count())


def _reply(staff: Any, ticket: Ticket, **body: Any) -> Any:
    return staff.client.post(f"{ADMIN}/{ticket.public_id}/reply", {"text": "On it.", **body}, format="json")


def test_a_reply_on_the_latest_message_is_sent(agent_a, staff):
    ticket = open_ticket(agent_a)
    response = _reply(staff, ticket, last_seen_message_id=last_public_message_id(ticket=ticket))
    assert response.status_code == 201
    assert response.json()["message"]["text"] == "On it."


def test_a_newer_public_message_blocks_the_reply_and_nothing_changes(agent_a, staff):
    ticket = open_ticket(agent_a)
    seen = last_public_message_id(ticket=ticket)
    newer = agent_a.client.post(f"/api/v1/demo/sessions/{ticket.support_session_id}/messages",
                                {"text": "Any news?"}, format="json").json()
    before = _counts(ticket)
    response = _reply(staff, ticket, last_seen_message_id=seen)
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "REPLY_COLLISION"
    assert body["details"] == {"newer_message_ids": [newer["id"]]}
    assert _counts(ticket) == before
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    # Sending anyway: the same reply without the field.
    assert _reply(staff, ticket).status_code == 201


def test_another_operators_public_reply_also_collides(agent_a, staff, django_user_model):
    ticket = open_ticket(agent_a)
    seen = last_public_message_id(ticket=ticket)
    other = django_user_model.objects.create_user(username="oscar", password="pw-oscar-1", is_staff=True)
    first = operators.ticket_reply(ticket=ticket, staff_user=other, text="Answered already.")
    response = _reply(staff, ticket, last_seen_message_id=seen)
    assert (response.status_code, response.json()["details"]) == (409, {"newer_message_ids": [first.id]})


def test_internal_notes_neither_collide_nor_are_checked(agent_a, staff):
    ticket = open_ticket(agent_a)
    seen = last_public_message_id(ticket=ticket)
    operators.ticket_reply(ticket=ticket, staff_user=staff.user, text="note", internal=True)
    assert _reply(staff, ticket, last_seen_message_id=seen).status_code == 201  # a note is not news
    stale = _reply(staff, ticket, text="another note", internal=True, last_seen_message_id=seen)
    assert stale.status_code == 201  # notes go in whatever arrived


def test_an_unknown_last_seen_message_is_a_400(agent_a, staff):
    ticket, other = open_ticket(agent_a), open_ticket(agent_a, subject="Other")
    before = _counts(ticket)
    for bad in ("msg_nope", last_public_message_id(ticket=other)):
        response = _reply(staff, ticket, last_seen_message_id=bad)
        assert response.status_code == 400
        assert list(response.json()["details"]) == ["last_seen_message_id"]
    assert _reply(staff, ticket, last_seen_message_id="").status_code == 400
    assert _counts(ticket) == before


def _inbox(staff: Any) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


def test_the_inbox_form_keeps_the_draft_and_offers_send_anyway(agent_a, staff):
    ticket = open_ticket(agent_a)
    inbox = _inbox(staff)
    page = inbox.get(f"/ui-traffic/tickets/{ticket.number}")
    seen = last_public_message_id(ticket=ticket)
    assert f'name="last_seen_message_id" value="{seen}"' in page.content.decode()
    agent_a.client.post(f"/api/v1/demo/sessions/{ticket.support_session_id}/messages",
                        {"text": "Still broken, any news?"}, format="json")
    form = {"text": "My <draft> reply", "visibility": "public", "support_status": "", "last_seen_message_id": seen}
    before = _counts(ticket)
    collided = inbox.post(f"/ui-traffic/tickets/{ticket.number}/reply", form)
    assert collided.status_code == 409
    html = collided.content.decode()
    assert "Not sent." in html
    assert html.rindex("Still broken, any news?") > html.index('id="collision"')  # shown in the notice
    assert ">My &lt;draft&gt; reply</textarea>" in html
    assert 'name="send_anyway"' in html
    assert f'name="last_seen_message_id" value="{last_public_message_id(ticket=ticket)}"' in html
    assert _counts(ticket) == before
    sent = inbox.post(f"/ui-traffic/tickets/{ticket.number}/reply", {**form, "send_anyway": "1"})
    assert sent.status_code == 302
    assert Message.objects.filter(session_id=ticket.support_session_id, text="My <draft> reply").count() == 1


def test_presence_heartbeats(agent_a, staff, settings):
    cache.clear()
    ticket = open_ticket(agent_a)
    url = f"/ui-traffic/tickets/{ticket.number}/presence"
    assert Client().post(url, {"state": "viewing"}).status_code == 302  # to the sign-in page
    inbox = _inbox(staff)
    assert inbox.post(url, {"state": "dancing"}).status_code == 400
    assert inbox.post("/ui-traffic/tickets/999999/presence", {"state": "viewing"}).status_code == 404
    assert inbox.get(url).status_code == 405
    assert inbox.post(url, {"state": "typing"}).json() == {"heartbeat_seconds": 10}
    assert presence_list(ticket_number=ticket.number) == [
        {"ticket": ticket.number, "user": "olivia", "name": "Olivia Operator", "state": "typing"}]
    inbox.post(url, {"state": "left"})
    assert presence_list(ticket_number=ticket.number) == []


def test_old_live_events_are_purged(agent_a):
    from datetime import timedelta

    from django.utils import timezone

    from live.services import live_events_purge

    open_ticket(agent_a)
    # The starting grant's balance; then, from the create's one transaction, the ticket and the
    # charge's balance (written by one statement: their order inside it is PostgreSQL's to pick).
    kinds = list(LiveEvent.objects.order_by("txid", "seq").values_list("kind", flat=True))
    assert kinds[0] == "balance"
    assert sorted(kinds[1:]) == ["balance", "ticket"]
    LiveEvent.objects.filter(kind="balance").update(created_at=timezone.now() - timedelta(hours=25))
    assert live_events_purge() == 2
    assert list(LiveEvent.objects.values_list("kind", flat=True)) == ["ticket"]
    assert live_events_purge(older_than=timedelta(0)) == 1
