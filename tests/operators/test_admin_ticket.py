"""GET/PATCH /api/admin/support/tickets/{id} and POST …/reply (SPEC §6)."""

from __future__ import annotations

import json

import pytest

from demo_sessions.models import Author, Message
from tickets import operators
from tickets.models import Ticket
from webhooks.models import Event

from .conftest import ADMIN, open_ticket

pytestmark = pytest.mark.django_db


def envelope(event: Event) -> dict:
    return json.loads(event.envelope)


def _events(ticket: Ticket) -> list[str]:
    return [e.type for e in Event.objects.filter(agent_id=ticket.agent_id).order_by("seq")
            if envelope(e)["data"]["ticket"]["ticket_id"] == ticket.public_id]


def test_detail_shows_the_full_transcript_with_internal_notes_to_staff(agent_a, staff):
    chat = agent_a.client.post("/api/v1/demo/sessions", {"title": "Enrich chat"}, format="json").json()
    ticket = open_ticket(agent_a, source_session_id=chat["id"])
    Message.objects.create(session_id=ticket.support_session_id, author=Author.TRIAGE_BOT,
                           text="Triage: see the connect_wizards recipe.")
    operators.ticket_reply(ticket=ticket, staff_user=staff.user, text="Known issue, fix Monday.", internal=True)
    operators.ticket_reply(ticket=ticket, staff_user=staff.user, text="Thanks! Looking into it.")
    body = staff.client.get(f"{ADMIN}/{ticket.public_id}").json()
    assert [(m["author"], m["author_name"], m["internal"], m["text"]) for m in body["messages"]] == [
        ("user", "", False, "After 30 s the CSV export fails."),
        ("triage_bot", "", False, "Triage: see the connect_wizards recipe."),
        ("operator", "Olivia Operator", True, "Known issue, fix Monday."),
        ("operator", "Olivia Operator", False, "Thanks! Looking into it."),
    ]
    assert body["agent"] == {"id": agent_a.agent.id, "name": "Alice's agent", "virtual_balance_usd": "0.19"}
    assert body["billing"] == {"charged_usd": "0.01", "payment_method": "virtual_balance"}
    assert body["bounty"] == {"eligible": True, "status": "pending_review", "amount_usd": "1.00",
                              "decided_by": None, "decided_at": None, "note": ""}
    assert body["allowed_transitions"] == ["open", "resolved", "closed"]
    assert body["support_status"] == "pending"
    assert body["source_session"]["id"] == chat["id"]
    assert body["source_session"]["title"] == "Enrich chat"
    assert [m["author"] for m in body["source_session"]["messages"]] == ["system"]
    # The customer's view of the same thread never shows the note.
    customer = agent_a.client.get(f"/api/v1/demo/sessions/{ticket.support_session_id}").json()
    assert [m["text"] for m in customer["messages"]] == [
        "After 30 s the CSV export fails.", "Triage: see the connect_wizards recipe.", "Thanks! Looking into it.",
    ]
    assert "Known issue" not in str(customer)


def test_detail_query_count_is_fixed(agent_a, staff, django_assert_num_queries):
    chat = agent_a.client.post("/api/v1/demo/sessions", {"title": "Chat"}, format="json").json()
    ticket = open_ticket(agent_a, source_session_id=chat["id"])
    for i in range(5):
        operators.ticket_reply(ticket=ticket, staff_user=staff.user, text=f"note {i}", internal=True)
    for priority in ("high", "low", "urgent"):
        operators.ticket_update_by_staff(ticket=ticket, staff_user=staff.user, priority=priority,
                                         assignee=staff.user.username if priority == "low" else None)
    # token+user, ticket joined to agent/assignee/decider/source chat, thread messages (+ their
    # attachments), timeline events joined to their actors, source chat messages (+ theirs)
    with django_assert_num_queries(7):
        body = staff.client.get(f"{ADMIN}/{ticket.public_id}").json()
    assert (len(body["messages"]), len(body["timeline"])) == (6, 5)


