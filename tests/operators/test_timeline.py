"""The ticket timeline (issue #15 item 4): every status, assignee, priority, bounty (and rating)
change is one staff-only event — who, when, from → to — recorded in the changing service's
transaction, shown in the inbox thread and the staff transcript, never to the customer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction

from tickets import bounty, operators
from tickets.models import Ticket, TicketEvent, TimelineActor, TimelineKind
from tickets.search import ticket_timeline_for_staff
from tickets.timeline import thread_with_events, timeline_record
from webhooks.models import Event

from .conftest import ADMIN

pytestmark = pytest.mark.django_db


def _timeline(ticket: Ticket) -> list[tuple[str, str, str, str, str]]:
    return [(e.kind, e.actor_kind, e.actor_name, e.old, e.new) for e in ticket_timeline_for_staff(ticket=ticket)]


def test_staff_changes_record_one_event_each_with_who_and_from_to(bug, staff):
    operators.ticket_update_by_staff(ticket=bug, staff_user=staff.user, support_status="pending", priority="high",
                                     assignee="olivia")
    operators.ticket_update_by_staff(ticket=bug, staff_user=staff.user, assignee=None)
    operators.ticket_update_by_staff(ticket=bug, staff_user=staff.user, priority="high")  # no change: no event
    assert _timeline(bug) == [
        ("status", "staff", "Olivia Operator", "open", "pending"),
        ("priority", "staff", "Olivia Operator", "normal", "high"),
        ("assignee", "staff", "Olivia Operator", "", "olivia"),
        ("assignee", "staff", "Olivia Operator", "olivia", ""),
    ]
    assert TicketEvent.objects.filter(ticket=bug).first().actor == staff.user


def test_a_reply_that_moves_the_status_records_it_and_an_internal_note_does_not(bug, staff):
    operators.ticket_reply(ticket=bug, staff_user=staff.user, text="Note", internal=True)
    assert _timeline(bug) == []
    operators.ticket_reply(ticket=bug, staff_user=staff.user, text="Looking")  # open → pending
    operators.ticket_reply(ticket=bug, staff_user=staff.user, text="Fixed", support_status="resolved")
    operators.ticket_reply(ticket=bug, staff_user=staff.user, text="Also", support_status="resolved")
    assert _timeline(bug) == [
        ("status", "staff", "Olivia Operator", "open", "pending"),
        ("status", "staff", "Olivia Operator", "pending", "resolved"),
    ]


def test_customer_reopen_and_close_are_recorded_as_the_customers(agent_a, bug, staff):
    operators.ticket_update_by_staff(ticket=bug, staff_user=staff.user, support_status="resolved")
    response = agent_a.client.post(f"/api/v1/demo/sessions/{bug.support_session_id}/messages",
                                   {"text": "Still broken"}, format="json")
    assert response.status_code == 201, response.content
    assert agent_a.client.post(f"/api/v1/support/tickets/{bug.public_id}/close").status_code == 200
    assert _timeline(bug) == [
        ("status", "staff", "Olivia Operator", "open", "resolved"),
        ("status", "customer", "", "resolved", "open"),
        ("status", "customer", "", "open", "closed"),
    ]
    labels = [e.summary for e in ticket_timeline_for_staff(ticket=bug)]
    assert labels == ["Olivia Operator changed status: open → resolved", "Customer changed status: resolved → open",
                      "Customer changed status: open → closed"]


def test_bounty_decisions_and_the_award_are_recorded_once(bug, staff, django_capture_on_commit_callbacks):
    bounty.bounty_decide(ticket=bug, staff_user=staff.user, decision="reject", note="dup")
    with django_capture_on_commit_callbacks(execute=True):
        bounty.bounty_decide(ticket=bug, staff_user=staff.user, decision="confirm")
    with django_capture_on_commit_callbacks(execute=True):
        bounty.bounty_decide(ticket=bug, staff_user=staff.user, decision="confirm")  # already awarded
    assert bounty.bounty_award(ticket_pk=bug.pk) == "already_awarded"
    assert _timeline(bug) == [
        ("bounty", "staff", "Olivia Operator", "pending_review", "rejected"),
        ("bounty", "staff", "Olivia Operator", "rejected", "confirmed"),
        ("bounty", "system", "", "confirmed", "awarded"),
    ]


def test_timeline_record_is_the_typed_entry_point_for_ratings(bug):
    with transaction.atomic():
        event = timeline_record(ticket=bug, kind=TimelineKind.RATING, old=None, new=5,
                                actor_kind=TimelineActor.CUSTOMER)
        same = timeline_record(ticket=bug, kind="rating", old=5, new="5", actor_kind="customer")
    assert same is None
    assert event is not None and (event.old, event.new, event.summary) == ("", "5", "Customer changed rating: none → 5")


@pytest.mark.django_db(transaction=True)
def test_timeline_record_refuses_misuse(bug):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        timeline_record(ticket=bug, kind="status", old="open", new="closed", actor_kind="system")
    with transaction.atomic():
        with pytest.raises(ValueError, match="'sideways' is not a valid TimelineKind"):
            timeline_record(ticket=bug, kind="sideways", old="a", new="b")
        with pytest.raises(ValueError, match="needs the staff user"):
            timeline_record(ticket=bug, kind="status", old="a", new="b", actor_kind="staff")
    assert TicketEvent.objects.count() == 0


def test_a_failed_change_records_nothing(bug, staff):
    from support_project.domain import Conflict

    operators.ticket_update_by_staff(ticket=bug, staff_user=staff.user, support_status="closed")
    with pytest.raises(Conflict):  # closed → pending is not a staff transition
        operators.ticket_update_by_staff(ticket=bug, staff_user=staff.user, priority="urgent",
                                         support_status="pending")
    assert _timeline(bug) == [("status", "staff", "Olivia Operator", "open", "closed")]


def test_the_staff_transcript_lists_the_timeline_apart_from_messages(bug, staff):
    operators.ticket_reply(ticket=bug, staff_user=staff.user, text="On it")
    operators.ticket_update_by_staff(ticket=bug, staff_user=staff.user, assignee="olivia")
    body = staff.client.get(f"{ADMIN}/{bug.public_id}").json()
    assert [m["text"] for m in body["messages"]] == ["After 30 s the CSV export fails.", "On it"]
    events = body["timeline"]
    for event in events:
        assert event.pop("created_at").startswith(str(bug.created_at.year))
        assert isinstance(event.pop("id"), int)
    assert events == [
        {"kind": "status", "actor": {"kind": "staff", "username": "olivia", "name": "Olivia Operator"},
         "old": "open", "new": "pending"},
        {"kind": "assignee", "actor": {"kind": "staff", "username": "olivia", "name": "Olivia Operator"},
         "old": None, "new": "olivia"},
    ]


def test_the_inbox_thread_shows_events_between_messages_apart_from_notes(bug, staff, client):
    operators.ticket_reply(ticket=bug, staff_user=staff.user, text="Internal note here", internal=True)
    operators.ticket_update_by_staff(ticket=bug, staff_user=staff.user, priority="urgent")
    operators.ticket_reply(ticket=bug, staff_user=staff.user, text="Public reply")
    client.force_login(staff.user)
    html = client.get(f"/ui-traffic/tickets/{bug.number}").content.decode()
    thread = html[html.index('<ol class="thread">'):html.index("</ol>", html.index('<ol class="thread">'))]
    order = [("note", thread.index("Internal note here")),
             ("priority", thread.index('class="tl-event tl-event--priority"')),
             ("reply", thread.index("Public reply")),
             ("status", thread.index('class="tl-event tl-event--status"'))]
    assert [name for name, _ in sorted(order, key=lambda pair: pair[1])] == ["note", "priority", "reply", "status"]
    assert "<strong>Olivia Operator</strong> changed priority" in thread
    assert '<span class="tl-event__from">normal</span>' in thread
    assert '<span class="tl-event__to tl-event__to--urgent">urgent</span>' in thread


def test_events_interleave_by_time_with_messages_first_on_ties(bug, staff):
    operators.ticket_reply(ticket=bug, staff_user=staff.user, text="Looking")
    messages = list(bug.support_session.messages.order_by("created_at", "id"))
    items = thread_with_events(messages, ticket_timeline_for_staff(ticket=bug))
    assert [getattr(i, "kind", None) or i.text for i in items] == [
        "After 30 s the CSV export fails.", "Looking", "status"]


def _customer_surfaces(persona: Any, ticket: Ticket) -> str:
    bodies = [persona.client.get(f"/api/v1/support/tickets/{ticket.public_id}").content,
              persona.client.get("/api/v1/support/tickets").content,
              persona.client.get(f"/api/v1/demo/sessions/{ticket.support_session_id}").content,
              persona.client.get(f"/api/v1/demo/sessions/{ticket.support_session_id}/messages").content]
    return "\n".join(b.decode() for b in bodies)


def test_the_timeline_never_reaches_the_customer_api_or_webhooks(agent_a, bug, staff,
                                                                  django_capture_on_commit_callbacks):
    staff.user.first_name = "Zelda"
    staff.user.save()
    operators.ticket_update_by_staff(ticket=bug, staff_user=staff.user, assignee="olivia", priority="urgent")
    with django_capture_on_commit_callbacks(execute=True):
        bounty.bounty_decide(ticket=bug, staff_user=staff.user, decision="confirm")
    assert TicketEvent.objects.filter(ticket=bug).count() == 4  # assignee, priority, confirmed, awarded
    seen = _customer_surfaces(agent_a, bug)
    for secret in ("olivia", "Zelda", "timeline", "assignee", "actor"):
        assert secret not in seen
    envelopes = [json.loads(e.envelope) for e in Event.objects.filter(agent_id=agent_a.agent.id).order_by("seq")]
    assert [e["type"] for e in envelopes] == [
        "support.ticket_created", "support.ticket_updated", "support.message_created", "support.bounty_awarded"]
    # Assignment emits nothing; the priority change is the customer's own field, as before.
    assert envelopes[1]["data"]["changes"] == {"priority": ["normal", "urgent"]}
    for text in (json.dumps(e) for e in envelopes):
        for secret in ("olivia", "Zelda", "timeline", "actor"):
            assert secret not in text


def test_a_customer_rating_is_a_timeline_event(agent_a, bug, staff):
    operators.ticket_update_by_staff(ticket=bug, staff_user=staff.user, support_status="resolved")
    response = agent_a.client.post(f"/api/v1/support/tickets/{bug.public_id}/rating", {"score": 4}, format="json")
    assert response.status_code == 201, response.content
    assert agent_a.client.post(f"/api/v1/support/tickets/{bug.public_id}/rating", {"score": 5},
                               format="json").status_code == 409
    assert _timeline(bug)[-1] == ("rating", "customer", "", "", "4")
    assert [e.kind for e in ticket_timeline_for_staff(ticket=bug)].count("rating") == 1