def test_a_public_reply_sets_pending_and_emits_message_created(bug, staff):
    response = staff.client.post(f"{ADMIN}/{bug.public_id}/reply", {"text": "  Fixed in v2.3  "}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["message"]["author"] == "operator"
    assert body["message"]["author_name"] == "Olivia Operator"
    assert (body["message"]["text"], body["message"]["internal"]) == ("Fixed in v2.3", False)
    assert (body["ticket"]["support_status"], body["ticket"]["awaiting_operator_reply"]) == ("pending", False)
    bug.refresh_from_db()
    assert (bug.status, bug.awaiting_operator, bug.message_count) == ("pending", False, 2)
    assert _events(bug) == ["support.ticket_created", "support.message_created", "support.ticket_updated"]
    created = Event.objects.get(type="support.message_created")
    assert envelope(created)["data"]["message"]["text"] == "Fixed in v2.3"
    assert envelope(created)["data"]["message"]["author_name"] == "Olivia Operator"


def test_a_public_reply_with_a_status_uses_it(bug, staff):
    response = staff.client.post(f"{ADMIN}/{bug.public_id}/reply", {"text": "Done.", "support_status": "resolved"},
                                 format="json")
    assert response.json()["ticket"]["support_status"] == "resolved"


def test_display_name_falls_back_to_username(bug, staff):
    staff.user.first_name = staff.user.last_name = ""
    staff.user.save()
    response = staff.client.post(f"{ADMIN}/{bug.public_id}/reply", {"text": "Hi"}, format="json")
    assert response.json()["message"]["author_name"] == "olivia"


def test_an_internal_note_changes_no_status_and_emits_nothing(bug, staff):
    events_before = Event.objects.count()
    response = staff.client.post(f"{ADMIN}/{bug.public_id}/reply", {"text": "Repro'd locally", "internal": True},
                                 format="json")
    assert response.status_code == 201
    assert response.json()["message"]["internal"] is True
    bug.refresh_from_db()
    assert (bug.status, bug.awaiting_operator, bug.message_count) == ("open", True, 2)
    assert Event.objects.count() == events_before
    session = bug.support_session
    assert session.last_message_preview == "After 30 s the CSV export fails."  # the customer's sidebar is untouched


@pytest.mark.parametrize("payload", [
    {"text": ""}, {"text": "   "}, {}, {"text": 5}, {"text": "x" * 10_001}, {"text": "a", "internal": "yes"},
    {"text": "a", "support_status": "nope"}, {"text": "a", "colour": "red"},
])
def test_bad_replies_are_400_and_change_nothing(bug, staff, payload):
    response = staff.client.post(f"{ADMIN}/{bug.public_id}/reply", payload, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR")
    bug.refresh_from_db()
    assert (bug.status, bug.message_count) == ("open", 1)


def test_a_reply_with_an_invalid_transition_is_409_and_adds_nothing(bug, staff):
    operators.ticket_update_by_staff(ticket=bug, staff_user=staff.user, support_status="closed")
    response = staff.client.post(f"{ADMIN}/{bug.public_id}/reply", {"text": "x", "support_status": "pending"},
                                 format="json")
    assert (response.status_code, response.json()["code"]) == (409, "INVALID_STATUS_TRANSITION")
    assert Message.objects.filter(session_id=bug.support_session_id).count() == 1


def test_patch_changes_status_priority_and_assignee_and_emits_ticket_updated(bug, staff):
    response = staff.client.patch(f"{ADMIN}/{bug.public_id}",
                                  {"support_status": "resolved", "priority": "high", "assignee": "olivia"},
                                  format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["support_status"], body["priority"], body["assignee"]) == ("resolved", "high", "olivia")
    assert body["allowed_transitions"] == ["open", "pending", "closed"]
    event = Event.objects.get(type="support.ticket_updated")
    assert envelope(event)["data"]["changes"] == {"support_status": ["open", "resolved"], "priority": ["normal", "high"]}
    assert "olivia" not in str(event.envelope)  # staff names stay inside
    response = staff.client.patch(f"{ADMIN}/{bug.public_id}", {"assignee": None}, format="json")
    assert response.json()["assignee"] is None
    assert Event.objects.filter(type="support.ticket_updated").count() == 1  # assignment emits nothing


def test_patch_with_the_current_values_changes_nothing(bug, staff):
    response = staff.client.patch(f"{ADMIN}/{bug.public_id}", {"support_status": "open", "priority": "normal"},
                                  format="json")
    assert response.status_code == 200
    assert not Event.objects.filter(type="support.ticket_updated").exists()


def test_patch_invalid_transition_is_409(bug, staff):
    staff.client.patch(f"{ADMIN}/{bug.public_id}", {"support_status": "closed"}, format="json")
    response = staff.client.patch(f"{ADMIN}/{bug.public_id}", {"support_status": "resolved"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "INVALID_STATUS_TRANSITION"
    assert response.json()["details"] == {"support_status": ["Allowed from closed: open."]}
    bug.refresh_from_db()
    assert bug.status == "closed"
    # Staff may reopen any ticket.
    assert staff.client.patch(f"{ADMIN}/{bug.public_id}", {"support_status": "open"}, format="json").status_code == 200


@pytest.mark.parametrize("payload", [
    {}, {"assignee": "nobody"}, {"priority": "whenever"}, {"support_status": "gone"}, {"subject": "new"},
    {"assignee": 7},
])
def test_bad_patches_are_400(bug, staff, django_user_model, payload):
    django_user_model.objects.create_user(username="nobody-staff", password="pw-123456789")  # not staff
    response = staff.client.patch(f"{ADMIN}/{bug.public_id}", payload, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION_ERROR")


def test_only_active_staff_can_be_assigned(bug, staff, django_user_model):
    django_user_model.objects.create_user(username="carl", password="pw-123456789")  # not staff
    response = staff.client.patch(f"{ADMIN}/{bug.public_id}", {"assignee": "carl"}, format="json")
    assert response.status_code == 400
    assert response.json()["details"] == {"assignee": ["Must be the username of an active staff member, or null."]}
